"""A full Open Badges 3.0 credential from a W3C VC API `POST /credentials/issue` request, checked
and completed for signing.

The caller sends the credential it wants issued: any `credentialSubject` (with an `id`, e.g. a
DID, or identifiers), the achievement inline, by the id of one of the institution's catalog
achievements, or left out when `options` name a catalog achievement or a built-in template, and
per-credential data (creditsEarned, result, evidence, activity dates, validUntil, ...) in Open
Badges 3.0 terms. MedCred sets what is the issuer's to set, and nothing else:

- `issuer`: the institution's Profile (a given `issuer` must be its DID, or the request is refused);
- `id` and `credentialStatus` (refused if given: they are assigned);
- `proof` (refused if given).

What the caller gives is never replaced silently: a malformed `@context` (not starting with the VC
2.0 context, without an Open Badges 3.0 context, or naming a context MedCred does not bundle),
`type` (without VerifiableCredential and OpenBadgeCredential/AchievementCredential) or `issuer` is
a 400 that says why. Left out, `@context` and `type` get MedCred's defaults, `validFrom` is now,
`validUntil` follows the achievement's validity, `credentialSchema` names the 1EdTech schema.

A recipient e-mail (`credentialSubject.email`, MedCred's convenience, or an `emailAddress`
identifier with `hashed: false`) is replaced by its salted hash before signing: the address itself
never enters a credential. The result is checked against the VC 2.0 rules and the 1EdTech Open
Badges 3.0 JSON Schema (`verifier.schema`) and canonicalized in JSON-LD safe mode on the bundled
contexts (`verifier.canonicalize.rdfc`), whichever cryptosuite signs it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from issuer.credential_builder import (
    CREDENTIAL_CONTEXT,
    CREDENTIAL_SCHEMA_TYPE,
    CREDENTIAL_TYPE,
    OBV3_SCHEMA_URL,
    AwardedAchievement,
    IssuerProfile,
)
from issuer.credential_details import parse_date
from issuer.issuance import IssueRequest, check_email, check_name
from issuer.signing import xsd_datetime
from issuer.storage.errors import NotFoundError
from verifier.canonicalize import rdfc
from verifier.errors import InputError
from verifier.identity import identity_object
from verifier.jsonld_loader import bundled_context_urls
from verifier.schema import OB_CONTEXTS, VC_V2_CONTEXT, check_schema

ASSIGNED = ("id", "credentialStatus", "proof")
"""Properties MedCred assigns: a caller that sends them is told so."""
PLACEHOLDER_ID = "urn:uuid:00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class PreparedCredential:
    """The unsigned credential (its `id` and `credentialStatus` are placeholders until signing) and
    the request it stands for (achievement, recipient, validFrom: duplicate detection, records)."""

    document: dict[str, Any]
    request: IssueRequest


def _context(credential: Mapping[str, Any]) -> list[str]:
    if "@context" not in credential:
        return list(CREDENTIAL_CONTEXT)
    context = credential["@context"]
    if not isinstance(context, list) or not context:
        raise InputError("'@context' must be a list starting with " + VC_V2_CONTEXT + ".")
    if context[0] != VC_V2_CONTEXT:
        raise InputError(f"'@context' must start with {VC_V2_CONTEXT} (a VC 2.0 credential); it starts with "
                         f"{json.dumps(context[0])[:100]}.")  # fmt: skip
    bundled = bundled_context_urls()
    for entry in context:
        if not isinstance(entry, str):
            raise InputError(
                "'@context' entries must be URLs of published contexts; inline contexts are refused."
            )
        if entry not in bundled:
            raise InputError(
                f"The context {entry[:200]!r} is not one MedCred bundles (contexts are never fetched): "
                f"use {', '.join(sorted(c for c in bundled if 'examples' not in c))}."
            )
    if not any(c in context for c in OB_CONTEXTS):
        raise InputError(f"'@context' must include the Open Badges 3.0 context ({OB_CONTEXTS[0]}).")
    return list(context)


def _types(credential: Mapping[str, Any]) -> list[str]:
    if "type" not in credential:
        return list(CREDENTIAL_TYPE)
    types = credential["type"]
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise InputError("'type' must be a list of strings.")
    if "VerifiableCredential" not in types:
        raise InputError("'type' must include VerifiableCredential.")
    if "OpenBadgeCredential" not in types and "AchievementCredential" not in types:
        raise InputError("'type' must include OpenBadgeCredential (or AchievementCredential).")
    return list(types)


def _issuer(credential: Mapping[str, Any], profile: IssuerProfile) -> dict[str, Any]:
    if "issuer" in credential:
        issuer = credential["issuer"]
        if isinstance(issuer, dict):
            extra = sorted(set(issuer) - {"id", "type"})
            if extra:
                raise InputError(
                    f"'issuer.{extra[0]}' cannot be set: the issuer Profile is the institution's "
                    "(send its DID, or leave issuer out)."
                )
            issuer_id = issuer.get("id")
        else:
            issuer_id = issuer
        if not isinstance(issuer_id, str):
            raise InputError("'issuer' must be the institution's DID (a string, or an object with that id).")
        if issuer_id != profile.did:
            raise InputError(
                f"'issuer' must be this institution's DID ({profile.did}), not {issuer_id[:200]!r}."
            )
    return profile.to_json()


def _moment(value: Any, what: str) -> datetime:
    moment = parse_date(value, what)
    assert moment is not None
    return moment


def _recipient(subject: dict[str, Any], salt: str) -> str:
    """Hash clear e-mail identifiers in place; the recipient's key for duplicates (e-mail or id)."""
    email = subject.pop("email", None)
    if email is not None and not isinstance(email, str):
        raise InputError("'credentialSubject.email' must be a string.")
    identifiers = subject.get("identifier", [])
    if isinstance(identifiers, dict):
        identifiers = [identifiers]
    if not isinstance(identifiers, list):
        raise InputError("'credentialSubject.identifier' must be a list of IdentityObjects.")
    kept: list[Any] = []
    for entry in identifiers:
        if (
            isinstance(entry, dict)
            and entry.get("identityType") == "emailAddress"
            and entry.get("hashed") is False
        ):
            clear = entry.get("identityHash")
            if not isinstance(clear, str):
                raise InputError("An emailAddress identifier needs the address as identityHash.")
            if email is not None and clear.strip().lower() != email.strip().lower():
                raise InputError("'credentialSubject.email' and its emailAddress identifier differ.")
            email = clear
            continue
        kept.append(entry)
    found: str | None = None
    if email is not None:
        found = check_email(email)
        kept.insert(0, identity_object(found, salt))
    if kept:
        subject["identifier"] = kept
    elif "identifier" in subject:
        del subject["identifier"]
    subject_id = subject.get("id")
    if found is None and not isinstance(subject_id, str):
        raise InputError(
            "Name the recipient: credentialSubject.id (e.g. a DID), credentialSubject.email or an identifier."
        )
    return found or str(subject_id)


