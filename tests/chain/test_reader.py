"""The registry reader: clear errors for misconfiguration, and caching per root and issuer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from eth_account import Account
from web3.types import RPCEndpoint

from issuer.chain.backends import Chain, open_chain
from issuer.chain.registry_writer import deploy_registry
from issuer.chain.transactions import TransactionSender
from verifier.chain.provider import ChainUnreachableError, WrongChainError, connect_rpc
from verifier.chain.registry_reader import RegistryReader
from verifier.errors import RegistryNotFoundError

from .conftest import Deployed


def test_wrong_chain_id_is_named(deployed: Deployed) -> None:
    reader = RegistryReader(deployed.chain.w3, deployed.address, chain_id=1)
    with pytest.raises(WrongChainError, match=r"on chain \d+, but chain 1 was expected"):
        reader.anchor(Account.create().address, os.urandom(32))


def test_no_contract_at_address(deployed: Deployed) -> None:
    reader = RegistryReader(deployed.chain.w3, Account.create().address)
    with pytest.raises(RegistryNotFoundError, match="There is no contract at"):
        reader.issuer_count()


def test_unreachable_rpc() -> None:
    reader = RegistryReader(connect_rpc("http://127.0.0.1:9", timeout=1), Account.create().address)
    with pytest.raises(ChainUnreachableError, match="unreachable"):
        reader.anchor(Account.create().address, os.urandom(32))


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
        reader.anchor(account.address, root)
        reader.is_revoked(account.address, root, index)
        reader.issuer(account.address)
        reader.is_key_valid(account.address, b"\x01" * 32, 10)
    # One credential needs one revocation word: 300 leaves sit in two words, read once each.
    assert sorted(calls) == ["getAnchor", "getIssuer", "getKey", "revocationWord", "revocationWord"]


def test_cache_ttl_sees_new_revocations(deployed: Deployed) -> None:
    account, issuer = deployed.new_issuer()
    root = os.urandom(32)
    issuer.anchor(root, 4)
    reader = RegistryReader(deployed.chain.w3, deployed.address, ttl_seconds=0)
    assert not reader.is_revoked(account.address, root, 2)
    issuer.revoke(root, 2)
    assert reader.is_revoked(account.address, root, 2)


def test_one_credential_reads_only_its_word_even_in_the_largest_batch(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch
) -> None:
    account, issuer = deployed.new_issuer()
    root = os.urandom(32)
    issuer.anchor(root, 65_536)  # the registry's bound
    issuer.revoke_batch(root, [0, 300, 65_535])
    reader = deployed.reader
    calls: list[tuple[str, tuple[object, ...]]] = []
    original = RegistryReader._call

    def counting(self: RegistryReader, name: str, *args: object) -> object:
        calls.append((name, args))
        return original(self, name, *args)

    monkeypatch.setattr(RegistryReader, "_call", counting)
    assert reader.is_revoked(account.address, root, 65_535)
    assert calls == [("revocationWord", (account.address, root, 255))]
    bitmap = reader.revocation_bitmap(account.address, root)
    assert len(bitmap.words) == 256
    assert [i for i in range(65_536) if bitmap.is_revoked(i)] == [0, 300, 65_535]


def test_a_registry_of_the_first_version_asks_for_a_redeploy(chain: Chain) -> None:
    """A data folder made with the old contract: every read says clearly that it needs a redeploy."""
    import json

    from issuer.chain.transactions import TransactionSender
    from verifier.errors import RegistryOutdatedError

    old = json.loads((Path(__file__).parents[1] / "vectors" / "registry-v1.json").read_text())
    sender = TransactionSender(chain.w3, chain.governor())
    deployed = sender.deploy(old["abi"], old["bytecode"], sender.address, description="old registry")
    reader = RegistryReader(chain.w3, deployed.contract_address or "", chain_id=chain.chain_id)
    with pytest.raises(RegistryOutdatedError, match="needs a redeploy: run `medcred registry deploy`"):
        reader.issuer_count()


def test_registry_deploy_replaces_a_first_version_registry(tmp_path: Path) -> None:
    """`medcred registry deploy` on a data folder whose recorded registry is version 1 deploys the
    current one (there is no production deployment to migrate), and says so."""
    import json

    from click.testing import CliRunner

    from issuer.chain.backends import memory_chain
    from issuer.chain.context import deployment_store
    from issuer.chain.deployment import Deployment
    from issuer.chain.transactions import TransactionSender
    from verifier.cli import _load_plugins, cli
    from verifier.errors import RegistryOutdatedError
    from verifier.settings import Settings

    chain = memory_chain(fresh=True)
    old = json.loads((Path(__file__).parents[1] / "vectors" / "registry-v1.json").read_text())
    sender = TransactionSender(chain.w3, chain.governor())
    result = sender.deploy(old["abi"], old["bytecode"], sender.address, description="old registry")
    settings = Settings(data_dir=tmp_path / "var", chain="memory")
    deployment_store(settings, chain).save(
        Deployment(chain.chain_id, result.contract_address or "", result.block_number, result.tx_hash,
                   sender.address, 0.0)
    )  # fmt: skip
    with pytest.raises(RegistryOutdatedError):
        RegistryReader(chain.w3, result.contract_address or "").check()
    _load_plugins()
    out = CliRunner().invoke(
        cli, ["--data-dir", str(settings.data_dir), "--chain", "memory", "registry", "deploy"]
    )
    assert out.exit_code == 0, out.output
    assert "older version" in out.output
    new = deployment_store(settings, chain).require(chain.chain_id).address
    assert new != result.contract_address
    RegistryReader(chain.w3, new).check()


def test_a_long_lived_reader_notices_the_registry_gone(anvil_node: tuple[Path, str]) -> None:
    """A reader checks the registry once; when its code later vanishes under it (a node reset
    or a replaced chain), the next read says so as a ChainError, not a web3 decoding error."""
    data_dir, _ = anvil_node
    chain = open_chain("local", data_dir)
    deployment = deploy_registry(TransactionSender(chain.w3, chain.governor()))
    reader = RegistryReader(chain.w3, deployment.address, chain_id=chain.chain_id, ttl_seconds=0)
    assert reader.issuer_count() >= 0
    chain.w3.provider.make_request(RPCEndpoint("anvil_setCode"), [deployment.address, "0x"])
    with pytest.raises(RegistryNotFoundError, match="There is no contract at"):
        reader.anchor(Account.create().address, os.urandom(32))
