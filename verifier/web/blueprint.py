"""Routes of the verifier page.

- `GET /verify`: the form (paste, upload, URL, camera). With `?credential=<URL>` (what the QR codes
  on certificates point at) the credential is fetched and verified on the server and the verdict is
  rendered as plain HTML, so a phone without JavaScript still gets an answer.
- `POST /verify`: the form's submission.
- `POST /credentials/verify`, `POST /presentations/verify`: the VC-API verify endpoints for
  machines (200 verified, 422 checked and failed, 400 unusable request: see `verifier.vc_api`).

Every route calls the same `verify_submission` / `Verifier.verify_bytes` as the CLI, so a
presentation (a holder's signed bundle of credentials) works on the page as in `medcred verify`.
Verification takes a slot (`verify_pool`) and runs as a job of `verify_processes`: in worker
processes under the servers, else in the request's thread. The VC-API bodies are parsed there too
(`vc_api_requests`): the web process reads bytes and sends bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from pydantic import BaseModel, ConfigDict, Field

from verifier.config import VerifierConfig
from verifier.dates import human_date
from verifier.errors import InputError
from verifier.pipeline import MAX_CREDENTIAL_BYTES, Verifier
from verifier.presentation import PresentationReport
from verifier.report import VALID, Report
from verifier.sources import SourceError, credential_url_from_link, fetch_url
from verifier.urls import MalformedURLError
from verifier.web.openapi import (
    Media,
    Problem,
    Responses,
    api_spec,
    error_page,
    problems,
    reads_its_own_json,
    request_body,
)
from verifier.web.vc_api_requests import (
    Answer,
    Refusal,
    VerifyPresentationRequest,
    VerifyRequest,
    verify_credential_request,
    verify_presentation_request,
)
from verifier.web.verify_pool import VerifyGate, slots_from_env
from verifier.web.verify_processes import EXTENSION as RUNNER_EXTENSION
from verifier.web.verify_processes import VerifyRunner, VerifyUnavailable, verify_submitted, workers_from_env

BUSY = error_page("Every verification slot is taken: retry after Retry-After seconds.")
VERIFY_FORM = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "properties": {
                "credential_json": {"type": "string"},
                "credential_file": {"type": "string", "contentMediaType": "application/json"},
                "credential_url": {"type": "string", "format": "uri"},
                "challenge": {"type": "string", "description": "For a presentation: the challenge given."},
                "domain": {"type": "string", "description": "For a presentation: the domain given."},
            },
        }
    }
}


class VerifyPageQuery(BaseModel):
    credential: str | None = Field(None, description="URL of a credential to fetch and verify.")


class Finding(BaseModel):
    """A failed or warning check as an RFC 9457 problem (type: a VC DM error type or a MedCred URN)."""

    type: str
    title: str
    detail: str
    check: str
    code: str


class VerifyResponse(BaseModel):
    """VC-API verify answer (verified), with MedCred's verdict and full report."""

    model_config = ConfigDict(extra="allow")
    verified: bool
    verdict: str = Field(description="VALID, INVALID, PENDING or SUSPENDED.")
    checks: list[str]
    warnings: list[Finding]
    errors: list[Finding]
    report: dict[str, Any]


class VerifyFailure(Problem):
    """Checked and not verified (422): an RFC 9457 problem whose extension members are the
    verification result (presentations add problemDetails, results, presentationResult,
    credentialResults)."""

    model_config = ConfigDict(extra="allow")
    verified: bool
    verdict: str
    checks: list[str]
    warnings: list[Finding]
    errors: list[Finding]  # type: ignore[assignment] - the verification errors, not roster rows
    report: dict[str, Any]


class VerifyPresentationResponse(VerifyResponse):
    """VC-API presentation verify answer: the presentation's own checks and each credential's."""

    problemDetails: list[Finding]
    results: dict[str, Any]
    presentationResult: dict[str, Any]
    credentialResults: list[dict[str, Any]]


MAX_REQUEST_BYTES = MAX_CREDENTIAL_BYTES + 64 * 1024


