"""Each credential's claim e-mail as a database row, and how that row moves.

    waiting --(credential anchored)--> queued --> sending --> sent
       |                                 ^          |
       |                                 +--retry---+--(refused, or out of attempts)--> failed
       +--(revoked before anchoring)--> off           resend: any state but revoked --> queued/waiting

The recipient's address is sealed under the master key (AES-GCM, bound to the credential id);
`email_key` is a keyed HMAC of the normalized address, to find a learner's credentials when they
ask for a new link without storing or scanning addresses. A worker takes a queued row by a
compare-and-set to `sending` with a deadline, so two workers never send the same row, and a
worker that died mid-send leaves a row that becomes due again at the deadline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from issuer.storage.models import (
    ANCHORED,
    DELIVERY_FAILED,
    DELIVERY_OFF,
    DELIVERY_QUEUED,
    DELIVERY_SENDING,
    DELIVERY_SENT,
    DELIVERY_WAITING,
    Credential,
    Delivery,
    utcnow,
)
from verifier.identity import normalize_email

SENDING_LEASE = timedelta(minutes=5)
"""How long a worker may take over one e-mail before another may pick it up again."""
MAX_ERROR = 500
REVOKED_NOTE = "The credential was revoked before it was sent."


def seal_purpose(credential_id: str) -> str:
    return f"delivery:{credential_id}"


def email_key(fingerprint: Callable[[str, str], str], email: str) -> str:
    return fingerprint(normalize_email(email), "claim-recipient")


@dataclass(frozen=True)
class DeliveryState:
    """Where a credential's claim e-mail stands (what the API and the admin UI show)."""

    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    queued_at: datetime | None
    sent_at: datetime | None

    @classmethod
    def of(cls, row: Delivery) -> DeliveryState:
        return cls(
            state=row.state,
            attempts=row.attempts,
            last_error=row.last_error,
            next_attempt_at=row.next_attempt_at if row.state == DELIVERY_QUEUED else None,
            queued_at=row.queued_at,
            sent_at=row.sent_at,
        )


def planned_rows(
    seal: Callable[[str, str], str],
    fingerprint: Callable[[str, str], str],
    institution_id: int,
    credential_ids: Sequence[str],
    emails: Sequence[str | None],
    deliver: bool,
) -> list[dict[str, Any]]:
    """Delivery rows to insert with freshly issued credentials (none for a recipient without an
    e-mail, e.g. a VC-API subject named only by a DID)."""
    now = utcnow()
    return [
        {
            "credential_id": credential_id,
            "institution_id": institution_id,
            "email_sealed": seal(email, seal_purpose(credential_id)),
            "email_key": email_key(fingerprint, email),
            "state": DELIVERY_WAITING if deliver else DELIVERY_OFF,
            "attempts": 0,
            "created_at": now,
        }
        for credential_id, email in zip(credential_ids, emails, strict=True)
        if email
    ]


def promote_anchored(session: Session, limit: int = 500) -> int:
    """Queue the waiting e-mails of anchored credentials; turn off those revoked meanwhile."""
    now = utcnow()
    rows = session.execute(
        select(Delivery.credential_id, Credential.revoked)
        .join(Credential, Credential.id == Delivery.credential_id)
        .where(Delivery.state == DELIVERY_WAITING, or_(Credential.state == ANCHORED, Credential.revoked))
        .limit(limit)
    ).all()
    for credential_id, revoked in rows:
        values: dict[str, Any] = (
            {"state": DELIVERY_OFF, "last_error": REVOKED_NOTE}
            if revoked
            else {"state": DELIVERY_QUEUED, "next_attempt_at": now, "queued_at": now}
        )
        session.execute(
            update(Delivery)
            .where(Delivery.credential_id == credential_id, Delivery.state == DELIVERY_WAITING)
            .values(**values)
        )
    return len(rows)


