"""Helpers for the fault tests: a real site (anvil + registry + institution), `medcred serve` as a
killable subprocess, an HTTP client that issues continuously, a restartable PostgreSQL cluster,
and the final audit that compares the database with the chain and verifies every credential.

A unique module name (tests/ has several helper modules), imported by the tests directly.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from pg_support import MISSING as PG_MISSING
from pg_support import pg_bin
from sqlalchemy import Engine, create_engine, text
from web3 import Web3

from issuer.chain.anvil import LocalChain
from issuer.chain.context import open_registry
from issuer.config import ServiceConfig, normalize_database_url
from issuer.service import IssuerService
from verifier.config import load_config
from verifier.merkle import check_inclusion
from verifier.pipeline import Verifier
from verifier.settings import Settings

SLUG = "fh"
PG_BIN = pg_bin()
PG_USER = "nobody"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------------------------------------- site


@dataclass
class Site:
    """One issuer installation: a data folder with its anvil node, registry and institution."""

    data_dir: Path
    chain: LocalChain
    rpc_url: str
    token: str
    env: dict[str, str]
    """The environment `medcred serve` runs with (DATABASE_URL, batch settings, ...)."""

    @property
    def settings(self) -> Settings:
        return Settings(data_dir=self.data_dir, chain="local")

    @property
    def database_url(self) -> str:
        return normalize_database_url(self.env["DATABASE_URL"])

    def service(self) -> IssuerService:
        """An IssuerService on the site's database, for the audit (its worker is not started)."""
        return IssuerService(ServiceConfig.from_settings(self.settings, env=self.env))

    def engine(self) -> Engine:
        return create_engine(self.database_url)

    def w3(self) -> Web3:
        return Web3(Web3.HTTPProvider(self.rpc_url, request_kwargs={"timeout": 5}))


def make_site(tmp: Path, *, database_url: str | None = None, env: dict[str, str] | None = None) -> Site:
    """Start anvil, deploy the registry, create and register institution 'fh' and an API token.

    Done in this process (not with `medcred run --once`) because a subprocess costs two seconds of
    imports on a shared two-core machine; the serve processes are the ones that get killed.
    """
    from issuer.cli.run_command import ensure_registry

    data_dir = tmp / "var"
    chain = LocalChain(data_dir)
    info = chain.start(port=free_port())
    settings = Settings(data_dir=data_dir, chain="local")
    ensure_registry(settings)
    full_env = {
        "DATABASE_URL": database_url or f"sqlite:///{data_dir / 'medcred.db'}",
        "MEDCRED_BATCH_SIZE": "16",
        "MEDCRED_BATCH_MAX_AGE": "0.5",
        "MEDCRED_RETRY_BACKOFF": "0.5,2",
        **(env or {}),
    }
    # One confirmation for the set-up: a test may ask for more, which an auto-mining node would
    # never produce before the test switches it to interval mining.
    setup_env = {k: v for k, v in full_env.items() if k != "MEDCRED_CONFIRMATIONS"}
    with IssuerService(ServiceConfig.from_settings(settings, env=setup_env)) as service:
        service.create_institution("Fault Injection Hospital", slug=SLUG)
        token, _info = service.create_token(SLUG, ["issue", "admin"], label="fault tests")
    return Site(data_dir, chain, info.rpc_url, token, full_env)


# ---------------------------------------------------------------------------------------------- serve


