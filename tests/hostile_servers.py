"""Real HTTP servers on 127.0.0.1 (threads) playing the hosts a hostile credential points at: an
internal service answering secrets, a redirector, a slow drip, an endless body. Each counts the
requests it received, so a test can prove that something was never fetched."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET = {"internal": "metadata-service", "token": "s3cr3t-internal-token"}
"""What the 'internal service' answers: it must never appear in any error or page."""

Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class HostileServer:
    base_url: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def origin(self) -> str:
        """`host:port`, as `[network] allow_hosts` lists it."""
        return self.base_url.split("://", 1)[1]

    @property
    def allow(self) -> frozenset[str]:
        return frozenset({self.origin})

    def count(self, prefix: str = "/") -> int:
        """Requests received whose path starts with `prefix`."""
        with self.lock:
            return sum(1 for path in self.hits if path.startswith(prefix))

    def json(self, path: str, document: Any, status: int = 200) -> str:
        body = json.dumps(document).encode()

        def route(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        self.routes[path] = route
        return self.base_url + path

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        def route(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(status)
            handler.send_header("Location", location)
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        self.routes[path] = route
        return self.base_url + path

    def drip(self, path: str, *, total: int = 60, every: float = 0.2) -> str:
        """200, then one byte every `every` seconds: each read is quick, the whole is slow."""

        def route(handler: BaseHTTPRequestHandler) -> None:
            handler.close_connection = True  # the body ends when the connection does
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.end_headers()
            with contextlib.suppress(OSError):
                for _ in range(total):
                    handler.wfile.write(b" ")
                    handler.wfile.flush()
                    time.sleep(every)

        self.routes[path] = route
        return self.base_url + path

    def endless(self, path: str) -> str:
        def route(handler: BaseHTTPRequestHandler) -> None:
            handler.close_connection = True  # the body ends when the connection does
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.end_headers()
            with contextlib.suppress(OSError):
                for _ in range(2000):
                    handler.wfile.write(b" " * 65536)

        self.routes[path] = route
        return self.base_url + path


@contextmanager
def hostile_server() -> Iterator[HostileServer]:
    """A threaded HTTP server on 127.0.0.1 with an ephemeral port; stopped on exit."""
    state = HostileServer()
    state.json("/secret", SECRET)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            with state.lock:
                state.hits.append(path)
            route = state.routes.get(path)
            if route is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            route(self)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ConnectionCounter:
    """A TCP listener on 127.0.0.1 that accepts and counts connections and never answers: proves
    that nothing (not even a TLS handshake for a did:web) was attempted."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = int(self._listener.getsockname()[1])
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def origin(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> ConnectionCounter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            client.close()
