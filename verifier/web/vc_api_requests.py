"""VC-API verify requests, from the body as received to a report: the work a verification worker does.

    outcome = verify_credential_request(verifier, raw_body)     # Report, or Refusal
    outcome = verify_presentation_request(verifier, raw_body)   # PresentationReport, or Refusal

The request models are declared here (the blueprint gives them to spectree for the OpenAPI
document), and the body is parsed and validated here too, by `parse_json_body`'s rules: the views
are marked `reads_its_own_json`, so a hostile 2 MB body is parsed in the worker process that
verifies it, never in the web process (issue 9). A body that cannot be used is a `Refusal`, which
the view answers 400; everything else is the verification report.
"""

from __future__ import annotations

from json import dumps
from typing import Any, NamedTuple

from pydantic import BaseModel, Field

from verifier.errors import InputError
from verifier.pipeline import Verifier
from verifier.presentation import PresentationReport, is_presentation, verify_submission
from verifier.report import Report
from verifier.web.openapi import parse_json_body


class VerifyOptions(BaseModel):
    recipient: str | None = Field(None, description="The recipient's e-mail, to match its hashed identifier.")
    challenge: str | None = Field(None, description="Presentations: the challenge given to the holder.")
    domain: str | None = Field(None, description="Presentations: the domain given to the holder.")


class VerifyRequest(BaseModel):
    """VC-API verify request: a credential (Data Integrity, enveloped, or a VC-JWT string)."""

    verifiableCredential: dict[str, Any] | str
    options: VerifyOptions | None = None


class VerifyPresentationRequest(BaseModel):
    """VC-API presentation verify request: a VerifiablePresentation (Data Integrity proof for
    authentication), an EnvelopedVerifiablePresentation or a VC-JWT presentation string; or an
    unsigned `presentation`."""

    verifiablePresentation: dict[str, Any] | str | None = None
    presentation: dict[str, Any] | None = None
    options: VerifyOptions | None = None


class Refusal(NamedTuple):
    """A request that was not verified: answered 400 with `detail`; `title` None means the app's
    own "Invalid request" problem (an InputError), else a problem with this title."""

    title: str | None
    detail: str


def verify_credential_request(verifier: Verifier, raw: bytes) -> Report | Refusal:
    """`POST /credentials/verify`'s body (bytes as received): its Report, or why it is refused."""
    try:
        body = parse_json_body(raw, VerifyRequest)
    except InputError as exc:
        return Refusal(None, str(exc))
    credential = body.verifiableCredential
    options = body.options or VerifyOptions()
    if isinstance(credential, str):  # a VC-JWT
        return verify_submission(verifier, credential, recipient=options.recipient)
    if is_presentation(credential):
        return Refusal("Not a credential", "This is a presentation: send it to /presentations/verify.")
    return verifier.verify(credential, recipient=options.recipient)  # parsed once, here


def verify_presentation_request(verifier: Verifier, raw: bytes) -> PresentationReport | Refusal:
    """`POST /presentations/verify`'s body (bytes as received): its PresentationReport, or why it
    is refused."""
    try:
        body = parse_json_body(raw, VerifyPresentationRequest)
    except InputError as exc:
        return Refusal(None, str(exc))
    presentation = (
        body.verifiablePresentation if body.verifiablePresentation is not None else body.presentation
    )
    if presentation is None:
        return Refusal("Malformed request", 'Send {"verifiablePresentation": {...}, "options": {...}}.')
    options = body.options or VerifyOptions()
    data = presentation if isinstance(presentation, str) else dumps(presentation)
    report = verify_submission(
        verifier, data, challenge=options.challenge, domain=options.domain, recipient=options.recipient
    )
    if isinstance(report, PresentationReport):
        return report
    if report.failed and report.failed[0].name == "parse":
        return Refusal("Unreadable presentation", report.headline)
    return Refusal("Not a presentation", "This is a credential: send it to /credentials/verify.")
