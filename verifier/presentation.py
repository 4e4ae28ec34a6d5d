"""Verifying a Verifiable Presentation: the holder's proof, then every credential it holds.

A holder (a nurse's wallet, say) wraps credentials in a W3C `VerifiablePresentation` (VC Data
Model 2.0 §4.13) and signs it with a Data Integrity proof whose `proofPurpose` is `authentication`
and which carries the verifier's `challenge` and `domain` (VC Data Integrity §2.1), so that a
presentation made for one verifier cannot be replayed to another. The steps:

1. structure: `type` includes VerifiablePresentation, `verifiableCredential` holds credentials;
2. the holder's proof (`verifier.data_integrity.verify_proof`, purpose `authentication`, the key's
   DID must be the presentation's `holder`, not past the proof's `expires`);
3. challenge and domain: equal to what the verifier asked for (`--challenge`, `--domain`, the
   VC-API's `options`);
4. every embedded credential through the full credential pipeline (`Verifier.verify`);
5. holder binding: whether each credential's `credentialSubject.id` is the holder. A subject with
   another id means someone presents a credential that is not theirs: the presentation is INVALID.
   A subject without an id (MedCred's own credentials name their recipient by a salted e-mail hash)
   is reported as not bound, as a warning: the verifier then checks the person another way
   (`--recipient`).

A presentation may also come as a VC-JWT presentation (VC 1.1 §6.3.1: the `vp` claim, with the
challenge as `nonce` and the domain as `aud`; or VC-JOSE-COSE's `vp+jwt`, whose payload is the
presentation, possibly inside an `EnvelopedVerifiablePresentation` data: URL). Its JWS is checked by
`verifier.vc_jwt` (EdDSA, ES256) against the holder's key, for `authentication`.

The presentation's verdict is INVALID if any presentation-level check failed, otherwise the
worst verdict among its credentials (INVALID, SUSPENDED, PENDING, VALID, in that order).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from verifier import baked, vc_jwt
from verifier.data_integrity import ProofError, proofs_of, verify_proof
from verifier.did import DidResolutionError, split_did_url
from verifier.parsing import ParseFailure, parse_input, unwrap_enveloped
from verifier.pipeline import MAX_CREDENTIAL_BYTES, Verifier
from verifier.report import INVALID, VALID, Check, CheckList, CheckStatus, Report
from verifier.schema import parse_datetime

PASS, FAIL, WARN = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.WARN
VERIFIABLE_PRESENTATION = "VerifiablePresentation"
ENVELOPED_PRESENTATION = "EnvelopedVerifiablePresentation"
PRESENTATION_TYPS = frozenset({"vp+jwt", "vp+ld+json+jwt", "vp-ld+jwt"})
VP_JWT_DATA_URL_PREFIXES = ("data:application/vp+jwt,", "data:application/vp-ld+jwt,")
AUTHENTICATION = "authentication"
MAX_CREDENTIALS = 100
"""Credentials in one presentation (a 2 MB presentation could otherwise hold thousands)."""

VERDICT_ORDER = (INVALID, "SUSPENDED", "PENDING", VALID)
"""Verdicts from worst to best: a presentation is as good as its worst credential."""


def is_presentation(document: Any) -> bool:
    """Whether parsed JSON is a Verifiable Presentation (`type` includes VerifiablePresentation)."""
    if not isinstance(document, Mapping):
        return False
    kind = document.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return VERIFIABLE_PRESENTATION in [k for k in kinds if isinstance(k, str)]


def might_be_presentation(data: bytes | str) -> bool:
    """A cheap test on raw input before parsing: only text naming the type can be a presentation."""
    marker = VERIFIABLE_PRESENTATION
    return (marker.encode() in data) if isinstance(data, bytes) else (marker in data)


@dataclass
class PresentedCredential:
    """One embedded credential's report, and whether its subject is the presentation's holder.

    `holder_bound` is True (credentialSubject.id is the holder), False (it is someone else) or None
    (the subject has no id, or the holder is unknown)."""

    report: Report
    holder_bound: bool | None
    subject_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**self.report.to_json(), "holderBound": self.holder_bound, "subjectId": self.subject_id}


@dataclass
class PresentationReport(CheckList):
    """The outcome of verifying a presentation: its own checks and each credential's report.

    It answers the same questions as a credential's `Report` (`status`, `valid`, `headline`,
    `failed`, `warnings`, `to_json`), so the CLI, the batch command and the page treat both alike.
    """

    checks: list[Check] = field(default_factory=list)
    credentials: list[PresentedCredential] = field(default_factory=list)
    holder: str | None = None
    challenge: str | None = None
    domain: str | None = None
    source: str | None = None

    @property
    def status(self) -> str:
        if self.failed or not self.credentials:
            return INVALID
        statuses = [c.report.status for c in self.credentials]
        return min(statuses, key=lambda s: VERDICT_ORDER.index(s) if s in VERDICT_ORDER else 0)

    @property
    def headline(self) -> str:
        """One sentence: the first presentation-level failure, else the worst credential's."""
        if self.failed:
            return self.failed[0].message
        if not self.credentials:
            return "The presentation holds no credential."
        worst = next(c for c in self.credentials if c.report.status == self.status)
        if self.status == VALID:
            count = len(self.credentials)
            noun = "its credential is" if count == 1 else f"all {count} credentials are"
            return f"The presentation is signed by its holder and {noun} valid."
        index = self.credentials.index(worst) + 1
        return f"Credential {index} of {len(self.credentials)}: {worst.report.headline}"

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "headline": self.headline,
            "source": self.source,
            "type": VERIFIABLE_PRESENTATION,
            "holder": self.holder,
            "checks": [c.to_json() for c in self.checks],
            "credentials": [c.to_json() for c in self.credentials],
        }


