"""Read-only access to a CredentialRegistry (version 2), with the caching a batch verifier needs.

A licensing body verifying ten thousand credentials from ten batches should cause about ten root
lookups and a handful of issuer lookups, not ten thousand of each: every view is cached per root, per
issuer account, per key or per revocation word for the lifetime of the reader (or `ttl_seconds`, for
a long-running verification server that must notice revocations).

Roots, keys and revocations belong to an issuer (the registry stores them under its issuer id), so
every view that touches them takes the issuer's account: a root anchored by somebody else under the
same value is somebody else's record.
"""

from __future__ import annotations

import copy
import functools
import threading
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_utils import is_address, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import BadFunctionCallOutput, ContractLogicError

from verifier.chain.artifact import load_artifact
from verifier.chain.provider import ChainUnreachableError, call_node, describe, expect_chain_id
from verifier.errors import ChainError, InputError, RegistryNotFoundError, RegistryOutdatedError
from verifier.ttl_cache import TtlCache

REGISTRY_VERSION = 2
"""The registry interface this code reads (the contract's `version()`); version 1 had none."""
MAX_BATCH_SIZE = 65_536
"""The registry's bound on a batch (its MAX_BATCH_SIZE): 256 revocation words at most."""


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
    registered_at: int = 0
    """Block time of `registerKey`; the registry never lets `valid_from` precede it."""

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
    """When and why a credential was revoked, from the registry's events."""

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
    """The EIP-55 checksummed form of `address`; InputError if it is not an address."""
    if not isinstance(address, str):
        raise InputError(f"{address!r} is not an Ethereum address (0x followed by 40 hex digits).")
    return _checksum(address)


@functools.lru_cache(maxsize=4096)
def _checksum(address: str) -> str:
    # A batch names the same few registries and issuers over and over; each checksum is a keccak.
    if not is_address(address):
        raise InputError(f"{address!r} is not an Ethereum address (0x followed by 40 hex digits).")
    return to_checksum_address(address)


