"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's MEDCRED_* settings or writes to ./var."""
    for name in list(os.environ):
        if name.startswith("MEDCRED_") and name != "MEDCRED_ANVIL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("MEDCRED_DATA_DIR", str(tmp_path / "var"))
