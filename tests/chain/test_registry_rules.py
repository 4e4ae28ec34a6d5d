"""The registry's rules, exercised through the Python chain layer on both backends.

The Solidity tests in tests/contracts cover the same rules at the EVM level (with fuzzing); these
prove that the Python layer sends the right calls and turns refusals into decoded custom errors.
"""

from __future__ import annotations

import os

import pytest
from eth_account import Account

from issuer.chain.transactions import TransactionRevertedError
from verifier.chain.registry_reader import IssuerStatus
from verifier.errors import InputError

from .conftest import Deployed


def _root() -> bytes:
    return os.urandom(32)


def _refused(excinfo: pytest.ExceptionInfo[TransactionRevertedError], name: str) -> None:
    assert excinfo.value.error_name == name, str(excinfo.value)
    assert name in str(excinfo.value)


def test_add_issuer_then_views_report_it(deployed: Deployed) -> None:
    account, _ = deployed.new_issuer("Royal College of Resuscitation")
    info = deployed.reader.issuer(account.address)
    assert info.status is IssuerStatus.ACTIVE
    assert info.name == "Royal College of Resuscitation"
    assert info.did == f"did:web:{account.address.lower()}.example"
    assert deployed.reader.issuer_by_did(info.did).account == account.address
    assert account.address in [i.account for i in deployed.reader.issuers()]


def test_unknown_issuer_reads_as_not_registered(deployed: Deployed) -> None:
    info = deployed.reader.issuer(Account.create().address)
    assert info.status is IssuerStatus.NONE
    assert not info.registered


def test_duplicate_account_and_did_are_refused(deployed: Deployed) -> None:
    account, _ = deployed.new_issuer()
    with pytest.raises(TransactionRevertedError) as excinfo:
        deployed.governor.add_issuer(account.address, "did:web:other.example", "Other")
    _refused(excinfo, "IssuerAlreadyRegistered")
    did = deployed.reader.issuer(account.address).did
    with pytest.raises(TransactionRevertedError) as excinfo:
        deployed.governor.add_issuer(Account.create().address, did, "Impostor")
    _refused(excinfo, "DidAlreadyRegistered")


def test_only_registrars_govern(deployed: Deployed) -> None:
    outsider = deployed.writer_for(deployed.funded_account())
    with pytest.raises(TransactionRevertedError) as excinfo:
        outsider.add_issuer(Account.create().address, "did:web:x.example", "X")
    _refused(excinfo, "AccessControlUnauthorizedAccount")
    account, _ = deployed.new_issuer()
    with pytest.raises(TransactionRevertedError) as excinfo:
        outsider.suspend_issuer(account.address)
    _refused(excinfo, "AccessControlUnauthorizedAccount")


def test_malformed_input_is_refused_before_signing(deployed: Deployed) -> None:
    with pytest.raises(InputError, match="not a valid DID"):
        deployed.governor.add_issuer(Account.create().address, "not-a-did", "X")
    with pytest.raises(InputError, match="not an Ethereum address"):
        deployed.governor.add_issuer("0x1234", "did:web:x.example", "X")
    with pytest.raises(InputError, match="must not be empty"):
        deployed.governor.add_issuer(Account.create().address, "did:web:x.example", "  ")
    with pytest.raises(InputError, match="32-byte"):
        deployed.governor.anchor(b"short", 1)


def test_suspension_blocks_new_anchors_not_old_ones(deployed: Deployed) -> None:
    account, issuer = deployed.new_issuer()
    old_root = _root()
    issuer.anchor(old_root, 3)
    deployed.governor.suspend_issuer(account.address)
    with pytest.raises(TransactionRevertedError) as excinfo:
        issuer.anchor(_root(), 1)
    _refused(excinfo, "IssuerNotActive")
    anchor = deployed.reader.anchor(account.address, old_root)
    assert anchor.exists and anchor.issuer == account.address and anchor.count == 3
    assert anchor.issuer_status is IssuerStatus.SUSPENDED
    with pytest.raises(TransactionRevertedError) as excinfo:
        deployed.governor.suspend_issuer(account.address)
    _refused(excinfo, "IssuerNotActive")
    deployed.governor.reinstate_issuer(account.address)
    with pytest.raises(TransactionRevertedError) as excinfo:
        deployed.governor.reinstate_issuer(account.address)
    _refused(excinfo, "IssuerNotSuspended")
    issuer.anchor(_root(), 1)


