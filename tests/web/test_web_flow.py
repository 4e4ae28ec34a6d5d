"""Issue -> anchor -> public JSON/HTML/QR/PDF -> verified VALID; revoke -> INVALID and the status
list bit set; rosters with errors; the batch ZIP. Real service, real in-process chain."""

from __future__ import annotations

import io
import json
import zipfile
from urllib.parse import parse_qs, urlparse

import zxingcpp
from PIL import Image
from pypdf import PdfReader
from web_fixtures import PUBLIC_URL, WebWorld

from verifier.data_integrity import is_anchor_proof
from verifier.status_list import status_bit

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def verify(client, credential: dict) -> dict:
    response = client.post("/credentials/verify", json={"verifiableCredential": credential})
    body = response.get_json()
    assert response.status_code == (200 if body["verified"] else 422)  # VC API: 4xx when not verified
    return body


def test_issue_anchor_publish_and_verify(world: WebWorld, client) -> None:
    response = client.post(
        "/api/v1/institutions/sim/credentials",
        json={"template": "acls", "email": "jane@example.org", "name": "Jane Doe", "validFrom": "2026-01-15"},
        headers=world.auth("issue"),
    )
    assert response.status_code == 201, response.text
    issued = response.get_json()
    uuid = issued["id"]
    url = issued["url"]
    assert url == f"{PUBLIC_URL}/credentials/{uuid}" == issued["credential"]["id"]
    assert response.headers["Location"] == url
    assert issued["state"] == "pending"
    assert issued["credential"]["validFrom"].startswith("2026-01-15")
    # The answer hands out a document before anchoring: it says so.
    assert issued["temporary"] is True and "temporary" in issued["note"]
    # Its id answers with its current form: not anchored yet is a 200 without an anchor proof,
    # an unknown id a 404 (what the verifier's PENDING / INVALID decision reads).
    before = client.get(urlparse(url).path, headers={"Accept": "application/ld+json"}).get_json()
    assert before["proof"] == issued["credential"]["proof"]
    assert not any(is_anchor_proof(p) for p in before["proof"])
    json_only = {"Accept": "application/json"}
    unknown = client.get("/credentials/00000000-0000-4000-8000-000000000000", headers=json_only)
    assert unknown.status_code == 404

    anchored = client.post("/api/v1/institutions/sim/anchor", headers=world.auth("admin"))
    assert anchored.status_code == 200, anchored.text
    assert sum(b["size"] for b in anchored.get_json()["anchored"]) >= 1

    path = urlparse(url).path
    document = client.get(path, headers={"Accept": "application/json"})
    assert document.status_code == 200
    assert document.mimetype == "application/json"
    credential = document.get_json()
    assert credential["id"] == url
    assert any(is_anchor_proof(p) for p in credential["proof"])
    assert client.get(path, headers={"Accept": "application/ld+json"}).mimetype == "application/ld+json"
    assert client.get(f"{path}/credential.json").get_json() == credential

    page = client.get(path, headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.text
    for expected in ("Jane Doe", "Advanced Cardiac Life Support", "Simulation Centre", "anchored"):
        assert expected in html
    assert (
        f"{path}/certificate.pdf" in html
        and f"{path}/credential.json" in html
        and "/verify?credential=" in html
    )
    assert "REVOKED" not in html

    verify_link = f"{PUBLIC_URL}/verify?credential="
    png = client.get(f"{path}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert decoded and decoded[0].text.startswith(verify_link)
    assert parse_qs(urlparse(decoded[0].text).query)["credential"] == [url]
    svg = client.get(f"{path}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data

    pdf = client.get(f"{path}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert "Jane Doe" in text

    result = verify(client, credential)
    assert result["verified"] is True, result["errors"]
    assert result["report"]["status"] == "VALID"


def test_revoke_makes_it_invalid_and_sets_the_status_bit(world: WebWorld, client) -> None:
    uuid = world.issue("revoke-me@example.org", "Rex Voked")
    world.service.anchor_now("sim")
    path = f"/credentials/{uuid}"
    before = client.get(path, headers={"Accept": "application/json"}).get_json()
    entry = before["credentialStatus"]
    list_path = urlparse(entry["statusListCredential"]).path
    assert status_bit(entry, client.get(list_path).get_json()) is False
    assert verify(client, before)["verified"] is True

    response = client.post(
        f"/api/v1/institutions/sim/credentials/{uuid}/revoke",
        json={"reason": "issued-in-error"},
        headers=world.auth("revoke"),
    )
    assert response.status_code == 200, response.text
    outcome = response.get_json()
    assert outcome["onChain"] == "revoked" and outcome["transactionHash"]
    assert outcome["reasonCode"] == 1

    status_list = client.get(list_path)
    assert status_list.status_code == 200
    assert "public" in status_list.headers["Cache-Control"] and status_list.headers["ETag"]
    assert status_bit(entry, status_list.get_json()) is True
    assert client.get(list_path, headers={"If-None-Match": status_list.headers["ETag"]}).status_code == 304

    after = client.get(path, headers={"Accept": "application/json"}).get_json()
    result = verify(client, after)
    assert result["verified"] is False and result["report"]["status"] == "INVALID"
    assert any(e["code"] == "revoked" for e in result["errors"]), result["errors"]

    page = client.get(path, headers={"Accept": BROWSER_ACCEPT}).text
    assert "REVOKED" in page and "issued-in-error" in page

    again = client.post(
        f"/api/v1/institutions/sim/credentials/{uuid}/revoke", json={}, headers=world.auth("revoke")
    )
    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"


def test_vc_api_issue_and_status(world: WebWorld, client) -> None:
    did = world.service.get_institution("sim").did
    response = client.post(
        "/credentials/issue",
        json={
            "credential": {
                "@context": [
                    "https://www.w3.org/ns/credentials/v2",
                    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
                ],
                "type": ["VerifiableCredential", "OpenBadgeCredential"],
                "issuer": {"id": did},
                "credentialSubject": {
                    "type": ["AchievementSubject"],
                    "name": "Vic Api",
                    "identifier": [
                        {"identityType": "emailAddress", "hashed": False, "identityHash": "vic@example.org"}
                    ],
                },
            },
            "options": {"template": "pals"},
        },
        headers=world.auth("issue"),
    )
    assert response.status_code == 201, response.text
    credential = response.get_json()["verifiableCredential"]
    assert credential["credentialSubject"]["name"] == "Vic Api"
    assert "vic@example.org" not in json.dumps(credential)
    assert credential["credentialSubject"]["achievement"]["name"].startswith("Pediatric")

    wrong_issuer = client.post(
        "/credentials/issue",
        json={
            "credential": {"issuer": "did:key:z6Mkforeign", "credentialSubject": {"email": "x@example.org"}},
            "options": {"template": "acls"},
        },
        headers=world.auth("issue"),
    )
    assert wrong_issuer.status_code == 400

    status = client.post(
        "/credentials/status",
        json={
            "credentialId": credential["id"],
            "credentialStatus": [{"type": "BitstringStatusListEntry", "status": "revoked"}],
        },
        headers=world.auth("revoke"),
    )
    assert status.status_code == 200, status.text
    assert status.get_json()["onChain"] == "after-anchoring"
    record = world.service.get_credential(credential["id"])
    assert record.revoked

    unrevoke = client.post(
        "/credentials/status",
        json={
            "credentialId": credential["id"],
            "credentialStatus": [{"type": "BitstringStatusListEntry", "status": "active"}],
        },
        headers=world.auth("revoke"),
    )
    assert unrevoke.status_code == 400


ROSTER_WITH_ERRORS = (
    "name,email,template,valid_from\n"
    "Good One,good1@example.org,bls,2026-02-01\n"
    "Bad Mail,not-an-email,bls,\n"
    "Good Two,good2@example.org,acls,\n"
    "Bad Template,bad@example.org,nonsense,\n"
    "Bad Date,date@example.org,bls,31/02/2026\n"
)


def test_roster_with_errors_then_partial(world: WebWorld, client) -> None:
    before = world.snapshot()
    response = client.post(
        "/api/v1/institutions/sim/rosters",
        data={"file": (io.BytesIO(ROSTER_WITH_ERRORS.encode()), "course.csv")},
        headers=world.auth("issue"),
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 422 and problem["title"] and problem["type"] != "about:blank"
    rows = {(e["row"], e["column"]) for e in problem["errors"]}
    assert rows == {(3, "email"), (5, "achievement"), (6, "valid_from")}
    assert world.snapshot() == before

    validated = client.post(
        "/api/v1/institutions/sim/rosters/validate", data=ROSTER_WITH_ERRORS, headers=world.auth("issue")
    )
    assert validated.status_code == 200 and validated.get_json()["valid"] is False

    partial = client.post(
        "/api/v1/institutions/sim/rosters?allow_partial=true",
        data=ROSTER_WITH_ERRORS,
        headers={**world.auth("issue"), "Content-Type": "text/csv"},
    )
    assert partial.status_code == 201, partial.text
    body = partial.get_json()
    assert body["issued"] == 2 and body["totalRows"] == 5 and len(body["errors"]) == 3
    assert [c["row"] for c in body["credentials"]] == [2, 4]

    ids = [c["id"] for c in body["credentials"]]
    temporary = client.post(
        "/api/v1/institutions/sim/exports",
        json={"ids": ids, "anchorFirst": False},
        headers=world.auth("issue"),
    )
    with zipfile.ZipFile(io.BytesIO(temporary.data)) as zipped:
        names = set(zipped.namelist())  # not anchored yet: named and explained as temporary
        assert {f"credentials/{uuid}.pending.json" for uuid in ids} <= names
        assert "TEMPORARY.txt" in names and not any(f"credentials/{uuid}.json" in names for uuid in ids)
    # By default an export anchors first: the permanent, anchored files.
    archive = client.post(
        "/api/v1/institutions/sim/exports",
        json={"ids": ids, "qrCodes": True, "certificates": True},
        headers=world.auth("issue"),
    )
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    assert archive.is_streamed  # produced credential by credential, not built in memory
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zipped:
        names = set(zipped.namelist())
        for uuid in ids:
            assert {
                f"credentials/{uuid}.json",
                f"qr/{uuid}.png",
                f"qr/{uuid}.svg",
                f"certificates/{uuid}.pdf",
            } <= names
            assert json.loads(zipped.read(f"credentials/{uuid}.json"))["id"].endswith(uuid)
            permanent = json.loads(zipped.read(f"credentials/{uuid}.json"))
            assert any(is_anchor_proof(p) for p in permanent["proof"])
            assert zipped.read(f"certificates/{uuid}.pdf").startswith(b"%PDF")
        assert "TEMPORARY.txt" not in names
        manifest = zipped.read("manifest.csv").decode()
        assert "Good One" in manifest and "Good Two" in manifest

    other = world.issue("someone@example.org", slug="other")
    foreign = client.post(
        "/api/v1/institutions/sim/exports", json={"ids": [ids[0], other]}, headers=world.auth("issue")
    )
    assert foreign.status_code == 403


def test_lists_and_batches(world: WebWorld, client) -> None:
    world.issue("listed@example.org", "Listed Person")
    listed = client.get("/api/v1/institutions/sim/credentials?limit=5", headers=world.auth("revoke"))
    assert listed.status_code == 200
    credentials = listed.get_json()["credentials"]
    assert 1 <= len(credentials) <= 5 and credentials[0]["recipientName"] == "Listed Person"
    pending = client.get("/api/v1/institutions/sim/credentials?state=pending", headers=world.auth("issue"))
    assert all(c["state"] == "pending" for c in pending.get_json()["credentials"])
    world.service.anchor_now("sim")
    batches = client.get("/api/v1/institutions/sim/batches", headers=world.auth("issue")).get_json()[
        "batches"
    ]
    assert batches and batches[0]["transactionHash"].startswith("0x")
    info = client.get("/api/v1/institutions/sim", headers=world.auth("issue")).get_json()
    assert info["slug"] == "sim" and info["counts"]["anchored"] >= 1
    templates = client.get("/api/v1/templates").get_json()["templates"]
    assert "acls" in {t["slug"] for t in templates}


def test_the_served_verifier_trusts_the_services_own_registry(world: WebWorld) -> None:
    from issuer.web.trust import verifier_config_for

    deployment = world.service.chain.context().deployment
    config = verifier_config_for(world.service)
    registry = config.find_registry(deployment.chain_id, deployment.address)
    assert registry is not None and registry.w3 is not None
