"""The public URL a data folder issues under: `run --port P`, MEDCRED_PUBLIC_URL, the folder's
memory of it, and the warning when a command issues elsewhere than the running server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from issuer.public_url import (
    SERVER_FILE,
    choose_server_address,
    mismatch_warning,
    remember_public_url,
    remembered_public_url,
)
from verifier.cli import _load_plugins, cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_issues_under_its_port_and_the_folder_remembers_it(tmp_path: Path) -> None:
    assert choose_server_address(tmp_path, "127.0.0.1", None, env={}).public_url == "http://127.0.0.1:8000"
    chosen = choose_server_address(tmp_path, "127.0.0.1", 8101, env={})
    assert (chosen.port, chosen.public_url) == (8101, "http://127.0.0.1:8101")
    assert chosen.changed_from == "http://127.0.0.1:8000"
    assert remembered_public_url(tmp_path) == "http://127.0.0.1:8101"
    # The next start without --port listens on the remembered port, under the same URL.
    again = choose_server_address(tmp_path, "0.0.0.0", None, env={})
    assert (again.port, again.public_url, again.changed_from) == (8101, "http://127.0.0.1:8101", None)


def test_medcred_public_url_says_otherwise_and_is_remembered(tmp_path: Path) -> None:
    env = {"MEDCRED_PUBLIC_URL": "https://credentials.example.org/"}
    chosen = choose_server_address(tmp_path, "127.0.0.1", 8101, env=env)
    assert (chosen.port, chosen.public_url) == (8101, "https://credentials.example.org")
    # Behind a proxy: the next start without --port or environment keeps the remembered public URL.
    later = choose_server_address(tmp_path, "127.0.0.1", None, env={})
    assert (later.port, later.public_url) == (8000, "https://credentials.example.org")


@pytest.mark.local
def test_run_port_cli_issue_and_a_mismatch_warning(tmp_path: Path) -> None:
    _load_plugins()
    runner = CliRunner()
    data = tmp_path / "var"

    def medcred(*args: str, env: dict[str, str] | None = None) -> tuple[str, str]:
        result = runner.invoke(cli, ["--data-dir", str(data), "--chain", "local", *args], env=env)
        assert result.exit_code == 0, result.output
        return result.stdout, result.stderr

    def issue(email: str, env: dict[str, str] | None = None) -> tuple[dict, str]:
        out, err = medcred("issue", "--institution", "demo", "--template", "bls", "--email", email, env=env)
        return json.loads(out), err

    medcred("chain", "start", "--port", "18641")
    port = _free_port()
    server = None
    try:
        medcred("run", "--once")
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "verifier",
                "--data-dir",
                str(data),
                "--chain",
                "local",
                "run",
                "--port",
                str(port),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("MEDCRED_")},
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.2)
        assert remembered_public_url(data) == base
        credential, err = issue("cli@example.org")
        assert credential["id"].startswith(f"{base}/credentials/")
        assert credential["credentialStatus"]["statusListCredential"].startswith(f"{base}/status-lists/")
        assert "Warning" not in err
        # The credential's own link works: it is served where it says.
        served = requests.get(credential["id"] + "/credential.json", timeout=10).json()
        assert served["id"] == credential["id"]

        elsewhere, err = issue("elsewhere@example.org", env={"MEDCRED_PUBLIC_URL": "http://other.example"})
        assert elsewhere["id"].startswith("http://other.example/credentials/")
        assert f"issues under {base}" in err and f"pid {server.pid}" in err and "MEDCRED_PUBLIC_URL" in err
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        medcred("chain", "stop")
    assert not (data / SERVER_FILE).exists()
    # The folder still issues under the port the server used, without a warning.
    credential, err = issue("after@example.org")
    assert credential["id"].startswith(f"http://127.0.0.1:{port}/credentials/") and "Warning" not in err


def test_a_stale_server_record_warns_nobody(tmp_path: Path) -> None:
    remember_public_url(tmp_path, "http://127.0.0.1:8101")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    ).stdout.strip()
    (tmp_path / SERVER_FILE).write_text(
        json.dumps({"pid": int(dead), "public_url": "http://x", "listening": "x"})
    )
    assert mismatch_warning(tmp_path, "http://127.0.0.1:8101", env={}) is None
