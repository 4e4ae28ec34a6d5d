"""Chain fixtures: every chain-level test runs on the in-process EVM and on a real anvil node."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from issuer.chain.backends import Chain, memory_chain, open_chain
from issuer.chain.registry_writer import RegistryWriter, deploy_registry
from issuer.chain.transactions import TransactionSender
from verifier.chain.registry_reader import RegistryReader


@pytest.fixture(params=["memory", "local"])
def chain(request: pytest.FixtureRequest) -> Chain:
    if request.param == "memory":
        return memory_chain(fresh=True)
    data_dir, _ = request.getfixturevalue("anvil_node")
    return open_chain("local", data_dir)


@dataclass
class Deployed:
    chain: Chain
    address: str
    governor: RegistryWriter

    @property
    def reader(self) -> RegistryReader:
        """A reader with an empty cache, so each assertion sees the chain as it is now."""
        return RegistryReader(self.chain.w3, self.address, chain_id=self.chain.chain_id)

    def writer_for(self, account: LocalAccount) -> RegistryWriter:
        return RegistryWriter(TransactionSender(self.chain.w3, account), self.address)

    def funded_account(self) -> LocalAccount:
        """A brand-new account with some ETH, so tests on the shared anvil node never collide."""
        account = Account.create()
        self.governor.sender.send_value(account.address, 10**18, "Funding a test account")
        return account

    def new_issuer(self, name: str = "St Elsewhere Medical School") -> tuple[LocalAccount, RegistryWriter]:
        account = self.funded_account()
        self.governor.add_issuer(account.address, f"did:web:{account.address.lower()}.example", name)
        return account, self.writer_for(account)


@pytest.fixture
def deployed(chain: Chain) -> Deployed:
    sender = TransactionSender(chain.w3, chain.governor())
    deployment = deploy_registry(sender)
    return Deployed(
        chain=chain,
        address=deployment.address,
        governor=RegistryWriter(sender, deployment.address),
    )
