"""The database half of anchoring: closing a batch, marking it anchored, and undoing a lost anchor.

Each function is one transaction, so the pipeline's state is always one of:

    credential pending                        (no batch)
    credential submitted, batch submitted     (root and leaf indexes recorded; tx maybe sent)
    credential anchored, batch anchored       (anchor proof stored)

A batch's root and leaf indexes never change once recorded: a retry, a restart or a lost block
re-sends the *same* root, so no credential ever gets two roots.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from issuer.anchor_proof import AnchorInfo, attach_anchor_proofs
from issuer.institutions import record_event
from issuer.merkle_tree import MerkleTree, build_tree
from issuer.storage.database import Database
from issuer.storage.models import (
    ANCHORED,
    PENDING,
    SUBMITTED,
    AnchorRequest,
    Batch,
    Credential,
    utcnow,
)
from verifier.data_integrity import is_anchor_proof, proofs_of

_IN_CHUNK = 5000


class BatchIntegrityError(RuntimeError):
    """The stored batch does not rebuild to its recorded root: a bug or tampering, never retried."""


@dataclass(frozen=True)
class ClosedBatch:
    id: int
    institution_id: int
    root: str
    size: int


def due_institutions(
    session: Session, batch_size: int, max_age: float, force: set[int] | None, now: datetime | None = None
) -> list[int]:
    """Institutions with a batch to close: full, old enough, or forced (`force`, None = none)."""
    now = now or utcnow()
    rows = session.execute(
        select(Credential.institution_id, func.count(), func.min(Credential.issued_at))
        .where(Credential.state == PENDING)
        .group_by(Credential.institution_id)
    ).all()
    cutoff = now - timedelta(seconds=max_age)
    due = []
    for institution_id, count, oldest in rows:
        oldest_aware = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
        if count >= batch_size or oldest_aware <= cutoff or (force is not None and institution_id in force):
            due.append(int(institution_id))
    return sorted(due)


class _Raced(Exception):
    """Another worker moved some of the selected credentials: roll the whole batch back."""


def close_batch(db: Database, institution_id: int, batch_size: int) -> ClosedBatch | None:
    """Take up to `batch_size` pending credentials (oldest first) into a new submitted batch."""
    try:
        return _close_batch(db, institution_id, batch_size)
    except _Raced:
        return None


def _close_batch(db: Database, institution_id: int, batch_size: int) -> ClosedBatch | None:
    # The tree is built from a read-only snapshot, before the write transaction: hashing a thousand
    # credentials takes a good part of a second, and on SQLite every issuer would wait for the
    # write lock meanwhile. Safe because a credential's signed JSON never changes, and the write
    # below moves the credentials only if every one of them is still pending (else _Raced: the
    # whole transaction rolls back and nothing is batched).
    with db.reader() as session:
        rows = session.execute(
            select(Credential.id, Credential.signed_json)
            .where(Credential.institution_id == institution_id, Credential.state == PENDING)
            .order_by(Credential.issued_at, Credential.id)
            .limit(batch_size)
        ).all()
    if not rows:
        return None
    ids = [r.id for r in rows]
    tree = build_tree([json.loads(r.signed_json) for r in rows])
    with db.session() as session:
        batch = Batch(
            institution_id=institution_id,
            root=tree.root_hex,
            size=len(ids),
            state=SUBMITTED,
            created_at=utcnow(),
        )
        session.add(batch)
        session.flush()
        moved = 0
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start : start + _IN_CHUNK]
            result = session.execute(
                update(Credential)
                .where(Credential.id.in_(chunk), Credential.state == PENDING)
                .values(state=SUBMITTED, batch_id=batch.id)
                .execution_options(synchronize_session=False)
            )
            moved += result.rowcount
        if moved != len(ids):  # another worker took some meanwhile: leave everything as it was
            raise _Raced
        session.execute(
            update(Credential).execution_options(synchronize_session=False),
            [{"id": cid, "leaf_index": i} for i, cid in enumerate(ids)],
        )
        record_event(session, institution_id, "batch.submitted", tree.root_hex, {"size": len(ids)})
        return ClosedBatch(batch.id, institution_id, tree.root_hex, len(ids))


def batch_tree(session: Session, batch: Batch) -> tuple[list[str], list[dict], MerkleTree]:
    """The batch's credential ids and signed documents in leaf order, and its rebuilt tree."""
    rows = session.execute(
        select(Credential.id, Credential.signed_json)
        .where(Credential.batch_id == batch.id)
        .order_by(Credential.leaf_index)
    ).all()
    documents = [json.loads(r.signed_json) for r in rows]
    tree = build_tree(documents)
    if tree.root_hex != batch.root or len(rows) != batch.size:
        raise BatchIntegrityError(
            f"Batch {batch.id} no longer rebuilds to its root {batch.root}: refusing to anchor it."
        )
    return [r.id for r in rows], documents, tree


def record_sent(db: Database, batch_id: int, tx_hash: str) -> None:
    with db.session() as session:
        batch = session.get(Batch, batch_id)
        assert batch is not None
        batch.tx_hash = tx_hash
        batch.sent_at = utcnow()


