"""`medcred achievement ...` and `medcred issue --achievement ... --credits --result --evidence`
end to end through the command line (in-process chain), with clear errors and no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifier.cli import _load_plugins, cli
from verifier.data_integrity import verify_proofs
from verifier.settings import Settings


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    _load_plugins()
    return CliRunner()


def medcred(runner: CliRunner, data: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(cli, ["--data-dir", str(data), "--chain", "memory", *args])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def test_achievement_commands_and_issuing_with_details(
    runner: CliRunner, memory_settings: Settings, tmp_path: Path
) -> None:
    data = memory_settings.data_dir
    medcred(runner, data, "institution", "create", "Regional Hospital", "--slug", "rh")
    starter = json.loads(medcred(runner, data, "achievement", "starters", "cpd"))
    assert starter["starter"] == "cpd" and "Institutions adapt" not in json.dumps(starter)
    starter["achievement"]["name"] = "Neonatal Transport Module 3"
    starter["achievement"]["creditsAvailable"] = 4
    definition = tmp_path / "ntm3.json"
    definition.write_text(json.dumps(starter), encoding="utf-8")
    svg = tmp_path / "badge.svg"
    svg.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script><rect width="9" height="9"/></svg>'
    )

    url = medcred(
        runner, data, "achievement", "create", "--institution", "rh", str(definition), "--image", str(svg)
    )
    url = url.strip().splitlines()[-1]
    assert url.startswith("http") and "/achievements/" in url
    listed = json.loads(medcred(runner, data, "achievement", "list", "--institution", "rh", "--json"))
    assert [a["url"] for a in listed] == [url] and listed[0]["achievement"]["image"]["id"].endswith(".svg")
    assert "Neonatal Transport Module 3" in medcred(runner, data, "achievement", "show", url)

    out = medcred(
        runner, data, "issue", "--institution", "rh", "--achievement", url, "--email", "m@example.org",
        "--given-name", "Mei", "--family-name", "Chen", "--credits", "4", "--result", "passed",
        "--evidence", "https://lms.example.org/x", "--valid-until", "2030-01-01",
    )  # fmt: skip
    credential = json.loads(out[out.index("{") :])
    assert credential["credentialSubject"]["name"] == "Mei Chen"
    assert credential["credentialSubject"]["creditsEarned"] == 4
    assert credential["validUntil"] == "2030-01-01T00:00:00Z"
    assert verify_proofs(credential).verified

    out = medcred(
        runner, data, "issue", "--institution", "rh", "--achievement", url, "--email", "m@example.org",
        "--given-name", "Mei", "--family-name", "Chen", "--credits", "4", code=1,
    )  # fmt: skip
    assert "already awarded" in out
    out = medcred(runner, data, "issue", "--institution", "rh", "--email", "m@example.org", code=2)
    assert "--achievement ID or --template NAME" in out

    definition.write_text(json.dumps({**starter, "validity": "P1Y"}), encoding="utf-8")
    v2 = medcred(runner, data, "achievement", "new-version", url, str(definition)).strip().splitlines()[-1]
    assert v2 != url and "superseded" in medcred(runner, data, "achievement", "show", url)
    assert "Retired" in medcred(runner, data, "achievement", "retire", v2)
    out = medcred(
        runner, data, "issue", "--institution", "rh", "--achievement", v2, "--email", "z@example.org", code=1
    )
    assert "retired" in out

    roster = tmp_path / "roster.csv"
    roster.write_text("email,course,colour\na@example.org,cpd,red\n", encoding="utf-8")
    out = medcred(runner, data, "issue-batch", "--institution", "rh", str(roster), code=2)
    assert "colour: unknown column" in out and "given_name" in out


@pytest.mark.parametrize("argv", [("achievement", "--help"), ("achievement", "create", "--help")])
def test_achievement_help_imports_nothing_heavy(argv: tuple[str, ...]) -> None:
    from test_cli_startup import _heavy, _modules_after  # the probe of the start-up tests

    out, modules = _modules_after(*argv)
    assert "achievement" in out.lower() and _heavy(modules) == []
