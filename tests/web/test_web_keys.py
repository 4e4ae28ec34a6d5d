"""Key rotation and retirement over the JSON API: admin scope only, same outcomes as the CLI."""

from __future__ import annotations

from web_fixtures import WebWorld


def test_keys_rotate_and_retire_over_the_api(world: WebWorld, client) -> None:
    service = world.service
    service.create_institution("Web Nursing School", slug="webns", did_web="webns.example")
    admin = {"Authorization": f"Bearer {service.create_token('webns', ['admin'])[0]}"}
    issuer = {"Authorization": f"Bearer {service.create_token('webns', ['issue'])[0]}"}

    listed = client.get("/api/v1/institutions/webns/keys", headers=admin)
    assert listed.status_code == 200, listed.text
    (first,) = listed.get_json()["keys"]
    assert first["current"] and first["verificationMethod"].endswith("#key-1")

    for path in ("keys", "keys/rotate", "keys/retire"):  # an issue-scope token may not touch keys
        method = client.get if path == "keys" else client.post
        refused = method(f"/api/v1/institutions/webns/{path}", headers=issuer, json={"key": "key-1"})
        assert refused.status_code == 403, (path, refused.text)
    assert client.post("/api/v1/institutions/webns/keys/rotate").status_code == 401
    assert client.post("/api/v1/institutions/sim/keys/rotate", headers=admin).status_code == 403

    issued = service.issue("webns", "acls", "kept@example.org")
    rotated = client.post("/api/v1/institutions/webns/keys/rotate", headers=admin)
    assert rotated.status_code == 200, rotated.text
    change = rotated.get_json()
    assert change["retiredKey"] == first["keyId"] and change["newKey"] and change["retiredUntil"]
    assert service.get_credential(issued.id).state == "anchored"  # what the old key signed, first

    late = service.issue("webns", "bls", "late@example.org")
    service.anchor_now("webns")
    retired = client.post(
        "/api/v1/institutions/webns/keys/retire", headers=admin, json={"key": "key-2", "asOf": "2000-01-01"}
    )
    assert retired.status_code == 400, retired.text  # before the key existed: a sentence, not a 500
    key2 = client.get("/api/v1/institutions/webns/keys", headers=admin).get_json()["keys"][0]
    assert key2["verificationMethod"].endswith("#key-2")
    retired = client.post(  # compromised from the start: everything it signed is listed
        "/api/v1/institutions/webns/keys/retire",
        headers=admin,
        json={"key": "key-2", "asOf": key2["validFrom"]},
    )
    assert retired.status_code == 200, retired.text
    assert [a["id"] for a in retired.get_json()["affected"]] == [late.id]
    keys = client.get("/api/v1/institutions/webns/keys", headers=admin).get_json()["keys"]
    assert [k["verificationMethod"].split("#")[1] for k in keys] == ["key-3", "key-2", "key-1"]

    sim_admin = world.auth("admin")
    did_key = client.post("/api/v1/institutions/sim/keys/rotate", headers=sim_admin)
    assert did_key.status_code == 409 and "did:key" in did_key.get_json()["detail"]


def test_keys_page_rotates_and_retires(world: WebWorld, client) -> None:
    from web_fixtures import admin_login

    service = world.service
    service.create_institution("Web Paramedic College", slug="webpc", did_web="webpc.example")
    csrf = admin_login(client, service.create_token("webpc", ["admin"])[0])
    page = client.get("/admin/keys")
    assert page.status_code == 200 and 'id="rotate-key"' in page.text and "current" in page.text
    assert client.post("/admin/keys/rotate", data={}).status_code == 400  # no CSRF token
    rotated = client.post("/admin/keys/rotate", data={"csrf_token": csrf}, follow_redirects=True)
    assert rotated.status_code == 200 and "New signing key" in rotated.text
    assert "key-2" in rotated.text and "key-1" in rotated.text
    issued = service.issue("webpc", "acls", "x@example.org", name="Listed Again")
    service.anchor_now("webpc")
    admin = {"Authorization": f"Bearer {service.create_token('webpc', ['admin'])[0]}"}
    listed = client.get("/api/v1/institutions/webpc/keys", headers=admin).get_json()["keys"]
    key2 = next(k for k in listed if k["current"])
    retired = client.post(
        "/admin/keys/retire", data={"csrf_token": csrf, "key": "key-2", "as_of": key2["validFrom"]}
    )
    assert retired.status_code == 200 and 'id="retired"' in retired.text
    assert "Listed Again" in retired.text and issued.id in retired.text
    bad = client.post("/admin/keys/retire", data={"csrf_token": csrf, "key": "key-9"}, follow_redirects=True)
    assert "was not retired" in bad.text