def _subject_ids(credential: Any) -> list[str | None]:
    subject = credential.get("credentialSubject") if isinstance(credential, Mapping) else None
    subjects = subject if isinstance(subject, list) else [subject]
    ids = [s.get("id") if isinstance(s, Mapping) else None for s in subjects]
    return [i if isinstance(i, str) else None for i in ids]


def _holder_of(presentation: Mapping[str, Any]) -> str | None:
    holder = presentation.get("holder")
    if isinstance(holder, Mapping):
        holder = holder.get("id")
    return holder if isinstance(holder, str) and holder else None


def _embedded(presentation: Mapping[str, Any]) -> Iterator[Any]:
    value = presentation.get("verifiableCredential")
    yield from value if isinstance(value, list) else ([] if value is None else [value])


def presentation_of_jwt(decoded: vc_jwt.DecodedJwt) -> dict[str, Any] | None:
    """The presentation a decoded JWT carries (its `vp` claim, or the payload of a `vp+jwt`), or
    None if the token secures something else (a credential)."""
    vp = decoded.payload.get("vp")
    if isinstance(vp, dict):
        return vp
    typ = decoded.header.get("typ")
    if (isinstance(typ, str) and typ.lower() in PRESENTATION_TYPS) or is_presentation(decoded.payload):
        return decoded.payload
    return None


def _enveloped_presentation_token(document: Mapping[str, Any]) -> str | None:
    """The VP-JWT inside an `EnvelopedVerifiablePresentation` (VC-JOSE-COSE: a data: URL)."""
    kind = document.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    ident = document.get("id")
    if ENVELOPED_PRESENTATION not in kinds or not isinstance(ident, str):
        return None
    prefix = next((p for p in VP_JWT_DATA_URL_PREFIXES if ident.startswith(p)), None)
    return ident[len(prefix) :] if prefix else None


