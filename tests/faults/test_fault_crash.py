"""kill -9 of `medcred serve` (web API + anchoring worker) at 20 points while credentials are issued
over HTTP, restarting it each time: every credential answered 201 ends up anchored exactly once and
verifies.

The kills are aimed. anvil mines a block every second here (like a real chain, instead of one
block per transaction) and two confirmations are required, so each batch spends real time in
every phase of anchoring; a watcher polls the database and the node and fires SIGKILL the moment
the worker is in the phase chosen for that kill:

- before-submit: a batch is recorded (root and leaf indexes) but no transaction hash is recorded;
- after-submit: the transaction hash is recorded, the node has no receipt yet;
- after-receipt: the transaction is mined, the proofs are not written yet (waiting for the
  second confirmation);
- anytime: after a random delay (idle, mid-request, mid-migration at start...).

The order of phases and the delays come from a seeded RNG. Where each kill actually landed is
read back from the database and the node right after the process is dead, and asserted to
cover the three anchoring phases.

It runs on SQLite (the lease is a flock the kernel drops with the process) and on PostgreSQL (an
advisory lock the server drops with the killed session).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path

import pytest
from faults_lib import IssuingClient, Serve, audit, make_site, running, wait_drained
from sqlalchemy import Engine, text
from web3 import Web3
from web3.exceptions import TransactionNotFound

pytestmark = [pytest.mark.slow, pytest.mark.local]

SEED = 20261129
KILLS = 20
PHASES = ("before-submit", "after-submit", "after-receipt", "anytime")
ANCHORING_PHASES = PHASES[:3]


def anchoring_phase(engine: Engine, w3: Web3) -> str:
    """Where the oldest unfinished batch is: see the module docstring; 'idle' if there is none."""
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT tx_hash FROM batches WHERE state = 'submitted' ORDER BY id LIMIT 1")
        ).first()
    if row is None:
        return "idle"
    if row[0] is None:
        return "before-submit"
    try:
        w3.eth.get_transaction_receipt(row[0])
    except TransactionNotFound:
        return "after-submit"
    return "after-receipt"


def wait_for_phase(engine: Engine, w3: Web3, phase: str, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if anchoring_phase(engine, w3) == phase:
            return True
        time.sleep(0.005)
    return False


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_kill_9_at_20_points_while_issuing_loses_and_duplicates_nothing(
    tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    database_url = request.getfixturevalue("pg_cluster").new_database() if database == "postgres" else None
    site = make_site(tmp_path, database_url=database_url, env={"MEDCRED_CONFIRMATIONS": "2"})
    w3 = site.w3()
    w3.provider.make_request("evm_setIntervalMining", [1])  # type: ignore[arg-type]
    engine = site.engine()
    rng = random.Random(SEED)
    plan = [PHASES[i % len(PHASES)] for i in range(KILLS)]
    rng.shuffle(plan)
    serve = Serve(site)
    serve.start()
    client = IssuingClient([serve.base], site.token, "crash", interval=0.15)
    landed: Counter[str] = Counter()
    missed = 0
    started = time.monotonic()
    try:
        with running(client, serve):
            client.start()
            for target in plan:
                time.sleep(rng.uniform(0.2, 1.5))
                if target == "anytime":
                    time.sleep(rng.uniform(0.0, 2.5))
                elif not wait_for_phase(engine, w3, target):
                    missed += 1
                serve.kill9()
                landed[anchoring_phase(engine, w3)] += 1
                serve.start()
            time.sleep(1.0)
            client.stop()
            drain = wait_drained(engine)
            figures = audit(site, client.issued)
    finally:
        engine.dispose()
        site.chain.stop()
    elapsed = time.monotonic() - started
    statuses = client.statuses()
    print(
        f"\n[faults] crash ({database}): {KILLS} kills survived (landed {dict(landed)}, "
        f"{missed} aimed kills timed out), "
        f"{len(client.issued)} answered 201, {statuses.get(None, 0)} requests without an answer (cut by "
        f"a kill or refused while down), {figures.credentials} credentials in {figures.batches} batches "
        f"({figures.credentials - len(client.issued)} committed without their 201 reaching the client), "
        f"all anchored once, "
        f"{figures.verified} verified VALID; drained {drain:.1f} s after the last restart; {elapsed:.0f} s"
    )
    assert set(statuses) <= {201, None}, statuses
    assert all(landed[phase] >= 1 for phase in ANCHORING_PHASES), landed
    assert "Traceback" not in serve.log(), serve.log()[-6000:]
