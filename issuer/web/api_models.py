"""Typed request and response bodies of the issuer's HTTP API (pydantic), declared on the routes
with `verifier.web.openapi.api_spec` (see that module for how a new endpoint uses them).

Requests are validated before the view runs: unknown JSON fields are refused (`extra="forbid"`),
so a caller never believes a field was used when it was not. Responses are documented here and
checked against the document by the schemathesis test; they allow extra members.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from issuer.storage.models import CREDENTIAL_STATES
from verifier.web.openapi import RowError

CredentialState = Literal["pending", "submitted", "anchored"]
assert set(CredentialState.__args__) == set(CREDENTIAL_STATES)  # type: ignore[attr-defined]


class Request(BaseModel):
    """A request body: unknown fields are a 400, strings are taken as sent."""

    model_config = ConfigDict(extra="forbid")


class Answer(BaseModel):
    """A response body (documentation; extra members allowed)."""

    model_config = ConfigDict(extra="allow")


# --- requests -------------------------------------------------------------------------------------


class ResultValue(BaseModel):
    """One result: the achievement's resultDescription it reports on (by name) and its value."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=200, description="The resultDescription's name.")
    value: str | float = Field(description="A score, grade, or pass/fail.")


class EvidenceItem(BaseModel):
    """Evidence: a URL, a narrative, or both (OB 3.0 Evidence)."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(None, max_length=2000, description="An http(s) URL.")
    narrative: str | None = Field(None, max_length=2000)


class ExtraIdentifier(BaseModel):
    """An extra recipient identifier (OB 3.0 IdentityObject), e.g. a registration number."""

    model_config = ConfigDict(extra="forbid")
    identityType: str | None = Field(
        None, max_length=80, description="identifier (default), nationalIdentityNumber, or ext:Name."
    )
    value: str = Field(min_length=1, max_length=200)


class IssueRequest(Request):
    """Issue one credential: a catalog `achievement` or a built-in `template`, with per-credential data."""

    template: str | None = Field(
        None, min_length=1, max_length=100, description="Built-in template slug (GET /api/v1/templates)."
    )
    achievement: str | None = Field(
        None,
        min_length=1,
        max_length=2000,
        validation_alias=AliasChoices("achievement", "achievementId"),
        description="A catalog achievement's id (UUID or URL); `achievementId` works too.",
    )
    email: str = Field(min_length=1, max_length=320, description="Hashed with a salt into the credential.")
    name: str | None = Field(
        None,
        max_length=1000,
        validation_alias=AliasChoices("name", "recipientName"),
        description="Printed on the credential if the institution includes names; `recipientName` too.",
    )
    given_name: str | None = Field(None, max_length=500, validation_alias=AliasChoices("givenName"))
    family_name: str | None = Field(None, max_length=500, validation_alias=AliasChoices("familyName"))
    valid_from: str | None = Field(
        None,
        max_length=64,
        validation_alias=AliasChoices("validFrom", "valid_from"),
        description="YYYY-MM-DD or ISO 8601 date-time (default now); `valid_from` works too.",
    )
    valid_until: str | None = Field(
        None,
        max_length=64,
        validation_alias=AliasChoices("validUntil"),
        description="Overrides validFrom + the achievement's validity.",
    )
    credits_earned: float | None = Field(None, ge=0, validation_alias=AliasChoices("creditsEarned"))
    result: list[str | ResultValue] = Field(
        default_factory=list, max_length=50, description='"[NAME=]VALUE" strings or {name, value} objects.'
    )
    evidence: list[str | EvidenceItem] = Field(default_factory=list, max_length=20)
    evidence_narrative: str | None = Field(
        None, max_length=2000, validation_alias=AliasChoices("evidenceNarrative")
    )
    activity_start: str | None = Field(
        None, max_length=64, validation_alias=AliasChoices("activityStartDate")
    )
    activity_end: str | None = Field(None, max_length=64, validation_alias=AliasChoices("activityEndDate"))
    identifier: str | ExtraIdentifier | None = Field(None, description="An extra recipient identifier.")
    allow_duplicate: bool = Field(
        False,
        validation_alias=AliasChoices("allowDuplicate"),
        description="Issue even if the recipient holds this achievement with the same validFrom day.",
    )
    deliver_by_email: bool | None = Field(
        None,
        validation_alias=AliasChoices("deliverByEmail"),
        description="E-mail the recipient a claim link once the credential is anchored (default: the "
        "institution's setting, on unless switched off).",
    )

    @model_validator(mode="before")
    @classmethod
    def _one_spelling(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for names in (
                ("name", "recipientName"),
                ("achievement", "achievementId"),
                ("validFrom", "valid_from"),
            ):
                given = {data[n] for n in names if data.get(n) is not None and isinstance(data[n], str)}
                if len(given) > 1:
                    raise ValueError(f"{names[0]} and {names[1]} say different things: send one of them")
        return data

    @model_validator(mode="after")
    def _one_achievement(self) -> IssueRequest:
        if bool(self.template) == bool(self.achievement):
            raise ValueError(
                "send either achievement (a catalog achievement id) or template, not both or neither"
            )
        return self

    @field_validator("email")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    def issue_arguments(self) -> dict[str, Any]:
        """`IssuerService.issue`'s keyword arguments (besides the institution)."""
        results = [
            r if isinstance(r, str) else (f"{r.name}={r.value}" if r.name else str(r.value))
            for r in self.result
        ]
        urls, narratives = [], [self.evidence_narrative] if self.evidence_narrative else []
        for item in self.evidence:
            if isinstance(item, str):
                urls.append(item)
            else:
                if item.id:
                    urls.append(item.id)
                if item.narrative:
                    narratives.append(item.narrative)
        identifier = self.identifier
        return {
            "template": self.template,
            "achievement": self.achievement,
            "email": self.email,
            "name": self.name,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "credits": self.credits_earned,
            "results": results,
            "evidence_urls": urls,
            "evidence_narrative": "\n".join(narratives) or None,
            "activity_start": self.activity_start,
            "activity_end": self.activity_end,
            "identifier": identifier.value if isinstance(identifier, ExtraIdentifier) else identifier,
            "identifier_type": identifier.identityType if isinstance(identifier, ExtraIdentifier) else None,
            "allow_duplicate": self.allow_duplicate,
            "deliver": self.deliver_by_email,
        }