class PresentationVerifier:
    """Verifies presentations with one `Verifier` (its trust, caches, DID resolver and loader).

    `verify(presentation, challenge=..., domain=...)` never raises for bad input: every problem is a
    failed check of the returned `PresentationReport`.
    """

    def __init__(self, verifier: Verifier) -> None:
        self.verifier = verifier

    def verify(
        self,
        presentation: Mapping[str, Any],
        *,
        challenge: str | None = None,
        domain: str | None = None,
        recipient: str | None = None,
        source: str | None = None,
    ) -> PresentationReport:
        """A presentation secured with a Data Integrity proof (or none): the holder's proof,
        challenge and domain, then every credential, then holder binding."""
        report = PresentationReport(source=source, challenge=challenge, domain=domain)
        report.holder = _holder_of(presentation)
        items = self._check_structure(presentation, report)
        self._check_holder_proof(presentation, report, challenge, domain)
        self._check_credentials(items, report, recipient)
        return report

    def verify_jwt(
        self,
        decoded: vc_jwt.DecodedJwt,
        presentation: Mapping[str, Any],
        *,
        challenge: str | None = None,
        domain: str | None = None,
        recipient: str | None = None,
        source: str | None = None,
    ) -> PresentationReport:
        """A VC-JWT presentation: its JWS by the holder (`iss` or `holder`), `nonce` as the
        challenge and `aud` as the domain, then every credential, then holder binding."""
        report = PresentationReport(source=source, challenge=challenge, domain=domain)
        iss = decoded.payload.get("iss")
        named = _holder_of(presentation)
        report.holder = named or (iss if isinstance(iss, str) and iss else None)
        items = self._check_structure(presentation, report)
        if named is not None and isinstance(iss, str) and iss != named:
            report.add(
                "holder_proof", FAIL, "jwt_claims_mismatch",
                f"The JWT's iss ({iss}) is not the presentation's holder ({named}).",
            )  # fmt: skip
        elif report.holder is None:
            report.add(
                "holder_proof", FAIL, "holder_missing",
                "The JWT presentation names no holder (iss), so its signature cannot be checked.",
            )  # fmt: skip
        else:
            result = vc_jwt.verify(
                decoded, resolver=self.verifier.resolver, purpose=AUTHENTICATION, controller=report.holder
            )
            if not result.verified:
                report.add(
                    "holder_proof", FAIL, result.code,
                    f"The holder's signature on the presentation does not hold: {result.message}",
                )  # fmt: skip
            else:
                message = f"Signed by its holder {report.holder} ({result.cryptosuite} JWT)."
                report.add("holder_proof", PASS, "ok", message)
                self._check_option(report, "challenge", decoded.payload.get("nonce"), challenge)
                self._check_option(report, "domain", decoded.payload.get("aud"), domain)
        self._check_credentials(items, report, recipient)
        return report

    def _check_structure(self, presentation: Mapping[str, Any], report: PresentationReport) -> list[Any]:
        items = list(_embedded(presentation))
        if not is_presentation(presentation):
            report.add(
                "presentation", FAIL, "not_a_presentation",
                "The document is not a Verifiable Presentation (its type lacks VerifiablePresentation).",
            )  # fmt: skip
        elif not items:
            report.add("presentation", FAIL, "no_credentials", "The presentation holds no credential.")
        elif len(items) > MAX_CREDENTIALS:
            report.add(
                "presentation", FAIL, "too_many_credentials",
                f"The presentation holds {len(items)} credentials; at most {MAX_CREDENTIALS} are checked.",
            )  # fmt: skip
            items = items[:MAX_CREDENTIALS]
        else:
            noun = "credential" if len(items) == 1 else "credentials"
            report.add("presentation", PASS, "ok", f"A presentation of {len(items)} {noun}.")
        return items

    def _check_credentials(self, items: list[Any], report: PresentationReport, recipient: str | None) -> None:
        for index, item in enumerate(items):
            where = f"{report.source or 'presentation'}#verifiableCredential[{index}]"
            report.credentials.append(self._credential(item, report.holder, recipient, where))
        self._check_binding(report)

    # ------------------------------------------------------------------ the holder's proof

    def _check_holder_proof(
        self, presentation: Mapping[str, Any], report: PresentationReport, challenge: str | None,
        domain: str | None,
    ) -> None:  # fmt: skip
        try:
            proofs = proofs_of(presentation)
        except ProofError as exc:
            report.add("holder_proof", FAIL, exc.code, str(exc))
            return
        authentication = [p for p in proofs if p.get("proofPurpose") == AUTHENTICATION]
        if not proofs:
            if challenge is not None or domain is not None:
                report.add(
                    "holder_proof", FAIL, "presentation_unsigned",
                    "The presentation is not signed by its holder, so the challenge cannot be checked.",
                )  # fmt: skip
            else:
                report.add(
                    "holder_proof", WARN, "presentation_unsigned",
                    "The presentation is not signed by its holder: who presents it is not proven.",
                )  # fmt: skip
            return
        if len(authentication) != 1 or len(proofs) != 1:
            code = "proof_set_unsupported" if authentication else "wrong_proof_purpose"
            report.add(
                "holder_proof", FAIL, code,
                "The presentation must carry exactly one proof, made by its holder for authentication.",
            )  # fmt: skip
            return
        proof = authentication[0]
        result = verify_proof(
            presentation,
            proof,
            resolver=self.verifier.resolver,
            loader=self.verifier.loader,
            check_issuer=False,
            expected_purpose=AUTHENTICATION,
        )
        if not result.verified:
            report.add(
                "holder_proof", FAIL, result.code,
                f"The holder's signature on the presentation does not hold: {result.message}",
            )  # fmt: skip
            return
        try:
            signer, _ = split_did_url(proof["verificationMethod"])
        except DidResolutionError as exc:  # pragma: no cover - verify_proof resolved it already
            report.add("holder_proof", FAIL, exc.code, str(exc))
            return
        if report.holder is not None and signer != report.holder:
            report.add(
                "holder_proof", FAIL, "holder_mismatch",
                f"The presentation names {report.holder} as its holder but was signed by {signer}.",
            )  # fmt: skip
            return
        report.holder = report.holder or signer
        expires = parse_datetime(proof.get("expires"))
        if expires is not None and datetime.now(UTC) >= expires:
            report.add(
                "holder_proof", FAIL, "proof_expired",
                f"The holder's signature expired on {proof['expires']}: the presentation is stale.",
            )  # fmt: skip
            return
        report.add(
            "holder_proof", PASS, "ok",
            f"Signed by its holder {report.holder} ({result.cryptosuite}).",
        )  # fmt: skip
        self._check_option(report, "challenge", proof.get("challenge"), challenge)
        self._check_option(report, "domain", proof.get("domain"), domain)

    @staticmethod
    def _check_option(report: PresentationReport, name: str, signed: Any, expected: str | None) -> None:
        """The signed challenge/domain against the verifier's (a domain may be a list: any one)."""
        values = signed if isinstance(signed, list) else [signed]
        if expected is None:
            if signed is not None:
                report.add(
                    name, WARN, f"{name}_not_checked",
                    f"The presentation carries a {name} but none was given to check it against "
                    f"(--{name}): it may be replayed from another exchange.",
                )  # fmt: skip
            return
        if signed is None:
            report.add(name, FAIL, f"{name}_missing", f"The presentation was not signed with a {name}.")
        elif expected in values:
            report.add(name, PASS, "ok", f"The {name} is the one this verifier gave.")
        else:
            report.add(
                name, FAIL, f"{name}_mismatch",
                f"The presentation was signed for another {name}: it was made for another exchange "
                "or replayed.",
            )  # fmt: skip

    # ------------------------------------------------------------------ credentials

    def _credential(
        self, item: Any, holder: str | None, recipient: str | None, where: str
    ) -> PresentedCredential:
        """The full pipeline for one embedded credential: an object (Data Integrity, or an
        EnvelopedVerifiableCredential) or a VC-JWT string (VC 1.1 JWT presentations)."""
        if isinstance(item, str):
            report = self.verifier.verify_bytes(item, recipient=recipient, source=where)
            try:
                document: Any = parse_input(item, max_bytes=MAX_CREDENTIAL_BYTES).document
            except ParseFailure:
                document = None
        else:
            report = self.verifier.verify(item, recipient=recipient, source=where)
            document = item
            if isinstance(item, dict):
                try:
                    document = unwrap_enveloped(item).document
                except ParseFailure:
                    document = None
        ids = _subject_ids(document)
        subject = next((i for i in ids if i is not None), None)
        if holder is None or subject is None:
            return PresentedCredential(report, None, subject)
        return PresentedCredential(report, holder in ids, subject)

    @staticmethod
    def _check_binding(report: PresentationReport) -> None:
        if not report.credentials:
            return
        others = [i for i, c in enumerate(report.credentials, 1) if c.holder_bound is False]
        unbound = [i for i, c in enumerate(report.credentials, 1) if c.holder_bound is None]
        if others:
            first = report.credentials[others[0] - 1]
            report.add(
                "holder_binding", FAIL, "holder_not_subject",
                f"Credential {others[0]} was issued to {first.subject_id}, not to the holder "
                f"{report.holder} who presents it.",
            )  # fmt: skip
        elif unbound:
            if len(report.credentials) == 1:
                which = "The credential does"
            elif len(unbound) == 1:
                which = f"Credential {unbound[0]} does"
            else:
                which = f"Credentials {_list(unbound)} do"
            report.add(
                "holder_binding", WARN, "holder_not_bound",
                f"{which} not name its subject by a DID (credentialSubject.id), so it is not proven that "
                "the holder is the person it was issued to; check the recipient another way.",
            )  # fmt: skip
        else:
            report.add(
                "holder_binding", PASS, "ok", f"Every credential was issued to the holder {report.holder}."
            )


