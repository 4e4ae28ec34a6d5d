"""The issuer app's OpenAPI 3.1 document (`GET /openapi.json`), generated from the routes' declared
models (see verifier.web.openapi for how an endpoint declares itself).

Only what no route can say about itself is written here: the title, the security schemes, the
descriptions of path parameters shared by many routes, and Flask's own static-file routes.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from issuer.web.limits import MAX_JSON_BYTES, MAX_UPLOAD_BYTES
from verifier.web.openapi import openapi_document

DESCRIPTION = (
    "MedCred issuer: Open Badges 3.0 / VC 2.0 credentials signed with Data Integrity (eddsa-rdfc-2022) and "
    "anchored on an EVM registry. Errors are RFC 9457 problem+json. Bodies are limited to "
    f"{MAX_JSON_BYTES // 1024} KiB of JSON and {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB for uploads."
)
SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "An institution API token (`medcred token create`).",
    },
    "adminSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": "medcred_session",
        "description": "The admin UI's session (log in at /admin/login with an admin token).",
    },
}
PATH_PARAMETERS = {
    "slug": "The institution's slug (the API token must belong to it).",
    "credential_id": "The credential's UUID (the last part of its URL).",
    "list_id": "The status list's id.",
    "did_path": "The did:web path (did:web:host:a:b is served at /a/b/did.json).",
    "filename": "File name.",
    "achievement_id": "The achievement version's UUID (the last part of its URL).",
    "ext": "png or svg.",
}


def _static(tag: str) -> dict[str, Any]:
    return {
        "get": {
            "operationId": f"{tag}.static",
            "summary": "Static files (CSS, JS, images)",
            "tags": ["pages"],
            "parameters": [
                {"name": "filename", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": {"description": "The file", "content": {"application/octet-stream": {"schema": {}}}},
                "404": {"description": "No such file."},
            },
        }
    }


def issuer_openapi_document(app: Flask, server_url: str) -> dict[str, Any]:
    """The document for the issuer `app`, served from `server_url`."""
    return openapi_document(
        app,
        title="MedCred issuer API",
        description=DESCRIPTION,
        server_url=server_url,
        security_schemes=SECURITY_SCHEMES,
        path_parameters=PATH_PARAMETERS,
        extra_operations={
            "/static/{filename}": _static("issuer"),
            "/verifier-static/{filename}": _static("verifier"),
        },
    )
