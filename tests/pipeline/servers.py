"""A tiny loopback HTTP server that serves credential files, as an issuer's public URLs would."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class CredentialHost:
    def __init__(self) -> None:
        self.documents: dict[str, bytes] = {}
        self.base_url = ""

    @property
    def allow(self) -> frozenset[str]:
        """`allow_hosts` for a verifier that may fetch from this loopback server (refused otherwise)."""
        return frozenset({self.base_url.split("://", 1)[1]})

    def put(self, name: str, document: Any) -> str:
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.documents["/" + name] = body
        return self.base_url + "/" + name


@contextmanager
def credential_host() -> Iterator[CredentialHost]:
    host = CredentialHost()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = host.documents.get(self.path)
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    host.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield host
    finally:
        server.shutdown()
        server.server_close()
