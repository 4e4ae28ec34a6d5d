"""Building an unsigned Open Badges 3.0 credential from a template and the recipient's data.

The shape is fixed (see DESIGN.md, "The credential"): VC 2.0 + OB 3.0.3 contexts, an issuer
`Profile` whose id is the institution's DID, the achievement from the template, the recipient as a
salted e-mail hash (`IdentityObject`, see `verifier.identity`), the recipient's name only if the
institution chooses to show it, validity from the template's period, and the 1EdTech JSON Schema in
`credentialSchema`. Every property is defined by the two contexts, so the credential canonicalizes
in JSON-LD safe mode, which standard verifiers require.
"""

from __future__ import annotations

import copy
import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from issuer.credential_details import CredentialDetails
from issuer.signing import xsd_datetime
from issuer.templates import AchievementTemplate, add_duration
from verifier.errors import InputError
from verifier.identity import IDENTITY_HASH_PREFIX, identity_object

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CREDENTIAL_CONTEXT = (VC_CONTEXT, OB_CONTEXT)
CREDENTIAL_TYPE = ("VerifiableCredential", "OpenBadgeCredential")
OBV3_SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
CREDENTIAL_SCHEMA_TYPE = "JsonSchema"
"""VC 2.0's JSON Schema type, defined by the VC 2.0 context. The OB 3.0 examples' type,
`1EdTechJsonSchemaValidator2019`, is defined by no context: jsonld.js in safe mode (what standard
verifiers run) rejects it as a relative @type reference, so a credential carrying it fails there."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
"""Refused in names: RDF canonicalization implementations write them differently (and they are typos)."""
_ACHIEVEMENT_NAMESPACE = uuid.UUID("6d3f8a52-1c1e-4f7e-9c55-2b0b6a3c1e07")


@dataclass(frozen=True)
class IssuerProfile:
    """The issuing institution as it appears in credentials."""

    did: str
    name: str
    url: str | None = None
    email: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The OBv3 issuer `Profile`."""
        profile: dict[str, Any] = {"id": self.did, "type": ["Profile"], "name": self.name}
        if self.url:
            profile["url"] = self.url
        if self.email:
            profile["email"] = self.email
        return profile


@dataclass(frozen=True)
class Recipient:
    """The person a credential is awarded to. `name` is shown only when given; `salt` defaults to random."""

    email: str
    name: str | None = None
    salt: str | None = None


@dataclass(frozen=True)
class AwardedAchievement:
    """The achievement a credential awards, complete with its `id`: a catalog achievement version,
    or a built-in template (see `from_template`). `achievement` is copied into each credential."""

    key: str
    """The template's slug, or `catalog` for a catalog achievement."""
    achievement: dict[str, Any]
    validity: str | None = None
    catalog_id: str | None = None
    """The catalog version's UUID (None for a template)."""
    series_id: str | None = None
    """What 'the same achievement' means for duplicate detection: the catalog series, or the template."""

    @property
    def name(self) -> str:
        return str(self.achievement["name"])

    @property
    def duplicate_scope(self) -> str:
        return f"series:{self.series_id}" if self.series_id else f"template:{self.key}"

    def valid_until(self, valid_from: datetime) -> datetime | None:
        return add_duration(valid_from, self.validity) if self.validity else None


def with_result_ids(achievement: dict[str, Any]) -> dict[str, Any]:
    """Give each resultDescription without an `id` one (`<achievement id>#result-N`): a Result
    names the description it reports on by that id, and 1EdTech's schema requires it."""
    descriptions = achievement.get("resultDescription")
    if isinstance(descriptions, list):
        for index, description in enumerate(descriptions):
            if isinstance(description, dict) and "id" not in description:
                descriptions[index] = {"id": f"{achievement['id']}#result-{index + 1}", **description}
    return achievement


def from_template(
    template: AchievementTemplate,
    issuer_did: str,
    base_url: str | None = None,
    achievement_id: str | None = None,
) -> AwardedAchievement:
    """A built-in template as the achievement a credential awards (id `<base_url>/achievements/<slug>`)."""
    achievement = {"id": achievement_id or achievement_id_for(issuer_did, template.slug, base_url)}
    achievement.update(template.achievement)
    return AwardedAchievement(template.slug, with_result_ids(achievement), template.validity)


def achievement_id_for(issuer_did: str, slug: str, base_url: str | None = None) -> str:
    """A stable achievement id: `<base_url>/achievements/<slug>`, else a name-based urn:uuid."""
    if base_url:
        return f"{base_url.rstrip('/')}/achievements/{slug}"
    return uuid.uuid5(_ACHIEVEMENT_NAMESPACE, f"{issuer_did}|{slug}").urn


