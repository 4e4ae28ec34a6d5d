"""The one hardened outbound fetcher: every URL the verifier GETs (credential links, did:web
documents, status lists, the issuer's current copy of a credential) goes through `Fetcher.get`.

The verifier page and the VC-API endpoint are open to anyone, and the credential they are handed
names the URLs to fetch, so each fetch is treated as hostile (server-side request forgery, slow
servers, huge bodies). Built on urllib3 (the client under `requests`) and its hooks; this module
writes only the policy:

- http and https only, well-formed (`verifier.urls.check_http_url`); no user:password@ in URLs.
- The address check is made where the socket is opened (a urllib3 connection class): the name is
  resolved once, every address is checked, and the socket connects to a checked address, so DNS
  rebinding cannot slip a loopback address in between. Loopback, private, link-local, multicast,
  reserved, unspecified (0.0.0.0, ::) and shared addresses, IPv4 and IPv6 (IPv4-mapped, NAT64,
  6to4 and Teredo forms looked through), are refused unless the URL's origin (`host:port`) is listed
  in `FetchPolicy.allow_hosts` (`[network] allow_hosts` in the verifier configuration).
- A total deadline per fetch (all redirects included), enforced by a watchdog that shuts the socket
  down: a server dripping one byte every two seconds is cut off at the deadline. Name resolution
  runs on a small pool and is waited for only until the deadline.
- A size cap counted while reading; `Content-Length` above it refused before reading.
- At most `max_redirects` redirects, each hop checked again.
- Failures are cached briefly in a bounded cache (keyed by a hash of the URL, holding the short
  sentence only), so a dead or hostile host is not asked again and again.
- Error sentences never echo what the remote host answered, and every network-level failure
  (refused address, DNS failure, connection refused, filtered port, timeout, reset, TLS failure)
  reads the same, so a refused internal address cannot be told from a closed or an open port.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import ipaddress
import itertools
import socket
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3
from cachetools import TTLCache
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError

from verifier.errors import InputError
from verifier.urls import MAX_URL_CHARS, MalformedURLError, check_http_url

__all__ = [
    "MAX_URL_CHARS",
    "FetchError",
    "FetchPolicy",
    "Fetcher",
    "address_is_public",
    "default_fetcher",
    "origin_of",
]

USER_AGENT = "MedCred-Verifier/0.1"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 16 * 1024
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SHARED = ipaddress.ip_network("100.64.0.0/10")


class FetchError(InputError):
    """A URL could not be fetched. `str(err)` is one sentence naming the URL's origin, never what the
    remote host said; `code` is a machine reason:

    - `fetch_url_invalid`: not an http(s) URL, malformed, too long, or with user:password@;
    - `fetch_unreachable`: any network failure, a refused (non-public) address or the deadline;
    - `fetch_http_status`: the server answered with a status other than 200;
    - `fetch_too_large`: the body is larger than the cap;
    - `fetch_redirects`: too many redirects, or a redirect to a non-http(s) or malformed URL.
    """

    def __init__(self, message: str, code: str = "fetch_unreachable") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class FetchPolicy:
    """Limits of one `Fetcher`.

    - `timeout`: seconds for the whole fetch (connect, TLS, headers, body, every redirect).
    - `max_bytes`: body size cap in bytes (after any content decoding).
    - `max_redirects`: redirects followed at most (each hop checked like the first URL).
    - `allow_hosts`: origins (`host:port`, hosts lower-case, IPv6 in brackets) that may resolve to
      non-public addresses: the local issuer in development, a test server.
    - `failure_ttl`, `failure_cache_size`: how long (seconds) and how many failures are remembered.
    """

    timeout: float = 5.0
    max_bytes: int = 2 * 1024 * 1024
    max_redirects: int = 3
    allow_hosts: frozenset[str] = field(default_factory=frozenset)
    failure_ttl: float = 15.0
    failure_cache_size: int = 1024

    def __post_init__(self) -> None:
        object.__setattr__(self, "allow_hosts", frozenset(normalize_origin(o) for o in self.allow_hosts))

    def allows_origin(self, host: str, port: int) -> bool:
        """Whether `host:port` is listed in `allow_hosts`."""
        return _origin(host, port) in self.allow_hosts


def normalize_origin(origin: str) -> str:
    """`Host:Port` as compared by the fetcher: lower-case host, IPv6 in brackets, explicit port.

    Raises ValueError for a value that is not `host:port`.
    """
    text = origin.strip().lower()
    if "://" in text:
        parts = urlsplit(text)
        if parts.hostname is None:
            raise ValueError(f"{origin!r} is not host:port")
        return _origin(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    parts = urlsplit("//" + text)
    if parts.hostname is None or parts.port is None or parts.path or parts.query:
        raise ValueError(f"{origin!r} is not host:port")
    return _origin(parts.hostname, parts.port)


def _origin(host: str, port: int) -> str:
    host = host.strip("[]").lower()
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def origin_of(url: str) -> str:
    """`host:port` of an http(s) URL (default ports filled in); ValueError when malformed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url[:100]!r} is not an http(s) URL")
    return _origin(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))


