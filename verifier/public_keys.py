"""Public keys of DID verification methods, in every form issuers publish them.

- `publicKeyMultibase` (W3C Multikey, and Ed25519VerificationKey2020): multibase base58btc over a
  multicodec-prefixed key: Ed25519 (0xed01, 32 bytes) or P-256 (0x1200, 33-byte compressed point).
- `publicKeyJwk` (JsonWebKey2020 / JsonWebKey, RFC 7517): OKP Ed25519 (RFC 8037) or EC P-256.

`PublicKey` verifies raw signatures: Ed25519's 64 bytes, ECDSA P-256 as JOSE writes it (r || s,
64 bytes). It also gives the key as a JWK for the JOSE library, and, for Ed25519, as the Multikey
string that MedCred's registry fingerprints (so a key published as a JWK is the same key on chain).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from verifier.multikey import (
    ED25519_PUB_PREFIX,
    MultikeyError,
    decode_multibase,
    ed25519_public_key_to_multibase,
)

ED25519 = "Ed25519"
P256 = "P-256"
P256_PUB_PREFIX = b"\x80\x24"
"""Multicodec varint of p256-pub (0x1200)."""


@dataclass(frozen=True)
class PublicKey:
    """A public key: `algorithm` is "Ed25519" or "P-256"; `raw` is the 32-byte Ed25519 key or the
    65-byte uncompressed P-256 point (0x04 || x || y)."""

    algorithm: str
    raw: bytes

    @property
    def ed25519(self) -> bytes:
        """The raw 32-byte Ed25519 key; MultikeyError `wrong_key_type` for a P-256 key."""
        if self.algorithm != ED25519:
            raise MultikeyError(f"The key is a {self.algorithm} key, not an Ed25519 key.", "wrong_key_type")
        return self.raw

    @property
    def multibase(self) -> str | None:
        """The Ed25519 Multikey string (what the registry fingerprints); None for P-256."""
        return ed25519_public_key_to_multibase(self.raw) if self.algorithm == ED25519 else None

    @property
    def jwk(self) -> dict[str, str]:
        """The public key as a JWK (RFC 7517 / RFC 8037)."""
        if self.algorithm == ED25519:
            return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(self.raw)}
        return {"kty": "EC", "crv": "P-256", "x": _b64url(self.raw[1:33]), "y": _b64url(self.raw[33:])}

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Whether `signature` signs `data`: Ed25519, or ECDSA P-256 with SHA-256 as r || s."""
        try:
            if self.algorithm == ED25519:
                Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, data)
            else:
                if len(signature) != 64:
                    return False
                der = encode_dss_signature(
                    int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
                )
                key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), self.raw)
                key.verify(der, data, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            return False
        return True


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or not value or "=" in value:
        raise MultikeyError(f"The JWK's {what} must be unpadded base64url.", "invalid_key")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MultikeyError(f"The JWK's {what} is not base64url.", "invalid_key") from exc


def _p256_point(encoded: bytes) -> bytes:
    """The uncompressed form of a P-256 point (checks it lies on the curve)."""
    try:
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), encoded)
    except ValueError as exc:
        raise MultikeyError("The P-256 key is not a point on the curve.", "invalid_key") from exc
    return key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def key_from_multibase(value: Any) -> PublicKey:
    """The key in a `publicKeyMultibase` (Ed25519 or P-256 Multikey); MultikeyError otherwise."""
    data = decode_multibase(value)
    if data[:2] == ED25519_PUB_PREFIX:
        if len(data) != 34:
            raise MultikeyError("An Ed25519 Multikey holds exactly 32 key bytes.")
        return PublicKey(ED25519, data[2:])
    if data[:2] == P256_PUB_PREFIX:
        if len(data) != 35:
            raise MultikeyError("A P-256 Multikey holds a 33-byte compressed point.")
        return PublicKey(P256, _p256_point(data[2:]))
    raise MultikeyError(
        f"The key's multicodec prefix 0x{data[:2].hex()} is neither Ed25519 (0xed01) nor P-256 (0x8024).",
        "wrong_key_type",
    )


def key_from_jwk(jwk: Any) -> PublicKey:
    """The key in a `publicKeyJwk`: OKP/Ed25519 or EC/P-256. Refuses private keys (`d`): a DID
    document that publishes one is broken, and its key cannot be trusted."""
    if not isinstance(jwk, Mapping):
        raise MultikeyError("publicKeyJwk must be a JSON object.", "invalid_key")
    if "d" in jwk:
        raise MultikeyError("publicKeyJwk holds a private key (d); refused.", "invalid_key")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "OKP" and crv == "Ed25519":
        raw = _b64url_decode(jwk.get("x"), "x")
        if len(raw) != 32:
            raise MultikeyError("An Ed25519 JWK's x holds exactly 32 bytes.", "invalid_key")
        return PublicKey(ED25519, raw)
    if kty == "EC" and crv == "P-256":
        x, y = _b64url_decode(jwk.get("x"), "x"), _b64url_decode(jwk.get("y"), "y")
        if len(x) != 32 or len(y) != 32:
            raise MultikeyError("A P-256 JWK's x and y hold 32 bytes each.", "invalid_key")
        return PublicKey(P256, _p256_point(b"\x04" + x + y))
    raise MultikeyError(
        f"The JWK is of type {kty!r} / {crv!r}; only OKP Ed25519 and EC P-256 are supported.",
        "wrong_key_type",
    )


def key_of_method(method: Mapping[str, Any]) -> PublicKey:
    """The public key of a verification method object (publicKeyMultibase or publicKeyJwk)."""
    if "publicKeyMultibase" in method:
        return key_from_multibase(method["publicKeyMultibase"])
    if "publicKeyJwk" in method:
        return key_from_jwk(method["publicKeyJwk"])
    raise MultikeyError("The verification method has neither publicKeyMultibase nor publicKeyJwk.")
