"""Fault-test fixtures: a restartable PostgreSQL cluster, and tests/issuer's helpers on sys.path.

tests/issuer has no package marker; its helper module `issuer_testlib` is importable only once
pytest has put that folder on sys.path, which it does after this folder (alphabetical order) in a
full run, and never when only tests/faults is run. So it is added here explicitly.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "issuer"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from faults_lib import PgCluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A PostgreSQL cluster of our own: the fault tests stop and start it under a running issuer."""
    cluster = PgCluster()
    try:
        yield cluster
    finally:
        cluster.destroy()
