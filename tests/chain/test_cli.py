"""The chain and registry commands, end to end on a real anvil node."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_account import Account

from verifier.cli import _load_plugins, cli


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    _load_plugins()
    return CliRunner()


def _medcred(runner: CliRunner, data_dir: Path, *args: str, ok: bool = True) -> str:
    result = runner.invoke(cli, ["--data-dir", str(data_dir), *args])
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    return result.output


def test_chain_lifecycle_and_registry_survive_a_restart(runner: CliRunner, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert "stopped (no saved state)" in _medcred(runner, data, "chain", "status")
    try:
        assert "started" in _medcred(runner, data, "chain", "start", "--port", "18600")
        assert "running" in _medcred(runner, data, "chain", "status")
        address = _medcred(runner, data, "registry", "deploy").strip().splitlines()[-1]
        trust = (data / "verifier.toml").read_text()
        assert f'address = "{address}"' in trust and 'rpc_url = "http://127.0.0.1:' in trust
        issuer = Account.create().address
        _medcred(
            runner,
            data,
            "registry",
            "add-issuer",
            issuer,
            "--did",
            "did:web:acls.example",
            "--name",
            "ACLS U",
        )
        shown = json.loads(_medcred(runner, data, "registry", "show", "--json"))
        assert shown["address"] == address
        assert [i["account"] for i in shown["issuers"]] == [issuer]
        assert "stopped" in _medcred(runner, data, "chain", "stop")
        assert "stopped (saved state present)" in _medcred(runner, data, "chain", "status")
        assert ":18600 " in _medcred(runner, data, "chain", "start")  # the last port is preferred
        shown = json.loads(_medcred(runner, data, "registry", "show", "--json"))
        assert shown["address"] == address
        assert shown["issuers"][0]["did"] == "did:web:acls.example"
        assert shown["issuers"][0]["status"] == "active"
        _medcred(runner, data, "registry", "suspend", issuer)
        assert "[suspended]" in _medcred(runner, data, "registry", "show", issuer)
        _medcred(runner, data, "registry", "reinstate", issuer)
        assert "[active]" in _medcred(runner, data, "registry", "show", issuer)
        # deploy again: the recorded registry is kept
        assert address in _medcred(runner, data, "registry", "deploy")
        # restarted while its port is taken: another port, and the verifier's trust follows it
        _medcred(runner, data, "chain", "stop")
        with socket.socket() as squatter:
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            squatter.bind(("127.0.0.1", 18600))
            squatter.listen(1)
            started = _medcred(runner, data, "chain", "start")
        port = started.split("http://127.0.0.1:")[1].split(" ")[0]
        assert port != "18600"
        assert f'rpc_url = "http://127.0.0.1:{port}"' in (data / "verifier.toml").read_text()
        assert json.loads(_medcred(runner, data, "registry", "show", "--json"))["address"] == address
    finally:
        _medcred(runner, data, "chain", "stop")


def test_bad_input_is_one_clear_line(runner: CliRunner, tmp_path: Path) -> None:
    data = tmp_path / "data"
    out = _medcred(runner, data, "--chain", "memory", "registry", "deploy")
    assert out.strip().splitlines()[-1].startswith("0x")
    cases = {
        (
            "registry",
            "add-issuer",
            "0x1234",
            "--did",
            "did:web:a.example",
            "--name",
            "A",
        ): "not an Ethereum address",
        (
            "registry",
            "add-issuer",
            Account.create().address,
            "--did",
            "web:a",
            "--name",
            "A",
        ): "not a valid DID",
        ("registry", "reinstate", Account.create().address): "UnknownIssuer",
    }
    for args, expected in cases.items():
        out = _medcred(runner, data, "--chain", "memory", *args, ok=False)
        assert expected in out
        assert len(out.strip().splitlines()) == 1, out
    out = _medcred(runner, tmp_path / "empty", "registry", "show", ok=False)
    assert "local chain is not running" in out


def test_wrong_role_is_refused_with_the_error_name(tmp_path: Path) -> None:
    """Governance with a key that holds no role: a real process, one line on stderr."""
    data = tmp_path / "data"
    env_base = {"PATH": "/usr/bin:/bin", "MEDCRED_DATA_DIR": str(data)}
    # A memory chain dies with its process, so do the whole thing in one process with an outsider key.
    script = (
        "import os; from verifier.cli import main; import sys;"
        "sys.argv=['medcred','--chain','memory','registry','deploy']\n"
        "try: main()\nexcept SystemExit: pass\n"
        "from issuer.chain.backends import memory_chain; acct = memory_chain().dev_accounts[3]\n"
        "os.environ['MEDCRED_GOVERNOR_KEY'] = acct.key.hex()\n"
        "main(['--chain','memory','registry','add-issuer','0x' + '11'*20,"
        "'--did','did:web:x.example','--name','X'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env_base, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "AccessControlUnauthorizedAccount" in result.stderr
    errors = [line for line in result.stderr.splitlines() if not line.startswith("Registry deployed")]
    assert len(errors) == 1 and errors[0].startswith("Error: Registering issuer"), result.stderr
