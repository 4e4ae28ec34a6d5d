"""Running the issuer app: one function for `medcred serve` and `medcred run`.

    from issuer.web.server import serve
    serve(service, verifier_config, "127.0.0.1", 8000)   # blocks until Ctrl-C / SIGTERM

    from issuer.web.server import start_web
    web = start_web(service, host="127.0.0.1", port=8000)  # background thread (medcred run)
    print(web.urls); ...; web.stop()

The server is waitress (a production-grade threaded WSGI server) when installed, else werkzeug's
threaded server. Both accept `port=0` (a free port; see `WebServer.port`). Threads matter beyond
throughput: the verifier page fetches credentials (and status lists) from this same server, so
it needs more than one.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

from issuer.service import IssuerService
from issuer.web.app import create_app
from issuer.web.limits import MAX_UPLOAD_BYTES
from issuer.web.trust import verifier_config_for
from verifier.config import VerifierConfig
from verifier.web.server import listen_error, listening_waitress
from verifier.web.verify_processes import EXTENSION as RUNNER_EXTENSION

log = logging.getLogger(__name__)
THREADS = 8


class WebServer:
    """A bound server for `app`: `serve_forever()` in this thread, or `start()` in a background one."""

    def __init__(
        self,
        app: Flask,
        host: str,
        port: int,
        *,
        threads: int = THREADS,
        kind: str | None = None,
        verify_processes: bool = False,
    ) -> None:
        """`kind`: 'waitress' or 'werkzeug'; None picks waitress when it is installed.
        `verify_processes`: verify in worker processes while serving (verifier.web.verify_processes;
        they start in the background when serving starts, and `stop()` stops them)."""
        self.host = host
        self._runner = app.extensions.get(RUNNER_EXTENSION) if verify_processes else None
        self._processes_started = False
        create_server = None
        if kind in (None, "waitress"):
            try:
                from waitress.server import create_server  # noqa: PLC0415 - optional dependency
            except ImportError:
                if kind == "waitress":
                    raise
        if create_server is not None:
            self.kind = "waitress"
            # waitress buffers a whole body before the app sees it, so Flask's per-route limits
            # cannot stop a 1 GB upload early: refuse anything over the largest route limit here,
            # right after the headers (or as soon as a chunked body passes it).
            self._server: Any = listening_waitress(
                app, host, port, threads=threads, max_body=MAX_UPLOAD_BYTES + 1024 * 1024
            )
            self.port = int(self._server.effective_port)
        else:
            from werkzeug.serving import make_server  # noqa: PLC0415

            self.kind = "werkzeug"
            try:
                self._server = make_server(host, port, app, threaded=True)
            except OSError as exc:
                raise listen_error(host, port, exc) from None
            self.port = int(self._server.server_port)
        self._thread: threading.Thread | None = None

    def _start_processes(self) -> None:
        if self._runner is not None and not self._processes_started:
            self._processes_started = True
            self._runner.start_processes(wait=False)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def urls(self) -> list[str]:
        """What `medcred run` prints."""
        return [
            f"{self.url}/admin/  (admin UI)",
            f"{self.url}/verify  (verifier page)",
            f"{self.url}/openapi.json",
        ]

    def serve_forever(self) -> None:
        """Serve until `stop()` (from another thread or a signal handler) or KeyboardInterrupt."""
        self._start_processes()
        if self.kind == "waitress":
            self._server.run()  # returns once every socket is closed (see stop)
        else:
            self._server.serve_forever()

    def start(self) -> WebServer:
        self._start_processes()
        self._thread = threading.Thread(target=self.serve_forever, name="medcred-web", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop accepting connections, let the loop end, and stop the request threads. Idempotent."""
        if self.kind == "waitress":
            server = self._server

            def close_all() -> None:  # runs inside waitress's loop thread: no race on its sockets
                with contextlib.suppress(Exception):
                    from waitress import wasyncore  # noqa: PLC0415

                    wasyncore.close_all(server._map)

            with contextlib.suppress(Exception):
                server.trigger.pull_trigger(close_all)
            if self._thread is None:  # not started in the background: close directly
                close_all()
            with contextlib.suppress(Exception):
                server.task_dispatcher.shutdown(timeout=timeout)
        else:
            with contextlib.suppress(Exception):
                self._server.shutdown()
            self._server.server_close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        if self._runner is not None:
            self._runner.close()


def start_web(
    service: IssuerService,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    verifier_config: VerifierConfig | Callable[[], VerifierConfig] | None = None,
    verify_processes: bool = False,
) -> WebServer:
    """Serve the app on a background thread (the anchoring worker is the caller's business);
    `verify_processes`: verify in worker processes (`medcred run` does; see WebServer)."""
    config = verifier_config if verifier_config is not None else (lambda: verifier_config_for(service))
    server = WebServer(create_app(service, config), host, port, verify_processes=verify_processes)
    log.info("MedCred web (%s) on %s", server.kind, server.url)
    return server.start()


def serve(
    service: IssuerService,
    verifier_config: VerifierConfig | Callable[[], VerifierConfig] | None,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    worker: bool = True,
    on_ready: Callable[[WebServer], None] | None = None,
) -> None:
    """Serve in this thread until Ctrl-C or SIGTERM, with the anchoring worker (unless `worker=False`).

    On the way out the server stops accepting, in-flight requests finish, and the worker is
    stopped (the service itself stays open: its owner closes it). `verifier_config=None` uses the
    data folder's verifier.toml (plus the registry itself on the memory chain).
    """
    config = verifier_config if verifier_config is not None else (lambda: verifier_config_for(service))
    server = WebServer(create_app(service, config), host, port, verify_processes=True)
    stop_requested = threading.Event()

    def on_signal(_signum: int, _frame: Any) -> None:
        stop_requested.set()
        raise KeyboardInterrupt

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, on_signal)
    started_worker = False
    try:
        if worker:
            service.start_worker()
            started_worker = True
        if on_ready is not None:
            on_ready(server)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    finally:
        server.stop()
        if started_worker:
            service.stop_worker()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
