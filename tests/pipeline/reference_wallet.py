"""The holder's wallet played by the reference JavaScript libraries (`holder_wallet.mjs`, npm
@digitalbazaar/vc): it checks each credential as a standard verifier does, then signs a
presentation around them with the verifier's challenge and domain."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("holder_wallet.mjs")
CONTEXTS = REPO / "schemas" / "contexts"


@dataclass(frozen=True)
class WalletResult:
    presentation: Any
    holder: str | None
    credential_checks: list[dict[str, Any]]
    error: str | None = None


def require_wallet() -> str:
    """The node binary, or skip when Node or the npm libraries are not installed."""
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        pytest.skip("Node.js with the npm packages of package.json (npm ci) is needed for the JS wallet")
    return node


def sign_presentation(
    credentials: list[dict[str, Any]],
    *,
    challenge: str,
    domain: str,
    seed: bytes = b"\x11" * 32,
    holder: str | None = None,
    jwt: bool = False,
    expires: str | None = None,
) -> WalletResult:
    """Run the JS wallet (`jwt`: a VC-JWT presentation, a string); `error` holds its message if it
    refused (e.g. a JSON-LD safe-mode error)."""
    node = require_wallet()
    request = {
        "credentials": credentials,
        "challenge": challenge,
        "domain": domain,
        "holderSeed": seed.hex(),
        "contexts": str(CONTEXTS),
    }
    if holder is not None:
        request["holder"] = holder
    if jwt:
        request["format"] = "jwt"
    if expires is not None:
        request["expires"] = expires
    done = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        return WalletResult(None, None, [], done.stderr or "the wallet failed")
    out = json.loads(done.stdout)
    return WalletResult(out["presentation"], out["holder"], out["credentialChecks"])
