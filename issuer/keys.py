"""Issuer signing keys: Ed25519 key pairs, their Multikey encodings, and the DID documents naming them.

An institution's DID is `did:key` by default (the DID *is* the public key, nothing to host) or
`did:web` (a DID document the institution hosts at its domain, which allows key rotation without
changing the DID). Either way the key appears as a Multikey verification method listed under
`assertionMethod`, which is what a verifier requires of a credential-signing key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from verifier.did import DID_CONTEXT, MULTIKEY_CONTEXT, did_key_document, did_web_url
from verifier.multikey import (
    ed25519_public_key_to_multibase,
    ed25519_secret_key_to_multibase,
    key_fingerprint,
    multibase_to_ed25519_secret_key,
)

__all__ = [
    "Ed25519KeyPair",
    "did_key_document",
    "did_key_for",
    "did_key_verification_method",
    "did_web_document",
    "did_web_for",
    "did_web_url",
]


@dataclass(frozen=True)
class Ed25519KeyPair:
    """An Ed25519 key pair held as its 32-byte seed (the private key) and 32-byte public key."""

    seed: bytes = field(repr=False)
    public_key: bytes

    @classmethod
    def generate(cls) -> Ed25519KeyPair:
        """A fresh random key pair (OS randomness via OpenSSL)."""
        return cls.from_seed(Ed25519PrivateKey.generate().private_bytes_raw())

    @classmethod
    def from_seed(cls, seed: bytes) -> Ed25519KeyPair:
        """The key pair of a 32-byte seed."""
        private = Ed25519PrivateKey.from_private_bytes(seed)
        public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return cls(seed=bytes(seed), public_key=public)

    @classmethod
    def from_secret_multibase(cls, secret_key_multibase: str) -> Ed25519KeyPair:
        """The key pair of a Multikey `secretKeyMultibase`."""
        return cls.from_seed(multibase_to_ed25519_secret_key(secret_key_multibase))

    @property
    def public_key_multibase(self) -> str:
        """The Multikey `publicKeyMultibase` (`z6Mk...`)."""
        return ed25519_public_key_to_multibase(self.public_key)

    @property
    def secret_key_multibase(self) -> str:
        """The Multikey `secretKeyMultibase` of the seed (store encrypted)."""
        return ed25519_secret_key_to_multibase(self.seed)

    @property
    def fingerprint(self) -> bytes:
        """The on-chain key id: keccak256 of the `publicKeyMultibase`."""
        return key_fingerprint(self.public_key_multibase)

    def sign(self, data: bytes) -> bytes:
        """A 64-byte Ed25519 signature."""
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(data)


def did_key_for(public_key_multibase: str) -> str:
    """The did:key of an Ed25519 Multikey."""
    return "did:key:" + public_key_multibase


def did_key_verification_method(public_key_multibase: str) -> str:
    """The verification method id of a did:key (`did:key:z...#z...`)."""
    return f"{did_key_for(public_key_multibase)}#{public_key_multibase}"


def did_web_for(domain: str, path: Sequence[str] = ()) -> str:
    """The did:web for a domain (port as `host%3Aport`) and optional path segments."""
    host = domain.strip().lower().replace(":", "%3A")
    did = ":".join(["did:web", host, *path])
    did_web_url(did)  # validates
    return did


def did_web_document(did: str, keys: Sequence[tuple[str, str]]) -> dict:
    """A did:web DID document listing `keys` = [(fragment, publicKeyMultibase), ...] as Multikeys.

    Every key is an `assertionMethod` (may sign credentials) and `authentication` method. Retired
    keys stay listed so old credentials keep verifying; the registry records their validity windows.
    """
    did_web_url(did)
    methods = [
        {"id": f"{did}#{fragment}", "type": "Multikey", "controller": did, "publicKeyMultibase": key}
        for fragment, key in keys
    ]
    ids = [m["id"] for m in methods]
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": methods,
        "authentication": ids,
        "assertionMethod": ids,
    }
