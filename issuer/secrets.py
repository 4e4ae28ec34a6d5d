"""Secrets at rest: private keys encrypted under the master key, API tokens stored as hashes.

Private keys (each institution's Ed25519 signing key and Ethereum account key) are sealed with
AES-256-GCM under a key derived (HKDF-SHA256) from the master key. Each sealed value carries a
random nonce and is bound to a purpose string (the associated data, e.g.
`institution:demo:ed25519`), so a ciphertext copied into another row or column does not decrypt.

The master key comes from `MEDCRED_MASTER_KEY`, or from the file `MEDCRED_MASTER_KEY_FILE` (best
outside the data folder), or from `<data_dir>/master.key`, created on first use with mode 0600
(issuer.key_placement chooses). A key file readable by group or others is refused rather than silently used:
whoever can read it can read every institution's keys.

API tokens are random (`secrets.token_urlsafe`), shown once, and only their SHA-256 is stored: a
leaked database does not leak usable tokens, and a lookup by hash needs no constant-time compare.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from issuer.config import ConfigError
from issuer.data_folder import private_dir
from verifier.errors import MedCredError

SEALED_PREFIX = "v1:"
TOKEN_PREFIX = "mct_"  # noqa: S105 - a marker that makes leaked tokens greppable, not a secret
MASTER_KEY_BYTES = 32
_NONCE_BYTES = 12


class SecretError(MedCredError):
    """A sealed secret could not be opened (wrong master key, or the value was tampered with)."""


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_master_key() -> str:
    """A fresh master key in the text form `MEDCRED_MASTER_KEY` and the key file hold."""
    return _b64e(secrets.token_bytes(MASTER_KEY_BYTES))


def parse_master_key(text: str, where: str) -> bytes:
    try:
        key = _b64d(text.strip())
    except (ValueError, TypeError):
        raise ConfigError(f"{where} is not base64url text.") from None
    if len(key) != MASTER_KEY_BYTES:
        raise ConfigError(f"{where} must hold {MASTER_KEY_BYTES} bytes (base64url), got {len(key)}.")
    return key


def load_or_create_key_file(path: Path) -> bytes:
    """Read the master key file, creating it (0600, atomically) if it does not exist yet."""
    path = Path(path)
    if not path.exists():
        private_dir(path.parent)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, (generate_master_key() + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # fails if another process created the file meanwhile: keep theirs
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"The master key file {path} is readable by other users (mode {mode:o}); "
            f"run `chmod 600 {path}` if that was not intended to be shared, then retry."
        )
    return parse_master_key(path.read_text(encoding="ascii"), f"The master key file {path}")


class SecretBox:
    """Seals and opens private keys under one master key."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != MASTER_KEY_BYTES:
            raise ConfigError(f"The master key must be {MASTER_KEY_BYTES} bytes.")
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"medcred secrets at rest v1"
        ).derive(master_key)
        self._aead = AESGCM(derived)
        self._fingerprint_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"medcred fingerprints v1"
        ).derive(master_key)

    @classmethod
    def from_config(cls, master_key_text: str | None, key_file: Path) -> SecretBox:
        if master_key_text:
            return cls(parse_master_key(master_key_text, "MEDCRED_MASTER_KEY"))
        return cls(load_or_create_key_file(key_file))

    def fingerprint(self, value: str, purpose: str) -> str:
        """HMAC-SHA256 (hex) of `value` under a key derived from the master key.

        Finds equal values (e.g. the same recipient issued the same award twice) without storing
        them: unlike a plain hash, it cannot be reversed by hashing guessed e-mail addresses
        without the master key. `purpose` separates uses.
        """
        message = purpose.encode("utf-8") + b"\0" + value.encode("utf-8")
        return hmac.new(self._fingerprint_key, message, hashlib.sha256).hexdigest()

    def seal(self, plaintext: str, purpose: str) -> str:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), purpose.encode("utf-8"))
        return SEALED_PREFIX + _b64e(nonce + sealed)

    def open(self, sealed: str, purpose: str) -> str:
        if not sealed.startswith(SEALED_PREFIX):
            raise SecretError(f"The stored secret for {purpose} is not in a known format.")
        raw = _b64d(sealed[len(SEALED_PREFIX) :])
        try:
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], purpose.encode("utf-8"))
        except InvalidTag:
            raise SecretError(
                f"The stored secret for {purpose} cannot be decrypted: the master key is not the one it "
                "was encrypted with (check MEDCRED_MASTER_KEY, MEDCRED_MASTER_KEY_FILE or the data folder's "
                "master.key)."
            ) from None
        return plain.decode("utf-8")


def new_api_token() -> str:
    """A fresh API token (shown to the user once, never stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database stores and looks tokens up by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