def create_blueprint(
    config: VerifierConfig | Callable[[], VerifierConfig], *, verify_slots: int | None = None
) -> Blueprint:
    """The verifier routes for `config` (or a callable returning it, read on first use).

    At most `verify_slots` requests verify at once (default: MEDCRED_VERIFY_SLOTS, else 4); the
    others are answered 503 with Retry-After (verifier.web.verify_pool).
    """
    bp = Blueprint("verifier", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/verifier-static")  # fmt: skip
    gate = VerifyGate(verify_slots if verify_slots is not None else slots_from_env())
    gate.install(bp)
    runner = VerifyRunner(config, workers=workers_from_env(gate.slots))
    bp.record_once(lambda state: state.app.extensions.__setitem__(RUNNER_EXTENSION, runner))

    @bp.app_template_filter("human_date")
    def human_date_filter(value: str | None) -> str:
        """'28 November 2026', or '28 November 2026, 05:34 UTC' when a time was given (verifier.dates)."""
        return human_date(value) or ""

    def verifier() -> Verifier:
        return runner.verifier()  # this thread's: for fetching a linked credential

    @bp.errorhandler(VerifyUnavailable)
    def worker_died(exc: VerifyUnavailable) -> tuple[Response | str, int, dict[str, str]]:
        return gate.busy_answer(str(exc))

    def render(
        report: Report | PresentationReport | None, *, error: str | None = None, status: int = 200
    ) -> tuple[str, int]:
        presentation = isinstance(report, PresentationReport)
        page = render_template(
            "verify.html", report=report, presentation=presentation, error=error, VALID=VALID
        )
        return page, status

    @bp.get("/verify")
    @api_spec.validate(
        query=VerifyPageQuery,
        resp=Responses(
            HTTP_200=Media("text/html", "The form, or the verdict."),
            HTTP_400=error_page("Malformed query string."),
            HTTP_502=Media("text/html", "The credential could not be fetched."),
            HTTP_503=BUSY,
        ),
        tags=["verifier"],
    )
    def verify_page(query: VerifyPageQuery) -> tuple[str, int]:
        """Verifier page; with ?credential=<URL> (what QR codes open) the verdict for that credential."""
        link = (query.credential or "").strip()
        if not link:
            return render(None)
        try:
            url = credential_url_from_link(link)
        except MalformedURLError as exc:
            return render(None, error=str(exc), status=400)
        try:
            data = fetch_url(url, fetcher=verifier().fetcher)
        except SourceError as exc:
            return render(None, error=f"The credential could not be fetched: {exc}", status=502)
        return render(runner.run(verify_submitted, data, source=url))

    @bp.post("/verify")
    @api_spec.validate(
        resp=Responses(
            HTTP_200=Media("text/html", "The verdict."),
            HTTP_400=Media("text/html", "Nothing to verify."),
            HTTP_413=Problem,
            HTTP_502=Media("text/html", "The linked credential could not be fetched."),
            HTTP_503=BUSY,
        ),
        tags=["verifier"],
        skip_validation=True,
    )
    @request_body(VERIFY_FORM)
    def verify_submit() -> tuple[str, int]:
        """Verify a pasted, uploaded or linked credential or presentation (HTML form)."""
        pasted = request.form.get("credential_json", "")
        upload = request.files.get("credential_file")
        url = request.form.get("credential_url", "").strip()
        if upload is not None and upload.filename:
            data: bytes | str = upload.read(MAX_CREDENTIAL_BYTES + 1)
            source = upload.filename
        elif pasted.strip():
            data, source = pasted, "pasted text"
        elif url:
            try:
                link = credential_url_from_link(url)
            except MalformedURLError as exc:
                return render(None, error=str(exc), status=400)
            try:
                data = fetch_url(link, fetcher=verifier().fetcher)
            except SourceError as exc:
                return render(None, error=f"The credential could not be fetched: {exc}", status=502)
            source = url
        else:
            return render(None, error="Paste a credential, choose a file, or enter a link.", status=400)
        challenge = request.form.get("challenge", "").strip() or None
        domain = request.form.get("domain", "").strip() or None
        report = runner.run(verify_submitted, data, source=source, challenge=challenge, domain=domain)
        return render(report)

    def vc_api(job: Callable[..., Answer | Refusal]) -> Response | tuple[Response, int]:
        outcome = runner.run(job, request.get_data(cache=False))  # parsed, verified, written in the worker
        if isinstance(outcome, Refusal):
            if outcome.title is None:
                raise InputError(outcome.detail)
            return _problem(400, outcome.title, outcome.detail)
        return Response(outcome.body, status=outcome.status, mimetype=outcome.media)

    @bp.post("/credentials/verify")
    @api_spec.validate(
        json=VerifyRequest,
        resp=Responses(HTTP_200=VerifyResponse, HTTP_422=VerifyFailure, **problems(400, 413, 503)),
        tags=["vc-api"],
    )
    @reads_its_own_json
    def vc_api_verify() -> Response | tuple[Response, int]:
        """VC-API: verify a credential (200 verified; 422 checked and not verified, with the result)."""
        return vc_api(verify_credential_request)

    @bp.post("/presentations/verify")
    @api_spec.validate(
        json=VerifyPresentationRequest,
        resp=Responses(
            HTTP_200=VerifyPresentationResponse, HTTP_422=VerifyFailure, **problems(400, 413, 503)
        ),
        tags=["vc-api"],
    )
    @reads_its_own_json
    def vc_api_verify_presentation() -> Response | tuple[Response, int]:
        """VC-API: verify a presentation: the holder's proof (authentication, options.challenge and
        options.domain), every credential in it, and holder binding (credentialSubject.id = holder)."""
        return vc_api(verify_presentation_request)

    return bp


def _problem(status: int, title: str, detail: str) -> tuple[Response, int]:
    response = jsonify({"type": "about:blank", "title": title, "status": status, "detail": detail})
    response.mimetype = "application/problem+json"
    return response, status
