"""The JSON API under /api/v1: issue, roster upload, revoke, lists, anchoring, batch download.

Each institution's resources live under `/api/v1/institutions/<slug>/`, and every request
carries one of that institution's API tokens (`Authorization: Bearer <token>`): `issue` to issue,
`revoke` to revoke, `admin` for anchoring (and everything else); reads accept any scope. Another
institution's token is a 403, a missing/expired/revoked one a 401, both before anything is read
or written.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from issuer.service import IssuerService
from issuer.storage.models import CREDENTIAL_STATES
from issuer.web import bodies
from issuer.web.auth import READ_SCOPES, require, require_any, require_authorization
from issuer.web.exports import all_ids, check_ids, export_filename, stream_zip
from issuer.web.presenters import batch_summary, credential_summary, iso
from verifier.errors import InputError

PREFIX = "/api/v1"


def read_roster_upload() -> tuple[bytes, dict[str, Any]]:
    """The CSV of a roster upload and its options, from multipart (`file`) or a text/csv body."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise InputError("Upload the roster as the multipart field 'file'.")
        return upload.read(), {**request.args.to_dict(), **request.form.to_dict()}
    data = request.get_data(cache=False)
    if not data.strip():
        raise InputError("The request body is empty: send the roster CSV (text/csv) or a multipart 'file'.")
    return data, request.args.to_dict()


def issue_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The issue request's fields (`validFrom` or `valid_from`), type-checked."""
    valid_from = bodies.optional_str(body, "validFrom", limit=64)
    if valid_from is None:
        valid_from = bodies.optional_str(body, "valid_from", limit=64)
    return {
        "template": bodies.required_str(body, "template", limit=100),
        "email": bodies.required_str(body, "email", limit=320),
        "name": bodies.optional_str(body, "name", limit=1000),
        "valid_from": valid_from,
    }


