"""Admin web sessions: log in with an admin-scoped API token, CSRF tokens on every form.

The session cookie (Flask's signed cookie: HttpOnly, SameSite=Lax, Secure on https) carries the
API token *sealed* (AES-GCM under a key derived from the app's secret key), never in clear,
and every request re-checks it with the service: revoking the token or letting it expire ends
the session at once, and no server-side session store is needed behind several workers.
"""

from __future__ import annotations

import base64
import hmac
import os
import secrets
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import session

SESSION_SECONDS = 8 * 3600
CSRF_FIELD = "csrf_token"
_NONCE = 12


class TokenSeal:
    """Seals the admin's API token for the session cookie (bound to its issue time)."""

    def __init__(self, secret_key: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"medcred admin session").derive(
            secret_key
        )
        self._aead = AESGCM(key)

    def seal(self, token: str, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, token.encode("utf-8"), str(issued).encode("ascii"))
        return f"{issued}.{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"

    def open(self, sealed: str | None, now: float | None = None) -> str | None:
        """The token, or None if the value is missing, tampered with or older than a session."""
        if not sealed or "." not in sealed:
            return None
        issued_text, _, payload = sealed.partition(".")
        try:
            issued = int(issued_text)
            raw = base64.urlsafe_b64decode(payload.encode("ascii"))
            token = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], issued_text.encode("ascii"))
        except (ValueError, InvalidTag):
            return None
        if (now if now is not None else time.time()) - issued > SESSION_SECONDS:
            return None
        return token.decode("utf-8")


def csrf_token() -> str:
    """This session's CSRF token (created on first use; rendered into every POST form)."""
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def csrf_ok(submitted: str | None) -> bool:
    expected = session.get(CSRF_FIELD)
    return (
        isinstance(expected, str)
        and isinstance(submitted, str)
        and bool(submitted)
        and hmac.compare_digest(expected.encode(), submitted.encode())
    )


def start_session(sealed_token: str, institution: str) -> None:
    """A fresh session after login: a new CSRF token (no fixation of a pre-login session)."""
    session.clear()
    session.permanent = True
    session["admin"] = sealed_token
    session["institution"] = institution
    session[CSRF_FIELD] = secrets.token_urlsafe(32)


def end_session() -> None:
    session.clear()
