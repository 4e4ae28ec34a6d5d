"""Per-credential data: what differs between two learners awarded the same achievement.

Open Badges 3.0 terms throughout: `creditsEarned`, `result` (a `Result` pointing at one of the
achievement's `resultDescription`s), `evidence` (narrative and URLs), `activityStartDate` /
`activityEndDate`, `validUntil`, and extra `IdentityObject`s in `credentialSubject.identifier`
(e.g. a professional registration number). The parsers take the text a CLI option, a roster cell
or a form field holds and raise `InputError` with a sentence naming the problem; the API passes
JSON values through the same parsers, so every entry point accepts and refuses the same things.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from verifier.errors import InputError

MAX_TEXT = 2000
MAX_EVIDENCE = 20
RESULT_STATUSES = ("Completed", "Enrolled", "Failed", "InProgress", "OnHold", "Provisional", "Withdrew")
"""OB 3.0 ResultStatusType."""
_STATUS_ALIASES = {
    "pass": "Completed",
    "passed": "Completed",
    "completed": "Completed",
    "complete": "Completed",
    "fail": "Failed",
    "failed": "Failed",
    **{s.lower(): s for s in RESULT_STATUSES},
}
IDENTITY_TYPES = (
    "name", "sourcedId", "systemId", "productId", "userName", "accountId", "emailAddress",
    "nationalIdentityNumber", "isbn", "issn", "lisSourcedId", "oneRosterSourcedId", "sisSourcedId",
    "ltiContextId", "ltiDeploymentId", "ltiToolId", "ltiPlatformId", "ltiUserId", "identifier",
)  # fmt: skip
"""OB 3.0 IdentifierTypeEnum; `ext:Name` extends it (e.g. `ext:GMCNumber`)."""
_EXT = re.compile(r"^ext:[A-Za-z0-9._-]{1,60}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")


@dataclass(frozen=True)
class CredentialDetails:
    """The optional per-credential data, already validated (see the module docstring)."""

    credits_earned: float | None = None
    results: tuple[dict[str, Any], ...] = ()
    evidence: tuple[dict[str, Any], ...] = ()
    activity_start: datetime | None = None
    activity_end: datetime | None = None
    valid_until: datetime | None = None
    identifiers: tuple[tuple[str, str], ...] = ()
    """(identityType, value) pairs, e.g. ("ext:GMCNumber", "7654321")."""

    def __post_init__(self) -> None:
        if self.activity_start and self.activity_end and self.activity_end < self.activity_start:
            raise InputError("The activity end date is before its start date.")


def clean_text(value: Any, what: str, *, limit: int = MAX_TEXT) -> str | None:
    """A trimmed single string (None when empty); InputError for other types, control characters
    or more than `limit` characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"{what} must be text.")
    text = value.strip()
    if not text:
        return None
    if len(text) > limit:
        raise InputError(f"{what} is longer than {limit} characters.")
    if _CONTROL.search(text):
        raise InputError(f"{what} contains control characters.")
    return text


def full_name(name: str | None, given: str | None = None, family: str | None = None) -> str | None:
    """The name as credentials show it: `name`, or `given family`. Both forms at once is an error."""
    given_text = " ".join((given or "").split())
    family_text = " ".join((family or "").split())
    if (given_text or family_text) and (name or "").strip():
        raise InputError("Give either the full name or the given and family names, not both.")
    if given_text or family_text:
        return " ".join(part for part in (given_text, family_text) if part)
    return name


