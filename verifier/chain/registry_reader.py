"""Read-only access to a CredentialRegistry, with the caching a batch verifier needs.

A licensing body verifying ten thousand credentials from ten batches should cause about ten root
lookups and a handful of issuer lookups, not ten thousand of each: every view is cached per root, per
issuer account or per key for the lifetime of the reader (or `ttl_seconds`, for a long-running
verification server that must notice revocations).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_utils import is_address, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import BadFunctionCallOutput, ContractLogicError

from verifier.chain.artifact import load_artifact
from verifier.chain.provider import call_node, describe, expect_chain_id
from verifier.errors import ChainError, InputError, RegistryNotFoundError
from verifier.ttl_cache import TtlCache

BITMAP_PAGE = 2048  # words (524,288 leaves) per call: ~4.5M gas of cold reads, under common caps


class IssuerStatus(IntEnum):
    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2

    @property
    def label(self) -> str:
        return {0: "not registered", 1: "active", 2: "suspended"}[int(self)]


@dataclass(frozen=True)
class IssuerInfo:
    account: str
    status: IssuerStatus
    id: int
    registered_at: int
    updated_at: int
    did: str
    name: str

    @property
    def registered(self) -> bool:
        return self.status is not IssuerStatus.NONE


@dataclass(frozen=True)
class AnchorInfo:
    root: bytes
    exists: bool
    issuer: str
    issuer_status: IssuerStatus
    did: str
    name: str
    anchored_at: int
    block_number: int
    count: int
    revoked_count: int


@dataclass(frozen=True)
class KeyInfo:
    exists: bool
    valid_from: int
    valid_until: int

    def valid_at(self, at: int) -> bool:
        """Same rule as the contract's `isKeyValid`: from inclusive, until exclusive, 0 = open."""
        return self.exists and self.valid_from <= at and (self.valid_until == 0 or at < self.valid_until)


@dataclass(frozen=True)
class RevocationBitmap:
    words: tuple[int, ...]

    def is_revoked(self, index: int) -> bool:
        word, bit = divmod(index, 256)
        return word < len(self.words) and bool((self.words[word] >> bit) & 1)


@dataclass(frozen=True)
class Revocation:
    index: int
    reason: int
    block_number: int
    transaction_hash: str


def as_bytes32(value: bytes | str) -> bytes:
    """Accept a root or key id as 32 bytes or 0x-prefixed hex; refuse anything else clearly."""
    if isinstance(value, str):
        text = value[2:] if value.startswith("0x") else value
        try:
            value = bytes.fromhex(text)
        except ValueError:
            raise InputError(f"{value!r} is not a hexadecimal 32-byte value.") from None
    if len(value) != 32:
        raise InputError(f"Expected a 32-byte value, got {len(value)} bytes.")
    return value


def checksum(address: str) -> str:
    if not isinstance(address, str) or not is_address(address):
        raise InputError(f"{address!r} is not an Ethereum address (0x followed by 40 hex digits).")
    return to_checksum_address(address)


