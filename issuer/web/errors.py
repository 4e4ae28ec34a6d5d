"""Error answers: problem+json for API clients, an HTML page for browsers, never a traceback.

Service errors map by class (issuer.web.problems); HTTP errors raised by Flask/werkzeug (404,
405, 413, a body that is not JSON...) keep their status; the database being unreachable (server
restarting, connection dropped, pool exhausted, SQLite busy) is a 503 with Retry-After, because
the same request will work once it is back (the engine re-checks connections before use, so the
process recovers by itself); anything else is a bug: logged with its traceback and answered with
a generic 500.
"""

from __future__ import annotations

from flask import Flask, Response, render_template
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

from issuer.storage.database import UNREACHABLE, DatabaseError
from issuer.web.problems import (
    BEARER_CHALLENGE,
    Problem,
    internal_problem,
    problem_for,
    problem_response,
    wants_problem_json,
)
from verifier.errors import MedCredError


def is_unavailable(exc: DBAPIError) -> bool:
    """Whether a driver error means "cannot reach the database now" rather than a bug in a query."""
    return isinstance(exc, UNREACHABLE) or exc.connection_invalidated


def answer(problem: Problem) -> Response:
    if wants_problem_json():
        return problem_response(problem)
    page = render_template("error.html", problem=problem)
    response = Response(page, status=problem.status, mimetype="text/html")
    for name, value in (problem.headers or {}).items():
        response.headers[name] = value
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(MedCredError)
    def service_error(exc: MedCredError) -> Response:
        problem = problem_for(exc)
        if problem.status >= 500:
            app.logger.error("%s: %s", exc.__class__.__name__, exc)
        return answer(problem)

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError) -> Response:
        if not is_unavailable(exc):
            return unexpected(exc)
        app.logger.warning("The database is unavailable: %s", str(exc.orig or exc).splitlines()[0])
        return answer(problem_for(DatabaseError("The database is unavailable.")))

    @app.errorhandler(PoolTimeoutError)
    def pool_exhausted(exc: PoolTimeoutError) -> Response:
        app.logger.warning("No database connection free: %s", exc)
        return answer(problem_for(DatabaseError("No database connection free.")))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        headers = {}
        allowed = getattr(exc, "valid_methods", None)
        if status == 405 and allowed:
            headers["Allow"] = ", ".join(sorted(allowed))
        if status == 401:
            headers["WWW-Authenticate"] = BEARER_CHALLENGE
        if status >= 500:
            return answer(internal_problem())
        return answer(Problem(status, exc.name, exc.description or exc.name, headers=headers))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        app.logger.exception("Unexpected error answering a request", exc_info=exc)
        return answer(internal_problem())
