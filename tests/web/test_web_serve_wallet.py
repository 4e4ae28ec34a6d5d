"""Issue 13's done-when path against `medcred serve` on a real anvil node, as a learner lives it:
a roster, anchoring by the server's worker, the claim e-mail at a real SMTP server (aiosmtpd), the
claim link in headless Chromium at phone width with its wallet offer, an independent OpenID4VCI
wallet library (npm @openid4vc/openid4vci) taking the offer and receiving a holder-bound credential,
that credential VALID in `medcred verify` once anchored, and a presentation of it signed by the
holder (reference JS library @digitalbazaar/vc) verifying with holder binding."""

from __future__ import annotations

import email
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
import requests
import zxingcpp
from aiosmtpd.controller import Controller
from browser_support import launch_chromium
from click.testing import CliRunner
from PIL import Image
from pipeline.reference_wallet import sign_presentation
from test_web_serve_command import medcred, wait_until_up
from wallet_client import offer_link, require_wallet_library, take_offer
from web_fixtures import free_port

from issuer.chain.context import allow_local_origin
from issuer.keys import Ed25519KeyPair, did_key_for
from verifier.cli import cli
from verifier.settings import Settings

pytestmark = [pytest.mark.local, pytest.mark.browser]
HOLDER_SEED = bytes(range(100, 132))
HOLDER = did_key_for(Ed25519KeyPair.from_seed(HOLDER_SEED).public_key_multibase)
ROSTER = (
    "email,name,course\nnurse.wallet@example.org,Wallet Nurse,pals\nother.nurse@example.org,Other Nurse,bls\n"
)
PHONE = {"width": 390, "height": 844}


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


def verify(data: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["--data-dir", str(data), "--chain", "local", "verify", *args, "--json"])
    return result.exit_code, json.loads(result.output)


def wait_for(condition: Any, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert condition()


def test_roster_to_wallet_to_presentation_on_anvil(tmp_path: Path) -> None:
    require_wallet_library()
    from playwright.sync_api import sync_playwright

    data = tmp_path / "var"
    inbox, smtp_port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    medcred(data, "chain", "start", "--port", str(free_port()))
    try:
        token = next(line for line in medcred(data, "run", "--once").splitlines() if line.startswith("mct_"))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        allow_local_origin(Settings(data_dir=data, chain="local"), base)  # as `medcred run` does
        env = {
            **os.environ,
            "MEDCRED_PUBLIC_URL": base,
            "MEDCRED_BATCH_MAX_AGE": "0.5",
            "MEDCRED_SMTP_HOST": "127.0.0.1",
            "MEDCRED_SMTP_PORT": str(smtp_port),
            "MEDCRED_SMTP_TLS": "none",
            "MEDCRED_MAIL_FROM": "Demo Registry <registry@example.org>",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "verifier", "--data-dir", str(data), "--chain", "local", "serve",
             "--port", str(port)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            wait_until_up(f"{base}/healthz", process)
            auth = {"Authorization": f"Bearer {token}"}
            # 1. roster
            roster = requests.post(
                f"{base}/api/v1/institutions/demo/rosters",
                data=ROSTER.encode(),
                headers={**auth, "Content-Type": "text/csv"},
                timeout=60,
            )
            assert roster.status_code == 201, roster.text
            # 2-3. anchoring by the server's worker, then the claim e-mails
            wait_for(lambda: len(inbox.messages) == 2)
            message = next(m for m in inbox.messages if m["To"] == "nurse.wallet@example.org")
            text = message.get_body(("plain",)).get_content()
            link = re.search(rf"{re.escape(base)}/claim/[A-Za-z0-9_-]+", text)
            assert link is not None, text
            # 4. the claim page on a phone, with the wallet offer
            with sync_playwright() as pw:
                browser = launch_chromium(pw)
                try:
                    page: Any = browser.new_page(viewport=PHONE, is_mobile=True)
                    page.goto(link.group(0))
                    assert page.locator("[data-verdict]").get_attribute("data-verdict") == "VALID"
                    qr = page.locator("#wallet svg")
                    assert qr.is_visible()
                    scanned = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
                    button = page.locator("#wallet-offer")
                    assert button.is_visible()
                    deep_link = button.get_attribute("href")
                    width = page.evaluate("() => document.scrollingElement.scrollWidth")
                    assert width <= PHONE["width"]
                    html = page.content()
                finally:
                    browser.close()
            assert deep_link == offer_link(html)
            assert [code.text for code in scanned] == [deep_link]  # the QR code carries the same offer
            # 5. the wallet library takes the offer
            got = take_offer(deep_link, HOLDER_SEED)
            assert "error" not in got, got
            (credential,) = got["credentials"]
            assert credential["credentialSubject"]["id"] == HOLDER
            assert credential["credentialSubject"]["name"] == "Wallet Nurse"
            wallet_file = tmp_path / "wallet-copy.json"
            wallet_file.write_text(json.dumps(credential))
            # 6. anchored by the worker like any other: the wallet's copy verifies VALID
            wait_for(lambda: verify(data, str(wallet_file))[0] == 0)
            code, report = verify(data, str(wallet_file))
            assert code == 0 and report["status"] == "VALID", report
            # 7. a presentation signed by the holder: holder binding
            anchored = requests.get(f"{credential['id']}/credential.json", timeout=30).json()
            signed = sign_presentation(
                [anchored], challenge="ward-7", domain="hospital.example", seed=HOLDER_SEED
            )
            assert signed.error is None, signed.error
            presentation = tmp_path / "presentation.json"
            presentation.write_text(json.dumps(signed.presentation))
            code, report = verify(
                data, str(presentation), "--challenge", "ward-7", "--domain", "hospital.example"
            )
            assert code == 0 and report["status"] == "VALID", report
            checks = {c["name"]: c for c in report["checks"]}
            assert checks["holder_binding"]["status"] == "pass", checks["holder_binding"]
            code, _report = verify(
                data, str(presentation), "--challenge", "other", "--domain", "hospital.example"
            )
            assert code == 1
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=60)
    finally:
        medcred(data, "chain", "stop")
        smtp.stop()
