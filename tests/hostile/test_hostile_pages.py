"""Hostile credentials on the verifier page and the public credential page, in headless Chromium.

Every text field a page can show (holder name, achievement name/description/criteria/field/code/
tags/alignments, issuer name, credential id, issuer id, dates, revocation reason) carries script
tags, event-handler markup, `javascript:` URLs and 10,000-character unbreakable strings. On each
page, on a 390 px wide phone viewport:

* nothing executes: the payloads set `window.__pwned`, which must stay unset; no dialog opens; no
  element with an event-handler attribute exists; and the console shows no CSP violation (one
  would mean markup got through unescaped and only the CSP stopped it);
* the layout holds: the document is no wider than the viewport;
* every response the browser received (HTML, CSS, JS, images, JSON, error pages) carries the
  security headers: CSP without 'unsafe-inline' scripts and with frame-ancestors 'none',
  X-Content-Type-Options: nosniff, Referrer-Policy.

The escaping itself (a `<script>` name in the HTML source) is tests/web/test_web_security.py's
test_html_is_escaped; the headers on a fixed list of paths, its test_security_headers_on_every_page.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from browser_support import launch_chromium
from pipeline.world import Institution, World
from werkzeug.serving import make_server

from hostile.live import LiveIssuer, live_issuer
from issuer.credential_builder import Recipient, build_credential
from issuer.signing import sign, signing_time
from issuer.templates import AchievementTemplate
from verifier.web.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}

SCRIPT = "<script>window.__pwned='script'</script>"
IMG = "<img src=x onerror=\"window.__pwned='img'\">"
SVG = "<svg onload=\"window.__pwned='svg'\"></svg>"
ATTR = '" onmouseover="window.__pwned=\'attr\'" x="'
JS_URL = "javascript:window.__pwned='url'"
HTML = "<b>bold</b><a href=\"javascript:window.__pwned='a'\">link</a><style>body{display:none}</style>"
PAYLOAD = f"{SCRIPT}{IMG}{SVG}{ATTR}{JS_URL}{HTML}"
LONG = "W" * 10_000  # one unbreakable word: the worst case for a layout


PAGE_STATE = """() => {
    const width = document.scrollingElement.clientWidth;
    const overflows = (e) => e.scrollWidth > e.clientWidth + 1;
    const href = (a) => a.getAttribute('href').trim().toLowerCase();
    return {
        pwned: window.__pwned === undefined ? null : String(window.__pwned),
        handlers: document.querySelectorAll('[onerror],[onload],[onmouseover]').length,
        injected: document.querySelectorAll(
            'main script, main style, main img[src="x"], main svg').length,
        jsLinks: [...document.querySelectorAll('a[href]')]
            .filter(a => href(a).startsWith('javascript:')).length,
        scrollWidth: document.scrollingElement.scrollWidth,
        clientWidth: width,
        wide: [...document.querySelectorAll('body *')]
            .filter(e => overflows(e) && ![...e.children].some(overflows))
            .slice(0, 5)
            .map(e => `${e.tagName}.${e.className} in ${e.parentElement.className}: `
                      + e.textContent.slice(0, 40)),
    };
}"""
"""What a page shows about injection and layout (`wide`: the innermost elements that overflow)."""


def hostile(label: str, size: int = 10_000) -> str:
    """A field value: the label, every payload, then an unbreakable run up to `size` characters."""
    head = f"{label} {PAYLOAD} "
    return head + "W" * max(0, size - len(head))


def hostile_template(slug: str = "hostile") -> dict[str, Any]:
    return {
        "slug": slug,
        "validity": "P2Y",
        "achievement": {
            "type": ["Achievement"],
            "name": hostile("achievement name"),
            "description": hostile("description"),
            "criteria": {"narrative": hostile("criteria")},
            "achievementType": "Certification",
            "fieldOfStudy": hostile("field"),
            "humanCode": hostile("code"),
            "inLanguage": "en",
            "tag": [hostile("tag", 2_000), SCRIPT, JS_URL],
            "alignment": [
                {
                    "type": ["Alignment"],
                    "targetName": hostile("alignment"),
                    "targetDescription": hostile("alignment description"),
                    "targetFramework": hostile("framework"),
                    "targetUrl": "https://example.org/" + "a" * 10_000 + "?q=%3Cscript%3E",
                    "targetType": "ext:ClinicalGuideline",
                }
            ],
        },
    }


@dataclass
class PageChecks:
    """What one browser session observed."""

    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    missing_headers: list[str] = field(default_factory=list)
    responses: int = 0
    pages: list[str] = field(default_factory=list)


def _header_problems(url: str, headers: dict[str, str]) -> list[str]:
    csp = headers.get("content-security-policy", "")
    problems = []
    if "script-src 'self'" not in csp or "unsafe-inline" in csp.split("script-src", 1)[-1].split(";")[0]:
        problems.append("CSP script-src")
    if "frame-ancestors 'none'" not in csp:
        problems.append("frame-ancestors")
    if headers.get("x-content-type-options") != "nosniff":
        problems.append("X-Content-Type-Options")
    if not headers.get("referrer-policy"):
        problems.append("Referrer-Policy")
    return [f"{url}: {p}" for p in problems]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = launch_chromium(pw)
        yield launched
        launched.close()


class Phone:
    """A phone-sized page whose every response and dialog is watched."""

    def __init__(self, browser: Any, origin: str) -> None:
        self.checks = PageChecks()
        self.context = browser.new_context(viewport=PHONE)
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)
        self.page.on("console", lambda m: self.checks.console.append(f"{m.type}: {m.text}"))
        self.page.on("response", self._response)
        self.origin = origin

    def _dialog(self, dialog: Any) -> None:
        self.checks.dialogs.append(dialog.message)
        dialog.dismiss()

    def _response(self, response: Any) -> None:
        if response.url.startswith(self.origin):
            self.checks.responses += 1
            self.checks.missing_headers += _header_problems(response.url, response.all_headers())

    def assert_safe(self, what: str) -> None:
        """Nothing ran, nothing injected, nothing wider than the phone."""
        page = self.page
        page.wait_for_load_state("load")
        page.wait_for_timeout(150)  # an onerror/onload would have fired by now
        self.checks.pages.append(what)
        state = page.evaluate(PAGE_STATE)
        assert state["pwned"] is None, (what, state)
        assert state["handlers"] == 0 and state["injected"] == 0 and state["jsLinks"] == 0, (what, state)
        assert state["scrollWidth"] <= state["clientWidth"], (what, state["wide"], "horizontal overflow")
        assert not self.checks.dialogs, (what, self.checks.dialogs)
        csp = [m for m in self.checks.console if "Content Security Policy" in m]
        assert not csp, (what, csp)
        assert not self.checks.missing_headers, (what, self.checks.missing_headers)

    def close(self) -> None:
        self.context.close()


# ---------------------------------------------------------------------------- the verifier page


@pytest.fixture(scope="module")
def hostile_credentials(world: World) -> dict[str, dict[str, Any]]:
    """A VALID anchored credential full of payloads, and an INVALID one with payloads everywhere."""
    inst: Institution = world.institution(f"Evil {SCRIPT}{IMG} Council {'W' * 150}"[:250])
    template = AchievementTemplate(slug="hostile", validity="P2Y", data=hostile_template())
    unsigned = build_credential(
        template, inst.profile, Recipient(email="evil@example.org", name=hostile("holder"))
    )
    # Signed as the issuer signs: no earlier than the key's registration (an older signature is INVALID).
    signed = sign(unsigned, inst.key, inst.method, created=signing_time(inst.key_valid_from))
    (valid,) = world.anchor(inst, [signed])
    forged = copy.deepcopy(valid)
    forged["id"] = JS_URL + LONG
    forged["issuer"] = {"id": hostile("did:evil"), "type": ["Profile"], "name": hostile("issuer")}
    forged["validFrom"] = hostile("date", 300)
    forged["validUntil"] = SCRIPT
    subject = forged["credentialSubject"]
    subject["achievement"]["achievementType"] = hostile("type")
    subject["identifier"][0]["identityHash"] = hostile("hash")
    forged["proof"][-1]["transactionHash"] = IMG
    return {"valid": valid, "forged": forged}


@pytest.fixture(scope="module")
def verifier_origin(world: World) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, create_app(world.config()), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_verifier_page_with_hostile_credentials(
    browser: Any, verifier_origin: str, hostile_credentials: dict[str, dict[str, Any]]
) -> None:
    phone = Phone(browser, verifier_origin)
    try:
        for name, credential in hostile_credentials.items():
            phone.page.goto(f"{verifier_origin}/verify")
            phone.assert_safe("verifier form")
            phone.page.fill("#credential_json", json.dumps(credential))
            phone.page.click("#verify-button")
            phone.page.wait_for_selector("#verdict")
            verdict = phone.page.get_attribute("#verdict", "data-status")
            assert verdict == ("VALID" if name == "valid" else "INVALID"), name
            assert phone.page.inner_text("#holder").startswith("holder ")
            phone.assert_safe(f"verifier verdict ({name})")
        for link in (JS_URL, f"{SCRIPT}{LONG}", "data:text/html,<script>alert(1)</script>"):
            phone.page.goto(f"{verifier_origin}/verify?credential={link}")
            phone.assert_safe(f"verifier deep link {link[:30]!r}")
        for path in ("/no-such-page", "/verifier-static/verify.css", "/credentials/verify"):
            phone.page.goto(verifier_origin + path)  # 404, static, 405
        assert not phone.checks.missing_headers, phone.checks.missing_headers
        print(f"\nverifier page: {len(phone.checks.pages)} pages, {phone.checks.responses} responses checked")
    finally:
        phone.close()


# ---------------------------------------------------------------------------- the issuer's pages


@pytest.fixture(scope="module")
def evil_issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveIssuer, list[str]]]:
    templates = tmp_path_factory.mktemp("evil-templates")
    (templates / "hostile.json").write_text(json.dumps(hostile_template()))
    with live_issuer(tmp_path_factory.mktemp("evil-issuer"), templates=templates) as live:
        service = live.world.service
        service.create_institution(f"Evil {SCRIPT}{IMG} Hospital {'W' * 150}"[:250], slug="evil")
        names = [(SCRIPT + IMG + LONG)[:200], PAYLOAD[:200], None]  # the issuer caps names at 200
        ids = [
            service.issue("evil", "hostile", f"evil{i}@example.org", name=name).id
            for i, name in enumerate(names)
        ]
        definition = {k: v for k, v in hostile_template().items() if k != "slug"}
        definition["achievement"]["creditsAvailable"] = 5
        definition["achievement"]["resultDescription"] = [
            {"type": ["ResultDescription"], "name": hostile("result", 300), "resultType": "LetterGrade",
             "allowedValue": [PAYLOAD[:190], "A"]},
        ]  # fmt: skip
        catalog = service.create_achievement("evil", definition)
        ids.append(
            service.issue(
                "evil", None, "evil-catalog@example.org", achievement=catalog.id, name=PAYLOAD[:200],
                credits=5, results=["A"], evidence_narrative=hostile("evidence", 2000),
                evidence_urls=["https://example.org/" + "e" * 1500], identifier=PAYLOAD[:190],
            ).id
        )  # fmt: skip
        service.anchor_now("evil")
        service.revoke(ids[1], hostile("reason", 500), institution="evil")
        live.catalog_id = catalog.id  # type: ignore[attr-defined]
        yield live, ids


def test_public_credential_pages_with_hostile_credentials(
    browser: Any, evil_issuer: tuple[LiveIssuer, list[str]]
) -> None:
    live, ids = evil_issuer
    phone = Phone(browser, live.url)
    try:
        for cid in ids:
            phone.page.goto(f"{live.url}/credentials/{cid}")
            phone.assert_safe(f"credential page {cid}")
            phone.page.click("text=Verify this credential")
            phone.page.wait_for_selector("#verdict")
            phone.assert_safe(f"verifier deep link for {cid}")
        phone.page.goto(f"{live.url}/admin/login")
        phone.assert_safe("admin login")
        token = live.world.service.create_token("evil", ["admin"])[0]
        phone.page.fill("input[name=token]", token)
        phone.page.click("button[type=submit]")
        phone.page.wait_for_load_state("load")
        phone.assert_safe("admin dashboard")
        phone.page.goto(f"{live.url}/admin/credentials")
        assert phone.page.url.endswith("/admin/credentials"), phone.page.url  # logged in
        assert "onerror=" in phone.page.inner_text("main")  # the names are shown, as text
        phone.assert_safe("admin credential list")
        catalog_id = live.catalog_id  # type: ignore[attr-defined]
        for path in (
            "/admin/achievements",
            f"/admin/achievements/{catalog_id}",
            f"/achievements/{catalog_id}",
        ):
            phone.page.goto(live.url + path)
            phone.assert_safe(path)
        for path in (
            "/",
            "/openapi.json",
            "/healthz",
            "/static/issuer.css",
            f"/credentials/{ids[0]}/credential.json",
            f"/credentials/{ids[0]}/qr.svg",
            "/credentials/not-a-uuid",
            "/api/v1/institutions/evil",
            "/credentials/issue",
        ):
            phone.page.goto(live.url + path)  # pages, JSON, static, 401/404/405 errors
        assert not phone.checks.missing_headers, phone.checks.missing_headers
        print(f"\nissuer pages: {len(phone.checks.pages)} pages, {phone.checks.responses} responses checked")
    finally:
        phone.close()