def _achievement(
    subject: dict[str, Any],
    options: Mapping[str, Any],
    *,
    catalog: Callable[[str], AwardedAchievement],
    template: Callable[[str], AwardedAchievement],
) -> AwardedAchievement:
    given = subject.get("achievement")
    by_option = options.get("achievement")
    by_template = options.get("template")
    if given is None:
        if by_option:
            return catalog(str(by_option))
        if by_template:
            return template(str(by_template))
        raise InputError(
            "Give the achievement: credentialSubject.achievement (inline, or a catalog achievement's id), "
            "or options.achievement / options.template."
        )
    if by_option or by_template:
        raise InputError(
            "Give the achievement once: in credentialSubject.achievement or in options, not both."
        )
    if isinstance(given, str):
        return catalog(given)
    if not isinstance(given, dict):
        raise InputError(
            "'credentialSubject.achievement' must be an Achievement object or a catalog achievement id."
        )
    achievement_id = given.get("id")
    if isinstance(achievement_id, str) and "/achievements/" in achievement_id:
        try:
            found = catalog(achievement_id)
        except NotFoundError:  # not one of ours (another issuer's, or a template's): inline
            found = None
        if found is not None:
            if set(given) <= {"id", "type"} or given == found.achievement:
                return found
            raise InputError(
                f"The achievement {achievement_id} differs from that catalog version: send its id alone, "
                "or make a new version of it."
            )
    digest = hashlib.sha256(json.dumps(given, sort_keys=True).encode("utf-8")).hexdigest()
    return AwardedAchievement("inline", copy.deepcopy(given), None, None, f"inline:{digest[:40]}")


