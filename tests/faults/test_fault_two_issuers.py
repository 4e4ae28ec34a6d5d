"""Two `medcred serve` processes (two web servers, two anchoring workers) on one PostgreSQL
database, both issuing over HTTP.

Only the holder of the anchoring lease (a PostgreSQL advisory lock) anchors; to make both workers
really anchor, the holder is SIGKILLed twice along the way (the server drops the dead session and
its lock, the other worker takes over) and restarted. Afterwards: no root anchored twice (on chain
and in the database), no credential in two batches, every batch rebuilt from exactly its
credentials, everything verifies.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from faults_lib import IssuingClient, PgCluster, Serve, audit, make_site, running, wait_drained

pytestmark = [pytest.mark.slow, pytest.mark.local, pytest.mark.postgres]

HANDOVERS = 2
ANCHORED = re.compile(r"Anchored root (0x[0-9a-f]{64})")


def lease_holder(servers: list[Serve], timeout: float = 15.0) -> Serve:
    """The server whose worker took the lease last (by the time stamps of the log lines)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        holders = []
        for serve in servers:
            current = serve.log().rsplit("===== start", 1)[-1]  # this incarnation only
            stamps = [line[:23] for line in current.splitlines() if "holds the lease" in line]
            if stamps and serve.process is not None and serve.process.poll() is None:
                holders.append((stamps[-1], serve))
        if holders:
            return max(holders, key=lambda pair: pair[0])[1]
        time.sleep(0.1)
    raise AssertionError("no worker took the anchoring lease")


def test_two_serve_processes_on_one_postgres_never_anchor_twice(
    tmp_path: Path, pg_cluster: PgCluster
) -> None:
    site = make_site(tmp_path, database_url=pg_cluster.new_database())
    servers = [Serve(site, name="serve-a"), Serve(site, name="serve-b")]
    clients = [IssuingClient([], site.token, f"two-{i}", interval=0.15) for i in range(2)]
    engine = site.engine()
    takeovers = []
    try:
        for serve, client in zip(servers, clients, strict=True):
            serve.start()
            client.bases.append(serve.base)
        with running(*clients, *servers):
            for client in clients:
                client.start()
            time.sleep(5)
            for _ in range(HANDOVERS):
                holder = lease_holder(servers)
                other = next(s for s in servers if s is not holder)
                holder.kill9()
                killed_at = time.monotonic()
                assert lease_holder([other]) is other
                takeovers.append(time.monotonic() - killed_at)
                time.sleep(3)
                holder.start()
                time.sleep(3)
            for client in clients:
                client.stop()
            drain = wait_drained(engine)
            figures = audit(site, [i for c in clients for i in c.issued])
    finally:
        engine.dispose()
        site.chain.stop()
    anchored_by = {s.log_path.stem: set(ANCHORED.findall(s.log())) for s in servers}
    both = set.intersection(*anchored_by.values())
    print(
        f"\n[faults] two issuers: {sum(len(c.issued) for c in clients)} answered 201 "
        f"({', '.join(str(len(c.issued)) for c in clients)} per server), {figures.credentials} credentials "
        f"in {figures.batches} batches, roots sent by "
        f"{', '.join(f'{k}: {len(v)}' for k, v in anchored_by.items())}; {HANDOVERS} lease handovers by "
        f"SIGKILL, taken over in {', '.join(f'{t:.1f}' for t in takeovers)} s; drained in {drain:.1f} s; "
        f"no root twice, no credential in two batches, {figures.verified} VALID"
    )
    assert all(anchored_by.values()), f"one worker never anchored: {anchored_by}"
    assert not both, f"roots sent by both workers: {both}"
    for client in clients:
        assert set(client.statuses()) <= {201, None}, client.statuses()
    for serve in servers:
        assert "Traceback" not in serve.log(), serve.log()[-6000:]
