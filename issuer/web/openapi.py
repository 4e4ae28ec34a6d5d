"""The OpenAPI 3.1 description of every route the issuer app serves (`GET /openapi.json`).

Written by hand, next to the routes, and kept honest by a test that compares it with the app's
URL map in both directions. HTML pages are listed too (with `text/html` responses), so the
document is a complete map of the server, not only of its JSON API.
"""

from __future__ import annotations

from typing import Any

from issuer.web.bodies import MAX_JSON_BYTES, MAX_UPLOAD_BYTES

JSON = "application/json"
PROBLEM = "application/problem+json"
HTML = "text/html"

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def response_ref(name: str) -> Schema:
    return {"$ref": f"#/components/responses/{name}"}


def content(schema: Schema, media: str = JSON) -> Schema:
    return {media: {"schema": schema}}


def ok(description: str, schema: Schema | None = None, media: str = JSON) -> Schema:
    out: Schema = {"description": description}
    if schema is not None or media != JSON:
        out["content"] = content(schema or {"type": "string"}, media)
    return out


def html_page(description: str) -> Schema:
    return {"description": description, "content": {HTML: {"schema": {"type": "string"}}}}


def path_param(name: str, description: str, fmt: str | None = None) -> Schema:
    schema: Schema = {"type": "string"}
    if fmt:
        schema["format"] = fmt
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


def query_param(name: str, description: str, schema: Schema) -> Schema:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


SLUG = path_param("slug", "The institution's slug (the API token must belong to it).")
CREDENTIAL_ID = path_param("credential_id", "The credential's UUID (the last part of its URL).", "uuid")
BEARER: list[Schema] = [{"bearerAuth": []}]
SESSION: list[Schema] = [{"adminSession": []}]
PUBLIC: list[Schema] = []

API_ERRORS = {
    "400": response_ref("BadRequest"),
    "401": response_ref("Unauthorized"),
    "403": response_ref("Forbidden"),
    "404": response_ref("NotFound"),
    "500": response_ref("InternalError"),
}
BODY_ERRORS = {**API_ERRORS, "413": response_ref("TooLarge")}
PUBLIC_ERRORS = {"404": response_ref("NotFound"), "500": response_ref("InternalError")}
ADMIN_FORM_ERRORS = {
    "400": {"description": "Missing or wrong CSRF token, or invalid input (HTML page)."},
    "413": response_ref("TooLarge"),
}


def operation(
    operation_id: str,
    summary: str,
    tag: str,
    responses: dict[str, Any],
    *,
    security: list[Schema] | None = None,
    body: Schema | None = None,
    parameters: list[Schema] | None = None,
    description: str | None = None,
) -> Schema:
    op: Schema = {"operationId": operation_id, "summary": summary, "tags": [tag], "responses": responses}
    if description:
        op["description"] = description
    if security is not None:
        op["security"] = security
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = body
    return op


def json_body(schema: Schema, required: bool = True) -> Schema:
    return {"required": required, "content": content(schema)}


def form_body(
    properties: dict[str, Schema], required: list[str] | None = None, media: str | None = None
) -> Schema:
    schema: Schema = {
        "type": "object",
        "properties": {
            "csrf_token": {"type": "string", "description": "The session's CSRF token."},
            **properties,
        },
        "required": ["csrf_token", *(required or [])],
    }
    return {"required": True, "content": {media or "application/x-www-form-urlencoded": {"schema": schema}}}


STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
DATE_TIME = {"type": ["string", "null"], "format": "date-time"}

