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
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from issuer.credential_builder import (
    AwardedAchievement,
    IssuerProfile,
    Recipient,
    build_credential,
    from_template,
)
from issuer.credential_details import (
    CredentialDetails,
    full_name,
    parse_credits,
    parse_date,
    parse_evidence,
    parse_identifier,
    parse_results,
    split_results,
)
from issuer.institutions import issuer_profile, record_event
from issuer.keys import Ed25519KeyPair
from issuer.signing import sign, signing_time
from issuer.status_list import status_entry
from issuer.storage.database import Database
from issuer.storage.errors import ConflictError
from issuer.storage.models import PENDING, Credential, Institution, utcnow
from issuer.storage.status_lists import allocate
from issuer.templates import TemplateError, load_template
from verifier.data_integrity import EDDSA_RDFC_2022
from verifier.errors import InputError, MedCredError
from verifier.identity import normalize_email
from verifier.merkle import AnchorProofError, credential_digest

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
    "email": ("email", "e-mail", "email address", "e-mail address", "recipient_email", "mail"),
    "name": ("name", "full name", "full_name", "recipient", "recipient name", "recipient_name"),
    "given_name": ("given_name", "given name", "first name", "first_name", "firstname", "forename"),
    "family_name": ("family_name", "family name", "last name", "last_name", "lastname", "surname"),
    "achievement": (
        "achievement", "template", "course", "credential", "achievement id", "achievement_id", "course code",
    ),
    "valid_from": ("valid_from", "valid from", "validfrom", "date", "issued", "completed", "completion date"),
    "valid_until": (
        "valid_until", "valid until", "validuntil", "expires", "expiry", "expiry date", "expiration date",
    ),
    "credits": ("credits", "credits_earned", "credits earned", "creditsearned", "cpd credits", "cme credits"),
    "result": ("result", "results", "score", "grade", "exam score", "mark", "pass/fail"),
    "evidence": ("evidence", "evidence url", "evidence_url", "evidence urls"),
    "evidence_narrative": ("evidence_narrative", "evidence narrative", "narrative"),
    "activity_start": (
        "activity_start", "activity start", "activity start date", "activitystartdate", "start date",
    ),
    "activity_end": ("activity_end", "activity end", "activity end date", "activityenddate", "end date"),
    "identifier": (
        "identifier", "registration number", "registration_number", "professional registration number",
        "licence number", "license number", "gmc number", "nmc pin",
    ),
    "identifier_type": ("identifier_type", "identifier type", "identity type"),
}  # fmt: skip
"""Roster columns by MedCred's name, with the headers accepted for each (case-insensitive)."""


@dataclass(frozen=True)
class IssueRequest:
    """One credential to issue, already validated."""

    achievement: AwardedAchievement
    email: str
    name: str | None = None
    valid_from: datetime | None = None
    details: CredentialDetails = field(default_factory=CredentialDetails)


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
        where = f"in {rows} of {total_rows} row(s)" if total_rows else "in its header"
        super().__init__(
            f"The roster has {len(self.errors)} problem(s) {where}; nothing was issued. "
            f"First: {self.errors[0]}."
        )


class DuplicateError(ConflictError):
    """The same recipient was already awarded the same achievement with the same validFrom day.

    `duplicates` lists the existing credentials' UUIDs. Confirm with `allow_duplicate` to issue anyway.
    """

    def __init__(self, message: str, duplicates: Sequence[str]) -> None:
        super().__init__(message)
        self.duplicates = list(duplicates)


@dataclass(frozen=True)
class IssuedCredential:
    """A freshly issued (signed, stored, not yet anchored) credential."""

    id: str
    """The UUID (the database key; `document['id']` is the public URL)."""
    document: dict[str, Any]
    template: str
    """The built-in template's slug, or `catalog`."""
    status_list_id: str
    status_index: int
    row: int | None = None
    issued_at: datetime | None = None
    """When it was stored (the row's `issued_at`): lets the API answer without reading it back."""
    achievement_id: str | None = None
    """The catalog achievement version's UUID (None for a built-in template)."""


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
    try:
        return parse_date(value, "The start of validity")
    except InputError as exc:
        raise InputError(str(exc).replace("The start of validity ", "").rstrip(".")) from None


