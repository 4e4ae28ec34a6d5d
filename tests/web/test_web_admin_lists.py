"""The admin's credential list with a thousand credentials, and on a phone: search by name, e-mail or
id, the revoked filter, an unknown filter named, stacked rows at 390 px with every action on screen,
pills that do not wrap on a desktop, and the export's progress. Headless Chromium on a real server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from browser_support import launch_chromium
from web_fixtures import WebWorld, admin_login, free_port, make_world

from issuer.web.server import WebServer, start_web

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LONG_NAME = "Maximiliana Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh"

LAYOUT = """() => {
    const width = document.scrollingElement.clientWidth;
    const outside = (e) => {
        const r = e.getBoundingClientRect();
        return r.left < -1 || r.right > width + 1;
    };
    const actions = [...document.querySelectorAll(
        'table.records a, table.records button, table.records select')];
    return {
        scrollWidth: document.scrollingElement.scrollWidth,
        clientWidth: width,
        actions: actions.length,
        offscreen: actions.filter(outside).map(e => e.outerHTML.slice(0, 80)),
        hidden: actions.filter(e => !e.getClientRects().length).length,
    };
}"""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebWorld, WebServer]]:
    port = free_port()
    world = make_world(tmp_path_factory.mktemp("lists"), f"http://127.0.0.1:{port}")
    roster = "name,email,template\n" + "".join(
        f"Person {i},person{i}@example.org,{('acls', 'bls', 'pals')[i % 3]}\n" for i in range(30)
    )
    world.service.issue_roster("sim", roster, pool=False)
    world.service.issue("sim", "acls", "max@example.org", name=LONG_NAME)
    world.service.issue("sim", "bls", "quiet@example.org")  # no name
    server = start_web(world.service, host="127.0.0.1", port=port, verifier_config=world.verifier_config)
    try:
        yield world, server
    finally:
        server.stop()
        world.service.close()


def _names(html: str) -> list[str]:
    return re.findall(r'<td class="recipient"[^>]*>(.*?)</td>', html)


def test_search_by_name_email_and_id(live: tuple[WebWorld, WebServer]) -> None:
    world, _server = live
    client = world.client()
    admin_login(client, world.tokens["admin"])
    found = sorted(_names(client.get("/admin/credentials?q=person 1").text))
    assert found == sorted(f"Person {i}" for i in (1, *range(10, 20)))
    assert _names(client.get("/admin/credentials?q=PERSON7@example.org").text) == ["Person 7"]
    quiet = world.service.list_credentials("sim", search="quiet@example.org")
    assert len(quiet) == 1
    for text in (quiet[0].id, quiet[0].id[:8], quiet[0].url):
        page = client.get("/admin/credentials", query_string={"q": text}).text
        assert quiet[0].id in page and len(_names(page)) == 1, text
    nothing = client.get("/admin/credentials?q=nobody@example.org").text
    assert _names(nothing) == [] and "No credential matches" in nothing
    # A name with LIKE's wildcards matches literally.
    assert _names(client.get("/admin/credentials?q=%25").text) == []


def test_the_revoked_filter_and_an_unknown_filter(live: tuple[WebWorld, WebServer]) -> None:
    world, _server = live
    client = world.client()
    admin_login(client, world.tokens["admin"])
    target = world.service.list_credentials("sim", search="person3@example.org")[0]
    world.service.revoke(target.id, "withdrawn", institution="sim")
    revoked = client.get("/admin/credentials?state=revoked")
    assert revoked.status_code == 200 and _names(revoked.text) == ["Person 3"]
    assert 'class="current">revoked<' in revoked.text
    assert _names(client.get("/admin/credentials?state=revoked&q=person 4").text) == []
    unknown = client.get("/admin/credentials?state=cancelled")
    assert unknown.status_code == 400
    assert "There is no filter &#39;cancelled&#39;" in unknown.text and "revoked" in unknown.text


@pytest.mark.browser
def test_the_lists_work_on_a_phone_and_pills_stay_whole_on_a_desktop(
    live: tuple[WebWorld, WebServer],
) -> None:
    from playwright.sync_api import sync_playwright

    world, server = live
    console_errors: list[str] = []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            context = browser.new_context(viewport=PHONE)
            page: Any = context.new_page()
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{server.url}/admin/login")
            page.fill("#token", world.tokens["admin"])
            page.click("form button[type=submit]")
            page.wait_for_url(f"{server.url}/admin/")
            for path in ("/admin/", "/admin/credentials", f"/admin/credentials?q={LONG_NAME[:12]}"):
                page.goto(server.url + path)
                layout = page.evaluate(LAYOUT)
                assert layout["scrollWidth"] <= layout["clientWidth"], (path, layout)
                assert layout["actions"] > 0 and layout["offscreen"] == [] and layout["hidden"] == 0, (
                    path,
                    layout,
                )
            # A whole name is readable (not one letter per line): its cell is most of the phone's width.
            cell = page.locator("td.recipient", has_text=LONG_NAME[:12]).bounding_box()
            assert cell is not None and cell["width"] > 250
            # Every row's Revoke works on the phone.
            page.once("dialog", lambda d: d.accept())
            page.locator("table.records button", has_text="Revoke").first.click()
            page.wait_for_load_state()
            assert "Revoked credential" in page.locator(".flash.ok").inner_text()
            context.close()

            context = browser.new_context(viewport=DESKTOP)
            page = context.new_page()
            page.goto(f"{server.url}/admin/login")
            page.fill("#token", world.tokens["admin"])
            page.click("form button[type=submit]")
            page.wait_for_url(f"{server.url}/admin/")
            lines = page.locator("table.records .pill").evaluate_all(
                "ps => ps.map(p => p.getClientRects().length)"
            )
            assert lines and set(lines) == {1}
            context.close()
        finally:
            browser.close()
    assert not console_errors, console_errors


@pytest.mark.browser
def test_download_all_shows_its_progress(live: tuple[WebWorld, WebServer]) -> None:
    from playwright.sync_api import sync_playwright

    world, server = live
    total = sum(v for k, v in world.service.count_credentials("sim").items() if k != "revoked")
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            context = browser.new_context(accept_downloads=True)
            page: Any = context.new_page()
            page.goto(f"{server.url}/admin/login")
            page.fill("#token", world.tokens["admin"])
            page.click("form button[type=submit]")
            page.wait_for_url(f"{server.url}/admin/")
            page.evaluate(
                """() => { window.__progress = [];
                const status = document.querySelector('form[data-export] .progress');
                new MutationObserver(() => window.__progress.push(status.textContent))
                    .observe(status, {childList: true, characterData: true, subtree: true}); }"""
            )
            with page.expect_download(timeout=120_000) as download:
                page.click("form[data-export] button")
            assert download.value.suggested_filename.endswith(".zip")
            page.wait_for_function(
                "() => document.querySelector('form[data-export] .progress')"
                ".textContent.startsWith('Downloaded')"
            )
            seen = page.evaluate("() => window.__progress")
            assert seen[0] == f"Preparing the ZIP of {total} credential(s)…"
            counted = [int(m.group(1)) for s in seen if (m := re.match(r"Prepared (\d+) of ", s))]
            assert counted and counted == sorted(counted) and counted[-1] == total
            assert seen[-1] == f"Downloaded {total} credential(s)."
            context.close()
        finally:
            browser.close()
