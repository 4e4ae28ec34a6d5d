"""Claim tokens: the secret in a learner's claim link (`<public URL>/claim/<token>`).

A token is 32 random bytes (`secrets.token_urlsafe`, 43 characters); the database keeps only its
SHA-256, so a copy of the database opens no claim page. A token expires (`MEDCRED_CLAIM_DAYS`,
30 days by default) and can be used any number of times until then: the learner opens it on a
phone and again on a laptop. A new e-mail carries a new token; older ones stay valid until they
expire.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from issuer.storage.errors import NotFoundError
from issuer.storage.models import ClaimToken, utcnow
from verifier.errors import MedCredError

TOKEN_BYTES = 32
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


class ClaimExpiredError(MedCredError):
    """The claim link's token was valid once and has expired (the page offers a new link)."""


class UnknownClaimError(NotFoundError):
    """No claim link has this token (mistyped, cut off by a mail program, or never issued)."""


@dataclass(frozen=True)
class Claim:
    """A claim link that opened: which credential, and until when the link works."""

    credential_id: str
    expires_at: datetime


def claim_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_claim_token(session: Session, credential_id: str, lifetime: timedelta) -> tuple[str, datetime]:
    """Store a fresh token for `credential_id`; (the token, its expiry). The token is never stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires = utcnow() + lifetime
    session.add(ClaimToken(token_hash=claim_hash(token), credential_id=credential_id, expires_at=expires))
    return token, expires


def forget_claim_token(session: Session, token: str) -> None:
    """Delete a token that was never delivered (its e-mail failed)."""
    session.execute(delete(ClaimToken).where(ClaimToken.token_hash == claim_hash(token)))


def open_claim(session: Session, token: str, now: datetime | None = None) -> Claim:
    """The credential a token opens; UnknownClaimError or ClaimExpiredError (both say so in words)."""
    if not _TOKEN_SHAPE.match(token or ""):
        raise UnknownClaimError("This claim link is not complete: open the whole link from the e-mail.")
    row = session.get(ClaimToken, claim_hash(token))
    if row is None:
        raise UnknownClaimError("This claim link is not known here.")
    now = now or utcnow()
    if row.expires_at <= now:
        raise ClaimExpiredError("This claim link has expired.")
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
    return Claim(row.credential_id, row.expires_at)
