"""Oversized and pathological inputs: refused with a clear message, never a crash, memory bounded.

* a 100,000-deep JSON document to `medcred verify -`, to the verifier's POST /credentials/verify
  and to the issuer API: a clear "too deep" refusal (INVALID / 400 problem+json), no RecursionError;
* ZIP bombs to `medcred verify-batch` (run as a real process, its RSS sampled): an entry that admits
  its size (ratio cap) and one whose headers lie about it (caught while inflating) are refused
  entry by entry with the reason, the other entries still verified, memory bounded.

(tests/pipeline/test_verify_commands.py already covers a 50 MB honest bomb; these add the lying
header and the memory measurement.)
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import struct
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import psutil
import pytest
import requests
from click.testing import CliRunner

from hostile.live import LiveIssuer, live_issuer
from verifier.cli import _load_plugins, cli

DEPTH = 100_000
DEEP = "[" * DEPTH + "]" * DEPTH
DEEP_OBJECT = '{"a":' * DEPTH + "1" + "}" * DEPTH


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveIssuer]:
    with live_issuer(tmp_path_factory.mktemp("limits")) as live:
        yield live


@pytest.mark.parametrize("document", [DEEP, DEEP_OBJECT], ids=["arrays", "objects"])
def test_deep_json_to_verify_stdin_is_invalid_not_a_crash(document: str, tmp_path: Path) -> None:
    _load_plugins()
    trust = tmp_path / "verifier.toml"  # something must be trusted, or verify cannot check (exit 2)
    trust.write_text('[[trusted_issuer]]\ndid = "did:web:school.example"\nname = "School"\n')
    result = CliRunner().invoke(cli, ["verify", "--config", str(trust), "--json", "-"], input=document)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    report = json.loads(result.stdout)
    assert report["status"] == "INVALID"
    assert report["checks"][0]["code"] == "too_deep", report


def test_deep_json_to_the_web_endpoints_is_a_clear_400(issuer: LiveIssuer) -> None:
    deep_credential = '{"verifiableCredential": ' + DEEP_OBJECT + "}"
    targets = [
        ("/credentials/verify", {}),
        ("/api/v1/institutions/sim/credentials", issuer.auth("issue")),
        ("/credentials/issue", issuer.auth("issue")),
    ]
    for path, auth in targets:
        response = requests.post(
            issuer.url + path,
            data=deep_credential,
            headers={"Content-Type": "application/json", **auth},
            timeout=60,
        )
        assert response.status_code == 400, (path, response.status_code, response.text[:300])
        assert response.headers["Content-Type"].startswith("application/problem+json"), path
        assert response.json()["status"] == 400
    assert requests.get(issuer.url + "/healthz", timeout=10).status_code == 200  # still serving


def _lying_zip(path: Path, real_size: int, claimed: int) -> None:
    """A ZIP whose entry inflates to `real_size` bytes while both headers claim `claimed`."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("liar.json", b'{"a": "' + b"0" * real_size + b'"}')
        archive.writestr("fine.json", b'{"not": "a credential"}')
    data = bytearray(path.read_bytes())
    real = struct.pack("<I", real_size + 9)  # {"a": "...", 9 bytes around the zeros
    fake = struct.pack("<I", claimed)
    # uncompressed size: local header offset 22, central directory offset 24 (first entry of each)
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    assert data[local + 22 : local + 26] == real and data[central + 24 : central + 28] == real
    data[local + 22 : local + 26] = fake
    data[central + 24 : central + 28] = fake
    path.write_bytes(bytes(data))


def _run_measured(args: list[str], cwd: Path) -> tuple[int, str, int]:
    """Run a command, sampling its RSS every 20 ms: (exit code, output, peak RSS in bytes)."""
    process = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    watched, peak = psutil.Process(process.pid), 0
    deadline = time.monotonic() + 240
    while process.poll() is None:
        assert time.monotonic() < deadline, "verify-batch did not finish"
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.02)
    output = process.stdout.read().decode() if process.stdout else ""
    return process.wait(), output, peak