class AchievementResolver:
    """Finds the achievement a request names, loading each once per roster (a roster names a
    handful, many times): a catalog achievement of the institution (by id or URL, or, for the
    roster's course column, its humanCode or name) or a built-in template by slug.

    `lookup(text)` is the service's catalog search (None when the catalog has no match);
    `by_id(id)` the catalog's strict form for an explicit achievement id.
    """

    def __init__(
        self,
        folder: Any = None,
        *,
        issuer_did: str = "",
        base_url: str | None = None,
        lookup: Callable[[str], AwardedAchievement | None] | None = None,
        by_id: Callable[[str], AwardedAchievement] | None = None,
    ) -> None:
        self.folder = folder
        self.issuer_did = issuer_did
        self.base_url = base_url
        self._lookup = lookup
        self._by_id = by_id
        self._cache: dict[str, AwardedAchievement | MedCredError] = {}

    def template(self, slug: str) -> AwardedAchievement:
        """A built-in template (TemplateError if there is none by that name)."""
        return self._cached(
            "template:" + (slug or "").strip().lower(),
            lambda: from_template(
                load_template((slug or "").strip().lower(), self.folder), self.issuer_did, self.base_url
            ),
        )

    def catalog(self, achievement_id: str) -> AwardedAchievement:
        """A catalog achievement by id or URL (NotFound/Forbidden/ConflictError as the catalog says)."""
        if self._by_id is None:
            raise InputError("Catalog achievements can only be issued through the service.")
        by_id = self._by_id
        return self._cached("id:" + achievement_id.strip(), lambda: by_id(achievement_id.strip()))

    def get(self, text: str) -> AwardedAchievement:
        """What a roster's achievement/course cell names: the catalog first, then a template slug."""
        value = (text or "").strip()
        if not value:
            raise InputError("no achievement given")

        def find() -> AwardedAchievement:
            found = self._lookup(value) if self._lookup is not None else None
            if found is not None:
                return found
            try:
                return self.template(value)
            except TemplateError:
                if self._lookup is None:
                    raise
                raise InputError(
                    f"{value!r} is neither an achievement of this institution (id, humanCode or name) "
                    "nor a built-in template"
                ) from None

        return self._cached("any:" + value.lower(), find)

    def _cached(self, key: str, load: Callable[[], AwardedAchievement]) -> AwardedAchievement:
        if key not in self._cache:
            try:
                self._cache[key] = load()
            except MedCredError as exc:
                self._cache[key] = exc
        found = self._cache[key]
        if isinstance(found, MedCredError):
            raise found
        return found


def _text(values: Mapping[str, Any], column: str) -> str:
    value = values.get(column)
    return value.strip() if isinstance(value, str) else ""


def request_from_values(
    resolver: AchievementResolver, values: Mapping[str, Any]
) -> tuple[IssueRequest | None, list[tuple[str, str]]]:
    """Validate one request's values (roster column names); (request, []) or (None, every problem).

    `achievement` is resolved by `resolver.get` (roster cells), unless the values carry an
    explicit `achievement_id` (catalog) or `template` (built-in), as the CLI and API do.
    """
    errors: list[tuple[str, str]] = []

    def attempt(column: str, check: Callable[[], Any]) -> Any:
        try:
            return check()
        except MedCredError as exc:
            errors.append((column, str(exc).rstrip(".")))
            return None

    email = attempt("email", lambda: check_email(_text(values, "email")))
    achievement: AwardedAchievement | None
    if values.get("achievement_id"):
        achievement = attempt("achievement", lambda: resolver.catalog(str(values["achievement_id"])))
    elif values.get("template"):
        achievement = attempt("template", lambda: resolver.template(str(values["template"])))
    else:
        achievement = attempt("achievement", lambda: resolver.get(_text(values, "achievement")))
    name = attempt(
        "name",
        lambda: check_name(
            full_name(values.get("name") or None, values.get("given_name"), values.get("family_name"))
        ),
    )
    valid_from = attempt("valid_from", lambda: parse_valid_from(values.get("valid_from")))
    details = None
    if achievement is not None:
        data = achievement.achievement
        raw_results = values.get("results")
        if raw_results is None:
            raw_results = split_results(_text(values, "result"))
        raw_evidence = values.get("evidence_urls")
        if raw_evidence is None:
            raw_evidence = re.split(r"[\s;]+", _text(values, "evidence"))
        fields = {
            "credits_earned": attempt("credits", lambda: parse_credits(values.get("credits"), data)),
            "results": attempt("result", lambda: parse_results(raw_results, data)),
            "evidence": attempt(
                "evidence", lambda: parse_evidence(raw_evidence, values.get("evidence_narrative"))
            ),
            "activity_start": attempt(
                "activity_start", lambda: parse_date(values.get("activity_start"), "The activity start")
            ),
            "activity_end": attempt(
                "activity_end", lambda: parse_date(values.get("activity_end"), "The activity end")
            ),
            "valid_until": attempt(
                "valid_until", lambda: parse_date(values.get("valid_until"), "validUntil")
            ),
            "identifier": attempt(
                "identifier",
                lambda: parse_identifier(values.get("identifier"), values.get("identifier_type")),
            ),
        }
        if not errors:
            identifier = fields.pop("identifier")
            details = attempt(
                "activity_end",
                lambda: CredentialDetails(**fields, identifiers=(identifier,) if identifier else ()),
            )
    if details is not None and details.valid_until is not None:
        start = valid_from or datetime.now(UTC)
        if details.valid_until <= start:
            errors.append(("valid_until", "validUntil must be after validFrom"))
    if errors or achievement is None or email is None or details is None:
        return None, errors
    return IssueRequest(achievement, email, name, valid_from, details), []


