"""VC-API endpoints: `POST /credentials/issue`, `POST /credentials/status`, and the public
`GET /status-lists/<id>` (the signed BitstringStatusListCredential).

Issuing follows the W3C VC API: the body is `{"credential": {...}, "options": {...}}` with a full
Open Badges 3.0 credential, which `issuer.vc_issue` checks (VC 2.0 rules, the 1EdTech JSON Schema,
JSON-LD safe mode on the bundled contexts) and completes (issuer, id, status), then it is signed
(`options.cryptosuite`: eddsa-rdfc-2022 by default, or eddsa-jcs-2022) and anchored as usual. The
institution is the API token's (`options.institution`, if given, must match). An
`Idempotency-Key` header makes a retry return the first answer.

The request and response bodies are the models of issuer.web.api_models (validated by spectree).
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, g, jsonify, request
from flask import json as flask_json

from issuer.service import IssuerService
from issuer.storage.errors import NotFoundError
from issuer.web.api_models import VcIssueRequest, VcIssueResponse, VcStatusRequest, VcStatusResponse
from issuer.web.auth import authorized_first, require
from issuer.web.idempotent import idempotent
from issuer.web.presenters import iso
from verifier.vc_jwt import VC_JWT_MEDIA_TYPE
from verifier.web.openapi import BEARER, Media, Responses, api_spec, problems

STATUS_LIST = Media(
    ("application/json", "application/vc+jwt", "application/jwt"),
    "The BitstringStatusListCredential (ETag, If-None-Match): a Data Integrity credential (JSON, the "
    "default), or a VC-JWT when Accept asks for application/vc+jwt or application/jwt.",
)


JWT_MEDIA_TYPES = (VC_JWT_MEDIA_TYPE, "application/jwt")
STATUS_LIST_MEDIA_TYPES = (
    "application/json",
    "application/vc+ld+json",
    "application/ld+json",
    *JWT_MEDIA_TYPES,
)
"""What /status-lists/<id> serves, by content negotiation (JSON first: the answer to */*)."""


def create_vcapi_blueprint(service: IssuerService) -> Blueprint:
    """VC-API issue and status, and the public status lists."""
    bp = Blueprint("vcapi", __name__)

    @bp.post("/credentials/issue")
    @authorized_first(lambda: require(service, "issue"))
    @api_spec.validate(
        json=VcIssueRequest,
        resp=Responses(HTTP_201=VcIssueResponse, **problems(400, 401, 403, 404, 409, 413, 422, 503)),
        tags=["vc-api"],
        security=BEARER,
    )
    def issue(json: VcIssueRequest) -> Response:
        """VC-API: issue a full Open Badges 3.0 credential (the token's institution signs it)."""
        token = g.authorization
        if json.options.institution is not None:
            token = require(service, "issue", json.options.institution)
        slug = token.institution

        def run() -> tuple[Response, int, dict[str, str]]:
            options = json.options.model_dump(exclude_none=True)
            issued = service.issue_credential(slug, json.credential, options)
            return (
                jsonify({"verifiableCredential": issued.document}),
                201,
                {"Location": issued.document["id"]},
            )

        return idempotent(service, slug, run)

    @bp.post("/credentials/status")
    @authorized_first(lambda: require(service, "revoke"))
    @api_spec.validate(
        json=VcStatusRequest,
        resp=Responses(HTTP_200=VcStatusResponse, **problems(400, 401, 403, 404, 409, 413, 503)),
        tags=["vc-api"],
        security=BEARER,
    )
    def update_status(json: VcStatusRequest) -> Response:
        """VC-API: revoke a credential (the only status change offered)."""
        reason = json.reason or "unspecified"
        outcome = service.revoke(json.credentialId, reason, institution=g.authorization.institution)
        return jsonify(
            {
                "credentialId": json.credentialId,
                "credentialStatus": [{"type": "BitstringStatusListEntry", "status": "revoked"}],
                "revokedAt": iso(outcome.revoked_at),
                "reason": outcome.reason,
                "onChain": outcome.on_chain,
                "transactionHash": outcome.tx_hash,
            }
        )

    @bp.get("/status-lists/<list_id>")
    @api_spec.validate(
        resp=Responses(HTTP_200=STATUS_LIST, HTTP_304="Not modified (If-None-Match).", **problems(404)),
        tags=["vc-api"],
        skip_validation=True,
    )
    def status_list(list_id: str) -> Response:
        """The list as a Data Integrity credential (JSON, the default) or, when the client asks for
        `application/vc+jwt` or `application/jwt`, as a VC-JWT (some verifiers check only those)."""
        if len(list_id) > 200:
            raise NotFoundError("There is no such status list.")
        wanted = request.accept_mimetypes.best_match(STATUS_LIST_MEDIA_TYPES, default="application/json")
        if wanted in JWT_MEDIA_TYPES:
            payload = service.status_list_jwt(list_id).encode("ascii")
            response = Response(payload, mimetype=wanted)
        else:
            document = service.status_list_credential(list_id)
            payload = flask_json.dumps(document, ensure_ascii=False).encode("utf-8")
            response = Response(payload, mimetype=wanted)
        response.set_etag(hashlib.sha256(payload).hexdigest()[:32])
        response.headers["Cache-Control"] = "public, max-age=60"
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.vary.add("Accept")
        return response.make_conditional(request)

    return bp
