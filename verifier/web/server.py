"""`medcred verify-server` on waitress, a production WSGI server (never Flask's development server).

    from verifier.web.server import serve_verifier
    serve_verifier(app, "127.0.0.1", 8001, on_ready=lambda url: print(url))  # blocks until Ctrl-C/SIGTERM

waitress is pure Python, threaded, and in the `web` extra, so a licensing body that installs the
verifier alone gets the same server as `medcred serve`. It buffers each body before the app sees
it, so bodies over the verifier's own limit are refused right after their headers here. SIGTERM
stops it like Ctrl-C: no new connections, in-flight requests finish.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

from verifier.web.blueprint import MAX_REQUEST_BYTES

THREADS = 8


def serve_verifier(
    app: Flask,
    host: str,
    port: int,
    *,
    threads: int = THREADS,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve `app` on HOST:PORT (`port=0`: a free one, given to `on_ready` in the URL) until stopped."""
    from waitress.server import create_server  # noqa: PLC0415 - the 'web' extra

    server: Any = create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="MedCred",
        max_request_body_size=MAX_REQUEST_BYTES,
    )
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{int(server.effective_port)}"

    def on_signal(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        if on_ready is not None:
            on_ready(url)
        server.run()  # returns on KeyboardInterrupt, after the request threads have stopped
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
