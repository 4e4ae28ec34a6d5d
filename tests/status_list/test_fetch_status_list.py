"""fetch_status_list against a real local HTTP server: unreachable vs malformed vs too large."""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from issuer.status_list import StatusList, status_entry, status_list_credential
from verifier.errors import InputError
from verifier.fetch import Fetcher, FetchPolicy, origin_of
from verifier.status_list import (
    StatusEntryError,
    StatusListFormatError,
    StatusListTooLargeError,
    StatusListUnreachableError,
    fetch_status_list,
    status_bit,
)

DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}  # noqa: RUF012

    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(1.5)
        if self.path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            try:
                for _ in range(200):
                    self.wfile.write(b" " * 65536)
            except OSError:
                pass
            return
        status, headers, body = self.routes.get(self.path, (404, {}, b"not found"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    status_list = StatusList()
    status_list.set(5)
    list_json = json.dumps(status_list_credential(f"{base}/list", DID, "revocation", status_list)).encode()
    _Handler.routes = {
        "/list": (200, {"Content-Type": "application/vc+ld+json"}, list_json),
        "/gone": (410, {}, b""),
        "/error": (500, {}, b"oops"),
        "/html": (200, {"Content-Type": "text/html"}, b"<html>login</html>"),
        "/array": (200, {"Content-Type": "application/json"}, b"[1, 2]"),
        "/deep": (200, {}, b"[" * 100_000),
        "/declared-big": (200, {"Content-Length": str(10**9)}, b"{}"),
        "/gzip-bomb": (
            200,
            {"Content-Type": "application/json", "Content-Encoding": "gzip"},
            gzip.compress(b"[" + b" " * (8 * 1024 * 1024) + b"]"),
        ),
    }
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield base
    httpd.shutdown()
    httpd.server_close()


def _fetcher(server: str, **limits: Any) -> Fetcher:
    """A fetcher that may reach the loopback test server (refused by default, as any private address)."""
    return Fetcher(FetchPolicy(allow_hosts=frozenset({origin_of(server)}), **limits))


def test_fetches_and_reads_a_list(server: str) -> None:
    document = fetch_status_list(f"{server}/list", fetcher=_fetcher(server))
    assert document["id"] == f"{server}/list"
    assert status_bit(status_entry(f"{server}/list", 5), document) is True


def test_a_loopback_list_is_refused_unless_its_origin_is_allowed(server: str) -> None:
    with pytest.raises(StatusListUnreachableError, match="not a public address") as caught:
        fetch_status_list(f"{server}/list")
    assert "revocation" not in str(caught.value)  # nothing of the list's content is echoed


@pytest.mark.parametrize(
    ("path", "words"), [("/gone", "HTTP 410"), ("/error", "HTTP 500"), ("/nothing", "HTTP 404")]
)
def test_http_errors_are_unreachable(server: str, path: str, words: str) -> None:
    with pytest.raises(StatusListUnreachableError, match=words) as caught:
        fetch_status_list(server + path, fetcher=_fetcher(server))
    assert caught.value.spec_error == "STATUS_RETRIEVAL_ERROR"
    assert not isinstance(caught.value, InputError)


def test_connection_refused_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(StatusListUnreachableError, match="could not be retrieved"):
        fetch_status_list(f"http://127.0.0.1:{port}/list", fetcher=_fetcher(f"http://127.0.0.1:{port}"))


def test_timeout_is_unreachable(server: str) -> None:
    # /slow answers (404) after 1.5 s: past the 0.3 s deadline it must not be waited for.
    with pytest.raises(StatusListUnreachableError, match="did not answer in time"):
        fetch_status_list(f"{server}/slow", fetcher=_fetcher(server, timeout=0.3))


@pytest.mark.parametrize(
    ("path", "words"), [("/html", "not JSON"), ("/array", "not a JSON object"), ("/deep", "not JSON")]
)
def test_bodies_that_are_not_a_list_are_malformed(server: str, path: str, words: str) -> None:
    with pytest.raises(StatusListFormatError, match=words) as caught:
        fetch_status_list(server + path, fetcher=_fetcher(server))
    assert isinstance(caught.value, InputError)


@pytest.mark.parametrize("path", ["/declared-big", "/endless", "/gzip-bomb"])
def test_size_cap(server: str, path: str) -> None:
    with pytest.raises(StatusListTooLargeError, match="more than 1,048,576 bytes"):
        fetch_status_list(server + path, fetcher=_fetcher(server, max_bytes=1024 * 1024))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/list", "not a url", "", None])
def test_only_http_urls(url: object) -> None:
    with pytest.raises(StatusEntryError, match="not an http"):
        fetch_status_list(url)  # type: ignore[arg-type]
