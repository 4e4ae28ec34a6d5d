"""Routes of the verifier page.

- `GET /verify`: the form (paste, upload, URL, camera). With `?credential=<URL>` (what the QR codes
  on certificates point at) the credential is fetched and verified on the server and the verdict is
  rendered as plain HTML, so a phone without JavaScript still gets an answer.
- `POST /verify`: the form's submission.
- `POST /credentials/verify`: the VC-API verify endpoint for machines.

Every route calls the same `Verifier.verify_bytes` as the CLI.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC
from json import dumps
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from pydantic import BaseModel, Field

from verifier.config import VerifierConfig
from verifier.pipeline import MAX_CREDENTIAL_BYTES, Verifier
from verifier.report import VALID, Report
from verifier.schema import parse_datetime
from verifier.sources import SourceError, credential_url_from_link, fetch_url
from verifier.urls import MalformedURLError
from verifier.web.openapi import Media, Problem, Responses, api_spec, error_page, problems, request_body
from verifier.web.verify_pool import VerifyGate, slots_from_env

BUSY = error_page("Every verification slot is taken: retry after Retry-After seconds.")
VERIFY_FORM = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "properties": {
                "credential_json": {"type": "string"},
                "credential_file": {"type": "string", "contentMediaType": "application/json"},
                "credential_url": {"type": "string", "format": "uri"},
            },
        }
    }
}


class VerifyPageQuery(BaseModel):
    credential: str | None = Field(None, description="URL of a credential to fetch and verify.")


class VerifyOptions(BaseModel):
    recipient: str | None = Field(None, description="The recipient's e-mail, to match its hashed identifier.")


class VerifyRequest(BaseModel):
    """VC-API verify request."""

    verifiableCredential: dict[str, Any]
    options: VerifyOptions | None = None


class Finding(BaseModel):
    name: str
    code: str
    message: str


class VerifyResponse(BaseModel):
    """VC-API verify answer, with MedCred's full report."""

    verified: bool
    checks: list[str]
    warnings: list[Finding]
    errors: list[Finding]
    report: dict[str, Any]


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
    VerifyGate(verify_slots if verify_slots is not None else slots_from_env()).install(bp)
    local = threading.local()

    @bp.app_template_filter("human_date")
    def human_date(value: str | None) -> str:
        """'2026-11-28T05:34:54Z' as '28 November 2026, 05:34 UTC' (the raw value if unparsable)."""
        moment = parse_datetime(value)
        if moment is None:
            return value or ""
        return moment.astimezone(UTC).strftime("%d %B %Y, %H:%M UTC").lstrip("0")

    def verifier() -> Verifier:
        # One Verifier per thread: its caches are shared across that thread's requests (with the
        # configured TTL), without locking the DID resolver's cache between threads.
        current = getattr(local, "verifier", None)
        if current is None:
            current = Verifier(config() if callable(config) else config)
            local.verifier = current
        return current

    def render(report: Report | None, *, error: str | None = None, status: int = 200) -> tuple[str, int]:
        return render_template("verify.html", report=report, error=error, VALID=VALID), status

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
        return render(verifier().verify_bytes(data, source=url))

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
        """Verify a pasted, uploaded or linked credential (HTML form)."""
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
        return render(verifier().verify_bytes(data, source=source))

    @bp.post("/credentials/verify")
    @api_spec.validate(
        json=VerifyRequest,
        resp=Responses(HTTP_200=VerifyResponse, **problems(400, 413, 503)),
        tags=["vc-api"],
    )
    def vc_api_verify(json: VerifyRequest) -> tuple[Response, int]:
        """VC-API: verify a credential (200 with verified true or false)."""
        recipient = json.options.recipient if json.options else None
        report = verifier().verify_bytes(dumps(json.verifiableCredential), recipient=recipient)
        result = {
            "verified": report.valid,
            "checks": [c.name for c in report.checks if c.status == "pass"],
            "warnings": [{"name": c.name, "code": c.code, "message": c.message} for c in report.warnings],
            "errors": [{"name": c.name, "code": c.code, "message": c.message} for c in report.failed],
            "report": report.to_json(),
        }
        return jsonify(result), 200

    return bp