def parse_date(value: str | date | datetime | None, what: str) -> datetime | None:
    """A date (`2026-03-01`, midnight UTC) or ISO 8601 date-time (UTC when no zone is given)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            raise InputError(f"{what} {text!r} is not a date (YYYY-MM-DD) or ISO 8601 date-time.") from None
    else:
        raise InputError(f"{what} must be a date string.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not 1990 <= moment.year <= 2200:
        raise InputError(f"{what} {moment.date()} is not a plausible date.")
    return moment.astimezone(UTC).replace(microsecond=0)


def parse_credits(value: Any, achievement: Mapping[str, Any]) -> float | None:
    """creditsEarned: a number from 0 to the achievement's creditsAvailable (when it states one)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InputError("The credits must be a number.")
    try:
        credits = float(value.strip().replace(",", ".") if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise InputError(f"The credits {value!r} are not a number.") from None
    if not math.isfinite(credits) or credits < 0:
        raise InputError("The credits must be a number of 0 or more.")
    available = achievement.get("creditsAvailable")
    if isinstance(available, int | float) and credits > available:
        raise InputError(
            f"{_fmt(credits)} credits are more than the {_fmt(available)} this achievement offers."
        )
    return int(credits) if credits.is_integer() else credits


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _number(text: str) -> float | None:
    try:
        value = float(text.strip().rstrip("%").replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def split_results(text: str) -> list[str]:
    """A roster cell's results: `Written exam=92; Megacode=pass` -> two entries."""
    return [part.strip() for part in text.split(";") if part.strip()]


def parse_results(entries: Iterable[str], achievement: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    """OB 3.0 `Result`s from `[NAME=]VALUE` entries, checked against the achievement.

    NAME picks one of the achievement's resultDescriptions (by name, case-insensitive); it may be
    left out when there is exactly one. A `Status` description takes pass/fail (or an OB status);
    the others a value, checked against allowedValue, valueMin/valueMax and the pass mark
    (requiredValue): a credential is not awarded for a result below it. An achievement without
    result descriptions takes free values.
    """
    descriptions = [d for d in achievement.get("resultDescription") or [] if isinstance(d, Mapping)]
    results: list[dict[str, Any]] = []
    used: set[str] = set()
    for entry in entries:
        text = clean_text(entry, "A result", limit=200)
        if text is None:
            continue
        name, sep, value = text.partition("=")
        if not sep:
            name, value = "", text
        name, value = name.strip(), value.strip()
        if not value:
            raise InputError(f"The result {text!r} has no value.")
        description = _description_for(name, descriptions, text)
        if description is None:
            results.append({"type": ["Result"], "value": value})
            continue
        key = str(description["id"])
        if key in used:
            raise InputError(f"The result {description['name']!r} is given twice.")
        used.add(key)
        results.append(_result(description, value))
    return tuple(results)


def _description_for(
    name: str, descriptions: Sequence[Mapping[str, Any]], text: str
) -> Mapping[str, Any] | None:
    if not descriptions:
        if name:
            raise InputError(
                f"The result {text!r} names {name!r}, but this achievement describes no results."
            )
        return None
    if not name:
        if len(descriptions) > 1:
            names = ", ".join(repr(d["name"]) for d in descriptions)
            raise InputError(f"Name the result, as NAME=VALUE: this achievement has several ({names}).")
        return descriptions[0]
    for description in descriptions:
        if str(description.get("name", "")).strip().lower() == name.lower():
            return description
    names = ", ".join(repr(d["name"]) for d in descriptions)
    raise InputError(f"This achievement has no result named {name!r} (it has {names}).")


def _result(description: Mapping[str, Any], value: str) -> dict[str, Any]:
    label = repr(description["name"])
    result: dict[str, Any] = {"type": ["Result"], "resultDescription": description["id"]}
    if description.get("resultType") == "Status":
        status = _STATUS_ALIASES.get(value.lower())
        if status is None:
            raise InputError(
                f"{label} takes pass or fail (or one of {', '.join(RESULT_STATUSES)}), not {value!r}."
            )
        if status != "Completed":
            raise InputError(f"{label} is {status}: the achievement is awarded only for a pass.")
        result["status"] = status
        return result
    allowed = description.get("allowedValue")
    required = description.get("requiredValue")
    if isinstance(allowed, list) and allowed:
        match = next((a for a in allowed if str(a).lower() == value.lower()), None)
        if match is None:
            raise InputError(f"{label} takes one of {', '.join(map(str, allowed))}, not {value!r}.")
        if required in allowed and allowed.index(match) < allowed.index(required):
            raise InputError(f"{label} {match} is below the pass mark {required}.")
        result["value"] = match
        return result
    number = _number(value)
    bounds = {
        k: _number(str(description[k])) for k in ("valueMin", "valueMax", "requiredValue") if k in description
    }
    if bounds and any(b is not None for b in bounds.values()):
        if number is None:
            raise InputError(f"{label} takes a number, not {value!r}.")
        low, high, mark = bounds.get("valueMin"), bounds.get("valueMax"), bounds.get("requiredValue")
        if (low is not None and number < low) or (high is not None and number > high):
            raise InputError(
                f"{label} {value} is outside "
                f"{description.get('valueMin', '')}–{description.get('valueMax', '')}."
            )
        if mark is not None and number < mark:
            raise InputError(f"{label} {value} is below the pass mark {description['requiredValue']}.")
        value = _fmt(number)
    result["value"] = value
    return result


def parse_evidence(urls: Iterable[str] = (), narrative: str | None = None) -> tuple[dict[str, Any], ...]:
    """OB 3.0 `Evidence`: one entry per URL (http/https), the narrative on the first one (or alone)."""
    items: list[dict[str, Any]] = []
    for raw in urls:
        url = clean_text(raw, "An evidence URL", limit=2000)
        if url is None:
            continue
        if not _URL.match(url):
            raise InputError(f"The evidence {url[:100]!r} is not an http(s) URL.")
        items.append({"id": url, "type": ["Evidence"]})
    text = clean_text(narrative, "The evidence narrative")
    if text is not None:
        if items:
            items[0]["narrative"] = text
        else:
            items.append({"type": ["Evidence"], "narrative": text})
    if len(items) > MAX_EVIDENCE:
        raise InputError(f"At most {MAX_EVIDENCE} evidence entries.")
    return tuple(items)


def parse_identifier(value: Any, identity_type: str | None = None) -> tuple[str, str] | None:
    """(identityType, value) for an extra recipient identifier such as a registration number.

    `identity_type` is an OB 3.0 IdentifierTypeEnum value or `ext:Name` (default `identifier`).
    """
    text = clean_text(value, "The identifier", limit=200)
    if text is None:
        return None
    kind = (identity_type or "").strip() or "identifier"
    if kind not in IDENTITY_TYPES and not _EXT.match(kind):
        raise InputError(
            f"The identifier type {kind!r} is not an Open Badges identity type "
            "(e.g. identifier, nationalIdentityNumber, or ext:YourName such as ext:GMCNumber)."
        )
    if kind == "emailAddress":
        raise InputError("The e-mail address is given as the recipient's email, not as an extra identifier.")
    return kind, text
