"""`medcred verify-server` runs on waitress, a production WSGI server, not Flask's development server
(issue 9): a separate process serves the page and VC-API verify for credentials anchored on a real
anvil node, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from issuer.chain.backends import open_chain
from verifier.config import TrustedRegistry, render_config

from .world import World

pytestmark = pytest.mark.local


@pytest.fixture(scope="module")
def local_world(anvil_node: tuple[Path, str]) -> World:
    return World.create(open_chain("local", anvil_node[0]))


def test_verify_server_serves_on_waitress_and_stops_on_sigterm(
    local_world: World, anvil_node: tuple[Path, str], tmp_path: Path
) -> None:
    credential: dict[str, Any] = local_world.issue_anchored(local_world.institution("Served School"), 1)[0]
    trust = tmp_path / "verifier.toml"
    registry = TrustedRegistry("local", local_world.chain.chain_id, local_world.address, anvil_node[1])
    trust.write_text(render_config([registry]))
    process = subprocess.Popen(
        [sys.executable, "-m", "verifier", "--data-dir", str(tmp_path / "var"), "verify-server",
         "--port", "0", "--config", str(trust)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("MedCred verifier on http://127.0.0.1:"), first
        page_url = first.split(" on ", 1)[1].strip()
        base = page_url.removesuffix("/verify")
        page = requests.get(page_url, timeout=30)
        assert page.status_code == 200 and "<form" in page.text
        assert page.headers["Server"] == "MedCred"  # waitress's ident; werkzeug says "Werkzeug/..."
        answer = requests.post(
            f"{base}/credentials/verify", json={"verifiableCredential": credential}, timeout=60
        )
        assert answer.status_code == 200 and answer.json()["verified"] is True, answer.text
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0, output
    assert "Stopped." in output
    assert "development server" not in output and "Traceback" not in output
