"""VC-API verify requests, from the body as received to a report: the work a verification worker does.

    outcome = verify_credential_request(verifier, raw_body)     # Answer, or Refusal
    outcome = verify_presentation_request(verifier, raw_body)   # Answer, or Refusal

The request models are declared here (the blueprint gives them to spectree for the OpenAPI
document), and the body is parsed and validated here too, by `parse_json_body`'s rules: the views
are marked `reads_its_own_json`, so a hostile 2 MB body is parsed in the worker process that
verifies it, never in the web process (issue 9). A body that cannot be used is a `Refusal`, which
the view answers 400; everything else is an `Answer`: the VC-API result (`verifier.vc_api`),
serialized where it was computed, so the web process only sends bytes.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from pydantic import BaseModel, Field

from verifier.errors import InputError
from verifier.pipeline import MAX_CREDENTIAL_BYTES, Verifier
from verifier.presentation import PresentationReport, is_presentation, verify_submission
from verifier.report import Report
from verifier.vc_api import answer, credential_result, presentation_result
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


class Answer(NamedTuple):
    """A verification's HTTP answer: `body` (JSON text, as Flask's `jsonify` writes it), `status`
    (200 verified, 422 not) and the media type (application/json or application/problem+json)."""

    body: str
    status: int
    media: str


def _answer(report: Report | PresentationReport, result: dict[str, Any]) -> Answer:
    body, status, media = answer(report, result)
    # Flask's compact form (sorted keys, ASCII, newline-terminated): the same bytes as jsonify.
    return Answer(json.dumps(body, sort_keys=True, separators=(",", ":")) + "\n", status, media)


class Refusal(NamedTuple):
    """A request that was not verified: answered 400 with `detail`; `title` None means the app's
    own "Invalid request" problem (an InputError), else a problem with this title."""

    title: str | None
    detail: str


def verify_credential_request(verifier: Verifier, raw: bytes) -> Answer | Refusal:
    """`POST /credentials/verify`'s body (bytes as received): the answer, or why it is refused."""
    try:
        body = parse_json_body(raw, VerifyRequest)
    except InputError as exc:
        return Refusal(None, str(exc))
    credential = body.verifiableCredential
    options = body.options or VerifyOptions()
    if isinstance(credential, str):  # a VC-JWT
        report = verifier.verify_bytes(credential, recipient=options.recipient)
    elif is_presentation(credential):
        return Refusal("Not a credential", "This is a presentation: send it to /presentations/verify.")
    elif len(raw) > MAX_CREDENTIAL_BYTES:  # the body may be; the credential may not (parse: too_large)
        report = verifier.verify_bytes(json.dumps(credential), recipient=options.recipient)
    else:
        report = verifier.verify(credential, recipient=options.recipient)  # parsed once, here
    return _answer(report, credential_result(report))


def verify_presentation_request(verifier: Verifier, raw: bytes) -> Answer | Refusal:
    """`POST /presentations/verify`'s body (bytes as received): the answer, or why it is refused."""
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
    data = presentation if isinstance(presentation, str) else json.dumps(presentation)
    report = verify_submission(
        verifier, data, challenge=options.challenge, domain=options.domain, recipient=options.recipient
    )
    if isinstance(report, PresentationReport):
        return _answer(report, presentation_result(report))
    if report.failed and report.failed[0].name == "parse":
        return Refusal("Unreadable presentation", report.headline)
    return Refusal("Not a presentation", "This is a credential: send it to /credentials/verify.")
