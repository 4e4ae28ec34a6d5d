"""The chain half of anchoring: drive one submitted batch to anchored, whatever happened before.

`anchor_batch` is also the reconciliation after a crash, because it starts from what the chain
says, not from what this process remembers:

1. Is the root on the registry? Then it only has to be finished (find its transaction if the hash
   was never recorded, wait for confirmations, attach the proofs).
2. Is a recorded transaction still pending? Wait for it. Was it dropped or did it revert? Send again.
3. Otherwise send `anchor(root, count)`: the hash is committed as soon as the node accepts it.

A transaction that reverts with `RootAlreadyAnchored` (a duplicate that lost a race with our own
earlier one) just means step 1 applies. `FaultHook` lets tests kill the process at each step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from hexbytes import HexBytes
from web3.exceptions import TimeExhausted, TransactionNotFound

from issuer.anchor_proof import AnchorInfo
from issuer.anchoring import batches
from issuer.anchoring.chain import ChainAccess
from issuer.anchoring.selfcheck import self_check
from issuer.chain.transactions import TransactionRevertedError, TransactionTimeoutError
from issuer.institutions import did_document, ensure_registered, eth_account
from issuer.secrets import SecretBox
from issuer.storage.credentials import compose_document
from issuer.storage.database import Database
from issuer.storage.models import ANCHORED, REGISTERED, Batch, Institution
from verifier.chain.provider import call_node
from verifier.errors import ChainError

log = logging.getLogger(__name__)

FaultHook = Callable[[str], None]
"""Called with a step name at each point a crash is interesting; tests raise there."""

STEPS = ("batch-recorded", "before-send", "tx-sent", "tx-recorded", "receipt", "anchored")


@dataclass(frozen=True)
class AnchoredBatch:
    batch_id: int
    institution: str
    root: str
    size: int
    tx_hash: str
    block_number: int
    self_check: str
    block_hash: str = ""
    """The hash of `block_number` when this process finished the batch ("" if it did not): the
    worker remembers it to notice the chain losing that block later (see AnchoringWorker)."""


def _no_fault(_step: str) -> None:
    return None


class Anchorer:
    """Anchors batches for one database and one registry."""

    def __init__(
        self, db: Database, box: SecretBox, chain: ChainAccess, fault: FaultHook | None = None
    ) -> None:
        self.db = db
        self.box = box
        self.chain = chain
        self.fault = fault or _no_fault

    # ------------------------------------------------------------------ registration

    def ensure_institution(self, institution_id: int) -> Institution:
        """The institution, registered on the current registry (dev chains: automatically)."""
        with self.db.session() as session:
            row = session.get(Institution, institution_id)
            assert row is not None
            ctx = self.chain.context()
            current = (
                row.registration_state == REGISTERED
                and row.registry_address == ctx.deployment.address
                and row.chain_id == ctx.deployment.chain_id
            )
            if not current:
                outcome = ensure_registered(session, row, self.box, self.chain)
                if outcome.state != REGISTERED:
                    raise ChainError(
                        f"Institution {row.slug!r} cannot anchor yet: "
                        + " ".join(outcome.actions or [outcome.state])
                    )
            return row

    # ------------------------------------------------------------------ the pipeline

    def anchor_batch(self, batch_id: int) -> AnchoredBatch:
        """Drive a submitted batch to anchored (idempotent; see the module docstring)."""
        with self.db.reader() as session:
            batch = session.get(Batch, batch_id)
            assert batch is not None
            if batch.state == ANCHORED:
                return self._result(batch, session.get(Institution, batch.institution_id))
            institution_id, root, size, known_tx = batch.institution_id, batch.root, batch.size, batch.tx_hash
        institution = self.ensure_institution(institution_id)
        for _round in range(3):
            # Only this institution's own record counts: the same root anchored by anybody else (a
            # copied transaction) is another issuer's record and neither blocks nor replaces ours.
            found = self.chain.fresh_reader().anchor(institution.eth_address, root)
            if found.exists:
                tx_hash = self._anchoring_tx(institution.eth_address, root, found.block_number, known_tx)
                return self._finish(batch_id, institution, tx_hash, found.block_number)
            if known_tx is not None and self._wait_known(known_tx, batch_id, institution, root, size):
                known_tx = None
                continue  # it was mined: look again (it may have reverted or been re-orged away)
            known_tx = None
            try:
                self._send(batch_id, institution, root, size)
            except TransactionRevertedError as exc:
                if exc.error_name != "RootAlreadyAnchored":
                    raise
            except TransactionTimeoutError:
                # Sent but not mined within the timeout: the fees are too low for the network now.
                stuck = self._recorded_tx(batch_id)
                if stuck is None:
                    raise
                self._replace_stuck(stuck, batch_id, institution, root, size)
        raise ChainError(f"Root {root} could not be anchored after several attempts.")

    def _send(self, batch_id: int, institution: Institution, root: str, size: int) -> None:
        self.fault("before-send")
        deployment = self.chain.context().deployment
        batches.record_attempt(self.db, batch_id, deployment.chain_id, deployment.address)

        def on_sent(tx_hash: str) -> None:
            self.fault("tx-sent")
            batches.record_sent(self.db, batch_id, tx_hash)
            self.fault("tx-recorded")

        writer = self.chain.writer(eth_account(institution, self.box), on_sent=on_sent)
        result = writer.anchor(root, size)
        log.info("Anchored root %s (%d credentials) in tx %s", root, size, result.tx_hash)
        self.fault("receipt")

    def _recorded_tx(self, batch_id: int) -> str | None:
        with self.db.reader() as session:
            batch = session.get(Batch, batch_id)
            return batch.tx_hash if batch is not None else None

    def _wait_known(
        self, tx_hash: str, batch_id: int, institution: Institution, root: str, size: int
    ) -> bool:
        """True if the recorded transaction was mined (now, after waiting) or replaced by one that
        was; False if the node lost it. A transaction still pending after the timeout (fees too low
        for the network) is replaced by the same call with higher fees (EIP-1559 replacement)."""
        w3 = self.chain.context().chain.w3
        wanted = HexBytes(tx_hash)

        def lookup() -> object | None:
            try:
                return w3.eth.get_transaction(wanted)
            except TransactionNotFound:
                return None

        if call_node(w3, lookup) is None:
            return False
        try:
            call_node(
                w3,
                lambda: w3.eth.wait_for_transaction_receipt(
                    wanted, timeout=self.chain.timeout, poll_latency=0.1
                ),
            )
        except TimeExhausted:
            self._replace_stuck(tx_hash, batch_id, institution, root, size)
        return True

    def _replace_stuck(
        self, tx_hash: str, batch_id: int, institution: Institution, root: str, size: int
    ) -> None:
        """Outbid our own stuck anchoring transaction (same nonce, higher fees) and wait for it."""
        log.warning(
            "Anchoring transaction %s of batch %s is still pending after %.0f s: replacing it with "
            "higher fees.", tx_hash, batch_id, self.chain.timeout,
        )  # fmt: skip

        def on_sent(new_hash: str) -> None:
            batches.record_sent(self.db, batch_id, new_hash)

        writer = self.chain.writer(eth_account(institution, self.box), on_sent=on_sent)
        try:
            writer.replace_anchor(tx_hash, root, size)
        except TransactionRevertedError as exc:
            if exc.error_name != "RootAlreadyAnchored":
                raise
        except TransactionTimeoutError:
            raise
        except ChainError as exc:
            # The stuck one was mined meanwhile ("nonce too low"): the next look at the chain tells.
            log.info("Replacement of %s not sent (%s); looking at the chain again.", tx_hash, exc)

    def _anchoring_tx(self, account: str, root: str, block_number: int, known_tx: str | None) -> str:
        """The transaction that put `root` on chain for `account` (its RootAnchored event)."""
        found = self.chain.fresh_reader().anchor_transaction(account, root, block_number)
        if found is not None:
            return "0x" + found.hex()
        if known_tx is not None:
            return known_tx
        raise ChainError(
            f"Root {root} is on chain in block {block_number}, but its RootAnchored event was not found."
        )

    def _finish(
        self, batch_id: int, institution: Institution, tx_hash: str, block_number: int
    ) -> AnchoredBatch:
        ctx = self.chain.context()
        w3 = ctx.chain.w3
        writer = self.chain.writer(eth_account(institution, self.box))
        writer.sender.wait_confirmations(block_number, f"Anchoring batch {batch_id}")
        block = call_node(w3, lambda: w3.eth.get_block(block_number))
        with self.db.reader() as session:
            root = session.get(Batch, batch_id).root  # type: ignore[union-attr]
        info = AnchorInfo(
            chain_id=ctx.deployment.chain_id,
            registry=ctx.deployment.address,
            merkle_root=bytes(HexBytes(root)),
            transaction_hash=tx_hash,
            block_number=block_number,
            block_time=datetime.fromtimestamp(int(block["timestamp"]), UTC),
        )
        _sample_id, sample = batches.mark_anchored(self.db, batch_id, info)
        self.fault("anchored")
        check = self.check(batch_id, institution, sample)
        with self.db.reader() as session:
            return self._result(
                session.get(Batch, batch_id), institution, check, "0x" + bytes(block["hash"]).hex()
            )

    def check(self, batch_id: int, institution: Institution, document: dict | None = None) -> str:
        """Verify a sample credential of an anchored batch with the verifier's code; record the outcome."""
        if document is None:
            from issuer.storage.models import Credential  # noqa: PLC0415

            with self.db.reader() as session:
                row = (
                    session.query(Credential)
                    .filter_by(batch_id=batch_id)
                    .order_by(Credential.leaf_index)
                    .first()
                )
                assert row is not None
                document = compose_document(row.signed_json, row.anchor_proof_json)
        result = self_check(
            document, self.chain.fresh_reader(), institution.eth_address, did_document(institution)
        )
        if not result.ok:
            log.error("Self-check of batch %s FAILED: %s (%s)", batch_id, result.message, result.code)
        batches.record_self_check(self.db, batch_id, result.code, result.message)
        return result.code

    @staticmethod
    def _result(
        batch: Batch | None, institution: Institution | None, check: str | None = None, block_hash: str = ""
    ) -> AnchoredBatch:
        assert batch is not None
        assert institution is not None
        return AnchoredBatch(
            batch_id=batch.id,
            institution=institution.slug,
            root=batch.root,
            size=batch.size,
            tx_hash=batch.tx_hash or "",
            block_number=batch.block_number or 0,
            self_check=check or batch.self_check or "",
            block_hash=block_hash,
        )

    # ------------------------------------------------------------------ lost anchors

    def _accounts(self, institution_ids: set[int]) -> dict[int, str]:
        """Institution id -> its Ethereum account (the issuer its roots are anchored under)."""
        with self.db.reader() as session:
            return {i: session.get(Institution, i).eth_address for i in institution_ids}  # type: ignore[union-attr]

    def recheck(self, batch_rows: list[Batch]) -> list[int]:
        """Check anchored batches are still on the current registry; return those found lost (reset)."""
        ctx = self.chain.context()
        reader = self.chain.fresh_reader()
        lost, fine = [], []
        accounts = self._accounts({b.institution_id for b in batch_rows})
        for batch in batch_rows:
            moved = (
                batch.registry_address != ctx.deployment.address or batch.chain_id != ctx.deployment.chain_id
            )
            if moved or not reader.anchor(accounts[batch.institution_id], batch.root).exists:
                reason = (
                    "the registry changed"
                    if moved
                    else "the root is no longer on chain (chain reset or reorg)"
                )
                log.warning(
                    "Batch %s (root %s) lost its anchor: %s; anchoring it again.",
                    batch.id,
                    batch.root,
                    reason,
                )
                batches.mark_lost(self.db, batch.id, reason)
                lost.append(batch.id)
            else:
                fine.append(batch.id)
        batches.mark_checked(self.db, fine)
        return lost
