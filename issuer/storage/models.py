"""The issuer's tables as typed SQLAlchemy 2 models.

The schema is owned by the Alembic scripts in `migrations/versions`; these classes must match them
(a test compares the two). Times are stored as naive UTC and handed back timezone-aware, so SQLite
and PostgreSQL behave the same.

What is deliberately *not* here: an e-mail address in clear (credentials name recipients by a
salted hash; the address a claim e-mail goes to is sealed like a private key), a private key in
clear (sealed by `issuer.secrets`), an API token or a claim token (only their hashes).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Credential states (the anchoring pipeline).
PENDING = "pending"
SUBMITTED = "submitted"
ANCHORED = "anchored"
CREDENTIAL_STATES = (PENDING, SUBMITTED, ANCHORED)

# Institution registration states on the registry.
REGISTERED = "registered"
AWAITING_GOVERNANCE = "awaiting-governance"

SCOPES = ("issue", "revoke", "admin")

# Achievement catalog states: the current version of an achievement, an older version (kept and
# served: credentials carry it), or a retired achievement (no new credentials).
ACTIVE = "active"
SUPERSEDED = "superseded"
RETIRED = "retired"
ACHIEVEMENT_STATES = (ACTIVE, SUPERSEDED, RETIRED)

# E-mail delivery of claim links (issuer.delivery): waiting for the credential to be anchored,
# queued (due at `next_attempt_at`), being sent, sent, failed (given up; `last_error` says why),
# or off (not asked for; an admin can still send it).
DELIVERY_WAITING = "waiting"
DELIVERY_QUEUED = "queued"
DELIVERY_SENDING = "sending"
DELIVERY_SENT = "sent"
DELIVERY_FAILED = "failed"
DELIVERY_OFF = "off"
DELIVERY_STATES = (
    DELIVERY_WAITING, DELIVERY_QUEUED, DELIVERY_SENDING, DELIVERY_SENT, DELIVERY_FAILED, DELIVERY_OFF,
)  # fmt: skip


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC, returned as an aware UTC datetime on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        int: Integer(),
        str: String(255),
    }


class Institution(Base):
    """An issuing institution: its DID and signing key, its Ethereum account, its registration."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    did: Mapped[str] = mapped_column(String(512), unique=True)
    did_web_host: Mapped[str | None] = mapped_column(String(255))
    """For did:web: the host (with `%3A` port) the DID document is served at."""
    did_web_path: Mapped[str | None] = mapped_column(String(255))
    """For did:web with a path: `a/b` (document at `/a/b/did.json`); None: `/.well-known/did.json`."""
    url: Mapped[str | None] = mapped_column(String(512))
    email: Mapped[str | None] = mapped_column(String(256))
    include_names: Mapped[bool] = mapped_column(Boolean, default=True)
    """Whether credentials (and so the database) carry recipients' names in clear."""
    deliver_email: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    """Whether recipients get a claim link by e-mail once their credential is anchored (each
    roster or request may say otherwise)."""
    logo_type: Mapped[str | None] = mapped_column(String(32))
    logo_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The logo drawn on the institution's certificates (PNG, or SVG sanitized on upload)."""
    signing_public_key: Mapped[str] = mapped_column(String(128))
    signing_key_sealed: Mapped[str] = mapped_column(Text)
    verification_method: Mapped[str] = mapped_column(String(700))
    key_fingerprint: Mapped[str] = mapped_column(String(66))
    key_valid_from: Mapped[int] = mapped_column(BigInteger)
    key_valid_until: Mapped[int | None] = mapped_column(BigInteger)
    eth_address: Mapped[str] = mapped_column(String(42), unique=True)
    eth_key_sealed: Mapped[str] = mapped_column(Text)
    registration_state: Mapped[str] = mapped_column(String(32), default=AWAITING_GOVERNANCE)
    chain_id: Mapped[int | None] = mapped_column(BigInteger)
    registry_address: Mapped[str | None] = mapped_column(String(42))
    """The registry the account and key were last seen registered on."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    earlier_keys: Mapped[list[SigningKey]] = relationship(
        lazy="select", order_by="SigningKey.id", viewonly=True
    )
    """Signing keys this institution used before its current one (rotated or retired)."""


class SigningKey(Base):
    """A signing key an institution used before its current one: kept so that its did:web DID
    document still lists it (credentials signed with it keep verifying while the registry's
    window for it says so) and so that it can be retired after a compromise. Its secret is not kept."""

    __tablename__ = "signing_keys"
    __table_args__ = (UniqueConstraint("institution_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(66))
    public_key: Mapped[str] = mapped_column(String(128))
    verification_method: Mapped[str] = mapped_column(String(700))
    valid_from: Mapped[int] = mapped_column(BigInteger)
    valid_until: Mapped[int | None] = mapped_column(BigInteger)
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatusList(Base):
    """One W3C Bitstring Status List of an institution; `bits` is the raw (uncompressed) bitstring."""

    __tablename__ = "status_lists"
    __table_args__ = (UniqueConstraint("institution_id", "purpose", "sequence"),)

    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16), default="revocation")
    sequence: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    next_index: Mapped[int] = mapped_column(Integer, default=0)
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    permutation_key: Mapped[bytes] = mapped_column(LargeBinary)
    """Key of the pseudo-random permutation that maps allocation order to list positions."""
    version: Mapped[int] = mapped_column(Integer, default=0)
    """Bumped on every change of `bits`, so a signed list can be cached until the next change."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Batch(Base):
    """A Merkle batch: recorded with its root before the anchoring transaction is sent."""

    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    root: Mapped[str] = mapped_column(String(66), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default=SUBMITTED, index=True)
    chain_id: Mapped[int | None] = mapped_column(BigInteger)
    registry_address: Mapped[str | None] = mapped_column(String(42))
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    block_time: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    anchored_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    self_check: Mapped[str | None] = mapped_column(String(64))
    """'ok' or the verifier's failure code for the sampled credential."""
    self_check_message: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime | None] = mapped_column()
    """When the root was last seen on chain (lost-anchor detection)."""


