"""The transaction layer: nonces for back-to-back sends, funds, fees and error decoding."""

from __future__ import annotations

import os

import pytest
from eth_account import Account

from issuer.chain.transactions import InsufficientFundsError, TransactionSender, TransactionTimeoutError
from verifier.chain.artifact import decode_custom_error

from .conftest import Deployed


def test_back_to_back_transactions_get_consecutive_nonces(deployed: Deployed) -> None:
    _, issuer = deployed.new_issuer()
    roots = [os.urandom(32) for _ in range(8)]
    results = [issuer.anchor(root, 1) for root in roots]
    assert len({r.tx_hash for r in results}) == 8
    assert all(deployed.reader.anchor(issuer.sender.address, root).exists for root in roots)


def test_stale_nonce_is_recovered(deployed: Deployed) -> None:
    account, issuer = deployed.new_issuer()
    issuer.anchor(os.urandom(32), 1)
    # Another sender for the same account moves the nonce behind the first sender's back.
    deployed.writer_for(account).anchor(os.urandom(32), 1)
    root = os.urandom(32)
    issuer.anchor(root, 1)
    assert deployed.reader.anchor(account.address, root).exists


def test_unfunded_account_gets_a_clear_error(deployed: Deployed) -> None:
    pauper = Account.create()
    deployed.governor.add_issuer(pauper.address, "did:web:pauper.example", "Pauper College")
    with pytest.raises(InsufficientFundsError, match="too little ETH"):
        deployed.writer_for(pauper).anchor(os.urandom(32), 1)


def test_eip1559_fees_are_used_where_supported(deployed: Deployed) -> None:
    _, issuer = deployed.new_issuer()
    result = issuer.anchor(os.urandom(32), 1)
    tx = deployed.chain.w3.eth.get_transaction(result.tx_hash)
    assert tx["type"] == 2
    assert tx["maxFeePerGas"] >= tx["maxPriorityFeePerGas"]


def test_anchor_gas_is_within_target(deployed: Deployed) -> None:
    """Functional bound from the issue (<= 60,000 gas per anchor), not a timing assertion."""
    _, issuer = deployed.new_issuer()
    assert issuer.anchor(os.urandom(32), 1000).gas_used <= 60_000


def test_confirmations_wait_for_blocks_on_top(deployed: Deployed) -> None:
    w3 = deployed.chain.w3
    sender = TransactionSender(w3, deployed.chain.governor(), confirmations=2, timeout=1.0)
    first = deployed.governor.sender.send_value(Account.create().address, 1, "first")
    # Nothing has been mined on top of `first` yet: two confirmations cannot be reached in time.
    with pytest.raises(TransactionTimeoutError, match="fewer than 2 confirmations"):
        sender.wait_confirmations(first.block_number, "waiting")
    deployed.governor.sender.send_value(Account.create().address, 1, "second")
    sender.wait_confirmations(first.block_number, "waiting")  # returns: one block on top now
    assert w3.eth.block_number >= first.block_number + 1


def test_unknown_revert_data_decodes_to_none() -> None:
    assert decode_custom_error("0xdeadbeef") is None
    assert decode_custom_error(None) is None