class Serve:
    """`medcred serve` (web API + anchoring worker) as a separate process that can be SIGKILLed.

    Every incarnation appends to the same log file, so a test can look for tracebacks afterwards.
    """

    def __init__(self, site: Site, port: int | None = None, *, name: str = "serve") -> None:
        self.site = site
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = site.data_dir.parent / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 60.0) -> None:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MEDCRED_")},
            **self.site.env,
            "MEDCRED_PUBLIC_URL": self.base,
            "PYTHONUNBUFFERED": "1",
        }
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start {self.starts} at {time.time():.3f}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "verifier",
                    "--data-dir",
                    str(self.site.data_dir),
                    "--chain",
                    "local",
                    "serve",
                    "--port",
                    str(self.port),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"medcred serve exited at start:\n{self.log()[-4000:]}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.05)
        raise AssertionError(f"medcred serve did not come up:\n{self.log()[-4000:]}")

    def kill9(self) -> None:
        """SIGKILL: no handler runs, no transaction commits, sockets are closed by the kernel."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM, the clean way `medcred serve` is stopped; SIGKILL if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


# ---------------------------------------------------------------------------------------------- client


@dataclass
class Outcome:
    """One issue request: when it was sent, how long it took, and what came back."""

    at: float
    elapsed: float
    status: int | None
    """None: no HTTP answer at all (connection refused or reset, timeout)."""
    content_type: str = ""
    retry_after: str | None = None
    body: str = ""
    error: str = ""


@dataclass
class IssuingClient:
    """Issues credentials over HTTP in a background thread until stopped, recording every answer.

    `issued` holds the ids of the credentials answered 201, the ones the issuer promised to keep.
    A request cut by a kill has no answer (`status` None) and is not retried: the client cannot
    know whether it was committed, which is exactly the situation a real client is in.
    """

    bases: list[str]
    token: str
    label: str
    interval: float = 0.2
    timeout: float = 15.0
    issued: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> IssuingClient:
        self._thread = threading.Thread(target=self._run, name=f"client-{self.label}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.timeout + 5)

    def _run(self) -> None:
        session = requests.Session()
        n = 0
        while not self._stop.is_set():
            base = self.bases[n % len(self.bases)]
            n += 1
            started = time.monotonic()
            body = {"template": "bls", "email": f"{self.label}.{n}@example.org", "name": f"Person {n}"}
            try:
                response = session.post(
                    f"{base}/api/v1/institutions/{SLUG}/credentials",
                    json=body,
                    headers={"Authorization": f"Bearer {self.token}"},
                    timeout=self.timeout,
                )
                credential_id = response.json()["id"] if response.status_code == 201 else None
            except (requests.RequestException, ValueError, KeyError) as exc:  # never end the thread
                self.outcomes.append(
                    Outcome(started, time.monotonic() - started, None, error=type(exc).__name__)
                )
                session.close()
                session = requests.Session()
                self._stop.wait(0.05)
                continue
            outcome = Outcome(
                started,
                time.monotonic() - started,
                response.status_code,
                response.headers.get("Content-Type", ""),
                response.headers.get("Retry-After"),
                response.text[:500] if response.status_code != 201 else "",
            )
            self.outcomes.append(outcome)
            if credential_id is not None:
                self.issued.append(credential_id)
            self._stop.wait(self.interval)

    def statuses(self) -> Counter[int | None]:
        return Counter(o.status for o in self.outcomes)


# ---------------------------------------------------------------------------------------------- waiting


def unanchored(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(text("SELECT count(*) FROM credentials WHERE state != 'anchored'")).scalar()
            or 0
        )


def wait_drained(engine: Engine, timeout: float = 120.0) -> float:
    """Wait until every credential in the database is anchored; return how long it took."""
    started = time.monotonic()
    while (left := unanchored(engine)) > 0:
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{left} credentials still not anchored after {timeout:.0f} s")
        time.sleep(0.25)
    return time.monotonic() - started


# ---------------------------------------------------------------------------------------------- audit


@dataclass(frozen=True)
class Audit:
    credentials: int
    batches: int
    verified: int
    lost_and_reanchored: int


def root_anchored_events(site: Site) -> Counter[str]:
    """Every RootAnchored event of the site's registry: root -> number of events (should be 1)."""
    ctx = open_registry(site.settings)
    event = ctx.reader.contract.events.RootAnchored
    logs = event.get_logs(from_block=ctx.deployment.block_number or 0, to_block="latest")
    counts: Counter[str] = Counter()
    for entry in logs:
        counts["0x" + bytes(entry["args"]["root"]).hex()] += 1
    return counts


