"""The verifier page in real headless Chromium (Debian's), driven by Playwright: upload, deep link,
camera (Chromium's fake camera playing a video of a QR code), and a tampered credential."""

from __future__ import annotations

import copy
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import FAKE_CAMERA, launch_chromium
from werkzeug.serving import make_server

from verifier.web.app import create_app

from .servers import CredentialHost, credential_host
from .world import Institution, World

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def anchored(world: World, institution: Institution) -> list[dict[str, Any]]:
    return world.issue_anchored(institution, 3)


@pytest.fixture(scope="module")
def host() -> Iterator[CredentialHost]:
    with credential_host() as served:
        yield served


@pytest.fixture(scope="module")
def verifier_url(world: World, host: CredentialHost) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, create_app(world.config(allow_hosts=host.allow)), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def qr_video(text: str, path: Path, frames: int = 20) -> Path:
    """A Y4M clip (what Chromium's fake camera plays) showing a QR code of `text`."""
    import segno
    from PIL import Image

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=8, border=4)
    qr = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    width, height = 640, 480
    frame = Image.new("L", (width, height), 255)
    qr.thumbnail((440, 440))
    frame.paste(qr, ((width - qr.width) // 2, (height - qr.height) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * (width * height // 4)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + luma + chroma + chroma)
    return path


@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


def _browser(pw: Any, tmp: Path, extra: list[str] | None = None) -> Any:
    return launch_chromium(pw, [*FAKE_CAMERA, *(extra or [])])


def test_upload_flow_ends_valid(
    playwright_instance: Any, verifier_url: str, anchored: list[dict[str, Any]], tmp_path: Path
) -> None:
    file = tmp_path / "credential.json"
    file.write_text(json.dumps(anchored[0]))
    browser = _browser(playwright_instance, tmp_path)
    try:
        page = browser.new_page()
        page.goto(f"{verifier_url}/verify")
        page.set_input_files("#credential_file", str(file))
        page.click("#verify-button")
        page.wait_for_selector("#verdict")
        assert page.get_attribute("#verdict", "data-status") == "VALID"
        assert "Dr Ada Okafor" in page.inner_text("#holder")
    finally:
        browser.close()


def test_deep_link_flow_ends_valid(
    playwright_instance: Any,
    verifier_url: str,
    host: CredentialHost,
    anchored: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    url = host.put("deep.json", anchored[1])
    browser = _browser(playwright_instance, tmp_path)
    try:
        page = browser.new_page(java_script_enabled=False)
        page.goto(f"{verifier_url}/verify?credential={url}")
        assert page.get_attribute("#verdict", "data-status") == "VALID"
    finally:
        browser.close()


def test_camera_flow_ends_valid(
    playwright_instance: Any,
    verifier_url: str,
    host: CredentialHost,
    anchored: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    url = host.put("camera.json", anchored[2])
    video = qr_video(f"{verifier_url}/verify?credential={url}", tmp_path / "qr.y4m")
    browser = _browser(playwright_instance, tmp_path, [f"--use-file-for-fake-video-capture={video}"])
    try:
        context = browser.new_context(permissions=["camera"])
        page = context.new_page()
        page.goto(f"{verifier_url}/verify")
        page.click("#scan-button")
        page.wait_for_selector("#verdict", timeout=20_000)
        assert page.get_attribute("#verdict", "data-status") == "VALID"
    finally:
        browser.close()


def test_tampered_credential_shows_the_failing_check(
    playwright_instance: Any, verifier_url: str, anchored: list[dict[str, Any]], tmp_path: Path
) -> None:
    forged = copy.deepcopy(anchored[0])
    forged["credentialSubject"]["achievement"]["name"] = "Neurosurgery Board Certification"
    browser = _browser(playwright_instance, tmp_path)
    try:
        page = browser.new_page()
        page.goto(f"{verifier_url}/verify")
        page.fill("#credential_json", json.dumps(forged))
        page.click("#verify-button")
        page.wait_for_selector("#verdict")
        assert page.get_attribute("#verdict", "data-status") == "INVALID"
        assert page.get_attribute('[data-check="signature"]', "data-status") == "fail"
        assert "altered" in page.inner_text('[data-check="signature"]')
        page.screenshot(path=str(tmp_path / "invalid.png"), full_page=True)
    finally:
        browser.close()


def test_a_presentation_shows_the_holder_and_each_credential(
    playwright_instance: Any, verifier_url: str, anchored: list[dict[str, Any]], tmp_path: Path
) -> None:
    """A holder's presentation (signed by the reference JS library) uploaded with its challenge and
    domain: the page names the holder and gives each credential its own verdict, on a phone."""
    from .reference_wallet import sign_presentation

    signed = sign_presentation(anchored[:2], challenge="ch-browser", domain="hr.example.org")
    file = tmp_path / "presentation.json"
    file.write_text(json.dumps(signed.presentation))
    browser = _browser(playwright_instance, tmp_path)
    try:
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(f"{verifier_url}/verify")
        page.set_input_files("#credential_file", str(file))
        page.click("#presentation-options summary")
        page.fill("#challenge", "ch-browser")
        page.fill("#domain", "hr.example.org")
        page.click("#verify-button")
        page.wait_for_selector("#verdict")
        assert page.get_attribute("#verdict", "data-status") == "VALID"
        assert page.inner_text("#presentation-holder") == signed.holder
        cards = page.query_selector_all("section.presented")
        assert [c.get_attribute("data-status") for c in cards] == ["VALID", "VALID"]
        assert "Advanced Cardiac Life Support" in cards[1].inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows
    finally:
        browser.close()