SCHEMAS: dict[str, Schema] = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "description": "about:blank or urn:medcred:problem:<kind>."},
            "title": STRING,
            "status": {"type": "integer"},
            "detail": STRING,
            "errors": {"type": "array", "items": ref("RowError")},
        },
    },
    "RowError": {
        "type": "object",
        "required": ["row", "column", "reason"],
        "properties": {
            "row": {"type": "integer", "description": "Spreadsheet row number (the header is row 1)."},
            "column": STRING,
            "reason": STRING,
        },
    },
    "Credential": {
        "type": "object",
        "description": "An Open Badges 3.0 / VC 2.0 credential with its proof set (signature, then the "
        "anchor proof once anchored).",
        "additionalProperties": True,
    },
    "Links": {
        "type": "object",
        "properties": {
            k: {"type": "string", "format": "uri"}
            for k in ("self", "json", "qrPng", "qrSvg", "certificate", "verify")
        },
    },
    "CredentialSummary": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "url": {"type": "string", "format": "uri"},
            "institution": STRING,
            "template": STRING,
            "achievement": NULLABLE_STRING,
            "recipientName": NULLABLE_STRING,
            "state": {"type": "string", "enum": ["pending", "submitted", "anchored"]},
            "issuedAt": DATE_TIME,
            "validFrom": DATE_TIME,
            "validUntil": DATE_TIME,
            "revoked": {"type": "boolean"},
            "revocation": {"type": "string", "enum": ["active", "revoked", "after-anchoring", "pending"]},
            "revocationReason": NULLABLE_STRING,
            "revokedAt": DATE_TIME,
            "statusListId": STRING,
            "statusIndex": {"type": "integer"},
            "batchRoot": NULLABLE_STRING,
            "links": ref("Links"),
            "credential": ref("Credential"),
        },
    },
    "IssueRequest": {
        "type": "object",
        "required": ["template", "email"],
        "properties": {
            "template": {
                "type": "string",
                "description": "Achievement template slug (GET /api/v1/templates).",
            },
            "email": {
                "type": "string",
                "format": "email",
                "description": "Hashed with a salt into the credential.",
            },
            "name": {
                "type": "string",
                "maxLength": 200,
                "description": "Printed on the credential if the institution includes names.",
            },
            "validFrom": {
                "type": "string",
                "description": "YYYY-MM-DD or ISO 8601 date-time (default now); `valid_from` works too.",
            },
        },
    },
    "RevokeRequest": {
        "type": "object",
        "properties": {
            "reason": {
                "type": "string",
                "maxLength": 500,
                "description": "Free text; issued-in-error, superseded, misconduct, key-compromise, "
                "withdrawn "
                "also set the registry's reason code.",
            }
        },
    },
    "RevocationResult": {
        "type": "object",
        "properties": {
            "id": STRING,
            "revokedAt": DATE_TIME,
            "reason": STRING,
            "reasonCode": {"type": "integer"},
            "onChain": {"type": "string", "enum": ["revoked", "after-anchoring", "pending"]},
            "transactionHash": NULLABLE_STRING,
            "credential": ref("CredentialSummary"),
        },
    },
    "RosterUpload": {
        "type": "object",
        "required": ["file"],
        "properties": {
            "file": {
                "type": "string",
                "contentMediaType": "text/csv",
                "description": "UTF-8 CSV: email, template, name, valid_from.",
            },
            "allow_partial": {
                "type": "boolean",
                "description": "Issue the valid rows even if some rows have errors.",
            },
            "template": {"type": "string", "description": "Template for rows without one."},
        },
    },
    "RosterResult": {
        "type": "object",
        "properties": {
            "issued": {"type": "integer"},
            "totalRows": {"type": "integer"},
            "errors": {"type": "array", "items": ref("RowError")},
            "credentials": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": STRING,
                        "url": {"type": "string", "format": "uri"},
                        "row": {"type": ["integer", "null"]},
                    },
                },
            },
        },
    },
    "RosterValidation": {
        "type": "object",
        "properties": {
            "valid": {"type": "boolean"},
            "totalRows": {"type": "integer"},
            "errors": {"type": "array", "items": ref("RowError")},
        },
    },
    "Batch": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "institution": STRING,
            "root": STRING,
            "size": {"type": "integer"},
            "state": STRING,
            "transactionHash": NULLABLE_STRING,
            "blockNumber": {"type": ["integer", "null"]},
            "createdAt": DATE_TIME,
            "anchoredAt": DATE_TIME,
            "attempts": {"type": "integer"},
            "lastError": NULLABLE_STRING,
            "selfCheck": NULLABLE_STRING,
        },
    },
    "Institution": {
        "type": "object",
        "properties": {
            "slug": STRING,
            "name": STRING,
            "did": STRING,
            "ethereumAddress": STRING,
            "verificationMethod": STRING,
            "registrationState": STRING,
            "includeNames": {"type": "boolean"},
            "createdAt": DATE_TIME,
            "didWebUrl": NULLABLE_STRING,
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
    },
    "ExportRequest": {
        "type": "object",
        "description": "Either `ids` (e.g. the ids a roster upload returned) or `all: true`.",
        "properties": {
            "ids": {"type": "array", "items": {"type": "string"}, "maxItems": 100000},
            "all": {"type": "boolean"},
        },
    },
    "VcIssueRequest": {
        "type": "object",
        "required": ["credential", "options"],
        "properties": {
            "credential": {
                "type": "object",
                "description": "A partial credential: only @context, type, id (replaced), issuer (the "
                "institution's DID), validFrom and credentialSubject {type, name, email | identifier} are "
                "accepted; the template sets the achievement and validity.",
                "required": ["credentialSubject"],
                "properties": {
                    "issuer": {"oneOf": [STRING, {"type": "object", "properties": {"id": STRING}}]},
                    "validFrom": STRING,
                    "credentialSubject": {
                        "type": "object",
                        "properties": {
                            "type": {},
                            "name": STRING,
                            "email": {"type": "string", "format": "email"},
                            "identifier": {
                                "type": "array",
                                "description": 'An entry {"identityType": "emailAddress", "hashed": false, '
                                '"identityHash": "<e-mail>"} gives the e-mail (hashed before signing).',
                                "items": {"type": "object"},
                            },
                        },
                    },
                },
            },
            "options": {
                "type": "object",
                "required": ["template"],
                "properties": {
                    "template": STRING,
                    "institution": {
                        "type": "string",
                        "description": "Must be the token's institution if given.",
                    },
                },
            },
        },
    },
    "VcIssueResponse": {
        "type": "object",
        "properties": {"verifiableCredential": ref("Credential")},
    },
    "VcStatusRequest": {
        "type": "object",
        "required": ["credentialId", "credentialStatus"],
        "properties": {
            "credentialId": {"type": "string", "description": "The credential's URL, urn:uuid or UUID."},
            "credentialStatus": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["type", "status"],
                    "properties": {
                        "type": {"const": "BitstringStatusListEntry"},
                        "status": {"const": "revoked"},
                    },
                },
            },
            "reason": {"type": "string", "maxLength": 500},
        },
    },
    "VcStatusResponse": {
        "type": "object",
        "properties": {
            "credentialId": STRING,
            "credentialStatus": {"type": "array", "items": {"type": "object"}},
            "revokedAt": DATE_TIME,
            "reason": STRING,
            "onChain": STRING,
            "transactionHash": NULLABLE_STRING,
        },
    },
    "VerifyRequest": {
        "type": "object",
        "required": ["verifiableCredential"],
        "properties": {
            "verifiableCredential": ref("Credential"),
            "options": {"type": "object", "properties": {"recipient": {"type": "string", "format": "email"}}},
        },
    },
    "VerifyResponse": {
        "type": "object",
        "properties": {
            "verified": {"type": "boolean"},
            "checks": {"type": "array", "items": STRING},
            "warnings": {"type": "array", "items": {"type": "object"}},
            "errors": {"type": "array", "items": {"type": "object"}},
            "report": {"type": "object"},
        },
    },
}


