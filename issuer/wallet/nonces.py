"""`c_nonce` values from the nonce endpoint (OpenID4VCI 1.0 §7), made without writing anything.

The nonce endpoint needs no authentication, so it must not store what anyone asks for. A nonce is
`<expiry>.<16 random bytes>.<HMAC-SHA256 of both>` under a key derived from the app's secret key:
any process of the deployment can check it. It is spent when a key proof that holds carries it
(the credential endpoint, behind an access token): only then is its SHA-256 written, until it
expires, so a replayed proof finds it spent (`invalid_nonce`). Spent entries past their expiry
are deleted as new ones are written.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from issuer.secrets import token_hash
from issuer.storage.models import WalletNonce, utcnow

NONCE_LIFETIME = timedelta(minutes=5)
RANDOM_BYTES = 16


def nonce_key(secret_key: bytes | str) -> bytes:
    """The MAC key of c_nonces, derived from the app's secret key (never the key itself)."""
    raw = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
    return hmac.new(raw, b"medcred oid4vci c_nonce", hashlib.sha256).digest()


def _mac(key: bytes, text: str) -> str:
    digest = hmac.new(key, text.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def new_nonce(key: bytes, now: datetime | None = None) -> str:
    """A fresh c_nonce, valid for NONCE_LIFETIME; nothing is stored."""
    expires = int(((now or utcnow()) + NONCE_LIFETIME).timestamp())
    text = f"{expires}.{secrets.token_urlsafe(RANDOM_BYTES)}"
    return f"{text}.{_mac(key, text)}"


def spend_nonce(session: Session, key: bytes, nonce: str, now: datetime | None = None) -> bool:
    """Whether `nonce` was made here, has not expired and was not spent; it is spent now."""
    now = now or utcnow()
    text, _, mac = nonce.rpartition(".")
    expiry, _, _random = text.partition(".")
    if not mac or not expiry.isdigit() or not hmac.compare_digest(_mac(key, text), mac):
        return False
    expires = datetime.fromtimestamp(int(expiry), UTC)
    if expires <= now:
        return False
    digest = token_hash(nonce)
    session.execute(delete(WalletNonce).where(WalletNonce.expires_at <= now))
    if session.scalar(select(WalletNonce.nonce_hash).where(WalletNonce.nonce_hash == digest)) is not None:
        return False
    session.add(WalletNonce(nonce_hash=digest, expires_at=expires))
    session.flush()  # a concurrent spender of the same nonce fails here on the primary key
    return True
