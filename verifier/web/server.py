"""`medcred verify-server` on waitress, a production WSGI server (never Flask's development server).

    from verifier.web.server import serve_verifier
    serve_verifier(app, "127.0.0.1", 8001, on_ready=lambda url: print(url))  # blocks until Ctrl-C/SIGTERM

waitress is pure Python, threaded, and in the `web` extra, so a licensing body that installs the
verifier alone gets the same server as `medcred serve`. It buffers each body before the app sees
it, so bodies over the verifier's own limit are refused right after their headers here. SIGTERM
stops it like Ctrl-C: no new connections, in-flight requests finish.
"""

from __future__ import annotations

import errno
import signal
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

from verifier.errors import InputError
from verifier.web.blueprint import MAX_REQUEST_BYTES
from verifier.web.verify_processes import EXTENSION as RUNNER_EXTENSION

THREADS = 8
RECV_BYTES = 64 * 1024
"""Bytes waitress reads per socket read (its default is 8 KB): a 2 MB body in 32 reads rather than
256, each of which is Python work in the thread that serves every connection."""
SWITCH_INTERVAL_S = 0.001
"""How long a thread of a server process may hold the GIL while another waits (Python's default
is 5 ms). A request that waits on the network (a status list, the chain, the database) must take
the GIL back each time it wakes; behind busy threads that took up to one interval per wake-up,
so a genuine 5 ms verification beside two hostile ones took ten times as long. 1 ms cut the
genuine p95 under `benchmarks/bench_hostile.py` by about 40 %."""


def listen_error(host: str, port: int, exc: OSError) -> InputError:
    """The sentence for a server that cannot listen on HOST:PORT (port taken, a privileged port, an
    address this machine does not have, a host name that does not resolve), instead of a traceback.
    Shared by `verify-server`, `serve` and `run`."""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if isinstance(exc, socket.gaierror):
        why = f"the host name {host!r} does not resolve; give an address such as 127.0.0.1 (--host)"
    elif exc.errno == errno.EADDRINUSE:
        why = "the port is already in use (by another medcred or program); stop it or choose another --port"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        why = "permission denied (ports below 1024 need root); choose a port above 1023 with --port"
    elif exc.errno == errno.EADDRNOTAVAIL:
        why = "this machine has no such address; give one of its own (--host 127.0.0.1, or 0.0.0.0 for all)"
    else:
        why = exc.strerror or str(exc)
    return InputError(f"Cannot listen on {where}: {why}.")


def listening_waitress(app: Flask, host: str, port: int, *, threads: int, max_body: int) -> Any:
    """A waitress server bound to HOST:PORT (`port=0`: a free one; see `effective_port`), bodies
    over `max_body` bytes refused right after their headers.

    Sets this process's GIL switch interval to `SWITCH_INTERVAL_S`. Raises InputError
    (`listen_error`) when it cannot listen; the half-made server's socket and
    wake-up pipe are closed then, so nothing is left open behind the sentence.
    """
    from waitress import wasyncore  # noqa: PLC0415 - the 'web' extra
    from waitress.server import create_server  # noqa: PLC0415

    sys.setswitchinterval(SWITCH_INTERVAL_S)  # a server process: see SWITCH_INTERVAL_S
    sockets: dict[int, Any] = {}
    try:
        return create_server(
            app,
            map=sockets,
            host=host,
            port=port,
            threads=threads,
            ident="MedCred",
            max_request_body_size=max_body,
            recv_bytes=RECV_BYTES,
        )
    except OSError as exc:
        wasyncore.close_all(sockets)
        raise listen_error(host, port, exc) from None
    except ValueError:  # waitress's word for a host name it could not resolve, or a bad port
        wasyncore.close_all(sockets)
        raise listen_error(host, port, socket.gaierror(host)) from None


def serve_verifier(
    app: Flask,
    host: str,
    port: int,
    *,
    threads: int = THREADS,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve `app` on HOST:PORT (`port=0`: a free one, given to `on_ready` in the URL) until stopped,
    verifying in worker processes (verifier.web.verify_processes) unless MEDCRED_VERIFY_PROCESSES=0."""
    server = listening_waitress(app, host, port, threads=threads, max_body=MAX_REQUEST_BYTES)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{int(server.effective_port)}"

    def on_signal(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, on_signal)
    runner = app.extensions.get(RUNNER_EXTENSION)
    try:
        if runner is not None:
            runner.start_processes(wait=False)
        if on_ready is not None:
            on_ready(url)
        server.run()  # returns on KeyboardInterrupt, after the request threads have stopped
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if runner is not None:
            runner.close()
