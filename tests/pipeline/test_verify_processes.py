"""Verification in worker processes (issue 9): hostile CPU never shares the web process's GIL.

Replays the attack the benchmark measured (`benchmarks/bench_hostile.py`): poison graphs sent to a
served verifier are canonicalized in worker processes, not in the process that serves issuing,
the admin UI and /healthz. A worker killed mid-service costs one 503 with Retry-After, and the next
request is verified by a fresh worker. Runs on a real anvil node: an in-process chain cannot be
reached from another process, and then the runner stays on threads (tested too).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import pickle
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests

from issuer.chain.backends import open_chain
from issuer.web.server import WebServer
from verifier.canon_budget import TooComplexError
from verifier.config import ConfigError, TrustedRegistry, VerifierConfig
from verifier.report import INVALID, VALID
from verifier.vc_api import credential_result
from verifier.web.app import create_app
from verifier.web.vc_api_requests import Answer, verify_credential_request
from verifier.web.verify_pool import SLOTS_ENV, slots_from_env
from verifier.web.verify_processes import (
    EXTENSION,
    PROCESSES_ENV,
    WORKERS_ENV,
    VerifyJobError,
    VerifyRunner,
    VerifyUnavailable,
    verify_submitted,
    worker_pid,
    workers_from_env,
)

from .world import World

pytestmark = pytest.mark.local
KNOWS = "https://example.org/knows"


@pytest.fixture(scope="module")
def local_world(anvil_node: tuple[Path, str]) -> World:
    return World.create(open_chain("local", anvil_node[0]))


@pytest.fixture(scope="module")
def config(local_world: World, anvil_node: tuple[Path, str]) -> VerifierConfig:
    """The world's configuration with the registry reached over RPC, as a served verifier has it."""
    registry = TrustedRegistry("local", local_world.chain.chain_id, local_world.address, anvil_node[1])
    return dataclasses.replace(local_world.config(), registries=(registry,))


@pytest.fixture(scope="module")
def credential(local_world: World) -> dict[str, Any]:
    return local_world.issue_anchored(local_world.institution("Process School"), 1)[0]


def poisoned(credential: dict[str, Any], nodes: int = 10) -> dict[str, Any]:
    """The benchmark's poison graph: blank nodes that all know each other (RDFC-1.0 poison dataset)."""
    forged = copy.deepcopy(credential)
    forged["credentialSubject"]["https://example.org/poison"] = [
        {"id": f"_:n{i}", KNOWS: [{"id": f"_:n{j}"} for j in range(nodes) if j != i]} for i in range(nodes)
    ]
    return forged


@pytest.fixture
def runner(config: VerifierConfig) -> Iterator[VerifyRunner]:
    started = VerifyRunner(config, workers=2)
    assert started.start_processes()
    yield started
    started.close()


def children() -> set[int]:
    """Process ids whose parent is this process."""
    return {child.pid for child in psutil.Process().children()}


def summary(report: Any) -> tuple[str, list[tuple[str, str, str]]]:
    return report.status, [(c.name, str(c.status), c.code) for c in report.checks]


def test_jobs_run_in_child_processes_and_verify_as_in_the_thread(
    runner: VerifyRunner, config: VerifierConfig, credential: dict[str, Any]
) -> None:
    assert runner.in_processes
    pids = {runner.run(worker_pid) for _ in range(8)}
    assert os.getpid() not in pids
    assert pids <= children()
    text = json.dumps(credential)
    in_worker = runner.run(verify_submitted, text, source="a file")
    in_thread = VerifyRunner(config, workers=1).run(verify_submitted, text, source="a file")
    assert in_worker.status == VALID, in_worker.to_json()
    assert summary(in_worker) == summary(in_thread)
    assert in_worker.source == "a file"
    body = json.dumps({"verifiableCredential": credential}).encode()
    answer = runner.run(verify_credential_request, body)  # the VC-API's job: parsed in the worker
    assert isinstance(answer, Answer) and answer.status == 200
    assert json.loads(answer.body)["checks"] == credential_result(in_worker)["checks"]


def test_a_poison_graph_is_refused_in_a_worker(runner: VerifyRunner, credential: dict[str, Any]) -> None:
    report = runner.run(verify_submitted, json.dumps(poisoned(credential)))
    assert report.status == INVALID
    signature = report.check("signature")
    assert signature is not None and signature.code == "too_complex"


def test_a_killed_worker_costs_one_request_and_is_replaced(
    runner: VerifyRunner, credential: dict[str, Any]
) -> None:
    victims = {runner.run(worker_pid) for _ in range(4)}
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    refused = 0
    for _ in range(5):
        # A job handed to the dying pool is refused (VerifyUnavailable: the caller answers 503); once
        # the pool has noticed, a job is retried on a fresh one. Never anything else.
        try:
            assert runner.run(verify_submitted, json.dumps(credential)).status == VALID
        except VerifyUnavailable:
            refused += 1
    assert refused <= 1
    report = runner.run(verify_submitted, json.dumps(credential))
    assert report.status == VALID
    assert runner.run(worker_pid) not in victims


def raise_too_complex(_verifier: Any) -> None:
    """A job raising an exception whose class cannot be rebuilt from its message alone."""
    raise TooComplexError(5_000, 4_000)


def test_an_exception_in_a_job_comes_back_and_keeps_the_pool(runner: VerifyRunner) -> None:
    """A found fault: an exception class with extra constructor arguments could not be unpickled
    in the web process, which broke the pool (a 503 for every request in flight, a respawn)."""
    before = children()  # the workers (and multiprocessing's resource tracker)
    with pytest.raises(VerifyJobError) as caught:
        runner.run(raise_too_complex)
    assert caught.value.kind == "TooComplexError"
    assert "more than 4,000 work units" in str(caught.value)
    assert "raise TooComplexError" in caught.value.worker_traceback
    assert runner.run(worker_pid) in before
    assert children() == before  # the same workers: nothing broke, nothing was respawned


