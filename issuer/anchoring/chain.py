"""The issuer's connection to the registry: opened lazily, dropped and reopened after an outage.

Issuing never needs the chain, so the service opens it only when it anchors, registers or revokes,
and a `ChainError` (node down, timeout) just drops the connection for the next attempt to reopen.

The anchoring worker passes `on_sent` to the sender: it records each transaction hash as soon as
the node accepted it, before waiting for the receipt, so the hash is in the database if the process
dies while waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from eth_account.signers.local import LocalAccount

from issuer.chain.context import RegistryContext, open_registry
from issuer.chain.registry_writer import RegistryWriter
from issuer.chain.transactions import TransactionSender
from verifier.chain.registry_reader import RegistryReader
from verifier.settings import Settings


class ChainAccess:
    """The registry of `settings`, opened on first use; `invalidate()` after a ChainError."""

    def __init__(self, settings: Settings, confirmations: int | None = None, timeout: float = 120.0) -> None:
        self.settings = settings
        self._confirmations = confirmations
        self.timeout = timeout
        self._context: RegistryContext | None = None
        self._reader: tuple[RegistryContext, RegistryReader] | None = None
        self._lock = threading.Lock()

    def context(self) -> RegistryContext:
        with self._lock:
            if self._context is None:
                self._context = open_registry(self.settings)
            return self._context

    def invalidate(self) -> None:
        with self._lock:
            self._context = None

    @property
    def confirmations(self) -> int:
        if self._confirmations is not None:
            return self._confirmations
        return 1 if self.context().chain.is_dev else 3

    def fresh_reader(self) -> RegistryReader:
        """A reader with an empty cache: the caller must see the chain as it is now.

        Each call gets a cache of its own (one operation may read one revocation word for every
        leaf of a batch), on one contract object and registry check per connection (a new one after
        `invalidate()`): a reader built from scratch makes a web3 contract object and checks the
        registry with four calls (chain id, code, `issuerCount`, `version`), and the anchoring
        worker reads on every pass, inside the process that serves every request.
        """
        ctx = self.context()
        with self._lock:
            if self._reader is None or self._reader[0] is not ctx:
                reader = RegistryReader(
                    ctx.chain.w3, ctx.deployment.address, chain_id=ctx.deployment.chain_id, ttl_seconds=0
                )
                self._reader = (ctx, reader)
            return self._reader[1].with_empty_cache()

    def writer(self, account: LocalAccount, on_sent: Callable[[str], None] | None = None) -> RegistryWriter:
        ctx = self.context()
        sender = TransactionSender(
            ctx.chain.w3, account, self.confirmations, timeout=self.timeout, on_sent=on_sent
        )
        return RegistryWriter(sender, ctx.deployment.address)

    def governor_writer(self) -> RegistryWriter:
        ctx = self.context()
        return RegistryWriter(
            TransactionSender(ctx.chain.w3, ctx.chain.governor(), self.confirmations, timeout=self.timeout),
            ctx.deployment.address,
        )