class Achievement(Base):
    """One version of an achievement in an institution's catalog (Open Badges 3.0 `Achievement`).

    A version never changes once created: an edit is a new row with the same `series_id` and the
    next `version`, so credentials issued with an earlier version keep (and keep serving) theirs.
    """

    __tablename__ = "achievements"
    __table_args__ = (UniqueConstraint("series_id", "version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    """The UUID; the achievement's `id` is `<public base URL>/achievements/<uuid>`."""
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    series_id: Mapped[str] = mapped_column(String(36), index=True)
    """The UUID of the first version: every version of one achievement shares it."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    starter: Mapped[str | None] = mapped_column(String(64))
    """The built-in template it was copied from, if any."""
    validity: Mapped[str | None] = mapped_column(String(32))
    """ISO 8601 duration: validUntil = validFrom + validity (None: credentials do not expire)."""
    achievement_json: Mapped[str] = mapped_column(Text)
    """The OB 3.0 Achievement exactly as credentials carry it (with its id and image)."""
    image_type: Mapped[str | None] = mapped_column(String(32))
    image_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column()


class IdempotencyKey(Base):
    """The first answer to a request sent with an `Idempotency-Key` header, replayed on a retry.

    `request_hash` tells a retry (same body) from a reuse of the key for another request (an
    error, as the IETF draft says). `status` is None while the first request is being answered.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("institution_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    response_json: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Credential(Base):
    """An issued credential: the signed JSON (what the Merkle leaf commits to) and its pipeline state."""

    __tablename__ = "credentials"
    __table_args__ = (
        Index("ix_credentials_queue", "institution_id", "state", "issued_at"),
        Index("ix_credentials_revocation", "revoked", "revocation_tx"),
        Index("ix_credentials_duplicate", "institution_id", "duplicate_key"),
        UniqueConstraint("status_list_id", "status_index"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    """The UUID; the credential's `id` is `<public base URL>/credentials/<uuid>`."""
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    template: Mapped[str] = mapped_column(String(64))
    """The built-in template's slug, or `catalog` for a credential of a catalog achievement."""
    achievement_id: Mapped[str | None] = mapped_column(ForeignKey("achievements.id"), index=True)
    """The catalog achievement (version) it awards; None for one issued from a built-in template."""
    duplicate_key: Mapped[str | None] = mapped_column(String(64))
    """HMAC of (recipient e-mail, achievement, validFrom): finds the same award issued again."""
    recipient_hash: Mapped[str] = mapped_column(String(80))
    recipient_name: Mapped[str | None] = mapped_column(String(256))
    signed_json: Mapped[str] = mapped_column(Text)
    anchor_proof_json: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)
    leaf_index: Mapped[int | None] = mapped_column(Integer)
    status_list_id: Mapped[str] = mapped_column(ForeignKey("status_lists.id"))
    status_index: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    valid_from: Mapped[datetime] = mapped_column()
    valid_until: Mapped[datetime | None] = mapped_column()
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    revocation_code: Mapped[int | None] = mapped_column(Integer)
    revoked_at: Mapped[datetime | None] = mapped_column()
    revocation_tx: Mapped[str | None] = mapped_column(String(66))
    """The registry transaction that revoked it on chain; None while that is still to do."""


class ApiToken(Base):
    """An API token: its SHA-256 only, the institution it acts for and what it may do."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    scopes: Mapped[str] = mapped_column(String(64))
    """Space-separated subset of SCOPES."""
    label: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()


class AdminSession(Base):
    """A logged-in admin UI session (issuer.storage.admin_sessions): the cookie holds a random
    secret, this row only its SHA-256. Logging out deletes the row; so does revoking its token."""

    __tablename__ = "admin_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnchorRequest(Base):
    """`medcred anchor` asking the worker that holds the lease (another process) to flush now."""

    __tablename__ = "anchor_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(Base):
    """An audit trail of what the service did (never a secret or personal data)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    kind: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(256))
    detail: Mapped[str | None] = mapped_column(Text)


class Delivery(Base):
    """The claim e-mail of one credential (issuer.delivery): where it goes (sealed under the master
    key, bound to the credential), a keyed fingerprint of the address (to find a learner's
    credentials when they ask for a new link), and where sending stands."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "state", "next_attempt_at"),)

    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    email_sealed: Mapped[str] = mapped_column(Text)
    email_key: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16), default=DELIVERY_WAITING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    """When a queued e-mail is due (retries back off); while sending: when the sender's claim lapses."""
    last_error: Mapped[str | None] = mapped_column(Text)
    """Why the last attempt failed, in words (the address itself is never written here)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()


class ClaimToken(Base):
    """A claim link's token (`/claim/<token>`): only its SHA-256 is stored; it expires."""

    __tablename__ = "claim_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()


class WalletOffer(Base):
    """An OpenID4VCI credential offer for one credential (issuer.wallet.offers): the pre-authorized
    code and the access token it was exchanged for are stored only as SHA-256 hashes; each is
    single-use and expires. `issued_credential_id` is the holder-bound credential it gave."""

    __tablename__ = "wallet_offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_expires_at: Mapped[datetime] = mapped_column()
    code_used_at: Mapped[datetime | None] = mapped_column()
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column()
    issued_credential_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WalletNonce(Base):
    """A spent `c_nonce` (issuer.wallet.nonces): kept as its SHA-256 until it expires, so a
    replayed key proof is refused."""

    __tablename__ = "wallet_nonces"

    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
