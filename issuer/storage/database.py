"""Opening the issuer's database: engine, session scope, and the SQLite settings that make it safe.

SQLite runs in WAL mode (readers never block the writer) with a busy timeout, foreign keys on, and
every transaction started with `BEGIN IMMEDIATE`: the write lock is taken up front, so two processes
(the web layer and the anchoring worker, or `medcred issue` next to `medcred run`) queue behind the
busy timeout instead of one failing with "database is locked" when it upgrades a read to a write.

PostgreSQL (psycopg 3) needs none of this; its connections are checked before use so a restarted
server costs one retry, not an error.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from issuer.config import ConfigError
from issuer.data_folder import private_file
from issuer.storage.migrate import upgrade_to_head
from verifier.errors import MedCredError

SQLITE_BUSY_TIMEOUT_MS = 30_000

UNREACHABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
"""The driver errors that mean "cannot reach the database now" (a restart, a failover, a dropped
connection) rather than a bug in a query. Background loops catch these as an outage: one warning
line and a retry, never a traceback."""
READ_ONLY_OPTION = "medcred_read_only"


_sqlite_databases: weakref.WeakSet[Database] = weakref.WeakSet()


def _new_write_locks_after_fork() -> None:
    """A forked child starts with free write locks (another thread may have held one at the fork)."""
    for database in list(_sqlite_databases):
        database._write_lock = threading.RLock()


os.register_at_fork(after_in_child=_new_write_locks_after_fork)


class DatabaseError(MedCredError):
    """The database cannot be opened or reached."""


class Database:
    """One engine per process and URL; `session()` is the unit of work (commit or roll back)."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine = _engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock: threading.RLock | None = None
        if self.dialect == "sqlite":  # re-entrant: a nested write session behaves as it always did
            self._write_lock = threading.RLock()
            _sqlite_databases.add(self)
        if migrate:
            try:
                upgrade_to_head(self.engine)
            except OperationalError as exc:
                where = self.describe()
                raise DatabaseError(f"The database at {where} cannot be opened: {exc.orig}") from exc

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_postgresql(self) -> bool:
        return self.dialect == "postgresql"

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file, or None (PostgreSQL, or an in-memory SQLite)."""
        if self.dialect != "sqlite":
            return None
        database = make_url(self.url).database
        return Path(database).resolve() if database and database != ":memory:" else None

    def describe(self) -> str:
        """The URL without its password, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits when the block ends normally and rolls back otherwise.

        On SQLite, the threads of one process take turns here before asking SQLite for its write
        lock. SQLite admits one writer anyway, so nothing is lost; but a writer that finds the
        lock taken waits in SQLite's busy handler, which polls with sleeps growing to 100 ms, so
        under load the lock sits idle while waiters sleep (measured: 8 writer threads in 2
        processes, a 0.5 ms transaction had a p99 of 21 ms and a max of 107 ms; taking turns here
        first: 5 ms and 35 ms). Only threads of this process queue here; processes still meet at
        SQLite's lock, and correctness never depends on this queue. If the turn does not come
        within SQLite's own busy timeout, the transaction goes ahead as before and SQLite decides.
        """
        lock = self._write_lock
        acquired = lock is not None and lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        try:
            with self.sessions() as session, session.begin():
                yield session
        finally:
            if acquired:
                assert lock is not None
                lock.release()

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A read-only unit of work: on SQLite a plain (deferred) transaction that takes no write lock."""
        with self.sessions() as session:  # closing the session rolls the transaction back
            session.connection(execution_options={READ_ONLY_OPTION: True})
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigError(f"DATABASE_URL is not a valid database URL: {exc}.") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    raise ConfigError(f"Unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL.")


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    in_memory = not database or database == ":memory:"
    if not in_memory:
        private_file(Path(database))  # 0600 before SQLite opens it: its -wal and -shm copy the mode
    options: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    if in_memory:
        options["poolclass"] = StaticPool
    engine = create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see "begin" below)
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL mode
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine
