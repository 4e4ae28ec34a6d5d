"""The error answers OpenID4VCI 1.0 and OAuth 2.0 define, with their HTTP statuses.

- Token endpoint (RFC 6749 §5.2): `invalid_request`, `invalid_grant`, `unsupported_grant_type`:
  400.
- Credential endpoint (OpenID4VCI 1.0 §8.3.1.2): `invalid_credential_request`,
  `unknown_credential_configuration`, `unknown_credential_identifier`, `invalid_proof`,
  `invalid_nonce`, `credential_request_denied`: 400.
- Bearer tokens (RFC 6750 §3.1): `invalid_token` is 401 with a `WWW-Authenticate: Bearer
  error="invalid_token"` challenge; a request without a token is 401 with a bare challenge.
"""

from __future__ import annotations

from verifier.errors import MedCredError

BEARER_ERRORS = {"invalid_token": 401, "insufficient_scope": 403}


class Oid4vciError(MedCredError):
    """An error answer: `code` is the spec's `error` value, the message its `error_description`."""

    def __init__(self, code: str, description: str, status: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.status = status if status is not None else BEARER_ERRORS.get(code, 400)

    def body(self) -> dict[str, str]:
        """The JSON error body: {"error": code, "error_description": sentence}."""
        return {"error": self.code, "error_description": self.description}
