"""Checking every entry of a credential's `credentialStatus` (VC 2.0 allows a set) against the
issuer's Bitstring Status Lists.

One outcome per entry, in the credential's order:

- `revocation` bit set: fail (`revoked`); `suspension` bit set: suspended (`suspended`, the verdict
  SUSPENDED: not in force for now, not revoked); bit clear: pass.
- `refresh` bit set: a warning that the issuer has a newer version; `message` (multi-bit): a
  warning quoting the issuer's `statusMessage` for the value.
- any other purpose, or a status type other than BitstringStatusListEntry: a warning that MedCred
  does not know it and did not check it. Never guessed at.
- the list unreachable: a warning; the list malformed, forged (another issuer) or not matching the
  entry: a failure.

The lists come from `get_list(url)`, which must return a list already verified by the caller (its
signature and that its issuer is the credential's: see `verifier.status_list`) or the error that
prevented it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from verifier.errors import MedCredError
from verifier.report import CheckStatus
from verifier.status_list import (
    STATUS_LIST_ENTRY_TYPE,
    DecodedStatusList,
    StatusEntryError,
    StatusListUnreachableError,
    status_value,
)

PASS, FAIL, WARN = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.WARN
KNOWN_PURPOSES = ("revocation", "suspension", "refresh", "message")
ListGetter = Callable[[str], DecodedStatusList | MedCredError]
"""url -> the verified, decoded list, or the error that prevented getting it."""


@dataclass(frozen=True)
class StatusOutcome:
    """The result of one credentialStatus entry, ready to be a `status_list` check."""

    status: CheckStatus
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


def entries_of(credential: Mapping[str, Any]) -> list[Any]:
    """The credential's status entries as a list (a single object is a set of one; absent is [])."""
    status = credential.get("credentialStatus")
    if status is None:
        return []
    return status if isinstance(status, list) else [status]


def _types(entry: Mapping[str, Any]) -> list[Any]:
    value = entry.get("type")
    return [value] if isinstance(value, str) else value if isinstance(value, list) else []


def _message_for(entry: Mapping[str, Any], value: int) -> str | None:
    messages = entry.get("statusMessage")
    if not isinstance(messages, list):
        return None
    for item in messages:
        if not isinstance(item, Mapping) or not isinstance(item.get("status"), str):
            continue
        try:
            if int(item["status"], 16) == value and isinstance(item.get("message"), str):
                return item["message"]
        except ValueError:
            continue
    return None


def check_entry(entry: Any, get_list: ListGetter) -> StatusOutcome:
    """The outcome of one status entry (never raises for bad input)."""
    if not isinstance(entry, Mapping):
        return StatusOutcome(FAIL, "status_entry_invalid", "A credentialStatus entry is not an object.")
    kinds = _types(entry)
    if STATUS_LIST_ENTRY_TYPE not in kinds:
        kind = ", ".join(str(k) for k in kinds) or "no type"
        return StatusOutcome(
            WARN, "status_type_unsupported",
            f"The credential names a status of type {kind[:80]}, which MedCred cannot read; "
            "it was not checked.",
        )  # fmt: skip
    purpose = entry.get("statusPurpose")
    details = {"purpose": purpose, "index": entry.get("statusListIndex")}
    if purpose not in KNOWN_PURPOSES:
        shown = purpose[:60] if isinstance(purpose, str) else repr(purpose)[:60]
        return StatusOutcome(
            WARN, "status_purpose_unknown",
            f"The credential has a status of purpose {shown!r}, which MedCred does not know; "
            "it was not checked.",
            details,
        )  # fmt: skip
    url = entry.get("statusListCredential")
    if not isinstance(url, str):
        return StatusOutcome(
            FAIL, "status_entry_invalid",
            f"The {purpose} status entry has no statusListCredential URL.", details,
        )  # fmt: skip
    listing = get_list(url)
    try:
        if isinstance(listing, MedCredError):
            raise listing
        value = status_value(entry, listing)
    except StatusListUnreachableError as exc:
        return StatusOutcome(
            WARN, exc.code, f"The issuer's {purpose} status list is unreachable: {exc}", details
        )
    except MedCredError as exc:
        code = getattr(exc, "code", "status_list_invalid")
        status = WARN if "unreachable" in code or "fetch" in code else FAIL
        return StatusOutcome(status, code, f"The issuer's status list could not be used: {exc}", details)
    if purpose == "message":
        text = _message_for(entry, value)
        said = f"says: {text[:200]}" if text else f"gives status 0x{value:x} (no message for it)"
        return StatusOutcome(WARN, "status_message", f"The issuer's status list {said}", details)
    if entry.get("statusSize", 1) != 1:
        error = StatusEntryError(f"A {purpose} status is one bit; this entry uses {entry.get('statusSize')}.")
        return StatusOutcome(FAIL, error.code, str(error), details)
    if purpose == "revocation":
        if value:
            return StatusOutcome(
                FAIL,
                "revoked",
                "The issuer's status list marks this credential as revoked.",
                details,
            )
        return StatusOutcome(PASS, "ok", "The issuer's status list confirms it is not revoked.", details)
    if purpose == "suspension":
        if value:
            return StatusOutcome(
                CheckStatus.SUSPENDED, "suspended",
                "The issuer has suspended this credential for now: it is not in force while suspended, "
                "but it is not revoked.",
                details,
            )  # fmt: skip
        return StatusOutcome(PASS, "ok", "The issuer's status list confirms it is not suspended.", details)
    if value:  # refresh
        return StatusOutcome(
            WARN,
            "refresh_available",
            "The issuer has a newer version of this credential.",
            details,
        )
    return StatusOutcome(PASS, "ok", "The issuer's status list has no newer version.", details)


def check_credential_status(credential: Mapping[str, Any], get_list: ListGetter) -> list[StatusOutcome]:
    """One outcome per entry of `credentialStatus`, in order ([] when there is none)."""
    return [check_entry(entry, get_list) for entry in entries_of(credential)]
