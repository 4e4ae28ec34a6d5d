"""`medcred --help` and `--version` import no heavy library, and list every command from its help line.

Start-up figures are printed by benchmarks/bench_cli.py; the tests check the cause (what gets
imported), never the time.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from verifier import __version__
from verifier.cli import _load_plugins, cli

HEAVY = ("web3", "eth_account", "eth_keyfile", "py_ecc", "sqlalchemy", "alembic", "flask", "issuer.service")

PROBE = """
import json, sys
from verifier.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stdout.flush()
print("\\n" + json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _modules_after(*argv: str) -> tuple[str, set[str]]:
    """Run `medcred ARGV` in a fresh interpreter; its output and the modules it had imported."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=60, check=True
    )
    modules = set(json.loads(result.stderr.strip().splitlines()[-1]))
    return result.stdout, modules


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize("argv", [("--help",), ("--version",), ()])
def test_help_and_version_import_nothing_heavy(argv: tuple[str, ...]) -> None:
    out, modules = _modules_after(*argv)
    assert _heavy(modules) == []
    if argv == ("--version",):
        assert out.strip() == f"medcred, version {__version__}"
    elif argv:
        for name in ("verify", "verify-batch", "issue-batch", "run", "registry", "token", "worker"):
            assert f"\n  {name} " in out
        assert "  verify-batch   Verify many credentials" in out  # help lines read from the source


def test_importing_the_cli_modules_imports_nothing_heavy() -> None:
    code = "import json, sys, verifier.cli, issuer.cli; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert _heavy(set(json.loads(out))) == []


def test_a_command_is_imported_when_it_runs() -> None:
    _out, modules = _modules_after("token", "--help")
    assert "issuer.cli.token_commands" in modules
    assert "issuer.cli.chain_commands" not in modules


def test_every_listed_help_line_is_the_commands_own() -> None:
    """The help `--help` lists for each lazy command (read from its module's source, not imported)
    is what Click shows once the command is imported."""
    _load_plugins()
    assert len(cli.lazy_commands) >= 15
    for name in cli.lazy_commands:
        listed = cli.lazy_help(name, limit=1000)
        assert listed, name
        assert listed == cli.load_lazy(name).get_short_help_str(limit=1000), name


def test_every_command_answers_help() -> None:
    _load_plugins()
    runner = CliRunner()
    for name in cli.lazy_commands:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert result.output.startswith("Usage: ") and f" {name} " in result.output.splitlines()[0]


def test_the_verify_command_imports_no_issuer_and_no_keystore_crypto() -> None:
    """`medcred verify` needs web3 for the registry, but not eth_keyfile's BLS pairing (0.35 s),
    nor anything of the issuer's."""
    code = (
        "import json, sys; from verifier.cli import _load_plugins, cli; _load_plugins();"
        "cli.load_lazy('verify'); import verifier.pipeline; print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    modules = set(json.loads(out))
    assert "web3" in modules
    heavy = [m for m in modules if m.split(".")[0] in {"py_ecc", "sqlalchemy", "alembic", "flask"}]
    assert heavy == []
    assert {m for m in modules if m.startswith("issuer")} == {"issuer", "issuer.cli"}  # the command table


def test_keystore_files_still_work_after_the_deferral() -> None:
    """The deferred eth_keyfile is imported for real on first use: a keystore round trip works."""
    code = """
import sys
import verifier.chain, verifier.pipeline
assert "py_ecc" not in sys.modules
from eth_account import Account
account = Account.create()
keystore = Account.encrypt(account.key, "pw", kdf="pbkdf2", iterations=2)
assert Account.decrypt(keystore, "pw") == account.key
import eth_keyfile.keyfile
assert eth_keyfile.keyfile.__file__.endswith("keyfile.py")
from eth_keyfile import load_keyfile, extract_key_from_keyfile
print("ok", "py_ecc" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["ok", "True"]


def test_issuer_commands_on_a_real_node_do_not_load_the_in_process_evm() -> None:
    """py-evm (eth-tester's backend, with py_ecc) is for `--chain memory` only: ~0.5 s saved on every
    `medcred issue`, `issue-batch`, `anchor` ... against anvil or a real network."""
    code = "import json, sys, issuer.cli.issue_commands; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = {m.split(".")[0] for m in json.loads(out)}
    assert not loaded & {"eth_tester", "eth", "py_ecc", "flask"}