def address_is_public(address: str) -> bool:
    """Whether an IP address is a public unicast address (embedded IPv4 forms looked through)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_is_public(str(embedded))
        if ip.is_site_local:
            return False
    elif ip in _SHARED:
        return False
    return bool(
        ip.is_global
        and not ip.is_multicast
        and not ip.is_private
        and not ip.is_loopback
        and not ip.is_link_local
        and not ip.is_reserved
        and not ip.is_unspecified
    )


# ---------------------------------------------------------------------------- deadline watchdog


class _Attempt:
    """One fetch in progress: its deadline and the sockets it opened (duplicates we own, so that the
    watchdog can shut the connection down without racing a closed and reused descriptor)."""

    def __init__(self, policy: FetchPolicy, deadline: float) -> None:
        self.policy = policy
        self.deadline = deadline
        self.expired = False
        self.refused = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._done = False

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def register(self, sock: socket.socket) -> None:
        with self._lock:
            if self._done:
                return
            self._sockets.append(sock.dup())
            expired = self.expired
        if expired:
            self.expire()

    def expire(self) -> None:
        """Deadline reached: wake whatever read is blocked on this fetch's sockets."""
        with self._lock:
            if self._done:
                return
            self.expired = True
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def finish(self) -> None:
        with self._lock:
            self._done = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            sock.close()


class _Watchdog:
    """One daemon thread for every fetcher: expires attempts at their deadlines (a heap)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Attempt]] = []
        self._counter = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, attempt: _Attempt) -> None:
        with self._cond:
            heapq.heappush(self._heap, (attempt.deadline, next(self._counter), attempt))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="medcred-fetch-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                deadline, _, attempt = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
            attempt.expire()  # a finished attempt ignores this


_WATCHDOG = _Watchdog()
_current = threading.local()


# ---------------------------------------------------------------------------- guarded connections


class _Refused(OSError):
    """Raised inside urllib3 when no resolved address may be connected to."""


def _guarded_socket(conn: HTTPConnection) -> socket.socket:
    """Resolve once, check every address, connect to the first allowed one that answers."""
    attempt: _Attempt | None = getattr(_current, "attempt", None)
    if attempt is None:  # only Fetcher.get drives these connections
        raise _Refused("no fetch in progress")
    host, port = conn._dns_host, conn.port or conn.default_port  # the name urllib3 would resolve
    allowed_origin = attempt.policy.allows_origin(conn.host, port)
    remaining = attempt.remaining()
    if remaining <= 0:
        raise _Refused("deadline")
    infos = _resolve(host, port, remaining)
    last: OSError | None = None
    for family, kind, proto, _, sockaddr in infos:
        if not allowed_origin and not address_is_public(str(sockaddr[0])):
            attempt.refused = True
            continue
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(max(0.001, attempt.remaining()))
            attempt.register(sock)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            last = exc
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise last or _Refused("no allowed address")


_DNS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="medcred-dns")
"""Name resolution cannot be interrupted, so it runs here, waited for only until the deadline: a
slow resolver costs a fetch its deadline, never more, and at most 8 lookups are in flight."""


def _resolve(host: str, port: int, timeout: float) -> list[Any]:
    """getaddrinfo(host, port) within `timeout` seconds (IP literals at once); _Refused past it."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    future = _DNS.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        return future.result(timeout=timeout)
    except FutureTimeout:
        future.cancel()
        raise _Refused("name resolution took too long") from None


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _guarded_socket(self)


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _guarded_socket(self)


