"""Front-running on anvil, replayed as issue 10 found it: an accredited issuer copies another issuer's
pending `anchor` transaction and gets it mined first with a higher fee.

Automining is switched off so that both transactions wait in the mempool and the copy is ordered
first. With the first registry the victim's transaction reverted (RootAlreadyAnchored), its worker
failed on every retry and its later batches were never anchored; the copier "owned" the root. Now
the copy is the copier's own record: the victim's transaction succeeds, its credentials are VALID,
and its later batches are anchored as usual.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from issuer_testlib import make_config, roster
from sqlalchemy import select

from issuer.anchoring.anchorer import AnchoredBatch
from issuer.chain.anvil import LocalChain
from issuer.cli.run_command import ensure_registry
from issuer.institutions import eth_account, get_institution
from issuer.service import IssuerService
from issuer.storage.models import Batch
from verifier.config import load_config
from verifier.pipeline import Verifier
from verifier.report import VALID
from verifier.settings import Settings


def _pending_anchor_tx(service: IssuerService, institution_id: int, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with service.db.reader() as session:
            tx = session.scalar(
                select(Batch.tx_hash).where(
                    Batch.institution_id == institution_id, Batch.tx_hash.is_not(None)
                )
            )
        if tx:
            return tx
        time.sleep(0.05)
    raise AssertionError("the victim's anchor transaction never reached the mempool")


@pytest.mark.local
def test_a_copied_anchor_transaction_neither_blocks_nor_steals(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", chain="local")
    node = LocalChain(settings.data_dir)
    node.start(port=18643)
    service: IssuerService | None = None
    w3 = None
    try:
        ensure_registry(settings)
        service = IssuerService(make_config(settings, batch_max_age=3600))
        service.create_institution("Victim Hospital", slug="victim")
        service.create_institution("Copycat College", slug="copycat")
        with service.db.reader() as session:
            victim = get_institution(session, "victim")
            copycat = get_institution(session, "copycat")
            victim_id, victim_account, victim_did = victim.id, victim.eth_address, victim.did
            attacker = eth_account(copycat, service.box)
            copycat_did = copycat.did
        issued = [c.id for c in service.issue_roster("victim", roster(3)).issued]
        w3 = service.chain.context().chain.w3
        w3.provider.make_request("evm_setAutomine", [False])

        outcome: dict[str, list[AnchoredBatch] | BaseException] = {}

        def victim_worker() -> None:
            try:
                outcome["anchored"] = service.anchor_now("victim", timeout=120)  # type: ignore[union-attr]
            except BaseException as exc:
                outcome["anchored"] = exc

        thread = threading.Thread(target=victim_worker, daemon=True)
        thread.start()
        original = w3.eth.get_transaction(_pending_anchor_tx(service, victim_id))
        # The attacker copies the calldata from the mempool and outbids it.
        copy = attacker.sign_transaction(
            {
                "to": original["to"],
                "data": original["input"],
                "gas": original["gas"],
                "maxFeePerGas": original["maxFeePerGas"] * 3,
                "maxPriorityFeePerGas": original["maxPriorityFeePerGas"] * 3 + 1,
                "nonce": w3.eth.get_transaction_count(attacker.address, "pending"),
                "chainId": w3.eth.chain_id,
                "type": 2,
            }
        )
        copy_hash = w3.eth.send_raw_transaction(copy.raw_transaction)
        w3.provider.make_request("evm_mine", [])
        block = w3.eth.get_block("latest")
        assert block["transactions"][0] == copy_hash, "the copy was not ordered first"
        assert original["hash"] in block["transactions"]
        w3.provider.make_request("evm_setAutomine", [True])
        thread.join(120)

        anchored = outcome.get("anchored")
        assert isinstance(anchored, list) and anchored, anchored
        root = anchored[0].root
        assert w3.eth.get_transaction_receipt(original["hash"])["status"] == 1  # not reverted
        reader = service.chain.fresh_reader()
        mine = reader.anchor(victim_account, root)
        theirs = reader.anchor(attacker.address, root)
        assert mine.exists and mine.did == victim_did
        assert theirs.exists and theirs.did == copycat_did  # the copy: the copier's own record
        assert reader.anchor_transaction(victim_account, root, mine.block_number) == bytes(original["hash"])

        verifier = Verifier(load_config(None, settings.data_dir))
        for credential_id in issued:
            report = verifier.verify(service.get_credential(credential_id).document)
            assert report.status == VALID, report.to_json()
            assert report.summary.transaction_hash == "0x" + bytes(original["hash"]).hex()
        # Nothing is blocked: the victim's next batch is anchored as usual.
        later = [c.id for c in service.issue_roster("victim", roster(2, start=3)).issued]
        service.anchor_now("victim")
        for credential_id in later:
            assert verifier.verify(service.get_credential(credential_id).document).status == VALID
    finally:
        if w3 is not None:
            w3.provider.make_request("evm_setAutomine", [True])
        if service is not None:
            service.close()
        node.stop()
