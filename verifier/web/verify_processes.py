"""Where the web verifier's checks run: in the request's thread, or in worker processes.

    runner = VerifyRunner(config, workers=4)       # threads until started
    runner.start_processes()                       # the servers call this: True when processes run
    report = runner.run(verify_submitted, data, source=url)
    runner.close()

A verification is CPU work (JSON parsing, RDF canonicalization, signatures) between network waits.
In one process every thread shares one GIL, so two hostile requests, each cheap on its own (a
poison graph stopped at its work budget, a 1.6 MB body of contexts), slowed a genuine verification
beside them ten-fold (issue 9, `benchmarks/bench_hostile.py`). In worker processes the operating
system's scheduler shares the cores instead, and issuing, the admin UI and `/healthz` keep the web
process to themselves.

- There is one worker per core, at most one per verification slot (`verifier.web.verify_pool`):
  CPU work gains nothing past the cores, and each worker's memory (about 95 MiB) counts. A job that
  finds every worker busy waits for the first one free (a verification is milliseconds of CPU).
  A job waiting on the network (a slow status list or did:web host, until the fetch deadline)
  holds its worker meanwhile; `MEDCRED_VERIFY_WORKERS` sets the count (up to the slots) where such
  waits matter more than the cores.
- Workers are spawned (not forked: the web process has threads and database connections) once,
  when the server starts; each builds one `Verifier` from the configuration it was started with,
  and its caches live as long as it does. A worker whose web process is gone (killed, crashed)
  exits within a second rather than living on as an orphan.
- What runs in a worker is a job function: picklable in, picklable out (`Report`,
  `PresentationReport`, `verifier.web.vc_api_requests.Answer`). An exception a job raises comes
  back as `VerifyJobError` carrying the worker's traceback (some exceptions cannot be rebuilt in
  another process, and one that cannot would break the pool). Fetching a linked credential stays
  in the request's thread: it is network waiting, not CPU.
- A configuration that holds an in-process chain (`TrustedRegistry.w3`, the `memory` chain of
  tests and `medcred demo`) cannot reach another process: the runner stays on threads then.
- A worker that dies (killed, out of memory) breaks the pool: the requests it was serving are
  answered 503 by the caller and a fresh pool takes the next ones; a job that could not even be
  handed over to the broken pool is retried on the fresh one.
- `MEDCRED_VERIFY_PROCESSES=0` keeps verification in the server's threads.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from verifier.config import VerifierConfig
from verifier.pipeline import Verifier
from verifier.presentation import PresentationReport, verify_submission
from verifier.report import Report
from verifier.web.verify_pool import count_from_env

log = logging.getLogger(__name__)
PROCESSES_ENV = "MEDCRED_VERIFY_PROCESSES"
WORKERS_ENV = "MEDCRED_VERIFY_WORKERS"
EXTENSION = "medcred.verify_runner"
T = TypeVar("T")


class VerifyUnavailable(Exception):
    """A worker process died during this verification; nothing was verified (the caller answers 503)."""


class VerifyJobError(RuntimeError):
    """A job raised in a worker process: the exception's type and message, and the worker's
    traceback as text (a plain string: every exception class can be carried this way)."""

    def __init__(self, kind: str, message: str, worker_traceback: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.worker_traceback = worker_traceback

    def __reduce__(self) -> tuple[Any, ...]:
        return (VerifyJobError, (self.kind, str(self).split(": ", 1)[-1], self.worker_traceback))


# ---------------------------------------------------------------------------- jobs


def verify_submitted(verifier: Verifier, data: bytes | str, **options: Any) -> Report | PresentationReport:
    """`verify_submission(verifier, data, **options)`: a credential or presentation as submitted."""
    return verify_submission(verifier, data, **options)


def worker_pid(_verifier: Verifier) -> int:
    """The process id of whoever runs jobs (this process when they run in threads)."""
    return os.getpid()


# ---------------------------------------------------------------------------- worker side

_worker_verifier: Verifier | None = None


PARENT_CHECK_S = 0.5
"""How often a worker checks that its web process is still there."""


def _start_worker(config: VerifierConfig, parent: int) -> None:
    global _worker_verifier  # noqa: PLW0603 - one Verifier per worker process, built once
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle, not each worker's
    threading.Thread(
        target=_exit_with_parent, args=(parent,), name="medcred-parent-watch", daemon=True
    ).start()
    _worker_verifier = Verifier(config)


def _exit_with_parent(parent: int) -> None:
    # A worker holds both ends of the pool's pipes, so it never reads end-of-file when the web
    # process is SIGKILLed: without this it would live on, re-parented, holding its memory.
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(0)


def _in_worker(job: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    assert _worker_verifier is not None, "worker started without a configuration"
    try:
        return job(_worker_verifier, *args, **kwargs)
    except Exception as exc:
        raise VerifyJobError(type(exc).__name__, str(exc)[:500], traceback.format_exc()) from None


# ---------------------------------------------------------------------------- the runner


def workers_from_env(slots: int, env: Mapping[str, str] | None = None) -> int:
    """How many worker processes verify: `MEDCRED_VERIFY_WORKERS` (a whole number from 1), else one
    per core; never more than `slots`, since a worker past the slots would never be given a job.
    Raises ConfigError with a sentence when the variable is not a whole number of at least 1."""
    workers = count_from_env(WORKERS_ENV, env)
    if workers is None:
        return max(1, min(slots, os.cpu_count() or 1))
    return min(slots, workers)


def processes_wanted(env: Mapping[str, str] | None = None) -> bool:
    """False when MEDCRED_VERIFY_PROCESSES is 0/false/no/off; True otherwise (the servers' default)."""
    raw = (os.environ if env is None else env).get(PROCESSES_ENV, "").strip().lower()
    return raw not in ("0", "false", "no", "off")


class VerifyRunner:
    """Runs verification jobs for one blueprint: in the calling thread, or in `workers` processes.

    `config` is a VerifierConfig or a callable returning one, read on first use (in threads) or
    when the processes start. Thread-safe.
    """

    def __init__(self, config: VerifierConfig | Callable[[], VerifierConfig], *, workers: int) -> None:
        if workers < 1:
            raise ValueError("A verification runner needs at least one worker.")
        self._config = config
        self.workers = workers
        self._local = threading.local()
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._resolved: VerifierConfig | None = None
        self._closed = False

    @property
    def in_processes(self) -> bool:
        """Whether jobs run in worker processes now."""
        return self._executor is not None

    def config(self) -> VerifierConfig:
        """The configuration (the callable is called once)."""
        with self._lock:
            if self._resolved is None:
                self._resolved = self._config() if callable(self._config) else self._config
            return self._resolved

    def verifier(self) -> Verifier:
        """This thread's own Verifier (its caches shared across the thread's requests): for jobs run
        in threads, and for what always stays in the web process (fetching a linked credential)."""
        current = getattr(self._local, "verifier", None)
        if current is None:
            current = Verifier(self.config())
            self._local.verifier = current
        return current

    def start_processes(self, *, wait: bool = True) -> bool:
        """Start the worker processes. False, with a log line, when the configuration cannot leave
        this process (an in-process chain) or MEDCRED_VERIFY_PROCESSES turns them off: jobs then
        keep running in threads.

        `wait=True` returns once every worker is up (about a second of imports each). The servers
        pass `wait=False`: the workers start on a background thread and jobs run in threads until
        they are up, so the server answers from its first second; it returns True once that start
        is under way, and what became of it (including the False cases above) is logged. Raises
        what reading the configuration raises (ConfigError), with `wait=True` only.
        """
        if not processes_wanted():
            return False
        if not wait:
            threading.Thread(target=self._start_logged, name="medcred-verify-workers", daemon=True).start()
            return True
        config = self.config()
        if any(registry.w3 is not None for registry in config.registries):
            log.info("Verification stays in the server's threads: the chain is in this process.")
            return False
        executor = self._new_executor(config)
        # One job per worker, all at once: the pool spawns a process for each job no idle worker takes.
        for future in [executor.submit(_in_worker, worker_pid, (), {}) for _ in range(self.workers)]:
            future.result()
        with self._lock:
            closed, previous = self._closed, self._executor
            if not closed:
                self._executor = executor
        if closed or previous is not None:  # closed meanwhile, or started twice: keep one pool
            executor.shutdown(wait=False, cancel_futures=True)
            return not closed
        log.info("Verification runs in up to %d worker processes.", self.workers)
        return True

    def _start_logged(self) -> None:
        try:
            self.start_processes(wait=True)
        except Exception as exc:  # a background start must never take the server down
            log.warning("Verification stays in the server's threads: %s", exc)

    def _new_executor(self, config: VerifierConfig) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(config, os.getpid()),
        )

    def run(self, job: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`job(verifier, *args, **kwargs)` in a worker process when they run, else in this thread.

        Raises VerifyUnavailable when the worker died during the job (the pool is replaced for the
        next one), VerifyJobError when the job raised in a worker; in a thread, what the job raises.
        """
        executor = self._executor
        if executor is None:
            return job(self.verifier(), *args, **kwargs)
        try:
            future = executor.submit(_in_worker, job, args, kwargs)
        except BrokenProcessPool:  # broken before this job was handed over: run it on a fresh pool
            executor = self._replace(executor)
            if executor is None:
                return job(self.verifier(), *args, **kwargs)
            future = executor.submit(_in_worker, job, args, kwargs)
        try:
            return future.result()
        except BrokenProcessPool:
            self._replace(executor)
            raise VerifyUnavailable("A verification worker stopped.") from None
        except VerifyJobError as exc:
            log.error("A verification job failed in its worker process:\n%s", exc.worker_traceback)
            raise

    def _replace(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor | None:
        """The pool to use instead of `broken` (one fresh pool however many requests noticed);
        None once the runner is closed."""
        config = self.config()
        with self._lock:
            if self._executor is broken:
                log.warning("A verification worker process died; starting a fresh pool.")
                self._executor = self._new_executor(config)
                broken.shutdown(wait=False, cancel_futures=True)
            return self._executor

    def close(self) -> None:
        """Stop the worker processes (idempotent); later jobs run in threads, and a start still
        under way stops its workers."""
        with self._lock:
            executor, self._executor, self._closed = self._executor, None, True
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
