"""Public pages: each credential's stable URL (JSON for machines, HTML for people), its QR codes
and printable certificate, the did:web DID documents, the landing page and a health check.

The credential URL is the one the service signs into each credential's `id`
(`<public base>/credentials/<uuid>`), so this route must keep matching it: credentials printed
years ago point here. Content negotiation follows the Accept header (`application/json` or
`application/ld+json` get the credential itself; browsers get the page); `credential.json`
always gives the JSON, for a plain download link.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, json, redirect, render_template, request

from issuer.badges import baked_png, baked_svg
from issuer.qr import qr_png, qr_svg
from issuer.record_certificate import stored_certificate_pdf
from issuer.service import CredentialRecord, IssuerService
from issuer.short_links import SHORT_PATH, resolve_short_code
from issuer.storage.errors import NotFoundError
from issuer.web.api_models import Health
from issuer.web.links import CredentialLinks, links_for
from issuer.web.presenters import achievement_of, anchor_proof
from verifier.dates import credential_dates
from verifier.web.openapi import Media, Responses, api_spec, problems

JSON_TYPES = ("application/json", "application/ld+json", "application/vc")
SVG_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
"""Badge SVGs are shown as documents of their own only sandboxed (the image is sanitized anyway)."""
PUBLIC_JSON_HEADERS = {"Access-Control-Allow-Origin": "*", "Vary": "Accept"}


def json_document(document: dict[str, Any], mimetype: str = "application/json") -> Response:
    """A JSON document with an ETag (so a poller sees the anchor proof arrive cheaply)."""
    payload = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    response = Response(payload, mimetype=mimetype, headers=PUBLIC_JSON_HEADERS)
    response.set_etag(hashlib.sha256(payload).hexdigest()[:32])
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


def prefers_json() -> bool:
    """JSON unless the client prefers HTML: browsers get the page, curl's */* and APIs get JSON."""
    best = request.accept_mimetypes.best_match([*JSON_TYPES, "text/html"])
    return best != "text/html"


HTML_PAGE = Media("text/html", "The page.")
CREDENTIAL_JSON = Media("application/json", "The credential.", {"type": "object"})
CREDENTIAL_PAGE = Media(
    ("text/html", "application/json", "application/ld+json"), "The credential page, or its JSON (by Accept)."
)
DID_DOCUMENT = Media("application/did+json", "DID document.", {"type": "object"})


