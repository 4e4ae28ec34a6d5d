"""Public achievement URLs: each achievement's `id` serves its JSON (for machines) and a readable
page (for people), by content negotiation as credential URLs do; `.json` always gives the JSON.

`/achievements/<uuid>` is a catalog version (every version keeps its URL: credentials carry it);
`/achievements/<slug>` is a built-in template's achievement (the id of credentials issued from a
template). Images are served with a sandboxing Content-Security-Policy besides being sanitized.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request

from issuer.credential_builder import from_template
from issuer.service import IssuerService
from issuer.storage.errors import NotFoundError
from issuer.templates import TemplateError, load_template
from issuer.web.public import JSON_TYPES, json_document, prefers_json
from verifier.web.openapi import Media, Responses, api_spec, problems

IMAGE_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
PAGE = Media(
    ("application/json", "application/ld+json", "text/html"),
    "The Achievement (JSON for Accept: application/json or application/ld+json), or its page.",
)
JSON_ONLY = Media("application/json", "The Open Badges 3.0 Achievement.")


def create_achievement_pages_blueprint(service: IssuerService) -> Blueprint:
    bp = Blueprint("achievements", __name__)
    base_url = service.config.public_base_url

    def answer(document: dict[str, Any], page: dict[str, Any], force_json: bool = False) -> Response:
        if force_json or prefers_json():
            best = request.accept_mimetypes.best_match(JSON_TYPES) or "application/json"
            return json_document(
                document, "application/ld+json" if best == "application/ld+json" else "application/json"
            )
        response = Response(render_template("achievement.html", achievement=document, **page))
        response.headers["Vary"] = "Accept"
        response.headers["Cache-Control"] = "no-cache"
        return response

    def catalog_page(achievement_id: Any, force_json: bool = False) -> Response:
        info = service.get_achievement(str(achievement_id))
        image = info.document.get("image")
        current_url = None
        if info.current_id and info.current_id != info.id:
            current_url = f"{base_url}/achievements/{info.current_id}"
        page = {
            "state": info.state,
            "validity": info.validity,
            "issuer_name": service.get_institution(info.institution).name,
            "image_url": image.get("id") if isinstance(image, dict) else None,
            "current_url": current_url,
            "json_url": f"{base_url}/achievements/{info.id}.json",
        }
        return answer(info.document, page, force_json)

    def template_page(slug: str, force_json: bool = False) -> Response:
        try:
            template = load_template(slug, service.config.template_folder)
        except TemplateError:
            raise NotFoundError(f"There is no achievement {slug!r}.") from None
        document = from_template(template, "", base_url).achievement
        page = {
            "state": "active",
            "validity": template.validity,
            "issuer_name": None,
            "image_url": None,
            "current_url": None,
            "json_url": f"{base_url}/achievements/{slug}.json",
        }
        return answer(document, page, force_json)

    @bp.get("/achievements/<uuid:achievement_id>")
    @api_spec.validate(
        resp=Responses(HTTP_200=PAGE, HTTP_304="Not modified.", **problems(404)),
        tags=["achievements"],
        skip_validation=True,
    )
    def achievement(achievement_id: Any) -> Response:
        """A catalog achievement version's public URL (its id): JSON or a page."""
        return catalog_page(achievement_id)

    @bp.get("/achievements/<uuid:achievement_id>.json")
    @api_spec.validate(
        resp=Responses(HTTP_200=JSON_ONLY, HTTP_304="Not modified.", **problems(404)),
        tags=["achievements"],
        skip_validation=True,
    )
    def achievement_json(achievement_id: Any) -> Response:
        """A catalog achievement version's JSON."""
        return catalog_page(achievement_id, force_json=True)

    @bp.get("/achievements/<uuid:achievement_id>/image.<ext>")
    @api_spec.validate(
        resp=Responses(
            HTTP_200=Media(("image/png", "image/svg+xml"), "The image (SVG sanitized)."), **problems(404)
        ),
        tags=["achievements"],
        skip_validation=True,
    )
    def achievement_image(achievement_id: Any, ext: str) -> Response:
        """An achievement version's image: PNG, or SVG sanitized and served sandboxed."""
        media_type, data = service.achievement_image(str(achievement_id))
        if IMAGE_TYPES.get(ext) != media_type:
            raise NotFoundError("This achievement has no image in that format.")
        response = Response(data, mimetype=media_type)
        response.headers["Cache-Control"] = "public, max-age=86400, immutable"
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    @bp.get("/achievements/<slug>")
    @api_spec.validate(
        resp=Responses(HTTP_200=PAGE, HTTP_304="Not modified.", **problems(404)),
        tags=["achievements"],
        skip_validation=True,
    )
    def template_achievement(slug: str) -> Response:
        """A built-in template's achievement (credentials issued from it name it); `<slug>.json` too."""
        if slug.endswith(".json"):
            return template_page(slug[: -len(".json")], force_json=True)
        return template_page(slug)

    return bp
