"""Resolving `--chain memory|local|URL` into a connected Web3 and the accounts that may pay for gas.

Development chains (memory, local) come with funded accounts whose keys are public knowledge; the
first one acts as registry governor and faucet there. On a real chain the governor's key comes from
the environment (`MEDCRED_GOVERNOR_KEY`) and is never written anywhere.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from issuer.chain.anvil import LOCAL_CHAIN_ID, LocalChain
from issuer.loopback import url_is_loopback
from verifier.chain.provider import chain_id_of, connect_rpc
from verifier.errors import ChainError

# anvil's documented default mnemonic: the node funds these accounts with 10,000 ETH each.
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
GOVERNOR_KEY_ENV = "MEDCRED_GOVERNOR_KEY"
ANVIL_CHAIN_ID = LOCAL_CHAIN_ID


def public_mnemonic_refused(rpc_url: str) -> str:
    """Why a chain with anvil's chain id, reached beyond loopback, gets no development accounts."""
    return (
        f"The node at {rpc_url} has chain id {ANVIL_CHAIN_ID} (anvil/hardhat) but is not on this machine, "
        "so MedCred will not use the public development mnemonic ('test test ... junk') there: anyone "
        "who knows it could govern the registry. Set MEDCRED_GOVERNOR_KEY to the governor's own private "
        "key (and fund institution accounts yourself), or reach a development node at 127.0.0.1 / "
        "localhost (`--chain local`, or `--chain http://127.0.0.1:PORT`)."
    )


@dataclass
class Chain:
    """A connected chain. `dev_accounts` is non-empty only on development chains."""

    kind: str  # "memory" | "local" | "rpc"
    w3: Web3
    rpc_url: str | None
    dev_accounts: list[LocalAccount] = field(default_factory=list)

    @property
    def chain_id(self) -> int:
        return chain_id_of(self.w3)

    @property
    def caip2(self) -> str:
        return f"eip155:{self.chain_id}"

    @property
    def is_dev(self) -> bool:
        return bool(self.dev_accounts)

    def governor(self) -> LocalAccount:
        """The account that deploys the registry and holds the registrar role."""
        key = os.environ.get(GOVERNOR_KEY_ENV)
        if key:
            try:
                return Account.from_key(key)
            except (ValueError, TypeError):
                raise ChainError(f"{GOVERNOR_KEY_ENV} is not a valid private key.") from None
        if self.dev_accounts:
            return self.dev_accounts[0]
        if self.kind == "rpc" and self.chain_id == ANVIL_CHAIN_ID:
            raise ChainError(public_mnemonic_refused(self.rpc_url or ""))
        raise ChainError(
            f"This chain has no development accounts: set {GOVERNOR_KEY_ENV} to the governor's private key."
        )


_memory_lock = threading.Lock()
_memory_chain: Chain | None = None


def memory_chain(fresh: bool = False) -> Chain:
    """The process-wide in-process EVM (py-evm via eth-tester). `fresh=True` starts a new one."""
    global _memory_chain  # noqa: PLW0603 - one in-process chain per process is the point
    with _memory_lock:
        if _memory_chain is None or fresh:
            try:
                from eth_tester.backends.pyevm.main import get_default_account_keys  # noqa: PLC0415
                from web3 import EthereumTesterProvider  # noqa: PLC0415
            except ImportError:
                raise ChainError(
                    "The in-process chain needs the 'memory' extra: pip install 'medcred[memory]'."
                ) from None
            w3 = Web3(EthereumTesterProvider())
            accounts = [Account.from_key(k.to_bytes()) for k in get_default_account_keys()]
            _memory_chain = Chain(kind="memory", w3=w3, rpc_url=None, dev_accounts=accounts)
        return _memory_chain


def anvil_accounts(count: int = 10) -> list[LocalAccount]:
    Account.enable_unaudited_hdwallet_features()
    return [Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(count)]


def open_chain(spec: str, data_dir: Path) -> Chain:
    """Connect to the chain named by `spec` (see module docstring)."""
    if spec == "memory":
        return memory_chain()
    if spec == "local":
        info = LocalChain(data_dir).require()
        return Chain(
            kind="local", w3=connect_rpc(info.rpc_url), rpc_url=info.rpc_url, dev_accounts=anvil_accounts()
        )
    if spec.startswith(("http://", "https://")):
        w3 = connect_rpc(spec)
        # An anvil or hardhat node on loopback still has its well-known funded accounts. Anywhere
        # else their keys, public to everyone, would govern a registry others can reach: never.
        dev = anvil_accounts() if chain_id_of(w3) == ANVIL_CHAIN_ID and url_is_loopback(spec) else []
        return Chain(kind="rpc", w3=w3, rpc_url=spec, dev_accounts=dev)
    raise ChainError(f"Unknown chain {spec!r}: use 'memory', 'local' or an http(s) RPC URL.")
