"""The verifier's memo: thread-safe, bounded in size and (optionally) in time, on cachetools.

Within one batch everything may be cached for the batch (`ttl_seconds=None`: least recently used
entries leave past `maxsize`); a long-running server passes a TTL so that it notices revocations (on
chain and in status lists) within that many seconds; `ttl_seconds=0` caches nothing.

Keys come from credentials (status list URLs, roots, DIDs), that is from whoever sends one: keys
longer than `MAX_KEY_CHARS` are stored as their SHA-256, so a 1.5 MB URL costs 32 bytes here.
Cache values must be small and hold no traceback: store a `CachedFailure`, not an exception.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from cachetools import Cache, LRUCache, TTLCache

T = TypeVar("T")
DEFAULT_MAXSIZE = 4096
MAX_KEY_CHARS = 256
MAX_FAILURE_CHARS = 300


@dataclass(frozen=True)
class CachedFailure:
    """A failure worth remembering briefly: its machine code and a clipped sentence, no traceback."""

    code: str
    message: str

    @classmethod
    def of(cls, error: BaseException, default_code: str = "error") -> CachedFailure:
        """The code (`error.code` if any) and the first MAX_FAILURE_CHARS characters of `str(error)`."""
        code = getattr(error, "code", None)
        message = str(error)
        if len(message) > MAX_FAILURE_CHARS:
            message = message[: MAX_FAILURE_CHARS - 3] + "..."
        return cls(code if isinstance(code, str) else default_code, message)


def compact_key(key: Hashable) -> Hashable:
    """`key` itself when short, else the SHA-256 of its repr (a bytes value)."""
    text = repr(key)
    if len(text) <= MAX_KEY_CHARS:
        return key
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class TtlCache:
    """A thread-safe memo bounded by `maxsize` entries and, unless `ttl_seconds` is None, by age.

    `compute` runs outside the lock (two threads may compute the same key once each); exceptions
    from `compute` are not cached.
    """

    def __init__(self, ttl_seconds: float | None, maxsize: int = DEFAULT_MAXSIZE) -> None:
        self._ttl = ttl_seconds
        self._data: Cache | None
        if ttl_seconds is None:
            self._data = LRUCache(maxsize=maxsize)
        elif ttl_seconds <= 0:
            self._data = None
        else:
            self._data = TTLCache(maxsize=maxsize, ttl=ttl_seconds)
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value for `key`, or `compute()` (then cached)."""
        if self._data is None:
            return compute()
        key = compact_key(key)
        with self._lock:
            try:
                return self._data[key]
            except KeyError:
                pass
        value = compute()
        with self._lock:
            self._data[key] = value
        return value

    def lookup(self, key: Hashable) -> Any | None:
        """The cached value for `key`, or None (nothing computed)."""
        if self._data is None:
            return None
        with self._lock:
            return self._data.get(compact_key(key))

    def put(self, key: Hashable, value: Any) -> None:
        """Cache `value` for `key` (no-op when this cache caches nothing)."""
        if self._data is not None:
            with self._lock:
                self._data[compact_key(key)] = value

    def __len__(self) -> int:
        """Entries held now (expired ones dropped first)."""
        if self._data is None:
            return 0
        with self._lock:
            if isinstance(self._data, TTLCache):
                self._data.expire()
            return len(self._data)

    @property
    def maxsize(self) -> int:
        """The most entries this cache holds (0 when it caches nothing)."""
        return int(self._data.maxsize) if self._data is not None else 0

    def values(self) -> list[Any]:
        """A snapshot of the values held (tests check that no failure keeps a traceback)."""
        if self._data is None:
            return []
        with self._lock:
            return list(self._data.values())

    def clear(self) -> None:
        """Forget everything."""
        if self._data is not None:
            with self._lock:
                self._data.clear()
