"""The learner's claim page (/claim/<token>): the credential with its verdict (verified in-process),
downloads, LinkedIn's add-certification link, the wallet slot; unknown and expired links; the
new-link form (same answer for any address, rate-limited); at 390 px in headless Chromium."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from browser_support import launch_chromium
from markupsafe import Markup
from sqlalchemy import select, update
from web_fixtures import WebWorld, csrf_from, free_port, make_world

from issuer.delivery.claims import claim_hash
from issuer.storage.models import ClaimToken, Delivery, utcnow
from issuer.web.app import create_app
from issuer.web.claim import ClaimView, set_wallet_offer
from issuer.web.server import WebServer, start_web


def anchored_claim(
    world: WebWorld, email: str = "ada@example.org", name: str = "Ada Okafor"
) -> tuple[str, str]:
    credential_id = world.issue(email=email, name=name)
    world.service.anchor_now()
    link = world.service.delivery.new_claim_link(credential_id)
    return credential_id, urlsplit(link).path


def test_claim_page_shows_the_credential_its_verdict_and_what_to_do_with_it(world: WebWorld) -> None:
    credential_id, path = anchored_claim(world)
    page = world.client().get(path)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"  # the token never leaks to LinkedIn
    html = page.text
    assert 'data-verdict="VALID"' in html
    assert "Ada Okafor" in html and "Advanced Cardiac Life Support" in html
    url = f"http://medcred.test/credentials/{credential_id}"
    assert f'href="{url}/credential.json"' in html
    assert f'href="{url}/certificate.pdf"' in html
    assert 'id="wallet"' in html and "Add to wallet" in html

    linkedin = re.search(r'href="(https://www\.linkedin\.com/profile/add\?[^"]+)"', html)
    assert linkedin is not None
    query = parse_qs(urlsplit(linkedin.group(1).replace("&amp;", "&")).query)
    record = world.service.get_credential(credential_id)
    assert query["startTask"] == ["CERTIFICATION_NAME"]
    assert query["name"] == ["Advanced Cardiac Life Support (ACLS) Provider"]
    assert query["organizationName"] == ["Simulation Centre"]
    assert query["issueYear"] == [str(record.valid_from.year)]
    assert query["issueMonth"] == [str(record.valid_from.month)]
    assert record.valid_until is not None
    assert query["expirationYear"] == [str(record.valid_until.year)]
    assert query["expirationMonth"] == [str(record.valid_until.month)]
    assert query["certUrl"] == [url]
    assert query["certId"] == [credential_id]

    # the files the page offers are there
    client = world.client()
    assert client.get(f"/credentials/{credential_id}/credential.json").status_code == 200
    assert client.get(f"/credentials/{credential_id}/certificate.pdf").data.startswith(b"%PDF")


def test_the_token_is_stored_hashed_and_a_revoked_credential_says_so(world: WebWorld) -> None:
    credential_id, path = anchored_claim(world, "grace@example.org", "Grace Hopper")
    token = path.rsplit("/", 1)[1]
    assert len(token) >= 43
    with world.service.db.reader() as session:
        hashes = list(
            session.scalars(select(ClaimToken.token_hash).where(ClaimToken.credential_id == credential_id))
        )
    assert hashes == [claim_hash(token)] and token not in hashes
    world.service.revoke(credential_id, "superseded")
    html = world.client().get(path).text
    assert 'data-verdict="INVALID"' in html


def test_unknown_and_expired_links_get_a_clear_page_with_a_new_link(world: WebWorld) -> None:
    client = world.client()
    unknown = client.get("/claim/" + "A" * 43)
    assert unknown.status_code == 404
    assert "not known" in unknown.text and 'href="/claim"' in unknown.text
    cut = client.get("/claim/abc")  # a link cut short by a mail program
    assert cut.status_code == 404

    credential_id, path = anchored_claim(world, "old@example.org", "Old Link")
    with world.service.db.session() as session:
        session.execute(
            update(ClaimToken)
            .where(ClaimToken.credential_id == credential_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    expired = client.get(path)
    assert expired.status_code == 410
    assert "expired" in expired.text and 'href="/claim"' in expired.text
    assert credential_id not in expired.text


def test_the_wallet_slot_renders_what_the_hook_returns(world: WebWorld) -> None:
    app = create_app(world.service, world.verifier_config, secret_key=os.urandom(32))
    seen: list[ClaimView] = []

    def offer(view: ClaimView) -> Markup:
        seen.append(view)
        return Markup('<p class="offer">offer for {}</p>').format(view.record.id)

    set_wallet_offer(app, offer)
    credential_id, path = anchored_claim(world, "wallet@example.org", "Wallet Holder")
    html = app.test_client().get(path).text
    assert f'<p class="offer">offer for {credential_id}</p>' in html
    assert seen[0].token == path.rsplit("/", 1)[1] and seen[0].report.status == "VALID"


def test_asking_for_new_links_answers_the_same_for_any_address_and_is_rate_limited(world: WebWorld) -> None:
    credential_id, _path = anchored_claim(world, "again@example.org", "Again Person")
    world.service.delivery.run_once()  # the first e-mail goes out
    assert world.service.delivery.state(credential_id).state == "sent"
    with world.service.db.session() as session:  # sent long enough ago to ask again
        session.execute(
            update(Delivery)
            .where(Delivery.credential_id == credential_id)
            .values(sent_at=utcnow() - timedelta(hours=1), queued_at=utcnow() - timedelta(hours=1))
        )
    app = create_app(world.service, world.verifier_config, secret_key=os.urandom(32))
    app.config["TESTING"] = True
    client = app.test_client()
    answers = []
    for email in ("again@example.org", "nobody@example.org"):
        csrf = csrf_from(client.get("/claim").text)
        answer = client.post("/claim", data={"email": email, "csrf_token": csrf})
        assert answer.status_code == 200
        answers.append(re.sub(r'value="[^"]+"', "", answer.text))
    assert answers[0] == answers[1]
    assert world.service.delivery.state(credential_id).state == "queued"
    bad = client.post("/claim", data={"email": "not an address", "csrf_token": csrf})
    assert bad.status_code == 400
    statuses = [
        client.post("/claim", data={"email": "x@example.org", "csrf_token": csrf}).status_code
        for _ in range(25)
    ]
    assert 429 in statuses


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebWorld, WebServer]]:
    port = free_port()
    world = make_world(tmp_path_factory.mktemp("claim-live"), f"http://127.0.0.1:{port}")
    server = start_web(world.service, host="127.0.0.1", port=port, verifier_config=world.verifier_config)
    try:
        yield world, server
    finally:
        server.stop()
        world.service.close()


PHONE = {"width": 390, "height": 844}
LAYOUT = """() => {
    const overflows = (e) => e.scrollWidth > e.clientWidth + 1;
    const right = document.scrollingElement.clientWidth;
    return {
        scrollWidth: document.scrollingElement.scrollWidth,
        clientWidth: right,
        wide: [...document.querySelectorAll('body *')]
            .filter(e => overflows(e) || e.getBoundingClientRect().right > right + 1)
            .map(e => e.tagName + '.' + e.className).slice(0, 5),
    };
}"""


@pytest.mark.browser
def test_claim_page_on_a_phone_in_chromium(live: tuple[WebWorld, WebServer]) -> None:
    from playwright.sync_api import sync_playwright

    world, server = live
    credential_id = world.issue(email="phone@example.org", name="Phone Person " + "Verylongsurname" * 3)
    world.service.anchor_now()
    link = world.service.delivery.new_claim_link(credential_id)
    assert link.startswith(server.url)
    console_errors: list[str] = []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page: Any = browser.new_page(viewport=PHONE, is_mobile=True)
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.goto(link)
            assert page.locator("[data-verdict]").get_attribute("data-verdict") == "VALID"
            state = page.evaluate(LAYOUT)
            assert state["scrollWidth"] <= state["clientWidth"], state
            assert state["wide"] == [], state
            for text in ("Credential file (JSON)", "PDF certificate", "Add to LinkedIn profile"):
                button = page.get_by_text(text, exact=True)
                assert button.is_visible(), text
            json_href = page.get_by_text("Credential file (JSON)", exact=True).get_attribute("href")
            document = requests.get(json_href, timeout=30).json()
            assert document["id"].endswith(credential_id)
            assert not console_errors, console_errors  # e.g. a CSP violation
            page.goto(f"{server.url}/claim/{'x' * 43}")  # a 404 page (its status is logged)
            state = page.evaluate(LAYOUT)
            assert state["scrollWidth"] <= state["clientWidth"], state
            page.get_by_text("Get a new link").click()
            page.wait_for_url(f"{server.url}/claim")
            assert page.locator("#email").is_visible()
        finally:
            browser.close()
