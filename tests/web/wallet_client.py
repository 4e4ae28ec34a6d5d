"""The wallet of the OpenID4VCI tests: `oid4vci_wallet.mjs`, the OpenWallet Foundation's client
library (npm @openid4vc/openid4vci), run by Node; and a few helpers for hand-made requests."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("oid4vci_wallet.mjs")
OFFER_LINK = re.compile(r'href="(openid-credential-offer://[^"]+)"')


def require_wallet_library() -> str:
    """The node binary, or skip when Node or the OpenID4VCI client library is not installed."""
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "@openid4vc" / "openid4vci").is_dir():
        pytest.skip("Node.js with @openid4vc/openid4vci from package.json (npm ci) is needed for the wallet")
    return node


def offer_link(page_html: str) -> str:
    """The `openid-credential-offer://` deep link on a claim page."""
    match = OFFER_LINK.search(page_html)
    assert match, "no credential offer on the claim page"
    return html.unescape(match.group(1))


def offer_of(link: str) -> dict[str, Any]:
    """The credential offer object a deep link carries by value."""
    (text,) = parse_qs(urlsplit(link).query)["credential_offer"]
    return json.loads(text)


def take_offer(link: str, seed: bytes) -> dict[str, Any]:
    """Run the JS wallet on `link` with the Ed25519 key of `seed`; its JSON answer (with `error`
    when it failed)."""
    node = require_wallet_library()
    done = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps({"offer": link, "holderSeed": seed.hex()}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )
    try:
        answer = json.loads(done.stdout)
    except json.JSONDecodeError:
        answer = {"error": done.stderr or done.stdout or "the wallet printed nothing"}
    if done.returncode != 0:
        answer.setdefault("error", done.stderr)
    return answer
