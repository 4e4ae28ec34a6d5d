"""The achievement catalog over HTTP: API with scopes, public URLs (JSON and page), images, and the
API's issue request with per-credential data, recipientName, validUntil and duplicate detection."""

from __future__ import annotations

import base64
import io

from PIL import Image
from web_fixtures import WebWorld

DEFINITION = {
    "starter": "acls",
    "achievement": {
        "name": "ACLS Provider (ERC 2021 guidelines)",
        "humanCode": "ACLS-ERC",
        "creditsAvailable": 12,
    },
}
HOSTILE_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)">'
    b'<script>alert(2)</script><a xlink:href="javascript:alert(3)"><circle r="40" fill="red"/></a>'
    b'<foreignObject><iframe src="https://evil.example/"/></foreignObject>'
    b'<image href="https://evil.example/track.png"/></svg>'
)


def png_bytes(size: int = 64) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def create(world: WebWorld, client, body: dict | None = None, **kwargs) -> dict:
    response = client.post(
        "/api/v1/institutions/sim/achievements",
        json=body or DEFINITION,
        headers=world.auth("admin"),
        **kwargs,
    )
    assert response.status_code == 201, response.text
    return response.get_json()


def test_catalog_api_scopes_versions_and_retire(world: WebWorld, client) -> None:
    url = "/api/v1/institutions/sim/achievements"
    before = world.snapshot()
    for token, status in (("issue", 403), ("other_admin", 403), ("expired", 401), ("revoked", 401)):
        assert client.post(url, json=DEFINITION, headers=world.auth(token)).status_code == status
    assert client.post(url, json=DEFINITION).status_code == 401
    assert world.snapshot() == before
    created = create(world, client)
    assert created["version"] == 1 and created["achievement"]["creditsAvailable"] == 12
    listed = client.get(url, headers=world.auth("issue")).get_json()["achievements"]
    assert created["id"] in [a["id"] for a in listed]
    assert client.get(url, headers=world.auth("other_admin")).status_code == 403
    shown = client.get(f"{url}/{created['id']}", headers=world.auth("revoke"))
    assert shown.status_code == 200 and shown.get_json()["url"] == created["url"]
    bad = client.post(url, json={"achievement": {"name": "x"}}, headers=world.auth("admin"))
    assert bad.status_code == 400 and "description" in bad.get_json()["detail"]

    versioned = client.post(
        f"{url}/{created['id']}/versions",
        json={**DEFINITION, "achievement": {**DEFINITION["achievement"], "creditsAvailable": 10}},
        headers=world.auth("admin"),
    )
    assert versioned.status_code == 201, versioned.text
    v2 = versioned.get_json()
    assert v2["version"] == 2 and v2["seriesId"] == created["id"]
    assert client.post(f"{url}/{created['id']}/retire", headers=world.auth("issue")).status_code == 403
    retired = client.post(f"{url}/{v2['id']}/retire", headers=world.auth("admin"))
    assert retired.status_code == 200 and retired.get_json()["state"] == "retired"
    again = client.post(f"{url}/{v2['id']}/retire", headers=world.auth("admin"))
    assert again.status_code == 409
    issue = client.post(
        "/api/v1/institutions/sim/credentials",
        json={"achievement": v2["url"], "email": "r@example.org"},
        headers=world.auth("issue"),
    )
    assert issue.status_code == 409 and "retired" in issue.get_json()["detail"]


def test_public_achievement_url_serves_json_and_a_page(world: WebWorld, client) -> None:
    created = create(world, client)
    path = created["url"].removeprefix("http://medcred.test")
    as_json = client.get(path, headers={"Accept": "application/ld+json"})
    assert as_json.status_code == 200 and as_json.mimetype == "application/ld+json"
    assert as_json.get_json() == created["achievement"]
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "ACLS Provider (ERC 2021 guidelines)" in page.text and "pass mark 84" in page.text
    assert client.get(path + ".json").get_json()["id"] == created["url"]
    template = client.get("/achievements/bls", headers={"Accept": "application/json"}).get_json()
    assert template["id"] == "http://medcred.test/achievements/bls"
    assert client.get("/achievements/no-such-thing").status_code == 404
    assert client.get("/achievements/00000000-0000-4000-8000-000000000000").status_code == 404


