"""The issuer's Flask app factory: one `IssuerService`, no globals.

    app = create_app(service, verifier_config)

Blueprints, one job each: `api` (JSON API, /api/v1), `vcapi` (VC-API issue/status, status lists),
`public` (credential pages, QR codes, certificates, DID documents), `admin` (the admin UI),
`claim` (the learner's claim page, issuer.web.claim), `wallet` (OpenID4VCI, issuer.web.wallet), and the
verifier's own blueprint (the /verify page and POST /credentials/verify). Errors are answered by
issuer.web.errors; security headers come from the verifier's shared `add_security_headers`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, json, request

from issuer.service import IssuerService
from issuer.web.achievement_pages import create_achievement_pages_blueprint
from issuer.web.achievements_api import create_achievements_blueprint
from issuer.web.admin import create_admin_blueprint
from issuer.web.api import create_api_blueprint
from issuer.web.claim import VERIFIER_CONFIG, create_claim_blueprint, limit_new_link_requests
from issuer.web.errors import register_error_handlers
from issuer.web.limits import MAX_JSON_BYTES, MAX_UPLOAD_BYTES
from issuer.web.openapi import issuer_openapi_document
from issuer.web.presenters import achievement_name
from issuer.web.public import create_public_blueprint
from issuer.web.rate_limit import install_login_limits
from issuer.web.secret import load_secret_key
from issuer.web.sessions import SESSION_SECONDS, csrf_token
from issuer.web.trust import trusting_own_origin
from issuer.web.vcapi import create_vcapi_blueprint
from issuer.web.wallet import install_wallet
from verifier.config import VerifierConfig
from verifier.web.blueprint import MAX_REQUEST_BYTES, create_blueprint
from verifier.web.openapi import Media, Responses, api_spec
from verifier.web.security import add_security_headers

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "medcred_session"

BODY_LIMITS = {
    "api.upload_roster": MAX_UPLOAD_BYTES,
    "api.validate_roster": MAX_UPLOAD_BYTES,
    "admin.roster_submit": MAX_UPLOAD_BYTES,
    "admin.export": MAX_UPLOAD_BYTES,
    "api.export": MAX_UPLOAD_BYTES,
    "verifier.verify_submit": MAX_REQUEST_BYTES,
    "verifier.vc_api_verify": MAX_REQUEST_BYTES,
}
"""Endpoints allowed more than MAX_JSON_BYTES (the default for every other request)."""


def create_app(
    service: IssuerService,
    verifier_config: VerifierConfig | Callable[[], VerifierConfig],
    *,
    secret_key: bytes | None = None,
    verify_slots: int | None = None,
) -> Flask:
    """The issuer app over `service`; `secret_key` defaults to MEDCRED_SECRET_KEY or the data folder's key.

    `verify_slots`: how many requests may verify at once (default MEDCRED_VERIFY_SLOTS, else 4), so
    that verification never takes every server thread (verifier.web.verify_pool).
    """
    app = Flask(
        __name__,
        static_folder=str(HERE / "static"),
        static_url_path="/static",
        template_folder=str(HERE / "templates"),
    )
    secret = secret_key if secret_key is not None else load_secret_key(service.config.data_dir)
    app.config.update(
        SECRET_KEY=secret,
        MAX_CONTENT_LENGTH=MAX_JSON_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_JSON_BYTES,
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=service.config.public_base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=SESSION_SECONDS),
    )
    app.extensions["medcred.service"] = service

    @app.before_request
    def body_limits() -> None:
        limit = BODY_LIMITS.get(request.endpoint or "")
        if limit is not None:
            request.max_content_length = limit
            request.max_form_memory_size = limit

    own = trusting_own_origin(verifier_config, service.config.public_base_url)
    app.register_blueprint(create_blueprint(own, verify_slots=verify_slots))
    app.register_blueprint(create_public_blueprint(service))
    app.register_blueprint(create_vcapi_blueprint(service))
    app.register_blueprint(create_api_blueprint(service))
    app.register_blueprint(create_achievements_blueprint(service))
    app.register_blueprint(create_achievement_pages_blueprint(service))
    app.register_blueprint(create_admin_blueprint(service))
    app.extensions[VERIFIER_CONFIG] = own  # the claim page verifies in-process with this
    app.register_blueprint(create_claim_blueprint(service, own))
    install_wallet(app, service)  # OpenID4VCI endpoints and the claim page's wallet offer
    limiter = install_login_limits(app, service)
    limit_new_link_requests(app, limiter)

    documents: list[str] = []

    @app.get("/openapi.json")
    @api_spec.validate(
        resp=Responses(HTTP_200=Media("application/json", "OpenAPI 3.1", {"type": "object"})),
        tags=["pages"],
        skip_validation=True,
    )
    def api_document() -> Response:
        """This document (generated from the routes' models)."""
        if not documents:  # built once, after every blueprint is registered
            document = issuer_openapi_document(app, service.config.public_base_url)
            documents.append(json.dumps(document, indent=2))
        return Response(
            documents[0], mimetype="application/json", headers={"Access-Control-Allow-Origin": "*"}
        )

    app.add_template_global(csrf_token, "csrf_token")
    app.add_template_filter(format_moment, "moment")
    app.add_template_filter(format_day, "day")
    app.add_template_filter(achievement_name, "achievement_name")
    add_security_headers(app)  # also installs the depth-checked JSON provider
    app.json.sort_keys = False  # type: ignore[attr-defined] - keep credentials in their signed key order
    register_error_handlers(app)
    return app


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def format_moment(value: Any) -> str:
    """'28 November 2026, 05:34 UTC' (empty for None, the text itself if unparsable)."""
    moment = _as_datetime(value)
    if moment is None:
        return "" if value is None else str(value)
    return moment.astimezone(UTC).strftime("%d %B %Y, %H:%M UTC").lstrip("0")


def format_day(value: Any) -> str:
    """'28 November 2026'."""
    moment = _as_datetime(value)
    if moment is None:
        return "" if value is None else str(value)
    return moment.astimezone(UTC).strftime("%d %B %Y").lstrip("0")
