"""The admin UI's achievement catalog and issue form: define from a starter, edit (a new version),
retire, issue with per-credential data; hostile text is escaped on every page."""

from __future__ import annotations

import io
import re

from web_fixtures import WebWorld, admin_login

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_define_edit_issue_and_retire_in_the_admin_ui(world: WebWorld) -> None:
    client = world.client()
    csrf = admin_login(client, world.tokens["admin"])
    page = client.get("/admin/achievements")
    assert page.status_code == 200 and "Add an achievement" in page.text and "cpd" in page.text
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><circle r="5"/></svg>'
    created = client.post(
        "/admin/achievements",
        data={
            "csrf_token": csrf,
            "starter": "cpd",
            "name": "Paediatric Sedation Workshop",
            "creditsAvailable": "6",
            "humanCode": "PSW-ADMIN",
            "result_name": "Written test",
            "result_type": "Percent",
            "result_pass": "70",
            "result_max": "100",
            "image": (io.BytesIO(svg), "badge.svg", "image/svg+xml"),
        },
        content_type="multipart/form-data",
    )
    assert created.status_code == 302, created.text
    detail = client.get(created.headers["Location"])
    assert detail.status_code == 200 and "Paediatric Sedation Workshop" in detail.text
    achievement_id = created.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    info = world.service.get_achievement(achievement_id)
    assert info.document["creditsAvailable"] == 6 and info.starter == "cpd"
    assert info.document["criteria"]["narrative"].startswith("The holder completed")  # kept from the starter
    assert info.document["resultDescription"][0]["requiredValue"] == "70"
    assert "Institutions adapt" not in str(info.document)

    issued = client.post(
        "/admin/issue",
        data={
            "csrf_token": csrf,
            "achievement": f"achievement:{achievement_id}",
            "email": "sedation@example.org",
            "given_name": "Kemal",
            "family_name": "Aydın",
            "credits": "6",
            "result": "Written test=81",
            "evidence": "https://lms.example.org/k/1",
            "valid_from": "2026-07-01",
        },
    )
    assert issued.status_code == 302, issued.text
    record = world.service.list_credentials("sim", limit=1)[0]
    subject = record.document["credentialSubject"]
    assert subject["name"] == "Kemal Aydın" and subject["creditsEarned"] == 6
    assert subject["result"][0]["value"] == "81" and record.achievement_id == achievement_id
    listed = client.get(f"/admin/credentials?q={record.id}").text  # the registrar reads its name
    assert 'data-label="Achievement">Paediatric Sedation Workshop</td>' in listed
    assert 'data-label="Achievement">catalog</td>' not in listed
    again = client.post(
        "/admin/issue",
        data={
            "csrf_token": csrf,
            "achievement": f"achievement:{achievement_id}",
            "email": "sedation@example.org",
            "valid_from": "2026-07-01",
        },
    )
    assert again.status_code == 409 and "already awarded" in again.text

    edited = client.post(
        f"/admin/achievements/{achievement_id}/versions",
        data={
            "csrf_token": csrf,
            "name": "Paediatric Sedation Workshop",
            "description": info.document["description"],
            "criteria": "Attended and passed.",
            "achievementType": "Course",
            "creditsAvailable": "7",
            "result_name": "Written test",
            "result_type": "Percent",
            "result_pass": "75",
        },
        content_type="multipart/form-data",
    )
    assert edited.status_code == 302, edited.text
    v2 = world.service.get_achievement(edited.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert v2.version == 2 and v2.document["creditsAvailable"] == 7
    assert v2.document["alignment"] == info.document["alignment"]  # what the form does not show is kept
    assert v2.document["image"]["id"].endswith("/image.svg")  # the image too
    assert (
        world.service.get_credential(record.id).document["credentialSubject"]["achievement"]["version"] == "1"
    )
    retired = client.post(f"/admin/achievements/{v2.id}/retire", data={"csrf_token": csrf})
    assert retired.status_code == 302 and world.service.get_achievement(v2.id).state == "retired"
    assert f"achievement:{v2.id}" not in client.get("/admin/").text


def test_hostile_text_is_escaped_on_catalog_pages(world: WebWorld) -> None:
    created = world.client().post(
        "/api/v1/institutions/sim/achievements",
        json={"starter": "bls", "achievement": {"name": HOSTILE, "description": HOSTILE, "humanCode": HOSTILE,
                                                "tag": [HOSTILE], "criteria": {"narrative": HOSTILE}}},
        headers=world.auth("admin"),
    ).get_json()  # fmt: skip
    client = world.client()
    admin_login(client, world.tokens["admin"])
    pages = [
        client.get("/admin/achievements").text,
        client.get(f"/admin/achievements/{created['id']}").text,
        client.get("/admin/").text,
        client.get(created["url"].removeprefix("http://medcred.test"), headers={"Accept": "text/html"}).text,
    ]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html
        assert re.search(r"&lt;script&gt;alert\(|&lt;script&gt;", html)
