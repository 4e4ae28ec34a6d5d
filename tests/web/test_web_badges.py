"""Baked badges served by the issuer (/credentials/<id>/badge.png|svg): the catalog achievement's
own image carries the credential (read by Pillow and lxml, independently of MedCred), a template
credential gets the generated medal, the verifier page verifies an uploaded badge, and the claim
page offers the PNG."""

from __future__ import annotations

import io
import json
from urllib.parse import urlsplit

from lxml import etree
from PIL import Image
from web_fixtures import WebWorld

from verifier.baked import OB_NAMESPACE
from verifier.pipeline import Verifier
from verifier.presentation import verify_submission


def red_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def test_a_catalog_achievements_image_is_baked_with_the_credential(world: WebWorld) -> None:
    service = world.service
    achievement = service.create_achievement(
        "sim", {"starter": "pals"}, image=red_png(), image_type="image/png"
    )
    issued = service.issue("sim", None, "baked@example.org", name="Baked Person", achievement=achievement.id)
    service.anchor_now()
    client = world.client()
    response = client.get(f"/credentials/{issued.id}/badge.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    document = service.get_credential(issued.id).document
    with Image.open(io.BytesIO(response.data)) as image:
        assert json.loads(image.text["openbadgecredential"]) == document  # with its anchor proof
        assert image.size == (64, 48)
        assert image.convert("RGB").getpixel((10, 10)) == (200, 10, 10)  # the achievement's own picture
    report = verify_submission(Verifier(world.verifier_config), response.data, source="badge.png")
    assert report.status == "VALID", report.headline

    svg = client.get(f"/credentials/{issued.id}/badge.svg")
    assert svg.mimetype == "image/svg+xml" and "sandbox" in svg.headers["Content-Security-Policy"]
    root = etree.fromstring(svg.data)
    assert root[0].tag == f"{{{OB_NAMESPACE}}}credential"
    assert json.loads(root[0].text) == document
    assert root.find("{http://www.w3.org/2000/svg}image").get("href").startswith("data:image/png;base64,")


def test_template_credentials_get_the_generated_medal_and_the_page_verifies_an_upload(
    world: WebWorld,
) -> None:
    credential_id = world.issue(email="medal@example.org", name="Medal Person")
    world.service.anchor_now()
    client = world.client()
    png = client.get(f"/credentials/{credential_id}/badge.png").data
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (512, 512)
        assert "openbadgecredential" in image.text
    page = client.post(
        "/verify",
        data={"credential_file": (io.BytesIO(png), "badge.png", "image/png")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 200
    assert "VALID" in page.text and "INVALID" not in page.text
    assert "Medal Person" in page.text
    svg = client.get(f"/credentials/{credential_id}/badge.svg").data
    assert b"<title>Advanced Cardiac Life Support (ACLS) Provider</title>" in svg and b">ACLS</text>" in svg

    public = client.get(f"/credentials/{credential_id}", headers={"Accept": "text/html"}).text
    assert f'href="/credentials/{credential_id}/badge.png"' in public
    form = client.get("/verify").text
    assert ".png" in form and ".svg" in form  # the page's file picker offers badge images

    link = world.service.delivery.new_claim_link(credential_id)
    claim = client.get(urlsplit(link).path).text
    assert f'href="/credentials/{credential_id}/badge.png"' in claim
    assert client.get("/credentials/00000000-0000-4000-8000-000000000000/badge.png").status_code == 404