def test_images_are_type_checked_and_svg_sanitized(world: WebWorld, client) -> None:
    png = create(
        world,
        client,
        {**DEFINITION, "image": {"mediaType": "image/png", "data": base64.b64encode(png_bytes()).decode()}},
    )
    image = png["achievement"]["image"]
    assert image["type"] == "Image" and image["id"].endswith("/image.png")
    served = client.get(image["id"].removeprefix("http://medcred.test"))
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data == png_bytes()

    svg = client.post(
        "/api/v1/institutions/sim/achievements",
        data={
            "definition": '{"starter": "bls"}',
            "image": (io.BytesIO(HOSTILE_SVG), "badge.svg", "image/svg+xml"),
        },
        headers=world.auth("admin"),
    )
    assert svg.status_code == 201, svg.text
    served = client.get(svg.get_json()["achievement"]["image"]["id"].removeprefix("http://medcred.test"))
    assert served.mimetype == "image/svg+xml" and "sandbox" in served.headers["Content-Security-Policy"]
    body = served.data.lower()
    assert b"<circle" in body
    for hostile in (b"script", b"onload", b"javascript:", b"foreignobject", b"iframe", b"evil.example"):
        assert hostile not in body, hostile

    for data, media, reason in (
        (b"GIF89a" + b"\0" * 100, "image/png", "PNG or an SVG"),
        (png_bytes(), "image/svg+xml", "declared as image/svg+xml"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "image/png", "damaged"),
        (b"<svg" + b" " * 600_000 + b"/>", "image/svg+xml", "at most 512 KiB"),
    ):
        refused = client.post(
            "/api/v1/institutions/sim/achievements",
            json={**DEFINITION, "image": {"mediaType": media, "data": base64.b64encode(data).decode()}},
            headers=world.auth("admin"),
        )
        assert refused.status_code in (400, 413), refused.text
        if refused.status_code == 400:
            assert reason in refused.get_json()["detail"], refused.text


def test_api_issue_honours_names_validity_details_and_flags_duplicates(world: WebWorld, client) -> None:
    created = create(world, client)
    url = "/api/v1/institutions/sim/credentials"
    body = {
        "achievement": created["id"],
        "email": "grace@example.org",
        "recipientName": "Grace Hopper",
        "validFrom": "2026-04-01",
        "validUntil": "2027-04-01",
        "creditsEarned": 12,
        "result": [{"name": "Written examination", "value": "91"}],
        "evidence": [{"id": "https://lms.example.org/e/1", "narrative": "Megacode as team leader."}],
        "activityStartDate": "2026-03-30",
        "activityEndDate": "2026-03-31",
        "identifier": {"identityType": "ext:GMCNumber", "value": "7123456"},
    }
    response = client.post(url, json=body, headers=world.auth("issue"))
    assert response.status_code == 201, response.text
    answer = response.get_json()
    assert answer["recipientName"] == "Grace Hopper"
    assert answer["validUntil"] == "2027-04-01T00:00:00Z"
    credential = answer["credential"]
    assert credential["validUntil"] == "2027-04-01T00:00:00Z"
    assert credential["credentialSubject"]["result"][0]["value"] == "91"
    assert credential["evidence"][0]["narrative"] == "Megacode as team leader."

    duplicate = client.post(url, json=body, headers=world.auth("issue"))
    assert duplicate.status_code == 409
    problem = duplicate.get_json()
    assert problem["duplicates"] == [answer["id"]] and "allowDuplicate" in problem["detail"]
    confirmed = client.post(url, json={**body, "allowDuplicate": True}, headers=world.auth("issue"))
    assert confirmed.status_code == 201 and confirmed.get_json()["id"] != answer["id"]

    for change, message in (
        ({"colour": "red"}, "'colour' is not a known field"),
        ({"name": "Someone Else"}, "say different things"),
        ({"template": "acls"}, "not both"),
        ({"result": [{"name": "Written examination", "value": "50"}]}, "below the pass mark"),
    ):
        refused = client.post(url, json={**body, **change}, headers=world.auth("issue"))
        assert refused.status_code == 400 and message in refused.get_json()["detail"], refused.text