class _FreshConnections:
    """Never reuse a connection: each fetch's sockets are its own, watched by its deadline."""

    def _get_conn(self, timeout: float | None = None) -> HTTPConnection:
        return self._new_conn()  # type: ignore[attr-defined]

    def _put_conn(self, conn: HTTPConnection | None) -> None:
        if conn is not None:
            conn.close()


class _GuardedHTTPPool(_FreshConnections, HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(_FreshConnections, HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


# ---------------------------------------------------------------------------- the fetcher


def _where(url: str) -> str:
    """A short, safe rendering of the URL for error sentences (origin and a clipped path)."""
    try:
        parts = urlsplit(url)
        shown = f"{parts.scheme}://{parts.netloc}{parts.path}"
    except ValueError:
        shown = url
    shown = "".join(ch if ch.isprintable() else "?" for ch in shown)
    return shown if len(shown) <= 120 else shown[:117] + "..."


def _check_url(url: object) -> str:
    """The URL's shape (verifier.urls) plus the fetcher's own rule: no user:password@."""
    if not isinstance(url, str):
        raise FetchError("The address to fetch is not a URL.", "fetch_url_invalid")
    try:
        url = check_http_url(url)
    except MalformedURLError as exc:
        raise FetchError(str(exc), "fetch_url_invalid") from None
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise FetchError(f"{_where(url)} carries a user name or password; refused.", "fetch_url_invalid")
    return url


def _unreachable(url: str) -> FetchError:
    # One sentence for every network-level failure: a refused internal address, a closed port, a
    # filtered port and a slow server must read the same.
    return FetchError(
        f"{_where(url)} could not be fetched: the host is unreachable, did not answer in time, "
        "or is not a public address.",
        "fetch_unreachable",
    )


class Fetcher:
    """GETs URLs under one `FetchPolicy`. Thread-safe; make one per Verifier or per process."""

    def __init__(self, policy: FetchPolicy | None = None) -> None:
        self.policy = policy or FetchPolicy()
        self._pool = urllib3.PoolManager(num_pools=16, retries=False, maxsize=1, block=False)
        self._pool.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}
        self._failures: TTLCache[str, tuple[str, str]] = TTLCache(
            maxsize=self.policy.failure_cache_size, ttl=self.policy.failure_ttl
        )
        self._lock = threading.Lock()

    def get(self, url: str, accept: str = "application/json", *, https_only: bool = False) -> bytes:
        """The body of a 200 answer to GET `url` (redirects followed under the policy).

        `accept` is the Accept header; `https_only` refuses plain http anywhere in the chain
        (did:web). Raises FetchError (see its codes); never anything else.
        """
        url = _check_url(url)
        key = hashlib.sha256(f"{https_only}|{accept}|{url}".encode()).hexdigest()
        with self._lock:
            cached = self._failures.get(key)
        if cached is not None:
            raise FetchError(*cached)
        try:
            return self._fetch(url, accept, https_only)
        except FetchError as exc:
            with self._lock:
                self._failures[key] = (str(exc), exc.code)
            raise FetchError(str(exc), exc.code) from None

    def failure_count(self) -> int:
        """How many failures are remembered now (bounded by `policy.failure_cache_size`)."""
        with self._lock:
            self._failures.expire()
            return len(self._failures)

    def _fetch(self, url: str, accept: str, https_only: bool) -> bytes:
        attempt = _Attempt(self.policy, time.monotonic() + self.policy.timeout)
        _WATCHDOG.watch(attempt)
        previous = getattr(_current, "attempt", None)
        _current.attempt = attempt
        try:
            return self._follow(url, accept, https_only, attempt)
        finally:
            _current.attempt = previous
            attempt.finish()

    def _follow(self, url: str, accept: str, https_only: bool, attempt: _Attempt) -> bytes:
        first = url
        for hop in range(self.policy.max_redirects + 1):
            if https_only and not url.lower().startswith("https://"):
                raise FetchError(f"{_where(first)} is not served over HTTPS.", "fetch_url_invalid")
            status, location, body = self._one(url, accept, attempt)
            if status in _REDIRECTS:
                if hop == self.policy.max_redirects:
                    raise FetchError(
                        f"{_where(first)} redirected more than {self.policy.max_redirects} times.",
                        "fetch_redirects",
                    )
                if not location:
                    raise FetchError(f"{_where(first)} redirected nowhere.", "fetch_redirects")
                try:
                    url = _check_url(urljoin(url, location))
                except FetchError:
                    raise FetchError(
                        f"{_where(first)} redirected to an address that cannot be fetched.", "fetch_redirects"
                    ) from None
                continue
            if status != 200:
                raise FetchError(f"{_where(url)} answered HTTP {status}.", "fetch_http_status")
            return body
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _one(self, url: str, accept: str, attempt: _Attempt) -> tuple[int, str | None, bytes]:
        remaining = attempt.remaining()
        if remaining <= 0:
            raise _unreachable(url)
        headers = {
            "Accept": accept,
            "Accept-Encoding": "identity",
            "User-Agent": USER_AGENT,
            "Connection": "close",
        }
        response = None
        try:
            response = self._pool.request(
                "GET",
                url,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
                timeout=urllib3.Timeout(connect=remaining, read=remaining),
            )
            if response.status in _REDIRECTS:
                return response.status, response.headers.get("Location"), b""
            if response.status != 200:
                return response.status, None, b""
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.policy.max_bytes:
                raise self._too_large(url)
            body = bytearray()
            for chunk in response.stream(_CHUNK, decode_content=True):
                body += chunk
                if len(body) > self.policy.max_bytes:
                    raise self._too_large(url)
                if attempt.expired:
                    raise _unreachable(url)
            if attempt.expired:  # the watchdog's shutdown can look like a clean end of the body
                raise _unreachable(url)
            return 200, None, bytes(body)
        except FetchError:
            raise
        except (HTTPError, OSError, ValueError, LookupError):
            # ValueError / LookupError: urllib3 and idna reject some hosts the URL parser took.
            raise _unreachable(url) from None
        finally:
            if response is not None:
                response.release_conn()
                response.close()

    def _too_large(self, url: str) -> FetchError:
        return FetchError(
            f"{_where(url)} sent more than {self.policy.max_bytes:,} bytes; refused.", "fetch_too_large"
        )


_DEFAULT: dict[FetchPolicy, Fetcher] = {}
_DEFAULT_LOCK = threading.Lock()


def default_fetcher(policy: FetchPolicy | None = None) -> Fetcher:
    """A shared Fetcher per policy (for module-level helpers called without one); at most 8 kept."""
    policy = policy or FetchPolicy()
    with _DEFAULT_LOCK:
        fetcher = _DEFAULT.get(policy)
        if fetcher is None:
            if len(_DEFAULT) >= 8:
                _DEFAULT.pop(next(iter(_DEFAULT)))
            fetcher = _DEFAULT[policy] = Fetcher(policy)
        return fetcher


def parse_allow_hosts(values: Iterable[object], where: str = "allow_hosts") -> frozenset[str]:
    """`[network] allow_hosts` entries as normalized origins; ValueError naming the bad entry."""
    origins = set()
    for value in values:
        if not isinstance(value, str):
            raise ValueError(f"{where}: {value!r} is not a host:port string")
        try:
            origins.add(normalize_origin(value))
        except ValueError:
            raise ValueError(f'{where}: {value!r} is not host:port (e.g. "127.0.0.1:8000")') from None
    return frozenset(origins)