def _list(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers)


def _might_be_jwt(data: bytes | str) -> bool:
    """Whether the input could be a compact JWS (a VC-JWT presentation): JSON text, which starts
    with `{` or `[`, is ruled out without decoding it."""
    head = data[:64].lstrip()
    if isinstance(head, bytes):
        head = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")
    head = head.lstrip("\ufeff \t\r\n")
    if head[:1] in ("{", "[", ""):
        return False
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return vc_jwt.looks_like_jwt(text.lstrip("\ufeff"))


def verify_submission(
    verifier: Verifier,
    data: bytes | str,
    *,
    challenge: str | None = None,
    domain: str | None = None,
    recipient: str | None = None,
    source: str | None = None,
) -> Report | PresentationReport:
    """Verify what someone submitted: a credential (the credential pipeline) or a presentation
    (JSON-LD with a Data Integrity proof, or a VC-JWT presentation).

    The one entry point of the CLI, verify-batch, the page and the VC-API for submitted files. A
    credential goes through `Verifier.verify_bytes` unchanged and at the same speed: only text that
    names VerifiablePresentation, or is a JWT, is parsed here first. A baked badge (PNG or SVG,
    `verifier.baked`) is verified by the credential it carries. Never raises for bad input.
    """
    if baked.is_image(data):  # an Open Badges baked badge (PNG or SVG): verify what it carries
        try:
            data = baked.extract_credential(data)
        except baked.BakedImageError as exc:
            report = Report(source=source)
            report.add("parse", CheckStatus.FAIL, exc.code, str(exc))
            return report
    if not might_be_presentation(data) and not _might_be_jwt(data):
        return verifier.verify_bytes(data, recipient=recipient, source=source)
    try:
        parsed = parse_input(data, max_bytes=MAX_CREDENTIAL_BYTES)
    except ParseFailure:
        return verifier.verify_bytes(data, recipient=recipient, source=source)  # reports the failure
    options = {"challenge": challenge, "domain": domain, "recipient": recipient, "source": source}
    presentations = PresentationVerifier(verifier)
    token = _enveloped_presentation_token(parsed.document) if parsed.jwt is None else None
    decoded = parsed.jwt
    if token is not None:
        try:
            decoded = vc_jwt.decode(token)
        except vc_jwt.VcJwtError as exc:
            report = PresentationReport(source=source, challenge=challenge, domain=domain)
            report.add("presentation", FAIL, exc.code, f"The enveloped presentation cannot be read: {exc}")
            return report
    if decoded is not None:
        presentation = presentation_of_jwt(decoded)
        if presentation is not None:
            return presentations.verify_jwt(decoded, presentation, **options)
        return verifier.verify_bytes(data, recipient=recipient, source=source)
    if is_presentation(parsed.document):
        return presentations.verify(parsed.document, **options)
    return verifier.verify_bytes(data, recipient=recipient, source=source)
