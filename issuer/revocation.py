"""Revoking credentials: in the database and the status list at once, on the registry when anchored.

The database and the status list bit change in one transaction, so the signed status list that
the web layer serves reflects a revocation as soon as `mark_revoked` returns. The registry can only
revoke a leaf of an anchored root, so a credential still pending or submitted keeps
`revocation_tx = NULL`, and `push_revocations` (called right away by the service and on every pass
of the anchoring worker) sends them once their batch is anchored: grouped per root and reason
into one `revokeBatch` transaction.

Crash safety: before sending, the registry's bitmap is read, and leaves already revoked there
(by a transaction whose hash we never recorded) are just recorded, never sent twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from issuer.anchoring.chain import ChainAccess
from issuer.chain.registry_writer import REVOCATION_REASONS
from issuer.chain.transactions import TransactionRevertedError
from issuer.institutions import eth_account, record_event
from issuer.secrets import SecretBox
from issuer.storage.credentials import get_credential_row
from issuer.storage.database import Database
from issuer.storage.errors import ConflictError, ForbiddenError
from issuer.storage.models import ANCHORED, Batch, Credential, Institution, utcnow
from issuer.storage.status_lists import set_bits
from verifier.errors import InputError

log = logging.getLogger(__name__)
MAX_REASON_LENGTH = 500


@dataclass(frozen=True)
class RevocationOutcome:
    credential_id: str
    revoked_at: datetime
    reason: str
    reason_code: int
    on_chain: str
    """'revoked' (tx_hash set), 'after-anchoring' (not anchored yet) or 'pending' (chain unreachable)."""
    tx_hash: str | None = None


def reason_code_for(reason: str) -> int:
    """The registry's reason code for a free-text reason (0 'unspecified' unless it names one)."""
    key = reason.strip().lower().replace(" ", "-").replace("_", "-")
    return REVOCATION_REASONS.get(key, 0)


def mark_revoked(
    session: Session, credential_id: str, reason: str, institution: Institution | None = None
) -> Credential:
    """Revoke in the database and the status list (same transaction). ConflictError if already revoked."""
    reason = " ".join((reason or "unspecified").split())
    if len(reason) > MAX_REASON_LENGTH:
        raise InputError(f"The revocation reason is longer than {MAX_REASON_LENGTH} characters.")
    row = get_credential_row(session, credential_id, lock=True)
    if institution is not None and row.institution_id != institution.id:
        raise ForbiddenError(f"Credential {row.id} was not issued by {institution.slug!r}.")
    if row.revoked:
        raise ConflictError(f"Credential {row.id} was already revoked ({row.revocation_reason}).")
    row.revoked = True
    row.revocation_reason = reason
    row.revocation_code = reason_code_for(reason)
    row.revoked_at = utcnow()
    set_bits(session, row.status_list_id, [row.status_index])
    record_event(
        session, row.institution_id, "credential.revoked", row.id, {"reason_code": row.revocation_code}
    )
    return row


def _due(session: Session, institution_id: int | None) -> dict[tuple[int, str, int], list[tuple[str, int]]]:
    """Revoked, anchored, not yet revoked on chain: {(institution, root, reason code): [(id, leaf)]}."""
    query = (
        select(
            Credential.id, Credential.leaf_index, Credential.revocation_code, Batch.root, Batch.institution_id
        )
        .join(Batch, Batch.id == Credential.batch_id)
        .where(Credential.revoked.is_(True), Credential.revocation_tx.is_(None), Credential.state == ANCHORED)
    )
    if institution_id is not None:
        query = query.where(Credential.institution_id == institution_id)
    groups: dict[tuple[int, str, int], list[tuple[str, int]]] = defaultdict(list)
    for row in session.execute(query):
        groups[(row.institution_id, row.root, row.revocation_code or 0)].append((row.id, int(row.leaf_index)))
    return groups