def audit(site: Site, promised: list[str], *, verify: bool = True) -> Audit:
    """The database and the chain tell the same story, and every credential verifies.

    - every credential answered 201 is in the database once, anchored, with a leaf in one batch;
    - every batch is anchored; its root is unique, rebuilt from exactly its credentials (leaf
      indexes 0..size-1), and on chain in exactly one RootAnchored event whose count is its size;
    - the chain holds no root the database does not know (no orphan anchoring);
    - each credential's anchor proof names its own batch's root, and the verifier says VALID.
    """
    engine = site.engine()
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.id, c.state, c.batch_id, c.leaf_index, b.root, b.size, b.state"
                " FROM credentials c LEFT JOIN batches b ON b.id = c.batch_id"
            )
        ).all()
        batch_rows = connection.execute(text("SELECT id, root, size, state FROM batches")).all()
        accounts = dict(
            connection.execute(
                text(
                    "SELECT b.id, i.eth_address FROM batches b JOIN institutions i ON i.id = b.institution_id"
                )
            ).all()
        )
        lost = int(
            connection.execute(text("SELECT count(*) FROM events WHERE kind = 'batch.anchor-lost'")).scalar()
            or 0
        )
    engine.dispose()
    ids = Counter(row[0] for row in rows)
    assert max(ids.values(), default=1) == 1
    promised_counts = Counter(promised)
    assert max(promised_counts.values(), default=1) == 1, "the server answered 201 twice with one id"
    missing = set(promised) - set(ids)
    assert not missing, f"{len(missing)} credentials answered 201 are not in the database"
    not_anchored = [row for row in rows if row[1] != "anchored" or row[2] is None]
    assert not not_anchored, f"{len(not_anchored)} credentials not anchored, e.g. {not_anchored[:3]}"
    assert all(state == "anchored" for _, _, _, state in batch_rows)
    leaves: dict[int, list[int]] = {}
    for row in rows:
        leaves.setdefault(row[2], []).append(row[3])
    for batch_id, root, size, _state in batch_rows:
        assert sorted(leaves.get(batch_id, [])) == list(range(size)), f"batch {batch_id} ({root}) leaves"
    roots = Counter(root for _, root, _, _ in batch_rows)
    assert max(roots.values(), default=1) == 1, "a root recorded for two batches"
    assert sum(size for _, _, size, _ in batch_rows) == len(rows)

    events = root_anchored_events(site)
    twice = {root: n for root, n in events.items() if n > 1}
    assert not twice, f"roots anchored more than once on chain: {twice}"
    assert set(events) == set(roots), (
        f"chain and database disagree: only on chain {set(events) - set(roots)}, "
        f"only in the database {set(roots) - set(events)}"
    )
    ctx = open_registry(site.settings)
    reader = ctx.reader
    for batch_id, root, size, _state in batch_rows:
        info = reader.anchor(accounts[batch_id], root)
        assert info.exists and info.count == size, f"root {root}: on chain {info}, batch size {size}"

    verified = 0
    if verify:
        verifier = Verifier(load_config(None, site.data_dir))
        batch_root = {row[0]: row[4] for row in rows}
        with site.service() as service:
            for credential_id in ids:
                document = service.get_credential(credential_id).document
                inclusion = check_inclusion(document)
                assert inclusion.anchor is not None
                assert "0x" + bytes(inclusion.anchor.merkle_root).hex() == batch_root[credential_id]
                report = verifier.verify(document)
                assert report.valid, (credential_id, report.headline, report.failed)
                verified += 1
    return Audit(len(rows), len(batch_rows), verified, lost)


# ---------------------------------------------------------------------------------------------- postgres


def _as_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", PG_USER, "--", *args] if os.geteuid() == 0 else args


class PgCluster:
    """A throw-away PostgreSQL cluster (as in tests/issuer/conftest.py) that can be restarted.

    Unix socket only, run as `nobody` when the suite runs as root; `stop()` is an immediate
    shutdown (what a crash or a failover looks like to clients), `start()` brings it back on the
    same socket, so DATABASE_URL stays valid.
    """

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            raise AssertionError(f"PostgreSQL server binaries are missing at {PG_BIN}: {PG_MISSING}.")
        self.base = Path(tempfile.mkdtemp(prefix="medcred-faults-pg-"))
        self.data = self.base / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            entry = pwd.getpwnam(PG_USER)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-sync",
        )  # fmt: skip
        self.start()

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(_as_user(list(args)), check=check, capture_output=True, cwd=self.base)

    def start(self) -> None:
        options = f"-k {self.base} -p {self.port} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.base / "log"), "-w",
            "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, db: str) -> str:
        return f"postgresql+psycopg://postgres@/{db}?host={self.base}&port={self.port}"

    def new_database(self) -> str:
        from issuer_testlib import new_pg_database

        return new_pg_database(self.url("{db}"))

    def destroy(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.base, ignore_errors=True)


@contextlib.contextmanager
def running(*things: Serve | IssuingClient) -> Iterator[None]:
    """Stop clients and servers however the block ends (clients first, so nothing is cut)."""
    try:
        yield
    finally:
        for thing in things:
            if isinstance(thing, IssuingClient):
                thing.stop()
        for thing in things:
            if isinstance(thing, Serve):
                thing.stop()


def dump(value: Any) -> str:
    return json.dumps(value, default=str)
