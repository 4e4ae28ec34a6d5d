"""Batch verification for licensing bodies: many credentials in, one row per credential out.

Inputs are streamed (folders, `.json` with one credential or an array, `.jsonl`, `.jwt`, `.zip`, and `.csv`
files of credential URLs), fanned out over worker processes in chunks, and the results come back in
input order. At most a bounded number of chunks is in flight, so memory stays flat however many
credentials there are. A file that cannot be read is one INVALID row with its reason; the run goes
on. A presentation gives one row per credential it holds. Each worker keeps one `Verifier`, so
chain reads are made once per root and issuer per worker.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import threading
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from verifier import jsonsafe
from verifier.config import VerifierConfig
from verifier.pipeline import MAX_CREDENTIAL_BYTES, Verifier
from verifier.presentation import PresentationReport, verify_submission
from verifier.report import INVALID, PENDING, SUSPENDED, VALID, Report
from verifier.sources import SourceError, fetch_url
from verifier.spreadsheet import safe_record

CHUNK = 32
MAX_JSON_FILE_BYTES = 512 * 1024 * 1024
MAX_ZIP_ENTRIES = 1_000_000
MAX_ZIP_RATIO = 200  # a credential compresses maybe 5:1; 200:1 is a bomb
CSV_URL_COLUMNS = ("url", "credential_url", "credential")


@dataclass(frozen=True)
class Item:
    """One credential to verify: already read bytes, a URL to fetch, or a reason it cannot be read."""

    source: str
    data: bytes | None = None
    url: str | None = None
    error: str | None = None


@dataclass
class Row:
    """One credential's line in the batch report (CSV column = JSON key, see `ReportWriter.FIELDS`)."""

    source: str
    status: str
    credential_id: str | None = None
    issuer: str | None = None
    achievement: str | None = None
    recipient_hash: str | None = None
    failed: list[str] = field(default_factory=list)
    reason: str = ""
    holder_name: str | None = None
    issuer_name: str | None = None
    issuer_did: str | None = None
    trust: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    first_failure: str = ""
    warnings: list[str] = field(default_factory=list)
    """Every warning, as "check:code: sentence"."""

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "status": self.status,
            "holder_name": self.holder_name,
            "achievement": self.achievement,
            "issuer_name": self.issuer_name,
            "issuer_did": self.issuer_did,
            "trust": self.trust,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "first_failure": self.first_failure,
            "warnings": self.warnings,
            "id": self.credential_id,
            "issuer": self.issuer,
            "recipient_hash": self.recipient_hash,
            "failed_checks": self.failed,
            "reason": self.reason,
        }


def row_from_report(report: Report) -> Row:
    """The report row of a verified credential: what a licensing body files, including every
    warning and what the trust rests on (`Summary.trust`)."""
    summary = report.summary
    first = report.failed[0] if report.failed else None
    return Row(
        source=report.source or "",
        status=report.status,
        credential_id=summary.credential_id,
        issuer=summary.issuer_name or summary.issuer_did,
        achievement=summary.achievement,
        recipient_hash=summary.recipient_hash,
        failed=[f"{c.name}:{c.code}" for c in report.failed],
        reason="" if report.status == VALID else report.headline,
        holder_name=summary.holder_name,
        issuer_name=summary.issuer_name,
        issuer_did=summary.issuer_did,
        trust=summary.trust,
        valid_from=summary.valid_from,
        valid_until=summary.valid_until,
        first_failure=f"{first.name}:{first.code}: {first.message}" if first else "",
        warnings=[f"{c.name}:{c.code}: {c.message}" for c in report.warnings],
    )


def _failed_row(source: str, code: str, reason: str) -> Row:
    return Row(source=source, status=INVALID, failed=[code], reason=reason, first_failure=f"{code}: {reason}")


# ---------------------------------------------------------------------------- reading inputs


def _unreadable(source: str, reason: str) -> Item:
    return Item(source=source, error=reason)


def _json_file(path: Path) -> Iterator[Item]:
    size = path.stat().st_size
    if size > MAX_JSON_FILE_BYTES:
        yield _unreadable(str(path), f"The file is {size:,} bytes, over the {MAX_JSON_FILE_BYTES:,} limit.")
        return
    data = jsonsafe.strip_bom(path.read_bytes())
    if data.lstrip()[:1] != b"[":
        yield Item(source=str(path), data=data)
        return
    try:
        # Duplicate member names are marked, not fatal: one such credential is one INVALID row.
        items = jsonsafe.loads(data, duplicates="mark")
    except (ValueError, RecursionError):
        yield _unreadable(str(path), "The file is not valid JSON.")
        return
    del data
    for index, credential in enumerate(items):
        source = f"{path}[{index}]"
        duplicate = jsonsafe.find_duplicate(credential)
        if duplicate is not None:
            yield _unreadable(source, str(jsonsafe.DuplicateMemberError(duplicate)))
        elif isinstance(credential, str):  # a VC-JWT in an array of credentials
            yield Item(source=source, data=credential.encode())
        else:
            yield Item(source=source, data=json.dumps(credential).encode())


