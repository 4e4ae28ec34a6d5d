"""Authorization matrix, problem+json for every error, security headers, HTML escaping, did:web."""

from __future__ import annotations

import io
import os

import pytest
from web_fixtures import WebWorld

from issuer.web.app import create_app

PROBLEM = "application/problem+json"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ROSTER = "name,email,template\nA Person,a.person@example.org,bls\n"


@pytest.fixture(scope="module")
def target(world: WebWorld) -> dict[str, str]:
    """An anchored credential of 'sim' (to revoke) and a pending one (for anchoring to change)."""
    anchored = world.issue("target@example.org", "Target Person")
    world.service.anchor_now("sim")
    world.issue("pending@example.org", "Pending Person")
    return {"anchored": anchored}


def state_changing(target: dict[str, str]) -> list[tuple[str, str, dict, str]]:
    """(method, path, request kwargs, scope needed) for every state-changing API endpoint."""
    cid = target["anchored"]
    return [
        (
            "POST",
            "/api/v1/institutions/sim/credentials",
            {"json": {"template": "acls", "email": "x@example.org"}},
            "issue",
        ),
        (
            "POST",
            f"/api/v1/institutions/sim/credentials/{cid}/revoke",
            {"json": {"reason": "withdrawn"}},
            "revoke",
        ),
        ("POST", "/api/v1/institutions/sim/rosters", {"data": ROSTER, "content_type": "text/csv"}, "issue"),
        ("POST", "/api/v1/institutions/sim/anchor", {}, "admin"),
        (
            "POST",
            "/credentials/issue",
            {
                "json": {
                    "credential": {"credentialSubject": {"email": "y@example.org"}},
                    "options": {"template": "acls", "institution": "sim"},
                }
            },
            "issue",
        ),
        (
            "POST",
            "/credentials/status",
            {
                "json": {
                    "credentialId": cid,
                    "credentialStatus": [{"type": "BitstringStatusListEntry", "status": "revoked"}],
                }
            },
            "revoke",
        ),
    ]


WRONG_SCOPE = {"issue": "revoke", "revoke": "issue", "admin": "issue"}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


@pytest.mark.parametrize("index", range(6))
@pytest.mark.parametrize(
    ("credential", "status"),
    [
        (None, 401),
        ("Basic dXNlcjpwYXNz", 401),
        ("Bearer mct_unknown_token", 401),
        ("expired", 401),
        ("revoked", 401),
        ("other_admin", 403),
        ("wrong_scope", 403),
    ],
)
def test_authorization_matrix(
    world: WebWorld, client, target, index: int, credential: str | None, status: int
) -> None:
    method, path, kwargs, scope = state_changing(target)[index]
    headers = {}
    if credential in ("expired", "revoked", "other_admin"):
        headers = world.auth(credential)
    elif credential == "wrong_scope":
        headers = world.auth(WRONG_SCOPE[scope])
    elif credential is not None:
        headers = {"Authorization": credential}
    before = world.snapshot()
    response = client.open(path, method=method, headers=headers, **kwargs)
    assert_problem(response, status)
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert world.snapshot() == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/institutions/sim",
        "/api/v1/institutions/sim/credentials",
        "/api/v1/institutions/sim/batches",
    ],
)
def test_reads_need_a_token_of_that_institution(world: WebWorld, client, path: str) -> None:
    assert_problem(client.get(path), 401)
    assert_problem(client.get(path, headers=world.auth("other_admin")), 403)
    assert client.get(path, headers=world.auth("revoke")).status_code == 200


def test_export_needs_a_token(world: WebWorld, client, target) -> None:
    assert_problem(client.post("/api/v1/institutions/sim/exports", json={"ids": [target["anchored"]]}), 401)


