"""RFC 9457 problem details: one JSON shape for every API error, and the mapping from the
service's exception classes to HTTP statuses.

The service raises `MedCredError` subclasses whose *class* says what went wrong, so the web
layer never parses messages. Anything that is not a `MedCredError` is a bug: it is logged with
its traceback and answered with a generic 500 that leaks nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response, json, request

from issuer.chain.transactions import TransactionRevertedError
from issuer.issuance import DuplicateError, RosterError
from issuer.storage.database import DatabaseError
from issuer.storage.errors import ConflictError, ForbiddenError, NotFoundError, UnauthorizedError
from issuer.storage.idempotency import KeyReusedError
from verifier.errors import ChainError, InputError, MedCredError

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:medcred:problem:"
BEARER_CHALLENGE = 'Bearer realm="medcred"'

API_PREFIXES = (
    "/api/",
    "/credentials/issue",
    "/credentials/status",
    "/credentials/verify",
    "/presentations/verify",
    "/status-lists/",
)
"""Paths whose errors are always problem+json, whatever the Accept header says."""


@dataclass(frozen=True)
class Problem:
    status: int
    title: str
    detail: str
    kind: str = ""
    """Short name appended to TYPE_PREFIX; empty for `about:blank` (the plain HTTP meaning)."""
    errors: list[dict[str, Any]] | None = None
    """Row errors of a roster (`row_errors`): the documented `RowError` shape, nothing else."""
    headers: Mapping[str, str] | None = None
    duplicates: list[str] | None = None
    """A duplicate's existing credentials (ids), an extension member of its own (RFC 9457 §3.2)."""

    @property
    def type(self) -> str:
        return f"{TYPE_PREFIX}{self.kind}" if self.kind else "about:blank"

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        if self.duplicates is not None:
            body["duplicates"] = self.duplicates
        return body


def problem_response(problem: Problem) -> Response:
    response = Response(
        json.dumps(problem.body(), ensure_ascii=False), status=problem.status, mimetype=PROBLEM_JSON
    )
    for name, value in (problem.headers or {}).items():
        response.headers[name] = value
    return response


def row_errors(errors: Iterable[Any]) -> list[dict[str, Any]]:
    """RowError objects as JSON: {row, column, reason}."""
    return [{"row": e.row, "column": e.column, "reason": e.reason} for e in errors]


def problem_for(exc: MedCredError) -> Problem:
    """The answer to a service error, by its class (the table in issuer.storage.errors)."""
    detail = str(exc) or exc.__class__.__name__
    if isinstance(exc, RosterError):
        return Problem(422, "The roster has errors", detail, "roster-invalid", row_errors(exc.errors))
    if isinstance(exc, KeyReusedError):
        return Problem(422, "Idempotency-Key reused", detail, "idempotency-key-reused")
    if isinstance(exc, InputError):
        return Problem(400, "Invalid request", detail, "invalid-input")
    if isinstance(exc, UnauthorizedError):
        return Problem(
            401,
            "Authentication required",
            detail,
            "unauthorized",
            headers={"WWW-Authenticate": f'{BEARER_CHALLENGE}, error="invalid_token"'},
        )
    if isinstance(exc, ForbiddenError):
        return Problem(403, "Not allowed", detail, "forbidden")
    if isinstance(exc, NotFoundError):
        return Problem(404, "Not found", detail, "not-found")
    if isinstance(exc, DuplicateError):
        found = [str(d) for d in exc.duplicates]
        return Problem(409, "Already issued", detail, "duplicate", duplicates=found)
    if isinstance(exc, ConflictError):
        return Problem(409, "Conflict", detail, "conflict")
    if isinstance(exc, TransactionRevertedError):
        return Problem(502, "The chain refused the transaction", detail, "chain-refused")
    if isinstance(exc, ChainError):
        return Problem(
            503, "The chain is unavailable", detail, "chain-unavailable", headers={"Retry-After": "30"}
        )
    if isinstance(exc, DatabaseError):
        return Problem(
            503,
            "The database is unavailable",
            "The request could not be completed; try again shortly.",
            "database-unavailable",
            headers={"Retry-After": "5"},
        )
    return internal_problem()


def internal_problem() -> Problem:
    return Problem(
        500,
        "Internal server error",
        "The server could not complete the request. The error has been logged.",
        "internal",
    )


def wants_problem_json() -> bool:
    """Whether this request's errors are answered as problem+json rather than an HTML page."""
    if request.path.startswith(API_PREFIXES) or request.path.endswith(".json"):
        return True
    if request.headers.get("Authorization"):
        return True
    accept = request.accept_mimetypes
    best = accept.best_match(["text/html", "application/json", PROBLEM_JSON, "application/ld+json"])
    return best is not None and best != "text/html" and accept[best] > accept["text/html"]
