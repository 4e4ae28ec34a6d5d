"""Helpers shared by the issuer tests (a unique module name: tests/ has several helper modules)."""

from __future__ import annotations

import itertools
import os

from sqlalchemy import create_engine, text

from issuer.config import ServiceConfig
from verifier.settings import Settings


def make_config(settings: Settings, database_url: str | None = None, **changes: object) -> ServiceConfig:
    env = {"MEDCRED_BATCH_MAX_AGE": "3600", "MEDCRED_RETRY_BACKOFF": "0.05,0.2"}
    if database_url:
        env["DATABASE_URL"] = database_url
    config = ServiceConfig.from_settings(settings, env=env)
    return config.with_(poll_interval=0.05, **changes)


def roster(rows: int, template: str = "bls", start: int = 0) -> str:
    lines = ["name,email,template"] + [
        f"Person {i},person{i}@example.org,{template}" for i in range(start, start + rows)
    ]
    return "\n".join(lines) + "\n"


_db_counter = itertools.count()


def new_pg_database(pg_server: str) -> str:
    name = f"medcred_{os.getpid()}_{next(_db_counter)}"
    admin = create_engine(pg_server.format(db="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return pg_server.format(db=name)
