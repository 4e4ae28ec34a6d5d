"""Bitstring Status List: the issuer's writer against the verifier's reader and the spec's encoding."""

from __future__ import annotations

import base64
import gzip
import zlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from issuer.credential_builder import IssuerProfile, Recipient, build_credential
from issuer.keys import Ed25519KeyPair, did_key_for, did_key_verification_method
from issuer.signing import sign
from issuer.status_list import DEFAULT_LENGTH, StatusList, status_entry, status_list_credential
from issuer.templates import load_template
from verifier.canonicalize import expand_safe
from verifier.data_integrity import issuer_id, verify_proofs
from verifier.errors import InputError
from verifier.status_list import (
    MIN_ENTRIES,
    DecodedStatusList,
    EncodedListError,
    StatusEntryError,
    StatusListError,
    StatusListFormatError,
    StatusListLengthError,
    StatusListMismatchError,
    StatusListRangeError,
    StatusListTooLargeError,
    decode_encoded_list,
    parse_status_list_credential,
    status_bit,
    status_entries,
    status_value,
)

LIST_URL = "https://issuer.example.org/status-lists/1"
KEY = Ed25519KeyPair.from_seed(bytes(range(32)))
DID = did_key_for(KEY.public_key_multibase)
VM = did_key_verification_method(KEY.public_key_multibase)
WHEN = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)


