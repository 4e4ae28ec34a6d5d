"""A standard Data Integrity verifier, independent of MedCred: the reference JavaScript libraries
(`reference_verify.mjs`, npm @digitalbazaar/vc with the eddsa-rdfc-2022 and eddsa-jcs-2022
cryptosuites) run under node on the bundled contexts."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("reference_verify.mjs")
CONTEXTS = REPO / "schemas" / "contexts"


def reference_verify(credentials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """[{"verified", "proofs", "error"}] per credential; skips when node or the npm libraries are missing."""
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "@digitalbazaar" / "eddsa-jcs-2022-cryptosuite").is_dir():
        pytest.skip(
            "Node.js with the npm packages of package.json (npm ci) is needed for the reference verifier"
        )
    done = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps({"credentials": credentials, "contexts": str(CONTEXTS)}),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
