"""The JSON API under /api/v1: issue, roster upload, revoke, lists, anchoring, batch download.

Each institution's resources live under `/api/v1/institutions/<slug>/`, and every request
carries one of that institution's API tokens (`Authorization: Bearer <token>`): `issue` to issue,
`revoke` to revoke, `admin` for anchoring (and everything else); reads accept any scope. Another
institution's token is a 403, a missing/expired/revoked one a 401, both before anything is read
or written.
"""

from __future__ import annotations

from datetime import datetime
from itertools import chain, islice
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from issuer.bulk_export import export_rows, parse_since
from issuer.service import IssuerService
from issuer.web.api_models import (
    AnchorResult,
    BatchList,
    BatchQuery,
    CredentialList,
    CredentialSummary,
    DeliverySummary,
    ExportRequest,
    Institution,
    IssueRequest,
    ListQuery,
    RevocationResult,
    RevokeRequest,
    RosterOptions,
    RosterResult,
    RosterValidation,
    TemplateList,
)
from issuer.web.auth import READ_SCOPES, authorized_first, require, require_any, require_authorization
from issuer.web.exports import JSONL, anchor_first, check_ids, export_filename, stream_jsonl, stream_zip
from issuer.web.idempotent import idempotent
from issuer.web.keys_api import add_key_routes
from issuer.web.presenters import batch_summary, credential_summary, delivery_summary, iso
from verifier.errors import InputError
from verifier.web.openapi import BEARER, Media, Responses, api_spec, problems, request_body, validated

PREFIX = "/api/v1"
READ_ERRORS = problems(401, 403, 404)
QUERY_ERRORS = problems(400, 401, 403, 404)
WRITE_ERRORS = problems(400, 401, 403, 404, 413)
ZIP = Media(
    "application/zip",
    "A ZIP: manifest.csv, credentials/*.json, and qr/*.png|svg and certificates/*.pdf if asked.",
    {"type": "string", "contentMediaType": "application/zip"},
)
EXPORT = Media(
    ("application/zip", "application/jsonl"),
    "format zip: manifest.csv, credentials/*.json (qr/*.png|svg, certificates/*.pdf if asked); "
    "format jsonl: one credential per line.",
    {"type": "string"},
)
ROSTER_BODY = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "required": ["file"],
            "properties": {
                "file": {
                    "type": "string",
                    "contentMediaType": "text/csv",
                    "description": "UTF-8 CSV: email, template, name, valid_from.",
                },
                "allow_partial": {"type": "boolean"},
                "allow_duplicates": {"type": "boolean"},
                "deliver_by_email": {"type": "boolean"},
                "template": {"type": "string", "maxLength": 2000},
            },
        }
    },
    "text/csv": {"schema": {"type": "string"}},
}


