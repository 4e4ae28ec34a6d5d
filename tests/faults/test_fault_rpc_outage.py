"""The chain node stopped for 30 s under a running `medcred serve` while credentials are issued.

Issuing never needs the chain, so every request keeps answering 201 at its usual speed; the
anchoring worker fails, backs off (MEDCRED_RETRY_BACKOFF 0.5 s doubling to 4 s here), and picks
up by itself when the node is back (same data folder and port, state kept): nothing is lost,
nothing is anchored twice, everything verifies. The node is stopped the way an operator or a
crash of the RPC endpoint would leave it: gone, connection refused.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from faults_lib import IssuingClient, Serve, audit, make_site, running, wait_drained
from sqlalchemy import Engine, text

pytestmark = [pytest.mark.slow, pytest.mark.local]

OUTAGE_S = 30.0
RESUME_WITHIN_S = 15.0


def anchored_batches(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(text("SELECT count(*) FROM batches WHERE state = 'anchored'")).scalar() or 0
        )


def test_chain_down_30s_issuing_goes_on_and_anchoring_resumes(tmp_path: Path) -> None:
    site = make_site(tmp_path, env={"MEDCRED_RETRY_BACKOFF": "0.5,4"})
    engine = site.engine()
    serve = Serve(site)
    client = IssuingClient([], site.token, "outage", interval=0.2)
    try:
        serve.start()
        client.bases.append(serve.base)
        with running(client, serve):
            client.start()
            time.sleep(3)
            before = anchored_batches(engine)
            assert before > 0, "nothing was anchored before the outage"
            down_at = time.monotonic()
            assert site.chain.stop()
            time.sleep(OUTAGE_S)
            assert anchored_batches(engine) == before, "anchored while the chain was down?"
            site.chain.start()
            up_at = time.monotonic()
            while anchored_batches(engine) == before:
                assert time.monotonic() - up_at < RESUME_WITHIN_S, "anchoring did not resume by itself"
                time.sleep(0.1)
            resumed_in = time.monotonic() - up_at
            time.sleep(2)
            client.stop()
            drain = wait_drained(engine)
            figures = audit(site, client.issued)
    finally:
        engine.dispose()
        site.chain.stop()
    during = [o for o in client.outcomes if down_at <= o.at < up_at]
    slowest = max(o.elapsed for o in during)
    print(
        f"\n[faults] RPC outage: chain down {up_at - down_at:.1f} s; {len(during)} issue requests during it, "
        f"all 201 (slowest {slowest:.2f} s); anchoring resumed {resumed_in:.1f} s after the node was back; "
        f"{len(client.issued)} answered 201, {figures.credentials} credentials in {figures.batches} batches "
        f"({drain:.1f} s to drain), {figures.verified} VALID"
    )
    assert set(client.statuses()) == {201}, client.statuses()
    assert len(during) >= 50
    assert slowest < 5.0  # a shared two-core machine; the usual figure is well under 0.2 s
    assert "Traceback" not in serve.log(), serve.log()[-6000:]
