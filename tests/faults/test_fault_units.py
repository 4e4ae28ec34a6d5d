"""In-process checks of the fixes the fault tests forced: seconds instead of minutes, so a regression
shows up in a narrow test before the process-level ones (which prove the same end to end).

- A worker that anchored notices the chain losing that block at its next ordinary pass (no
  `recheck_all`, no restart) and anchors the batch again (test_fault_chain_rollback).
- Taking the anchoring lease on an unreachable PostgreSQL is "not now", not an exception that
  ends the worker thread (test_fault_database).
- A database that cannot be reached is a 503 problem+json with Retry-After; any other driver
  error is still a 500 (test_fault_database).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from issuer_testlib import make_config, roster
from sqlalchemy.exc import IntegrityError, OperationalError

from issuer.anchoring.lease import Lease
from issuer.chain.backends import memory_chain
from issuer.chain.context import deployment_store
from issuer.chain.registry_writer import deploy_registry
from issuer.chain.transactions import TransactionSender
from issuer.service import IssuerService
from issuer.storage.database import Database
from issuer.web.app import create_app
from verifier.config import VerifierConfig
from verifier.merkle import check_inclusion
from verifier.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture
def service(tmp_path: Path) -> Iterator[IssuerService]:
    settings = Settings(data_dir=tmp_path / "var", chain="memory")
    chain = memory_chain(fresh=True)
    deployment_store(settings, chain).save(deploy_registry(TransactionSender(chain.w3, chain.governor())))
    svc = IssuerService(make_config(settings))
    svc.create_institution("Simulation Centre", slug="sim")
    yield svc
    svc.close()


def test_a_running_worker_notices_the_chain_losing_its_latest_anchor(service: IssuerService) -> None:
    w3 = memory_chain().w3
    worker = service.worker()
    service.issue_roster("sim", roster(3))
    worker.run_once(force_all=True)  # an older batch that stays on chain
    snapshot = w3.testing.snapshot()
    service.issue_roster("sim", roster(4, start=3))
    anchored = worker.run_once(force_all=True).anchored
    assert len(anchored) == 1
    w3.testing.revert(snapshot)  # the block of that anchoring is gone, as after anvil's SIGKILL
    assert (
        not service.chain.fresh_reader()
        .anchor(service.get_institution("sim").eth_address, anchored[0].root)
        .exists
    )

    report = worker.run_once()  # an ordinary pass: no recheck_all, the roots are minutes young
    assert report.lost == [anchored[0].batch_id]
    assert [b.root for b in report.anchored] == [anchored[0].root]
    assert (
        service.chain.fresh_reader()
        .anchor(service.get_institution("sim").eth_address, anchored[0].root)
        .exists
    )
    assert service.count_credentials().get("anchored") == 7
    assert not worker.run_once().lost  # and no endless re-checking once healed


@pytest.mark.postgres
def test_the_lease_on_an_unreachable_postgresql_is_just_not_taken(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres@/nothing?host={tmp_path}&port=1"  # no server on that socket
    db = Database(url, migrate=False)
    try:
        assert Lease(db).try_acquire() is False
    finally:
        db.dispose()


def test_database_unreachable_is_503_problem_other_driver_errors_500(
    service: IssuerService, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, _info = service.create_token("sim", ["issue"])
    app = create_app(service, VerifierConfig(), secret_key=os.urandom(32))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    body = {"template": "bls", "email": "db@example.org", "name": "Db Person"}

    def unreachable(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(service, "issue", unreachable)
    response = client.post("/api/v1/institutions/sim/credentials", json=body, headers=headers)
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert int(response.headers["Retry-After"]) > 0
    assert response.json["type"].endswith("database-unavailable")
    assert "refused" not in response.text  # nothing of the driver's message leaks

    def broken(*_args: object, **_kwargs: object) -> None:
        raise IntegrityError("INSERT ...", {}, ValueError("duplicate key"))

    monkeypatch.setattr(service, "issue", broken)
    response = client.post("/api/v1/institutions/sim/credentials", json=body, headers=headers)
    assert response.status_code == 500
    assert response.json["type"].endswith("internal")


def test_an_on_chain_revocation_lost_in_a_rollback_is_sent_again(service: IssuerService) -> None:
    """The chain loses the block holding a revocation (anvil restarted from older state, a reorg):
    the worker notices the block is gone, finds the registry's bit unset and revokes again."""
    w3 = memory_chain().w3
    worker = service.worker()
    (issued,) = service.issue_roster("sim", roster(1)).issued
    worker.run_once(force_all=True)  # anchored; this block survives
    snapshot = w3.testing.snapshot()
    assert service.revoke(issued.id, "misconduct").on_chain == "revoked"  # sent by the service
    account = service.get_institution("sim").eth_address
    inclusion = check_inclusion(service.get_credential(issued.id).document)
    assert inclusion.anchor is not None
    root, leaf = inclusion.anchor.merkle_root, inclusion.anchor.leaf_index
    assert service.chain.fresh_reader().is_revoked(account, root, leaf)
    w3.testing.revert(snapshot)  # the revocation's block is gone, the anchoring block is not
    assert not service.chain.fresh_reader().is_revoked(account, root, leaf)
    report = worker.run_once()  # an ordinary pass
    assert report.revocations_lost == [issued.id]
    assert issued.id in report.revoked
    assert service.chain.fresh_reader().is_revoked(account, root, leaf)
    assert not worker.run_once().revocations_lost  # healed: no endless re-sending
