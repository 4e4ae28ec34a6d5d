"""A credential's dates in the words people read, the same on the verifier page, the public
credential page, the PDF certificate and `medcred verify`.

- "Issued": when the issuer signed it (the `created` of its signature proof; Data Integrity 1.0);
- "Valid from" / "Valid until": `validFrom` / `validUntil` (VC 2.0; `issuanceDate` /
  `expirationDate` on VC 1.1).

A moment at midnight UTC is shown as a date alone: that is how a date without a time of day (a
roster's `valid_from` 2026-11-28) is stored, and nobody gave the "00:00".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from verifier.data_integrity import is_anchor_proof
from verifier.schema import parse_datetime, validity_period

ISSUED = "Issued"
VALID_FROM = "Valid from"
VALID_UNTIL = "Valid until"
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def as_moment(value: Any) -> datetime | None:
    """An aware datetime from a datetime (naive means UTC) or an ISO 8601 string with a time zone."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return parse_datetime(value)


def human_date(value: Any) -> str | None:
    """'28 November 2026' (midnight UTC: a date without a time) or '30 November 2026, 08:45 UTC';
    None when `value` is None or empty, the text itself when it is not a date and time."""
    if value is None or value == "":
        return None
    moment = as_moment(value)
    if moment is None:
        return str(value)
    moment = moment.astimezone(UTC)
    day = f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"
    if (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0):
        return day
    return f"{day}, {moment:%H:%M} UTC"


def signed_at(credential: Mapping[str, Any]) -> str | None:
    """The `created` of the credential's first signature proof (not the anchor proof), raw."""
    proof = credential.get("proof")
    for item in proof if isinstance(proof, list) else [proof]:
        if isinstance(item, Mapping) and not is_anchor_proof(item) and isinstance(item.get("created"), str):
            return item["created"]
    return None


def credential_dates(credential: Mapping[str, Any]) -> list[tuple[str, str]]:
    """[(label, human date)] for Issued, Valid from, Valid until, those the credential has."""
    start, end = validity_period(credential)
    dates = ((ISSUED, signed_at(credential)), (VALID_FROM, start), (VALID_UNTIL, end))
    return [(label, text) for label, value in dates if (text := human_date(value))]
