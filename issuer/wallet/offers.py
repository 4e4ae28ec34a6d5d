"""Credential offers with a pre-authorized code, and the access tokens they are exchanged for.

One offer is made for one credential, when its claim page is opened (the claim token is the
learner's proof of who they are: the pre-authorized code carries that authorization to the
wallet). The code and the access token are 32 random bytes each (`secrets.token_urlsafe`); the
database keeps only their SHA-256, so a copy of it redeems nothing. A code is used once and
expires (`CODE_LIFETIME`); its access token expires too (`TOKEN_LIFETIME`) and gives one credential.
Each step is one conditional UPDATE, so two wallets racing with the same code or token cannot both
win (OpenID4VCI 1.0 §13.6: pre-authorized codes are single-use, short-lived).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from issuer.secrets import token_hash as secret_hash
from issuer.storage.models import WalletOffer, utcnow
from issuer.wallet.errors import Oid4vciError
from issuer.wallet.metadata import CONFIGURATION_ID, PRE_AUTHORIZED_GRANT, issuer_identifier

SECRET_BYTES = 32
CODE_LIFETIME = timedelta(minutes=15)
TOKEN_LIFETIME = timedelta(minutes=10)
OFFER_SCHEME = "openid-credential-offer://"
_ISSUING = ""
"""`issued_credential_id` while the credential endpoint signs (claims the token against a race)."""


@dataclass(frozen=True)
class CredentialOffer:
    """An offer as the wallet receives it (OpenID4VCI 1.0 §4.1.1), with its code's expiry."""

    credential_issuer: str
    pre_authorized_code: str
    expires_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The Credential Offer object: issuer, configuration ids, the pre-authorized code grant."""
        return {
            "credential_issuer": self.credential_issuer,
            "credential_configuration_ids": [CONFIGURATION_ID],
            "grants": {PRE_AUTHORIZED_GRANT: {"pre-authorized_code": self.pre_authorized_code}},
        }

    @property
    def deep_link(self) -> str:
        """`openid-credential-offer://?credential_offer=<the offer, URL-encoded>` (by value)."""
        text = json.dumps(self.to_json(), separators=(",", ":"))
        return f"{OFFER_SCHEME}?credential_offer={quote(text, safe='')}"


@dataclass(frozen=True)
class AccessGrant:
    """What a valid access token allows: the offer it came from and its credential."""

    offer_id: int
    credential_id: str


def create_offer(session: Session, credential_id: str, base_url: str) -> CredentialOffer:
    """Store a new offer for `credential_id` and return it (the code itself is never stored)."""
    code = secrets.token_urlsafe(SECRET_BYTES)
    expires = utcnow() + CODE_LIFETIME
    session.add(
        WalletOffer(credential_id=credential_id, code_hash=secret_hash(code), code_expires_at=expires)
    )
    return CredentialOffer(issuer_identifier(base_url), code, expires)


def redeem_code(session: Session, code: str, now: datetime | None = None) -> tuple[str, int]:
    """Exchange a pre-authorized code for an access token: (token, its lifetime in seconds).

    Oid4vciError `invalid_grant` for a code that is unknown, expired or already used.
    """
    now = now or utcnow()
    token = secrets.token_urlsafe(SECRET_BYTES)
    code_hash = secret_hash(code)
    won = session.execute(
        update(WalletOffer)
        .where(
            WalletOffer.code_hash == code_hash,
            WalletOffer.code_used_at.is_(None),
            WalletOffer.code_expires_at > now,
        )
        .values(code_used_at=now, token_hash=secret_hash(token), token_expires_at=now + TOKEN_LIFETIME)
    ).rowcount
    if won == 1:
        return token, int(TOKEN_LIFETIME.total_seconds())
    row = session.scalar(select(WalletOffer).where(WalletOffer.code_hash == code_hash))
    if row is None:
        raise Oid4vciError("invalid_grant", "The pre-authorized code is not known here.")
    if row.code_used_at is not None:
        raise Oid4vciError(
            "invalid_grant", "The pre-authorized code was already used: open the claim page again."
        )
    raise Oid4vciError("invalid_grant", "The pre-authorized code has expired: open the claim page again.")


def _token_error(description: str) -> Oid4vciError:
    return Oid4vciError("invalid_token", description)


def check_access_token(session: Session, token: str | None, now: datetime | None = None) -> AccessGrant:
    """The grant a bearer access token carries; Oid4vciError `invalid_token` (401) if it is
    unknown, expired or has given its credential already."""
    if not token:
        raise _token_error("The request has no access token (Authorization: Bearer ...).")
    now = now or utcnow()
    row = session.scalar(select(WalletOffer).where(WalletOffer.token_hash == secret_hash(token)))
    if row is None or row.token_expires_at is None:
        raise _token_error("The access token is not known here.")
    if row.token_expires_at <= now:
        raise _token_error("The access token has expired.")
    if row.issued_credential_id is not None:
        raise _token_error("The access token was used already: it gives one credential.")
    return AccessGrant(row.id, row.credential_id)


def claim_access_token(session: Session, grant: AccessGrant, now: datetime | None = None) -> None:
    """Mark the grant's token as being used (one credential per token); `invalid_token` if another
    request took it first or it expired meanwhile."""
    now = now or utcnow()
    won = session.execute(
        update(WalletOffer)
        .where(
            WalletOffer.id == grant.offer_id,
            WalletOffer.issued_credential_id.is_(None),
            WalletOffer.token_expires_at > now,
        )
        .values(issued_credential_id=_ISSUING)
    ).rowcount
    if won != 1:
        raise _token_error("The access token was used already: it gives one credential.")


def finish_access_token(session: Session, grant: AccessGrant, issued_credential_id: str | None) -> None:
    """Record the holder-bound credential the token gave, or (None) release a claim that failed."""
    session.execute(
        update(WalletOffer)
        .where(WalletOffer.id == grant.offer_id)
        .values(issued_credential_id=issued_credential_id)
    )
