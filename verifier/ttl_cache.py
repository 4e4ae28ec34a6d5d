"""A tiny thread-safe memo with an optional time-to-live.

Within one batch everything may be cached for good; a long-running server passes a TTL so that it
notices revocations (on chain and in status lists) within that many seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class TtlCache:
    """A tiny thread-safe memo with an optional time-to-live."""

    def __init__(self, ttl_seconds: float | None) -> None:
        self._ttl = ttl_seconds
        self._data: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            hit = self._data.get(key)
        if hit is not None and (self._ttl is None or now - hit[0] < self._ttl):
            return hit[1]
        value = compute()
        with self._lock:
            self._data[key] = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
