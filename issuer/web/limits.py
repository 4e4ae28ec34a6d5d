"""Request body size limits of the issuer app (bodies themselves are validated by their models,
see verifier.web.openapi)."""

MAX_JSON_BYTES = 1024 * 1024
"""JSON request bodies: a credential request is a few KB; 1 MiB leaves room for long id lists."""
MAX_UPLOAD_BYTES = 16 * 1024 * 1024
"""Roster uploads (CSV, multipart) and the admin forms that carry long id lists."""
