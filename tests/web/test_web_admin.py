"""The admin UI: login with an admin token, session cookie flags, CSRF on every POST form,
issue, roster upload with its row report, revoke, ZIP download, logout."""

from __future__ import annotations

import io
import zipfile

from web_fixtures import WebWorld, admin_login, csrf_from

ROSTER_WITH_ERRORS = "name,email,template\nRow Two,row2@example.org,bls\nRow Three,broken-address,bls\n"


def test_login_refuses_bad_tokens_and_missing_csrf(world: WebWorld, client) -> None:
    page = client.get("/admin/login")
    assert page.status_code == 200
    csrf = csrf_from(page.text)
    no_csrf = client.post("/admin/login", data={"token": world.tokens["admin"]})
    assert no_csrf.status_code == 400
    assert client.get("/admin/").status_code == 302
    wrong = client.post("/admin/login", data={"token": "mct_nope", "csrf_token": csrf})
    assert wrong.status_code == 401 and "not valid" in wrong.text
    not_admin = client.post("/admin/login", data={"token": world.tokens["issue"], "csrf_token": csrf})
    assert not_admin.status_code == 403
    expired = client.post("/admin/login", data={"token": world.tokens["expired"], "csrf_token": csrf})
    assert expired.status_code == 401


def test_session_cookie_flags_and_logout(world: WebWorld, client) -> None:
    csrf = csrf_from(client.get("/admin/login").text)
    response = client.post("/admin/login", data={"token": world.tokens["admin"], "csrf_token": csrf})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert world.tokens["admin"] not in cookie
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200 and "Simulation Centre" in dashboard.text
    new_csrf = csrf_from(dashboard.text)
    assert new_csrf != csrf  # a fresh CSRF token after login
    assert client.post("/admin/logout", data={}).status_code == 400
    assert client.post("/admin/logout", data={"csrf_token": new_csrf}).status_code == 302
    assert client.get("/admin/").status_code == 302


def test_issue_form_needs_csrf(world: WebWorld, client) -> None:
    csrf = admin_login(client, world.tokens["admin"])
    form = {"template": "bls", "email": "form@example.org", "name": "Form Person"}
    before = world.snapshot()
    assert client.post("/admin/issue", data=form).status_code == 400
    assert client.post("/admin/issue", data={**form, "csrf_token": "forged"}).status_code == 400
    assert world.snapshot() == before
    other = world.app.test_client()
    other_csrf = admin_login(other, world.tokens["other_admin"])
    assert client.post("/admin/issue", data={**form, "csrf_token": other_csrf}).status_code == 400
    assert world.snapshot() == before

    done = client.post("/admin/issue", data={**form, "csrf_token": csrf})
    assert done.status_code == 302
    dashboard = client.get("/admin/").text
    assert "to Form Person: credential " in dashboard

    bad = client.post("/admin/issue", data={**form, "email": "nope", "csrf_token": csrf})
    assert bad.status_code == 400 and "e-mail" in bad.text
    assert 'value="nope"' in bad.text


def test_roster_upload_report_and_partial(world: WebWorld, client) -> None:
    csrf = admin_login(client, world.tokens["admin"])
    before = world.snapshot()
    upload = {"file": (io.BytesIO(ROSTER_WITH_ERRORS.encode()), "course.csv"), "csrf_token": csrf}
    report = client.post("/admin/roster", data=upload, content_type="multipart/form-data")
    assert report.status_code == 422
    assert "nothing was issued" in report.text and "broken-address" in report.text
    assert "<td>3</td><td>email</td>" in report.text
    assert world.snapshot() == before
    assert "Issue the 1 valid row(s) now" in report.text

    one_click = client.post(
        "/admin/roster",
        data={"csrf_token": csrf, "allow_partial": "on", "template": "", "roster_text": ROSTER_WITH_ERRORS},
    )
    assert one_click.status_code == 200 and "Issued 1 of 2" in one_click.text
    assert (
        client.post(
            "/admin/roster", data={"allow_partial": "on", "roster_text": ROSTER_WITH_ERRORS}
        ).status_code
        == 400
    )

    upload = {
        "file": (io.BytesIO(ROSTER_WITH_ERRORS.replace("row2@", "row2b@").encode()), "course.csv"),
        "csrf_token": csrf,
        "allow_partial": "on",
    }
    result = client.post("/admin/roster", data=upload, content_type="multipart/form-data")
    assert result.status_code == 200, result.text
    assert "Issued 1 of 2" in result.text and "Row Two" in result.text
    ids = result.text.split('name="ids" value="')[1].split('"')[0].split()
    assert len(ids) == 1
    assert 'id="download-temporary"' in result.text and "temporary files" in result.text
    temporary = client.post(
        "/admin/export", data={"ids": " ".join(ids), "csrf_token": csrf, "temporary": "1"}
    )
    with zipfile.ZipFile(io.BytesIO(temporary.data)) as zipped:
        assert {f"credentials/{ids[0]}.pending.json", "TEMPORARY.txt"} <= set(zipped.namelist())
    archive = client.post("/admin/export", data={"ids": " ".join(ids), "csrf_token": csrf})
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zipped:
        assert f"certificates/{ids[0]}.pdf" in zipped.namelist()
        # The main download button anchors first: the permanent file.
        assert f"credentials/{ids[0]}.json" in zipped.namelist() and "TEMPORARY.txt" not in zipped.namelist()


def test_revoke_and_anchor_buttons(world: WebWorld, client) -> None:
    csrf = admin_login(client, world.tokens["admin"])
    cid = world.issue("button@example.org", "Button Person")
    assert client.post("/admin/anchor", data={"csrf_token": csrf}).status_code == 302
    assert "Anchored" in client.get("/admin/").text
    assert client.post(f"/admin/credentials/{cid}/revoke", data={"reason": "superseded"}).status_code == 400
    assert not world.service.get_credential(cid).revoked
    response = client.post(
        f"/admin/credentials/{cid}/revoke",
        data={"reason": "superseded", "csrf_token": csrf, "next": "/admin/credentials"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/credentials")
    record = world.service.get_credential(cid)
    assert record.revoked and record.revocation_reason == "superseded"
    listing = client.get("/admin/credentials").text
    assert "Revoked credential" in listing
    again = client.post(f"/admin/credentials/{cid}/revoke", data={"reason": "superseded", "csrf_token": csrf})
    assert again.status_code == 302
    assert "already" in client.get("/admin/").text


def test_other_institutions_credentials_cannot_be_revoked(world: WebWorld, client) -> None:
    csrf = admin_login(client, world.tokens["admin"])
    foreign = world.issue("foreign@example.org", "Foreign", slug="other")
    client.post(f"/admin/credentials/{foreign}/revoke", data={"reason": "withdrawn", "csrf_token": csrf})
    assert not world.service.get_credential(foreign).revoked


def test_revoking_the_token_ends_the_session(world: WebWorld, client) -> None:
    token, info = world.service.create_token("sim", ["admin"], label="short-lived")
    admin_login(client, token)
    assert client.get("/admin/").status_code == 200
    world.service.revoke_token("sim", info.id)
    assert client.get("/admin/").status_code == 302


def test_admin_pages_escape_names(world: WebWorld, client) -> None:
    admin_login(client, world.tokens["admin"])
    world.issue("xss@example.org", "<script>alert(1)</script>")
    page = client.get("/admin/").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