def new_credential_id(base_url: str | None = None) -> str:
    """A fresh credential id: `<base_url>/credentials/<uuid>` or `urn:uuid:<uuid>`."""
    value = uuid.uuid4()
    return f"{base_url.rstrip('/')}/credentials/{value}" if base_url else value.urn


def build_credential(
    template: AchievementTemplate | AwardedAchievement,
    issuer: IssuerProfile,
    recipient: Recipient,
    *,
    valid_from: datetime | None = None,
    credential_id: str | None = None,
    base_url: str | None = None,
    achievement_id: str | None = None,
    credential_status: dict[str, Any] | list[dict[str, Any]] | None = None,
    details: CredentialDetails | None = None,
    hash_identifiers: bool = False,
) -> dict[str, Any]:
    """The unsigned credential awarding `template`'s achievement (a catalog achievement or a
    built-in template) to `recipient`.

    `valid_from` defaults to now (UTC, whole seconds); `validUntil` is `details.valid_until` if
    given, else `valid_from` plus the achievement's validity period (none if it has none).
    `base_url` makes the credential and template achievement ids URLs under it instead of
    `urn:uuid`s. `credential_status` (e.g. a BitstringStatusListEntry, or a list of entries) is
    included as given. `details` adds the per-credential data (creditsEarned, result, evidence,
    activity dates, extra identifiers, which are salted hashes like the e-mail when
    `hash_identifiers`). InputError for a bad e-mail, a name with control characters or
    validUntil before validFrom.
    """
    email = recipient.email.strip() if isinstance(recipient.email, str) else ""
    if "@" not in email or any(c.isspace() for c in email) or _CONTROL.search(email):
        raise InputError(f"{recipient.email!r} is not an e-mail address.")
    if recipient.name is not None and _CONTROL.search(recipient.name):
        raise InputError("The recipient's name contains control characters.")
    if valid_from is None:
        valid_from = datetime.now(UTC)
    if valid_from.tzinfo is None:
        raise InputError("The validity start must include a time zone.")
    valid_from = valid_from.astimezone(UTC).replace(microsecond=0)
    salt = recipient.salt if recipient.salt is not None else secrets.token_hex(16)

    awarded = (
        from_template(template, issuer.did, base_url, achievement_id)
        if isinstance(template, AchievementTemplate)
        else template
    )
    details = details or CredentialDetails()
    identifiers = [identity_object(email, salt)]
    for kind, value in details.identifiers:
        identifiers.append(_identity(kind, value, salt if hash_identifiers else None))
    subject: dict[str, Any] = {"type": ["AchievementSubject"], "identifier": identifiers}
    if recipient.name:
        subject["name"] = recipient.name
    if details.activity_start is not None:
        subject["activityStartDate"] = xsd_datetime(details.activity_start)
    if details.activity_end is not None:
        subject["activityEndDate"] = xsd_datetime(details.activity_end)
    if details.credits_earned is not None:
        subject["creditsEarned"] = details.credits_earned
    if details.results:
        subject["result"] = copy.deepcopy(list(details.results))
    subject["achievement"] = copy.deepcopy(awarded.achievement)

    credential: dict[str, Any] = {
        "@context": list(CREDENTIAL_CONTEXT),
        "id": credential_id or new_credential_id(base_url),
        "type": list(CREDENTIAL_TYPE),
        "issuer": issuer.to_json(),
        "name": awarded.name,
        "validFrom": xsd_datetime(valid_from),
    }
    valid_until = details.valid_until or awarded.valid_until(valid_from)
    if valid_until is not None:
        if valid_until <= valid_from:
            raise InputError("validUntil must be after validFrom.")
        credential["validUntil"] = xsd_datetime(valid_until)
    credential["credentialSubject"] = subject
    if details.evidence:
        credential["evidence"] = copy.deepcopy(list(details.evidence))
    credential["credentialSchema"] = [{"id": OBV3_SCHEMA_URL, "type": CREDENTIAL_SCHEMA_TYPE}]
    if credential_status is not None:
        credential["credentialStatus"] = (
            [dict(entry) for entry in credential_status]
            if isinstance(credential_status, list)
            else dict(credential_status)
        )
    return credential


def _identity(kind: str, value: str, salt: str | None) -> dict[str, Any]:
    """An extra IdentityObject: in clear, or as a salted SHA-256 like the e-mail's."""
    if salt is None:
        return {"type": "IdentityObject", "identityHash": value, "identityType": kind, "hashed": False}
    digest = hashlib.sha256((value + salt).encode("utf-8")).hexdigest()
    return {
        "type": "IdentityObject",
        "identityHash": IDENTITY_HASH_PREFIX + digest,
        "identityType": kind,
        "hashed": True,
        "salt": salt,
    }
