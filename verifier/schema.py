"""Structural checks: the VC 2.0 data model rules and the 1EdTech Open Badges 3.0 JSON Schema.

The 1EdTech schema is the authority on the Open Badges shape; the VC 2.0 rules below are the
"MUST"s of the data model that a JSON Schema cannot express well (context order, type membership,
date formats) and that standard verifiers enforce.

Open Badges 3.0 credentials on the VC 1.1 data model (the 3.0.0 / 3.0.1 contexts, `issuanceDate`,
`expirationDate`; what the Digital Credentials Consortium's tools issued for years) are accepted:
the VC 1.1 rules are checked, then the 1EdTech schema is applied to the credential's VC 2.0
reading (`issuanceDate` as `validFrom`, `expirationDate` as `validUntil`). VC 2.0 allows a set of
`credentialStatus` entries, and a single `proof` object; the 1EdTech schema knows one status object
and proof arrays, so each status entry and the proof are checked in the shape it knows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import jsonschema_rs

from verifier.resources import schemas_dir

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
OB_ANY_CONTEXT = re.compile(r"^https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d\.\d)?\.json$")
OB_CONTEXTS = (
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
)
MAX_ERRORS = 5


@dataclass(frozen=True)
class SchemaResult:
    valid: bool
    code: str
    errors: tuple[str, ...] = ()


@cache
def obv3_validator() -> jsonschema_rs.Draft201909Validator:
    """The 1EdTech schema compiled by jsonschema-rs: the pure-Python validator took half of each
    verification's time; this one is ~100x faster and also checks formats such as date-time."""
    path = schemas_dir() / "obv3" / "ob_v3p0_achievementcredential_schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema_rs.Draft201909Validator(schema, validate_formats=True)


def parse_datetime(value: Any) -> datetime | None:
    """An XSD dateTime with a time zone as an aware datetime, or None if it is not one."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def is_vc1(credential: Mapping[str, Any]) -> bool:
    """Whether the credential is on the VC 1.1 data model (its first context is VC 1.1's)."""
    context = credential.get("@context")
    return isinstance(context, list) and bool(context) and context[0] == VC_V1_CONTEXT


def validity_period(credential: Mapping[str, Any]) -> tuple[Any, Any]:
    """The raw (start, end) of the validity period: validFrom / validUntil, or on the VC 1.1 data
    model issuanceDate / expirationDate."""
    if is_vc1(credential):
        return credential.get("issuanceDate"), credential.get("expirationDate")
    return credential.get("validFrom"), credential.get("validUntil")


def _vc1_errors(credential: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    if not any(isinstance(c, str) and OB_ANY_CONTEXT.match(c) for c in credential["@context"]):
        errors.append("@context must include an Open Badges 3.0 context.")
    if parse_datetime(credential.get("issuanceDate")) is None:
        errors.append("issuanceDate must be a date and time with a time zone (VC 1.1).")
    if "expirationDate" in credential and parse_datetime(credential["expirationDate"]) is None:
        errors.append("expirationDate must be a date and time with a time zone.")
    return errors


def _vc2_reading(credential: Mapping[str, Any]) -> dict[str, Any]:
    """A VC 1.1 credential as the VC 2.0-based 1EdTech schema reads it."""
    view = {k: v for k, v in credential.items() if k not in ("issuanceDate", "expirationDate")}
    view["@context"] = [VC_V2_CONTEXT, OB_CONTEXTS[0]]
    view["validFrom"] = credential["issuanceDate"]
    if "expirationDate" in credential:
        view["validUntil"] = credential["expirationDate"]
    return view


def _vc2_errors(credential: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    context = credential.get("@context")
    if is_vc1(credential):
        errors = _vc1_errors(credential)
    elif not isinstance(context, list) or not context or context[0] != VC_V2_CONTEXT:
        errors.append(f"@context must be a list starting with {VC_V2_CONTEXT} (or VC 1.1's {VC_V1_CONTEXT}).")
    elif not any(c in context for c in OB_CONTEXTS):
        errors.append("@context must include the Open Badges 3.0 context (3.0.2 or 3.0.3).")
    types = credential.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        errors.append("type must be a list including VerifiableCredential.")
    elif "OpenBadgeCredential" not in types and "AchievementCredential" not in types:
        errors.append("type must include OpenBadgeCredential.")
    for field in ("validFrom", "validUntil"):
        if field in credential and parse_datetime(credential[field]) is None:
            errors.append(f"{field} must be a date and time with a time zone.")
    start, end = parse_datetime(credential.get("validFrom")), parse_datetime(credential.get("validUntil"))
    if start and end and end < start:
        errors.append("validUntil is before validFrom.")
    if "credentialSubject" not in credential:
        errors.append("credentialSubject is missing.")
    return errors


def check_schema(credential: Any) -> SchemaResult:
    """VC 2.0 rules first (clearer messages), then the 1EdTech schema. Never raises."""
    if not isinstance(credential, Mapping):
        return SchemaResult(False, "not_an_object", ("A credential must be a JSON object.",))
    errors = _vc2_errors(credential)
    if errors:
        return SchemaResult(False, "vc_data_model", tuple(errors[:MAX_ERRORS]))
    if is_vc1(credential):
        credential = _vc2_reading(credential)
    if isinstance(credential.get("proof"), Mapping):
        # VC 2.0 allows a single proof object (a set of one); the 1EdTech schema only knows arrays.
        credential = {**credential, "proof": [credential["proof"]]}
    status = credential.get("credentialStatus")
    # VC 2.0 allows a set of status entries; the 1EdTech schema knows one: check each in its place.
    views = (
        [{**credential, "credentialStatus": entry} for entry in status] if isinstance(status, list) else []
    )
    try:
        found = [e for view in views or [credential] for e in obv3_validator().iter_errors(view)]
    except (RecursionError, ValueError) as exc:
        return SchemaResult(False, "too_deep", (f"The credential cannot be checked: {exc}",))
    if found:
        messages = tuple(_describe(e) for e in found[:MAX_ERRORS])
        return SchemaResult(False, "obv3_schema", messages)
    return SchemaResult(True, "ok")


def _describe(error: Any) -> str:
    where = "/".join(str(p) for p in error.instance_path) or "(top level)"
    message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    return f"{where}: {message}"
