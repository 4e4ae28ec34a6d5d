"""Idempotency keys (IETF draft-ietf-httpapi-idempotency-key-header): a retried request gets the
first answer instead of issuing again.

A key belongs to one institution. `begin` records the key with the request's fingerprint before
the request runs, in its own transaction, so two concurrent requests with one key cannot both run
(the unique constraint lets one insert win). Then:

- same key, same fingerprint, answered: the stored answer is replayed;
- same key, same fingerprint, still running: 409 Conflict (the draft's answer), unless the first
  attempt is older than `STALE_AFTER` (its process died): then this request takes it over;
- same key, another fingerprint (another body or endpoint): 422 (`KeyReusedError`).

Only successful answers are stored; a failed request releases its key so a retry runs again.
Keys are kept `KEEP_FOR` (then purged as new keys arrive).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from issuer.storage.database import Database
from issuer.storage.errors import ConflictError
from issuer.storage.models import IdempotencyKey, utcnow
from verifier.errors import InputError

KEEP_FOR = timedelta(hours=24)
STALE_AFTER = timedelta(seconds=120)
MAX_KEY_LENGTH = 255


class KeyReusedError(InputError):
    """The Idempotency-Key was already used for a different request (HTTP 422)."""


class RequestInProgressError(ConflictError):
    """A request with this Idempotency-Key is still being answered (HTTP 409)."""


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    body: str
    location: str | None


def check_key(value: str) -> str:
    """The key from the header: an sf-string (`"abc"`) or a bare token of printable ASCII."""
    key = value.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not key or len(key) > MAX_KEY_LENGTH or any(not 0x20 < ord(c) < 0x7F for c in key):
        raise InputError(
            f"The Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters (e.g. a UUID)."
        )
    return key


def begin(db: Database, institution_id: int, key: str, fingerprint: str) -> int | StoredAnswer:
    """Claim `key` for this request (returns the claim's id), or the stored answer to replay.

    Raises KeyReusedError (422) or RequestInProgressError (409) as the module docstring says.
    """
    now = utcnow()
    for _attempt in range(3):
        try:
            with db.session() as session:
                session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < now - KEEP_FOR))
                row = IdempotencyKey(
                    institution_id=institution_id, key=key, request_hash=fingerprint, created_at=now
                )
                session.add(row)
                session.flush()
                return row.id
        except IntegrityError:
            pass
        with db.session() as session:
            row = session.scalars(
                select(IdempotencyKey)
                .where(IdempotencyKey.institution_id == institution_id, IdempotencyKey.key == key)
                .with_for_update()
            ).first()
            if row is None:  # released meanwhile: try to claim it again
                continue
            if row.request_hash != fingerprint:
                raise KeyReusedError(
                    "This Idempotency-Key was already used for a different request; use a new key "
                    "for a new request."
                )
            if row.status is not None and row.response_json is not None:
                return StoredAnswer(row.status, row.response_json, row.location)
            if row.created_at > now - STALE_AFTER:
                raise RequestInProgressError(
                    "A request with this Idempotency-Key is still being processed; retry shortly."
                )
            row.created_at = now  # the first attempt died: this one takes the key over
            return row.id
    raise RequestInProgressError(
        "A request with this Idempotency-Key is still being processed; retry shortly."
    )


def finish(db: Database, claim: int, status: int, body: str, location: str | None) -> None:
    """Store the answer to replay for the claimed key."""
    with db.session() as session:
        row = session.get(IdempotencyKey, claim)
        if row is not None:
            row.status, row.response_json, row.location = status, body, location


def release(db: Database, claim: int) -> None:
    """Forget a claim whose request failed, so that a retry runs again."""
    with db.session() as session:
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claim))
