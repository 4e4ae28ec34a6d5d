"""Alembic, configured in code: upgrade to head on open, and a developer entry point for new scripts.

Upgrading is serialized between processes (a gunicorn fleet starting at once): PostgreSQL takes a
transaction-level advisory lock, SQLite's `BEGIN IMMEDIATE` already admits one writer at a time.

    python -m issuer.storage.migrate revision -m "add a column"   # autogenerate against a fresh SQLite
    python -m issuer.storage.migrate upgrade DATABASE_URL
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_UPGRADE_LOCK_ID = 0x4D43_5244_0001  # "MCRD" + 1: the advisory lock serializing upgrades


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine: Engine) -> None:
    """Bring the schema to the newest revision (no-op when it already is)."""
    head = head_revision()
    with engine.connect() as connection:
        if current_revision(connection) == head:
            return
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _UPGRADE_LOCK_ID})
        command.upgrade(alembic_config(connection), "head")


def _main(argv: list[str]) -> int:  # pragma: no cover - developer tool
    if len(argv) >= 3 and argv[0] == "revision" and argv[1] == "-m":
        with tempfile.TemporaryDirectory() as tmp:
            engine = create_engine(f"sqlite:///{tmp}/scratch.db")
            upgrade_to_head(engine)
            with engine.begin() as connection:
                command.revision(alembic_config(connection), message=argv[2], autogenerate=True)
        return 0
    if len(argv) == 2 and argv[0] == "upgrade":
        upgrade_to_head(create_engine(argv[1]))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main(sys.argv[1:]))
