"""Rate limits on the admin login, with Flask-Limiter: per client and per institution.

    limiter = install_login_limits(app, service)   # after the admin blueprint is registered

`POST /admin/login` is where a token can be guessed, so every attempt counts, good or bad:

- per client (its address, `request.remote_addr`): LOGIN_PER_CLIENT;
- per institution: LOGIN_PER_INSTITUTION, shared by every client. The institution is the one the
  form names (its optional `institution` field), else the one the presented token belongs to
  (revoked, expired or lacking the admin scope included). An attempt with an unknown token that
  names no institution targets none: only the per-client limit applies to it.

Over a limit the answer is 429 Too Many Requests with `Retry-After` (seconds), before the token is
even looked at. Counters are kept in this process's memory (`memory://`): each gunicorn worker
counts on its own, so N workers allow N times the figures; behind a reverse proxy, pass the client's
address through (werkzeug's ProxyFix) or every client shares the proxy's.
"""

from __future__ import annotations

from flask import Flask, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from sqlalchemy import select

from issuer.secrets import token_hash
from issuer.service import IssuerService
from issuer.storage.models import ApiToken, Institution

LOGIN_ENDPOINT = "admin.login_submit"
LOGIN_PER_CLIENT = "10 per minute;50 per hour"
LOGIN_PER_INSTITUTION = "30 per minute;300 per hour"
EXTENSION = "medcred.limiter"
_MAX_FIELD = 256
_TARGET = "_medcred_login_institution"


def install_login_limits(
    app: Flask,
    service: IssuerService,
    *,
    per_client: str = LOGIN_PER_CLIENT,
    per_institution: str = LOGIN_PER_INSTITUTION,
) -> Limiter:
    """Limit `POST /admin/login` of `app` (see the module docstring); the limiter is also kept in
    `app.extensions["medcred.limiter"]` (`.enabled = False` switches it off, e.g. in tests)."""

    def institution_key() -> str:
        return f"institution:{_institution_of_attempt(service) or ''}"

    def names_no_institution() -> bool:
        return _institution_of_attempt(service) is None

    limiter = Limiter(
        key_func=get_remote_address,
        app=app,
        storage_uri="memory://",
        headers_enabled=True,
        strategy="moving-window",
    )
    view = app.view_functions[LOGIN_ENDPOINT]
    view = limiter.limit(
        per_client,
        methods=["POST"],
        scope="login-client",
        error_message="Too many login attempts from this address: wait a few minutes, then try again.",
    )(view)
    view = limiter.limit(
        per_institution,
        methods=["POST"],
        key_func=institution_key,
        exempt_when=names_no_institution,
        scope="login-institution",
        error_message="Too many login attempts for this institution: wait a few minutes, then try again.",
    )(view)
    app.view_functions[LOGIN_ENDPOINT] = view
    app.extensions[EXTENSION] = limiter
    return limiter


def _institution_of_attempt(service: IssuerService) -> str | None:
    """The institution a login attempt is aimed at (the form's, else its token's), or None;
    looked up once per request."""
    if _TARGET not in g:
        g.setdefault(_TARGET, _look_up_institution(service))
    return g.get(_TARGET)


def _look_up_institution(service: IssuerService) -> str | None:
    named = request.form.get("institution", "").strip().lower()
    if named:
        return named[:_MAX_FIELD]
    token = request.form.get("token", "").strip()
    if not token or len(token) > _MAX_FIELD:
        return None
    with service.db.reader() as session:
        return session.scalar(
            select(Institution.slug)
            .join(ApiToken, ApiToken.institution_id == Institution.id)
            .where(ApiToken.token_hash == token_hash(token))
        )