def record_attempt(db: Database, batch_id: int, chain_id: int, registry: str) -> None:
    """Count a send attempt and remember which registry it went to."""
    with db.session() as session:
        batch = session.get(Batch, batch_id)
        assert batch is not None
        batch.chain_id, batch.registry_address = chain_id, registry
        batch.attempts = batch.attempts + 1


def record_error(db: Database, batch_id: int, message: str) -> None:
    with db.session() as session:
        batch = session.get(Batch, batch_id)
        if batch is not None:
            batch.last_error = message[:2000]


def mark_anchored(db: Database, batch_id: int, anchor: AnchorInfo) -> tuple[str, dict]:
    """Attach anchor proofs to every credential and mark the batch anchored; returns a sample document.

    The tree and the proofs are computed from a read-only snapshot first, so the write transaction
    only stores them (see _close_batch for why). A batch's members, leaf indexes and signed
    documents never change once it is recorded, so the snapshot is what the write stores against;
    the root and size are checked again under the lock all the same.
    """
    with db.reader() as session:
        batch = session.get(Batch, batch_id)
        assert batch is not None
        ids, documents, tree = batch_tree(session, batch)
        root = batch.root
    anchored = attach_anchor_proofs(documents, tree, anchor)
    updates = []
    for credential_id, document in zip(ids, anchored, strict=True):
        proof = next(p for p in proofs_of(document) if is_anchor_proof(p))
        updates.append(
            {
                "id": credential_id,
                "anchor_proof_json": json.dumps(proof, separators=(",", ":")),
                "state": ANCHORED,
            }
        )
    with db.session() as session:
        batch = session.get(Batch, batch_id, with_for_update=True)
        assert batch is not None
        if batch.root != root or batch.size != len(ids):
            raise BatchIntegrityError(f"Batch {batch_id} changed while its proofs were computed.")
        session.execute(update(Credential).execution_options(synchronize_session=False), updates)
        tx = anchor.transaction_hash
        batch.state = ANCHORED
        batch.tx_hash = tx if isinstance(tx, str) else "0x" + tx.hex()
        batch.block_number = anchor.block_number
        batch.block_time = anchor.block_time
        batch.chain_id = anchor.chain_id
        batch.registry_address = anchor.registry
        batch.anchored_at = utcnow()
        batch.checked_at = utcnow()
        batch.last_error = None
        record_event(
            session,
            batch.institution_id,
            "batch.anchored",
            batch.root,
            {"tx": batch.tx_hash, "size": batch.size},
        )
        sample = len(ids) // 2
        return ids[sample], anchored[sample]


def record_self_check(db: Database, batch_id: int, code: str, message: str) -> None:
    with db.session() as session:
        batch = session.get(Batch, batch_id)
        assert batch is not None
        batch.self_check, batch.self_check_message = code, message


def mark_lost(db: Database, batch_id: int, reason: str) -> None:
    """The root is no longer on the registry: back to submitted, to be anchored again (same root)."""
    with db.session() as session:
        batch = session.get(Batch, batch_id, with_for_update=True)
        assert batch is not None
        if batch.state != ANCHORED:
            return
        batch.state = SUBMITTED
        batch.tx_hash = None
        batch.block_number = None
        batch.block_time = None
        batch.sent_at = None
        batch.anchored_at = None
        batch.self_check = None
        batch.last_error = reason
        session.execute(
            update(Credential)
            .where(Credential.batch_id == batch_id)
            .values(state=SUBMITTED, anchor_proof_json=None, revocation_tx=None)
            .execution_options(synchronize_session=False)
        )
        record_event(session, batch.institution_id, "batch.anchor-lost", batch.root, {"reason": reason})


def mark_checked(db: Database, batch_ids: Sequence[int]) -> None:
    if not batch_ids:
        return
    with db.session() as session:
        session.execute(
            update(Batch)
            .where(Batch.id.in_(list(batch_ids)))
            .values(checked_at=utcnow())
            .execution_options(synchronize_session=False)
        )


def submitted_batches(session: Session, institution_id: int | None = None) -> list[Batch]:
    query = select(Batch).where(Batch.state == SUBMITTED).order_by(Batch.id)
    if institution_id is not None:
        query = query.where(Batch.institution_id == institution_id)
    return list(session.scalars(query))


def batches_to_recheck(session: Session, older_than: datetime, limit: int = 200) -> list[Batch]:
    return list(
        session.scalars(
            select(Batch)
            .where(Batch.state == ANCHORED, (Batch.checked_at.is_(None)) | (Batch.checked_at < older_than))
            .order_by(Batch.checked_at)
            .limit(limit)
        )
    )


def take_anchor_requests(db: Database) -> set[int | None]:
    """Flush requests from `medcred anchor` in another process (None = all institutions)."""
    with db.session() as session:
        requests = list(session.scalars(select(AnchorRequest)))
        for request in requests:
            session.delete(request)
        return {r.institution_id for r in requests}


def outstanding(session: Session, institution_id: int | None = None, before: datetime | None = None) -> int:
    """Credentials not yet anchored (pending or submitted), optionally only those issued before `before`."""
    query = select(func.count()).select_from(Credential).where(Credential.state != ANCHORED)
    if institution_id is not None:
        query = query.where(Credential.institution_id == institution_id)
    if before is not None:
        query = query.where(Credential.issued_at <= before)
    return int(session.scalar(query) or 0)