def make_request(
    resolver: AchievementResolver,
    template: str | None,
    email: str,
    name: str | None = None,
    valid_from: str | date | datetime | None = None,
    **extra: Any,
) -> IssueRequest:
    """Validate one request (CLI, API, admin form); InputError names the first problem.

    `extra` takes the other roster columns by name (given_name, family_name, valid_until,
    credits, results (a list of NAME=VALUE), evidence_urls (a list), evidence_narrative,
    activity_start, activity_end, identifier, identifier_type) and `achievement_id`.
    """
    values = {"template": template, "email": email, "name": name, "valid_from": valid_from, **extra}
    if not template and not extra.get("achievement_id"):
        raise InputError("Name the achievement to issue: a catalog achievement id or a built-in template.")
    if extra.get("achievement_id"):
        resolver.catalog(str(extra["achievement_id"]))  # not found / another's / retired keep their class
    request, errors = request_from_values(resolver, values)
    if request is None:
        column, reason = errors[0]
        raise InputError(f"Invalid {column}: {reason}.")
    return request


def _header_map(header: Sequence[str]) -> tuple[dict[str, int], list[RowError]]:
    positions: dict[str, int] = {}
    errors: list[RowError] = []
    normalized = [" ".join((h or "").strip().lower().lstrip("\ufeff").split()) for h in header]
    known = {alias: column for column, aliases in COLUMN_ALIASES.items() for alias in aliases}
    for index, (raw, heading) in enumerate(zip(header, normalized, strict=True)):
        if not heading:
            continue
        column = known.get(heading)
        if column is None:
            errors.append(
                RowError(
                    1,
                    (raw or "").strip()[:60],
                    f"unknown column (column {index + 1}); MedCred knows: {known_columns()}. "
                    "Rename it or remove it: nothing is dropped silently",
                )
            )
        elif column in positions:
            errors.append(RowError(1, column, "the column appears more than once"))
        else:
            positions[column] = index
    if "name" in positions and ("given_name" in positions or "family_name" in positions):
        errors.append(RowError(1, "name", "give either a full name column or given and family name columns"))
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


def known_columns() -> str:
    """The roster columns MedCred reads, as a sentence (first accepted header of each)."""
    return ", ".join(aliases[0] for aliases in COLUMN_ALIASES.values())


