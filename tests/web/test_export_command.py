"""`medcred export --institution`: bulk export from the database to JSON Lines or a folder, filtered by
state and date, readable by the verifier; and the single-credential form still works."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from web_fixtures import WebWorld

from verifier.cli import _load_plugins, cli
from verifier.pipeline import Verifier


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    _load_plugins()
    return CliRunner()


def medcred(runner: CliRunner, world: WebWorld, *args: str, code: int = 0) -> str:
    data = world.service.config.data_dir
    result = runner.invoke(cli, ["--data-dir", str(data), "--chain", "memory", *args])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def _uuid(credential: dict) -> str:
    return credential["id"].rsplit("/", 1)[-1]


def test_bulk_export_to_jsonl_and_folder(runner: CliRunner, world: WebWorld, tmp_path: Path) -> None:
    anchored = [world.issue(f"cli{i}@example.org", f"Cli {i}") for i in range(4)]
    world.service.anchor_now("sim")
    revoked = anchored.pop()
    world.service.revoke(revoked, "withdrawn")
    pending = world.issue("cli-pending@example.org")
    foreign = world.issue("cli-other@example.org", slug="other")

    out = tmp_path / "all.jsonl"
    said = medcred(runner, world, "export", "--institution", "sim", "--jsonl", str(out))
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    ids = [_uuid(c) for c in lines]
    assert {*anchored, revoked, pending} <= set(ids) and foreign not in ids and len(ids) == len(set(ids))
    assert f"Exported {len(ids)} credential(s) of sim" in said
    verifier = Verifier(world.verifier_config)
    by_id = dict(zip(ids, lines, strict=True))
    for credential_id in anchored:
        assert verifier.verify_bytes(json.dumps(by_id[credential_id])).status == "VALID"

    revoked_file = tmp_path / "revoked.jsonl"
    medcred(
        runner, world, "export", "--institution", "sim", "--state", "revoked", "--jsonl", str(revoked_file)
    )
    assert [_uuid(json.loads(line)) for line in revoked_file.read_text().splitlines()] == [revoked]

    folder = tmp_path / "anchored"
    medcred(runner, world, "export", "--institution", "sim", "--state", "anchored", "-o", str(folder))
    written = {p.stem for p in folder.glob("*.json")}
    assert set(anchored) <= written and revoked not in written and pending not in written
    assert json.loads((folder / f"{anchored[0]}.json").read_text())["proof"][-1]["cryptosuite"]

    temporary = tmp_path / "temporary"
    said = medcred(
        runner, world, "export", "--institution", "sim", "--state", "pending", "-o", str(temporary)
    )
    assert (temporary / f"{pending}.pending.json").is_file() and "TEMPORARY" in said

    later = tmp_path / "later"
    said = medcred(runner, world, "export", "--institution", "sim", "--since", "2999-01-01", "-o", str(later),
                   "--certificates")  # fmt: skip
    assert "Exported 0 credential(s)" in said and not list(later.iterdir())

    with_pdfs = tmp_path / "pdfs"
    medcred(runner, world, "export", "--institution", "sim", "--state", "revoked", "-o", str(with_pdfs),
            "--certificates")  # fmt: skip
    assert (with_pdfs / f"{revoked}.pdf").read_bytes().startswith(b"%PDF")

    single = tmp_path / "one.json"
    medcred(runner, world, "export", anchored[0], "-o", str(single))
    assert _uuid(json.loads(single.read_text())) == anchored[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["export"], "CREDENTIAL_ID"),
        (["export", "--institution", "sim"], "exactly one of"),
        (["export", "--institution", "sim", "-o", "d", "--jsonl", "f"], "exactly one of"),
        (["export", "--institution", "sim", "--jsonl", "f", "--certificates"], "--certificates"),
        (["export", "x", "--institution", "sim", "-o", "d"], "not both"),
        (["export", "x", "--jsonl", "f"], "go with --institution"),
        (["export", "--institution", "sim", "--jsonl", "-", "--since", "soon"], "since"),
        (["export", "--institution", "sim", "--jsonl", "-", "--state", "lost"], "lost"),
    ],
)
def test_usage_errors_are_clear(runner: CliRunner, world: WebWorld, args: list[str], words: str) -> None:
    assert words in medcred(runner, world, *args, code=2)


def test_unknown_institution(runner: CliRunner, world: WebWorld) -> None:
    out = medcred(runner, world, "export", "--institution", "nowhere", "--jsonl", "-", code=1)
    assert "no institution 'nowhere'" in out


def test_institution_logo_command(runner: CliRunner, world: WebWorld, tmp_path: Path) -> None:
    from PIL import Image

    png = tmp_path / "logo.png"
    Image.new("RGB", (90, 30), "#1F3A5F").save(png, "PNG")
    assert "Logo of sim: image/png." in medcred(runner, world, "institution", "logo", "sim", str(png))
    svg = tmp_path / "logo.svg"
    svg.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="9" height="9"/></svg>'
    )
    assert "image/svg+xml" in medcred(runner, world, "institution", "logo", "sim", str(svg))
    with world.service.db.reader() as session:
        from issuer.storage.models import Institution

        stored = session.query(Institution).filter_by(slug="sim").one().logo_data
    assert b"<script" not in stored and b"<rect" in stored  # sanitized
    text = tmp_path / "logo.png.txt"
    text.write_text("not an image")
    assert "PNG or an SVG" in medcred(runner, world, "institution", "logo", "sim", str(text), code=2)
    assert "removed" in medcred(runner, world, "institution", "logo", "sim", "--remove")
    assert "IMAGE file, or --remove" in medcred(runner, world, "institution", "logo", "sim", code=2)
