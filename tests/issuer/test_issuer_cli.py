"""The issuer's commands end to end on a real anvil node: clear output, no tracebacks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifier.cli import _load_plugins, cli

pytestmark = pytest.mark.local


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    _load_plugins()
    return CliRunner()


def medcred(runner: CliRunner, data: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(cli, ["--data-dir", str(data), "--chain", "local", *args])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def test_issue_anchor_export_revoke_from_the_command_line(runner: CliRunner, tmp_path: Path) -> None:
    data = tmp_path / "var"
    medcred(runner, data, "chain", "start", "--port", "18631")
    try:
        first = medcred(runner, data, "run", "--once")
        assert "Demo institution: demo" in first and "mct_" in first
        second = medcred(runner, data, "run", "--once")
        assert "mct_" not in second  # the token is shown once, and the second start says how to get one
        hint = re.search(r"medcred --data-dir (\S+) (token create --institution demo --scope admin)", second)
        assert hint is not None and hint.group(1) == str(data)
        assert "mct_" in medcred(runner, data, *hint.group(2).split())
        out = medcred(runner, data, "institution", "create", "St Elsewhere", "--slug", "ste")
        assert "Registry:    registered" in out
        assert "ste" in medcred(runner, data, "institution", "list")
        assert "mct_" in medcred(runner, data, "token", "create", "--institution", "ste", "--scope", "issue")
        medcred(runner, data, "issue", "--institution", "ste", "--template", "acls", "--name", "Jane Doe",
                "--email", "jane@example.org", "-o", str(tmp_path / "one.json"))  # fmt: skip
        # Files handed out are anchored by default: the permanent form, with its anchor proof.
        assert len(json.loads((tmp_path / "one.json").read_text())["proof"]) == 2
        bad = tmp_path / "bad.csv"
        bad.write_text("name,email,template\nA,a@x.org,bls\nB,nope,zzz\n")
        out = medcred(runner, data, "issue-batch", "--institution", "ste", str(bad), code=2)
        assert "row 3, email" in out and "row 3, achievement" in out and "nothing was issued" in out
        good = tmp_path / "good.csv"
        good.write_text("name,email,template\nA,a@x.org,bls\nB,b@x.org,pals\n")
        out = medcred(
            runner, data, "issue-batch", "--institution", "ste", str(good), "-o", str(tmp_path / "out"),
            "--no-wait",
        )  # fmt: skip
        assert "Issued 2 credential(s)" in out
        # Written before anchoring: named and announced as temporary.
        assert "TEMPORARY" in out and "2 file(s) named <id>.pending.json" in out
        assert len(list((tmp_path / "out").glob("*.pending.json"))) == 2
        assert "self-check ok" in medcred(runner, data, "anchor")
        credential_id = json.loads((tmp_path / "one.json").read_text())["id"]
        medcred(runner, data, "export", credential_id, "-o", str(tmp_path / "anchored.json"))
        proofs = json.loads((tmp_path / "anchored.json").read_text())["proof"]
        assert [(p["type"], p["cryptosuite"]) for p in proofs] == [
            ("DataIntegrityProof", "eddsa-rdfc-2022"),
            ("DataIntegrityProof", "medcred-anchor-2026"),
        ]
        assert "Revoked on the registry" in medcred(
            runner, data, "revoke", credential_id, "--reason", "withdrawn"
        )
        assert "already revoked" in medcred(runner, data, "revoke", credential_id, code=1)
        assert "not a credential id" in medcred(runner, data, "export", "nope", code=1)
        assert "no institution" in medcred(runner, data, "issue", "--institution", "x", "--template", "acls",
                                           "--email", "a@b.org", code=1).lower()  # fmt: skip
    finally:
        medcred(runner, data, "chain", "stop")


def test_claim_emails_can_be_switched_per_command(runner: CliRunner, tmp_path: Path) -> None:
    """`--no-email-claim` on issue and issue-batch, as `deliverByEmail` on the API: no claim e-mail."""
    import sqlite3

    data = tmp_path / "var"
    medcred(runner, data, "chain", "start", "--port", "18633")
    try:
        medcred(runner, data, "run", "--once")
        one = tmp_path / "one.json"
        medcred(runner, data, "issue", "--institution", "demo", "--template", "bls", "--email", "a@x.org",
                "--no-wait", "--no-email-claim", "-o", str(one))  # fmt: skip
        two = tmp_path / "two.json"
        medcred(runner, data, "issue", "--institution", "demo", "--template", "bls", "--email", "b@x.org",
                "--no-wait", "-o", str(two))  # fmt: skip
        roster = tmp_path / "roster.csv"
        roster.write_text("name,email,template\nC,c@x.org,pals\nD,d@x.org,pals\n")
        medcred(runner, data, "issue-batch", "--institution", "demo", str(roster), "--no-email-claim")
        ids = {json.loads(path.read_text())["id"].rsplit("/", 1)[-1]: path.stem for path in (one, two)}
        with sqlite3.connect(data / "medcred.db") as db:
            states = dict(db.execute("SELECT credential_id, state FROM deliveries").fetchall())
        assert len(states) == 4
        by_file = {ids[cid]: state for cid, state in states.items() if cid in ids}
        assert by_file == {"one": "off", "two": "waiting"}  # the institution's default is on
        assert sorted(state for cid, state in states.items() if cid not in ids) == ["off", "off"]
    finally:
        medcred(runner, data, "chain", "stop")
