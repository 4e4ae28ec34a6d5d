"""Sending transactions: signing locally, fees, nonces, confirmations and readable failures.

Private keys stay inside `eth_account.LocalAccount` objects: nothing here logs, formats or stores one.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.exceptions import ValidationError as EthValidationError
from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, TimeExhausted, Web3RPCError

from verifier.chain.artifact import decode_custom_error
from verifier.chain.provider import call_node
from verifier.errors import ChainError

log = logging.getLogger(__name__)


def _reverts() -> tuple[type[BaseException], ...]:
    """The exceptions that mean "the contract reverted". The in-process chain (`--chain memory`)
    raises eth-tester's own type; it is looked up only once eth-tester is loaded (only then can it
    be raised), so that a command on a real node does not import py-evm (~0.5 s)."""
    tester = sys.modules.get("eth_tester.exceptions")
    failed = getattr(tester, "TransactionFailed", None)
    return (ContractCustomError, ContractLogicError, *([failed] if failed is not None else []))


DEFAULT_PRIORITY_FEE_WEI = 1_000_000_000  # 1 gwei, when the node offers no suggestion
GAS_MARGIN = 1.2
REPLACEMENT_BUMP = 1.25
"""A replacement must outbid the stuck transaction's fees: nodes want at least +10% on both the
max fee and the priority fee (geth, anvil); 25% clears that with room."""


class TransactionRevertedError(ChainError):
    """The contract refused the call; `error_name` is the decoded custom error, if any."""

    def __init__(self, message: str, error_name: str | None = None, args: dict[str, Any] | None = None):
        super().__init__(message)
        self.error_name = error_name
        self.error_args = args or {}


class InsufficientFundsError(ChainError):
    """The sending account cannot pay for gas."""


class TransactionTimeoutError(ChainError):
    """No receipt (or not enough confirmations) within the timeout."""


@dataclass(frozen=True)
class TxResult:
    tx_hash: str
    block_number: int
    gas_used: int
    contract_address: str | None = None


class TransactionSender:
    """Sends transactions from one account, one at a time per sender, with its own nonce counter.

    Back-to-back transactions do not wait for each other's receipts to pick a nonce; the counter is
    re-read from the node when the node disagrees (e.g. after a restart of the local chain).
    """

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        confirmations: int = 1,
        timeout: float = 120.0,
        poll_interval: float = 0.05,
        on_sent: Callable[[str], None] | None = None,
    ) -> None:
        self.w3 = w3
        self.account = account
        self.confirmations = max(1, confirmations)
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.on_sent = on_sent
        """Called with each transaction hash as soon as the node accepted it, before the receipt:
        a crash-safe caller records the hash there, so a restart can look the transaction up."""
        self._nonce: int | None = None
        self._lock = threading.Lock()

    @property
    def address(self) -> str:
        return self.account.address

    # ------------------------------------------------------------------ public

    def transact(self, fn: ContractFunction, description: str) -> TxResult:
        """Send a contract call and wait for it; raise a ChainError subclass with a clear sentence."""
        tx = self._simulate(fn, description)
        return self._send(tx, description, lambda: self._simulate(fn, description))

    def replace(self, stuck_hash: str, fn: ContractFunction, description: str) -> TxResult:
        """Send `fn` again in place of the pending transaction `stuck_hash`: the same nonce, with
        EIP-1559 fees raised by REPLACEMENT_BUMP over the stuck one's (and at least today's), so the
        node swaps it in and only one of the two can ever be mined. Waits for the receipt."""
        stuck = call_node(self.w3, lambda: self.w3.eth.get_transaction(HexBytes(stuck_hash)))
        tx = self._simulate(fn, description)
        with self._lock:
            tx = dict(tx)
            for key in ("gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "nonce"):
                tx.pop(key, None)
            fees = self._fees()
            old_priority = int(stuck.get("maxPriorityFeePerGas") or stuck.get("gasPrice") or 0)
            old_max = int(stuck.get("maxFeePerGas") or stuck.get("gasPrice") or 0)
            priority = max(fees.get("maxPriorityFeePerGas", 0), int(old_priority * REPLACEMENT_BUMP) + 1)
            max_fee = max(
                fees.get("maxFeePerGas", fees.get("gasPrice", 0)), int(old_max * REPLACEMENT_BUMP) + 1
            )
            tx.update(
                {
                    "maxPriorityFeePerGas": priority,
                    "maxFeePerGas": max(max_fee, priority),
                    "nonce": int(stuck["nonce"]),
                    "chainId": int(call_node(self.w3, lambda: self.w3.eth.chain_id)),
                    "from": self.address,
                }
            )
            tx["gas"] = max(int(tx.get("gas") or 0), int(stuck["gas"]))
            self._check_funds(tx, description)
            signed = self.account.sign_transaction(tx)
            tx_hash = call_node(self.w3, lambda: self.w3.eth.send_raw_transaction(signed.raw_transaction))
            log.info(
                "%s: replaced stuck %s by %s (max fee %d -> %d wei)",
                description, stuck_hash, HexBytes(tx_hash).hex(), old_max, tx["maxFeePerGas"],
            )  # fmt: skip
            if self.on_sent is not None:
                self.on_sent("0x" + bytes(tx_hash).hex())
        return self._wait(HexBytes(tx_hash), description, lambda: self._simulate(fn, description))

    def deploy(self, abi: list[dict[str, Any]], bytecode: str, *args: Any, description: str) -> TxResult:
        constructor = self.w3.eth.contract(abi=abi, bytecode=bytecode).constructor(*args)
        try:
            tx = call_node(self.w3, lambda: constructor.build_transaction({"from": self.address}))
        except _reverts() as exc:
            raise _reverted(exc, description) from exc
        return self._send(tx, description, None)

    def send_value(self, to: str, wei: int, description: str) -> TxResult:
        tx = {"from": self.address, "to": to, "value": wei, "gas": 21_000}
        return self._send(tx, description, None, exact_gas=True)

    # ------------------------------------------------------------------ internals

    def _simulate(self, fn: ContractFunction, description: str) -> dict[str, Any]:
        """Dry-run through eth_estimateGas so that reverts are decoded before anything is signed."""
        try:
            return call_node(self.w3, lambda: fn.build_transaction({"from": self.address}))
        except _reverts() as exc:
            raise _reverted(exc, description) from exc
        except (ChainError, EthValidationError) as exc:
            text = str(exc).lower()
            if "insufficient funds" in text or "cannot afford" in text:
                raise self._no_funds(description) from exc
            if isinstance(exc, ChainError):
                raise
            raise ChainError(f"{description}: the node refused the transaction: {exc}") from exc

    def _fees(self) -> dict[str, int]:
        latest = call_node(self.w3, lambda: self.w3.eth.get_block("latest"))
        base_fee = latest.get("baseFeePerGas")
        if base_fee is None:
            return {"gasPrice": int(call_node(self.w3, lambda: self.w3.eth.gas_price))}
        try:
            priority = int(self.w3.eth.max_priority_fee)
        except (Web3RPCError, ValueError, NotImplementedError):
            priority = DEFAULT_PRIORITY_FEE_WEI
        return {"maxPriorityFeePerGas": priority, "maxFeePerGas": 2 * int(base_fee) + priority}

    def _next_nonce(self, refresh: bool = False) -> int:
        if self._nonce is None or refresh:
            self._nonce = int(
                call_node(self.w3, lambda: self.w3.eth.get_transaction_count(self.address, "pending"))
            )
        nonce = self._nonce
        self._nonce += 1
        return nonce

    def _send(
        self, tx: dict[str, Any], description: str, resimulate: Any, exact_gas: bool = False
    ) -> TxResult:
        with self._lock:
            tx = dict(tx)
            tx.pop("nonce", None)
            for fee_key in ("gasPrice", "maxFeePerGas", "maxPriorityFeePerGas"):
                tx.pop(fee_key, None)
            tx.update(self._fees())
            tx["chainId"] = int(call_node(self.w3, lambda: self.w3.eth.chain_id))
            tx["from"] = self.address
            if "gas" not in tx:
                tx["gas"] = int(call_node(self.w3, lambda: self.w3.eth.estimate_gas(tx)))
            if not exact_gas:
                # Estimates are made against the latest state; leave room for state changing meanwhile.
                tx["gas"] = int(tx["gas"] * GAS_MARGIN)
            self._check_funds(tx, description)
            tx_hash = None
            for attempt in range(2):
                tx["nonce"] = self._next_nonce(refresh=attempt > 0)
                signed = self.account.sign_transaction(tx)
                try:
                    tx_hash = call_node(
                        self.w3, lambda s=signed: self.w3.eth.send_raw_transaction(s.raw_transaction)
                    )
                    break
                except (ChainError, EthValidationError) as exc:
                    # eth-tester raises ValidationError where a JSON-RPC node answers with an error.
                    text = str(exc).lower()
                    if "nonce" in text and attempt == 0:
                        continue
                    if "insufficient funds" in text:
                        raise self._no_funds(description) from exc
                    self._nonce = None
                    if isinstance(exc, ChainError):
                        raise
                    raise ChainError(f"{description}: the node refused the transaction: {exc}") from exc
            log.info("%s: sent %s", description, HexBytes(tx_hash).hex())
            if self.on_sent is not None:
                self.on_sent("0x" + bytes(tx_hash).hex())
        return self._wait(HexBytes(tx_hash), description, resimulate)

    def _wait(self, tx_hash: HexBytes, description: str, resimulate: Any) -> TxResult:
        try:
            receipt = call_node(
                self.w3,
                lambda: self.w3.eth.wait_for_transaction_receipt(
                    tx_hash, timeout=self.timeout, poll_latency=self.poll_interval
                ),
            )
        except TimeExhausted as exc:
            raise TransactionTimeoutError(
                f"{description}: transaction 0x{tx_hash.hex()} got no receipt within {self.timeout:.0f} s."
            ) from exc
        if receipt["status"] != 1:
            if resimulate is not None:
                resimulate()  # raises the decoded custom error if the revert is reproducible
            raise TransactionRevertedError(f"{description}: transaction 0x{tx_hash.hex()} reverted.")
        self.wait_confirmations(int(receipt["blockNumber"]), description)
        address = receipt.get("contractAddress")
        return TxResult(
            tx_hash="0x" + tx_hash.hex().removeprefix("0x"),
            block_number=int(receipt["blockNumber"]),
            gas_used=int(receipt["gasUsed"]),
            contract_address=str(address) if address else None,
        )

    def wait_confirmations(self, block_number: int, description: str) -> None:
        """Block until `block_number` has `confirmations` blocks on top of it (itself included)."""
        if self.confirmations <= 1:
            return
        deadline = time.monotonic() + self.timeout
        while call_node(self.w3, lambda: self.w3.eth.block_number) < block_number + self.confirmations - 1:
            if time.monotonic() > deadline:
                raise TransactionTimeoutError(
                    f"{description}: fewer than {self.confirmations} confirmations "
                    f"after {self.timeout:.0f} s."
                )
            time.sleep(max(self.poll_interval, 0.5))

    def _check_funds(self, tx: dict[str, Any], description: str) -> None:
        price = tx.get("maxFeePerGas") or tx.get("gasPrice") or 0
        needed = int(tx["gas"]) * int(price) + int(tx.get("value", 0))
        balance = int(call_node(self.w3, lambda: self.w3.eth.get_balance(self.address)))
        if balance < needed:
            raise self._no_funds(description, needed, balance)

    def _no_funds(
        self, description: str, needed: int | None = None, balance: int | None = None
    ) -> ChainError:
        detail = ""
        if needed is not None and balance is not None:
            detail = (
                f" (needs about {Web3.from_wei(needed, 'ether')} ETH, has {Web3.from_wei(balance, 'ether')})"
            )
        return InsufficientFundsError(
            f"{description}: account {self.address} has too little ETH to pay for gas{detail}; "
            "fund it and retry."
        )


def _revert_data(exc: BaseException | None) -> str | bytes | None:
    """The raw revert data, wherever the provider put it (web3: `.data`; eth-tester: a wrapped arg)."""
    seen = 0
    while exc is not None and seen < 5:
        data = getattr(exc, "data", None)
        if isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, str | bytes):
            return data
        if exc.args and isinstance(exc.args[0], bytes):
            return exc.args[0]
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


# What each refusal means for the person at the keyboard.
_HINTS = {
    "AccessControlUnauthorizedAccount": "the sending account does not hold the role this needs",
    "UnknownIssuer": "that account is not a registered issuer",
    "IssuerNotActive": "the issuer is suspended",
    "IssuerNotSuspended": "the issuer is not suspended",
    "IssuerAlreadyRegistered": "that account is already registered",
    "DidAlreadyRegistered": "that DID is already registered to another account",
    "RootAlreadyAnchored": "that batch root is already anchored",
    "AccountRetired": "an issuer was moved away from that account; it cannot be registered again",
    "BatchTooLarge": "a batch holds at most 65,536 credentials",
    "UnknownKey": "that signing key is not registered for this issuer",
    "AlreadyRevoked": "the credential is already revoked",
    "UnknownRoot": "this issuer anchored no batch with that root",
    "InvalidValidityWindow": "the key's validity window can only shrink and must end after it starts",
}


def _reverted(exc: Exception, description: str) -> TransactionRevertedError:
    decoded = decode_custom_error(_revert_data(exc))
    if decoded is not None and decoded.name in _HINTS:
        return TransactionRevertedError(
            f"{description}: refused by the registry: {_HINTS[decoded.name]} ({decoded}).",
            decoded.name,
            decoded.args,
        )
    if decoded is not None:
        return TransactionRevertedError(
            f"{description}: refused by the registry with {decoded}.", decoded.name, decoded.args
        )
    message = getattr(exc, "message", None) or str(exc)
    return TransactionRevertedError(f"{description}: refused by the registry ({message}).")
