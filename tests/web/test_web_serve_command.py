"""`medcred serve` as a user runs it: a separate process on a real anvil node, serving the API and
the verifier page, anchoring in the background, and stopping cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from web_fixtures import free_port

from verifier.cli import _load_plugins, cli
from verifier.data_integrity import is_anchor_proof

pytestmark = pytest.mark.local


def medcred(data: Path, *args: str) -> str:
    _load_plugins()
    result = CliRunner().invoke(cli, ["--data-dir", str(data), "--chain", "local", *args])
    assert result.exit_code == 0, result.output
    return result.output


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else "exited"
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")


def is_anchored(credential: dict) -> bool:
    proofs = credential["proof"] if isinstance(credential["proof"], list) else [credential["proof"]]
    return any(is_anchor_proof(p) for p in proofs)


def test_serve_issues_anchors_verifies_and_stops_on_sigterm(tmp_path: Path) -> None:
    data = tmp_path / "var"
    medcred(data, "chain", "start", "--port", "18633")
    try:
        token = next(line for line in medcred(data, "run", "--once").splitlines() if line.startswith("mct_"))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "MEDCRED_PUBLIC_URL": base, "MEDCRED_BATCH_MAX_AGE": "0.5"}
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "verifier",
                "--data-dir",
                str(data),
                "--chain",
                "local",
                "serve",
                "--port",
                str(port),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_until_up(f"{base}/healthz", process)
            issued = requests.post(
                f"{base}/api/v1/institutions/demo/credentials",
                json={"template": "acls", "email": "served@example.org", "name": "Served Person"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            assert issued.status_code == 201, issued.text
            credential_url = issued.json()["url"]
            deadline = time.monotonic() + 30
            while not is_anchored(requests.get(credential_url, timeout=5).json()):
                assert time.monotonic() < deadline, "the background worker did not anchor the credential"
                time.sleep(0.3)
            page = requests.get(issued.json()["links"]["verify"], timeout=30).text
            assert "INVALID" not in page and "VALID" in page
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                output, _ = process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
        assert process.returncode == 0, output
        assert "Stopped." in output and "Traceback" not in output
        assert f"on {base}" in output
    finally:
        medcred(data, "chain", "stop")
