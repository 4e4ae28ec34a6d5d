"""API tokens: created for one institution and a set of scopes, shown once, stored as a hash."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from issuer.secrets import new_api_token, token_hash
from issuer.storage.errors import ForbiddenError, NotFoundError, UnauthorizedError
from issuer.storage.models import SCOPES, AdminSession, ApiToken, Institution, utcnow
from verifier.errors import InputError

LAST_USED_GRANULARITY = timedelta(minutes=1)
"""`last_used_at` is written at most this often per token: verification is on every request."""


@dataclass(frozen=True)
class TokenInfo:
    """What a token may do; never the token itself."""

    id: int
    institution: str
    scopes: tuple[str, ...]
    label: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked: bool

    def allows(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


def token_info(row: ApiToken, slug: str) -> TokenInfo:
    """The description of a token row of institution `slug`."""
    return _info(row, slug)


def check_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(s.strip().lower() for s in scopes if s and s.strip()))
    if not chosen:
        raise InputError(f"A token needs at least one scope: {', '.join(SCOPES)}.")
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown:
        raise InputError(f"Unknown scope {unknown[0]!r}: use {', '.join(SCOPES)}.")
    return chosen


def _info(row: ApiToken, slug: str) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        institution=slug,
        scopes=tuple(row.scopes.split()),
        label=row.label,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked=row.revoked_at is not None,
    )


def create_token(
    session: Session,
    institution: Institution,
    scopes: Iterable[str],
    *,
    label: str | None = None,
    expires_in: timedelta | None = None,
) -> tuple[str, TokenInfo]:
    """A new token for `institution`: (the token, to show once; its description)."""
    chosen = check_scopes(scopes)
    token = new_api_token()
    row = ApiToken(
        token_hash=token_hash(token),
        institution_id=institution.id,
        scopes=" ".join(chosen),
        label=(label or None),
        created_at=utcnow(),
        expires_at=(utcnow() + expires_in) if expires_in else None,
    )
    session.add(row)
    session.flush()
    return token, _info(row, institution.slug)


def check_token(
    session: Session, token: str | None, institution: str | None, scope: str
) -> tuple[TokenInfo, bool, Institution]:
    """The token's description if it is valid for `scope` (and `institution`, when given), whether
    its `last_used_at` is due for an update, and its institution's row (read by the same query, so
    the caller need not read it again). Reads only, so it can run in a read-only transaction: on
    SQLite that takes no write lock, and verification is on every API request.

    UnauthorizedError for a missing, unknown, expired or revoked token (HTTP 401); ForbiddenError for
    a valid token of another institution or without the scope (403).
    """
    if not token:
        raise UnauthorizedError("An API token is required (Authorization: Bearer <token>).")
    found = session.execute(
        select(ApiToken, Institution)
        .join(Institution, Institution.id == ApiToken.institution_id)
        .where(ApiToken.token_hash == token_hash(token))
    ).first()
    if found is None:
        raise UnauthorizedError("The API token is not valid.")
    row, owner = found
    slug = owner.slug
    now = utcnow()
    if row.revoked_at is not None:
        raise UnauthorizedError("The API token has been revoked.")
    if row.expires_at is not None and row.expires_at <= now:
        raise UnauthorizedError("The API token has expired.")
    info = _info(row, slug)
    if institution is not None and institution != slug:
        raise ForbiddenError(f"This API token belongs to another institution than {institution!r}.")
    if not info.allows(scope):
        raise ForbiddenError(f"This API token may not {scope} (its scopes: {', '.join(info.scopes)}).")
    due = row.last_used_at is None or now - row.last_used_at > LAST_USED_GRANULARITY
    return info, due, owner


def touch_token(session: Session, token_id: int) -> None:
    """Record that the token was used now, unless a concurrent request already did (one UPDATE)."""
    now = utcnow()
    session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - LAST_USED_GRANULARITY),
        )
        .values(last_used_at=now)
    )


def verify_token(session: Session, token: str | None, institution: str | None, scope: str) -> TokenInfo:
    """`check_token` and, when due, `touch_token` in the caller's (writable) session."""
    info, due, _owner = check_token(session, token, institution, scope)
    if due:
        touch_token(session, info.id)
    return info


def list_tokens(session: Session, institution: Institution) -> list[TokenInfo]:
    rows = session.scalars(
        select(ApiToken).where(ApiToken.institution_id == institution.id).order_by(ApiToken.id)
    )
    return [_info(r, institution.slug) for r in rows]


def revoke_token(session: Session, institution: Institution, token_id: int) -> TokenInfo:
    row = session.get(ApiToken, token_id)
    if row is None or row.institution_id != institution.id:
        raise NotFoundError(f"Institution {institution.slug!r} has no API token {token_id}.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    # Admin UI sessions opened with it end too (they would be refused anyway: see admin_sessions).
    session.execute(delete(AdminSession).where(AdminSession.token_id == token_id))
    return _info(row, institution.slug)
