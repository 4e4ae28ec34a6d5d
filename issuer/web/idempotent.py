"""The `Idempotency-Key` header on the issue endpoints (IETF draft-ietf-httpapi-idempotency-key-header).

A client that did not get an answer (a timeout, a dropped connection) sends the same request with
the same key again and gets the first answer, with `Idempotent-Replayed: true`, instead of a second
credential. The key is the institution's; the request's fingerprint (method, path, query and body)
tells a retry from a reuse of the key for another request (422). See `issuer.storage.idempotency`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import Response, make_response, request

from issuer.service import IssuerService
from issuer.storage.idempotency import StoredAnswer

HEADER = "Idempotency-Key"


def request_fingerprint() -> str:
    """SHA-256 over the method, path, query and body (multipart: its fields and files' contents)."""
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.query_string.decode("latin-1")):
        digest.update(part.encode("utf-8") + b"\0")
    if request.mimetype == "multipart/form-data":
        for name, value in sorted(request.form.items(multi=True)):
            digest.update(f"form:{name}={value}".encode() + b"\0")
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            digest.update(f"file:{name}:{upload.filename}".encode() + b"\0")
            digest.update(upload.stream.read())
            upload.stream.seek(0)
    else:
        digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def idempotent(service: IssuerService, institution: str, run: Callable[[], Any]) -> Response:
    """Answer with `run()`, unless the request carries an Idempotency-Key already answered: then
    replay that answer. Only successful answers are kept; a failure releases the key."""
    header = request.headers.get(HEADER)
    if header is None:
        return make_response(run())
    claim = service.idempotency_begin(institution, header, request_fingerprint())
    if isinstance(claim, StoredAnswer):
        replay = Response(claim.body, status=claim.status, mimetype="application/json")
        if claim.location:
            replay.headers["Location"] = claim.location
        replay.headers["Idempotent-Replayed"] = "true"
        return replay
    try:
        response = make_response(run())
    except BaseException:
        service.idempotency_release(claim)
        raise
    if 200 <= response.status_code < 300 and not response.is_streamed:
        service.idempotency_finish(
            claim, response.status_code, response.get_data(as_text=True), response.headers.get("Location")
        )
    else:
        service.idempotency_release(claim)
    return response