def parse_roster(
    source: str | bytes | Iterable[str],
    resolver: AchievementResolver,
    *,
    default_template: str | None = None,
) -> tuple[list[tuple[int, IssueRequest]], list[RowError], int]:
    """Read and validate a roster: (valid rows with their row numbers, every error, data row count).

    Columns (header names are case-insensitive, common aliases accepted, see COLUMN_ALIASES):
    `email` (required), `achievement` (a catalog achievement's id, humanCode or name, or a template
    slug; required unless `default_template`), `name` or `given_name` + `family_name`,
    `valid_from`, `valid_until`, `credits`, `result` (`[NAME=]VALUE; ...`), `evidence` (URLs),
    `evidence_narrative`, `activity_start`, `activity_end`, `identifier`, `identifier_type`.
    A column MedCred does not know is an error listing the known ones. Blank lines are skipped;
    the same e-mail twice for the same achievement is an error.
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
    if "achievement" not in columns and default_template is None:
        errors.append(
            RowError(1, "achievement", "there is no achievement (or course) column and no default was given")
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
            if len(record) > len(header) and any(cell.strip() for cell in record[len(header) :]):
                errors.append(
                    RowError(row_number, "file", "the row has more cells than the header has columns")
                )
                continue
            values = {c: (record[i] if i < len(record) else "") for c, i in columns.items()}
            if not values.get("achievement", "").strip():
                values["achievement"] = default_template or ""
            request, row_errors = request_from_values(resolver, values)
            errors.extend(RowError(row_number, column, reason) for column, reason in row_errors)
            if request is None:
                continue
            key = (request.email.lower(), request.achievement.duplicate_scope)
            if key in seen:
                errors.append(
                    RowError(row_number, "email", f"the same recipient and achievement as row {seen[key]}")
                )
                continue
            seen[key] = row_number
            valid.append((row_number, request))
    except csv.Error as exc:
        errors.append(RowError(row_number, "file", f"the CSV is malformed ({exc})"))
    if total == 0 and not errors:
        errors.append(RowError(2, "file", "the roster has a header but no rows"))
    return valid, errors, total


def duplicate_key(fingerprint: Callable[[str, str], str], institution_id: int, request: IssueRequest) -> str:
    """What finds the same award issued again: recipient (normalized e-mail), achievement (catalog
    series or template) and the UTC day of validFrom (today when not given), as a keyed HMAC."""
    day = (request.valid_from or datetime.now(UTC)).astimezone(UTC).date().isoformat()
    value = f"{institution_id}|{request.achievement.duplicate_scope}|{normalize_email(request.email)}|{day}"
    return fingerprint(value, "duplicate-award")


# ---------------------------------------------------------------------------- signing


@dataclass(frozen=True)
class _Job:
    achievement: AwardedAchievement
    recipient: Recipient
    valid_from: datetime | None
    credential_id: str
    status: dict[str, Any]
    created: datetime | None = None
    """The signature's date (see `issuer.signing.signing_time`); None: now."""
    details: CredentialDetails = field(default_factory=CredentialDetails)
    hash_identifiers: bool = False
    prebuilt: dict[str, Any] | None = None
    """A complete unsigned credential (VC-API issue): only id and status are set, then it is signed."""
    cryptosuite: str = EDDSA_RDFC_2022


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
    if job.prebuilt is not None:
        document = dict(job.prebuilt)
        document["id"] = job.credential_id
        document["credentialStatus"] = dict(job.status)
    else:
        document = build_credential(
            job.achievement,
            profile,
            job.recipient,
            valid_from=job.valid_from,
            credential_id=job.credential_id,
            base_url=base_url,
            credential_status=job.status,
            details=job.details,
            hash_identifiers=job.hash_identifiers,
        )
    return sign(document, key, method, cryptosuite=job.cryptosuite, created=job.created)


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
    duplicate_keys: Sequence[str | None] | None = None,
    prebuilt: Sequence[dict[str, Any]] | None = None,
    cryptosuite: str = EDDSA_RDFC_2022,
    extra_rows: Callable[[Sequence[str]], Sequence[tuple[type[Any], list[dict[str, Any]]]]] | None = None,
    refuse_duplicates: bool = False,
) -> list[IssuedCredential]:
    """Allocate, sign and store `requests` for `institution` (already validated).

    `duplicate_keys[i]` is stored with credential i (see `duplicate_key`); `prebuilt[i]`, when
    given, is credential i's complete unsigned document (VC-API issue), to which only the id and
    the status entry are added before signing with `cryptosuite`. `extra_rows(ids)` gives rows
    of other tables ((model, rows) pairs, e.g. the claim e-mails) inserted in the same transaction.
    `refuse_duplicates`: checked again in the storing transaction, so that two requests for the
    same award at the same moment cannot both pass the caller's earlier check (DuplicateError).
    """
    if not requests:
        return []
    positions = _allocate(db, institution, len(requests))
    ids = [str(uuid.uuid4()) for _ in requests]
    profile = issuer_profile(institution)
    created = signing_time(institution.key_valid_from)
    jobs = [
        _Job(
            achievement=request.achievement,
            recipient=Recipient(request.email, request.name if institution.include_names else None),
            valid_from=request.valid_from,
            credential_id=f"{base_url}/credentials/{credential_id}",
            status=status_entry(f"{base_url}/status-lists/{list_id}", index),
            created=created,
            details=request.details,
            hash_identifiers=not institution.include_names,
            prebuilt=prebuilt[i] if prebuilt is not None else None,
            cryptosuite=cryptosuite,
        )
        for i, (request, credential_id, (list_id, index)) in enumerate(
            zip(requests, ids, positions, strict=True)
        )
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
    for document in documents:
        _refuse_unanchorable(document)
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
                "template": requests[i].achievement.key,
                "achievement_id": requests[i].achievement.catalog_id,
                "duplicate_key": duplicate_keys[i] if duplicate_keys is not None else None,
                "recipient_hash": _email_hash(subject),
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
                template=requests[i].achievement.key,
                status_list_id=list_id,
                status_index=index,
                row=rows[i] if rows is not None else None,
                issued_at=now,
                achievement_id=requests[i].achievement.catalog_id,
            )
        )
    with db.session() as session:
        keys = sorted({k for k in duplicate_keys or () if k}) if refuse_duplicates else []
        if keys and db.is_postgresql:  # issuers of one institution take turns for this short write
            session.execute(
                text("SELECT pg_advisory_xact_lock(:id)"), {"id": _DUPLICATE_LOCK + institution.id}
            )
        session.execute(insert(Credential), records)
        if keys:  # on SQLite the insert above holds the write lock: this read sees every commit
            _refuse_existing(session, institution.id, keys, ids)
        for model, extra in extra_rows(ids) if extra_rows is not None else ():
            if extra:
                session.execute(insert(model), extra)
        templates = sorted({r.achievement.catalog_id or r.achievement.key for r in requests})
        record_event(
            session,
            institution.id,
            "credentials.issued",
            None,
            {"count": len(records), "templates": templates},
        )
    return issued


