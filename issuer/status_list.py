"""Writing W3C Bitstring Status Lists (https://www.w3.org/TR/vc-bitstring-status-list/).

The issuer keeps one bitstring per list and purpose; a credential gets a `BitstringStatusListEntry`
(`status_entry`) pointing at its position, and revoking it sets that bit. The service publishes the
list as a `BitstringStatusListCredential` (`status_list_credential`), signed with
`issuer.signing.sign`, at the list URL. Positions should be assigned at random, not in issuing order,
so that the position does not tell who a credential belongs to (the specification's advice).

Lists hold at least 131,072 entries (16 KiB), the specification's minimum for herd privacy; a
list of mostly zeros compresses to a few dozen bytes. Decoding is the verifier's
(`verifier.status_list.decode_encoded_list`), so what the issuer writes is what verifiers read.
"""

from __future__ import annotations

import base64
import gzip
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from issuer.credential_builder import OB_CONTEXT, VC_CONTEXT, IssuerProfile
from issuer.signing import xsd_datetime
from verifier.errors import InputError
from verifier.status_list import (
    MAX_DECOMPRESSED_BYTES,
    MIN_ENTRIES,
    MULTIBASE_BASE64URL,
    STATUS_LIST_CREDENTIAL_TYPE,
    STATUS_LIST_ENTRY_TYPE,
    STATUS_LIST_TYPE,
    StatusListLengthError,
    decode_encoded_list,
)

__all__ = [
    "DEFAULT_LENGTH",
    "PURPOSES",
    "StatusList",
    "status_entry",
    "status_list_credential",
]

DEFAULT_LENGTH = MIN_ENTRIES
PURPOSES = ("revocation", "suspension", "refresh")
"""The 1-bit purposes MedCred issues (the spec's fourth, `message`, needs multi-bit statuses)."""
_VC_ONLY_ISSUER_KEYS = frozenset({"id", "name", "description"})


class StatusList:
    """A mutable bitstring of `length` entries (a multiple of 8, at least 131,072), all 0 at first.

    Index 0 is the most significant bit of the first byte, as the specification orders them.
    Thread-safe: the service may revoke while another request encodes the list.
    """

    def __init__(self, length: int = DEFAULT_LENGTH) -> None:
        if isinstance(length, bool) or not isinstance(length, int):
            raise TypeError("length must be an int")
        if length < MIN_ENTRIES or length % 8:
            raise ValueError(f"A status list has a multiple of 8 entries, at least {MIN_ENTRIES:,}.")
        self._bits = bytearray(length // 8)
        self._lock = threading.Lock()

    @classmethod
    def from_bytes(cls, bitstring: bytes) -> StatusList:
        """A list over a copy of raw bitstring bytes (as stored by the service)."""
        if len(bitstring) * 8 < MIN_ENTRIES:
            raise StatusListLengthError(
                f"The status list has {len(bitstring) * 8:,} entries, "
                f"fewer than the {MIN_ENTRIES:,} required."
            )
        status_list = cls(len(bitstring) * 8)
        status_list._bits[:] = bitstring
        return status_list

    @classmethod
    def from_encoded(cls, encoded_list: str, *, max_bytes: int = MAX_DECOMPRESSED_BYTES) -> StatusList:
        """The list an `encodedList` holds. Raises the verifier's StatusListError subclasses."""
        return cls.from_bytes(decode_encoded_list(encoded_list, max_bytes=max_bytes))

    def __len__(self) -> int:
        return len(self._bits) * 8

    def _check(self, index: int) -> None:
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError("a status list index must be an int")
        if not 0 <= index < len(self):
            raise IndexError(f"status list index {index} is outside 0..{len(self) - 1}")

    def get(self, index: int) -> bool:
        """Whether bit `index` is set."""
        self._check(index)
        return bool(self._bits[index >> 3] & (0x80 >> (index & 7)))

    def set(self, index: int, value: bool = True) -> None:
        """Set bit `index` (or clear it with `value=False`)."""
        self._check(index)
        mask = 0x80 >> (index & 7)
        with self._lock:
            if value:
                self._bits[index >> 3] |= mask
            else:
                self._bits[index >> 3] &= ~mask & 0xFF

    def clear(self, index: int) -> None:
        """Clear bit `index` (e.g. lift a suspension)."""
        self.set(index, False)

    __getitem__ = get

    def __setitem__(self, index: int, value: bool) -> None:
        self.set(index, bool(value))

    def set_indices(self) -> Iterator[int]:
        """The indices of set bits, ascending."""
        snapshot = self.to_bytes()
        for byte_index, byte in enumerate(snapshot):
            if byte:
                base = byte_index * 8
                for bit in range(8):
                    if byte & (0x80 >> bit):
                        yield base + bit

    def to_bytes(self) -> bytes:
        """A copy of the raw bitstring."""
        with self._lock:
            return bytes(self._bits)

    def encode(self) -> str:
        """The `encodedList`: `u` + base64url without padding of the GZIP-compressed bitstring.

        `mtime=0` makes the output depend on the bits only (stable across calls, cacheable).
        """
        compressed = gzip.compress(self.to_bytes(), compresslevel=9, mtime=0)
        return MULTIBASE_BASE64URL + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StatusList):
            return NotImplemented
        return self.to_bytes() == other.to_bytes()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"StatusList(length={len(self)}, set={sum(1 for _ in self.set_indices())})"


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise InputError(f"The status purpose must be one of {', '.join(PURPOSES)}, not {purpose!r}.")