def _multibase(raw: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _raw_bits(encoded: str) -> bytes:
    """Decode independently of the code under test: base64url without padding, then gzip."""
    assert encoded.startswith("u")
    body = encoded[1:]
    assert "=" not in body and "+" not in body and "/" not in body
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _list_credential(status_list: StatusList, purpose: str = "revocation", url: str = LIST_URL) -> dict:
    return status_list_credential(
        url, IssuerProfile(DID, "St Elsewhere Hospital"), purpose, status_list, WHEN
    )


# --- the bitstring -----------------------------------------------------------------------------


def test_default_length_is_the_spec_minimum() -> None:
    status_list = StatusList()
    assert len(status_list) == DEFAULT_LENGTH == MIN_ENTRIES == 131_072
    assert len(_raw_bits(status_list.encode())) == 16 * 1024
    assert not any(status_list.get(i) for i in (0, 1, 131_071))


@pytest.mark.parametrize("length", [0, 8, 131_064, 131_073])
def test_too_short_or_not_whole_bytes_is_refused(length: int) -> None:
    with pytest.raises(ValueError, match="131,072"):
        StatusList(length)


def test_index_zero_is_the_most_significant_bit_of_the_first_byte() -> None:
    status_list = StatusList()
    status_list.set(0)
    raw = _raw_bits(status_list.encode())
    assert raw[0] == 0x80
    assert raw[1:] == bytes(len(raw) - 1)
    status_list.set(7)
    status_list.set(8)
    status_list.set(131_071)
    raw = _raw_bits(status_list.encode())
    assert raw[:2] == b"\x81\x80"
    assert raw[-1] == 0x01


def test_set_clear_get_and_bounds() -> None:
    status_list = StatusList(MIN_ENTRIES * 2)
    status_list.set(42)
    status_list[43] = True
    assert status_list.get(42) and status_list[43] and not status_list.get(41)
    status_list.clear(42)
    status_list.set(43, False)
    assert list(status_list.set_indices()) == []
    for bad in (-1, MIN_ENTRIES * 2):
        with pytest.raises(IndexError):
            status_list.set(bad)
    with pytest.raises(TypeError):
        status_list.get("3")  # type: ignore[arg-type]


def test_encoding_is_deterministic_and_small() -> None:
    status_list = StatusList()
    status_list.set(12345)
    assert status_list.encode() == status_list.encode()
    assert len(status_list.encode()) < 200


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=DEFAULT_LENGTH - 1), max_size=300))
def test_round_trip_random_index_sets(indices: set[int]) -> None:
    status_list = StatusList()
    for index in indices:
        status_list.set(index)
    encoded = status_list.encode()

    again = StatusList.from_encoded(encoded)
    assert again == status_list
    assert list(again.set_indices()) == sorted(indices)

    decoded = DecodedStatusList(LIST_URL, ("revocation",), decode_encoded_list(encoded))
    raw = _raw_bits(encoded)
    for index in [*list(indices)[:20], 0, 1, 65536, DEFAULT_LENGTH - 1]:
        expected = index in indices
        assert decoded.value(index) == int(expected)
        assert bool(raw[index // 8] & (1 << (7 - index % 8))) is expected


def test_from_encoded_refuses_a_list_below_the_minimum() -> None:
    with pytest.raises(StatusListLengthError):
        StatusList.from_encoded(_multibase(gzip.compress(bytes(1024))))


# --- entries and list credentials -------------------------------------------------------------


def test_status_entry_shape() -> None:
    assert status_entry(LIST_URL, 94567) == {
        "id": f"{LIST_URL}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": LIST_URL,
    }
    assert status_entry(LIST_URL, 0, "suspension")["statusPurpose"] == "suspension"
    for bad in ((LIST_URL, -1), (LIST_URL, "3"), ("ftp://x/list", 1), (LIST_URL + "#x", 1)):
        with pytest.raises(InputError):
            status_entry(*bad)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="purpose"):
        status_entry(LIST_URL, 1, "message")


def test_status_list_credential_shape() -> None:
    status_list = StatusList()
    credential = _list_credential(status_list)
    assert credential["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert credential["id"] == LIST_URL
    assert credential["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert credential["issuer"] == {"id": DID, "name": "St Elsewhere Hospital"}
    assert credential["validFrom"] == "2026-11-29T09:30:00Z"
    assert credential["credentialSubject"] == {
        "id": f"{LIST_URL}#list",
        "type": "BitstringStatusList",
        "statusPurpose": "revocation",
        "encodedList": status_list.encode(),
    }
    with_ttl = status_list_credential(LIST_URL, DID, "suspension", status_list, WHEN, ttl_ms=300_000)
    assert with_ttl["issuer"] == DID
    assert with_ttl["credentialSubject"]["ttl"] == 300_000


@pytest.mark.parametrize(
    "issuer",
    [
        DID,
        IssuerProfile(DID, "Zoë's <Clinic> & Co"),
        {"id": DID, "type": ["Profile"], "name": "X", "url": "https://x.org"},
    ],
)
def test_signed_list_verifies_and_expands_without_undefined_terms(issuer: object) -> None:
    status_list = StatusList()
    status_list.set(7)
    unsigned = status_list_credential(LIST_URL, issuer, "revocation", status_list, WHEN, ttl_ms=1000)  # type: ignore[arg-type]
    expand_safe(unsigned)  # raises on any term the contexts do not define
    signed = sign(unsigned, KEY, VM)
    result = verify_proofs(signed)
    assert result.verified, result.message
    assert issuer_id(signed) == DID

    tampered = dict(signed)
    tampered["credentialSubject"] = dict(signed["credentialSubject"], encodedList=StatusList().encode())
    assert not verify_proofs(tampered).verified


def test_revocation_round_trip_through_a_signed_open_badge() -> None:
    entry = status_entry(LIST_URL, 94567)
    credential = build_credential(
        load_template("acls"),
        IssuerProfile(DID, "St Elsewhere Hospital"),
        Recipient("zoe@example.org", name="Zoë Ångström"),
        valid_from=WHEN,
        credential_status=entry,
    )
    expand_safe(credential)
    signed = sign(credential, KEY, VM)
    assert verify_proofs(signed).verified

    status_list = StatusList()
    list_credential = sign(_list_credential(status_list), KEY, VM)
    [found] = status_entries(signed, "revocation")
    assert status_bit(found, list_credential) is False

    status_list.set(94567)
    list_credential = sign(_list_credential(status_list), KEY, VM)
    assert verify_proofs(list_credential).verified
    assert status_bit(found, list_credential) is True
    decoded = parse_status_list_credential(list_credential)
    assert decoded.issuer == DID and decoded.purposes == ("revocation",)
    assert status_bit(found, decoded) is True


def test_status_entries_filters_types_and_purposes() -> None:
    entries = [status_entry(LIST_URL, 1), status_entry(LIST_URL, 2, "suspension"), {"type": "Other"}]
    assert [e["statusListIndex"] for e in status_entries({"credentialStatus": entries})] == ["1", "2"]
    assert [e["statusListIndex"] for e in status_entries({"credentialStatus": entries}, "suspension")] == [
        "2"
    ]
    assert status_entries({"credentialStatus": entries[0]}) == [entries[0]]
    assert status_entries({}) == []


# --- status_bit's checks ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def list_credential() -> dict:
    status_list = StatusList()
    status_list.set(3)
    return _list_credential(status_list)


@pytest.mark.parametrize(
    ("change", "error", "code"),
    [
        ({"type": "StatusList2021Entry"}, StatusEntryError, "status_entry_invalid"),
        ({"statusListIndex": 3}, StatusEntryError, "status_entry_invalid"),
        ({"statusListIndex": "-1"}, StatusEntryError, "status_entry_invalid"),
        ({"statusListIndex": "0x3"}, StatusEntryError, "status_entry_invalid"),
        ({"statusListIndex": "9" * 40}, StatusEntryError, "status_entry_invalid"),
        ({"statusListIndex": str(DEFAULT_LENGTH)}, StatusListRangeError, "status_index_out_of_range"),
        ({"statusPurpose": "suspension"}, StatusListMismatchError, "status_purpose_mismatch"),
        ({"statusListCredential": LIST_URL + "0"}, StatusListMismatchError, "status_list_id_mismatch"),
        ({"statusListCredential": None}, StatusEntryError, "status_entry_invalid"),
        ({"statusSize": 0}, StatusEntryError, "status_entry_invalid"),
        ({"statusSize": 2}, StatusEntryError, "status_size_unsupported"),
    ],
)
def test_status_bit_refuses_entries_that_do_not_fit(
    list_credential: dict, change: dict, error: type, code: str
) -> None:
    entry = {**status_entry(LIST_URL, 3), **change}
    with pytest.raises(error) as caught:
        status_bit(entry, list_credential)
    assert caught.value.code == code
    assert isinstance(caught.value, InputError)
    assert str(caught.value).endswith(".")


def test_status_bit_reads_the_right_bit(list_credential: dict) -> None:
    assert status_bit(status_entry(LIST_URL, 3), list_credential) is True
    assert status_bit(status_entry(LIST_URL, 2), list_credential) is False
    assert status_bit(status_entry(LIST_URL, 4), list_credential) is False


def test_multi_bit_statuses_read_with_status_value() -> None:
    status_list = StatusList()
    status_list.set(2)  # entry 1 of size 2 covers bits 2..3 -> 0b10
    credential = status_list_credential(LIST_URL, DID, "revocation", status_list, WHEN)
    entry = {**status_entry(LIST_URL, 1), "statusSize": 2}
    assert status_value(entry, credential, minimum_entries=DEFAULT_LENGTH // 2) == 2
    with pytest.raises(StatusListLengthError):
        status_value(entry, credential)  # 65,536 two-bit entries: below the minimum


def test_a_list_below_the_minimum_is_refused_unless_allowed() -> None:
    credential = {
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "credentialSubject": {
            "type": "BitstringStatusList",
            "statusPurpose": ["revocation", "suspension"],
            "encodedList": _multibase(gzip.compress(b"\x40" + bytes(127))),
        },
    }
    with pytest.raises(StatusListLengthError) as caught:
        status_bit(status_entry(LIST_URL, 1), credential)
    assert caught.value.spec_error == "STATUS_LIST_LENGTH_ERROR"
    assert status_bit(status_entry(LIST_URL, 1), credential, minimum_entries=0) is True
    assert status_bit(status_entry(LIST_URL, 1, "suspension"), credential, minimum_entries=0) is True
    with pytest.raises(StatusListRangeError):
        status_bit(status_entry(LIST_URL, 1024), credential, minimum_entries=0)


# --- malformed lists --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoded", "code", "words"),
    [
        ("z" + "1" * 20, "encoded_list_multibase", "starting with 'u'"),
        (
            base64.urlsafe_b64encode(gzip.compress(bytes(16))).decode(),
            "encoded_list_multibase",
            "StatusList2021",
        ),
        ("u" + "ab+/cd", "encoded_list_base64", "base64url"),
        ("u" + "abc$", "encoded_list_base64", "base64url"),
        (_multibase(bytes(16384)), "encoded_list_not_gzip", "not GZIP"),
        (_multibase(zlib.compress(bytes(16384))), "encoded_list_not_gzip", "not GZIP"),
        (_multibase(gzip.compress(bytes(16384))[:-10]), "encoded_list_corrupt", "truncated"),
        (_multibase(b"\x1f\x8b" + bytes(30)), "encoded_list_corrupt", "corrupt"),
        (_multibase(gzip.compress(bytes(16384)) + b"junk"), "encoded_list_corrupt", "trailing"),
        (_multibase(gzip.compress(b"")), "encoded_list_corrupt", "empty"),
        ("", "encoded_list_invalid", "non-empty"),
        (None, "encoded_list_invalid", "non-empty"),
    ],
)
def test_malformed_encoded_lists_give_specific_errors(encoded: object, code: str, words: str) -> None:
    with pytest.raises(EncodedListError, match=words) as caught:
        decode_encoded_list(encoded)
    assert caught.value.code == code
    assert caught.value.spec_error == "MALFORMED_VALUE_ERROR"
    assert isinstance(caught.value, InputError)


def test_padding_and_multi_member_gzip_are_accepted() -> None:
    bits = b"\x80" + bytes(16383)
    padded = "u" + base64.urlsafe_b64encode(gzip.compress(bits)).decode()
    assert decode_encoded_list(padded) == bits
    two_members = gzip.compress(bits[:8192]) + gzip.compress(bits[8192:])
    assert decode_encoded_list(_multibase(two_members)) == bits


def test_decompression_bomb_is_refused() -> None:
    bomb = _multibase(gzip.compress(bytes(17 * 1024 * 1024), compresslevel=1))
    assert len(bomb) < 200_000
    with pytest.raises(StatusListTooLargeError, match="more than 16,777,216 bytes"):
        decode_encoded_list(bomb)
    # The cap is a parameter, and applies across gzip members too.
    members = _multibase(gzip.compress(bytes(600)) + gzip.compress(bytes(600)))
    with pytest.raises(StatusListTooLargeError):
        decode_encoded_list(members, max_bytes=1000)
    assert len(decode_encoded_list(members, max_bytes=1200)) == 1200
    with pytest.raises(StatusListTooLargeError, match="too large"):
        decode_encoded_list("u" + "A" * 5000, max_bytes=1000)


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda c: [c], "JSON object"),
        (lambda c: {**c, "type": ["VerifiableCredential"]}, "BitstringStatusListCredential"),
        (lambda c: {k: v for k, v in c.items() if k != "id"}, "no id"),
        (lambda c: {**c, "credentialSubject": "x"}, "credentialSubject"),
        (
            lambda c: {**c, "credentialSubject": {**c["credentialSubject"], "type": "StatusList2021"}},
            "BitstringStatusList",
        ),
        (
            lambda c: {**c, "credentialSubject": {**c["credentialSubject"], "statusPurpose": []}},
            "statusPurpose",
        ),
        (lambda c: {**c, "credentialSubject": {**c["credentialSubject"], "encodedList": 5}}, "encodedList"),
    ],
)
def test_malformed_list_credentials_are_refused(list_credential: dict, mutate, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StatusListFormatError, match=words):
        status_bit(status_entry(LIST_URL, 3), mutate(list_credential))


def test_all_errors_are_medcred_errors() -> None:
    for error in (StatusEntryError, StatusListFormatError, StatusListRangeError, StatusListTooLargeError):
        assert issubclass(error, StatusListError)
        assert issubclass(error, InputError)
