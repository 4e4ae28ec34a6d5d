"""The achievement catalog in the JSON API, under /api/v1/institutions/<slug>/achievements.

Reading needs any token of the institution; creating a version or retiring needs the `admin`
scope (the catalog is what the institution issues: defining it is an administrator's job, issuing
from it an `issue` token's). Bodies are a definition (see `issuer.achievement_catalog`) as JSON,
with an optional image as `{"image": {"mediaType": "image/png", "data": "<base64>"}}`, or
multipart with the definition as the `definition` field (JSON text) and the image as `image`.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Blueprint, Response, jsonify, request

from issuer.achievement_images import MAX_IMAGE_BYTES
from issuer.service import IssuerService
from issuer.web.api_models import AchievementDefinition, AchievementList, AchievementSummary, StarterList
from issuer.web.auth import READ_SCOPES, authorized_first, require, require_any
from issuer.web.presenters import achievement_summary
from verifier.errors import InputError
from verifier.jsonsafe import loads as safe_loads
from verifier.web.openapi import BEARER, Responses, api_spec, problems, request_body, validated

DEFINITION_BODY = {
    "application/json": {
        "schema": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "achievement": {
                    "type": "object",
                    "description": "The Open Badges 3.0 Achievement's properties.",
                },
                "validity": {"type": ["string", "null"], "description": "ISO 8601 duration, e.g. P2Y."},
                "starter": {"type": "string", "description": "A built-in template to start from."},
                "slug": {"type": "string"},
                "notes": {"type": "string"},
                "image": {
                    "type": "object",
                    "required": ["data"],
                    "properties": {
                        "mediaType": {"type": "string", "enum": ["image/png", "image/svg+xml"]},
                        "data": {"type": "string", "contentEncoding": "base64"},
                    },
                },
            },
        }
    },
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "required": ["definition"],
            "properties": {
                "definition": {"type": "string", "contentMediaType": "application/json"},
                "image": {"type": "string", "contentMediaType": "image/png"},
            },
        }
    },
}
WRITE_ERRORS = problems(400, 401, 403, 404, 409, 413)


def read_definition() -> tuple[dict[str, Any], bytes | None, str | None]:
    """(definition, image bytes, image media type) from a JSON or multipart request."""
    if request.mimetype == "multipart/form-data":
        text = request.form.get("definition")
        if text is None:
            raise InputError("Send the definition as the multipart field 'definition' (JSON text).")
        try:
            raw = safe_loads(text)
        except InputError as exc:  # valid JSON refused on purpose (a member name twice, too deep)
            raise InputError(f"The 'definition' field is refused: {exc}") from None
        except ValueError:
            raise InputError("The 'definition' field is not valid JSON.") from None
        upload = request.files.get("image")
        image = upload.read(MAX_IMAGE_BYTES + 1) if upload is not None else None
        media_type = (upload.mimetype or None) if upload is not None else None
    else:
        body = request.get_data(cache=True)
        if not body.strip():
            raise InputError("The request body is empty: send the achievement definition as JSON.")
        try:
            raw = safe_loads(body)
        except InputError as exc:  # valid JSON refused on purpose (a member name twice, too deep)
            raise InputError(f"The request body is refused: {exc}") from None
        except ValueError:
            raise InputError("The request body is not valid JSON.") from None
        image, media_type = None, None
    definition = validated(AchievementDefinition, raw, "definition")
    assert isinstance(definition, AchievementDefinition)
    if definition.image is not None:
        try:
            image = base64.b64decode(definition.image.data, validate=True)
        except (binascii.Error, ValueError):
            raise InputError("'image.data' is not base64.") from None
        media_type = definition.image.mediaType
    return definition.model_dump(exclude={"image"}, exclude_none=True), image, media_type


def create_achievements_blueprint(service: IssuerService) -> Blueprint:
    """The catalog's API routes (see the module docstring), declared with `api_spec`."""
    bp = Blueprint("achievements_api", __name__, url_prefix="/api/v1")

    def reader(slug: str, **_: Any) -> Any:
        return require_any(service, READ_SCOPES, slug)

    def admin(slug: str, **_: Any) -> Any:
        return require(service, "admin", slug)

    @bp.get("/starters")
    @api_spec.validate(resp=Responses(HTTP_200=StarterList), tags=["achievements"], skip_validation=True)
    def starters() -> Response:
        """The built-in templates an institution starts its achievements from."""
        return jsonify(
            {
                "starters": [
                    {
                        "slug": slug,
                        "name": s["name"],
                        "validity": s["validity"],
                        "achievement": s["achievement"],
                    }
                    for slug, s in service.starters().items()
                ]
            }
        )

    @bp.get("/institutions/<slug>/achievements")
    @authorized_first(reader)
    @api_spec.validate(
        resp=Responses(HTTP_200=AchievementList, **problems(401, 403, 404)),
        tags=["achievements"],
        security=BEARER,
    )
    def list_achievements(slug: str) -> Response:
        """The institution's achievements (the latest version of each), newest first."""
        return jsonify({"achievements": [achievement_summary(i) for i in service.list_achievements(slug)]})

    @bp.post("/institutions/<slug>/achievements")
    @authorized_first(admin)
    @api_spec.validate(
        resp=Responses(HTTP_201=AchievementSummary, **WRITE_ERRORS), tags=["achievements"], security=BEARER
    )
    @request_body(DEFINITION_BODY)
    def create(slug: str) -> tuple[Response, int, dict[str, str]]:
        """Add an achievement to the catalog (admin scope); `Location` is its public URL."""
        definition, image, media_type = read_definition()
        info = service.create_achievement(slug, definition, image=image, image_type=media_type)
        return jsonify(achievement_summary(info)), 201, {"Location": info.url}

    @bp.get("/institutions/<slug>/achievements/<uuid:achievement_id>")
    @authorized_first(reader)
    @api_spec.validate(
        resp=Responses(HTTP_200=AchievementSummary, **problems(401, 403, 404)),
        tags=["achievements"],
        security=BEARER,
    )
    def show(slug: str, achievement_id: Any) -> Response:
        """One achievement version."""
        return jsonify(achievement_summary(service.get_achievement(str(achievement_id), institution=slug)))

    @bp.post("/institutions/<slug>/achievements/<uuid:achievement_id>/versions")
    @authorized_first(admin)
    @api_spec.validate(
        resp=Responses(HTTP_201=AchievementSummary, **WRITE_ERRORS), tags=["achievements"], security=BEARER
    )
    @request_body(DEFINITION_BODY)
    def new_version(slug: str, achievement_id: Any) -> tuple[Response, int, dict[str, str]]:
        """Make the next version (admin scope); credentials issued before keep theirs."""
        definition, image, media_type = read_definition()
        info = service.new_achievement_version(
            str(achievement_id), definition, image=image, image_type=media_type, institution=slug
        )
        return jsonify(achievement_summary(info)), 201, {"Location": info.url}

    @bp.post("/institutions/<slug>/achievements/<uuid:achievement_id>/retire")
    @authorized_first(admin)
    @api_spec.validate(
        resp=Responses(HTTP_200=AchievementSummary, **WRITE_ERRORS), tags=["achievements"], security=BEARER
    )
    def retire(slug: str, achievement_id: Any) -> Response:
        """Retire an achievement (admin scope): no new credentials; issued ones stay valid."""
        return jsonify(achievement_summary(service.retire_achievement(str(achievement_id), institution=slug)))

    return bp
