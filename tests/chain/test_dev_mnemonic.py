"""anvil's public development mnemonic is never used as governor on a node reached beyond loopback
(issue 9): `--chain http://<not loopback>:PORT` with chain id 31337 refuses with a sentence that says
what to configure instead, and works once MEDCRED_GOVERNOR_KEY names the governor's own key.

The node is a real anvil listening on this machine's non-loopback address."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import requests
from click.testing import CliRunner
from eth_account import Account

from issuer.chain.anvil import find_anvil
from issuer.chain.backends import open_chain
from issuer.loopback import is_loopback_host, url_is_loopback
from verifier.cli import _load_plugins, cli

pytestmark = pytest.mark.local


def non_loopback_ipv4() -> str | None:
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family == socket.AF_INET and not is_loopback_host(address.address):
                return str(address.address)
    return None


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def remote_anvil() -> Iterator[str]:
    host = non_loopback_ipv4()
    if host is None:
        pytest.skip("this machine has no non-loopback IPv4 address to serve anvil on")
    port = free_port(host)
    args = [str(find_anvil()), "--host", host, "--port", str(port), "--chain-id", "31337"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://{host}:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "anvil did not start"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_public_mnemonic_is_refused_beyond_loopback(
    remote_anvil: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEDCRED_GOVERNOR_KEY", raising=False)
    chain = open_chain(remote_anvil, tmp_path)
    assert chain.chain_id == 31337
    assert not chain.is_dev and chain.dev_accounts == []  # no faucet, no auto-registration either

    _load_plugins()
    result = CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path), "--chain", remote_anvil, "registry", "deploy"]
    )
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "public development mnemonic" in result.output
    assert "MEDCRED_GOVERNOR_KEY" in result.output and "127.0.0.1" in result.output
    assert not (tmp_path / "verifier.toml").exists()  # nothing was deployed


def test_the_governor_key_from_the_environment_works_there(
    remote_anvil: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    governor = Account.create()
    funded = requests.post(
        remote_anvil,
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "anvil_setBalance",
            "params": [governor.address, hex(10**19)],
        },
        timeout=10,
    )
    assert "error" not in funded.json()
    monkeypatch.setenv("MEDCRED_GOVERNOR_KEY", governor.key.hex())
    monkeypatch.setenv("MEDCRED_CONFIRMATIONS", "1")
    _load_plugins()
    result = CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path), "--chain", remote_anvil, "registry", "deploy"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "verifier.toml").exists()


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8545", True),
        ("http://127.8.9.10:8545", True),
        ("http://[::1]:8545", True),
        ("http://localhost:8545", True),
        ("http://node.localhost:8545", True),
        ("http://0.0.0.0:8545", False),
        ("http://10.0.0.5:8545", False),
        ("https://rpc.example.org", False),
        ("http://127.0.0.1.example.org:8545", False),
        ("http://[::1", False),
    ],
)
def test_what_counts_as_loopback(url: str, loopback: bool) -> None:
    assert url_is_loopback(url) is loopback