class RegistryReader:
    """Cached views of one registry on one chain.

    The first call checks that the node is on `chain_id` (when given) and that a MedCred registry
    answers at `address`, so a misconfiguration is one clear sentence rather than garbage results.
    """

    def __init__(
        self,
        w3: Web3,
        address: str,
        chain_id: int | None = None,
        ttl_seconds: float | None = None,
    ) -> None:
        self.w3 = w3
        self.address = checksum(address)
        self.expected_chain_id = chain_id
        self.contract: Contract = w3.eth.contract(address=self.address, abi=load_artifact().abi)
        self._cache = TtlCache(ttl_seconds)
        self._checked = False
        self._check_lock = threading.Lock()

    # ------------------------------------------------------------------ plumbing

    def check(self) -> None:
        """Validate chain id and contract presence once; raise a `ChainError` subclass otherwise."""
        if self._checked:
            return
        with self._check_lock:
            if self._checked:
                return
            if self.expected_chain_id is not None:
                expect_chain_id(self.w3, self.expected_chain_id)
            code = call_node(self.w3, lambda: self.w3.eth.get_code(self.address))
            if not code:
                raise RegistryNotFoundError(
                    f"There is no contract at {self.address} on the chain at {describe(self.w3)}."
                )
            try:
                call_node(self.w3, lambda: self.contract.functions.issuerCount().call())
            except (BadFunctionCallOutput, ContractLogicError, ValueError) as exc:
                raise RegistryNotFoundError(
                    f"The contract at {self.address} is not a MedCred credential registry."
                ) from exc
            self._checked = True

    def _call(self, fn_name: str, *args: Any) -> Any:
        self.check()
        fn = getattr(self.contract.functions, fn_name)
        try:
            return call_node(self.w3, lambda: fn(*args).call())
        except ContractLogicError as exc:
            raise ChainError(f"The registry refused {fn_name}: {exc}") from exc

    def clear_cache(self) -> None:
        self._cache.clear()

    # ------------------------------------------------------------------ views

    @property
    def chain_id(self) -> int:
        return self._cache.get(("chain_id",), lambda: int(call_node(self.w3, lambda: self.w3.eth.chain_id)))

    def issuer(self, account: str) -> IssuerInfo:
        account = checksum(account)
        return self._cache.get(("issuer", account), lambda: _issuer(self._call("getIssuer", account)))

    def issuer_by_did(self, did: str) -> IssuerInfo:
        return self._cache.get(("did", did), lambda: _issuer(self._call("issuerByDid", did)))

    def issuer_count(self) -> int:
        return int(self._call("issuerCount"))

    def issuers(self, offset: int = 0, limit: int = 1000) -> list[IssuerInfo]:
        return [_issuer(raw) for raw in self._call("issuers", offset, limit)]

    def anchor(self, root: bytes | str) -> AnchorInfo:
        root = as_bytes32(root)
        return self._cache.get(("anchor", root), lambda: _anchor(root, self._call("getAnchor", root)))

    def anchor_transaction(self, root: bytes | str, block_number: int) -> bytes | None:
        """The hash of the transaction that anchored `root` (its RootAnchored event in `block_number`).

        An anchor proof's transactionHash is not covered by any signature or Merkle leaf, so a
        verifier that shows it must read it back from the chain rather than trust the file.
        """
        root = as_bytes32(root)

        def fetch() -> bytes | None:
            logs = call_node(
                self.w3,
                lambda: self.contract.events.RootAnchored.get_logs(
                    from_block=block_number, to_block=block_number, argument_filters={"root": root}
                ),
            )
            return bytes(logs[0]["transactionHash"]) if logs else None

        return self._cache.get(("anchor_tx", root, block_number), fetch)

    def key(self, issuer: str, key_id: bytes | str) -> KeyInfo:
        issuer, key_id = checksum(issuer), as_bytes32(key_id)

        def fetch() -> KeyInfo:
            raw = self._call("getKey", issuer, key_id)
            return KeyInfo(exists=bool(raw[0]), valid_from=int(raw[1]), valid_until=int(raw[2]))

        return self._cache.get(("key", issuer, key_id), fetch)

    def is_key_valid(self, issuer: str, key_id: bytes | str, at: int) -> bool:
        return self.key(issuer, key_id).valid_at(at)

    def revocation_bitmap(self, root: bytes | str) -> RevocationBitmap:
        """The root's whole revocation bitmap, read once per root (in pages of BITMAP_PAGE words,
        so that a batch of millions of credentials stays within a node's eth_call gas cap)."""
        root = as_bytes32(root)

        def fetch() -> RevocationBitmap:
            words: list[int] = []
            while True:
                page = self._call("revocationWords", root, len(words), BITMAP_PAGE)
                words.extend(int(w) for w in page)
                if len(page) < BITMAP_PAGE:
                    return RevocationBitmap(tuple(words))

        return self._cache.get(("bitmap", root), fetch)

    def is_revoked(self, root: bytes | str, index: int) -> bool:
        return self.revocation_bitmap(root).is_revoked(index)

    def revocation(self, root: bytes | str, index: int) -> Revocation | None:
        """When and why leaf `index` of `root` was revoked, read from the registry's events."""
        root = as_bytes32(root)
        info = self.anchor(root)
        if not info.exists:
            return None

        def scan() -> dict[int, Revocation]:
            found: dict[int, Revocation] = {}
            events = self.contract.events
            for event, many in ((events.CredentialRevoked, False), (events.CredentialsRevoked, True)):
                logs = call_node(
                    self.w3,
                    lambda ev=event: ev.get_logs(
                        from_block=info.block_number, argument_filters={"root": root}
                    ),
                )
                for log in logs:
                    indexes = log["args"]["indexes"] if many else [log["args"]["index"]]
                    for i in indexes:
                        found.setdefault(
                            int(i),
                            Revocation(
                                index=int(i),
                                reason=int(log["args"]["reason"]),
                                block_number=int(log["blockNumber"]),
                                transaction_hash="0x" + bytes(log["transactionHash"]).hex(),
                            ),
                        )
            return found

        return self._cache.get(("revocations", root), scan).get(index)


def _issuer(raw: Any) -> IssuerInfo:
    return IssuerInfo(
        account=to_checksum_address(raw[0]),
        status=IssuerStatus(int(raw[1])),
        id=int(raw[2]),
        registered_at=int(raw[3]),
        updated_at=int(raw[4]),
        did=str(raw[5]),
        name=str(raw[6]),
    )


def _anchor(root: bytes, raw: Any) -> AnchorInfo:
    return AnchorInfo(
        root=root,
        exists=bool(raw[0]),
        issuer=to_checksum_address(raw[1]),
        issuer_status=IssuerStatus(int(raw[2])),
        did=str(raw[3]),
        name=str(raw[4]),
        anchored_at=int(raw[5]),
        block_number=int(raw[6]),
        count=int(raw[7]),
        revoked_count=int(raw[8]),
    )
