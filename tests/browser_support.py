"""Launching Debian's Chromium for the browser tests, the one way all of them do it.

Playwright drives the system browser (no browser download works here). The flags keep Chromium
from reaching for the network on its own (this machine has none) and let it run as root headless.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
FAKE_CAMERA = ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream")


def launch_chromium(playwright: Any, extra: Sequence[str] = ()) -> Any:
    """A headless Chromium browser from `playwright` (a sync_playwright() instance)."""
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install chromium"
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[*FLAGS, *extra])
