"""The metadata wallets read first (OpenID4VCI 1.0 §12.2, RFC 8414).

`credential_issuer_metadata(base)` is served at `/.well-known/openid-credential-issuer`: one
credential configuration, the Open Badges 3.0 credential in `ldp_vc` format (Appendix A.1.2:
`credential_definition` with `@context` and `type`), secured by MedCred's Data Integrity suite,
bound to a holder's `did:key` or `did:jwk`, whose key the wallet proves with a JWT key proof
(EdDSA or ES256). Its display data sit in `credential_metadata`, as 1.0 final puts them (drafts
put them at the top of the configuration, and wallet libraries tell the versions apart by it).

The credential issuer is its own authorization server: `authorization_server_metadata(base)`
(at `/.well-known/oauth-authorization-server`) names the token endpoint and the pre-authorized
code grant, which needs no client authentication
(`pre-authorized_grant_anonymous_access_supported`).
"""

from __future__ import annotations

from typing import Any

from issuer.credential_builder import CREDENTIAL_CONTEXT, CREDENTIAL_TYPE
from verifier.data_integrity import EDDSA_JCS_2022, EDDSA_RDFC_2022

CONFIGURATION_ID = "OpenBadgeCredential_ldp_vc"
"""The one credential configuration MedCred offers."""
PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
PROOF_JWT_TYP = "openid4vci-proof+jwt"
PROOF_ALGORITHMS = ("EdDSA", "ES256")
BINDING_METHODS = ("did:key", "did:jwk")
TOKEN_PATH = "/token"  # noqa: S105 - a path, not a secret
CREDENTIAL_PATH = "/credential"
NONCE_PATH = "/nonce"
ISSUER_METADATA_PATH = "/.well-known/openid-credential-issuer"
AS_METADATA_PATH = "/.well-known/oauth-authorization-server"


def issuer_identifier(base_url: str) -> str:
    """The Credential Issuer Identifier: the public URL without a trailing slash."""
    return base_url.rstrip("/")


def credential_configuration() -> dict[str, Any]:
    """The `ldp_vc` configuration of an Open Badges 3.0 credential (1.0 final shape)."""
    return {
        "format": "ldp_vc",
        "cryptographic_binding_methods_supported": list(BINDING_METHODS),
        "credential_signing_alg_values_supported": [EDDSA_RDFC_2022, EDDSA_JCS_2022],
        "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGORITHMS)}},
        "credential_definition": {"@context": list(CREDENTIAL_CONTEXT), "type": list(CREDENTIAL_TYPE)},
        "credential_metadata": {
            "display": [
                {
                    "name": "Medical micro-credential (Open Badge)",
                    "locale": "en",
                    "description": "An Open Badges 3.0 credential signed by the issuing institution "
                    "and anchored on a public registry.",
                    "background_color": "#0b4f6c",
                    "text_color": "#ffffff",
                }
            ],
            "claims": [
                {"path": ["credentialSubject", "name"], "display": [{"name": "Holder", "locale": "en"}]},
                {
                    "path": ["credentialSubject", "achievement", "name"],
                    "display": [{"name": "Achievement", "locale": "en"}],
                },
                {"path": ["issuer", "name"], "display": [{"name": "Issuer", "locale": "en"}]},
                {"path": ["validFrom"], "display": [{"name": "Valid from", "locale": "en"}]},
                {"path": ["validUntil"], "display": [{"name": "Valid until", "locale": "en"}]},
            ],
        },
    }


def credential_issuer_metadata(base_url: str) -> dict[str, Any]:
    """Credential Issuer Metadata (OpenID4VCI 1.0 §12.2.4) for the issuer at `base_url`."""
    issuer = issuer_identifier(base_url)
    return {
        "credential_issuer": issuer,
        "credential_endpoint": issuer + CREDENTIAL_PATH,
        "nonce_endpoint": issuer + NONCE_PATH,
        "display": [{"name": "MedCred", "locale": "en"}],
        "credential_configurations_supported": {CONFIGURATION_ID: credential_configuration()},
    }


def authorization_server_metadata(base_url: str) -> dict[str, Any]:
    """OAuth 2.0 Authorization Server Metadata (RFC 8414) for the pre-authorized code flow only."""
    issuer = issuer_identifier(base_url)
    return {
        "issuer": issuer,
        "token_endpoint": issuer + TOKEN_PATH,
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "pre-authorized_grant_anonymous_access_supported": True,
        "token_endpoint_auth_methods_supported": ["none"],
        "response_types_supported": [],
    }