def _jsonl_file(path: Path) -> Iterator[Item]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield Item(source=f"{path}:{number}", data=line)


def _zip_file(path: Path) -> Iterator[Item]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        yield _unreadable(str(path), "The file is not a readable ZIP archive.")
        return
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            yield _unreadable(str(path), f"The archive has more than {MAX_ZIP_ENTRIES:,} entries.")
            return
        for info in infos:
            if info.is_dir():
                continue
            source = f"{path}!{info.filename}"
            if not info.filename.lower().endswith((".json", ".jsonld", ".jsonl", ".jwt")):
                continue
            limit = MAX_JSON_FILE_BYTES if info.filename.lower().endswith(".jsonl") else MAX_CREDENTIAL_BYTES
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > limit or ratio > MAX_ZIP_RATIO:
                yield _unreadable(
                    source, "The entry is too large or compressed suspiciously well (a ZIP bomb?)."
                )
                continue
            try:
                with archive.open(info) as handle:
                    data = handle.read(limit + 1)  # the declared size may lie
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                yield _unreadable(source, f"The entry cannot be extracted ({exc.__class__.__name__}).")
                continue
            if len(data) > limit:
                yield _unreadable(source, "The entry is larger than it claims (a ZIP bomb?).")
            elif info.filename.lower().endswith(".jsonl"):
                for number, line in enumerate(io.BytesIO(data), start=1):
                    if line.strip():
                        yield Item(source=f"{source}:{number}", data=line)
            else:
                yield Item(source=source, data=data)


def _csv_file(path: Path) -> Iterator[Item]:
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return
        lowered = [h.strip().lower() for h in header]
        column = next((lowered.index(c) for c in CSV_URL_COLUMNS if c in lowered), None)
        rows: Iterable[list[str]] = reader
        if column is None:  # no header: the first column holds URLs
            column = 0
            rows = [header, *reader] if header and header[0].startswith("http") else reader
        for number, row in enumerate(rows, start=2):
            url = row[column].strip() if len(row) > column else ""
            if not url:
                continue
            if url.startswith(("http://", "https://")):
                yield Item(source=f"{path}:{number}", url=url)
            else:
                yield _unreadable(f"{path}:{number}", f"{url[:80]!r} is not a URL.")


READERS: dict[str, Callable[[Path], Iterator[Item]]] = {
    ".json": _json_file,
    ".jsonld": _json_file,
    ".jwt": _json_file,
    ".jsonl": _jsonl_file,
    ".zip": _zip_file,
    ".csv": _csv_file,
}