class RegistryReader:
    """Cached views of one registry on one chain.

    The first call checks that the node is on `chain_id` (when given) and that a MedCred registry
    answers at `address`, so a misconfiguration is one clear sentence rather than garbage results.
    Views are cached for `ttl_seconds` (None: no age limit), at most `cache_size` entries: roots and
    DIDs come from credentials, that is from anyone.
    """

    def __init__(
        self,
        w3: Web3,
        address: str,
        chain_id: int | None = None,
        ttl_seconds: float | None = None,
        cache_size: int = 4096,
    ) -> None:
        self.w3 = w3
        self.address = checksum(address)
        self.expected_chain_id = chain_id
        self.contract: Contract = w3.eth.contract(address=self.address, abi=load_artifact().abi)
        self._cache_size = cache_size
        self._cache = TtlCache(ttl_seconds, maxsize=cache_size)
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
            version = self._version()
            if version != REGISTRY_VERSION:
                raise RegistryOutdatedError(
                    f"The registry at {self.address} is MedCred registry version {version}; this "
                    f"MedCred needs version {REGISTRY_VERSION} (issuer-scoped anchors, bounded batches, "
                    "key registration times). It needs a redeploy: run `medcred registry deploy` "
                    "and register the institutions again (`medcred institution register SLUG`)."
                )
            self._checked = True

    def _version(self) -> int:
        """The contract's `version()`; 1 for the first registry, which has no such view."""
        try:
            return int(call_node(self.w3, lambda: self.contract.functions.version().call()))
        except ChainUnreachableError:
            raise
        except Exception:
            # issuerCount() answered just before, so the node is up: the function is missing.
            return 1

    def _call(self, fn_name: str, *args: Any) -> Any:
        self.check()
        fn = getattr(self.contract.functions, fn_name)
        try:
            return call_node(self.w3, lambda: fn(*args).call())
        except ContractLogicError as exc:
            raise ChainError(f"The registry refused {fn_name}: {exc}") from exc
        except BadFunctionCallOutput as exc:
            # No answer from a contract that was there when checked: the node was reset or the chain
            # replaced under a long-lived reader. Check again, so the caller hears which.
            self._checked = False
            self.check()
            raise ChainError(f"The registry gave no answer to {fn_name} at {describe(self.w3)}.") from exc

    def clear_cache(self) -> None:
        self._cache.clear()

    def with_empty_cache(self) -> RegistryReader:
        """A reader on the same contract object and the same registry check, with an empty cache of
        its own and no age limit: for one operation that must see the chain as it is now and may
        read one value many times (a revocation word per leaf), without a new contract object and
        the check's four calls."""
        clone = copy.copy(self)
        clone._cache = TtlCache(None, maxsize=self._cache_size)
        return clone

    # ------------------------------------------------------------------ views

    @property
    def chain_id(self) -> int:
        return self._cache.get(("chain_id",), lambda: int(call_node(self.w3, lambda: self.w3.eth.chain_id)))

    def block_time(self, block_number: int) -> int:
        """The timestamp (Unix seconds) of block `block_number`, e.g. when a revocation was mined."""
        return self._cache.get(
            ("block_time", block_number),
            lambda: int(call_node(self.w3, lambda: self.w3.eth.get_block(block_number)["timestamp"])),
        )

    def issuer(self, account: str) -> IssuerInfo:
        account = checksum(account)
        return self._cache.get(("issuer", account), lambda: _issuer(self._call("getIssuer", account)))

    def issuer_by_did(self, did: str) -> IssuerInfo:
        return self._cache.get(("did", did), lambda: _issuer(self._call("issuerByDid", did)))

    def issuer_count(self) -> int:
        return int(self._call("issuerCount"))

    def issuers(self, offset: int = 0, limit: int = 1000) -> list[IssuerInfo]:
        return [_issuer(raw) for raw in self._call("issuers", offset, limit)]

    def anchor(self, issuer: str, root: bytes | str) -> AnchorInfo:
        """`issuer`'s record of `root` (`exists` False if that issuer never anchored that value)."""
        issuer, root = checksum(issuer), as_bytes32(root)
        return self._cache.get(
            ("anchor", issuer, root), lambda: _anchor(root, self._call("getAnchor", issuer, root))
        )

    def anchor_transaction(self, issuer: str, root: bytes | str, block_number: int) -> bytes | None:
        """The hash of the transaction in which `issuer` anchored `root` (its RootAnchored event in
        `block_number`, matched on the issuer's id, which survives a move to a new account).

        An anchor proof's transactionHash is not covered by any signature or Merkle leaf, so a
        verifier that shows it must read it back from the chain rather than trust the file.
        """
        issuer, root = checksum(issuer), as_bytes32(root)
        issuer_id = self.issuer(issuer).id

        def fetch() -> bytes | None:
            logs = call_node(
                self.w3,
                lambda: self.contract.events.RootAnchored.get_logs(
                    from_block=block_number,
                    to_block=block_number,
                    argument_filters={"root": root, "issuerId": issuer_id},
                ),
            )
            return bytes(logs[0]["transactionHash"]) if logs else None

        return self._cache.get(("anchor_tx", issuer_id, root, block_number), fetch)

    def key(self, issuer: str, key_id: bytes | str) -> KeyInfo:
        issuer, key_id = checksum(issuer), as_bytes32(key_id)

        def fetch() -> KeyInfo:
            raw = self._call("getKey", issuer, key_id)
            return KeyInfo(
                exists=bool(raw[0]),
                valid_from=int(raw[1]),
                valid_until=int(raw[2]),
                registered_at=int(raw[3]),
            )

        return self._cache.get(("key", issuer, key_id), fetch)

    def is_key_valid(self, issuer: str, key_id: bytes | str, at: int) -> bool:
        return self.key(issuer, key_id).valid_at(at)

    def revocation_word(self, issuer: str, root: bytes | str, word: int) -> int:
        """Word `word` of `issuer`'s `root` revocation bitmap (bit i = leaf 256 * word + i)."""
        issuer, root = checksum(issuer), as_bytes32(root)
        if isinstance(word, bool) or not isinstance(word, int) or not 0 <= word < MAX_BATCH_SIZE // 256:
            return 0  # outside any batch the registry accepts: nothing there to be revoked
        return self._cache.get(
            ("word", issuer, root, word), lambda: int(self._call("revocationWord", issuer, root, word))
        )

    def revocation_bitmap(self, issuer: str, root: bytes | str) -> RevocationBitmap:
        """`issuer`'s `root` whole revocation bitmap in one call (at most 256 words: batches are
        bounded), for callers that look at a whole batch; one credential needs `is_revoked`."""
        issuer, root = checksum(issuer), as_bytes32(root)
        return self._cache.get(
            ("bitmap", issuer, root),
            lambda: RevocationBitmap(tuple(int(w) for w in self._call("revocationBitmap", issuer, root))),
        )

    def is_revoked(self, issuer: str, root: bytes | str, index: int) -> bool:
        """Whether leaf `index` of `issuer`'s `root` is revoked: reads only the word it sits in."""
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            return False
        word, bit = divmod(index, 256)
        return bool((self.revocation_word(issuer, root, word) >> bit) & 1)

    def revocation(self, issuer: str, root: bytes | str, index: int) -> Revocation | None:
        """When and why leaf `index` of `issuer`'s `root` was revoked, read from the registry's events."""
        issuer, root = checksum(issuer), as_bytes32(root)
        info = self.anchor(issuer, root)
        if not info.exists:
            return None
        issuer_id = self.issuer(issuer).id

        def scan() -> dict[int, Revocation]:
            found: dict[int, Revocation] = {}
            events = self.contract.events
            for event, many in ((events.CredentialRevoked, False), (events.CredentialsRevoked, True)):
                logs = call_node(
                    self.w3,
                    lambda ev=event: ev.get_logs(
                        from_block=info.block_number,
                        argument_filters={"root": root, "issuerId": issuer_id},
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

        return self._cache.get(("revocations", issuer_id, root), scan).get(index)


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