def due_ids(session: Session, limit: int) -> list[str]:
    """Queued e-mails that are due, and ones whose sender died mid-send (oldest first)."""
    now = utcnow()
    return list(
        session.scalars(
            select(Delivery.credential_id)
            .where(
                Delivery.state.in_((DELIVERY_QUEUED, DELIVERY_SENDING)),
                Delivery.next_attempt_at <= now,
            )
            .order_by(Delivery.next_attempt_at)
            .limit(limit)
        )
    )


def take(session: Session, credential_id: str) -> Delivery | None:
    """Claim a due row for sending (compare-and-set); None if another worker took it first."""
    now = utcnow()
    taken = session.execute(
        update(Delivery)
        .where(
            Delivery.credential_id == credential_id,
            Delivery.state.in_((DELIVERY_QUEUED, DELIVERY_SENDING)),
            Delivery.next_attempt_at <= now,
        )
        .values(state=DELIVERY_SENDING, next_attempt_at=now + SENDING_LEASE)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(Delivery, credential_id)


def mark_sent(session: Session, credential_id: str) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.credential_id == credential_id)
        .values(state=DELIVERY_SENT, sent_at=utcnow(), last_error=None, next_attempt_at=None)
    )


def mark_failed(
    session: Session, credential_id: str, reason: str, *, retry_in: float | None, give_up_after: int
) -> str:
    """Record a failed attempt: queued again after `retry_in` seconds, or failed for good when
    `retry_in` is None (refused) or the attempts are used up. Returns the new state."""
    row = session.get(Delivery, credential_id)
    assert row is not None
    attempts = row.attempts + 1
    final = retry_in is None or attempts >= give_up_after
    if final and retry_in is not None:
        reason = f"Gave up after {attempts} attempts. Last: {reason}"
    session.execute(
        update(Delivery)
        .where(Delivery.credential_id == credential_id)
        .values(
            attempts=attempts,
            last_error=reason[:MAX_ERROR],
            state=DELIVERY_FAILED if final else DELIVERY_QUEUED,
            next_attempt_at=None if final else utcnow() + timedelta(seconds=retry_in or 0),
        )
    )
    return DELIVERY_FAILED if final else DELIVERY_QUEUED


def requeue(session: Session, row: Delivery, anchored: bool) -> None:
    """Send again (an admin's resend, a learner's request): now if anchored, else once it is."""
    now = utcnow()
    row.state = DELIVERY_QUEUED if anchored else DELIVERY_WAITING
    row.attempts = 0
    row.last_error = None
    row.next_attempt_at = now if anchored else None
    row.queued_at = now if anchored else None


def states_of(session: Session, credential_ids: Sequence[str]) -> dict[str, DeliveryState]:
    """{credential id: its delivery state} for those that have one."""
    found: dict[str, DeliveryState] = {}
    ids = list(credential_ids)
    for start in range(0, len(ids), 500):
        for row in session.scalars(
            select(Delivery).where(Delivery.credential_id.in_(ids[start : start + 500]))
        ):
            found[row.credential_id] = DeliveryState.of(row)
    return found


def recently_requeued(row: Delivery, within: timedelta) -> bool:
    """Whether a learner's request for a new link would repeat one made moments ago."""
    last = row.queued_at or row.sent_at
    return row.state in (DELIVERY_QUEUED, DELIVERY_SENDING) or (last is not None and utcnow() - last < within)


def for_address(session: Session, key: str, limit: int = 50) -> list[tuple[Delivery, Credential]]:
    """Delivery rows (with their credentials) of one address fingerprint, anchored and unrevoked."""
    return [
        (d, c)
        for d, c in session.execute(
            select(Delivery, Credential)
            .join(Credential, Credential.id == Delivery.credential_id)
            .where(
                and_(Delivery.email_key == key, Credential.state == ANCHORED, Credential.revoked.is_(False))
            )
            .limit(limit)
        ).all()
    ]
