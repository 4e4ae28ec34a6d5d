"""The committed contract artifact is exactly what the sources compile to.

The Python side loads `contracts/CredentialRegistry.json`; rebuilding it here with the pinned npm
solc and comparing byte for byte means the ABI and bytecode can never drift from the .sol sources.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

ARTIFACT = REPO / "contracts" / "CredentialRegistry.json"


def test_artifact_is_fresh(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node, "node is required to rebuild the contract artifact"
    rebuilt = tmp_path / "CredentialRegistry.json"
    result = subprocess.run(
        [node, "scripts/build-contract.mjs", str(rebuilt)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert rebuilt.read_bytes() == ARTIFACT.read_bytes(), (
        "contracts/CredentialRegistry.json is stale: run `node scripts/build-contract.mjs` and commit it"
    )


def test_artifact_records_its_sources_and_settings() -> None:
    data = json.loads(ARTIFACT.read_text())
    assert data["settings"]["evmVersion"] == "cancun"
    assert data["compiler"]["version"].startswith("0.8.")
    for source, digest in data["sources"].items():
        path = REPO / source if (REPO / source).exists() else REPO / "node_modules" / source
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, source