def test_bad_input_is_never_a_500(world: WebWorld, client) -> None:
    issue = "/api/v1/institutions/sim/credentials"
    auth = world.auth("issue")
    cases = [
        (client.post(issue, data="{not json", headers=auth, content_type="application/json"), 400),
        (client.post(issue, data="", headers=auth), 400),
        (client.post(issue, json=["a", "list"], headers=auth), 400),
        (client.post(issue, json={"template": "acls"}, headers=auth), 400),
        (client.post(issue, json={"template": 5, "email": "a@example.org"}, headers=auth), 400),
        (client.post(issue, json={"template": "acls", "email": ["a@example.org"]}, headers=auth), 400),
        (client.post(issue, json={"template": "acls", "email": "not-an-email"}, headers=auth), 400),
        (
            client.post(
                issue,
                json={"template": "acls", "email": "a@example.org", "validFrom": "31/02/2026"},
                headers=auth,
            ),
            400,
        ),
        (
            client.post(
                issue,
                json={"template": "acls", "email": "a@example.org", "validFrom": "2026-02-31"},
                headers=auth,
            ),
            400,
        ),
        (
            client.post(issue, json={"template": "no-such-course", "email": "a@example.org"}, headers=auth),
            400,
        ),
        (
            client.post(
                issue, json={"template": "acls", "email": "a@example.org", "name": "x" * 300}, headers=auth
            ),
            400,
        ),
        (client.post(issue, data=b"\xff\xfe\x00garbage", headers=auth, content_type="application/json"), 400),
        (
            client.post(
                issue, data="[" * 100_000 + "]" * 100_000, headers=auth, content_type="application/json"
            ),
            400,
        ),
        (client.post("/credentials/issue", data='{"a":' * 50_000 + "1" + "}" * 50_000, headers=auth), 400),
        (client.post("/credentials/issue", json={"credential": "nope"}, headers=auth), 400),
        (
            client.post(
                "/credentials/issue",
                json={"credential": {"credentialSubject": {}}, "options": {"template": "acls"}},
                headers=auth,
            ),
            400,
        ),
        (
            client.post(
                "/credentials/issue",
                json={
                    "credential": {"credentialSubject": {"email": "a@example.org", "achievement": {}}},
                    "options": {"template": "acls"},
                },
                headers=auth,
            ),
            400,
        ),
        (client.post("/credentials/status", json={"credentialId": "x"}, headers=world.auth("revoke")), 400),
        (
            client.post(
                "/credentials/status",
                json={
                    "credentialId": "nonsense",
                    "credentialStatus": [{"type": "BitstringStatusListEntry", "status": "revoked"}],
                },
                headers=world.auth("revoke"),
            ),
            404,
        ),
        (client.get("/api/v1/institutions/sim/credentials?limit=abc", headers=auth), 400),
        (client.get("/api/v1/institutions/sim/credentials?state=weird", headers=auth), 400),
        (client.get("/api/v1/institutions/sim/credentials?revoked=maybe", headers=auth), 400),
        (
            client.post("/api/v1/institutions/sim/rosters", data="", headers=auth, content_type="text/csv"),
            400,
        ),
        (
            client.post(
                "/api/v1/institutions/sim/rosters",
                data=b"\xff\xfe bad",
                headers=auth,
                content_type="text/csv",
            ),
            422,
        ),
        (
            client.post(
                "/api/v1/institutions/sim/rosters?allow_partial=perhaps",
                data=ROSTER,
                headers=auth,
                content_type="text/csv",
            ),
            400,
        ),
        (
            client.post(
                "/api/v1/institutions/sim/exports",
                json={"ids": "00000000-0000-0000-0000-000000000000"},
                headers=auth,
            ),
            404,
        ),
        (client.post("/api/v1/institutions/sim/exports", json={"ids": [1, 2]}, headers=auth), 400),
        (client.post("/api/v1/institutions/sim/exports", json={}, headers=auth), 400),
        (client.post("/credentials/verify", data="{", content_type="application/json"), 400),
    ]
    for response, status in cases:
        assert response.status_code == status, (response.request.path, response.text)
        assert response.mimetype == PROBLEM, response.request.path
        assert response.get_json()["status"] == status


