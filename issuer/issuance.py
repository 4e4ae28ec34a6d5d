"""Issuing credentials: one at a time, or a course roster from CSV.

A credential is built from its template, given its status list position, signed (eddsa-rdfc-2022)
and stored as `pending`; the anchoring worker takes it from there. Three short steps, so that the
database is never locked while signing, which is where the time goes:

1. allocate ids and status positions (one small transaction; a crash here only wastes positions),
2. build and sign (no transaction; large rosters on a pool of processes when that is faster),
3. insert every credential in one transaction (one round trip per few hundred rows).

A roster is validated completely before anything is issued: every problem is reported with its
row number (as a spreadsheet shows it: the header is row 1), column and reason, and nothing is
issued if there is any, unless the caller asks to issue the valid rows (`allow_partial`).
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from issuer.credential_builder import IssuerProfile, Recipient, build_credential
from issuer.institutions import issuer_profile, record_event
from issuer.keys import Ed25519KeyPair
from issuer.signing import sign, signing_time
from issuer.status_list import status_entry
from issuer.storage.database import Database
from issuer.storage.models import PENDING, Credential, Institution, utcnow
from issuer.storage.status_lists import allocate
from issuer.templates import AchievementTemplate, TemplateError, load_template
from verifier.errors import InputError

MAX_ROSTER_ROWS = 100_000
MAX_NAME_LENGTH = 200
PROBE = 50
"""Credentials signed in-process first, timing them, before deciding whether a pool pays off."""
POOL_START_S = {"fork": 0.15, "forkserver": 1.5}
"""Seconds until a pool of 2 workers signs, by start method (benchmarks/bench_issuer.py, 2 cores):
a fork server imports the issuer again, forked workers start with everything imported."""
POOL_OVERHEAD = 1.25
"""Pool time per credential over in-process time (pickling the signed documents back)."""
CHUNK = 100
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
COLUMN_ALIASES = {
    "name": ("name", "full name", "full_name", "recipient", "recipient name", "recipient_name"),
    "email": ("email", "e-mail", "email address", "e-mail address", "recipient_email", "mail"),
    "template": ("template", "course", "achievement", "credential"),
    "valid_from": ("valid_from", "valid from", "validfrom", "date", "issued", "completed", "completion date"),
}


@dataclass(frozen=True)
class IssueRequest:
    """One credential to issue, already validated."""

    template: AchievementTemplate
    email: str
    name: str | None = None
    valid_from: datetime | None = None


@dataclass(frozen=True)
class RowError:
    """One problem in a roster: spreadsheet row number (header = 1), column, reason."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.reason}"


class RosterError(InputError):
    """A roster has problems; `errors` lists every one of them."""

    def __init__(self, errors: Sequence[RowError], total_rows: int) -> None:
        self.errors = list(errors)
        self.total_rows = total_rows
        rows = len({e.row for e in self.errors})
        super().__init__(
            f"The roster has {len(self.errors)} problem(s) in {rows} of {total_rows} row(s); "
            f"nothing was issued. First: {self.errors[0]}."
        )


@dataclass(frozen=True)
class IssuedCredential:
    """A freshly issued (signed, stored, not yet anchored) credential."""

    id: str
    """The UUID (the database key; `document['id']` is the public URL)."""
    document: dict[str, Any]
    template: str
    status_list_id: str
    status_index: int
    row: int | None = None
    issued_at: datetime | None = None
    """When it was stored (the row's `issued_at`): lets the API answer without reading it back."""


@dataclass
class RosterResult:
    issued: list[IssuedCredential]
    errors: list[RowError] = field(default_factory=list)
    total_rows: int = 0


# ---------------------------------------------------------------------------- validation


def check_email(value: str) -> str:
    email = (value or "").strip()
    if not email:
        raise InputError("the e-mail address is empty")
    if len(email) > 254 or not _EMAIL.match(email):
        raise InputError(f"{email!r} is not an e-mail address")
    return email


def check_name(value: str | None) -> str | None:
    name = " ".join((value or "").split())
    if not name:
        return None
    if len(name) > MAX_NAME_LENGTH:
        raise InputError(f"the name is longer than {MAX_NAME_LENGTH} characters")
    if _CONTROL.search(name):
        raise InputError("the name contains control characters")
    return name