def test_workers_exit_when_the_web_process_is_killed(config: VerifierConfig, tmp_path: Path) -> None:
    """A found fault: a SIGKILLed server left its workers running for good (they hold both ends of
    the pool's pipes, so they never see end-of-file). Replayed with a real child process."""
    config_file = tmp_path / "config.pickle"
    config_file.write_bytes(pickle.dumps(config))
    script = (
        "import pickle, sys, time\n"
        "from verifier.web.verify_processes import VerifyRunner, worker_pid\n"
        f"runner = VerifyRunner(pickle.loads(open({str(config_file)!r}, 'rb').read()), workers=2)\n"
        "assert runner.start_processes()\n"
        "print(' '.join(str(runner.run(worker_pid)) for _ in range(6)), flush=True)\n"
        "time.sleep(600)\n"
    )
    server = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        workers = {int(pid) for pid in server.stdout.readline().split()}
        assert workers and server.pid not in workers
        assert all(alive(pid) for pid in workers)
    finally:
        server.kill()
        server.wait()
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in workers):
        assert time.monotonic() < deadline, f"orphaned workers still running: {workers}"
        time.sleep(0.1)


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for its reaper counts as gone)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_chain_inside_this_process_keeps_verification_in_threads(
    local_world: World, config: VerifierConfig, credential: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    in_process = VerifyRunner(local_world.config(), workers=2)  # TrustedRegistry.w3: the chain object
    assert not in_process.start_processes()
    assert not in_process.in_processes
    assert in_process.run(worker_pid) == os.getpid()
    assert in_process.run(verify_submitted, json.dumps(credential)).status == VALID
    monkeypatch.setenv(PROCESSES_ENV, "0")
    switched_off = VerifyRunner(config, workers=2)
    assert not switched_off.start_processes()
    assert switched_off.run(worker_pid) == os.getpid()


def test_a_served_verifier_answers_from_workers_and_503_once_when_one_dies(
    config: VerifierConfig, credential: dict[str, Any]
) -> None:
    """Over HTTP, as `verify-server` and `serve` run: the attack, the genuine request, a dead worker."""
    app = create_app(config)
    server = WebServer(app, "127.0.0.1", 0, verify_processes=True).start()
    try:
        runner = app.extensions[EXTENSION]
        deadline = time.monotonic() + 120  # the workers start in the background: the server answers meanwhile
        while not runner.in_processes:
            assert time.monotonic() < deadline, "the verification workers did not start"
            time.sleep(0.1)
        verify = f"{server.url}/credentials/verify"
        hostile = requests.post(verify, json={"verifiableCredential": poisoned(credential, 8)}, timeout=60)
        assert hostile.status_code == 422
        assert "too complex to canonicalize" in hostile.text
        genuine = requests.post(verify, json={"verifiableCredential": credential}, timeout=60)
        assert genuine.status_code == 200 and genuine.json()["verdict"] == VALID
        for pid in {runner.run(worker_pid) for _ in range(4)}:
            os.kill(pid, signal.SIGKILL)
        answers = [
            requests.post(verify, json={"verifiableCredential": credential}, timeout=60) for _ in range(4)
        ]
        statuses = [answer.status_code for answer in answers]
        assert set(statuses) <= {200, 503} and statuses.count(503) <= 1, statuses
        for busy in (answer for answer in answers if answer.status_code == 503):
            assert busy.headers["Retry-After"] == "5"
            assert busy.headers["Content-Type"].startswith("application/problem+json")
            assert "worker stopped" in busy.json()["detail"]
        assert statuses[-1] == 200
        big = {"verifiableCredential": dict(credential, padding="a" * (2 * 1024 * 1024 + 1000))}
        oversized = requests.post(verify, json=big, timeout=60)  # a found fault: the size check was skipped
        assert oversized.status_code == 422
        assert [(e["check"], e["code"]) for e in oversized.json()["errors"]] == [("parse", "too_large")]
        assert requests.get(f"{server.url}/verify", timeout=30).status_code == 200  # the form still there
    finally:
        server.stop()
    assert not runner.in_processes  # stop() ended the workers


@pytest.mark.parametrize(
    ("raw", "slots", "expected"),
    [("", 4, min(4, os.cpu_count() or 1)), ("3", 4, 3), ("9", 4, 4), (" 1 ", 4, 1), ("", 1, 1)],
)
def test_the_worker_count_is_one_per_core_or_set_and_never_past_the_slots(
    raw: str, slots: int, expected: int
) -> None:
    assert workers_from_env(slots, {WORKERS_ENV: raw}) == expected


@pytest.mark.parametrize("raw", ["0", "-1", "two", "1.5", "²", "1" * 5000])
def test_a_bad_worker_or_slot_count_is_a_sentence(raw: str) -> None:
    with pytest.raises(ConfigError, match=f"{WORKERS_ENV} must be a whole number of at least 1"):
        workers_from_env(4, {WORKERS_ENV: raw})
    with pytest.raises(ConfigError, match=f"{SLOTS_ENV} must be a whole number of at least 1"):
        slots_from_env(env={SLOTS_ENV: raw})


def test_the_app_takes_its_worker_count_from_the_environment(
    config: VerifierConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WORKERS_ENV, "1")
    app = create_app(config)
    assert app.extensions[EXTENSION].workers == 1
