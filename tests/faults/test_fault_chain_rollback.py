"""anvil SIGKILLed and restarted from its state file under a running `medcred serve`.

anvil dumps its state every second, so a SIGKILL loses the last second of blocks: an anchoring
transaction the issuer saw mined (and recorded as anchored, proofs written) is no longer on chain
after the restart. To the issuer that is a reorg. It must notice by itself, without a restart and
without waiting for its periodic re-check, and anchor those batches again with the same roots, so
that every credential it handed out verifies.

The kill is timed to hit that window: the watcher SIGKILLs anvil the moment the database shows a
newly anchored batch. Whether the state dump caught that block is up to anvil's timer, so the
round is repeated until a loss was actually produced (three times), and the figures say how many.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from faults_lib import IssuingClient, Serve, Site, audit, make_site, running, wait_drained
from sqlalchemy import Engine, text

from issuer.chain.context import open_registry

pytestmark = [pytest.mark.slow, pytest.mark.local]

WANTED_LOSSES = 3
MAX_ROUNDS = 8


def anchored_roots(engine: Engine) -> dict[int, str]:
    with engine.connect() as connection:
        return dict(connection.execute(text("SELECT id, root FROM batches WHERE state = 'anchored'")).all())


def _root_owners(engine: Engine) -> dict[str, str]:
    """Root -> the account of the institution that anchored it (roots belong to issuers)."""
    query = "SELECT b.root, i.eth_address FROM batches b JOIN institutions i ON i.id = b.institution_id"
    with engine.connect() as connection:
        return dict(connection.execute(text(query)).all())


def roots_missing_on_chain(site: Site, engine: Engine) -> list[str]:
    reader = open_registry(site.settings).reader
    owners = _root_owners(engine)
    return [root for root in anchored_roots(engine).values() if not reader.anchor(owners[root], root).exists]


def kill_anvil_after_next_anchoring(site: Site, engine: Engine, timeout: float = 20.0) -> None:
    """SIGKILL anvil as soon as one more batch is recorded as anchored; restart it from its state."""
    seen = set(anchored_roots(engine))
    deadline = time.monotonic() + timeout
    while not set(anchored_roots(engine)) - seen:
        assert time.monotonic() < deadline, "no batch was anchored"
        time.sleep(0.005)
    info = site.chain.info()
    assert info is not None
    os.kill(info.pid, signal.SIGKILL)
    time.sleep(0.5)
    site.chain.start()


def test_anvil_sigkill_loses_blocks_and_the_issuer_anchors_again(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    engine = site.engine()
    serve = Serve(site)
    client = IssuingClient([], site.token, "rollback", interval=0.1)
    rounds = losses = 0
    lost_roots: set[str] = set()
    healed_in: list[float] = []
    started = time.monotonic()
    try:
        serve.start()
        client.bases.append(serve.base)
        with running(client, serve):
            client.start()
            while losses < WANTED_LOSSES and rounds < MAX_ROUNDS:
                rounds += 1
                kill_anvil_after_next_anchoring(site, engine)
                restarted = time.monotonic()
                missing = roots_missing_on_chain(site, engine)
                if not missing:
                    continue  # the state dump caught the block: nothing was lost this time
                losses += 1
                lost_roots |= set(missing)
                deadline = restarted + 30
                while roots_missing_on_chain(site, engine):
                    assert time.monotonic() < deadline, "the issuer did not re-anchor the lost batches"
                    time.sleep(0.2)
                healed_in.append(time.monotonic() - restarted)
            client.stop()
            wait_drained(engine)
            figures = audit(site, client.issued)
    finally:
        engine.dispose()
        site.chain.stop()
    print(
        f"\n[faults] chain rollback: {rounds} anvil SIGKILLs, {losses} lost blocks with "
        f"{len(lost_roots)} anchored roots, re-anchored within {', '.join(f'{s:.1f}' for s in healed_in)} s "
        f"(batch.anchor-lost events: {figures.lost_and_reanchored}); {len(client.issued)} answered 201, "
        f"{figures.credentials} credentials in {figures.batches} batches, {figures.verified} VALID; "
        f"{time.monotonic() - started:.0f} s"
    )
    assert losses == WANTED_LOSSES, f"only {losses} of {rounds} SIGKILLs lost an anchored block"
    assert figures.lost_and_reanchored >= len(lost_roots)
    assert set(client.statuses()) == {201}, client.statuses()
