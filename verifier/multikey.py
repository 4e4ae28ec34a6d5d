"""Ed25519 keys as Multikey strings (multibase base58btc over a multicodec-prefixed key).

A `publicKeyMultibase` is `z` + base58btc(0xed 0x01 + 32-byte key): the same string is the did:key
identifier, the fragment of its verification method, and (hashed) the key's fingerprint on chain.
"""

from __future__ import annotations

import functools

import base58
from eth_utils import keccak

from verifier.errors import InputError

ED25519_PUB_PREFIX = b"\xed\x01"
"""Multicodec varint of ed25519-pub (0xed)."""
ED25519_PRIV_PREFIX = b"\x80\x26"
"""Multicodec varint of ed25519-priv (0x1300)."""
MULTIBASE_BASE58BTC = "z"


class MultikeyError(InputError):
    """A key or multibase value is malformed or of the wrong kind. `code` says which."""

    def __init__(self, message: str, code: str = "invalid_key") -> None:
        super().__init__(message)
        self.code = code


def encode_multibase(data: bytes) -> str:
    """Multibase base58btc (`z...`)."""
    return MULTIBASE_BASE58BTC + base58.b58encode(data).decode("ascii")


def decode_multibase(value: object) -> bytes:
    """Decode a multibase base58btc string; only base58btc is used by the suites MedCred supports."""
    if not isinstance(value, str) or not value:
        raise MultikeyError("A multibase value must be a non-empty string.", "invalid_multibase")
    if value[0] != MULTIBASE_BASE58BTC:
        raise MultikeyError(
            f"The multibase value starting with {value[:1]!r} is not base58btc (it must start with 'z').",
            "invalid_multibase",
        )
    try:
        return base58.b58decode(value[1:].encode("ascii"))
    except ValueError as exc:
        raise MultikeyError("The multibase value is not valid base58btc.", "invalid_multibase") from exc


def ed25519_public_key_to_multibase(raw: bytes) -> str:
    """The Multikey `publicKeyMultibase` of a raw 32-byte Ed25519 public key."""
    if len(raw) != 32:
        raise MultikeyError("An Ed25519 public key is 32 bytes long.")
    return encode_multibase(ED25519_PUB_PREFIX + raw)


def multibase_to_ed25519_public_key(public_key_multibase: object) -> bytes:
    """The raw 32-byte Ed25519 key in a Multikey `publicKeyMultibase`; refuses other key types."""
    data = decode_multibase(public_key_multibase)
    if data[:2] != ED25519_PUB_PREFIX:
        raise MultikeyError(
            "The key is not an Ed25519 public key (its multicodec prefix is "
            f"0x{data[:2].hex()}, expected 0xed01).",
            "wrong_key_type",
        )
    if len(data) != 34:
        raise MultikeyError("An Ed25519 Multikey holds exactly 32 key bytes.")
    return data[2:]


def ed25519_secret_key_to_multibase(seed: bytes) -> str:
    """The Multikey `secretKeyMultibase` of a 32-byte Ed25519 seed."""
    if len(seed) != 32:
        raise MultikeyError("An Ed25519 secret key seed is 32 bytes long.")
    return encode_multibase(ED25519_PRIV_PREFIX + seed)


def multibase_to_ed25519_secret_key(secret_key_multibase: object) -> bytes:
    """The 32-byte seed of a `secretKeyMultibase` (accepts seed, or seed + public key: 64 bytes)."""
    data = decode_multibase(secret_key_multibase)
    if data[:2] != ED25519_PRIV_PREFIX:
        raise MultikeyError("The key is not an Ed25519 secret key.", "wrong_key_type")
    if len(data) not in (34, 66):
        raise MultikeyError("An Ed25519 secret Multikey holds a 32-byte seed (or seed and public key).")
    return data[2:34]


@functools.lru_cache(maxsize=4096)
def key_fingerprint(public_key_multibase: str) -> bytes:
    """The key id registered on chain: keccak256 of the UTF-8 `publicKeyMultibase` (bytes32)."""
    return keccak(public_key_multibase.encode("utf-8"))