def test_anchor_records_issuer_time_block_and_refuses_duplicates(deployed: Deployed) -> None:
    account, issuer = deployed.new_issuer()
    root = _root()
    result = issuer.anchor(root, 250)
    anchor = deployed.reader.anchor(account.address, root)
    block = deployed.chain.w3.eth.get_block(result.block_number)
    assert (anchor.issuer, anchor.count, anchor.block_number) == (account.address, 250, result.block_number)
    assert anchor.anchored_at == block["timestamp"]
    with pytest.raises(TransactionRevertedError) as excinfo:
        issuer.anchor(root, 250)
    _refused(excinfo, "RootAlreadyAnchored")
    with pytest.raises(TransactionRevertedError) as excinfo:
        issuer.anchor(bytes(32), 1)
    _refused(excinfo, "ZeroRoot")
    with pytest.raises(TransactionRevertedError) as excinfo:
        issuer.anchor(_root(), 0)
    _refused(excinfo, "EmptyBatch")
    with pytest.raises(InputError, match="between 0 and 65536"):
        issuer.anchor(_root(), 65_537)  # the registry's bound, checked before signing
    assert not deployed.reader.anchor(account.address, _root()).exists


def test_non_issuers_cannot_anchor(deployed: Deployed) -> None:
    stranger = deployed.writer_for(deployed.funded_account())
    with pytest.raises(TransactionRevertedError) as excinfo:
        stranger.anchor(_root(), 1)
    _refused(excinfo, "UnknownIssuer")


def test_key_validity_windows(deployed: Deployed) -> None:
    account, issuer = deployed.new_issuer()
    key = os.urandom(32)
    result = issuer.register_key(key, 1_000, 0)  # asks for 1970: raised to the registration time
    registered = int(deployed.chain.w3.eth.get_block(result.block_number)["timestamp"])
    reader = deployed.reader
    info = reader.key(account.address, key)
    assert (info.valid_from, info.registered_at) == (registered, registered)
    assert not reader.is_key_valid(account.address, key, 1_000)
    assert not reader.is_key_valid(account.address, key, registered - 1)
    assert reader.is_key_valid(account.address, key, registered)
    assert reader.is_key_valid(account.address, key, 2**40)
    with pytest.raises(TransactionRevertedError) as excinfo:
        issuer.register_key(key, 5, 0)
    _refused(excinfo, "KeyAlreadyRegistered")
    issuer.retire_key(key, registered + 5_000)
    reader = deployed.reader
    assert reader.is_key_valid(account.address, key, registered + 4_999)
    assert not reader.is_key_valid(account.address, key, registered + 5_000)
    with pytest.raises(TransactionRevertedError) as excinfo:
        issuer.retire_key(key, registered + 6_000)  # windows only shrink
    _refused(excinfo, "InvalidValidityWindow")
    with pytest.raises(TransactionRevertedError) as excinfo:
        issuer.retire_key(os.urandom(32), 6_000)
    _refused(excinfo, "UnknownKey")
    with pytest.raises(TransactionRevertedError) as excinfo:
        issuer.register_key(os.urandom(32), 10, 10)
    _refused(excinfo, "InvalidValidityWindow")
    assert not deployed.reader.is_key_valid(Account.create().address, key, registered)


