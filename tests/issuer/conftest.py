"""Issuer fixtures: a fresh registry on the in-process chain, SQLite and a throw-away PostgreSQL.

The PostgreSQL cluster is real: initdb + pg_ctl from the PostgreSQL server binaries (Debian
package `postgresql`), run as an unprivileged user when the suite runs as root, listening on a
Unix socket only, removed at the end of the session. Each test gets its own database.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from issuer_testlib import make_config, new_pg_database
from pg_support import MISSING as PG_MISSING
from pg_support import pg_bin

from issuer.chain.backends import memory_chain
from issuer.chain.context import deployment_store
from issuer.chain.registry_writer import deploy_registry
from issuer.chain.transactions import TransactionSender
from issuer.secrets import generate_master_key
from issuer.service import IssuerService
from verifier.settings import Settings

PG_BIN = pg_bin()
PG_USER = "nobody"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", PG_USER, "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A throw-away PostgreSQL server; yields a URL template with `{db}` for the database name."""
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL server binaries are missing at {PG_BIN}: {PG_MISSING}.")
    base = Path(tempfile.mkdtemp(prefix="medcred-pg-"))
    data = base / "data"
    if os.geteuid() == 0:
        entry = pwd.getpwnam(PG_USER)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    run = {"check": True, "capture_output": True, "cwd": base}
    subprocess.run(
        _as_user(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        **run,
    )
    options = f"-k {base} -p {port} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
    subprocess.run(
        _as_user(
            [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start"]
        ),
        **run,
    )
    try:
        yield f"postgresql+psycopg://postgres@/{{db}}?host={base}&port={port}"
    finally:
        subprocess.run(
            _as_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
            cwd=base,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'medcred.db'}"
    return new_pg_database(request.getfixturevalue("pg_server"))


@pytest.fixture
def memory_settings(tmp_path: Path) -> Settings:
    """Settings on a fresh in-process chain with a freshly deployed registry."""
    settings = Settings(data_dir=tmp_path / "var", chain="memory")
    chain = memory_chain(fresh=True)
    deployment = deploy_registry(TransactionSender(chain.w3, chain.governor()))
    deployment_store(settings, chain).save(deployment)
    return settings


@pytest.fixture
def service(memory_settings: Settings) -> Iterator[IssuerService]:
    """A service on SQLite and the memory chain, with one registered institution 'sim'."""
    svc = IssuerService(make_config(memory_settings))
    svc.create_institution("Simulation Centre", slug="sim")
    yield svc
    svc.close()


@pytest.fixture
def any_db_service(memory_settings: Settings, database_url: str) -> Iterator[IssuerService]:
    """`service`, on SQLite and on PostgreSQL."""
    svc = IssuerService(make_config(memory_settings, database_url, master_key=generate_master_key()))
    svc.create_institution("Simulation Centre", slug="sim")
    yield svc
    svc.close()