def read_roster_upload() -> tuple[bytes, RosterOptions]:
    """The CSV of a roster upload and its options, from multipart (`file`) or a text/csv body."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise InputError("Upload the roster as the multipart field 'file'.")
        data, raw = upload.read(), {**request.args.to_dict(), **request.form.to_dict()}
    else:
        data, raw = request.get_data(cache=False), request.args.to_dict()
        if not data.strip():
            raise InputError(
                "The request body is empty: send the roster CSV (text/csv) or a multipart 'file'."
            )
    return data, validated(RosterOptions, raw, "roster options")


def create_api_blueprint(service: IssuerService) -> Blueprint:
    """The JSON API's routes (see the module docstring), declared with `api_spec`."""
    bp = Blueprint("api", __name__, url_prefix=PREFIX)
    base_url = service.config.public_base_url

    def reader(slug: str, **_: Any) -> Any:
        return require_any(service, READ_SCOPES, slug)

    def issuer_token(slug: str, **_: Any) -> Any:
        return require(service, "issue", slug)

    def summary(credential_id: str, *, document: bool = False) -> dict[str, Any]:
        record = service.get_credential(credential_id)
        out = credential_summary(record, base_url)
        delivery = service.delivery.state(record.id)
        if delivery is not None:
            out["delivery"] = delivery_summary(delivery)
        if document:
            out["credential"] = record.document
        return out

    @bp.get("/templates")
    @api_spec.validate(resp=Responses(HTTP_200=TemplateList), tags=["api"], skip_validation=True)
    def templates() -> Response:
        """The built-in achievement templates."""
        return jsonify({"templates": [{"slug": s, **t} for s, t in service.templates().items()]})

    @bp.get("/institutions/<slug>")
    @authorized_first(reader)
    @api_spec.validate(resp=Responses(HTTP_200=Institution, **READ_ERRORS), tags=["api"], security=BEARER)
    def institution(slug: str) -> Response:
        """The institution: DID, account, registration state, credential counts."""
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
    @authorized_first(reader)
    @api_spec.validate(
        query=ListQuery,
        resp=Responses(HTTP_200=CredentialList, **QUERY_ERRORS),
        tags=["api"],
        security=BEARER,
    )
    def list_credentials(slug: str, query: ListQuery) -> Response:
        """The institution's credentials, newest first."""
        records = service.list_credentials(
            slug, state=query.state, revoked=query.revoked, limit=query.limit, offset=query.offset
        )
        deliveries = service.delivery.states([r.id for r in records])
        summaries = []
        for r in records:
            out = credential_summary(r, base_url)
            if r.id in deliveries:
                out["delivery"] = delivery_summary(deliveries[r.id])
            summaries.append(out)
        return jsonify(
            {
                "credentials": summaries,
                "limit": query.limit,
                "offset": query.offset,
            }
        )

    @bp.post("/institutions/<slug>/credentials")
    @authorized_first(lambda slug: require_authorization(service, "issue", slug))
    @api_spec.validate(
        json=IssueRequest,
        resp=Responses(HTTP_201=CredentialSummary, **WRITE_ERRORS, **problems(409, 422, 503)),
        tags=["api"],
        security=BEARER,
    )
    def issue(slug: str, json: IssueRequest) -> Response:
        """Issue one credential (signed now, anchored by the worker); `Location` is its URL.

        409 if the recipient already holds this achievement with the same validFrom day, unless
        `allowDuplicate`. An `Idempotency-Key` header makes a retry return the first answer.
        """
        authorization = g.authorization

        def run() -> tuple[Response, int, dict[str, str]]:
            arguments = json.issue_arguments()
            issued = service.issue(
                slug,
                arguments.pop("template"),
                arguments.pop("email"),
                authorization=authorization,
                **arguments,
            )
            # Built from what was just stored rather than read back: one transaction less per request.
            out = credential_summary(service.issued_record(slug, issued), base_url)
            # The delivery row was written with the credential: the answer shows it as a read-back would.
            delivery = service.delivery.state(issued.id)
            if delivery is not None:
                out["delivery"] = delivery_summary(delivery)
            out["credential"] = issued.document
            return jsonify(out), 201, {"Location": out["url"]}

        return idempotent(service, slug, run)

    @bp.get("/institutions/<slug>/credentials/<uuid:credential_id>")
    @authorized_first(reader)
    @api_spec.validate(
        resp=Responses(HTTP_200=CredentialSummary, **READ_ERRORS), tags=["api"], security=BEARER
    )
    def get_credential(slug: str, credential_id: Any) -> Response:
        """One credential with its document."""
        check_ids(service, slug, [str(credential_id)])
        return jsonify(summary(str(credential_id), document=True))

    @bp.post("/institutions/<slug>/credentials/<uuid:credential_id>/revoke")
    @authorized_first(lambda slug, **_: require(service, "revoke", slug))
    @api_spec.validate(
        json=RevokeRequest,
        resp=Responses(HTTP_200=RevocationResult, **WRITE_ERRORS, **problems(409, 503)),
        tags=["api"],
        security=BEARER,
    )
    def revoke(slug: str, credential_id: Any, json: RevokeRequest) -> Response:
        """Revoke a credential: status list now, the registry once it is anchored."""
        institution = g.authorization.institution
        outcome = service.revoke(str(credential_id), json.reason or "unspecified", institution=institution)
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

    @bp.post("/institutions/<slug>/credentials/<uuid:credential_id>/delivery")
    @authorized_first(issuer_token)
    @api_spec.validate(
        resp=Responses(HTTP_202=DeliverySummary, **READ_ERRORS, **problems(409)),
        tags=["api"],
        security=BEARER,
        skip_validation=True,
    )
    def resend(slug: str, credential_id: Any) -> tuple[Response, int]:
        """(Re)send the claim e-mail with a new claim link: now if anchored, else once anchored
        (issue scope). 404 if it was issued without an e-mail address, 409 if revoked."""
        state = service.delivery.resend(str(credential_id), slug)
        return jsonify(delivery_summary(state)), 202

    @bp.post("/institutions/<slug>/rosters")
    @authorized_first(issuer_token)
    @api_spec.validate(
        query=RosterOptions,
        resp=Responses(HTTP_201=RosterResult, **WRITE_ERRORS, **problems(409, 422, 503)),
        tags=["api"],
        security=BEARER,
    )
    @request_body(ROSTER_BODY)
    def upload_roster(slug: str) -> Response:
        """Issue a course roster (CSV); all or nothing unless `allow_partial`.

        Rows already issued (same recipient, achievement and validFrom day) are errors unless
        `allow_duplicates`. An `Idempotency-Key` header makes a retry return the first answer.
        """
        return idempotent(service, slug, lambda: roster_answer(slug))

    def roster_answer(slug: str) -> tuple[Response, int]:
        data, options = read_roster_upload()
        result = service.issue_roster(
            slug,
            data,
            allow_partial=options.allow_partial,
            default_template=options.template,
            allow_duplicates=options.allow_duplicates,
            deliver=options.deliver_by_email,
        )
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
    @authorized_first(issuer_token)
    @api_spec.validate(
        query=RosterOptions,
        resp=Responses(HTTP_200=RosterValidation, **WRITE_ERRORS),
        tags=["api"],
        security=BEARER,
    )
    @request_body(ROSTER_BODY)
    def validate_roster(slug: str) -> Response:
        """Check a roster without issuing: the per-row report."""
        data, options = read_roster_upload()
        errors, total = service.validate_roster(
            data, default_template=options.template, slug=slug, allow_duplicates=options.allow_duplicates
        )
        return jsonify(
            {
                "valid": not errors,
                "totalRows": total,
                "errors": [{"row": e.row, "column": e.column, "reason": e.reason} for e in errors],
            }
        )

    @bp.get("/institutions/<slug>/batches")
    @authorized_first(reader)
    @api_spec.validate(
        query=BatchQuery, resp=Responses(HTTP_200=BatchList, **QUERY_ERRORS), tags=["api"], security=BEARER
    )
    def batches(slug: str, query: BatchQuery) -> Response:
        """The institution's anchoring batches, newest first."""
        return jsonify({"batches": [batch_summary(b) for b in service.list_batches(slug, limit=query.limit)]})

    @bp.post("/institutions/<slug>/anchor")
    @api_spec.validate(
        resp=Responses(HTTP_200=AnchorResult, **READ_ERRORS, **problems(502, 503)),
        tags=["api"],
        security=BEARER,
        skip_validation=True,
    )
    def anchor(slug: str) -> Response:
        """Anchor the pending credentials now (admin scope)."""
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
    @authorized_first(reader)
    @api_spec.validate(
        json=ExportRequest, resp=Responses(HTTP_200=EXPORT, **WRITE_ERRORS), tags=["api"], security=BEARER
    )
    def export(slug: str, json: ExportRequest) -> Response:
        """Download credentials as a streamed ZIP (QR codes; PDFs if asked) or JSON Lines."""
        ids = None if json.all else check_ids(service, slug, json.ids or [])
        if json.anchorFirst:
            anchor_first(service, slug, ids)
        return export_response(
            service,
            slug,
            ids,
            export_format=json.format,
            qr_codes=json.qrCodes,
            certificates=json.certificates,
            state=json.state,
            since=parse_since(json.since),
        )

    add_key_routes(bp, service)
    return bp


def export_response(
    service: IssuerService,
    slug: str,
    ids: list[str] | None,
    *,
    export_format: str = "zip",
    qr_codes: bool = False,
    certificates: bool = False,
    state: str = "all",
    since: datetime | None = None,
) -> Response:
    """The streamed download of `ids` (checked by the caller), or of the selection when None.

    The first page of rows is read before the response starts, so an unknown institution or state
    is a proper problem answer rather than a truncated download.
    """
    rows = export_rows(service.db, slug, state=state, since=since, ids=ids)
    first = list(islice(rows, 1))
    selection = chain(first, rows)
    base_url = service.config.public_base_url
    if export_format == "jsonl":
        body, mimetype, extension = stream_jsonl(selection), JSONL, "jsonl"
    else:
        body = stream_zip(selection, base_url, qr_codes=qr_codes, certificates=certificates, db=service.db)
        mimetype, extension = "application/zip", "zip"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{export_filename(slug, extension)}"'
    response.headers["Cache-Control"] = "no-store"
    return response
