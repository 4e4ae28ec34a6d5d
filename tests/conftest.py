"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from issuer.chain.anvil import LocalChain

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's MEDCRED_* settings or writes to ./var."""
    for name in list(os.environ):
        if name.startswith("MEDCRED_") and name != "MEDCRED_ANVIL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("MEDCRED_DATA_DIR", str(tmp_path / "var"))


@pytest.fixture(scope="session")
def anvil_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """One anvil node for the session (starting one per test would dominate the run time)."""
    data_dir = tmp_path_factory.mktemp("anvil")
    node = LocalChain(data_dir)
    info = node.start(port=18545)
    yield data_dir, info.rpc_url
    node.stop()
