"""Where the bundled data files live.

In a source checkout they are the top-level `schemas/` and `contracts/` folders; in an installed wheel
they are copied under `verifier/_data/`. Looking in both keeps one copy of each file in the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CANDIDATES = (_PACKAGE / "_data", _PACKAGE.parent)


def _find(relative: str) -> Path:
    for base in _CANDIDATES:
        path = base / relative
        if path.exists():
            return path
    raise FileNotFoundError(f"MedCred's bundled file {relative} is missing from this installation.")


def schemas_dir() -> Path:
    """The folder of bundled JSON-LD contexts, JSON Schemas and achievement templates."""
    return _find("schemas")


def registry_artifact_path() -> Path:
    """The committed build artifact (ABI, bytecode) of CredentialRegistry."""
    return _find("contracts/CredentialRegistry.json")