def iter_items(paths: Iterable[str]) -> Iterator[Item]:
    """Every credential found under `paths`, lazily, in a stable order."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.suffix.lower() in READERS:
                    yield from _read_file(child)
        elif path.is_file():
            yield from _read_file(path)
        else:
            yield _unreadable(raw, "No such file or folder.")


def count_items(paths: Iterable[str], max_json_bytes: int = 64 * 1024 * 1024) -> int | None:
    """How many credentials `iter_items` will yield, for the progress bar's ETA, without parsing
    credentials: lines of .jsonl, entries of .zip, rows of .csv, one per .json file (arrays up to
    `max_json_bytes` are parsed to count them; a bigger one makes the total unknown: None)."""
    total = 0
    for raw in paths:
        path = Path(raw)
        files = (
            sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in READERS)
            if path.is_dir()
            else [path]
        )
        for file in files:
            suffix = file.suffix.lower()
            try:
                if suffix == ".jsonl":
                    with file.open("rb") as handle:
                        total += sum(1 for line in handle if line.strip())
                elif suffix == ".csv":
                    with file.open("rb") as handle:
                        total += max(sum(1 for line in handle if line.strip()) - 1, 0)
                elif suffix == ".zip":
                    with zipfile.ZipFile(file) as archive:
                        total += sum(
                            1 for i in archive.infolist() if i.filename.lower().endswith((".json", ".jsonld"))
                        )
                elif file.stat().st_size > max_json_bytes:
                    return None
                else:
                    data = jsonsafe.strip_bom(file.read_bytes())
                    if data.lstrip()[:1] == b"[":
                        parsed = jsonsafe.loads(data, duplicates="mark")
                        total += len(parsed) if isinstance(parsed, list) else 1
                    else:
                        total += 1
            except (OSError, ValueError, zipfile.BadZipFile):
                total += 1
    return total


def _read_file(path: Path) -> Iterator[Item]:
    reader = READERS.get(path.suffix.lower(), _json_file)
    try:
        yield from reader(path)
    except OSError as exc:
        yield _unreadable(str(path), f"The file cannot be read: {exc.strerror or exc}.")
    except UnicodeDecodeError:
        yield _unreadable(str(path), "The file is not UTF-8 text.")


# ---------------------------------------------------------------------------- verifying

_worker_verifier: Verifier | None = None


def _init_worker(config: VerifierConfig) -> None:
    global _worker_verifier  # noqa: PLW0603 - one verifier (and its caches) per worker process
    _worker_verifier = Verifier(config)


def presentation_rows(report: PresentationReport) -> list[Row]:
    """One row per credential of a presentation (source `FILE#verifiableCredential[i]`). A failed
    presentation-level check (the holder's proof, binding) makes every row INVALID, listed first;
    the presentation's warnings come first in every row's warnings."""
    own = [f"presentation:{c.name}:{c.code}" for c in report.failed]
    if not report.credentials:
        return [_failed_row(report.source or "", own[0] if own else "presentation:empty", report.headline)]
    rows = []
    for presented in report.credentials:
        row = row_from_report(presented.report)
        if own:
            first = report.failed[0]
            row.status, row.failed = INVALID, [*own, *row.failed]
            row.reason = first.message
            row.first_failure = f"presentation:{first.name}:{first.code}: {first.message}"
        own_warnings = [f"presentation:{c.name}:{c.code}: {c.message}" for c in report.warnings]
        row.warnings = [*own_warnings, *row.warnings]
        rows.append(row)
    return rows


def verify_item(verifier: Verifier, item: Item) -> list[Row]:
    """The rows for one input item: one for a credential, one per credential for a presentation."""
    if item.error is not None:
        return [_failed_row(item.source, "parse:unreadable", item.error)]
    data = item.data
    if item.url is not None:
        try:
            data = fetch_url(item.url, fetcher=verifier.fetcher)
        except SourceError as exc:
            return [_failed_row(item.source, "parse:unreachable", str(exc))]
    report = verify_submission(verifier, data or b"", source=item.source)
    if isinstance(report, PresentationReport):
        return presentation_rows(report)
    return [row_from_report(report)]


def _verify_chunk(items: list[Item]) -> list[Row]:
    assert _worker_verifier is not None
    return [row for item in items for row in verify_item(_worker_verifier, item)]


def _chunks(items: Iterator[Item], size: int, gate: threading.Semaphore) -> Iterator[list[Item]]:
    chunk: list[Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            gate.acquire()
            yield chunk
            chunk = []
    if chunk:
        gate.acquire()
        yield chunk


def verify_stream(items: Iterator[Item], config: VerifierConfig, workers: int = 1) -> Iterator[Row]:
    """Rows in input order. `workers > 1` fans out over processes with a bounded queue."""
    if workers <= 1:
        verifier = Verifier(config)
        for item in items:
            yield from verify_item(verifier, item)
        return
    gate = threading.Semaphore(workers * 4)
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_init_worker, initargs=(config,)) as pool:
        for rows in pool.imap(_verify_chunk, _chunks(items, CHUNK, gate)):
            gate.release()
            yield from rows


# ---------------------------------------------------------------------------- reporting


class Tally:
    """Counts for the summary table: each verdict, invalid grouped by their first failed check, and
    pending apart, warnings (how many credentials had one, and how often each kind occurred)."""

    def __init__(self) -> None:
        self.total = 0
        self.by_status: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.with_warnings = 0
        self.warnings: Counter[str] = Counter()

    def add(self, row: Row) -> None:
        self.total += 1
        self.by_status[row.status] += 1
        if row.status == INVALID:
            self.reasons[row.failed[0] if row.failed else "unknown"] += 1
        if row.warnings:
            self.with_warnings += 1
            self.warnings.update(w.split(": ", 1)[0] for w in row.warnings)

    @property
    def valid(self) -> int:
        return self.by_status[VALID]

    @property
    def invalid(self) -> int:
        return self.by_status[INVALID]

    @property
    def suspended(self) -> int:
        return self.by_status[SUSPENDED]

    @property
    def pending(self) -> int:
        return self.by_status[PENDING]


class ReportWriter:
    """Streams rows to a CSV or JSON file as they arrive (nothing is held in memory)."""

    FIELDS = (
        "source", "status", "holder_name", "achievement", "issuer_name", "issuer_did", "trust",
        "valid_from", "valid_until", "first_failure", "warnings", "id", "issuer", "recipient_hash",
        "failed_checks", "reason",
    )  # fmt: skip

    def __init__(self, path: Path) -> None:
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".json"):
            raise SourceError(f"The report must be a .csv or .json file, not {path.name}.")
        self.kind = suffix[1:]
        try:
            self.handle = path.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            raise SourceError(f"The report {path} cannot be written: {exc.strerror}.") from None
        self.count = 0
        if self.kind == "csv":
            self.csv = csv.DictWriter(self.handle, fieldnames=self.FIELDS)
            self.csv.writeheader()
        else:
            self.handle.write("[\n")

    def write(self, row: Row) -> None:
        data = row.to_json()
        if self.kind == "csv":
            data["failed_checks"] = " ".join(row.failed)
            data["warnings"] = " | ".join(row.warnings)
            self.csv.writerow(safe_record(data))
        else:
            self.handle.write((",\n" if self.count else "") + json.dumps(data, ensure_ascii=False))
        self.count += 1

    def close(self) -> None:
        if self.kind == "json":
            self.handle.write("\n]\n")
        self.handle.close()
