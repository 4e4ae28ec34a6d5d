"""The app on a real threaded server (what `medcred serve` runs), over real HTTP: the verifier deep
link a QR code opens fetches the credential and its status list from this same server; and the
admin flow in headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from browser_support import launch_chromium
from web_fixtures import WebWorld, free_port, make_world

from issuer.web.server import WebServer, start_web


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebWorld, WebServer]]:
    port = free_port()
    world = make_world(tmp_path_factory.mktemp("live"), f"http://127.0.0.1:{port}", status_list=True)
    server = start_web(world.service, host="127.0.0.1", port=port, verifier_config=world.verifier_config)
    try:
        yield world, server
    finally:
        server.stop()
        world.service.close()


def verdict(html: str) -> str:
    return "INVALID" if "INVALID" in html else "VALID" if "VALID" in html else "?"


def test_deep_link_verifies_through_the_server_itself(live: tuple[WebWorld, WebServer]) -> None:
    world, server = live
    base = server.url
    issued = requests.post(
        f"{base}/api/v1/institutions/sim/credentials",
        json={"template": "bls", "email": "live@example.org", "name": "Live Person"},
        headers=world.auth("issue"),
        timeout=30,
    )
    assert issued.status_code == 201, issued.text
    url = issued.json()["url"]
    assert url.startswith(base)
    anchored = requests.post(
        f"{base}/api/v1/institutions/sim/anchor", headers=world.auth("admin"), timeout=60
    )
    assert anchored.status_code == 200, anchored.text

    deep_link = issued.json()["links"]["verify"]
    page = requests.get(deep_link, timeout=30)
    assert page.status_code == 200
    assert verdict(page.text) == "VALID", page.text
    assert 'data-check="status_list" data-status="pass"' in page.text

    revoked = requests.post(
        f"{base}/credentials/status",
        json={
            "credentialId": url,
            "credentialStatus": [{"type": "BitstringStatusListEntry", "status": "revoked"}],
        },
        headers=world.auth("revoke"),
        timeout=30,
    )
    assert revoked.status_code == 200, revoked.text
    page = requests.get(deep_link, timeout=30)
    assert verdict(page.text) == "INVALID"
    # On chain at once. (The verifier page's per-thread Verifier caches status lists without a TTL,
    # so its status_list check may still show the list it fetched before the revocation.)
    assert 'data-check="revocation" data-status="fail"' in page.text


def test_server_headers_and_problem(live: tuple[WebWorld, WebServer]) -> None:
    _world, server = live
    response = requests.post(f"{server.url}/api/v1/institutions/sim/anchor", timeout=10)
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.browser
def test_admin_flow_in_chromium(live: tuple[WebWorld, WebServer], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    world, server = live
    console_errors: list[str] = []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page: Any = browser.new_page()
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{server.url}/admin/")
            assert page.url.endswith("/admin/login")
            page.fill("#token", world.tokens["admin"])
            page.click("button[type=submit]")
            page.wait_for_url(f"{server.url}/admin/")
            assert page.locator("h1").first.inner_text() == "Simulation Centre"

            page.select_option("#achievement", "template:pals")
            page.fill("#email", "browser.person@example.org")
            page.fill("#name", "Browser Person")
            page.click("#issue button[type=submit]")
            page.wait_for_url(f"{server.url}/admin/#recent")
            assert "to Browser Person: credential " in page.locator(".flash.ok").inner_text()
            row = page.locator("table.records tr", has_text="Browser Person")
            assert row.count() == 1
            assert "pending" in row.inner_text()

            row.locator("a", has_text="page").click()
            page.wait_for_load_state()
            assert "Browser Person" in page.locator(".recipient").inner_text()
            assert page.locator(".qr img").evaluate("img => img.complete && img.naturalWidth > 0")
        finally:
            browser.close()
    assert not console_errors, console_errors  # e.g. a CSP violation from inline script or style


def test_a_file_saved_before_anchoring_is_pending_then_valid_through_the_real_issuer(
    live: tuple[WebWorld, WebServer],
) -> None:
    """The issuer side of PENDING, over real HTTP: the API's issue answer (labelled temporary) is
    verified by the verifier package, which asks this server at the credential's id."""
    from verifier.pipeline import Verifier

    world, server = live
    base = server.url
    issued = requests.post(
        f"{base}/api/v1/institutions/sim/credentials",
        json={"template": "pals", "email": "saved@example.org", "name": "Saved Early"},
        headers=world.auth("issue"),
        timeout=30,
    ).json()
    assert issued["temporary"] is True
    saved = issued["credential"]  # the file a registrar saves straight away
    verifier = Verifier(world.verifier_config.allowing_origin(base))
    report = verifier.verify(saved)
    assert report.status == "PENDING", report.to_json()
    requests.post(f"{base}/api/v1/institutions/sim/anchor", headers=world.auth("admin"), timeout=60)
    report = verifier.verify(saved)  # the same file, no anchor proof in it
    assert report.status == "VALID", report.to_json()
    assert report.check("issuer_copy").code == "anchor_from_issuer"