def prepare_credential(
    credential: Any,
    options: Mapping[str, Any],
    profile: IssuerProfile,
    *,
    catalog: Callable[[str], AwardedAchievement],
    template: Callable[[str], AwardedAchievement],
    now: datetime | None = None,
) -> PreparedCredential:
    """Check and complete `credential` (see the module docstring); InputError (400) says what is wrong.

    `catalog(id)` resolves a catalog achievement (NotFound/Forbidden/ConflictError pass through),
    `template(slug)` a built-in template.
    """
    if not isinstance(credential, dict):
        raise InputError("'credential' must be a JSON object.")
    given = [k for k in ASSIGNED if k in credential]
    if given:
        raise InputError(f"'credential.{given[0]}' is assigned by the issuer: leave it out.")
    document: dict[str, Any] = {
        "@context": _context(credential),
        "id": PLACEHOLDER_ID,
        "type": _types(credential),
        "issuer": _issuer(credential, profile),
    }
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict):
        raise InputError("'credentialSubject' must be one JSON object (an AchievementSubject).")
    subject = copy.deepcopy(subject)
    subject_types = subject.get("type", ["AchievementSubject"])
    if not isinstance(subject_types, list) or "AchievementSubject" not in subject_types:
        raise InputError("'credentialSubject.type' must be a list including AchievementSubject.")
    subject["type"] = subject_types
    awarded = _achievement(subject, options, catalog=catalog, template=template)
    subject["achievement"] = copy.deepcopy(awarded.achievement)
    recipient = _recipient(subject, secrets.token_hex(16))
    name = subject.get("name")
    if name is not None:
        if not isinstance(name, str):
            raise InputError("'credentialSubject.name' must be a string.")
        check_name(name)
    valid_from = _moment(credential["validFrom"], "validFrom") if "validFrom" in credential else None
    start = valid_from or (now or datetime.now(UTC)).replace(microsecond=0)
    for key, value in credential.items():
        if key not in ("@context", "type", "issuer", "credentialSubject", "validFrom", "validUntil"):
            document[key] = copy.deepcopy(value)
    document.setdefault(
        "name", awarded.name if isinstance(awarded.achievement.get("name"), str) else "Credential"
    )
    document["validFrom"] = xsd_datetime(start)
    if "validUntil" in credential:
        until: datetime | None = _moment(credential["validUntil"], "validUntil")
    else:
        until = awarded.valid_until(start)
    if until is not None:
        if until <= start:
            raise InputError("validUntil must be after validFrom.")
        document["validUntil"] = xsd_datetime(until)
    document["credentialSubject"] = subject
    document.setdefault("credentialSchema", [{"id": OBV3_SCHEMA_URL, "type": CREDENTIAL_SCHEMA_TYPE}])
    document["credentialStatus"] = {"id": PLACEHOLDER_ID + "#0", "type": "BitstringStatusListEntry"}
    result = check_schema(document)
    if not result.valid:
        raise InputError(
            "The credential is not a valid Open Badges 3.0 credential: " + " ".join(result.errors)
        )
    rdfc(document)  # JSON-LD safe mode on the bundled contexts, whichever suite signs it
    request = IssueRequest(awarded, recipient, name, valid_from)
    return PreparedCredential(document, request)
