"""State-changing calls to CredentialRegistry, one method per contract function.

Arguments are checked here before anything is signed, so that a malformed DID or an out-of-range
value is one clear sentence instead of a paid, reverted transaction.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from web3.contract import Contract

from issuer.chain.deployment import Deployment
from issuer.chain.transactions import TransactionSender, TxResult
from verifier.chain.artifact import load_artifact
from verifier.chain.registry_reader import MAX_BATCH_SIZE, as_bytes32, checksum
from verifier.errors import InputError

# did:<method>:<method-specific-id>, W3C DID Core syntax (method lowercase letters/digits).
_DID = re.compile(r"^did:[a-z0-9]+:(?:[A-Za-z0-9._%-]*:)*[A-Za-z0-9._%-]+$")
MAX_DID_BYTES = 512
MAX_NAME_BYTES = 256
UINT32_MAX = 2**32 - 1
UINT64_MAX = 2**64 - 1

# Revocation reason codes (uint8 on chain). Free-form reasons are kept by the issuer service.
REVOCATION_REASONS = {
    "unspecified": 0,
    "issued-in-error": 1,
    "superseded": 2,
    "misconduct": 3,
    "key-compromise": 4,
    "withdrawn": 5,
}


def validate_did(did: str) -> str:
    if not isinstance(did, str) or not _DID.match(did) or len(did.encode()) > MAX_DID_BYTES:
        raise InputError(
            f"{did!r} is not a valid DID (expected did:<method>:<identifier>, e.g. did:key:z6Mk...)."
        )
    return did


def validate_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InputError("The institution name must not be empty.")
    if len(name.encode()) > MAX_NAME_BYTES:
        raise InputError(f"The institution name is longer than {MAX_NAME_BYTES} bytes.")
    return name


def reason_code(reason: str | int) -> int:
    if isinstance(reason, int) and 0 <= reason <= 255:
        return reason
    if isinstance(reason, str) and reason in REVOCATION_REASONS:
        return REVOCATION_REASONS[reason]
    raise InputError(f"Unknown revocation reason {reason!r}; use one of {', '.join(REVOCATION_REASONS)}.")


def _uint(value: int, maximum: int, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= maximum:
        raise InputError(f"{what} must be an integer between 0 and {maximum}, got {value!r}.")
    return value


def deploy_registry(sender: TransactionSender, admin: str | None = None) -> Deployment:
    """Deploy a fresh registry; `admin` (default: the sender) gets the admin and registrar roles."""
    artifact = load_artifact()
    admin = checksum(admin or sender.address)
    result = sender.deploy(artifact.abi, artifact.bytecode, admin, description="Deploying the registry")
    if result.contract_address is None:
        raise InputError("The deployment transaction created no contract.")
    return Deployment(
        chain_id=int(sender.w3.eth.chain_id),
        address=checksum(result.contract_address),
        block_number=result.block_number,
        tx_hash=result.tx_hash,
        deployer=sender.address,
        deployed_at=time.time(),
    )


class RegistryWriter:
    """Transactions against one registry from one account (governor or issuer)."""

    def __init__(self, sender: TransactionSender, address: str) -> None:
        self.sender = sender
        self.address = checksum(address)
        self.contract: Contract = sender.w3.eth.contract(address=self.address, abi=load_artifact().abi)

    @property
    def f(self):
        return self.contract.functions

    # ------------------------------------------------------------------ governance

    def add_issuer(self, account: str, did: str, name: str) -> TxResult:
        account, did, name = checksum(account), validate_did(did), validate_name(name)
        return self.sender.transact(self.f.addIssuer(account, did, name), f"Registering issuer {account}")

    def suspend_issuer(self, account: str) -> TxResult:
        account = checksum(account)
        return self.sender.transact(self.f.suspendIssuer(account), f"Suspending issuer {account}")

    def reinstate_issuer(self, account: str) -> TxResult:
        account = checksum(account)
        return self.sender.transact(self.f.reinstateIssuer(account), f"Reinstating issuer {account}")

    def move_issuer(self, old: str, new: str) -> TxResult:
        """Governance: move issuer `old` (id, DID, roots, keys, revocations) to account `new`."""
        old, new = checksum(old), checksum(new)
        if old == new:
            raise InputError("The new account must differ from the old one.")
        return self.sender.transact(self.f.moveIssuer(old, new), f"Moving issuer {old} to {new}")

    def restore_key_window(
        self, issuer: str, key_id: bytes | str, valid_from: int, valid_until: int = 0
    ) -> TxResult:
        """Governance: set `issuer`'s key window back (never before the key's registration)."""
        issuer, key_id = checksum(issuer), as_bytes32(key_id)
        valid_from = _uint(valid_from, UINT64_MAX, "validFrom")
        valid_until = _uint(valid_until, UINT64_MAX, "validUntil")
        return self.sender.transact(
            self.f.restoreKeyWindow(issuer, key_id, valid_from, valid_until),
            f"Restoring the window of signing key 0x{key_id.hex()} of {issuer}",
        )

    def grant_registrar(self, account: str) -> TxResult:
        role = self.f.REGISTRAR_ROLE().call()
        account = checksum(account)
        return self.sender.transact(
            self.f.grantRole(role, account), f"Granting the registrar role to {account}"
        )

    # ------------------------------------------------------------------ issuer keys

    def register_key(self, key_id: bytes | str, valid_from: int, valid_until: int = 0) -> TxResult:
        key_id = as_bytes32(key_id)
        valid_from = _uint(valid_from, UINT64_MAX, "validFrom")
        valid_until = _uint(valid_until, UINT64_MAX, "validUntil")
        return self.sender.transact(
            self.f.registerKey(key_id, valid_from, valid_until), f"Registering signing key 0x{key_id.hex()}"
        )

    def retire_key(self, key_id: bytes | str, valid_until: int) -> TxResult:
        key_id = as_bytes32(key_id)
        valid_until = _uint(valid_until, UINT64_MAX, "validUntil")
        return self.sender.transact(
            self.f.retireKey(key_id, valid_until), f"Retiring signing key 0x{key_id.hex()}"
        )

    # ------------------------------------------------------------------ anchoring and revocation

    def anchor(self, root: bytes | str, count: int) -> TxResult:
        root = as_bytes32(root)
        count = _uint(count, MAX_BATCH_SIZE, "The batch size")
        return self.sender.transact(self.f.anchor(root, count), f"Anchoring root 0x{root.hex()}")

    def replace_anchor(self, stuck_hash: str, root: bytes | str, count: int) -> TxResult:
        """`anchor(root, count)` again in place of the stuck pending transaction `stuck_hash`
        (same nonce, higher EIP-1559 fees)."""
        root = as_bytes32(root)
        count = _uint(count, MAX_BATCH_SIZE, "The batch size")
        return self.sender.replace(stuck_hash, self.f.anchor(root, count), f"Anchoring root 0x{root.hex()}")

    def revoke(self, root: bytes | str, index: int, reason: str | int = 0) -> TxResult:
        root = as_bytes32(root)
        index = _uint(index, UINT32_MAX, "The leaf index")
        return self.sender.transact(
            self.f.revoke(root, index, reason_code(reason)), f"Revoking leaf {index} of root 0x{root.hex()}"
        )

    def revoke_batch(self, root: bytes | str, indexes: Sequence[int], reason: str | int = 0) -> TxResult:
        root = as_bytes32(root)
        checked = [_uint(i, UINT32_MAX, "The leaf index") for i in indexes]
        if not checked:
            raise InputError("Nothing to revoke: the list of leaf indexes is empty.")
        return self.sender.transact(
            self.f.revokeBatch(root, checked, reason_code(reason)),
            f"Revoking {len(checked)} credentials of root 0x{root.hex()}",
        )
