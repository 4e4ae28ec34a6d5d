"""Reading what a user submits as a credential: JSON text, or a VC-JWT, into a document.

Accepted: a JSON object (a UTF-8 byte-order mark before it is fine), a compact VC-JWT (the text
of a `.jwt` file, or a JSON string holding it), and a VC 2.0 `EnvelopedVerifiableCredential` whose
`id` is a `data:application/vc+jwt,<token>` URL. Refused, each with its own code and one plain sentence:
empty input, more than `max_bytes`, not UTF-8, nesting past `jsonsafe.MAX_DEPTH`, invalid JSON,
duplicate member names (RFC 7493), a list or a scalar where one credential was expected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from verifier import jsonsafe, vc_jwt
from verifier.errors import InputError

ENVELOPED_CREDENTIAL = "EnvelopedVerifiableCredential"
JWT_DATA_URL_PREFIXES = ("data:application/vc+jwt,", "data:application/vc-ld+jwt,", "data:application/jwt,")


class ParseFailure(InputError):
    """The input is not one credential document. `code` is the parse check's machine code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ParsedInput:
    """The credential document, and the JWT that secures it when it came as a VC-JWT."""

    document: dict[str, Any]
    jwt: vc_jwt.DecodedJwt | None = None


def _from_jwt(token: str) -> ParsedInput:
    try:
        decoded = vc_jwt.decode(token)
    except vc_jwt.VcJwtError as exc:
        raise ParseFailure(f"The input looks like a JWT but cannot be read: {exc}", exc.code) from exc
    return ParsedInput(decoded.credential, decoded)


def unwrap_enveloped(document: dict[str, Any]) -> ParsedInput:
    """A VC 2.0 EnvelopedVerifiableCredential holding a VC-JWT as a data: URL, opened; any other
    document is returned as it is."""
    types = document.get("type")
    types = [types] if isinstance(types, str) else types if isinstance(types, list) else []
    if ENVELOPED_CREDENTIAL not in types:
        return ParsedInput(document)
    envelope_id = document.get("id")
    prefix = next(
        (p for p in JWT_DATA_URL_PREFIXES if isinstance(envelope_id, str) and envelope_id.startswith(p)), None
    )
    if prefix is None:
        raise ParseFailure(
            "The enveloped credential's id is not a data:application/vc+jwt URL, the only envelope "
            "MedCred opens.",
            "envelope_unsupported",
        )
    return _from_jwt(envelope_id[len(prefix) :])


def parse_input(data: bytes | str, *, max_bytes: int) -> ParsedInput:
    """One credential from submitted bytes or text; ParseFailure (with `code`) otherwise."""
    size = len(data.encode() if isinstance(data, str) else data)
    if size == 0 or not data.strip():
        raise ParseFailure("The input is empty: there is no credential to check.", "empty")
    if size > max_bytes:
        raise ParseFailure(
            f"The input is {size:,} bytes; a credential is at most {max_bytes:,}.", "too_large"
        )
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise ParseFailure("The input is not UTF-8 text.", "not_json") from None
    if text[:1] == jsonsafe.BOM:
        text = text[1:]
    if vc_jwt.looks_like_jwt(text):
        return _from_jwt(text)
    try:
        parsed = jsonsafe.loads(text)
    except jsonsafe.JsonTooDeepError:
        raise ParseFailure(
            f"The file is nested more than {jsonsafe.MAX_DEPTH} levels deep.", "too_deep"
        ) from None
    except jsonsafe.DuplicateMemberError as exc:
        raise ParseFailure(str(exc), exc.code) from None
    except RecursionError:
        raise ParseFailure(
            f"The file is nested more than {jsonsafe.MAX_DEPTH} levels deep.", "too_deep"
        ) from None
    except ValueError as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise ParseFailure(f"The input is not valid JSON{where}.", "not_json") from None
    if isinstance(parsed, str) and vc_jwt.looks_like_jwt(parsed):
        return _from_jwt(parsed)  # a VC-JWT as a JSON string, as VC-API clients send one
    if isinstance(parsed, list):
        raise ParseFailure(
            f"Expected one credential, found a list of {len(parsed)} items (use verify-batch for many).",
            "not_an_object",
        )
    if not isinstance(parsed, dict):
        raise ParseFailure("Expected one credential (a JSON object).", "not_an_object")
    return unwrap_enveloped(parsed)
