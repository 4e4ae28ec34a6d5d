"""Status list positions and bits in the database.

Each institution has revocation lists of 131,072 entries (`<slug>-1`, `<slug>-2`, ...: a new one is
opened when the current one is full). Allocation is a counter per list, taken under a row lock, so
concurrent issuers never hand out the same position; the counter is then mapped to a position by a
keyed pseudo-random permutation, because the Bitstring Status List specification asks that a
position not reveal issuing order (herd privacy). The permutation's key is per list and random.

The bits live in `status_lists.bits` (raw, 16 KiB); revoking sets bits under the same row lock and
bumps `version`, which the signed list credential is cached by.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from issuer.status_list import DEFAULT_LENGTH, StatusList
from issuer.storage.errors import NotFoundError
from issuer.storage.models import Institution, utcnow
from issuer.storage.models import StatusList as StatusListRow

REVOCATION = "revocation"
_ROUNDS = 4


def list_id_for(slug: str, sequence: int) -> str:
    return f"{slug}-{sequence}"


def permute(counter: int, size: int, key: bytes) -> int:
    """A bijection of range(size) (size a power of two >= 4) chosen by `key`.

    A balanced Feistel network over the next even number of bits, cycle-walking back into range:
    every counter gets a distinct position, and without the key the order is unpredictable.
    """
    if not 0 <= counter < size:
        raise ValueError("counter out of range")
    bits = max(2, (size - 1).bit_length())
    bits += bits % 2
    half = bits // 2
    mask = (1 << half) - 1
    value = counter
    while True:
        left, right = value >> half, value & mask
        for round_number in range(_ROUNDS):
            digest = hmac.new(key, bytes([round_number]) + right.to_bytes(4, "big"), hashlib.sha256).digest()
            left, right = right, left ^ (int.from_bytes(digest[:4], "big") & mask)
        value = (left << half) | right
        if value < size:
            return value


def _current_list(session: Session, institution: Institution, purpose: str) -> StatusListRow | None:
    return session.scalars(
        select(StatusListRow)
        .where(StatusListRow.institution_id == institution.id, StatusListRow.purpose == purpose)
        .order_by(StatusListRow.sequence.desc())
        .limit(1)
        .with_for_update()
    ).first()


def _open_list(session: Session, institution: Institution, purpose: str, sequence: int) -> StatusListRow:
    row = StatusListRow(
        id=list_id_for(institution.slug, sequence),
        institution_id=institution.id,
        purpose=purpose,
        sequence=sequence,
        size=DEFAULT_LENGTH,
        next_index=0,
        bits=bytes(DEFAULT_LENGTH // 8),
        permutation_key=secrets.token_bytes(16),
        version=0,
        updated_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def allocate(
    session: Session, institution: Institution, count: int, purpose: str = REVOCATION
) -> list[tuple[str, int]]:
    """`count` fresh (list id, position) pairs, opening new lists as needed.

    Call it in a short transaction of its own: it locks the institution's current list until commit.
    On PostgreSQL two transactions opening the same next list collide on its unique key; the loser
    gets an IntegrityError and should retry (the service does).
    """
    allocated: list[tuple[str, int]] = []
    row = _current_list(session, institution, purpose)
    while len(allocated) < count:
        if row is None or row.next_index >= row.size:
            row = _open_list(session, institution, purpose, (row.sequence + 1) if row else 1)
        take = min(count - len(allocated), row.size - row.next_index)
        start = row.next_index
        row.next_index = start + take
        key = row.permutation_key
        allocated.extend((row.id, permute(c, row.size, key)) for c in range(start, start + take))
    session.flush()
    return allocated


def get_list(session: Session, list_id: str, *, lock: bool = False) -> StatusListRow:
    query = select(StatusListRow).where(StatusListRow.id == list_id)
    if lock:
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is None:
        raise NotFoundError(f"There is no status list {list_id!r}.")
    return row


def set_bits(session: Session, list_id: str, indexes: Iterable[int], value: bool = True) -> int:
    """Set (or clear) positions of one list; returns how many bits changed."""
    row = get_list(session, list_id, lock=True)
    bitstring = StatusList.from_bytes(row.bits)
    changed = 0
    for index in indexes:
        if bitstring.get(index) != value:
            bitstring.set(index, value)
            changed += 1
    if changed:
        row.bits = bitstring.to_bytes()
        row.version = row.version + 1
        row.updated_at = utcnow()
    return changed


def set_bits_grouped(session: Session, positions: Sequence[tuple[str, int]], value: bool = True) -> int:
    """`set_bits` for positions spread over several lists (one lock per list, in id order)."""
    by_list: dict[str, list[int]] = {}
    for list_id, index in positions:
        by_list.setdefault(list_id, []).append(index)
    return sum(set_bits(session, list_id, by_list[list_id], value) for list_id in sorted(by_list))


def lists_of(session: Session, institution: Institution) -> list[StatusListRow]:
    return list(
        session.scalars(
            select(StatusListRow)
            .where(StatusListRow.institution_id == institution.id)
            .order_by(StatusListRow.sequence)
        )
    )


def allocated_count(session: Session, institution: Institution) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(StatusListRow.next_index), 0)).where(
                StatusListRow.institution_id == institution.id
            )
        )
        or 0
    )
