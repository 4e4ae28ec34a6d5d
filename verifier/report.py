"""The verification report: an ordered list of checks and an overall verdict.

Each check says pass, fail, warn, skipped or suspended, with a machine code and one sentence an
employer with no technical background understands. The verdict is VALID only if no check failed and
nothing holds it back. Precedence: INVALID (a check failed) > SUSPENDED (the issuer's status list
suspends it for now: not valid, not revoked) > PENDING > VALID.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

VALID = "VALID"
INVALID = "INVALID"
SUSPENDED = "SUSPENDED"
PENDING = "PENDING"
"""Signed by a trusted issuer, nothing found wrong, but not yet confirmed on a trusted registry (the
issuer says it has not anchored the credential yet). Not valid: check again later."""


class CheckStatus(StrEnum):
    PASS = "pass"  # noqa: S105 - a check status, not a password
    FAIL = "fail"
    WARN = "warn"
    SKIPPED = "skipped"
    SUSPENDED = "suspended"
    """Temporarily not in force (a `suspension` status bit): the verdict is SUSPENDED unless a
    check failed."""
    PENDING = "pending"
    """Nothing wrong, but not confirmed yet: the report's verdict is PENDING unless a check failed."""


CHECK_LABELS = {
    "parse": "File",
    "schema": "Structure",
    "issuer": "Issuer",
    "signature": "Signature",
    "signature_date": "Signing date",
    "anchor": "Registry record",
    "issuer_copy": "Issuer's copy",
    "accreditation": "Accreditation",
    "signing_key": "Signing key",
    "revocation": "Revocation",
    "status_list": "Status list",
    "validity": "Validity period",
    "recipient": "Recipient",
    "trust": "Trusted issuer",
    "holder": "Holder",
    "presentation": "Presentation",
    "holder_proof": "Holder's signature",
    "challenge": "Challenge",
    "domain": "Domain",
    "holder_binding": "Holder binding",
    "trust_list": "Trust list",
}
"""What a person reads for each check's `name` (a machine name that stays stable in --json)."""


def check_label(name: str) -> str:
    """The words for check `name`: CHECK_LABELS, else the name with spaces ('key_window' -> 'Key window')."""
    return CHECK_LABELS.get(name) or name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Check:
    name: str
    status: CheckStatus
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The check's name in words ("Signing key" for `signing_key`)."""
        return check_label(self.name)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = str(self.status)
        if not self.details:
            data.pop("details")
        return data


@dataclass
class Summary:
    """What the result page shows above the checks; every field may be missing on a bad file."""

    credential_id: str | None = None
    issuer_did: str | None = None
    issuer_name: str | None = None
    issuer_registry_status: str | None = None
    achievement: str | None = None
    achievement_type: str | None = None
    holder_name: str | None = None
    recipient_hash: str | None = None
    issued: str | None = None
    """When the issuer signed it (its signature proof's `created`); see verifier.dates."""
    valid_from: str | None = None
    valid_until: str | None = None
    registry: str | None = None
    chain: str | None = None
    transaction_hash: str | None = None
    block_number: int | None = None
    anchored_at: str | None = None
    trust: str | None = None
    """What the trust in the issuer rests on, in one phrase (e.g. "anchored on MedCred registry X",
    "trusted by list X; not anchored on a registry"); filled by the trust checks."""


class CheckList:
    """What every report does with its `checks` list: add one, and read the failed and warned ones.

    Shared by a credential's `Report` and a presentation's `PresentationReport`, which keep their
    own `checks` field and their own verdict (`status`)."""

    checks: list[Check]
    status: str

    def add(self, name: str, status: CheckStatus, code: str, message: str, **details: Any) -> Check:
        check = Check(name, status, code, message, details)
        self.checks.append(check)
        return check

    @property
    def valid(self) -> bool:
        return self.status == VALID

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status is CheckStatus.FAIL]

    @property
    def warnings(self) -> list[Check]:
        return [c for c in self.checks if c.status is CheckStatus.WARN]


@dataclass
class Report(CheckList):
    checks: list[Check] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)
    source: str | None = None

    @property
    def status(self) -> str:
        """INVALID > SUSPENDED > PENDING > VALID (see the module docstring)."""
        if self.failed or not self.checks:
            return INVALID
        if self.suspended:
            return SUSPENDED
        if self.pending:
            return PENDING
        return VALID

    @property
    def suspended(self) -> list[Check]:
        return [c for c in self.checks if c.status is CheckStatus.SUSPENDED]

    @property
    def pending(self) -> list[Check]:
        return [c for c in self.checks if c.status is CheckStatus.PENDING]

    @property
    def headline(self) -> str:
        """One sentence: why it is valid or the first reason it is not."""
        if self.failed:
            return self.failed[0].message
        if not self.checks:
            return "Nothing was checked."
        if self.suspended:
            return self.suspended[0].message
        if self.pending:
            return self.pending[0].message
        return "The credential is authentic, issued by an accredited institution, and in force."

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "headline": self.headline,
            "source": self.source,
            "summary": {k: v for k, v in asdict(self.summary).items() if v is not None},
            "checks": [c.to_json() for c in self.checks],
        }
