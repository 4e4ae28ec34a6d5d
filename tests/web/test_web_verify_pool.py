"""Verification never starves the rest (issue 9): with every verification slot held by requests to
a server that trickles one byte every 2 s, `/healthz`, an issue request and the admin UI still
answer, further verify requests get 503 with Retry-After (a page on /verify, problem+json on the
VC-API), and verification works again once the slow server goes away.

Both ways the issuer is served: waitress with 8 threads (`medcred serve`), and a real gunicorn
process on the WSGI entry point (`--threads 4`, on a real anvil node). Each attack sends more slow
verify requests than the server has threads: before the verification pool they took every thread
and /healthz hung."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from slow_server import SlowServer
from web_fixtures import WebWorld, csrf_from, free_port

from issuer.web.app import create_app
from issuer.web.server import THREADS, WebServer
from issuer.web.wsgi import GUNICORN_VERIFY_SLOTS
from verifier.cli import _load_plugins, cli
from verifier.web.verify_pool import EXTENSION

HANG = 20.0
"""A generous bound: anything that answers at all answers well within it; a starved server never."""
GUNICORN_THREADS = 4


@dataclass
class Target:
    base: str
    threads: int
    slots: int
    slug: str
    institution_name: str
    issue_token: str
    admin_token: str
    busy_slots: Callable[[], int] | None = None
    """In-process servers only: how many slots are held now."""


@pytest.fixture
def slow() -> Iterator[SlowServer]:
    with SlowServer(interval=2.0) as server:
        yield server


@pytest.fixture
def waitress_target(world: WebWorld, slow: SlowServer) -> Iterator[Target]:
    # The hardened fetcher refuses loopback unless allowed.
    config = dataclasses.replace(world.verifier_config, allow_hosts=frozenset({slow.origin}))
    app = create_app(world.service, config, secret_key=os.urandom(32), verify_slots=3)
    server = WebServer(app, "127.0.0.1", 0, kind="waitress").start()
    gate = app.extensions[EXTENSION]
    yield Target(server.url, THREADS, 3, "sim", "Simulation Centre", world.tokens["issue"],
                 world.tokens["admin"], lambda: gate.busy)  # fmt: skip
    server.stop()


def _medcred(data: Path, chain: str, *args: str) -> str:
    _load_plugins()
    result = CliRunner().invoke(cli, ["--data-dir", str(data), "--chain", chain, *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def gunicorn_target(anvil_node: tuple[Path, str], slow: SlowServer, tmp_path: Path) -> Iterator[Target]:
    pytest.importorskip("gunicorn")
    data, chain = tmp_path / "var", anvil_node[1]
    _medcred(data, chain, "registry", "deploy")
    trust = data / "verifier.toml"
    # The hardened fetcher refuses loopback unless allowed: add the slow server to [network].
    allow = f'[network]\nallow_hosts = ["{slow.origin}"]'
    trust.write_text(trust.read_text().replace("[network]", allow, 1))
    _medcred(data, chain, "institution", "create", "Gunicorn School", "--slug", "gs")
    token = _medcred(data, chain, "token", "create", "--institution", "gs", "--scope", "admin")
    secret = next(word for word in token.split() if word.startswith("mct_"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "MEDCRED_DATA_DIR": str(data), "MEDCRED_CHAIN": chain, "MEDCRED_PUBLIC_URL": base}
    env.pop("MEDCRED_VERIFY_SLOTS", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", str(GUNICORN_THREADS),
         "--bind", f"127.0.0.1:{port}", "issuer.web.wsgi:create_app()"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else "gunicorn exited"
            try:
                if requests.get(f"{base}/healthz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "gunicorn did not come up"
            time.sleep(0.2)
        yield Target(base, GUNICORN_THREADS, GUNICORN_VERIFY_SLOTS, "gs", "Gunicorn School", secret, secret)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + HANG
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.parametrize(
    "target_fixture", ["waitress_target", pytest.param("gunicorn_target", marks=pytest.mark.local)]
)
def test_slow_verifications_leave_issuing_admin_and_health_answering(
    request: pytest.FixtureRequest, target_fixture: str, slow: SlowServer
) -> None:
    target: Target = request.getfixturevalue(target_fixture)
    base = target.base
    attackers = target.threads + 4
    assert target.slots < target.threads
    answers: list[requests.Response | BaseException] = []
    lock = threading.Lock()

    def attack() -> None:
        try:
            answer: requests.Response | BaseException = requests.get(
                f"{base}/verify", params={"credential": slow.url}, timeout=120
            )
        except requests.RequestException as exc:
            answer = exc
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=attack) for _ in range(attackers)]
    for thread in threads:
        thread.start()
    credential = None
    try:
        # Exactly `slots` requests hold the slow server; every other one was refused at once.
        wait_for(
            lambda: slow.connections == target.slots and len(answers) == attackers - target.slots,
            "the refusals",
        )
        refused = list(answers)
        assert all(isinstance(a, requests.Response) and a.status_code == 503 for a in refused), refused
        first = refused[0]
        assert isinstance(first, requests.Response)
        assert first.headers["Retry-After"].isdigit()
        assert first.headers["Content-Type"].startswith("text/html")
        assert "verification slot of this server is busy" in first.text
        if target.busy_slots is not None:
            assert target.busy_slots() == target.slots

        # Everything else still answers.
        health = requests.get(f"{base}/healthz", timeout=HANG)
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        issued = requests.post(
            f"{base}/api/v1/institutions/{target.slug}/credentials",
            json={"template": "acls", "email": "during@example.org", "name": "During Attack"},
            headers={"Authorization": f"Bearer {target.issue_token}"},
            timeout=HANG,
        )
        assert issued.status_code == 201, issued.text
        admin = requests.Session()
        login = admin.get(f"{base}/admin/login", timeout=HANG)
        logged_in = admin.post(
            f"{base}/admin/login",
            data={"token": target.admin_token, "csrf_token": csrf_from(login.text)},
            timeout=HANG,
        )
        assert logged_in.status_code == 200 and target.institution_name in logged_in.text
        assert admin.get(f"{base}/admin/credentials", timeout=HANG).status_code == 200

        # The machine endpoint is refused too, as problem+json.
        credential_id = issued.json()["id"]
        json_only = {"Accept": "application/json"}
        credential = requests.get(
            f"{base}/credentials/{credential_id}", headers=json_only, timeout=HANG
        ).json()
        busy = requests.post(
            f"{base}/credentials/verify", json={"verifiableCredential": credential}, timeout=HANG
        )
        assert busy.status_code == 503
        assert busy.headers["Content-Type"] == "application/problem+json"
        assert busy.json()["status"] == 503 and busy.headers["Retry-After"].isdigit()
        presentation = requests.post(
            f"{base}/presentations/verify", json={"verifiablePresentation": {"type": "x"}}, timeout=HANG
        )
        assert presentation.status_code == 503 and presentation.headers["Retry-After"].isdigit()
        # The empty form costs nothing and is always served.
        assert requests.get(f"{base}/verify", timeout=HANG).status_code == 200
    finally:
        slow.stop()
        for thread in threads:
            thread.join(timeout=60)
    assert len(answers) == attackers
    if target.busy_slots is not None:
        wait_for(lambda: target.busy_slots() == 0, "the slots to be given back")  # type: ignore[misc]
    again = requests.post(f"{base}/credentials/verify", json={"verifiableCredential": credential}, timeout=60)
    # Answered again (a just-issued credential is PENDING until anchored: 422 with the result).
    assert again.status_code in (200, 422) and "verified" in again.json()
