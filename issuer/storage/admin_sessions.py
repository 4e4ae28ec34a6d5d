"""Admin UI sessions kept on the server, so that logging out really ends them.

    store = AdminSessions(db)
    secret = store.open(token_info)          # after a good login; the cookie carries `secret`
    store.current(secret) -> TokenInfo | None  # every request: None once ended, expired or revoked
    store.end(secret)                        # logout: a copy of the cookie is worthless from now on

The browser's cookie holds a random 256-bit secret; the database holds only its SHA-256 (a leaked
database opens no session), with the API token the admin logged in with, the absolute expiry
(SESSION_SECONDS after login) and the last request (a session idle for IDLE_SECONDS ends). Every
request checks the row *and* the token, so a session ends when its row is deleted (logout,
`tokens.revoke_token`), when it expires, or when its token is revoked,
expires or loses the admin scope. Rows live in the issuer's database, so every gunicorn worker
sees the same sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from issuer.storage.database import Database
from issuer.storage.models import AdminSession, ApiToken, Institution, utcnow
from issuer.storage.tokens import TokenInfo, token_info

SESSION_SECONDS = 8 * 3600
"""A session ends this long after login, however busy."""
IDLE_SECONDS = 30 * 60
"""A session ends after this long without a request."""
SEEN_GRANULARITY = timedelta(minutes=1)
"""`last_seen_at` is written at most this often: the check runs on every admin request."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SessionCheck:
    """A live session: the token it acts with, and whether `last_seen_at` is due for a write."""

    token: TokenInfo
    touch_due: bool


def open_session(session: Session, token_id: int) -> str:
    """A new session for the token; returns its secret (for the cookie). Purges ended ones."""
    now = utcnow()
    session.execute(delete(AdminSession).where(AdminSession.expires_at <= now))
    secret = secrets.token_urlsafe(32)
    session.add(
        AdminSession(
            id=_digest(secret),
            token_id=token_id,
            created_at=now,
            expires_at=now + timedelta(seconds=SESSION_SECONDS),
            last_seen_at=now,
        )
    )
    return secret


def check_session(session: Session, secret: str | None) -> SessionCheck | None:
    """The session's token if the session is live and its token still may `admin`; else None."""
    if not secret or not isinstance(secret, str) or len(secret) > 128:
        return None
    found = session.execute(
        select(AdminSession, ApiToken, Institution.slug)
        .join(ApiToken, ApiToken.id == AdminSession.token_id)
        .join(Institution, Institution.id == ApiToken.institution_id)
        .where(AdminSession.id == _digest(secret))
    ).first()
    if found is None:
        return None
    row, token, slug = found
    now = utcnow()
    if row.expires_at <= now or now - row.last_seen_at > timedelta(seconds=IDLE_SECONDS):
        return None
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    info = token_info(token, slug)
    if not info.allows("admin"):
        return None
    return SessionCheck(info, now - row.last_seen_at > SEEN_GRANULARITY)


def touch_session(session: Session, secret: str) -> None:
    session.execute(
        update(AdminSession).where(AdminSession.id == _digest(secret)).values(last_seen_at=utcnow())
    )


def end_session(session: Session, secret: str | None) -> None:
    if secret:
        session.execute(delete(AdminSession).where(AdminSession.id == _digest(secret)))


class AdminSessions:
    """The admin sessions of one database, each call its own short transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def open(self, token: TokenInfo) -> str:
        """Start a session for `token` (already checked for the admin scope); returns its secret."""
        with self._db.session() as session:
            return open_session(session, token.id)

    def current(self, secret: str | None) -> TokenInfo | None:
        """The token of the live session `secret`, or None (see the module docstring)."""
        with self._db.reader() as session:
            check = check_session(session, secret)
        if check is None:
            return None
        if check.touch_due and secret:
            with self._db.session() as session:
                touch_session(session, secret)
        return check.token

    def end(self, secret: str | None) -> None:
        with self._db.session() as session:
            end_session(session, secret)
