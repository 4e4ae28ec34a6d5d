"""Reading W3C Bitstring Status Lists (https://www.w3.org/TR/vc-bitstring-status-list/).

A credential's `credentialStatus` is a `BitstringStatusListEntry` naming a status list credential
(by URL) and a position in it. The list credential's subject carries `encodedList`: the bitstring,
GZIP-compressed, then multibase base64url without padding (a `u` prefix). Bit 0 is the left-most
(most significant) bit of the first byte. A set bit means the purpose applies: revoked, suspended...

This module decodes, checks and reads lists; it never trusts them by itself. **The caller must
verify the list credential before believing a bit**: `verifier.data_integrity.verify_proofs(list)`
must pass, and the list's issuer (`data_integrity.issuer_id`) must be the credential's issuer,
otherwise anyone able to serve a document at the list URL could "un-revoke" a credential. The
caller should also check the list's own validity period.

Every failure raises a `StatusListError` whose `code` is a machine reason and whose `spec_error`
is the error type the specification names (MALFORMED_VALUE_ERROR, RANGE_ERROR, ...). Errors caused
by a malformed document are also `InputError`s; an unreachable list is not the user's input.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from verifier import jsonsafe
from verifier.errors import InputError, MedCredError
from verifier.fetch import Fetcher, FetchError, FetchPolicy, default_fetcher
from verifier.vc_jwt import DecodedJwt, VcJwtError, looks_like_jwt
from verifier.vc_jwt import decode as decode_jwt

__all__ = [
    "DEFAULT_FETCH_MAX_BYTES",
    "MAX_DECOMPRESSED_BYTES",
    "MIN_ENTRIES",
    "MULTIBASE_BASE64URL",
    "STATUS_LIST_CREDENTIAL_TYPE",
    "STATUS_LIST_ENTRY_TYPE",
    "STATUS_LIST_TYPE",
    "DecodedStatusList",
    "EncodedListError",
    "StatusEntryError",
    "StatusListError",
    "StatusListFormatError",
    "StatusListLengthError",
    "StatusListMismatchError",
    "StatusListRangeError",
    "StatusListTooLargeError",
    "StatusListUnreachableError",
    "decode_encoded_list",
    "fetch_status_list",
    "parse_status_list_body",
    "parse_status_list_credential",
    "status_bit",
    "status_entries",
    "status_value",
]

STATUS_LIST_ENTRY_TYPE = "BitstringStatusListEntry"
STATUS_LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
STATUS_LIST_TYPE = "BitstringStatusList"
MULTIBASE_BASE64URL = "u"
MIN_ENTRIES = 131_072
"""The specification's minimum list length (16 KiB of bits): smaller lists betray who is checked."""
MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024
"""Decompression cap: a larger bitstring is refused as a likely decompression bomb."""
DEFAULT_FETCH_MAX_BYTES = 4 * 1024 * 1024
"""Cap on a fetched list credential (a 131,072-entry list of random bits is about 22 KB)."""
MAX_STATUS_SIZE = 32

_GZIP_MAGIC = b"\x1f\x8b"
_DECIMAL = re.compile(r"^[0-9]{1,20}$")
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]*={0,2}$")


class StatusListError(MedCredError):
    """A status check could not be completed. `code`: machine reason; `spec_error`: the spec's error type."""

    default_code = "status_list_error"
    spec_error = "STATUS_VERIFICATION_ERROR"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code or self.default_code


class StatusEntryError(StatusListError, InputError):
    """The credential's `credentialStatus` entry is malformed."""

    default_code = "status_entry_invalid"
    spec_error = "MALFORMED_VALUE_ERROR"


class StatusListFormatError(StatusListError, InputError):
    """The status list credential is not a well-formed BitstringStatusListCredential."""

    default_code = "status_list_malformed"
    spec_error = "MALFORMED_VALUE_ERROR"


class EncodedListError(StatusListFormatError):
    """`encodedList` is not multibase base64url over GZIP data."""

    default_code = "encoded_list_invalid"


class StatusListTooLargeError(StatusListFormatError):
    """The list (decompressed, or as downloaded) exceeds the size cap: refused, possibly a bomb."""

    default_code = "status_list_too_large"


class StatusListMismatchError(StatusListError, InputError):
    """The entry does not belong to this list (other URL, other purpose)."""

    default_code = "status_list_mismatch"
    spec_error = "STATUS_VERIFICATION_ERROR"