class RevokeRequest(Request):
    """Why a credential is revoked (the body may be empty)."""

    reason: str | None = Field(
        None,
        max_length=500,
        description="Free text; issued-in-error, superseded, misconduct, key-compromise, withdrawn also set "
        "the registry's reason code.",
    )


class ListQuery(BaseModel):
    """Filters and paging of the credential list."""

    state: CredentialState | None = Field(None, description="Anchoring state.")
    revoked: bool | None = Field(None, description="Only revoked (true) or only unrevoked (false).")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=10**9)

    @field_validator("state", "revoked", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value


class BatchQuery(BaseModel):
    limit: int = Field(100, ge=1, le=1000)


class RosterOptions(BaseModel):
    """Options of a roster upload (query string, or multipart fields beside `file`)."""

    allow_partial: bool = Field(False, description="Issue the valid rows even if some rows have errors.")
    allow_duplicates: bool = Field(
        False, description="Issue rows already issued (same recipient, achievement and validFrom day)."
    )
    template: str | None = Field(
        None,
        max_length=2000,
        description="Achievement (catalog id, humanCode, name, or template) for rows without one.",
    )
    deliver_by_email: bool | None = Field(
        None,
        description="E-mail each recipient a claim link once anchored (default: the institution's "
        "setting, on unless switched off).",
    )

    @field_validator("allow_partial", "allow_duplicates", mode="before")
    @classmethod
    def _empty_is_false(cls, value: Any) -> Any:
        return False if value in ("", None) else value

    @field_validator("deliver_by_email", mode="before")
    @classmethod
    def _empty_is_default(cls, value: Any) -> Any:
        return None if value == "" else value


def split_ids(value: Any) -> Any:
    """Ids from a JSON array, or from a form field separated by commas or whitespace."""
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    return value


class ExportRequest(Request):
    """Either `ids` (e.g. those a roster upload returned) or `all: true` (with `state`, `since`)."""

    ids: list[str] | None = Field(None, max_length=100_000, description="Credential ids.")
    all: bool = Field(False, description="Every credential of the institution (narrowed by state, since).")
    format: Literal["zip", "jsonl"] = Field(
        "zip", description="zip: files and QR codes; jsonl: the credentials alone, one per line (fast)."
    )
    qrCodes: bool = Field(False, description="zip: add each QR code, PNG and SVG (about 50 ms each).")
    certificates: bool = Field(False, description="zip: add the PDF certificates (about 0.4 s each).")
    state: Literal["all", "anchored", "pending", "revoked"] = Field(
        "all", description="With all: anchored (not revoked), pending (not revoked), revoked, or all."
    )
    since: str | None = Field(None, max_length=64, description="With all: issued on or after this date.")
    anchorFirst: bool = Field(
        True,
        description="Anchor the pending credentials first (default), so the files are the permanent, "
        "anchored ones; those still pending (chain down) are named <id>.pending.json in a ZIP and labelled "
        "temporary in TEMPORARY.txt.",
    )

    @field_validator("ids", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return split_ids(value)

    @model_validator(mode="after")
    def _something_chosen(self) -> ExportRequest:
        if not self.all and not self.ids:
            raise ValueError("name at least one credential in 'ids', or send all: true")
        return self


class AdminExportForm(BaseModel):
    """The admin UI's download form."""

    csrf_token: str = ""
    ids: list[str] | None = Field(None, max_length=100_000)
    all: str | None = None
    temporary: str | None = None
    """"1": download now, before anchoring (temporary files); otherwise anchor first."""

    @field_validator("ids", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return split_ids(value)


class PageQuery(BaseModel):
    """The admin list's page and filter."""

    page: int = Field(1, ge=1, le=10**6)
    state: str | None = None
    q: str | None = Field(None, max_length=200, description="A name, an e-mail or a credential id.")


class VcIssueOptions(BaseModel):
    """VC API issue options."""

    model_config = ConfigDict(extra="forbid")
    template: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="A built-in template, when the subject has no achievement.",
    )
    achievement: str | None = Field(
        None,
        min_length=1,
        max_length=2000,
        description="A catalog achievement's id, when the subject has none.",
    )
    institution: str | None = Field(None, max_length=100, description="Must be the token's institution.")
    cryptosuite: Literal["eddsa-rdfc-2022", "eddsa-jcs-2022"] | None = Field(
        None, description="The Data Integrity cryptosuite (default eddsa-rdfc-2022)."
    )
    allowDuplicate: bool = Field(  # the VC API's camelCase
        False, description="Issue even if the recipient holds this achievement with the same validFrom day."
    )
    deliverByEmail: bool | None = Field(
        None,
        description="E-mail the recipient (credentialSubject.email) a claim link once anchored "
        "(default: the institution's setting, on unless switched off).",
    )


class VcIssueRequest(Request):
    """W3C VC API issue: a full Open Badges 3.0 credential without id, status and proof."""

    credential: dict[str, Any] = Field(
        description="An OpenBadgeCredential: @context, type, credentialSubject (with id or identifiers, "
        "the achievement inline or a catalog id), validFrom, validUntil, evidence, ... MedCred sets issuer, "
        "id, credentialStatus and proof."
    )
    options: VcIssueOptions = Field(default_factory=VcIssueOptions)


class VcStatusChange(BaseModel):
    type: Literal["BitstringStatusListEntry"]
    status: Literal["revoked"] = Field(
        description="Only 'revoked': revocation is permanent, and suspension is not offered."
    )


class VcStatusRequest(Request):
    credentialId: str = Field(max_length=2000, description="The credential's URL, urn:uuid or UUID.")
    credentialStatus: list[VcStatusChange] = Field(min_length=1)
    reason: str | None = Field(None, max_length=500)


# --- responses ------------------------------------------------------------------------------------


class Links(Answer):
    self: str
    json_: str = Field(alias="json")
    qrPng: str
    qrSvg: str
    certificate: str
    verify: str


class DeliverySummary(Answer):
    """Where the credential's claim e-mail stands."""

    state: Literal["waiting", "queued", "sending", "sent", "failed", "off"] = Field(
        description="waiting (for anchoring), queued (due at nextAttemptAt), sending, sent, failed "
        "(lastError says why; resend to try again) or off (not asked for; resend sends it)."
    )
    attempts: int
    lastError: str | None = None
    nextAttemptAt: str | None = None
    queuedAt: str | None = None
    sentAt: str | None = None


class CredentialSummary(Answer):
    """What the API says about a credential; `credential` is the document itself where asked."""

    id: str
    url: str
    institution: str
    template: str
    achievement: str | None = None
    recipientName: str | None = None
    state: CredentialState
    issuedAt: str | None = None
    validFrom: str | None = None
    validUntil: str | None = None
    revoked: bool
    revocation: Literal["active", "revoked", "after-anchoring", "pending"]
    revocationReason: str | None = None
    revokedAt: str | None = None
    statusListId: str
    statusIndex: int
    batchRoot: str | None = None
    links: Links
    temporary: bool = Field(
        description="True until anchored: the document is then a temporary file (see `note`)."
    )
    note: str | None = Field(None, description="Why a not-yet-anchored document is temporary.")
    delivery: DeliverySummary | None = Field(
        None, description="The claim e-mail to the recipient (absent: issued without an e-mail address)."
    )
    credential: dict[str, Any] | None = Field(
        None, description="The Open Badges 3.0 / VC 2.0 credential with its proof set."
    )


class CredentialList(Answer):
    credentials: list[CredentialSummary]
    limit: int
    offset: int


class RevocationResult(Answer):
    id: str
    revokedAt: str | None = None
    reason: str
    reasonCode: int
    onChain: Literal["revoked", "after-anchoring", "pending"]
    transactionHash: str | None = None
    credential: CredentialSummary


class RosterCredential(Answer):
    id: str
    url: str | None = None
    row: int | None = None


class RosterResult(Answer):
    issued: int
    totalRows: int
    errors: list[RowError]
    credentials: list[RosterCredential]


class RosterValidation(Answer):
    valid: bool
    totalRows: int
    errors: list[RowError]


class Batch(Answer):
    id: int
    institution: str
    root: str
    size: int
    state: str
    transactionHash: str | None = None
    blockNumber: int | None = None
    createdAt: str | None = None
    anchoredAt: str | None = None
    attempts: int
    lastError: str | None = None
    selfCheck: str | None = None


class BatchList(Answer):
    batches: list[Batch]


class AnchoredBatch(Answer):
    batch: int
    root: str
    size: int
    transactionHash: str | None = None
    blockNumber: int | None = None


class AnchorResult(Answer):
    anchored: list[AnchoredBatch]
    counts: dict[str, int]


class Institution(Answer):
    slug: str
    name: str
    did: str
    ethereumAddress: str
    verificationMethod: str
    registrationState: str
    includeNames: bool
    createdAt: str | None = None
    didWebUrl: str | None = None
    counts: dict[str, int]


class Template(Answer):
    slug: str


class TemplateList(Answer):
    templates: list[Template]


class VcIssueResponse(Answer):
    verifiableCredential: dict[str, Any]


class VcStatusResponse(Answer):
    credentialId: str
    credentialStatus: list[dict[str, Any]]
    revokedAt: str | None = None
    reason: str
    onChain: str
    transactionHash: str | None = None


class Health(Answer):
    status: Literal["ok"]


# --- achievement catalog --------------------------------------------------------------------------


class ImageUpload(BaseModel):
    """An achievement image inside a JSON definition."""

    model_config = ConfigDict(extra="forbid")
    mediaType: Literal["image/png", "image/svg+xml"] | None = None
    data: str = Field(description="The file, base64-encoded (at most 512 KiB decoded).")


class AchievementDefinition(Request):
    """An achievement definition (schemas/template.schema.json without the slug): the Open Badges
    3.0 Achievement's properties, its validity, and optionally the built-in starter it adapts."""

    achievement: dict[str, Any] | None = Field(
        None,
        description="name, description, criteria {narrative}, achievementType, creditsAvailable, "
        "fieldOfStudy, humanCode, alignment, tag, inLanguage, resultDescription.",
    )
    validity: str | None = Field(
        None, max_length=32, description="ISO 8601 duration, e.g. P2Y (null: no expiry)."
    )
    starter: str | None = Field(None, max_length=100, description="A built-in template to start from.")
    slug: str | None = Field(None, max_length=100, description="Ignored (a template file is accepted as is).")
    notes: str | None = Field(None, description="Ignored (a starter's advice to institutions).")
    image: ImageUpload | None = None


class AchievementSummary(Answer):
    id: str
    url: str
    institution: str
    name: str
    version: int
    state: Literal["active", "superseded", "retired"]
    seriesId: str
    currentId: str | None = None
    starter: str | None = None
    validity: str | None = None
    usedBy: int = 0
    createdAt: str | None = None
    retiredAt: str | None = None
    achievement: dict[str, Any]


class AchievementList(Answer):
    achievements: list[AchievementSummary]


class Starter(Answer):
    slug: str
    name: str
    validity: str | None = None
    achievement: dict[str, Any]


class StarterList(Answer):
    starters: list[Starter]
