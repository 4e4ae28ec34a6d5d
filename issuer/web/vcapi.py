"""VC-API-shaped endpoints: `POST /credentials/issue`, `POST /credentials/status`, and the public
`GET /status-lists/<id>` (the signed BitstringStatusListCredential).

Issuing maps a partial Open Badges credential onto `IssuerService.issue`, because the issuer, the
achievement, the dates and the status entry are the institution's and the template's to decide,
not the caller's:

    {"credential": {"credentialSubject": {"name": "Jane Doe", "email": "jane@example.org"},
                    "validFrom": "2026-03-01"},            # optional
     "options": {"template": "acls"}}                      # required

- The recipient's e-mail: `credentialSubject.email`, or an OBv3 `identifier` entry with
  `identityType: "emailAddress"`, `hashed: false` and the address as `identityHash` (it is hashed
  with a salt before signing; the clear address is never stored in the credential).
- `credentialSubject.name`: the name printed on the credential (optional).
- `validFrom`: a date or ISO 8601 date-time (optional; default now). `validUntil` comes from the
  template's validity.
- `issuer`, if present, must be the institution's DID (string or `{"id": ...}`); `@context`,
  `type` and `id` are accepted and replaced; any other credential property is refused (400),
  so a caller never believes a property was signed when it was not.
- The institution is the API token's (`options.institution`, if given, must match).

The request and response bodies are the models of issuer.web.api_models (validated by spectree).
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from flask import json as flask_json

from issuer.service import IssuerService
from issuer.storage.errors import NotFoundError
from issuer.web.api_models import (
    VcIssueCredential,
    VcIssueRequest,
    VcIssueResponse,
    VcIssueSubject,
    VcStatusRequest,
    VcStatusResponse,
)
from issuer.web.auth import authorized_first, require
from issuer.web.presenters import iso
from verifier.errors import InputError
from verifier.vc_jwt import VC_JWT_MEDIA_TYPE
from verifier.web.openapi import BEARER, Media, Responses, api_spec, problems

STATUS_LIST = Media(
    ("application/json", "application/vc+jwt", "application/jwt"),
    "The BitstringStatusListCredential (ETag, If-None-Match): a Data Integrity credential (JSON, the "
    "default), or a VC-JWT when Accept asks for application/vc+jwt or application/jwt.",
)


def _email(subject: VcIssueSubject) -> str:
    if subject.email is not None:
        return subject.email
    identifiers = subject.identifier
    entries = identifiers if isinstance(identifiers, list) else [identifiers]
    for entry in entries:
        if (
            isinstance(entry, dict)
            and entry.get("identityType") == "emailAddress"
            and entry.get("hashed") is False
            and isinstance(entry.get("identityHash"), str)
        ):
            return entry["identityHash"]
    raise InputError(
        "The recipient's e-mail is required: 'credentialSubject.email', or an identifier with "
        'identityType "emailAddress", hashed false and the address as identityHash.'
    )


def issue_arguments(body: VcIssueRequest, issuer_did: str) -> dict[str, Any]:
    """service.issue's keyword arguments from a VC-API issue request (see the module docstring)."""
    credential: VcIssueCredential = body.credential
    issuer = credential.issuer
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer is not None and issuer_id != issuer_did:
        raise InputError(f"'credential.issuer' must be this institution's DID ({issuer_did}) or absent.")
    return {
        "template": body.options.template,
        "email": _email(credential.credentialSubject),
        "name": credential.credentialSubject.name,
        "valid_from": credential.validFrom,
    }


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
        resp=Responses(HTTP_201=VcIssueResponse, **problems(400, 401, 403, 404, 413, 503)),
        tags=["vc-api"],
        security=BEARER,
    )
    def issue(json: VcIssueRequest) -> tuple[Response, int, dict[str, str]]:
        """VC-API: issue a credential from a template (the token's institution signs it)."""
        token = g.authorization
        if json.options.institution is not None:
            token = require(service, "issue", json.options.institution)
        arguments = issue_arguments(json, service.get_institution(token.institution).did)
        issued = service.issue(token.institution, **arguments)
        return jsonify({"verifiableCredential": issued.document}), 201, {"Location": issued.document["id"]}

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
