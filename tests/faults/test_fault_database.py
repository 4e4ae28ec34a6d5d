"""PostgreSQL restarted under a running `medcred serve` (crash-style: immediate shutdown, down for a
while, started again on the same socket).

While it is down, issue requests must fail cleanly and fast: 503 problem+json with Retry-After,
not a 500, not a hang, not a dropped connection. Once it is back, the same process must recover
without a restart: issuing answers 201 again, and the anchoring worker (which loses its lease
connection with the server) takes the lease again and anchors everything, including what was
issued before the outage.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from faults_lib import IssuingClient, PgCluster, Serve, audit, make_site, running, wait_drained

pytestmark = [pytest.mark.slow, pytest.mark.local, pytest.mark.postgres]

OUTAGE_S = 10.0
ANSWER_WITHIN_S = 10.0


def test_postgres_restart_under_serve_gives_503_then_recovers(tmp_path: Path, pg_cluster: PgCluster) -> None:
    site = make_site(tmp_path, database_url=pg_cluster.new_database())
    serve = Serve(site)
    client = IssuingClient([], site.token, "pg", interval=0.1, timeout=30)
    engine = None
    try:
        serve.start()
        client.bases.append(serve.base)
        with running(client, serve):
            client.start()
            time.sleep(3)
            down_at = time.monotonic()
            pg_cluster.stop()
            time.sleep(OUTAGE_S)
            pg_cluster.start()
            up_at = time.monotonic()
            deadline = up_at + 30
            while not any(o.status == 201 and o.at > up_at for o in client.outcomes):
                assert time.monotonic() < deadline, "issuing did not recover after PostgreSQL came back"
                time.sleep(0.1)
            recovered_in = next(o.at + o.elapsed for o in client.outcomes if o.status == 201 and o.at > up_at)
            time.sleep(3)
            client.stop()
            engine = site.engine()
            drain = wait_drained(engine, timeout=60)
            figures = audit(site, client.issued)
    finally:
        if engine is not None:
            engine.dispose()
        site.chain.stop()
    during = [o for o in client.outcomes if down_at <= o.at < up_at]
    refused = [o for o in during if o.status == 503]
    print(
        f"\n[faults] postgres restart: down {OUTAGE_S:.0f} s; {len(during)} requests during the outage, "
        f"{len(refused)} answered 503 (slowest {max((o.elapsed for o in during), default=0):.2f} s), "
        f"issuing back {recovered_in - up_at:.1f} s after the restart without restarting medcred serve; "
        f"{len(client.issued)} answered 201, {figures.credentials} credentials anchored in "
        f"{figures.batches} batches ({drain:.1f} s to drain), {figures.verified} VALID"
    )
    statuses = client.statuses()
    assert set(statuses) <= {201, 503}, [o for o in client.outcomes if o.status not in (201, 503)][:5]
    assert len(refused) >= 5, statuses
    for outcome in refused:
        assert outcome.content_type.startswith("application/problem+json"), outcome
        assert outcome.retry_after is not None and int(outcome.retry_after) > 0, outcome
        assert '"status":503' in outcome.body.replace(" ", ""), outcome
    assert all(o.elapsed < ANSWER_WITHIN_S for o in client.outcomes), max(o.elapsed for o in client.outcomes)
    assert serve.starts == 1
    log = serve.log()
    assert log.count("Anchoring worker holds the lease.") == 2, "the worker did not take its lease again"
    assert "Traceback" not in log, log[-6000:]