def parse_valid_from(value: str | date | datetime | None) -> datetime | None:
    """A date (`2025-03-01`, midnight UTC) or an ISO 8601 date-time (UTC if no zone is given)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = value.strip()
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            raise InputError(f"{text!r} is not a date (YYYY-MM-DD) or ISO 8601 date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not 1990 <= moment.year <= 2200:
        raise InputError(f"{moment.date()} is not a plausible start of validity")
    return moment


class TemplateCache:
    """Templates by slug, loaded once per roster (a roster names a handful, many times)."""

    def __init__(self, folder: Any = None) -> None:
        self.folder = folder
        self._cache: dict[str, AchievementTemplate | TemplateError] = {}

    def get(self, slug: str) -> AchievementTemplate:
        slug = (slug or "").strip().lower()
        if slug not in self._cache:
            try:
                self._cache[slug] = load_template(slug, self.folder)
            except TemplateError as exc:
                self._cache[slug] = exc
        found = self._cache[slug]
        if isinstance(found, TemplateError):
            raise found
        return found


def make_request(
    templates: TemplateCache,
    template: str,
    email: str,
    name: str | None = None,
    valid_from: str | date | datetime | None = None,
) -> IssueRequest:
    """Validate one request; InputError names the first problem."""
    errors = _row_errors(
        templates, {"template": template, "email": email, "name": name, "valid_from": valid_from}
    )
    if errors:
        column, reason = errors[0]
        raise InputError(f"Invalid {column}: {reason}.")
    return IssueRequest(
        template=templates.get(template),
        email=check_email(email),
        name=check_name(name),
        valid_from=parse_valid_from(valid_from),
    )


def _row_errors(templates: TemplateCache, values: dict[str, Any]) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    checks: list[tuple[str, Callable[[Any], Any]]] = [
        ("email", check_email),
        ("template", templates.get),
        ("name", check_name),
        ("valid_from", parse_valid_from),
    ]
    for column, check in checks:
        try:
            check(values.get(column))
        except TemplateError as exc:
            errors.append((column, str(exc).rstrip(".")))
        except InputError as exc:
            errors.append((column, str(exc)))
    return errors


def _header_map(header: Sequence[str]) -> tuple[dict[str, int], list[RowError]]:
    positions: dict[str, int] = {}
    errors: list[RowError] = []
    normalized = [(h or "").strip().lower().lstrip("\ufeff") for h in header]
    for column, aliases in COLUMN_ALIASES.items():
        found = [i for i, h in enumerate(normalized) if h in aliases]
        if len(found) > 1:
            errors.append(RowError(1, column, "the column appears more than once"))
        elif found:
            positions[column] = found[0]
    return positions, errors


_SEPARATORS = {";": "semicolons (;)", "\t": "tabs", "|": "vertical bars (|)"}


def _other_separator(header: Sequence[str]) -> str | None:
    """The sentence for a header row separated by something else than commas (a spreadsheet saved
    in a European locale writes semicolons), or None."""
    if len(header) != 1:
        return None
    for mark, name in _SEPARATORS.items():
        if mark in header[0]:
            return (
                f"the columns are separated by {name}, not commas: save the spreadsheet as "
                '"CSV (comma-separated)", or replace the separators with commas'
            )
    return None


def parse_roster(
    source: str | bytes | Iterable[str],
    templates: TemplateCache,
    *,
    default_template: str | None = None,
) -> tuple[list[tuple[int, IssueRequest]], list[RowError], int]:
    """Read and validate a roster: (valid rows with their row numbers, every error, data row count).

    Columns (header names are case-insensitive, common aliases accepted): `email` (required),
    `template` (required unless `default_template`), `name`, `valid_from`. Other columns are ignored.
    Blank lines are skipped; the same e-mail twice for the same template is an error.
    """
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [], [RowError(1, "file", "the file is not UTF-8 text (save the CSV as UTF-8)")], 0
    lines = io.StringIO(source.lstrip("\ufeff"), newline="") if isinstance(source, str) else source
    reader = csv.reader(lines)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return [], [RowError(1, "file", f"not a CSV file ({exc})")], 0
    if header is None:
        return [], [RowError(1, "file", "the roster is empty")], 0
    columns, errors = _header_map(header)
    separator = _other_separator(header)
    if "email" not in columns and separator:
        return [], [RowError(1, "file", separator)], 0
    if "email" not in columns:
        errors.append(RowError(1, "email", "there is no email column (expected a header row with email)"))
    if "template" not in columns and default_template is None:
        errors.append(
            RowError(1, "template", "there is no template column and no default template was given")
        )
    if errors:
        return [], errors, 0
    valid: list[tuple[int, IssueRequest]] = []
    seen: dict[tuple[str, str], int] = {}
    total = 0
    row_number = 1
    try:
        for row_number, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            total += 1
            if total > MAX_ROSTER_ROWS:
                errors.append(RowError(row_number, "file", f"a roster holds at most {MAX_ROSTER_ROWS} rows"))
                break
            values = {c: (record[i] if i < len(record) else "") for c, i in columns.items()}
            if "template" not in columns or not values["template"].strip():
                values["template"] = default_template or ""
            row_errors = _row_errors(templates, values)
            errors.extend(RowError(row_number, column, reason) for column, reason in row_errors)
            if row_errors:
                continue
            request = IssueRequest(
                template=templates.get(values["template"]),
                email=check_email(values["email"]),
                name=check_name(values.get("name")),
                valid_from=parse_valid_from(values.get("valid_from")),
            )
            key = (request.email.lower(), request.template.slug)
            if key in seen:
                errors.append(
                    RowError(row_number, "email", f"the same recipient and template as row {seen[key]}")
                )
                continue
            seen[key] = row_number
            valid.append((row_number, request))
    except csv.Error as exc:
        errors.append(RowError(row_number, "file", f"the CSV is malformed ({exc})"))
    if total == 0 and not errors:
        errors.append(RowError(2, "file", "the roster has a header but no rows"))
    return valid, errors, total


# ---------------------------------------------------------------------------- signing


@dataclass(frozen=True)
class _Job:
    template: AchievementTemplate
    recipient: Recipient
    valid_from: datetime | None
    credential_id: str
    status: dict[str, Any]
    created: datetime | None = None
    """The signature's date (see `issuer.signing.signing_time`); None: now."""


