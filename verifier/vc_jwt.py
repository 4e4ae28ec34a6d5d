"""VC-JWT: credentials (and status lists) secured as a JWS Compact Serialization.

Two encodings are read, both of which Open Badges 3.0 verifiers meet:

- W3C VC-JOSE-COSE (VC 2.0): the JWT payload *is* the credential; `typ` is `vc+jwt` (older drafts:
  `vc+ld+json+jwt`, `vc-ld+jwt`).
- VC Data Model 1.1 §6.3 (Open Badges 3.0 §8.2): the credential is the `vc` claim, beside the
  registered claims `iss` (issuer), `jti` (id), `sub` (credentialSubject.id), `nbf` / `exp`
  (validity). Claims and credential must agree; a claim the credential lacks is decoded into it
  (`nbf` -> `validFrom`, `exp` -> `validUntil`), as the 1.1 decoding rules say.

The signature (EdDSA with an Ed25519 key, or ES256 with a P-256 key) is checked with the JOSE
library `joserfc`. The key is the DID URL in the header's `kid` (a bare `#fragment` is taken
relative to the issuer), dereferenced through MedCred's DID resolver: its DID must be the issuer,
and the DID document must list it under the verification relationship asked for (assertionMethod
for credentials). A `jwk` or `x5c` in the header is never trusted by itself. `alg: none` and
symmetric algorithms are refused.
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey
from joserfc.jws import JWSRegistry

from verifier import jsonsafe
from verifier.data_integrity import ASSERTION_METHOD, ProofError, ProofResult, authorized_method, issuer_id
from verifier.did import DidResolutionError, DidResolver
from verifier.errors import InputError
from verifier.multikey import MultikeyError
from verifier.public_keys import ED25519, P256

MAX_TOKEN_CHARS = 3 * 1024 * 1024
JWT_ALGORITHMS = {"EdDSA": ED25519, "Ed25519": ED25519, "ES256": P256}
"""The JWS algorithms accepted, with the key algorithm each needs ("Ed25519" is RFC 9864's name)."""


class _Registry(JWSRegistry):
    """joserfc's JWS registry as VC-JWT needs it: payloads as large as a credential may be, header
    parameters beyond the registered ones allowed (issuers add their own), and "EdDSA" without
    RFC 9864's deprecation warning: it is what VC-JWT issuers write, and `verify` accepts it only
    with an Ed25519 key."""

    algorithms: ClassVar[dict[str, Any]] = dict(JWSRegistry.algorithms)
    max_payload_length = MAX_TOKEN_CHARS
    max_header_length = 4096


_eddsa = copy.copy(JWSRegistry.algorithms["EdDSA"])
_eddsa.security_warning = None
_Registry.algorithms["EdDSA"] = _eddsa
REGISTRY = _Registry(algorithms=list(JWT_ALGORITHMS), strict_check_header=False)
"""The registry for every JWS MedCred reads or writes (issuer's `sign_jwt` too)."""
VC_JWT_TYP = "vc+jwt"
VC_JWT_MEDIA_TYPE = "application/vc+jwt"
CREDENTIAL_TYPS = frozenset({"vc+jwt", "vc+ld+json+jwt", "vc-ld+jwt", "jwt"})
_COMPACT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


class VcJwtError(InputError):
    """A VC-JWT is malformed or does not verify. `code` is the machine-readable reason."""

    def __init__(self, message: str, code: str = "jwt_malformed") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class DecodedJwt:
    """A compact JWS split and decoded (not verified): protected header, JSON payload, token."""

    token: str
    header: dict[str, Any]
    payload: dict[str, Any]
    credential: dict[str, Any] = field(default_factory=dict)
    """The credential the token secures (the payload, or its `vc` claim decoded with the claims)."""


def looks_like_jwt(text: str) -> bool:
    """Whether `text` (surrounding white space allowed) has the shape of a JWS compact token."""
    stripped = text.strip()
    return len(stripped) <= MAX_TOKEN_CHARS and bool(_COMPACT.match(stripped))


def _b64_json(part: str, what: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        value = jsonsafe.loads(raw)
    except (binascii.Error, ValueError, RecursionError) as exc:
        raise VcJwtError(f"The JWT's {what} is not base64url-encoded JSON.") from exc
    if not isinstance(value, dict):
        raise VcJwtError(f"The JWT's {what} is not a JSON object.")
    return value


def decode(token: str) -> DecodedJwt:
    """Split a compact JWS and decode header and payload (NOT verified: see `verify`).

    Raises VcJwtError (`jwt_malformed`, `jwt_claims_mismatch`, `jwt_unsupported_algorithm`).
    """
    token = token.strip()
    if not looks_like_jwt(token):
        raise VcJwtError("The text is not a JWT (three base64url parts separated by dots).")
    header_part, payload_part, _ = token.split(".")
    header = _b64_json(header_part, "header")
    payload = _b64_json(payload_part, "payload")
    alg = header.get("alg")
    if alg not in JWT_ALGORITHMS:
        raise VcJwtError(
            f"The JWT is signed with {alg!r}; MedCred accepts {', '.join(JWT_ALGORITHMS)}.",
            "jwt_unsupported_algorithm",
        )
    if header.get("crit"):
        raise VcJwtError("The JWT names critical header parameters MedCred does not understand.")
    return DecodedJwt(token, header, payload, _credential_of(payload))


def _claim_date(value: Any, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise VcJwtError(f"The JWT's {name} claim is not a NumericDate.")
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _credential_of(payload: dict[str, Any]) -> dict[str, Any]:
    """The credential a payload carries; VC 1.1 claims decoded into it and checked against it."""
    vc = payload.get("vc")
    if vc is None:
        return payload
    if not isinstance(vc, dict):
        raise VcJwtError("The JWT's vc claim is not a JSON object.")
    credential = dict(vc)
    iss = payload.get("iss")
    if iss is not None:
        issuer = issuer_id(credential)
        if issuer is None and "issuer" not in credential:
            credential["issuer"] = iss
        elif issuer != iss:
            raise VcJwtError(
                f"The JWT's iss ({iss}) is not the credential's issuer ({issuer}).", "jwt_claims_mismatch"
            )
    jti = payload.get("jti")
    if jti is not None:
        if "id" not in credential:
            credential["id"] = jti
        elif credential["id"] != jti:
            raise VcJwtError("The JWT's jti is not the credential's id.", "jwt_claims_mismatch")
    sub = payload.get("sub")
    subject = credential.get("credentialSubject")
    if sub is not None and isinstance(subject, dict):
        if "id" not in subject:
            credential["credentialSubject"] = {**subject, "id": sub}
        elif subject["id"] != sub:
            raise VcJwtError("The JWT's sub is not the credentialSubject's id.", "jwt_claims_mismatch")
    for claim, names in (("nbf", ("validFrom", "issuanceDate")), ("exp", ("validUntil", "expirationDate"))):
        if claim not in payload:
            continue
        moment = _claim_date(payload[claim], claim)
        present = [credential[n] for n in names if n in credential]
        if not present:
            credential[names[0]] = moment
        elif not any(_same_second(p, moment) for p in present):
            raise VcJwtError(
                f"The JWT's {claim} ({moment}) disagrees with the credential's {names[0]}.",
                "jwt_claims_mismatch",
            )
    return credential


def _same_second(value: Any, moment: str) -> bool:
    from verifier.schema import parse_datetime  # noqa: PLC0415 - avoids an import cycle via schema

    parsed = parse_datetime(value)
    return parsed is not None and parsed.replace(microsecond=0) == parse_datetime(moment)


def _method_url(decoded: DecodedJwt, controller: str | None) -> str:
    kid = decoded.header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise VcJwtError(
            "The JWT's header has no kid naming the issuer's key.", "verification_method_unresolvable"
        )
    if kid.startswith("#"):
        if controller is None:
            raise VcJwtError("The JWT's kid is relative and there is no issuer DID.", "issuer_invalid")
        return controller + kid
    if kid.startswith("did:") and "#" not in kid and controller == kid:
        # did:key issuers sometimes name the DID alone: its only key has the fingerprint as fragment
        return f"{kid}#{kid.split(':', 2)[2]}"
    return kid


def verify(
    decoded: DecodedJwt,
    *,
    resolver: DidResolver,
    purpose: str = ASSERTION_METHOD,
    controller: str | None = None,
) -> ProofResult:
    """Check a decoded VC-JWT's signature and who made it. Never raises for bad input.

    `controller` is the DID that must control the key: by default the credential's issuer.
    """
    alg = decoded.header.get("alg")
    info: dict[str, Any] = {"proof_type": "JWT", "cryptosuite": alg if isinstance(alg, str) else None}
    try:
        if controller is None:
            controller = issuer_id(decoded.credential)
        if controller is None:
            raise VcJwtError("The credential has no issuer identifier.", "issuer_invalid")
        method_url = _method_url(decoded, controller)
        info["verification_method"] = method_url
        method = authorized_method(method_url, purpose, resolver, controller=controller)
        key = method.key
        if JWT_ALGORITHMS[alg] != key.algorithm:
            raise VcJwtError(
                f"The JWT says {alg}, but the key {method_url} is a {key.algorithm} key.", "wrong_key_type"
            )
        jose_key = (OKPKey if key.algorithm == ED25519 else ECKey).import_key(key.jwk)
        try:
            jws.deserialize_compact(decoded.token, jose_key, registry=REGISTRY)
        except JoseError as exc:
            raise VcJwtError(
                "The JWT's signature does not match: it was altered or signed by another key.",
                "signature_invalid",
            ) from exc
    except (VcJwtError, ProofError, DidResolutionError, MultikeyError) as exc:
        return ProofResult(False, exc.code, str(exc), **info)
    return ProofResult(True, "ok", f"The {alg} JWT signature by {method_url} is valid.", **info)


def verify_token(
    token: str, *, resolver: DidResolver, purpose: str = ASSERTION_METHOD
) -> tuple[DecodedJwt | None, ProofResult]:
    """Decode and verify in one step: (decoded or None, result). Never raises for bad input."""
    try:
        decoded = decode(token)
    except VcJwtError as exc:
        return None, ProofResult(False, exc.code, str(exc), proof_type="JWT")
    return decoded, verify(decoded, resolver=resolver, purpose=purpose)


def is_credential_typ(header: Mapping[str, Any]) -> bool:
    """Whether the header's `typ` (absent, JWT, vc+jwt...) fits a credential rather than a presentation."""
    typ = header.get("typ")
    return typ is None or (isinstance(typ, str) and typ.lower() in CREDENTIAL_TYPS)
