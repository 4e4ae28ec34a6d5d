"""The shortcuts the load work took keep their promises: the issue answer is what a read-back
would say, token checks stay immediate, the gunicorn app owns one service per process, and
`medcred worker` stops cleanly on SIGTERM."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from issuer.chain.backends import memory_chain
from issuer.chain.context import deployment_store
from issuer.chain.registry_writer import deploy_registry
from issuer.chain.transactions import TransactionSender
from issuer.config import ServiceConfig
from issuer.institutions import get_institution
from issuer.service import IssuerService, UnauthorizedError
from issuer.storage.database import Database
from issuer.storage.models import ApiToken, utcnow
from issuer.storage.status_lists import allocated_count
from issuer.web import wsgi
from issuer.web.app import create_app
from verifier.config import VerifierConfig
from verifier.settings import Settings

PUBLIC_URL = "http://medcred.test"


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[IssuerService, Flask, str]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("fast") / "var", chain="memory")
    chain = memory_chain(fresh=True)
    deployment_store(settings, chain).save(deploy_registry(TransactionSender(chain.w3, chain.governor())))
    service = IssuerService(
        ServiceConfig.from_settings(
            settings, env={"MEDCRED_PUBLIC_URL": PUBLIC_URL, "MEDCRED_BATCH_MAX_AGE": "3600"}
        )
    )
    service.create_institution("Simulation Centre", slug="sim")
    token, _ = service.create_token("sim", ["issue"])
    app = create_app(service, VerifierConfig(), secret_key=os.urandom(32))
    yield service, app, token
    service.close()


def test_issue_answer_equals_a_read_back(issuer: tuple[IssuerService, Flask, str]) -> None:
    """The answer is built from what was stored, no longer read back: it must be the same."""
    _service, app, token = issuer
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for body in (
        {"template": "acls", "email": "ada@example.org", "name": "Ada Okafor"},
        {"template": "bls", "email": "noname@example.org", "validFrom": "2025-03-01"},
        {"template": "cpd", "email": "zoned@example.org", "validFrom": "2025-03-01T09:30:00+02:00"},
    ):
        issued = client.post("/api/v1/institutions/sim/credentials", json=body, headers=headers)
        assert issued.status_code == 201, issued.text
        read = client.get(f"/api/v1/institutions/sim/credentials/{issued.json['id']}", headers=headers)
        assert read.status_code == 200
        assert issued.json == read.json
        assert issued.headers["Location"] == read.json["url"]


def test_token_check_is_read_only_yet_revocation_is_immediate(
    issuer: tuple[IssuerService, Flask, str],
) -> None:
    service, _app, _token = issuer
    token, info = service.create_token("sim", ["issue"], label="touch")

    def last_used() -> object:
        with service.db.reader() as session:
            return session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == info.id))

    service.verify_token(token, "issue", "sim")
    first = last_used()
    assert first is not None
    service.verify_token(token, "issue", "sim")
    assert last_used() == first  # within the granularity: not written again
    with service.db.session() as session:
        session.execute(
            update(ApiToken)
            .where(ApiToken.id == info.id)
            .values(last_used_at=utcnow() - timedelta(minutes=5))
        )
    service.verify_token(token, "issue", "sim")
    assert last_used() > first  # due again: written
    service.revoke_token("sim", info.id)
    with pytest.raises(UnauthorizedError, match="revoked"):
        service.verify_token(token, "issue", "sim")  # no cache: refused on the very next request


def test_wsgi_app_builds_one_service_per_process(
    issuer: tuple[IssuerService, Flask, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    service, _app, _token = issuer
    monkeypatch.setenv("MEDCRED_DATA_DIR", str(service.config.data_dir))
    monkeypatch.setenv("MEDCRED_CHAIN", "memory")
    monkeypatch.setenv("MEDCRED_PUBLIC_URL", PUBLIC_URL)
    app = wsgi.create_app()
    first = app.service
    assert first is not None
    assert first.config.database_url == service.config.database_url  # configured like the CLI
    assert app.flask_app.test_client().get("/healthz").status_code == 200
    assert app.service is first  # same process: same service
    real_pid = os.getpid()
    monkeypatch.setattr(wsgi.os, "getpid", lambda: real_pid + 1)  # as after gunicorn's fork
    assert app.flask_app.test_client().get("/healthz").status_code == 200
    assert app.service is not None and app.service is not first
    assert app.service.db.engine is not first.db.engine  # its own connection pool


def test_worker_command_runs_until_sigterm(tmp_path: Path) -> None:
    data = str(tmp_path / "var")
    process = subprocess.Popen(
        [sys.executable, "-m", "verifier", "--data-dir", data, "--chain", "memory", "worker"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        seen = []
        while not any("MedCred anchoring worker on" in line for line in seen) and len(seen) < 50:
            seen.append(process.stdout.readline())
            assert seen[-1], "".join(seen)  # EOF: the worker exited
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert "Anchoring worker stopped." in output


def _allocate_many(db: Database, institution_slug: str, per_thread: int, out: Any) -> None:
    """In a forked child, on the parent's Database object (its write lock was held at the fork):
    4 threads allocating one position per write transaction."""
    from issuer.issuance import _allocate

    db.engine.dispose(close=False)  # the parent's pooled connections are not this process's
    with db.reader() as session:
        institution = get_institution(session, institution_slug)
    got: list[tuple[str, int]] = []

    def work() -> None:
        for _ in range(per_thread):
            got.extend(_allocate(db, institution, 1))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put(got)


def test_sqlite_writers_take_turns_and_positions_stay_unique(
    issuer: tuple[IssuerService, Flask, str],
) -> None:
    """2 processes x 4 threads allocating at once: every position distinct, none lost, and a
    child forked while the parent holds its write lock is not blocked by it."""
    service, _app, _token = issuer
    with service.db.reader() as session:
        before = allocated_count(session, get_institution(session, "sim"))
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    started = time.monotonic()
    with service.db.session():  # held by this thread while the children fork
        children = [
            context.Process(target=_allocate_many, args=(service.db, "sim", 25, out)) for _ in range(2)
        ]
        for child in children:
            child.start()
    positions = out.get(timeout=120) + out.get(timeout=120)
    assert time.monotonic() - started < 20  # not the 30 s a lock inherited held would cost
    for child in children:
        child.join(30)
        assert child.exitcode == 0
    assert len(positions) == 200 and len(set(positions)) == 200
    with service.db.reader() as session:
        assert allocated_count(session, get_institution(session, "sim")) == before + 200
