"""The batch download: a ZIP of credentials (JSON), QR codes (PNG and SVG) and PDF certificates.

The archive is streamed: each credential's files are compressed into a small buffer that is
handed to the server and emptied before the next credential is read, so memory stays bounded
whatever the number of credentials (zipfile writes data descriptors when its output cannot
seek). The ids are checked *before* the first byte is sent, so a wrong id is a proper 404/403
problem rather than a truncated download.

Layout:
    manifest.csv                    id, url, recipient, template, achievement, state, revoked, verify link
    credentials/<uuid>.json         the anchored credential (with its anchor proof)
    credentials/<uuid>.pending.json a credential not anchored yet: a temporary file (TEMPORARY.txt says
                                    why), which verifies only while the issuer answers at its id
    qr/<uuid>.png, qr/<uuid>.svg    the QR code opening the verifier page for it
    certificates/<uuid>.pdf         the printable certificate
"""

from __future__ import annotations

import csv
import io
import json
import logging
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from issuer.certificate import certificate_pdf
from issuer.qr import qr_png, qr_svg
from issuer.service import CredentialRecord, IssuerService
from issuer.storage.errors import ForbiddenError
from issuer.storage.models import ANCHORED
from issuer.web.links import links_for
from issuer.web.presenters import achievement_of
from verifier.errors import MedCredError

log = logging.getLogger(__name__)

PAGE = 1000
TEMPORARY_NOTE = """\
Some credentials in this archive were not anchored yet when it was made: their files are named
credentials/<id>.pending.json. They are TEMPORARY. A verifier asks the issuer about them at their
id (verdict PENDING until anchored, then VALID) and so needs the issuer's server to answer.
Download the credentials again once they are anchored (usually within a minute) for the
permanent files, which carry their anchor proof and verify against the registry alone.
"""
MANIFEST_COLUMNS = ("id", "url", "recipient_name", "template", "achievement", "state", "revoked", "verify")


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


def all_ids(service: IssuerService, institution: str) -> list[str]:
    """Every credential id of `institution`, newest first (ids only: memory stays small)."""
    ids: list[str] = []
    while True:
        page = service.list_credentials(institution, limit=PAGE, offset=len(ids))
        ids.extend(r.id for r in page)
        if len(page) < PAGE:
            return ids


ANCHOR_FIRST_TIMEOUT_S = 30.0


def anchor_first(service: IssuerService, institution: str, ids: Sequence[str]) -> int:
    """Downloads are anchored credentials by default: anchor `institution`'s pending credentials
    among `ids` before the archive is made (seconds on a running chain). Returns how many are still
    not anchored afterwards (chain down, governance pending): the archive labels those temporary."""

    def pending() -> int:
        return sum(1 for i in ids if is_temporary(service.get_credential(i)))

    if pending() == 0:
        return 0
    try:
        service.anchor_now(institution, timeout=ANCHOR_FIRST_TIMEOUT_S)
    except MedCredError as exc:
        log.warning(
            "Export of %d credential(s): anchoring first failed (%s); pending files are labelled temporary.",
            len(ids),
            exc,
        )
    return pending()


def is_temporary(record: CredentialRecord) -> bool:
    """A credential not anchored yet: its file is temporary (see TEMPORARY_NOTE)."""
    return record.state != ANCHORED


def export_filename(institution: str) -> str:
    return f"medcred-{institution}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.zip"


def stream_zip(service: IssuerService, ids: Sequence[str], base_url: str) -> Iterator[bytes]:
    """The archive for `ids` (already checked with `check_ids`), in chunks of about one credential."""
    sink = _Sink()
    # The manifest grows with the export: keep it in a temporary file, not in memory.
    with (
        tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="") as manifest,
        zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        writer = csv.writer(manifest)
        writer.writerow(MANIFEST_COLUMNS)
        temporary = False
        for credential_id in ids:
            record = service.get_credential(credential_id)
            links = links_for(base_url, record.id, record.url)
            document = json.dumps(record.document, indent=2, ensure_ascii=False).encode("utf-8")
            if is_temporary(record):
                archive.writestr(f"credentials/{record.id}.pending.json", document)
                if not temporary:
                    archive.writestr("TEMPORARY.txt", TEMPORARY_NOTE)
                    temporary = True
            else:
                archive.writestr(f"credentials/{record.id}.json", document)
            archive.writestr(f"qr/{record.id}.svg", qr_svg(links.verify, title="Verify this credential"))
            archive.writestr(f"qr/{record.id}.png", qr_png(links.verify), compress_type=zipfile.ZIP_STORED)
            pdf = certificate_pdf(record.document, verify_url=links.verify)
            archive.writestr(f"certificates/{record.id}.pdf", pdf, compress_type=zipfile.ZIP_STORED)
            writer.writerow(
                (
                    record.id,
                    links.page,
                    record.recipient_name or "",
                    record.template,
                    achievement_of(record.document).get("name", ""),
                    record.state,
                    "yes" if record.revoked else "no",
                    links.verify,
                )
            )
            yield sink.take()
        manifest.seek(0)
        with archive.open("manifest.csv", "w") as entry:
            while chunk := manifest.read(64 * 1024):
                entry.write(chunk.encode("utf-8"))
                yield sink.take()
    yield sink.take()
