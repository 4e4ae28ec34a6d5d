"""Admin sessions live on the server and the login is rate-limited (issue 9), replayed as attacks:

- a cookie copied before logout opens nothing after it (it stayed valid for 8 h before);
- revoking the token ends every session opened with it;
- sessions expire (8 h after login, 30 min idle);
- brute-forcing the login from one client, or from many clients at one institution, gets 429 with
  Retry-After, while other clients and institutions log in as usual.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from web_fixtures import WebWorld, admin_login, csrf_from

from issuer.storage.admin_sessions import IDLE_SECONDS, SESSION_SECONDS
from issuer.storage.models import AdminSession, utcnow
from issuer.web.app import SESSION_COOKIE, create_app
from issuer.web.rate_limit import EXTENSION

CLIENT_LIMIT = 10  # LOGIN_PER_CLIENT: 10 per minute
INSTITUTION_LIMIT = 30  # LOGIN_PER_INSTITUTION: 30 per minute


def replay(world: WebWorld, stolen: str) -> FlaskClient:
    """A fresh client presenting a copied session cookie."""
    thief = world.client()
    thief.set_cookie(SESSION_COOKIE, stolen, domain="localhost")
    return thief


def stolen_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie(SESSION_COOKIE)
    assert cookie is not None
    return cookie.value


def sessions_of(world: WebWorld, token_id: int | None = None) -> int:
    query = select(func.count()).select_from(AdminSession)
    if token_id is not None:
        query = query.where(AdminSession.token_id == token_id)
    with world.service.db.reader() as session:
        return int(session.scalar(query) or 0)


def test_a_cookie_copied_before_logout_is_worthless_after_it(world: WebWorld) -> None:
    victim = world.client()
    csrf = admin_login(victim, world.tokens["admin"])
    stolen = stolen_cookie(victim)
    assert replay(world, stolen).get("/admin/").status_code == 200  # the copy works while the session lives
    assert victim.post("/admin/logout", data={"csrf_token": csrf}).status_code == 302
    refused = replay(world, stolen).get("/admin/")
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/admin/login")
    before = world.snapshot()
    issue = replay(world, stolen).post(
        "/admin/issue", data={"template": "bls", "email": "thief@example.org", "csrf_token": csrf}
    )
    assert issue.status_code == 302 and issue.headers["Location"].endswith("/admin/login")
    assert world.snapshot() == before
    assert victim.get("/admin/").status_code == 302


def test_the_database_keeps_no_session_secret_in_clear(world: WebWorld) -> None:
    client = world.client()
    admin_login(client, world.tokens["admin"])
    cookie = client.get_cookie(SESSION_COOKIE)
    assert cookie is not None and world.tokens["admin"] not in cookie.value
    with world.service.db.reader() as session:
        ids = list(session.scalars(select(AdminSession.id)))
    assert ids and all(len(i) == 64 for i in ids)
    from issuer.web.sessions import session_secret

    with world.app.test_request_context(headers={"Cookie": f"{SESSION_COOKIE}={cookie.value}"}):
        secret = session_secret()
    assert secret is not None and secret not in ids


def test_revoking_the_token_ends_its_sessions(world: WebWorld) -> None:
    token, info = world.service.create_token("sim", ["admin"], label="to revoke")
    first, second = world.client(), world.client()
    admin_login(first, token)
    admin_login(second, token)
    assert sessions_of(world, info.id) == 2
    world.service.revoke_token("sim", info.id)
    assert sessions_of(world, info.id) == 0
    assert first.get("/admin/").status_code == 302 and second.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    ("column", "age"),
    [
        ("expires_at", timedelta(seconds=-1)),  # 8 h after login
        ("last_seen_at", timedelta(seconds=IDLE_SECONDS + 60)),  # idle
    ],
)
def test_sessions_expire(world: WebWorld, column: str, age: timedelta) -> None:
    token, info = world.service.create_token("sim", ["admin"], label=f"expiry {column}")
    client = world.client()
    admin_login(client, token)
    with world.service.db.reader() as session:
        row = session.scalars(select(AdminSession).where(AdminSession.token_id == info.id)).one()
    assert row.expires_at - row.created_at == timedelta(seconds=SESSION_SECONDS)
    moment = utcnow() + age if column == "expires_at" else utcnow() - age
    with world.service.db.session() as session:
        session.execute(update(AdminSession).where(AdminSession.token_id == info.id).values({column: moment}))
    assert client.get("/admin/").status_code == 302


@pytest.fixture
def limited_app(world: WebWorld) -> Flask:
    """The issuer app with its login limits on (the shared test app has them off)."""
    app = create_app(world.service, world.verifier_config, secret_key=os.urandom(32))
    app.config["TESTING"] = True
    assert app.extensions[EXTENSION].enabled
    return app


def attempt(app: Flask, address: str, token: str, institution: str = "") -> tuple[int, dict[str, str]]:
    client = app.test_client()
    environ = {"REMOTE_ADDR": address}
    csrf = csrf_from(client.get("/admin/login", environ_base=environ).text)
    response = client.post(
        "/admin/login",
        data={"token": token, "institution": institution, "csrf_token": csrf},
        environ_base=environ,
    )
    return response.status_code, {**response.headers, "text": response.get_data(as_text=True)}


def test_brute_force_from_one_client_is_refused_with_429(world: WebWorld, limited_app: Flask) -> None:
    guesses = [f"mct_guess{i:04d}" for i in range(CLIENT_LIMIT + 5)]
    statuses = [attempt(limited_app, "198.51.100.7", guess)[0] for guess in guesses[:CLIENT_LIMIT]]
    assert statuses == [401] * CLIENT_LIMIT
    status, headers = attempt(limited_app, "198.51.100.7", guesses[CLIENT_LIMIT])
    assert status == 429 and int(headers["Retry-After"]) > 0
    assert "Too many login attempts from this address" in headers["text"]
    # Even the right token is refused from that client now: the guesses stopped being free.
    assert attempt(limited_app, "198.51.100.7", world.tokens["admin"])[0] == 429
    # Another client logs in as usual.
    assert attempt(limited_app, "198.51.100.8", world.tokens["admin"])[0] == 302


def test_brute_force_from_many_clients_at_one_institution_is_refused(
    world: WebWorld, limited_app: Flask
) -> None:
    statuses = [
        attempt(limited_app, f"203.0.113.{i}", f"mct_guess{i:04d}", institution="sim")[0]
        for i in range(INSTITUTION_LIMIT)
    ]
    assert statuses == [401] * INSTITUTION_LIMIT
    status, headers = attempt(limited_app, "203.0.113.200", "mct_guess-last", institution="sim")
    assert status == 429 and int(headers["Retry-After"]) > 0
    assert "Too many login attempts for this institution" in headers["text"]
    # The institution's real token, presented without naming it, counts for it too.
    assert attempt(limited_app, "203.0.113.201", world.tokens["admin"])[0] == 429
    # Another institution is not affected.
    assert attempt(limited_app, "203.0.113.202", world.tokens["other_admin"], institution="other")[0] == 302


def test_a_named_institution_must_match_the_token(world: WebWorld) -> None:
    status, _ = attempt(world.app, "192.0.2.50", world.tokens["admin"], institution="other")
    assert status == 403
    assert attempt(world.app, "192.0.2.50", world.tokens["admin"], institution="sim")[0] == 302