def test_http_errors_are_problems(world: WebWorld, client) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404)
    assert_problem(
        client.get(
            "/credentials/00000000-0000-0000-0000-000000000000", headers={"Accept": "application/json"}
        ),
        404,
    )
    assert_problem(client.get("/status-lists/no-such-list"), 404)
    not_allowed = assert_problem(client.get("/credentials/issue"), 405)
    assert not_allowed["title"]
    assert "POST" in client.get("/credentials/issue").headers["Allow"]
    assert_problem(client.put("/api/v1/institutions/sim/credentials", headers=world.auth("issue")), 405)
    huge = b'{"template": "acls", "email": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    assert_problem(
        client.post(
            "/api/v1/institutions/sim/credentials",
            data=huge,
            headers=world.auth("issue"),
            content_type="application/json",
        ),
        413,
    )
    big_roster = b"email,template\n" + b"x@example.org,bls\n" * (17 * 1024 * 1024 // 18)
    assert_problem(
        client.post(
            "/api/v1/institutions/sim/rosters",
            data=big_roster,
            headers=world.auth("issue"),
            content_type="text/csv",
        ),
        413,
    )


def test_browser_errors_are_html_pages(client) -> None:
    page = client.get("/no/such/page", headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Not Found" in page.text
    missing = client.get(
        "/credentials/00000000-0000-0000-0000-000000000000", headers={"Accept": BROWSER_ACCEPT}
    )
    assert missing.status_code == 404 and missing.mimetype == "text/html"


def test_unexpected_errors_are_a_generic_500(world: WebWorld, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(world.service, world.verifier_config, secret_key=os.urandom(32))

    @app.get("/api/v1/boom")
    def boom() -> str:
        raise RuntimeError("secret internal detail /etc/passwd")

    response = app.test_client().get("/api/v1/boom")
    body = assert_problem(response, 500)
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert body["title"] == "Internal server error"
    assert any("secret internal detail" in r.getMessage() or r.exc_info for r in caplog.records)
    page = app.test_client().get("/api/v1/boom", headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == 500 and "secret" not in page.text


def test_security_headers_on_every_page(world: WebWorld, client, target) -> None:
    cid = target["anchored"]
    paths = [
        "/",
        "/verify",
        "/admin/login",
        "/openapi.json",
        "/healthz",
        f"/credentials/{cid}",
        f"/credentials/{cid}/credential.json",
        f"/credentials/{cid}/qr.png",
        f"/credentials/{cid}/qr.svg",
        f"/credentials/{cid}/certificate.pdf",
        "/static/issuer.css",
        "/no-such-page",
        "/api/v1/institutions/sim/credentials",
    ]
    for path in paths:
        for accept in (BROWSER_ACCEPT, "application/json"):
            response = client.get(path, headers={"Accept": accept})
            assert response.status_code != 500, path
            csp = response.headers.get("Content-Security-Policy", "")
            assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
            assert "unsafe-inline" not in csp
            assert response.headers["X-Content-Type-Options"] == "nosniff", path
            assert response.headers["Referrer-Policy"] == "no-referrer", path


def test_html_is_escaped(world: WebWorld, client) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    cid = world.issue("evil@example.org", evil)
    page = client.get(f"/credentials/{cid}", headers={"Accept": BROWSER_ACCEPT}).text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page
    assert "<script" not in page.replace('<script src="/static/issuer.js"></script>', "")
    assert "<style" not in page and " style=" not in page
    # the JSON keeps the name as data
    document = client.get(f"/credentials/{cid}", headers={"Accept": "application/json"}).get_json()
    assert document["credentialSubject"]["name"] == evil


def test_roster_upload_problem_lists_rows(world: WebWorld, client) -> None:
    roster = "email,template\nok@example.org,bls\nbroken,bls\n"
    response = client.post(
        "/api/v1/institutions/sim/rosters",
        data={"file": (io.BytesIO(roster.encode()), "r.csv"), "allow_partial": "false"},
        headers=world.auth("issue"),
    )
    body = assert_problem(response, 422)
    assert body["errors"] == [{"row": 3, "column": "email", "reason": body["errors"][0]["reason"]}]


def test_did_web_documents(world: WebWorld) -> None:
    world.service.create_institution("Web Institution", slug="webinst", did_web="medcred.test/issuers/web")
    client = world.app.test_client()
    document = client.get("/issuers/web/did.json", base_url="http://medcred.test")
    assert document.status_code == 200, document.text
    assert document.get_json()["id"] == "did:web:medcred.test:issuers:web"
    assert_problem(client.get("/.well-known/did.json", base_url="http://medcred.test"), 404)
    assert_problem(client.get("/issuers/web/did.json", base_url="http://elsewhere.test"), 404)


def test_another_institutions_credential_is_forbidden(world: WebWorld, client) -> None:
    foreign = world.issue("foreign.api@example.org", "Foreign Api", slug="other")
    before = world.snapshot()
    revoke = client.post(
        f"/api/v1/institutions/sim/credentials/{foreign}/revoke", json={}, headers=world.auth("revoke")
    )
    assert_problem(revoke, 403)
    status = client.post(
        "/credentials/status",
        json={
            "credentialId": foreign,
            "credentialStatus": [{"type": "BitstringStatusListEntry", "status": "revoked"}],
        },
        headers=world.auth("revoke"),
    )
    assert_problem(status, 403)
    assert_problem(
        client.get(f"/api/v1/institutions/sim/credentials/{foreign}", headers=world.auth("admin")), 403
    )
    assert world.snapshot() == before