class StatusListRangeError(StatusListError, InputError):
    """The entry's index lies outside the list."""

    default_code = "status_index_out_of_range"
    spec_error = "RANGE_ERROR"


class StatusListLengthError(StatusListError, InputError):
    """The list is shorter than the specification's minimum (131,072 entries)."""

    default_code = "status_list_too_short"
    spec_error = "STATUS_LIST_LENGTH_ERROR"


class StatusListUnreachableError(StatusListError):
    """The list could not be retrieved (network error, timeout, HTTP error status)."""

    default_code = "status_list_unreachable"
    spec_error = "STATUS_RETRIEVAL_ERROR"


@dataclass(frozen=True)
class DecodedStatusList:
    """A parsed (not verified) BitstringStatusListCredential with its bitstring decompressed."""

    id: str
    purposes: tuple[str, ...]
    bitstring: bytes
    issuer: str | None = None

    @property
    def length(self) -> int:
        """The number of bits."""
        return len(self.bitstring) * 8

    def value(self, index: int, size: int = 1) -> int:
        """The `size`-bit status at position `index` (bits `index*size` .. `index*size+size-1`, MSB first)."""
        if index < 0 or size < 1:
            raise StatusListRangeError(f"Status position {index} of size {size} is invalid.")
        start = index * size
        if start + size > self.length:
            raise StatusListRangeError(
                f"Status list index {index} is outside the list, which has {self.length // size:,} entries."
            )
        result = 0
        for position in range(start, start + size):
            bit = (self.bitstring[position >> 3] >> (7 - (position & 7))) & 1
            result = (result << 1) | bit
        return result


