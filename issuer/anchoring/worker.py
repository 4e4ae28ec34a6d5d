"""The anchoring worker: closes batches by size or age, anchors them, revokes on chain, heals.

One pass (`run_once`) does, in order:

1. take flush requests left by `medcred anchor` in another process;
2. drive every submitted batch to anchored (after a crash, this *is* the reconciliation);
3. close due batches (full, old, or flushed) and anchor each one;
4. send the on-chain revocations that are due;
5. re-check a slice of anchored roots against the registry, and put lost ones back to submitted
   (a development chain restarted from an older state, a reorg, a new registry), which the next
   pass anchors again with the same root; in the batches still anchored, revocations whose bit the
   registry lost are sent again.

The slice is old roots (`recheck_interval`), which would leave a freshly anchored batch unchecked
for minutes if the chain drops the block holding it (anvil killed loses its last second; a reorg).
So the worker also remembers the newest block it anchored or revoked in, by hash, and checks at each pass
(and before moving on to a newer block) that the chain still has that block; if it does not,
recent blocks were lost and step 5 re-checks every anchored root at once.

`run_forever` holds the lease (one worker per database), repeats passes, and backs off
exponentially while the chain is unreachable; issuing is unaffected since it never touches the
chain. `start()` runs it on a daemon thread and returns a handle to stop it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from web3.exceptions import BlockNotFound

from issuer.anchoring import batches
from issuer.anchoring.anchorer import AnchoredBatch, Anchorer, FaultHook
from issuer.anchoring.chain import ChainAccess
from issuer.anchoring.lease import Lease
from issuer.config import ServiceConfig
from issuer.revocation import push_revocations, recheck_revocations
from issuer.secrets import SecretBox
from issuer.storage.database import UNREACHABLE, Database
from issuer.storage.models import Institution, utcnow
from verifier.chain.provider import call_node
from verifier.errors import ChainError

log = logging.getLogger(__name__)


@dataclass
class PassReport:
    anchored: list[AnchoredBatch] = field(default_factory=list)
    revoked: dict[str, str] = field(default_factory=dict)
    lost: list[int] = field(default_factory=list)
    revocations_lost: list[str] = field(default_factory=list)
    """Credentials whose on-chain revocation a rollback lost (sent again in the same pass)."""
    errors: list[str] = field(default_factory=list)


class AnchoringWorker:
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        chain: ChainAccess,
        config: ServiceConfig,
        *,
        fault: FaultHook | None = None,
    ) -> None:
        self.db = db
        self.chain = chain
        self.box = box
        self.config = config
        self.anchorer = Anchorer(db, box, chain, fault)
        self.lease = Lease(db)
        self.failures = 0
        self._tip: tuple[int, str] | None = None
        """(number, hash) of the newest block this worker anchored in (see the module docstring)."""
        self._rewound = False
        """The chain lost blocks we anchored in: re-check every anchored root at the next chance."""

    @property
    def fault(self) -> FaultHook:
        return self.anchorer.fault

    # ------------------------------------------------------------------ one pass

    def run_once(
        self, *, force: set[int] | None = None, force_all: bool = False, recheck_all: bool = False
    ) -> PassReport:
        """One pass (see the module docstring). ChainErrors are collected per institution, not raised."""
        report = PassReport()
        requested = batches.take_anchor_requests(self.db)
        if None in requested:
            force_all = True
        force = set(force or ()) | {i for i in requested if i is not None}
        try:
            self._check_tip()
        except ChainError as exc:
            report.errors.append(str(exc))
            self.chain.invalidate()
        with self.db.reader() as session:
            pending_batches = [(b.id, b.institution_id) for b in batches.submitted_batches(session)]
            if force_all:
                force |= set(session.scalars(select(Institution.id)))
        blocked: set[int] = set()
        for batch_id, institution_id in pending_batches:
            if institution_id not in blocked and not self._anchor(batch_id, report):
                blocked.add(institution_id)  # keep its order: no newer batch before an older one
        while True:
            with self.db.reader() as session:
                due = batches.due_institutions(
                    session, self.config.batch_size, self.config.batch_max_age, force
                )
            due = [i for i in due if i not in blocked]
            if not due:
                break
            for institution_id in due:
                closed = batches.close_batch(self.db, institution_id, self.config.batch_size)
                if closed is None:
                    continue
                self.fault("batch-recorded")
                if not self._anchor(closed.id, report):
                    blocked.add(institution_id)
        self._revocations(report)
        self._recheck(report, everything=recheck_all or self._rewound)
        return report

    def _check_tip(self) -> None:
        """Set `_rewound` if the chain no longer has the newest block we anchored in."""
        if self._tip is None:
            return
        number, expected = self._tip
        w3 = self.chain.context().chain.w3

        def fetch() -> object | None:
            try:
                return w3.eth.get_block(number)
            except BlockNotFound:  # inside: call_node would turn it into a ChainError (node down)
                return None

        block: Any = call_node(w3, fetch)
        current = None if block is None else "0x" + bytes(block["hash"]).hex()
        if current != expected:
            log.warning(
                "The chain no longer has block %s that held our latest anchoring (node restarted "
                "from an older state, or a reorg): re-checking every anchored batch.",
                number,
            )
            self._rewound = True
            self._tip = None

    def _note_anchored(self, anchored: AnchoredBatch) -> None:
        if anchored.self_check == "root_not_anchored":
            self._rewound = True  # the chain lost the block between the receipt and the self-check
        if anchored.block_hash:
            self._note_block(anchored.block_number, anchored.block_hash)

    def _note_block(self, number: int, block_hash: str) -> None:
        """Remember the newest block holding one of our transactions (anchor or revocation)."""
        if self._tip is not None and number >= self._tip[0]:
            try:  # a newer block replaces the tip only once the tip is known to be intact
                self._check_tip()
            except ChainError:
                self._rewound = True  # cannot tell: re-check everything rather than miss a loss
        if self._tip is None or number >= self._tip[0]:
            self._tip = (number, block_hash)

    def _anchor(self, batch_id: int, report: PassReport) -> bool:
        try:
            anchored = self.anchorer.anchor_batch(batch_id)
            report.anchored.append(anchored)
            self._note_anchored(anchored)
            return True
        except ChainError as exc:
            log.warning("Anchoring batch %s failed, will retry: %s", batch_id, exc)
            batches.record_error(self.db, batch_id, str(exc))
            report.errors.append(str(exc))
            self.chain.invalidate()
            return False

    def _revocations(self, report: PassReport) -> None:
        try:
            sent = push_revocations(self.db, self.box, self.chain)
            report.revoked.update(sent)
            if not sent:
                return  # nothing was sent: no reason to ask the node anything (or to warn it is down)
            w3 = self.chain.context().chain.w3
            for tx_hash in set(sent.values()):
                # Watched like anchors: a rollback losing this block re-checks the revocations too.
                receipt: Any = call_node(w3, lambda h=tx_hash: w3.eth.get_transaction_receipt(h))
                self._note_block(int(receipt["blockNumber"]), "0x" + bytes(receipt["blockHash"]).hex())
        except ChainError as exc:
            log.warning("On-chain revocation failed, will retry: %s", exc)
            report.errors.append(str(exc))
            self.chain.invalidate()

    def _recheck(self, report: PassReport, everything: bool) -> None:
        older_than = utcnow() - timedelta(seconds=0 if everything else self.config.recheck_interval)
        with self.db.reader() as session:
            rows = batches.batches_to_recheck(session, older_than, limit=100_000 if everything else 200)
        lost: list[int] = []
        try:
            if rows:
                lost = self.anchorer.recheck(rows)
            kept = [b.id for b in rows if b.id not in set(lost)]
            report.revocations_lost.extend(recheck_revocations(self.db, self.chain, kept))
            # Recent revocations too (sent by the API as well as by this worker), whose blocks are
            # young: a rollback loses the newest blocks first.
            recent = utcnow() - timedelta(seconds=self.config.recheck_interval)
            again = recheck_revocations(self.db, self.chain, revoked_since=recent)
            report.revocations_lost.extend(i for i in again if i not in report.revocations_lost)
        except ChainError as exc:
            report.errors.append(str(exc))
            self.chain.invalidate()
            return
        if everything:
            self._rewound = False
        report.lost.extend(lost)
        for batch_id in lost:
            self._anchor(batch_id, report)
        if report.revocations_lost:
            self._revocations(report)  # send again what the rollback lost, now

    # ------------------------------------------------------------------ the loop

    def backoff_delay(self) -> float:
        if self.failures == 0:
            return self.config.poll_interval
        return min(self.config.retry_max, self.config.retry_initial * 2 ** (self.failures - 1))

    def run_forever(self, stop: threading.Event) -> None:
        """Hold the lease and anchor until `stop` is set."""
        while not stop.is_set():
            if not self.lease.try_acquire():
                stop.wait(max(self.config.poll_interval, 1.0))
                continue
            log.info("Anchoring worker holds the lease.")
            first = True
            try:
                while not stop.is_set() and self.lease.held():
                    try:
                        report = self.run_once(recheck_all=first)
                    except ChainError as exc:
                        report = PassReport(errors=[str(exc)])
                        self.chain.invalidate()
                    except UNREACHABLE as exc:
                        # The database went away mid-pass (a restart, a failover): expected, not a bug,
                        # so a warning without a traceback; the lease check reconnects next time.
                        log.warning("Anchoring pass stopped, the database is unreachable: %s; retrying.", exc)
                        report = PassReport(errors=["database unreachable"])
                    except Exception:
                        log.exception("Anchoring pass failed unexpectedly; retrying.")
                        report = PassReport(errors=["unexpected error"])
                    first = first and bool(report.errors)
                    self.failures = self.failures + 1 if report.errors else 0
                    stop.wait(self.backoff_delay())
            finally:
                self.lease.release()

    def start(self) -> WorkerHandle:
        stop = threading.Event()
        thread = threading.Thread(
            target=self.run_forever, args=(stop,), name="medcred-anchoring", daemon=True
        )
        thread.start()
        return WorkerHandle(thread, stop)


@dataclass
class WorkerHandle:
    thread: threading.Thread
    stop_event: threading.Event

    def stop(self, timeout: float = 30.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)

    @property
    def running(self) -> bool:
        return self.thread.is_alive()
