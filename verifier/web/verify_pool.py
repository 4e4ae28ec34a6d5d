"""Verification's own bounded share of a web server's threads: when it is full, 503 at once.

    gate = VerifyGate(slots=4)
    gate.install(blueprint)        # every verifying route of the blueprint takes a slot

The verifier page and the VC-API verify endpoints are open to anyone, and a verification can wait
on the network (a credential URL, did:web, a status list) for as long as the fetcher's deadline.
In `medcred serve` they share the server's threads with issuing, the admin UI and `/healthz`; with
no bound, a handful of requests to a slow host took every thread (issue 9). So verification runs
on at most `slots` threads, fewer than the server has: a verifying request that finds every slot
taken is answered 503 Service Unavailable with `Retry-After` straight away (problem+json for the
API, a page for people) instead of waiting for a thread, and the remaining threads keep answering
everything else. Waiting for a slot would itself hold one of the server's threads, so there is no
queue: the client retries after `Retry-After` seconds.

A request "verifies" when it is a POST to the blueprint (the form, `/credentials/verify`,
`/presentations/verify`) or `GET /verify?credential=...`; the empty form costs nothing and is
always served.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping

from flask import Blueprint, Response, g, jsonify, render_template, request

from verifier.config import ConfigError
from verifier.report import VALID

SLOTS_ENV = "MEDCRED_VERIFY_SLOTS"
DEFAULT_SLOTS = 4
"""Half of `medcred serve`'s 8 threads."""
RETRY_AFTER_SECONDS = 5
_HELD = "_medcred_verify_slot"
EXTENSION = "medcred.verify_gate"


def count_from_env(name: str, env: Mapping[str, str] | None = None) -> int | None:
    """The whole number of at least 1 in environment variable `name`, None when it is unset or
    blank; ConfigError with a sentence otherwise. ASCII digits only, at most 6: `str.isdigit` also
    accepts "²", which `int` refuses, and `int` refuses more than 4,300 digits."""
    raw = (os.environ if env is None else env).get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or int(raw) < 1:
        raise ConfigError(f"{name} must be a whole number of at least 1, got {raw!r}.")
    return int(raw)


def slots_from_env(default: int = DEFAULT_SLOTS, env: Mapping[str, str] | None = None) -> int:
    """`MEDCRED_VERIFY_SLOTS` (a whole number from 1) or `default`; ConfigError with a sentence if bad."""
    slots = count_from_env(SLOTS_ENV, env)
    return default if slots is None else slots


class VerifyGate:
    """At most `slots` verifications at once in this process; the rest are answered 503 at once."""

    def __init__(self, slots: int = DEFAULT_SLOTS, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        if slots < 1:
            raise ValueError("A verification pool needs at least one slot.")
        self.slots = slots
        self.retry_after = retry_after
        self._free = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._busy = 0
        self.refused = 0
        """How many requests were answered 503 since start (for tests and benchmarks)."""

    @property
    def busy(self) -> int:
        """Slots in use now."""
        return self._busy

    def try_acquire(self) -> bool:
        """Take a slot without waiting; False when all are taken."""
        if not self._free.acquire(blocking=False):
            with self._lock:
                self.refused += 1
            return False
        with self._lock:
            self._busy += 1
        return True

    def release(self) -> None:
        with self._lock:
            self._busy -= 1
        self._free.release()

    def install(self, bp: Blueprint) -> None:
        """Gate every verifying route of `bp` (see the module docstring); the app finds the gate in
        `app.extensions["medcred.verify_gate"]`."""

        bp.record_once(lambda state: state.app.extensions.__setitem__(EXTENSION, self))

        @bp.before_request
        def _take_slot() -> Response | tuple[Response | str, int, dict[str, str]] | None:
            if not _verifies():
                return None
            if not self.try_acquire():
                return self.busy_answer()
            setattr(g, _HELD, self)
            return None

        @bp.teardown_request
        def _give_back(_exc: BaseException | None) -> None:
            gate = g.pop(_HELD, None)
            if gate is not None:
                gate.release()

    def busy_answer(self, why: str | None = None) -> tuple[Response | str, int, dict[str, str]]:
        """503 with Retry-After: problem+json for the API, the page for people. `why` replaces the
        first sentence ("Every verification slot of this server is busy.")."""
        headers = {"Retry-After": str(self.retry_after)}
        detail = (
            f"{why or 'Every verification slot of this server is busy.'} Nothing was verified: "
            f"try again in {self.retry_after} seconds."
        )
        if request.method == "POST" and request.path != "/verify":
            body = jsonify(
                {"type": "about:blank", "title": "Service Unavailable", "status": 503, "detail": detail}
            )
            body.mimetype = "application/problem+json"
            return body, 503, headers
        page = render_template("verify.html", report=None, error=detail, VALID=VALID)
        return page, 503, headers


def _verifies() -> bool:
    if request.method == "POST":
        return True
    return request.method == "GET" and bool(request.args.get("credential", "").strip())