@pytest.mark.slow
def test_zip_bombs_to_verify_batch_are_refused_with_bounded_memory(tmp_path: Path) -> None:
    honest = tmp_path / "honest-bomb.zip"
    with zipfile.ZipFile(honest, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(3):
            archive.writestr(f"huge-{i}.json", b'{"a": "' + b"0" * (200 * 1024 * 1024) + b'"}')
        archive.writestr("small.json", b'{"not": "a credential"}')
    liar = tmp_path / "lying-bomb.zip"
    _lying_zip(liar, real_size=300 * 1024 * 1024, claimed=1_000_000)
    report = tmp_path / "report.json"
    trust = tmp_path / "verifier.toml"  # something must be trusted, or verify-batch cannot check (exit 2)
    trust.write_text('[[trusted_issuer]]\ndid = "did:web:school.example"\nname = "School"\n')
    code, output, peak = _run_measured(
        [sys.executable, "-m", "verifier", "verify-batch", "--config", str(trust), "--workers", "1",
         "--report", str(report), str(honest), str(liar)],
        tmp_path,
    )  # fmt: skip
    assert code == 1, output
    assert "Traceback" not in output
    rows = {Path(r["source"]).name: r for r in json.loads(report.read_text())}
    for i in range(3):
        assert "ZIP bomb" in rows[f"honest-bomb.zip!huge-{i}.json"]["reason"]
    # zipfile itself notices the lie (the inflated size or CRC does not match the header) before
    # the bytes pile up; either way the entry is refused with a reason and nothing is held.
    liar_reason = rows["lying-bomb.zip!liar.json"]["reason"]
    assert "larger than it claims" in liar_reason or "cannot be extracted" in liar_reason, liar_reason
    assert rows["honest-bomb.zip!small.json"]["status"] == "INVALID"  # read and checked, not refused
    assert rows["lying-bomb.zip!fine.json"]["status"] == "INVALID"
    print(f"\nverify-batch over 900 MB of bombs: peak RSS {peak / 2**20:.0f} MiB")
    assert peak < 300 * 1024 * 1024, f"verify-batch peaked at {peak / 2**20:.0f} MiB"


def _upload_huge(
    url: str, path: str, headers: dict[str, str], total: int, chunked: bool
) -> tuple[bytes, int]:
    """Send a `total`-byte roster body over a raw socket, reading while sending, as a careful client
    would; stop as soon as the server answers. Returns (response head, bytes sent)."""
    parsed = urlparse(url)
    sock = socket.create_connection((parsed.hostname, parsed.port), timeout=30)
    head = [f"POST {path} HTTP/1.1", f"Host: {parsed.netloc}", "Content-Type: text/csv"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}")
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    line = b"name,email,template\r\n" + b"Somebody,somebody@example.org,bls\r\n" * 29_000  # ~1 MiB
    sent = 0
    response = b""
    try:
        while sent < total:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            chunk = line[: total - sent]
            sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk)
            sent += len(chunk)
        sock.settimeout(30)
        response = sock.recv(4096)
    except (BrokenPipeError, ConnectionResetError):
        with contextlib.suppress(OSError):
            response = sock.recv(4096)
    finally:
        sock.close()
    return response, sent


@pytest.mark.slow
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_1gb_roster_upload_is_refused_early_with_bounded_memory(issuer: LiveIssuer, chunked: bool) -> None:
    process = psutil.Process()
    before = process.memory_info().rss
    slug = "sim"
    response, sent = _upload_huge(
        issuer.url, f"/api/v1/institutions/{slug}/rosters", issuer.auth(), 1024**3, chunked
    )
    grown = process.memory_info().rss - before
    assert response.startswith(b"HTTP/1.1 413"), response[:200]
    assert b"exceeds max_body" in response or b"Too Large" in response
    assert sent < 64 * 1024**2, f"the server read {sent:,} bytes before refusing"
    assert grown < 100 * 1024**2, f"server memory grew by {grown:,} bytes"
    # and the server still serves
    assert requests.get(f"{issuer.url}/healthz", timeout=10).status_code == 200