_DUPLICATE_LOCK = 0x4D43_5244_1000_0000
"""Advisory lock ids (PostgreSQL) serializing the duplicate re-check of an institution's issuing."""


def _refuse_unanchorable(document: Mapping[str, Any]) -> None:
    """Raise InputError unless `document` has a Merkle leaf: anchoring commits to the JCS form of the
    signed credential (RFC 8785, `verifier.merkle.credential_digest`), which some JSON has not (a
    number past 2^53). Stored, such a credential would stop its institution's anchoring for good:
    every later batch waits behind the one that cannot close."""
    try:
        credential_digest(document)
    except AnchorProofError as exc:
        raise InputError(f"This credential cannot be anchored: {exc}") from None


def _refuse_existing(session: Any, institution_id: int, keys: Sequence[str], new_ids: Sequence[str]) -> None:
    """DuplicateError if an unrevoked credential other than `new_ids` carries one of `keys`."""
    for start in range(0, len(keys), 500):
        found = session.execute(
            select(Credential.id)
            .where(
                Credential.institution_id == institution_id,
                Credential.duplicate_key.in_(keys[start : start + 500]),
                Credential.revoked.is_(False),
                Credential.id.not_in(list(new_ids)),
            )
            .limit(1)
        ).scalar()
        if found is not None:
            raise DuplicateError(
                f"This recipient was just awarded this achievement with the same validFrom day "
                f"(credential {found}), by another request. Confirm to issue it again (allowDuplicate).",
                [found],
            )


def _email_hash(subject: Mapping[str, Any]) -> str:
    """The subject's hashed e-mail identifier (the database indexes recipients by it)."""
    for entry in subject.get("identifier") or []:
        if isinstance(entry, Mapping) and entry.get("identityType") == "emailAddress":
            return str(entry.get("identityHash", ""))[:80]
    return ""
