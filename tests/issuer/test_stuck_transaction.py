"""A transaction stuck in the mempool is replaced with higher fees (EIP-1559 replacement).

On anvil with automining off, nothing is mined until the test says so: the worker's anchoring
transaction waits in the mempool past the worker's timeout, as one whose fees are too low for a
busy network does. The worker then sends the same call with the same nonce and fees raised by 25%,
records the new hash, and, once a block is mined, only the replacement is in it; the batch is
anchored and its credentials verify.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from issuer_testlib import make_config, roster
from web3.exceptions import TransactionNotFound

from issuer.anchoring import batches
from issuer.chain.anvil import LocalChain
from issuer.cli.run_command import ensure_registry
from issuer.service import IssuerService
from verifier.config import load_config
from verifier.pipeline import Verifier
from verifier.report import VALID
from verifier.settings import Settings


@pytest.mark.local
def test_a_stuck_anchoring_transaction_is_replaced_with_higher_fees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path / "var", chain="local")
    node = LocalChain(settings.data_dir)
    node.start(port=18645)
    service: IssuerService | None = None
    w3 = None
    try:
        ensure_registry(settings)
        service = IssuerService(make_config(settings, batch_max_age=3600))
        service.create_institution("Patient Infirmary", slug="patient")
        issued = [c.id for c in service.issue_roster("patient", roster(3)).issued]
        sent: list[str] = []
        seen: list[Any] = []
        real_record = batches.record_sent

        def record_sent(db: Any, batch_id: int, tx_hash: str) -> None:
            seen.append(service.chain.context().chain.w3.eth.get_transaction(tx_hash))  # type: ignore[union-attr]
            sent.append(tx_hash)
            real_record(db, batch_id, tx_hash)

        monkeypatch.setattr(batches, "record_sent", record_sent)
        service.chain.timeout = 2.0
        service.chain.invalidate()
        w3 = service.chain.context().chain.w3
        w3.provider.make_request("evm_setAutomine", [False])
        outcome: dict[str, Any] = {}

        def anchor() -> None:
            try:
                outcome["anchored"] = service.anchor_now("patient", timeout=60)  # type: ignore[union-attr]
            except BaseException as exc:
                outcome["anchored"] = exc

        thread = threading.Thread(target=anchor, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while len(sent) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(sent) == 2, f"no replacement was sent: {sent}"
        stuck, replacement = seen
        assert replacement["nonce"] == stuck["nonce"]
        assert replacement["maxFeePerGas"] >= stuck["maxFeePerGas"] * 1.25
        assert replacement["maxPriorityFeePerGas"] >= stuck["maxPriorityFeePerGas"] * 1.25
        w3.provider.make_request("evm_mine", [])
        w3.provider.make_request("evm_setAutomine", [True])
        thread.join(60)
        assert isinstance(outcome.get("anchored"), list) and outcome["anchored"], outcome
        block = w3.eth.get_block("latest", full_transactions=True)
        mined = [t["hash"] for t in block["transactions"]]
        assert bytes(replacement["hash"]) in [bytes(h) for h in mined]
        with pytest.raises(TransactionNotFound):
            w3.eth.get_transaction(sent[0])  # dropped for good: its nonce is used
        verifier = Verifier(load_config(None, settings.data_dir))
        for credential_id in issued:
            report = verifier.verify(service.get_credential(credential_id).document)
            assert report.status == VALID, report.to_json()
            assert report.summary.transaction_hash == sent[1]
    finally:
        if w3 is not None:
            w3.provider.make_request("evm_setAutomine", [True])
        if service is not None:
            service.close()
        node.stop()
