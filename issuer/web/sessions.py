"""Admin web sessions: log in with an admin-scoped API token, CSRF tokens on every form.

The session itself lives on the server (issuer.storage.admin_sessions): Flask's signed cookie
(HttpOnly, SameSite=Lax, Secure on https) carries only a random session secret and the CSRF token,
never the API token. Every request looks the secret up, so logging out, revoking the token, the
token expiring, 30 idle minutes or 8 hours since login end the session at once, in every worker,
and a copy of the cookie taken before logout opens nothing afterwards.
"""

from __future__ import annotations

import hmac
import secrets

from flask import session

from issuer.storage.admin_sessions import SESSION_SECONDS

__all__ = [
    "CSRF_FIELD",
    "SESSION_SECONDS",
    "csrf_ok",
    "csrf_token",
    "end_session",
    "session_secret",
    "start_session",
]

CSRF_FIELD = "csrf_token"
_SECRET = "sid"  # noqa: S105 - the cookie key, not a secret


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


def start_session(secret: str, institution: str) -> None:
    """A fresh cookie after login: the server-side session's secret and a new CSRF token (no
    fixation of a pre-login session)."""
    session.clear()
    session.permanent = True
    session[_SECRET] = secret
    session["institution"] = institution
    session[CSRF_FIELD] = secrets.token_urlsafe(32)


def session_secret() -> str | None:
    """The server-side session's secret from the cookie, if any."""
    value = session.get(_SECRET)
    return value if isinstance(value, str) else None


def end_session() -> None:
    """Forget the cookie's contents (the caller ends the server-side session)."""
    session.clear()