def _check_url(url: str, what: str) -> None:
    if not isinstance(url, str) or not url.startswith(("https://", "http://")) or "#" in url:
        raise InputError(f"The {what} must be an http(s) URL without a fragment, not {url!r}.")


def status_entry(list_url: str, index: int, purpose: str = "revocation") -> dict[str, Any]:
    """The `credentialStatus` entry for position `index` of the list published at `list_url`."""
    _check_url(list_url, "status list URL")
    _check_purpose(purpose)
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise InputError(f"A status list index is a non-negative integer, not {index!r}.")
    return {
        "id": f"{list_url}#{index}",
        "type": STATUS_LIST_ENTRY_TYPE,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def _issuer_json(issuer: IssuerProfile | Mapping[str, Any] | str) -> tuple[Any, bool]:
    """The issuer value and whether it needs the Open Badges context (for terms like `Profile`)."""
    if isinstance(issuer, str):
        if not issuer:
            raise InputError("The status list's issuer must be a DID.")
        return issuer, False
    if isinstance(issuer, IssuerProfile):
        # Only VC 2.0 terms: the list credential is a plain VC, not an Open Badge.
        return {"id": issuer.did, "name": issuer.name}, False
    if isinstance(issuer, Mapping) and isinstance(issuer.get("id"), str) and issuer["id"]:
        profile = dict(issuer)
        return profile, not set(profile) <= _VC_ONLY_ISSUER_KEYS
    raise InputError("The status list's issuer must be a DID or a profile with an id.")


def status_list_credential(
    list_id_url: str,
    issuer_profile_or_did: IssuerProfile | Mapping[str, Any] | str,
    purpose: str,
    status_list: StatusList,
    valid_from: datetime | None = None,
    *,
    valid_until: datetime | None = None,
    ttl_ms: int | None = None,
) -> dict[str, Any]:
    """The unsigned BitstringStatusListCredential publishing `status_list` at `list_id_url`.

    Sign it with `issuer.signing.sign` (the same key as the credentials it covers: verifiers
    require the list's issuer to be the credential's). `valid_from` defaults to now; `valid_until`
    and `ttl_ms` (the spec's cache hint, milliseconds) are optional.
    """
    _check_url(list_id_url, "status list URL")
    _check_purpose(purpose)
    issuer, needs_ob = _issuer_json(issuer_profile_or_did)
    moment = valid_from or datetime.now(UTC)
    subject: dict[str, Any] = {
        "id": f"{list_id_url}#list",
        "type": STATUS_LIST_TYPE,
        "statusPurpose": purpose,
        "encodedList": status_list.encode(),
    }
    if ttl_ms is not None:
        if isinstance(ttl_ms, bool) or not isinstance(ttl_ms, int) or ttl_ms < 0:
            raise InputError("The status list ttl is a non-negative number of milliseconds.")
        subject["ttl"] = ttl_ms
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT] if needs_ob else [VC_CONTEXT],
        "id": list_id_url,
        "type": ["VerifiableCredential", STATUS_LIST_CREDENTIAL_TYPE],
        "issuer": issuer,
        "validFrom": xsd_datetime(moment),
    }
    if valid_until is not None:
        credential["validUntil"] = xsd_datetime(valid_until)
    credential["credentialSubject"] = subject
    return credential
