"""The registry reader: clear errors for misconfiguration, and caching per root and issuer."""

from __future__ import annotations

import os

import pytest
from eth_account import Account

from verifier.chain.provider import ChainUnreachableError, WrongChainError, connect_rpc
from verifier.chain.registry_reader import RegistryReader
from verifier.errors import RegistryNotFoundError

from .conftest import Deployed


def test_wrong_chain_id_is_named(deployed: Deployed) -> None:
    reader = RegistryReader(deployed.chain.w3, deployed.address, chain_id=1)
    with pytest.raises(WrongChainError, match=r"on chain \d+, but chain 1 was expected"):
        reader.anchor(os.urandom(32))


def test_no_contract_at_address(deployed: Deployed) -> None:
    reader = RegistryReader(deployed.chain.w3, Account.create().address)
    with pytest.raises(RegistryNotFoundError, match="There is no contract at"):
        reader.issuer_count()


def test_unreachable_rpc() -> None:
    reader = RegistryReader(connect_rpc("http://127.0.0.1:9", timeout=1), Account.create().address)
    with pytest.raises(ChainUnreachableError, match="unreachable"):
        reader.anchor(os.urandom(32))


def test_views_are_cached_per_root_and_issuer(deployed: Deployed, monkeypatch: pytest.MonkeyPatch) -> None:
    account, issuer = deployed.new_issuer()
    root = os.urandom(32)
    issuer.anchor(root, 300)
    reader = deployed.reader
    calls: list[str] = []
    original = RegistryReader._call

    def counting(self: RegistryReader, name: str, *args: object) -> object:
        calls.append(name)
        return original(self, name, *args)

    monkeypatch.setattr(RegistryReader, "_call", counting)
    for index in range(300):
        reader.anchor(root)
        reader.is_revoked(root, index)
        reader.issuer(account.address)
        reader.is_key_valid(account.address, b"\x01" * 32, 10)
    assert sorted(calls) == ["getAnchor", "getIssuer", "getKey", "revocationWords"]


def test_cache_ttl_sees_new_revocations(deployed: Deployed) -> None:
    _, issuer = deployed.new_issuer()
    root = os.urandom(32)
    issuer.anchor(root, 4)
    reader = RegistryReader(deployed.chain.w3, deployed.address, ttl_seconds=0)
    assert not reader.is_revoked(root, 2)
    issuer.revoke(root, 2)
    assert reader.is_revoked(root, 2)


def test_bitmap_is_read_in_pages(deployed: Deployed, monkeypatch: pytest.MonkeyPatch) -> None:
    import verifier.chain.registry_reader as module

    _, issuer = deployed.new_issuer()
    root = os.urandom(32)
    issuer.anchor(root, 256 * 5)
    issuer.revoke_batch(root, [0, 300, 1279])
    monkeypatch.setattr(module, "BITMAP_PAGE", 2)
    bitmap = deployed.reader.revocation_bitmap(root)
    assert len(bitmap.words) == 5
    assert [i for i in range(1280) if bitmap.is_revoked(i)] == [0, 300, 1279]
