"""The anchoring worker: end to end, crashes at every step, lost anchors, two workers, RPC outage."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from eth_account import Account
from issuer_testlib import make_config, roster
from sqlalchemy import text

from issuer.anchoring.anchorer import STEPS
from issuer.chain.backends import memory_chain
from issuer.service import IssuerService
from verifier.chain.registry_reader import RegistryReader
from verifier.data_integrity import verify_proofs
from verifier.merkle import check_inclusion
from verifier.settings import Settings


class SimulatedCrash(BaseException):
    """Escapes every `except Exception`, like the process dying at that instruction."""


def crash_at(step: str):
    def fault(point: str) -> None:
        if point == step:
            raise SimulatedCrash(step)

    return fault


def reader_for(svc: IssuerService) -> RegistryReader:
    return svc.chain.fresh_reader()


def assert_all_anchored_once(svc: IssuerService, expected: int) -> None:
    """Every credential anchored, in exactly one batch, and the chain agrees with the database."""
    with svc.db.reader() as session:
        states = dict(session.execute(text("SELECT state, count(*) FROM credentials GROUP BY state")).all())
        batches = session.execute(text("SELECT root, size, state FROM batches")).all()
        owners = "SELECT b.root, i.eth_address FROM batches b JOIN institutions i ON i.id = b.institution_id"
        accounts = dict(session.execute(text(owners)).all())
        per_batch = dict(
            session.execute(text("SELECT batch_id, count(*) FROM credentials GROUP BY batch_id")).all()
        )
    assert states == {"anchored": expected}
    assert all(state == "anchored" for _, _, state in batches)
    assert sum(size for _, size, _ in batches) == expected == sum(per_batch.values())
    reader = reader_for(svc)
    for root, size, _ in batches:
        info = reader.anchor(accounts[root], root)
        assert info.exists and info.count == size
    roots = Counter(root for root, _, _ in batches)
    assert max(roots.values()) == 1


def test_anchor_now_attaches_proofs_that_the_verifier_accepts(any_db_service: IssuerService) -> None:
    svc = any_db_service
    issued = svc.issue_roster("sim", roster(25)).issued
    anchored = svc.anchor_now()
    assert [b.size for b in anchored] == [25] and anchored[0].self_check == "ok"
    document = svc.get_credential(issued[7].id).document
    assert verify_proofs(document).verified
    inclusion = check_inclusion(document)
    assert inclusion.included and 0 <= inclusion.anchor.leaf_index < 25
    assert "0x" + inclusion.anchor.merkle_root.hex() == anchored[0].root
    assert_all_anchored_once(svc, 25)
    assert svc.anchor_now() == []


def test_batches_close_at_size_and_age(service: IssuerService, memory_settings: Settings) -> None:
    svc = IssuerService(make_config(memory_settings, batch_size=10, batch_max_age=3600), db=service.db)
    svc.issue_roster("sim", roster(25))
    report = svc.worker().run_once()
    assert sorted(b.size for b in report.anchored) == [10, 10]
    aged = IssuerService(make_config(memory_settings, batch_size=10, batch_max_age=0), db=service.db)
    assert [b.size for b in aged.worker().run_once().anchored] == [5]
    assert_all_anchored_once(svc, 25)


@pytest.mark.parametrize("step", STEPS)
def test_a_crash_at_any_step_is_recovered_without_double_anchoring(
    any_db_service: IssuerService, memory_settings: Settings, step: str
) -> None:
    svc = any_db_service
    svc.issue_roster("sim", roster(12))
    with pytest.raises(SimulatedCrash):
        svc.worker(fault=crash_at(step)).run_once(force_all=True)
    svc.issue("sim", "acls", "late@example.org")  # issuing goes on meanwhile
    # A new process: new engine, new chain connection, same database and chain.
    restarted = IssuerService(svc.config)
    try:
        restarted.worker().run_once(force_all=True)
        assert_all_anchored_once(restarted, 13)
        with restarted.db.reader() as session:
            checks = {r[0] for r in session.execute(text("SELECT self_check FROM batches"))}
        assert checks <= {"ok", None}
    finally:
        restarted.close()


def test_a_dropped_transaction_is_sent_again_with_the_same_root(service: IssuerService) -> None:
    svc = service
    svc.issue_roster("sim", roster(5))
    with pytest.raises(SimulatedCrash):
        svc.worker(fault=crash_at("batch-recorded")).run_once(force_all=True)
    with svc.db.session() as session:  # pretend a transaction was sent but the node forgot it
        session.execute(text("UPDATE batches SET tx_hash = :h"), {"h": "0x" + "ab" * 32})
        root_before = session.execute(text("SELECT root FROM batches")).scalar()
    svc.worker().run_once()
    with svc.db.reader() as session:
        assert session.execute(text("SELECT root, state FROM batches")).all() == [(root_before, "anchored")]
    assert_all_anchored_once(svc, 5)


def test_a_lost_anchor_is_detected_and_anchored_again(service: IssuerService) -> None:
    svc = service
    w3 = memory_chain().w3
    snapshot = w3.testing.snapshot()
    svc.issue_roster("sim", roster(6))
    first = svc.anchor_now()[0]
    w3.testing.revert(snapshot)  # the chain forgets the anchoring block, like anvil restarted from old state
    assert not reader_for(svc).anchor(svc.get_institution("sim").eth_address, first.root).exists
    report = svc.worker().run_once(recheck_all=True)
    assert report.lost and [b.root for b in report.anchored] == [first.root]
    assert_all_anchored_once(svc, 6)
    document = svc.get_credential(svc.list_credentials("sim")[0].id).document
    assert check_inclusion(document).included


@pytest.fixture
def pg_url(pg_server: str) -> str:
    from issuer_testlib import new_pg_database

    return new_pg_database(pg_server)


def test_two_workers_on_postgresql_never_anchor_a_root_twice(memory_settings: Settings, pg_url: str) -> None:
    config = make_config(memory_settings, pg_url, batch_size=7, batch_max_age=0)
    issuer = IssuerService(config.with_(master_key=None))
    issuer.create_institution("Simulation Centre", slug="sim")
    workers = [IssuerService(issuer.config) for _ in range(2)]
    handles = [w.start_worker() for w in workers]
    try:
        for round_ in range(4):
            issuer.issue_roster("sim", roster(9, start=round_ * 9))
            time.sleep(0.3)
        deadline = time.monotonic() + 60
        while issuer.count_credentials().get("anchored", 0) < 36 and time.monotonic() < deadline:
            time.sleep(0.2)
        held = [w._worker.thread.is_alive() for w in workers if w._worker]
        assert all(held)
    finally:
        for w in workers:
            w.close()
    assert_all_anchored_once(issuer, 36)
    issuer.close()
    assert len(handles) == 2


@pytest.mark.local
def test_rpc_outage_delays_anchoring_and_issuing_goes_on(tmp_path: Path) -> None:
    from issuer.chain.anvil import LocalChain
    from issuer.cli.run_command import ensure_registry

    settings = Settings(data_dir=tmp_path / "var", chain="local")
    node = LocalChain(settings.data_dir)
    node.start(port=18621)
    try:
        ensure_registry(settings)
        svc = IssuerService(make_config(settings, batch_max_age=0))
        svc.create_institution("Simulation Centre", slug="sim")
        node.stop()
        svc.issue_roster("sim", roster(4))  # the chain is down: issuing still works
        report = svc.worker().run_once()
        assert report.errors and not report.anchored
        with svc.db.reader() as session:
            assert (
                session.execute(text("SELECT count(*) FROM credentials WHERE state != 'anchored'")).scalar()
                == 4
            )
        node.start(port=18621)
        stop = threading.Event()
        worker = svc.worker()
        thread = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while svc.count_credentials().get("anchored", 0) < 4 and time.monotonic() < deadline:
            time.sleep(0.2)
        stop.set()
        thread.join(10)
        assert_all_anchored_once(svc, 4)
        svc.close()
    finally:
        node.stop()


def test_the_issuer_reuses_one_checked_reader_per_connection(service: IssuerService) -> None:
    """The anchoring worker asks for a fresh reader on every pass: one whose cache starts empty, so
    it sees the chain as it is now, on the contract object and registry check of its connection."""
    first = service.chain.fresh_reader()
    account = Account.create().address
    assert not first.issuer(account).registered
    service.chain.governor_writer().add_issuer(account, "did:web:reuse.example", "Reuse Test School")
    second = service.chain.fresh_reader()
    assert second is not first and second.contract is first.contract
    assert second.issuer(account).registered  # read anew, not remembered from the first reader
    assert not first.issuer(account).registered  # within one operation, a value is read once
    service.chain.invalidate()
    assert service.chain.fresh_reader().contract is not first.contract
