"""A server that cannot listen says why in a sentence (exit 2), never a traceback: the port taken,
a host name that does not resolve, an address the machine does not have. For `verify-server`,
`serve` and `run`, as a new user meets it with a second `medcred run` on the same port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield int(held.getsockname()[1])


def medcred(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MEDCRED_PUBLIC_URL": "", "PYTHONWARNINGS": "default"}
    return subprocess.run(
        [sys.executable, "-m", "verifier", "--data-dir", str(data), *args],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    "command",
    [("verify-server",), ("--chain", "memory", "serve"), ("--chain", "memory", "run")],
    ids=["verify-server", "serve", "run"],
)
def test_a_taken_port_is_a_sentence_not_a_traceback(
    tmp_path: Path, taken_port: int, command: tuple[str, ...]
) -> None:
    done = medcred(tmp_path / "var", *command, "--port", str(taken_port))
    assert done.returncode == 2, done.stderr
    assert f"Cannot listen on 127.0.0.1:{taken_port}: the port is already in use" in done.stderr
    assert "Traceback" not in done.stderr and "ResourceWarning" not in done.stderr, done.stderr


@pytest.mark.parametrize(
    ("host", "why"),
    [("no-such-host.invalid", "does not resolve"), ("192.0.2.1", "this machine has no such address")],
)
def test_a_host_it_cannot_listen_on_is_a_sentence(tmp_path: Path, host: str, why: str) -> None:
    for command in (("verify-server",), ("--chain", "memory", "serve")):
        done = medcred(tmp_path / "var", *command, "--host", host, "--port", "0")
        assert done.returncode == 2, done.stderr
        assert f"Cannot listen on {host}:0: " in done.stderr and why in done.stderr, done.stderr
        assert "Traceback" not in done.stderr, done.stderr