def _types(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return value
    return []


def decode_encoded_list(encoded_list: Any, *, max_bytes: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """The bitstring of an `encodedList`: multibase base64url (`u`, no padding) over GZIP data.

    Raises EncodedListError (codes `encoded_list_multibase`, `encoded_list_base64`,
    `encoded_list_not_gzip`, `encoded_list_corrupt`) or StatusListTooLargeError when the
    decompressed bitstring would exceed `max_bytes`.
    """
    if not isinstance(encoded_list, str) or not encoded_list:
        raise EncodedListError("The status list's encodedList must be a non-empty string.")
    # Base64 is 4/3 of the data; the compressed data can't usefully exceed the decompressed cap.
    if len(encoded_list) > max_bytes * 4 // 3 + 64:
        raise StatusListTooLargeError("The status list's encodedList is too large.")
    if encoded_list[0] != MULTIBASE_BASE64URL:
        hint = ""
        if encoded_list.startswith("H4sI"):
            hint = " (it looks like base64 GZIP without the prefix, the older StatusList2021 form)"
        raise EncodedListError(
            f"The status list's encodedList must be multibase base64url, starting with 'u'{hint}.",
            "encoded_list_multibase",
        )
    body = encoded_list[1:]
    if not _BASE64URL.match(body):
        raise EncodedListError(
            "The status list's encodedList is not valid base64url.",
            "encoded_list_base64",
        )
    body = body.rstrip("=")
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise EncodedListError(
            "The status list's encodedList is not valid base64url.", "encoded_list_base64"
        ) from exc
    return _gunzip(compressed, max_bytes)


def _gunzip(compressed: bytes, max_bytes: int) -> bytes:
    if not compressed.startswith(_GZIP_MAGIC):
        raise EncodedListError(
            "The status list's encodedList is not GZIP-compressed.", "encoded_list_not_gzip"
        )
    output = bytearray()
    data = compressed
    # A GZIP file may hold several members; decompress each, never past the cap.
    while data:
        decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            # max_length bounds the output: a bomb stops at the cap, its input left unconsumed.
            output += decompressor.decompress(data, max_bytes + 1 - len(output))
        except zlib.error as exc:
            raise EncodedListError("The status list's GZIP data is corrupt.", "encoded_list_corrupt") from exc
        if len(output) > max_bytes:
            raise StatusListTooLargeError(
                f"The status list decompresses to more than {max_bytes:,} bytes; refused.",
            )
        if not decompressor.eof:
            raise EncodedListError("The status list's GZIP data is truncated.", "encoded_list_corrupt")
        data = decompressor.unused_data
        if data and not data.startswith(_GZIP_MAGIC):
            raise EncodedListError(
                "The status list's GZIP data has trailing garbage.", "encoded_list_corrupt"
            )
    if not output:
        raise EncodedListError("The status list's bitstring is empty.", "encoded_list_corrupt")
    return bytes(output)


def parse_status_list_credential(
    credential: Any, *, max_bytes: int = MAX_DECOMPRESSED_BYTES
) -> DecodedStatusList:
    """Check the shape of a BitstringStatusListCredential and decode its list (no proof check)."""
    if not isinstance(credential, Mapping):
        raise StatusListFormatError("The status list credential must be a JSON object.")
    if STATUS_LIST_CREDENTIAL_TYPE not in _types(credential.get("type")):
        raise StatusListFormatError(
            f"The status list credential's type must include {STATUS_LIST_CREDENTIAL_TYPE}."
        )
    list_id = credential.get("id")
    if not isinstance(list_id, str) or not list_id:
        raise StatusListFormatError("The status list credential has no id.")
    subject = credential.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    if not isinstance(subject, Mapping):
        raise StatusListFormatError("The status list credential must have one credentialSubject object.")
    if STATUS_LIST_TYPE not in _types(subject.get("type")):
        raise StatusListFormatError(f"The status list credential's subject must be a {STATUS_LIST_TYPE}.")
    purposes = subject.get("statusPurpose")
    purpose_list = [purposes] if isinstance(purposes, str) else purposes
    if (
        not isinstance(purpose_list, list)
        or not purpose_list
        or not all(isinstance(p, str) and p for p in purpose_list)
    ):
        raise StatusListFormatError("The status list's statusPurpose must be one or more strings.")
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    return DecodedStatusList(
        id=list_id,
        purposes=tuple(purpose_list),
        bitstring=decode_encoded_list(subject.get("encodedList"), max_bytes=max_bytes),
        issuer=issuer if isinstance(issuer, str) else None,
    )


@dataclass(frozen=True)
class _Entry:
    purpose: str
    index: int
    list_url: str
    size: int


def _parse_entry(entry: Any) -> _Entry:
    if not isinstance(entry, Mapping):
        raise StatusEntryError("The credential's status entry must be a JSON object.")
    if STATUS_LIST_ENTRY_TYPE not in _types(entry.get("type")):
        raise StatusEntryError(f"The credential's status entry is not a {STATUS_LIST_ENTRY_TYPE}.")
    purpose = entry.get("statusPurpose")
    if not isinstance(purpose, str) or not purpose:
        raise StatusEntryError("The credential's status entry has no statusPurpose.")
    index = entry.get("statusListIndex")
    if not isinstance(index, str) or not _DECIMAL.match(index):
        raise StatusEntryError(
            "The credential's statusListIndex must be a non-negative integer written as a decimal string."
        )
    list_url = entry.get("statusListCredential")
    if not isinstance(list_url, str) or not list_url:
        raise StatusEntryError("The credential's status entry has no statusListCredential URL.")
    size = entry.get("statusSize", 1)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_STATUS_SIZE:
        raise StatusEntryError(f"The credential's statusSize must be an integer from 1 to {MAX_STATUS_SIZE}.")
    return _Entry(purpose, int(index), list_url, size)


def status_entries(credential: Mapping[str, Any], purpose: str | None = None) -> list[dict[str, Any]]:
    """The BitstringStatusListEntry objects of a credential's `credentialStatus` (optionally of one purpose).

    Other status types are skipped; an absent `credentialStatus` gives [].
    """
    status = credential.get("credentialStatus") if isinstance(credential, Mapping) else None
    items = status if isinstance(status, list) else [status] if status is not None else []
    return [
        dict(item)
        for item in items
        if isinstance(item, Mapping)
        and STATUS_LIST_ENTRY_TYPE in _types(item.get("type"))
        and (purpose is None or item.get("statusPurpose") == purpose)
    ]


def status_value(
    credential_status_entry: Any,
    status_list_credential: Mapping[str, Any] | DecodedStatusList,
    *,
    minimum_entries: int = MIN_ENTRIES,
) -> int:
    """The status value (0 .. 2**statusSize - 1) an entry points at in a list.

    `status_list_credential` is the list credential (a dict, parsed here) or a DecodedStatusList
    (parse once, read many: a batch). The list must already be verified by the caller (see the
    module docstring). Checks: the entry's shape, its statusListCredential is the list's id, its
    purpose is one of the list's, the list has at least `minimum_entries` entries and the index is
    inside it.
    """
    entry = _parse_entry(credential_status_entry)
    decoded = (
        status_list_credential
        if isinstance(status_list_credential, DecodedStatusList)
        else parse_status_list_credential(status_list_credential)
    )
    if entry.list_url != decoded.id:
        raise StatusListMismatchError(
            f"The status entry points at {entry.list_url!r} but the list provided is {decoded.id!r}.",
            "status_list_id_mismatch",
        )
    if entry.purpose not in decoded.purposes:
        raise StatusListMismatchError(
            f"The status entry's purpose {entry.purpose!r} is not the list's "
            f"({', '.join(repr(p) for p in decoded.purposes)}).",
            "status_purpose_mismatch",
        )
    entries = decoded.length // entry.size
    if entries < minimum_entries:
        raise StatusListLengthError(
            f"The status list has {entries:,} entries, fewer than the {minimum_entries:,} the "
            "specification requires for privacy."
        )
    return decoded.value(entry.index, entry.size)


def status_bit(
    credential_status_entry: Any,
    status_list_credential: Mapping[str, Any] | DecodedStatusList,
    *,
    minimum_entries: int = MIN_ENTRIES,
) -> bool:
    """Whether the entry's bit is set in the list: True means the purpose applies (e.g. revoked).

    As `status_value`, for 1-bit entries (the revocation and suspension purposes); an entry with a
    larger statusSize raises StatusEntryError (use `status_value` and its statusMessage).
    """
    entry = _parse_entry(credential_status_entry)
    if entry.size != 1:
        raise StatusEntryError(
            f"The status entry uses {entry.size}-bit statuses, which are messages, not a yes/no status.",
            "status_size_unsupported",
        )
    return status_value(credential_status_entry, status_list_credential, minimum_entries=minimum_entries) == 1


def fetch_status_list(
    url: str,
    timeout: float = 10.0,
    max_bytes: int = DEFAULT_FETCH_MAX_BYTES,
    *,
    fetcher: Fetcher | None = None,
) -> dict[str, Any] | DecodedJwt:
    """GET a status list credential over HTTP(S) through the hardened fetcher; parsed, NOT verified:
    the JSON credential, or a `DecodedJwt` when the list is served as a VC-JWT.

    `fetcher` is the configured one (`VerifierConfig.fetcher()`); without it, a shared fetcher with
    `timeout` (total, seconds) and no allowed private origins. The caller must verify the list
    (`data_integrity.verify_proofs`), check that its issuer is the credential's issuer, then read
    bits with `status_bit`. Raises StatusListUnreachableError for any network failure, refused
    address, deadline or HTTP error status; StatusListTooLargeError past `max_bytes` (checked while
    downloading); StatusListFormatError when the body is not a JSON object; and StatusEntryError
    when `url` is not an http(s) URL.
    """
    if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url, re.IGNORECASE):
        raise StatusEntryError(f"The status list address {str(url)[:200]!r} is not an http(s) URL.")
    fetcher = fetcher or default_fetcher(FetchPolicy(timeout=timeout, max_bytes=max_bytes))
    accept = (
        "application/vc+ld+json, application/ld+json;q=0.9, application/json;q=0.8, "
        "application/vc+jwt;q=0.7, application/jwt;q=0.6"
    )
    try:
        body = fetcher.get(url, accept=accept)
    except FetchError as exc:
        if exc.code == "fetch_too_large":
            raise StatusListTooLargeError(f"The status list is too large: {exc}") from None
        if exc.code == "fetch_url_invalid":
            raise StatusEntryError(f"The status list address cannot be used: {exc}") from None
        raise StatusListUnreachableError(f"The status list could not be retrieved: {exc}") from None
    if len(body) > max_bytes:
        raise StatusListTooLargeError(f"The status list is larger than {max_bytes:,} bytes; refused.")
    return parse_status_list_body(body)


def parse_status_list_body(body: bytes) -> dict[str, Any] | DecodedJwt:
    """A fetched status list: the JSON credential (Data Integrity), or a VC-JWT, decoded, NOT
    verified (the caller verifies either form). StatusListFormatError when it is neither."""
    text = body.decode("utf-8", errors="replace")
    if looks_like_jwt(text):
        try:
            return decode_jwt(text)
        except VcJwtError as exc:
            raise StatusListFormatError(f"The status list is a JWT that cannot be read: {exc}") from exc
    try:
        document = jsonsafe.loads(body)
    except (ValueError, RecursionError):
        raise StatusListFormatError("The status list is not JSON.") from None
    if not isinstance(document, dict):
        raise StatusListFormatError("The status list is not a JSON object.")
    return document
