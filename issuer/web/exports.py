"""The API's and admin UI's downloads: a ZIP of credentials, QR codes and (when asked) PDF
certificates, or the credentials alone as a JSON Lines stream.

Both are streamed: rows come from issuer.bulk_export a page at a time, and each credential's
files are compressed into a small buffer that is handed to the server and emptied before the next
one (zipfile writes data descriptors when its output cannot seek), so memory stays bounded
whatever the number of credentials. The ids are checked *before* the first byte is sent, so a
wrong id is a proper 404/403 problem rather than a truncated download.

ZIP layout:
    manifest.csv                    id, url, recipient, template, achievement, state, revoked, verify link
    credentials/<uuid>.json         the anchored credential (with its anchor proof)
    credentials/<uuid>.pending.json a credential not anchored yet: a temporary file (TEMPORARY.txt says
                                    why), which verifies only while the issuer answers at its id
    qr/<uuid>.png, qr/<uuid>.svg    the QR code opening the verifier page for it (only with `qr_codes`)
    certificates/<uuid>.pdf         the printable certificate (only with `certificates`)

Without QR codes and certificates a ZIP costs about what JSON Lines cost (thousands per second);
each QR code costs ~50 ms and each certificate ~0.4 s of one core, so they are asked for.

JSON Lines (`application/jsonl`): one credential per line, as it is now; `medcred verify-batch`
reads such a file as it is. Downloads anchor the pending credentials first unless told not to
(`anchor_first`), so the files handed out are the permanent ones.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime

from issuer.bulk_export import ExportRow
from issuer.qr import qr_png, qr_svg
from issuer.record_certificate import stored_certificate_pdf
from issuer.service import IssuerService
from issuer.storage.database import Database
from issuer.storage.errors import ForbiddenError
from issuer.storage.models import ANCHORED, CREDENTIAL_STATES
from issuer.web.links import links_for
from issuer.web.presenters import achievement_of
from verifier.errors import MedCredError
from verifier.spreadsheet import safe_row

log = logging.getLogger(__name__)

TEMPORARY_NOTE = """\
Some credentials in this archive were not anchored yet when it was made: their files are named
credentials/<id>.pending.json. They are TEMPORARY. A verifier asks the issuer about them at their
id (verdict PENDING until anchored, then VALID) and so needs the issuer's server to answer.
Download the credentials again once they are anchored (usually within a minute) for the
permanent files, which carry their anchor proof and verify against the registry alone.
"""
ANCHOR_FIRST_TIMEOUT_S = 30.0
MANIFEST_COLUMNS = ("id", "url", "recipient_name", "template", "achievement", "state", "revoked", "verify")
JSONL = "application/jsonl"


class _Sink(io.RawIOBase):
    """A write-only, non-seekable stream whose contents are taken out piece by piece."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def check_ids(service: IssuerService, institution: str, ids: Sequence[str]) -> list[str]:
    """The credentials' keys, after checking each exists (404) and is `institution`'s (403)."""
    keys = []
    for credential_id in ids:
        record = service.get_credential(credential_id)
        if record.institution != institution:
            raise ForbiddenError(f"Credential {record.id} was not issued by {institution!r}.")
        keys.append(record.id)
    return keys


def anchor_first(service: IssuerService, institution: str, ids: Sequence[str] | None) -> int:
    """Downloads are anchored credentials by default: anchor `institution`'s pending credentials
    among `ids` (all of them for None) before the download is made (seconds on a running chain).
    Returns how many are still not anchored afterwards (chain down, governance pending): the
    archive labels those temporary."""

    def pending() -> int:
        if ids is None:
            counts = service.count_credentials(institution)
            return sum(n for state, n in counts.items() if state in CREDENTIAL_STATES and state != ANCHORED)
        return sum(1 for i in ids if service.get_credential(i).state != ANCHORED)

    if pending() == 0:
        return 0
    try:
        service.anchor_now(institution, timeout=ANCHOR_FIRST_TIMEOUT_S)
    except MedCredError as exc:
        log.warning(
            "Export for %s: anchoring first failed (%s); pending files are labelled temporary.",
            institution,
            exc,
        )
    return pending()


def export_filename(institution: str, extension: str = "zip") -> str:
    return f"medcred-{institution}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.{extension}"


def stream_zip(
    rows: Iterable[ExportRow],
    base_url: str,
    *,
    qr_codes: bool = False,
    certificates: bool = False,
    db: Database | None = None,
) -> Iterator[bytes]:
    """The ZIP archive of `rows`, in chunks of about one credential; QR codes only with `qr_codes`
    (about 50 ms each), PDFs only with `certificates` (about 0.4 s each)."""
    sink = _Sink()
    # The manifest grows with the export: keep it in a temporary file, not in memory.
    with (
        tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="") as manifest,
        zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        writer = csv.writer(manifest)
        writer.writerow(MANIFEST_COLUMNS)
        temporary = False
        for row in rows:
            links = links_for(base_url, row.id, row.url or None)
            document = json.dumps(row.document, indent=2, ensure_ascii=False).encode("utf-8")
            if row.state != ANCHORED:
                archive.writestr(f"credentials/{row.id}.pending.json", document)
                if not temporary:
                    archive.writestr("TEMPORARY.txt", TEMPORARY_NOTE)
                    temporary = True
            else:
                archive.writestr(f"credentials/{row.id}.json", document)
            if qr_codes:
                archive.writestr(f"qr/{row.id}.svg", qr_svg(links.verify, title="Verify this credential"))
                archive.writestr(f"qr/{row.id}.png", qr_png(links.verify), compress_type=zipfile.ZIP_STORED)
            if certificates:
                pdf = stored_certificate_pdf(row.document, row.id, base_url, revoked=row.revoked, db=db)
                archive.writestr(f"certificates/{row.id}.pdf", pdf, compress_type=zipfile.ZIP_STORED)
            writer.writerow(
                safe_row(
                    (
                        row.id,
                        links.page,
                        row.recipient_name or "",
                        row.template,
                        achievement_of(row.document).get("name", ""),
                        row.state,
                        "yes" if row.revoked else "no",
                        links.verify,
                    )
                )
            )
            yield sink.take()
        manifest.seek(0)
        with archive.open("manifest.csv", "w") as entry:
            while chunk := manifest.read(64 * 1024):
                entry.write(chunk.encode("utf-8"))
                yield sink.take()
    yield sink.take()


def stream_jsonl(rows: Iterable[ExportRow], *, per_chunk: int = 200) -> Iterator[bytes]:
    """`rows` as JSON Lines, a few hundred credentials per chunk."""
    lines: list[str] = []
    for row in rows:
        lines.append(row.json_line())
        if len(lines) >= per_chunk:
            yield ("\n".join(lines) + "\n").encode("utf-8")
            lines.clear()
    if lines:
        yield ("\n".join(lines) + "\n").encode("utf-8")
