"""The anchoring lease: at most one worker anchors for a database at a time.

Two workers closing batches from the same pending credentials could anchor a credential twice;
the database guards that too (a credential moves pending -> submitted only once), but two workers
would still race on nonces and waste transactions. So a worker first takes the lease:

- PostgreSQL: `pg_try_advisory_lock` on a connection the worker keeps open; the server releases it
  when that connection ends, including when the worker's process is killed.
- SQLite file: an exclusive `flock` on `<database>.anchor.lock`, released by the kernel when the
  process dies, so a crashed worker never leaves a stale lease behind.
- SQLite in memory: a lock in this process (nothing else can see that database).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from issuer.storage.database import Database

log = logging.getLogger(__name__)

ANCHOR_LEASE_ID = 0x4D43_5244_0002  # "MCRD" + 2
_memory_locks: dict[str, threading.Lock] = {}
_memory_guard = threading.Lock()


class Lease:
    """Acquire with `try_acquire()`; check with `held()` before each pass; `release()` when done."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._connection: Connection | None = None
        self._fd: int | None = None
        self._lock: threading.Lock | None = None
        self._held = False

    def try_acquire(self) -> bool:
        if self._held:
            return True
        if self.db.is_postgresql:
            self._held = self._acquire_pg()
        elif self.db.sqlite_path is not None:
            self._held = self._acquire_file(str(self.db.sqlite_path) + ".anchor.lock")
        else:
            with _memory_guard:
                lock = _memory_locks.setdefault(self.db.url, threading.Lock())
            self._held = lock.acquire(blocking=False)
            self._lock = lock if self._held else None
        return self._held

    def held(self) -> bool:
        """Still ours? (A PostgreSQL connection can drop, taking the lock with it.)"""
        if not self._held:
            return False
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
            except DBAPIError:
                self._drop_connection()
                self._held = False
        return self._held

    def release(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(DBAPIError):
                self._connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": ANCHOR_LEASE_ID})
            self._drop_connection()
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        self._held = False

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.release()

    # ------------------------------------------------------------------ backends

    def _acquire_pg(self) -> bool:
        connection: Connection | None = None
        try:  # the server may be down or restarting: no lease now, the worker asks again later
            connection = self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            got = bool(
                connection.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": ANCHOR_LEASE_ID}).scalar()
            )
        except DBAPIError as exc:
            log.warning("Cannot take the anchoring lease, the database is unreachable: %s", exc.orig)
            if connection is not None:
                with contextlib.suppress(DBAPIError):
                    connection.close()
            return False
        if got:
            self._connection = connection
        else:
            connection.close()
        return got

    def _acquire_file(self, path: str) -> bool:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def _drop_connection(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(DBAPIError):
                self._connection.close()
            self._connection = None
