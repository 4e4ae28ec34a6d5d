"""`c_nonce` values from the nonce endpoint (OpenID4VCI 1.0 §7).

A nonce is 32 random bytes, stored as its SHA-256 until it expires (`NONCE_LIFETIME`); a key
proof spends it (a replayed proof finds it gone: `invalid_nonce`). Expired nonces are deleted as
new ones are made, so the table stays small without a sweeper.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from issuer.storage.models import WalletNonce, utcnow
from issuer.wallet.offers import SECRET_BYTES, secret_hash

NONCE_LIFETIME = timedelta(minutes=5)


def new_nonce(session: Session, now: datetime | None = None) -> str:
    """A fresh c_nonce (stored hashed); expired ones are removed on the way."""
    now = now or utcnow()
    session.execute(delete(WalletNonce).where(WalletNonce.expires_at <= now))
    nonce = secrets.token_urlsafe(SECRET_BYTES)
    session.add(WalletNonce(nonce_hash=secret_hash(nonce), expires_at=now + NONCE_LIFETIME))
    return nonce


def spend_nonce(session: Session, nonce: str, now: datetime | None = None) -> bool:
    """Whether `nonce` was issued here, has not expired and was not spent; it is spent now."""
    now = now or utcnow()
    return (
        session.execute(
            delete(WalletNonce).where(
                WalletNonce.nonce_hash == secret_hash(nonce), WalletNonce.expires_at > now
            )
        ).rowcount
        == 1
    )
