"""The issuer app for a pre-forking WSGI server (gunicorn), configured like `medcred serve`.

    gunicorn --workers 2 --threads 4 --bind 127.0.0.1:8000 'issuer.web.wsgi:create_app()'
    medcred worker          # exactly one anchoring worker, in its own process

The service is built from the environment exactly as the CLI builds it (`MEDCRED_DATA_DIR`,
`MEDCRED_CHAIN`, `DATABASE_URL`, `MEDCRED_PUBLIC_URL`, `MEDCRED_MASTER_KEY`, ...; see
issuer.config), so a gunicorn deployment and `medcred serve` can never disagree about which
database, keys or chain they use.

Why the app is a per-process wrapper rather than the Flask app itself: an `IssuerService` owns a
database connection pool, and pooled connections (SQLite file handles, PostgreSQL sockets) must
never be shared between processes. Without `--preload` gunicorn calls the factory in each worker
after the fork, which is already right; with `--preload` it calls it once in the master and forks
the result. The wrapper makes both safe: it remembers the process it was built in and, on the
first request in any other process, builds that process's own service and app (the master's copy
is never used there).

Why no anchoring worker here: `medcred serve` runs one in its own process, but gunicorn would run
one per worker. The anchoring lease would keep all but one idle, yet each would still poll the
database and hold a lease connection; so the web processes only serve, and one `medcred worker`
process anchors for all of them (it takes the same lease, so a second one would simply wait).
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from issuer.config import ServiceConfig
from issuer.key_placement import warn_about_key_placement
from issuer.service import IssuerService
from verifier.settings import Settings

WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Any]
GUNICORN_VERIFY_SLOTS = 2
"""Verifications at once per process by default: half of the `--threads 4` above, so a flood of
slow verify requests leaves threads for issuing, admin and /healthz (MEDCRED_VERIFY_SLOTS sets it;
keep it below --threads)."""


def build_app(settings: Settings | None = None) -> tuple[Flask, IssuerService]:
    """A fresh service from the environment (as `medcred serve` makes it) and the app over it."""
    from issuer.web.app import create_app as create_flask_app  # noqa: PLC0415 - keep import cheap
    from issuer.web.trust import verifier_config_for  # noqa: PLC0415
    from verifier.web.verify_pool import slots_from_env  # noqa: PLC0415

    service = IssuerService(ServiceConfig.from_settings(settings or Settings.from_env()))
    slots = slots_from_env(GUNICORN_VERIFY_SLOTS)
    app = create_flask_app(service, lambda: verifier_config_for(service), verify_slots=slots)
    return app, service


class PerProcessApp:
    """A WSGI app that owns one IssuerService per process (see the module docstring)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._pid = -1
        self._app: Flask | None = None
        self.service: IssuerService | None = None
        self._ensure()  # fail at start-up, not on the first request, if the configuration is wrong
        # Built in gunicorn's master (--preload) the pool would be forked with open connections:
        # close them here, in the process that opened them. The pool reconnects on first use.
        assert self.service is not None
        self.service.db.dispose()
        # gunicorn's bind address is not visible here: warn whenever the key is beside the database.
        warn_about_key_placement(self.service.config, None)

    def _ensure(self) -> Flask:
        pid = os.getpid()
        app = self._app
        if app is not None and self._pid == pid:
            return app
        with self._lock:
            if self._app is None or self._pid != pid:
                # A forked copy of the parent's service is dropped, never closed: closing it would
                # close the parent's connections. Ours is closed when this process exits.
                self._app, self.service = build_app(self._settings)
                self._pid = pid
                atexit.register(self.service.close)
            return self._app

    @property
    def flask_app(self) -> Flask:
        """This process's Flask app (tests use its test client)."""
        return self._ensure()

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        return self._ensure()(environ, start_response)


def create_app() -> PerProcessApp:
    """The gunicorn entry point: `gunicorn 'issuer.web.wsgi:create_app()'`."""
    return PerProcessApp()