_worker_state: tuple[Ed25519KeyPair, str, IssuerProfile, str] | None = None
"""In a pool process: (key, verification method, issuer profile, base URL), set once at start."""


def _init_worker(seed: bytes, method: str, profile: IssuerProfile, base_url: str) -> None:
    global _worker_state  # noqa: PLW0603 - per-process state of a pool worker
    _worker_state = (Ed25519KeyPair.from_seed(seed), method, profile, base_url)


def _sign_jobs(jobs: Sequence[_Job]) -> list[dict[str, Any]]:
    if _worker_state is None:
        raise RuntimeError("the signing worker was not initialised")
    return [_sign_one(job, *_worker_state) for job in jobs]


def _sign_one(
    job: _Job, key: Ed25519KeyPair, method: str, profile: IssuerProfile, base_url: str
) -> dict[str, Any]:
    document = build_credential(
        job.template,
        profile,
        job.recipient,
        valid_from=job.valid_from,
        credential_id=job.credential_id,
        base_url=base_url,
        credential_status=job.status,
    )
    return sign(document, key, method, created=job.created)


def _pool_start_method() -> str:
    """`fork` when this process runs a single thread (the CLI): the workers start at once with
    everything already imported and share its memory. With other threads (a web server, the
    anchoring worker) a fork could copy a lock held by one of them, so `forkserver` is used."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "forkserver"


def free_cores() -> float:
    """Cores not busy with other work: the core count less the 1-minute load average beyond this
    process (on a shared machine two workers on two busy cores are slower than one process)."""
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover - no load average on this platform
        return float(cores)
    return max(1.0, cores - max(0.0, load - 1.0))


def pool_pays_off(
    remaining: int, seconds_each: float, workers: int, start_method: str, cores: float | None = None
) -> bool:
    """Whether signing `remaining` credentials on up to `workers` processes is expected to end sooner
    than in this process: `seconds_each` is the time per credential measured here, a pool costs
    POOL_START_S to start and POOL_OVERHEAD per credential, and runs on at most `cores` free cores
    (default `free_cores()`)."""
    if workers <= 1 or remaining <= 0:
        return False
    parallel = min(float(workers), cores if cores is not None else free_cores())
    single = remaining * seconds_each
    pooled = POOL_START_S[start_method] + single * POOL_OVERHEAD / parallel
    return pooled < single


def sign_all(
    jobs: Sequence[_Job],
    key: Ed25519KeyPair,
    method: str,
    profile: IssuerProfile,
    base_url: str,
    *,
    workers: int = 1,
    pool: bool | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Build and sign every job, in order: in this process, or on `workers` processes when that is
    measured to be faster.

    `pool` None decides by cost: the first PROBE jobs are signed here, timing them, and the rest go
    to a pool only if `pool_pays_off` (on 2 idle cores at ~1,800 credentials/s per process that is
    from about 700 rows with forked workers and about 7,000 with a fork server; none while the
    other core is busy; benchmarks/bench_issuer.py prints the figures). True or
    False forces the choice (benchmarks, tests). The key reaches the workers in memory only.
    """
    tick = progress or (lambda _n: None)
    out: list[dict[str, Any]] = []
    start_method = _pool_start_method()
    probe = 0 if pool else min(len(jobs), PROBE if pool is None and workers > 1 else len(jobs))
    started = time.perf_counter()
    for job in jobs[:probe]:
        out.append(_sign_one(job, key, method, profile, base_url))
        tick(1)
    rest = jobs[probe:]
    seconds_each = (time.perf_counter() - started) / max(probe, 1)
    if not rest or (pool is None and not pool_pays_off(len(rest), seconds_each, workers, start_method)):
        for job in rest:
            out.append(_sign_one(job, key, method, profile, base_url))
            tick(1)
        return out
    chunk = max(1, min(CHUNK, -(-len(rest) // (workers * 4))))
    chunks = [rest[i : i + chunk] for i in range(0, len(rest), chunk)]
    context = multiprocessing.get_context(start_method)
    if start_method == "forkserver":
        context.set_forkserver_preload(["issuer.issuance"])
    with ProcessPoolExecutor(
        max_workers=max(workers, 1),
        mp_context=context,
        initializer=_init_worker,
        initargs=(key.seed, method, profile, base_url),
    ) as executor:
        for signed in executor.map(_sign_jobs, chunks):
            out.extend(signed)
            tick(len(signed))
    return out


# ---------------------------------------------------------------------------- issuing


def _allocate(db: Database, institution: Institution, count: int) -> list[tuple[str, int]]:
    # `institution` may be detached: allocate() reads only its id and slug, which never change,
    # so it is not loaded again (this transaction holds the write lock: the shorter, the better).
    for attempt in range(5):
        try:
            with db.session() as session:
                return allocate(session, institution, count)
        except IntegrityError:  # another process opened the same next list first: retry
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def issue_requests(
    db: Database,
    institution: Institution,
    key: Ed25519KeyPair,
    requests: Sequence[IssueRequest],
    *,
    base_url: str,
    rows: Sequence[int | None] | None = None,
    workers: int = 1,
    pool: bool | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[IssuedCredential]:
    """Allocate, sign and store `requests` for `institution` (already validated)."""
    if not requests:
        return []
    positions = _allocate(db, institution, len(requests))
    ids = [str(uuid.uuid4()) for _ in requests]
    profile = issuer_profile(institution)
    created = signing_time(institution.key_valid_from)
    jobs = [
        _Job(
            template=request.template,
            recipient=Recipient(request.email, request.name if institution.include_names else None),
            valid_from=request.valid_from,
            credential_id=f"{base_url}/credentials/{credential_id}",
            status=status_entry(f"{base_url}/status-lists/{list_id}", index),
            created=created,
        )
        for request, credential_id, (list_id, index) in zip(requests, ids, positions, strict=True)
    ]
    documents = sign_all(
        jobs,
        key,
        institution.verification_method,
        profile,
        base_url,
        workers=workers,
        pool=pool,
        progress=progress,
    )
    now = utcnow()
    records = []
    issued = []
    for i, document in enumerate(documents):
        list_id, index = positions[i]
        subject = document["credentialSubject"]
        records.append(
            {
                "id": ids[i],
                "institution_id": institution.id,
                "template": requests[i].template.slug,
                "recipient_hash": subject["identifier"][0]["identityHash"],
                "recipient_name": subject.get("name"),
                "signed_json": json.dumps(document, separators=(",", ":"), ensure_ascii=False),
                "state": PENDING,
                "status_list_id": list_id,
                "status_index": index,
                "issued_at": now,
                "valid_from": datetime.fromisoformat(document["validFrom"]),
                "valid_until": datetime.fromisoformat(document["validUntil"])
                if "validUntil" in document
                else None,
                "revoked": False,
            }
        )
        issued.append(
            IssuedCredential(
                id=ids[i],
                document=document,
                template=requests[i].template.slug,
                status_list_id=list_id,
                status_index=index,
                row=rows[i] if rows is not None else None,
                issued_at=now,
            )
        )
    with db.session() as session:
        session.execute(insert(Credential), records)
        templates = sorted({r.template.slug for r in requests})
        record_event(
            session,
            institution.id,
            "credentials.issued",
            None,
            {"count": len(records), "templates": templates},
        )
    return issued