def _record(db: Database, ids: list[str], tx_hash: str) -> None:
    with db.session() as session:
        session.execute(
            update(Credential)
            .where(Credential.id.in_(ids), Credential.revocation_tx.is_(None))
            .values(revocation_tx=tx_hash)
            .execution_options(synchronize_session=False)
        )


def push_revocations(
    db: Database, box: SecretBox, chain: ChainAccess, institution_id: int | None = None
) -> dict[str, str]:
    """Send the on-chain revocations that are due; returns {credential id: tx hash}. ChainError if down."""
    with db.reader() as session:
        groups = _due(session, institution_id)
        institutions = {i.id: i for i in session.scalars(select(Institution))}
    done: dict[str, str] = {}
    for (owner, root, code), members in sorted(groups.items()):
        reader = chain.fresh_reader()
        account = institutions[owner].eth_address
        already = [(cid, leaf) for cid, leaf in members if reader.is_revoked(account, root, leaf)]
        for cid, leaf in already:  # revoked by a transaction whose hash was never recorded
            found = reader.revocation(account, root, leaf)
            tx_hash = found.transaction_hash if found else "0x" + "00" * 32
            _record(db, [cid], tx_hash)
            done[cid] = tx_hash
        todo = sorted((leaf, cid) for cid, leaf in members if (cid, leaf) not in already)
        if not todo:
            continue
        writer = chain.writer(eth_account(institutions[owner], box))
        leaves = [leaf for leaf, _ in todo]
        try:
            result = (
                writer.revoke(root, leaves[0], code)
                if len(leaves) == 1
                else writer.revoke_batch(root, leaves, code)
            )
        except TransactionRevertedError as exc:
            if exc.error_name != "AlreadyRevoked":
                raise
            log.info("Revocations for root %s raced with another sender; re-reading next pass.", root)
            continue
        ids = [cid for _, cid in todo]
        _record(db, ids, result.tx_hash)
        done.update(dict.fromkeys(ids, result.tx_hash))
        log.info("Revoked %d credential(s) of root %s on chain in %s", len(ids), root, result.tx_hash)
    return done


def recheck_revocations(
    db: Database,
    chain: ChainAccess,
    batch_ids: list[int] | None = None,
    revoked_since: datetime | None = None,
) -> list[str]:
    """Credentials recorded as revoked on chain whose bit the registry no longer holds (a chain
    rollback lost the revoking transaction), among those of `batch_ids` or revoked since
    `revoked_since`: their transaction is forgotten, so that `push_revocations` sends the
    revocation again. Returns their ids. ChainError if the chain is unreachable."""
    if not batch_ids and revoked_since is None:
        return []
    query = (
        select(Credential.id, Credential.leaf_index, Batch.root, Institution.eth_address)
        .join(Batch, Batch.id == Credential.batch_id)
        .join(Institution, Institution.id == Batch.institution_id)
        .where(
            Credential.revoked.is_(True),
            Credential.revocation_tx.is_not(None),
            Credential.state == ANCHORED,
        )
    )
    if batch_ids:
        query = query.where(Credential.batch_id.in_(batch_ids))
    if revoked_since is not None:
        query = query.where(Credential.revoked_at >= revoked_since)
    with db.reader() as session:
        rows = list(session.execute(query))
    if not rows:
        return []
    reader = chain.fresh_reader()
    lost = [row.id for row in rows if not reader.is_revoked(row.eth_address, row.root, int(row.leaf_index))]
    if lost:
        log.warning(
            "%d on-chain revocation(s) are no longer on the chain (rollback): sending again.", len(lost)
        )
        with db.session() as session:
            session.execute(
                update(Credential)
                .where(Credential.id.in_(lost))
                .values(revocation_tx=None)
                .execution_options(synchronize_session=False)
            )
    return lost


def credential_revocation_state(row: Credential) -> str:
    if not row.revoked:
        return "active"
    if row.revocation_tx:
        return "revoked"
    return "after-anchoring" if row.state != ANCHORED else "pending"