def _problem_response(description: str) -> Schema:
    return {"description": description, "content": content(ref("Problem"), PROBLEM)}


RESPONSES: dict[str, Schema] = {
    "BadRequest": _problem_response(
        "Malformed or invalid input (missing field, wrong type, bad date, unknown template)."
    ),
    "Unauthorized": {
        **_problem_response("No valid API token (missing, unknown, expired or revoked)."),
        "headers": {"WWW-Authenticate": {"schema": STRING, "description": "Bearer challenge."}},
    },
    "Forbidden": _problem_response("The token belongs to another institution or lacks the scope."),
    "NotFound": _problem_response("No such resource."),
    "Conflict": _problem_response("The request clashes with the current state (e.g. already revoked)."),
    "TooLarge": _problem_response(
        f"The body is too large ({MAX_JSON_BYTES // 1024} KiB for JSON, "
        f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MiB for uploads)."
    ),
    "RosterInvalid": _problem_response(
        "The roster has errors; `errors` lists each (row, column, reason); nothing was issued."
    ),
    "ChainUnavailable": _problem_response("The chain is unreachable or refused the transaction (502/503)."),
    "InternalError": _problem_response("An unexpected error (logged; no details are given)."),
}


def _paths() -> dict[str, Schema]:
    zip_ok = {
        "description": "A ZIP: manifest.csv, credentials/*.json, qr/*.png|svg, certificates/*.pdf.",
        "content": {"application/zip": {"schema": {"type": "string", "contentMediaType": "application/zip"}}},
    }
    roster_body = {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": ref("RosterUpload")},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
    roster_query = [
        query_param(
            "allow_partial", "With a text/csv body: issue the valid rows anyway.", {"type": "boolean"}
        ),
        query_param("template", "With a text/csv body: template for rows without one.", STRING),
    ]
    return {
        "/": {
            "get": operation(
                "index",
                "Landing page",
                "pages",
                {"200": html_page("Links to the verifier and the admin UI.")},
                security=PUBLIC,
            )
        },
        "/healthz": {
            "get": operation(
                "health",
                "Health check (database reachable)",
                "pages",
                {"200": ok("OK", {"type": "object"}), "503": response_ref("ChainUnavailable")},
                security=PUBLIC,
            )
        },
        "/openapi.json": {
            "get": operation(
                "openapi",
                "This document",
                "pages",
                {"200": ok("OpenAPI 3.1", {"type": "object"})},
                security=PUBLIC,
            )
        },
        "/static/{filename}": {
            "get": operation(
                "issuerStatic",
                "Issuer UI static files (CSS, JS)",
                "pages",
                {"200": ok("The file", media="application/octet-stream"), **PUBLIC_ERRORS},
                security=PUBLIC,
                parameters=[path_param("filename", "File name.")],
            )
        },
        "/verifier-static/{filename}": {
            "get": operation(
                "verifierStatic",
                "Verifier page static files",
                "verifier",
                {"200": ok("The file", media="application/octet-stream"), **PUBLIC_ERRORS},
                security=PUBLIC,
                parameters=[path_param("filename", "File name.")],
            )
        },
        "/verify": {
            "get": operation(
                "verifyPage",
                "Verifier page; with ?credential=<URL> (what QR codes open) the verdict for that credential",
                "verifier",
                {
                    "200": html_page("The form, or the verdict."),
                    "502": html_page("The credential could not be fetched."),
                },
                security=PUBLIC,
                parameters=[
                    query_param(
                        "credential",
                        "URL of a credential to fetch and verify.",
                        {"type": "string", "format": "uri"},
                    )
                ],
            ),
            "post": operation(
                "verifySubmit",
                "Verify a pasted, uploaded or linked credential (HTML form)",
                "verifier",
                {
                    "200": html_page("The verdict."),
                    "400": html_page("Nothing to verify."),
                    "413": response_ref("TooLarge"),
                    "502": html_page("The linked credential could not be fetched."),
                },
                security=PUBLIC,
                body={
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "credential_json": STRING,
                                    "credential_file": {
                                        "type": "string",
                                        "contentMediaType": "application/json",
                                    },
                                    "credential_url": {"type": "string", "format": "uri"},
                                },
                            }
                        }
                    },
                },
            ),
        },
        "/credentials/verify": {
            "post": operation(
                "verifyCredential",
                "VC-API: verify a credential",
                "vc-api",
                {
                    "200": ok("The verification result (verified true or false).", ref("VerifyResponse")),
                    "400": response_ref("BadRequest"),
                    "413": response_ref("TooLarge"),
                },
                security=PUBLIC,
                body=json_body(ref("VerifyRequest")),
            )
        },
        "/credentials/issue": {
            "post": operation(
                "issueCredential",
                "VC-API: issue a credential",
                "vc-api",
                {
                    "201": ok("The signed credential (pending anchoring).", ref("VcIssueResponse")),
                    **BODY_ERRORS,
                },
                security=BEARER,
                body=json_body(ref("VcIssueRequest")),
                description="Needs a token with the issue scope. The partial credential maps onto the "
                "institution's template: see VcIssueRequest.",
            )
        },
        "/credentials/status": {
            "post": operation(
                "updateCredentialStatus",
                "VC-API: revoke a credential",
                "vc-api",
                {
                    "200": ok("Revoked.", ref("VcStatusResponse")),
                    "409": response_ref("Conflict"),
                    "503": response_ref("ChainUnavailable"),
                    **BODY_ERRORS,
                },
                security=BEARER,
                body=json_body(ref("VcStatusRequest")),
                description="Needs a token with the revoke scope of the issuing institution. Only 'revoked' "
                "can be set: revocation is permanent.",
            )
        },
        "/status-lists/{list_id}": {
            "get": operation(
                "getStatusList",
                "The signed BitstringStatusListCredential",
                "vc-api",
                {
                    "200": ok(
                        "The status list credential (ETag, Cache-Control public, max-age=60).",
                        ref("Credential"),
                    ),
                    "304": {"description": "Not modified (If-None-Match)."},
                    **PUBLIC_ERRORS,
                },
                security=PUBLIC,
                parameters=[path_param("list_id", "Status list id.")],
            )
        },
        "/credentials/{credential_id}": {
            "get": operation(
                "getCredentialPublic",
                "A credential's public URL: JSON for Accept application/(ld+)json, else HTML",
                "public",
                {
                    "200": {
                        "description": "The credential, or its page.",
                        "content": {
                            JSON: {"schema": ref("Credential")},
                            "application/ld+json": {"schema": ref("Credential")},
                            HTML: {"schema": STRING},
                        },
                    },
                    "304": {"description": "Not modified."},
                    **PUBLIC_ERRORS,
                },
                security=PUBLIC,
                parameters=[CREDENTIAL_ID],
            )
        },
        "/credentials/{credential_id}/credential.json": {
            "get": operation(
                "getCredentialJson",
                "The credential as JSON (download link)",
                "public",
                {
                    "200": ok("The credential.", ref("Credential")),
                    "304": {"description": "Not modified."},
                    **PUBLIC_ERRORS,
                },
                security=PUBLIC,
                parameters=[CREDENTIAL_ID],
            )
        },
        "/credentials/{credential_id}/qr.png": {
            "get": operation(
                "getQrPng",
                "QR code (PNG) opening the verifier page for the credential",
                "public",
                {"200": ok("PNG image.", media="image/png"), **PUBLIC_ERRORS},
                security=PUBLIC,
                parameters=[CREDENTIAL_ID],
            )
        },
        "/credentials/{credential_id}/qr.svg": {
            "get": operation(
                "getQrSvg",
                "QR code (SVG) opening the verifier page for the credential",
                "public",
                {"200": ok("SVG image.", media="image/svg+xml"), **PUBLIC_ERRORS},
                security=PUBLIC,
                parameters=[CREDENTIAL_ID],
            )
        },
        "/credentials/{credential_id}/certificate.pdf": {
            "get": operation(
                "getCertificate",
                "Printable PDF certificate",
                "public",
                {"200": ok("PDF.", media="application/pdf"), **PUBLIC_ERRORS},
                security=PUBLIC,
                parameters=[CREDENTIAL_ID],
            )
        },
        "/.well-known/did.json": {
            "get": operation(
                "didWebRoot",
                "DID document of the institution whose did:web is this host",
                "public",
                {"200": ok("DID document.", {"type": "object"}, "application/did+json"), **PUBLIC_ERRORS},
                security=PUBLIC,
            )
        },
        "/{did_path}/did.json": {
            "get": operation(
                "didWebPath",
                "DID document of the institution whose did:web is this host and path",
                "public",
                {"200": ok("DID document.", {"type": "object"}, "application/did+json"), **PUBLIC_ERRORS},
                security=PUBLIC,
                parameters=[path_param("did_path", "The did:web path (may contain slashes).")],
            )
        },
        "/api/v1/templates": {
            "get": operation(
                "listTemplates",
                "Achievement templates",
                "api",
                {
                    "200": ok(
                        "Templates.",
                        {
                            "type": "object",
                            "properties": {"templates": {"type": "array", "items": {"type": "object"}}},
                        },
                    )
                },
                security=PUBLIC,
            )
        },
        "/api/v1/institutions/{slug}": {
            "get": operation(
                "getInstitution",
                "The institution and its credential counts",
                "api",
                {"200": ok("Institution.", ref("Institution")), **API_ERRORS},
                security=BEARER,
                parameters=[SLUG],
            )
        },
        "/api/v1/institutions/{slug}/credentials": {
            "get": operation(
                "listCredentials",
                "The institution's credentials, newest first",
                "api",
                {
                    "200": ok(
                        "A page of credentials.",
                        {
                            "type": "object",
                            "properties": {
                                "credentials": {"type": "array", "items": ref("CredentialSummary")},
                                "limit": {"type": "integer"},
                                "offset": {"type": "integer"},
                            },
                        },
                    ),
                    **API_ERRORS,
                },
                security=BEARER,
                parameters=[
                    SLUG,
                    query_param(
                        "state",
                        "pending, submitted or anchored.",
                        {"type": "string", "enum": ["pending", "submitted", "anchored"]},
                    ),
                    query_param("revoked", "Only revoked (true) or unrevoked (false).", {"type": "boolean"}),
                    query_param(
                        "limit",
                        "Page size (1-1000, default 100).",
                        {"type": "integer", "minimum": 1, "maximum": 1000},
                    ),
                    query_param("offset", "Skip this many.", {"type": "integer", "minimum": 0}),
                ],
            ),
            "post": operation(
                "issueOne",
                "Issue one credential",
                "api",
                {
                    "201": {
                        **ok(
                            "Issued (pending anchoring); Location is its public URL.",
                            ref("CredentialSummary"),
                        ),
                        "headers": {"Location": {"schema": STRING}},
                    },
                    **BODY_ERRORS,
                },
                security=BEARER,
                parameters=[SLUG],
                body=json_body(ref("IssueRequest")),
                description="Needs the issue scope.",
            ),
        },
        "/api/v1/institutions/{slug}/credentials/{credential_id}": {
            "get": operation(
                "getCredential",
                "One credential with its state and document",
                "api",
                {"200": ok("The credential.", ref("CredentialSummary")), **API_ERRORS},
                security=BEARER,
                parameters=[SLUG, CREDENTIAL_ID],
            )
        },
        "/api/v1/institutions/{slug}/credentials/{credential_id}/revoke": {
            "post": operation(
                "revokeCredential",
                "Revoke a credential (database, status list, and on chain)",
                "api",
                {
                    "200": ok("Revoked.", ref("RevocationResult")),
                    "409": response_ref("Conflict"),
                    "503": response_ref("ChainUnavailable"),
                    **BODY_ERRORS,
                },
                security=BEARER,
                parameters=[SLUG, CREDENTIAL_ID],
                body=json_body(ref("RevokeRequest"), required=False),
                description="Needs the revoke scope.",
            )
        },
        "/api/v1/institutions/{slug}/rosters": {
            "post": operation(
                "uploadRoster",
                "Issue a course roster (CSV)",
                "api",
                {
                    "201": ok(
                        "Issued; with allow_partial, `errors` lists the rows left out.", ref("RosterResult")
                    ),
                    "422": response_ref("RosterInvalid"),
                    **BODY_ERRORS,
                },
                security=BEARER,
                parameters=[SLUG, *roster_query],
                body=roster_body,
                description="Every row is validated first. Any error: 422 with each "
                "(row, column, reason) and "
                "nothing issued, unless allow_partial. Needs the issue scope; up to 16 MiB.",
            )
        },
        "/api/v1/institutions/{slug}/rosters/validate": {
            "post": operation(
                "validateRoster",
                "Check a roster without issuing",
                "api",
                {"200": ok("The per-row report.", ref("RosterValidation")), **BODY_ERRORS},
                security=BEARER,
                parameters=[SLUG, *roster_query],
                body=roster_body,
            )
        },
        "/api/v1/institutions/{slug}/batches": {
            "get": operation(
                "listBatches",
                "Anchoring batches (root, transaction hash, block)",
                "api",
                {
                    "200": ok(
                        "Batches, newest first.",
                        {
                            "type": "object",
                            "properties": {"batches": {"type": "array", "items": ref("Batch")}},
                        },
                    ),
                    **API_ERRORS,
                },
                security=BEARER,
                parameters=[SLUG, query_param("limit", "At most this many (1-1000).", {"type": "integer"})],
            )
        },
        "/api/v1/institutions/{slug}/anchor": {
            "post": operation(
                "anchorNow",
                "Anchor everything pending now and wait for it",
                "api",
                {
                    "200": ok("The anchored batches.", {"type": "object"}),
                    "503": response_ref("ChainUnavailable"),
                    **API_ERRORS,
                },
                security=BEARER,
                parameters=[SLUG],
                description="Needs the admin scope.",
            )
        },
        "/api/v1/institutions/{slug}/exports": {
            "post": operation(
                "exportZip",
                "Batch download: a ZIP of credentials, QR codes and certificates",
                "api",
                {"200": zip_ok, **BODY_ERRORS},
                security=BEARER,
                parameters=[SLUG],
                body=json_body(ref("ExportRequest")),
            )
        },
        "/admin/login": {
            "get": operation(
                "adminLoginPage",
                "Admin login form",
                "admin",
                {"200": html_page("The form.")},
                security=PUBLIC,
            ),
            "post": operation(
                "adminLogin",
                "Log in with an admin-scoped API token",
                "admin",
                {
                    "302": {"description": "Logged in: to the dashboard (sets the session cookie)."},
                    "400": {"description": "Missing CSRF token."},
                    "401": html_page("Unknown, expired or revoked token."),
                    "403": html_page("Not an admin token."),
                },
                security=PUBLIC,
                body=form_body({"token": STRING}, ["token"]),
            ),
        },
        "/admin/logout": {
            "post": operation(
                "adminLogout",
                "Log out",
                "admin",
                {"302": {"description": "To the login page."}, "400": {"description": "Missing CSRF token."}},
                security=SESSION,
                body=form_body({}),
            )
        },
        "/admin/": {
            "get": operation(
                "adminDashboard",
                "Dashboard: counts, recent credentials, batches, issue form",
                "admin",
                {
                    "200": html_page("The dashboard."),
                    "302": {"description": "Not logged in: to the login page."},
                },
                security=SESSION,
            )
        },
        "/admin/issue": {
            "post": operation(
                "adminIssue",
                "Issue one credential (form)",
                "admin",
                {"302": {"description": "Issued: back to the dashboard."}, **ADMIN_FORM_ERRORS},
                security=SESSION,
                body=form_body(
                    {"template": STRING, "email": STRING, "name": STRING, "valid_from": STRING},
                    ["template", "email"],
                ),
            )
        },
        "/admin/credentials": {
            "get": operation(
                "adminCredentials",
                "All credentials, paged",
                "admin",
                {"200": html_page("A page of credentials.")},
                security=SESSION,
                parameters=[
                    query_param("page", "Page number.", {"type": "integer", "minimum": 1}),
                    query_param("state", "Filter by state.", STRING),
                ],
            )
        },
        "/admin/credentials/{credential_id}/revoke": {
            "post": operation(
                "adminRevoke",
                "Revoke a credential (form)",
                "admin",
                {
                    "302": {"description": "Back to the list with a message."},
                    **ADMIN_FORM_ERRORS,
                    "404": {
                        "description": "The path is not a credential UUID (an HTML page, or "
                        "problem+json for a client that asks for JSON).",
                        "content": {**content(ref("Problem"), PROBLEM), HTML: {"schema": {"type": "string"}}},
                    },
                },
                security=SESSION,
                parameters=[CREDENTIAL_ID],
                body=form_body({"reason": STRING, "next": STRING}),
            )
        },
        "/admin/anchor": {
            "post": operation(
                "adminAnchor",
                "Anchor everything pending now (form)",
                "admin",
                {"302": {"description": "Back with a message."}, **ADMIN_FORM_ERRORS},
                security=SESSION,
                body=form_body({"next": STRING}),
            )
        },
        "/admin/roster": {
            "get": operation(
                "adminRosterPage",
                "Roster upload form",
                "admin",
                {"200": html_page("The form.")},
                security=SESSION,
            ),
            "post": operation(
                "adminRoster",
                "Upload a roster (form)",
                "admin",
                {
                    "200": html_page("Issued: the result with a ZIP download."),
                    "422": html_page("The per-row error report; nothing issued."),
                    **ADMIN_FORM_ERRORS,
                },
                security=SESSION,
                body=form_body(
                    {
                        "file": {"type": "string", "contentMediaType": "text/csv"},
                        "template": STRING,
                        "allow_partial": STRING,
                    },
                    ["file"],
                    "multipart/form-data",
                ),
            ),
        },
        "/admin/export": {
            "post": operation(
                "adminExport",
                "Download a ZIP (form)",
                "admin",
                {"200": zip_ok, **ADMIN_FORM_ERRORS},
                security=SESSION,
                body=form_body(
                    {
                        "ids": {"type": "string", "description": "Ids separated by spaces."},
                        "all": {"type": "string", "enum": ["1"]},
                    }
                ),
            )
        },
    }


def openapi_document(server_url: str) -> Schema:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "MedCred issuer",
            "version": "1.0.0",
            "summary": "Issue, revoke and verify Open Badges 3.0 medical micro-credentials.",
            "description": "JSON API (bearer tokens scoped per institution and action: issue, revoke, "
            "admin), "
            "VC-API issue/status/verify, public credential pages, DID documents and the admin UI. "
            "Every API error is RFC 9457 problem+json.",
        },
        "servers": [{"url": server_url}],
        "tags": [{"name": n} for n in ("api", "vc-api", "public", "verifier", "admin", "pages")],
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "responses": RESPONSES,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "An API token (mct_...)."},
                "adminSession": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "medcred_session",
                    "description": "Set by POST /admin/login; every POST form also carries csrf_token.",
                },
            },
        },
    }