def create_public_blueprint(service: IssuerService) -> Blueprint:
    bp = Blueprint("public", __name__)
    base_url = service.config.public_base_url

    def load(credential_id: Any) -> tuple[CredentialRecord, CredentialLinks]:
        record = service.get_credential(str(credential_id))
        return record, links_for(base_url, record.id, record.url)

    @bp.get("/")
    @api_spec.validate(resp=Responses(HTTP_200=HTML_PAGE), tags=["pages"], skip_validation=True)
    def index() -> str:
        """Landing page: links to the verifier and the admin UI."""
        return render_template("index.html")

    @bp.get("/healthz")
    @api_spec.validate(resp=Responses(HTTP_200=Health, **problems(503)), tags=["pages"], skip_validation=True)
    def healthz() -> Response:
        """Health check (the database is reachable)."""
        service.count_credentials()  # touches the database: a broken one is a 503, not "ok"
        return Response(
            '{"status": "ok"}', mimetype="application/json", headers={"Cache-Control": "no-store"}
        )

    @bp.get("/credentials/<uuid:credential_id>")
    @api_spec.validate(
        resp=Responses(HTTP_200=CREDENTIAL_PAGE, HTTP_304="Not modified.", **problems(404)),
        tags=["credentials"],
        skip_validation=True,
    )
    def credential(credential_id: Any) -> Response | str:
        """The credential as it is now: an HTML page, or its JSON (Accept: application/json)."""
        record, links = load(credential_id)
        if prefers_json():
            best = request.accept_mimetypes.best_match(JSON_TYPES) or "application/json"
            return json_document(
                record.document,
                "application/ld+json" if best == "application/ld+json" else "application/json",
            )
        response = Response(
            render_template(
                "credential.html",
                record=record,
                links=links,
                achievement=achievement_of(record.document),
                issuer=record.document.get("issuer")
                if isinstance(record.document.get("issuer"), dict)
                else {},
                anchor=anchor_proof(record.document),
                dates=credential_dates(record.document),
            )
        )
        response.headers["Vary"] = "Accept"
        response.headers["Cache-Control"] = "no-cache"
        return response

    @bp.get("/credentials/<uuid:credential_id>/credential.json")
    @api_spec.validate(
        resp=Responses(HTTP_200=CREDENTIAL_JSON, HTTP_304="Not modified.", **problems(404)),
        tags=["credentials"],
        skip_validation=True,
    )
    def credential_json(credential_id: Any) -> Response:
        """The credential's JSON, with its anchor proof once anchored."""
        record, _links = load(credential_id)
        response = json_document(record.document)
        response.headers["Content-Disposition"] = f'inline; filename="credential-{record.id}.json"'
        return response

    @bp.get("/credentials/<uuid:credential_id>/qr.png")
    @api_spec.validate(
        resp=Responses(HTTP_200=Media("image/png", "PNG image."), **problems(404)),
        tags=["credentials"],
        skip_validation=True,
    )
    def qr_code_png(credential_id: Any) -> Response:
        """QR code opening the verifier page for this credential (PNG)."""
        _record, links = load(credential_id)
        return _immutable(Response(qr_png(links.verify), mimetype="image/png"))

    @bp.get("/credentials/<uuid:credential_id>/qr.svg")
    @api_spec.validate(
        resp=Responses(HTTP_200=Media("image/svg+xml", "SVG image."), **problems(404)),
        tags=["credentials"],
        skip_validation=True,
    )
    def qr_code_svg(credential_id: Any) -> Response:
        """QR code opening the verifier page for this credential (SVG)."""
        _record, links = load(credential_id)
        svg = qr_svg(links.verify, title="Verify this credential", scalable=True)
        return _immutable(Response(svg, mimetype="image/svg+xml"))

    @bp.get("/credentials/<uuid:credential_id>/certificate.pdf")
    @api_spec.validate(
        resp=Responses(HTTP_200=Media("application/pdf", "PDF."), **problems(404)),
        tags=["credentials"],
        skip_validation=True,
    )
    def certificate(credential_id: Any) -> Response:
        """The printable certificate (PDF)."""
        record, _links = load(credential_id)
        pdf = stored_certificate_pdf(
            record.document, record.id, base_url, revoked=record.revoked, db=service.db
        )
        response = Response(pdf, mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'inline; filename="certificate-{record.id}.pdf"'
        response.headers["Cache-Control"] = "no-cache"
        return response

    @bp.get(f"{SHORT_PATH}/<code>")
    @api_spec.validate(
        resp=Responses(
            HTTP_302="To the verifier page for that credential (a JSON client: to the credential).",
            **problems(404),
        ),
        tags=["credentials"],
        skip_validation=True,
    )
    def short_link(code: str) -> Response:
        """The short address printed on a certificate (`/v/5f0c1e9e-8d4b`): a browser goes to the
        verifier page; a client asking for JSON (`medcred verify URL`, another verifier) goes to the
        credential itself, as it is now."""
        credential_id = resolve_short_code(service.db, code[:40])
        _record, links = load(credential_id)
        # Only a client that asks for JSON over HTML: a typed address, */* and no Accept open the page.
        wants_json = request.accept_mimetypes.best_match(["text/html", *JSON_TYPES]) in JSON_TYPES
        response = redirect(links.page if wants_json else links.verify, code=302)
        response.headers["Cache-Control"] = "public, max-age=3600"
        response.vary.add("Accept")
        return response

    def achievement_image(record: CredentialRecord) -> tuple[str, bytes] | None:
        if record.achievement_id is None:
            return None
        try:
            return service.achievement_image(record.achievement_id)
        except NotFoundError:
            return None

    def badge(record: CredentialRecord, body: bytes | str, media: str, extension: str) -> Response:
        response = Response(body, mimetype=media)
        response.headers["Content-Disposition"] = f'inline; filename="badge-{record.id}.{extension}"'
        response.headers["Cache-Control"] = "no-cache"  # the anchor proof arrives after issuing
        if media == "image/svg+xml":
            response.headers["Content-Security-Policy"] = SVG_POLICY
        return response

    @bp.get("/credentials/<uuid:credential_id>/badge.png")
    @api_spec.validate(
        resp=Responses(HTTP_200=Media("image/png", "Baked PNG badge."), **problems(404)),
        tags=["credentials"],
        skip_validation=True,
    )
    def badge_png(credential_id: Any) -> Response:
        """The Open Badges 3.0 baked badge (PNG): the achievement's image with the credential in
        an iTXt chunk `openbadgecredential`."""
        record, _links = load(credential_id)
        return badge(record, baked_png(record.document, achievement_image(record)), "image/png", "png")

    @bp.get("/credentials/<uuid:credential_id>/badge.svg")
    @api_spec.validate(
        resp=Responses(HTTP_200=Media("image/svg+xml", "Baked SVG badge."), **problems(404)),
        tags=["credentials"],
        skip_validation=True,
    )
    def badge_svg(credential_id: Any) -> Response:
        """The Open Badges 3.0 baked badge (SVG): the credential in an `openbadges:credential` element."""
        record, _links = load(credential_id)
        svg = baked_svg(record.document, achievement_image(record))
        return badge(record, svg, "image/svg+xml", "svg")

    @bp.get("/.well-known/did.json")
    @api_spec.validate(
        resp=Responses(HTTP_200=DID_DOCUMENT, **problems(404)), tags=["did"], skip_validation=True
    )
    def did_web_root() -> Response:
        """did:web document of an institution served at this host's root."""
        return json_document(service.did_web_document(request.host), "application/did+json")

    @bp.get("/<path:did_path>/did.json")
    @api_spec.validate(
        resp=Responses(HTTP_200=DID_DOCUMENT, **problems(404)), tags=["did"], skip_validation=True
    )
    def did_web_path(did_path: str) -> Response:
        """did:web document of an institution served under a path."""
        return json_document(service.did_web_document(request.host, did_path), "application/did+json")

    return bp


def _immutable(response: Response) -> Response:
    """A QR code never changes for a credential URL: let caches keep it for a day."""
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