def create_api_blueprint(service: IssuerService) -> Blueprint:
    bp = Blueprint("api", __name__, url_prefix=PREFIX)
    base_url = service.config.public_base_url

    def summary(credential_id: str, *, document: bool = False) -> dict[str, Any]:
        record = service.get_credential(credential_id)
        out = credential_summary(record, base_url)
        if document:
            out["credential"] = record.document
        return out

    @bp.get("/templates")
    def templates() -> Response:
        return jsonify({"templates": [{"slug": s, **t} for s, t in service.templates().items()]})

    @bp.get("/institutions/<slug>")
    def institution(slug: str) -> Response:
        require_any(service, READ_SCOPES, slug)
        info = service.get_institution(slug)
        return jsonify(
            {
                "slug": info.slug,
                "name": info.name,
                "did": info.did,
                "ethereumAddress": info.eth_address,
                "verificationMethod": info.verification_method,
                "registrationState": info.registration_state,
                "includeNames": info.include_names,
                "createdAt": iso(info.created_at),
                "didWebUrl": info.did_web_url,
                "counts": service.count_credentials(slug),
            }
        )

    @bp.get("/institutions/<slug>/credentials")
    def list_credentials(slug: str) -> Response:
        require_any(service, READ_SCOPES, slug)
        state = request.args.get("state") or None
        if state is not None and state not in CREDENTIAL_STATES:
            raise InputError(f"'state' must be one of {', '.join(CREDENTIAL_STATES)}.")
        revoked_arg = request.args.get("revoked")
        revoked = None if revoked_arg in (None, "") else bodies.optional_bool(revoked_arg, "revoked")
        limit = bodies.query_int("limit", 100, 1, 1000)
        offset = bodies.query_int("offset", 0, 0, 10**9)
        records = service.list_credentials(slug, state=state, revoked=revoked, limit=limit, offset=offset)
        return jsonify(
            {
                "credentials": [credential_summary(r, base_url) for r in records],
                "limit": limit,
                "offset": offset,
            }
        )

    @bp.post("/institutions/<slug>/credentials")
    def issue(slug: str) -> tuple[Response, int, dict[str, str]]:
        authorization = require_authorization(service, "issue", slug)
        fields = issue_fields(bodies.json_object())
        issued = service.issue(slug, **fields, authorization=authorization)
        # Built from what was just stored rather than read back: one transaction less per request.
        out = credential_summary(service.issued_record(slug, issued), base_url)
        out["credential"] = issued.document
        return jsonify(out), 201, {"Location": out["url"]}

    @bp.get("/institutions/<slug>/credentials/<uuid:credential_id>")
    def get_credential(slug: str, credential_id: Any) -> Response:
        require_any(service, READ_SCOPES, slug)
        check_ids(service, slug, [str(credential_id)])
        return jsonify(summary(str(credential_id), document=True))

    @bp.post("/institutions/<slug>/credentials/<uuid:credential_id>/revoke")
    def revoke(slug: str, credential_id: Any) -> Response:
        token = require(service, "revoke", slug)
        body = bodies.json_object() if request.get_data(cache=True).strip() else {}
        reason = bodies.optional_str(body, "reason", limit=500) or "unspecified"
        outcome = service.revoke(str(credential_id), reason, institution=token.institution)
        return jsonify(
            {
                "id": outcome.credential_id,
                "revokedAt": iso(outcome.revoked_at),
                "reason": outcome.reason,
                "reasonCode": outcome.reason_code,
                "onChain": outcome.on_chain,
                "transactionHash": outcome.tx_hash,
                "credential": summary(outcome.credential_id),
            }
        )

    @bp.post("/institutions/<slug>/rosters")
    def upload_roster(slug: str) -> tuple[Response, int]:
        require(service, "issue", slug)
        data, options = read_roster_upload()
        allow_partial = bodies.optional_bool(options.get("allow_partial"), "allow_partial")
        template = options.get("template") or None
        result = service.issue_roster(slug, data, allow_partial=allow_partial, default_template=template)
        return (
            jsonify(
                {
                    "issued": len(result.issued),
                    "totalRows": result.total_rows,
                    "errors": [{"row": e.row, "column": e.column, "reason": e.reason} for e in result.errors],
                    "credentials": [
                        {"id": c.id, "url": c.document.get("id"), "row": c.row} for c in result.issued
                    ],
                }
            ),
            201,
        )

    @bp.post("/institutions/<slug>/rosters/validate")
    def validate_roster(slug: str) -> Response:
        require(service, "issue", slug)
        data, options = read_roster_upload()
        errors, total = service.validate_roster(data, default_template=options.get("template") or None)
        return jsonify(
            {
                "valid": not errors,
                "totalRows": total,
                "errors": [{"row": e.row, "column": e.column, "reason": e.reason} for e in errors],
            }
        )

    @bp.get("/institutions/<slug>/batches")
    def batches(slug: str) -> Response:
        require_any(service, READ_SCOPES, slug)
        limit = bodies.query_int("limit", 100, 1, 1000)
        return jsonify({"batches": [batch_summary(b) for b in service.list_batches(slug, limit=limit)]})

    @bp.post("/institutions/<slug>/anchor")
    def anchor(slug: str) -> Response:
        require(service, "admin", slug)
        anchored = service.anchor_now(slug)
        return jsonify(
            {
                "anchored": [
                    {
                        "batch": b.batch_id,
                        "root": b.root,
                        "size": b.size,
                        "transactionHash": b.tx_hash,
                        "blockNumber": b.block_number,
                    }
                    for b in anchored
                ],
                "counts": service.count_credentials(slug),
            }
        )

    @bp.post("/institutions/<slug>/exports")
    def export(slug: str) -> Response:
        require_any(service, READ_SCOPES, slug)
        body = bodies.json_object()
        if bodies.optional_bool(body.get("all"), "all"):
            ids = all_ids(service, slug)
        else:
            ids = check_ids(service, slug, bodies.id_list(body.get("ids")))
        return zip_response(service, slug, ids)

    return bp


def zip_response(service: IssuerService, slug: str, ids: list[str]) -> Response:
    """The streamed ZIP download of `ids` (checked by the caller)."""
    response = Response(stream_zip(service, ids, service.config.public_base_url), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{export_filename(slug)}"'
    response.headers["Cache-Control"] = "no-store"
    return response