def test_governance_restores_key_windows_and_moves_issuers(deployed: Deployed) -> None:
    account, issuer = deployed.new_issuer()
    key = os.urandom(32)
    registered = int(
        deployed.chain.w3.eth.get_block(issuer.register_key(key, 0, 0).block_number)["timestamp"]
    )
    root = _root()
    issuer.anchor(root, 4)
    issuer.retire_key(key, registered)  # a compromised account kills the key
    deployed.governor.suspend_issuer(account.address)
    with pytest.raises(TransactionRevertedError) as excinfo:
        issuer.revoke(root, 1)
    _refused(excinfo, "IssuerNotActive")
    deployed.governor.restore_key_window(account.address, key, registered, 0)
    assert deployed.reader.is_key_valid(account.address, key, registered + 10)

    new = deployed.funded_account()
    deployed.governor.move_issuer(account.address, new.address)
    reader = deployed.reader
    assert reader.issuer(account.address).status is IssuerStatus.NONE
    moved = reader.issuer(new.address)
    assert moved.status is IssuerStatus.SUSPENDED and moved.id == reader.issuer_by_did(moved.did).id
    assert reader.anchor(new.address, root).exists
    assert reader.is_key_valid(new.address, key, registered + 10)
    deployed.governor.reinstate_issuer(new.address)
    deployed.writer_for(new).revoke(root, 1)
    assert deployed.reader.is_revoked(new.address, root, 1)
    with pytest.raises(TransactionRevertedError) as excinfo:
        deployed.governor.add_issuer(account.address, "did:web:again.example", "Again")
    _refused(excinfo, "AccountRetired")


def test_revocation_single_and_bulk(deployed: Deployed) -> None:
    _, issuer = deployed.new_issuer()
    root = _root()
    issuer.anchor(root, 600)
    issuer.revoke(root, 7, "issued-in-error")
    issuer.revoke_batch(root, [0, 255, 256, 599], "superseded")
    reader = deployed.reader
    me = issuer.sender.address
    for index in (0, 7, 255, 256, 599):
        assert reader.is_revoked(me, root, index), index
    for index in (1, 6, 8, 254, 257, 598, 10**9):
        assert not reader.is_revoked(me, root, index), index
    assert len(reader.revocation_bitmap(me, root).words) == 3
    assert reader.anchor(me, root).revoked_count == 5
    revocation = reader.revocation(me, root, 7)
    assert revocation is not None and revocation.reason == 1
    assert reader.revocation(me, root, 256) is not None and reader.revocation(me, root, 256).reason == 2
    assert reader.revocation(me, root, 8) is None


def test_revocation_is_permanent_and_bounded(deployed: Deployed) -> None:
    _, issuer = deployed.new_issuer()
    root = _root()
    issuer.anchor(root, 10)
    issuer.revoke(root, 3)
    with pytest.raises(TransactionRevertedError) as excinfo:
        issuer.revoke(root, 3)
    _refused(excinfo, "AlreadyRevoked")
    with pytest.raises(TransactionRevertedError) as excinfo:
        issuer.revoke_batch(root, [4, 3])
    _refused(excinfo, "AlreadyRevoked")
    assert not deployed.reader.is_revoked(issuer.sender.address, root, 4)  # all or nothing
    with pytest.raises(TransactionRevertedError) as excinfo:
        issuer.revoke(root, 10)
    _refused(excinfo, "IndexOutOfRange")
    with pytest.raises(TransactionRevertedError) as excinfo:
        issuer.revoke(_root(), 0)
    _refused(excinfo, "UnknownRoot")
    with pytest.raises(InputError):
        issuer.revoke_batch(root, [])


def test_only_the_anchoring_issuer_revokes_and_not_when_suspended(deployed: Deployed) -> None:
    account, issuer = deployed.new_issuer("First")
    other_account, other = deployed.new_issuer("Second")
    root = _root()
    issuer.anchor(root, 5)
    with pytest.raises(TransactionRevertedError) as excinfo:
        other.revoke(root, 1)
    _refused(excinfo, "UnknownRoot")
    with pytest.raises(TransactionRevertedError) as excinfo:
        deployed.governor.revoke(root, 1)
    _refused(excinfo, "UnknownIssuer")
    other.anchor(root, 5)  # the same value, anchored by another issuer: its own record
    other.revoke(root, 1)
    assert deployed.reader.is_revoked(other_account.address, root, 1)
    assert not deployed.reader.is_revoked(account.address, root, 1)
    deployed.governor.suspend_issuer(account.address)
    with pytest.raises(TransactionRevertedError) as excinfo:
        issuer.revoke(root, 1)
    _refused(excinfo, "IssuerNotActive")
    assert not deployed.reader.is_revoked(account.address, root, 1)
