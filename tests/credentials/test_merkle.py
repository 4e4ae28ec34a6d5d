"""Merkle tree (OpenZeppelin StandardMerkleTree-compatible), paths, and the anchor proof."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from anchor_support import anchor_data, del_anchor_field, set_anchor_field
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from credentials.helpers import VECTORS, load_json
from issuer.anchor_proof import AnchorInfo, attach_anchor_proof, attach_anchor_proofs
from issuer.merkle_tree import MerkleTree, build_tree
from verifier.errors import InputError
from verifier.merkle import (
    AnchorProofError,
    abi_leaf_hash,
    check_inclusion,
    credential_digest,
    find_anchor_proof,
    hash_pair,
    leaf_hash,
    parse_anchor_proof,
    process_proof,
    signed_part,
    verify_path,
)

KAT = load_json(VECTORS / "oz-standard-merkle-tree-kat.json")
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
WHEN = datetime(2025, 3, 2, 12, 0, 5, tzinfo=UTC)


def _digest(i: int) -> bytes:
    return keccak(f"medcred-merkle-kat-{i}".encode())


@pytest.mark.parametrize("size", sorted(KAT["trees"], key=int))
def test_openzeppelin_known_answers(size) -> None:
    expected = KAT["trees"][size]
    tree = MerkleTree.from_digests([_digest(i) for i in range(int(size))])
    assert tree.root_hex == expected["root"]
    for index, entry in expected["proofs"].items():
        assert "0x" + tree.leaf(int(index)).hex() == entry["leaf"]
        assert ["0x" + node.hex() for node in tree.proof(int(index))] == entry["proof"]
        assert verify_path(bytes.fromhex(entry["leaf"][2:]), tree.proof(int(index)), tree.root)


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=200))
def test_fast_keccak_is_keccak(data) -> None:
    from verifier.merkle import _keccak

    assert _keccak(data) == keccak(data)


def test_hash_pair_is_commutative() -> None:
    a, b = keccak(b"a"), keccak(b"b")
    assert hash_pair(a, b) == hash_pair(b, a) == keccak(min(a, b) + max(a, b))


def test_leaf_binds_the_index() -> None:
    digest = _digest(0)
    assert leaf_hash(0, digest) != leaf_hash(1, digest)


@settings(max_examples=50, deadline=None)
@given(index=st.integers(0, 2**256 - 1), digest=st.binary(min_size=32, max_size=32))
def test_leaf_encoding_is_abi_encode(index, digest) -> None:
    assert leaf_hash(index, digest) == abi_leaf_hash(index, digest)


@pytest.mark.parametrize(
    ("index", "digest"), [(-1, bytes(32)), (2**256, bytes(32)), (True, bytes(32)), (0, b"x")]
)
def test_leaf_refuses_bad_values(index, digest) -> None:
    with pytest.raises(AnchorProofError):
        leaf_hash(index, digest)


@settings(max_examples=40, deadline=None)
@given(size=st.integers(1, 1000), data=st.data())
def test_paths_prove_their_leaf_only(size, data) -> None:
    digests = [keccak(size.to_bytes(4, "big") + i.to_bytes(4, "big")) for i in range(size)]
    tree = MerkleTree.from_digests(digests)
    index = data.draw(st.integers(0, size - 1), label="index")
    path = tree.proof(index)
    assert len(path) <= size.bit_length()
    assert verify_path(leaf_hash(index, digests[index]), path, tree.root)
    assert tree.verify(index)
    other_index = data.draw(st.integers(0, 2**64), label="other index")
    if other_index != index:
        assert not verify_path(leaf_hash(other_index, digests[index]), path, tree.root)
    other_digest = data.draw(st.binary(min_size=32, max_size=32), label="other digest")
    if other_digest != digests[index]:
        assert not verify_path(leaf_hash(index, other_digest), path, tree.root)
    if size > 1:
        neighbour = (index + 1) % size
        assert process_proof(leaf_hash(neighbour, digests[neighbour]), path) != tree.root


def test_tree_rejects_bad_input() -> None:
    with pytest.raises(InputError):
        MerkleTree.from_digests([])
    with pytest.raises(InputError):
        MerkleTree.from_digests([b"short"])
    tree = MerkleTree.from_digests([_digest(0), _digest(1)])
    for bad in (-1, 2, True, "0"):
        with pytest.raises(InputError):
            tree.proof(bad)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def batch(issuer):
    signed = [issuer.sign(issuer.build(slug)) for slug in ("acls", "pals", "bls")]
    tree = build_tree(signed)
    anchor = AnchorInfo(31337, REGISTRY, tree.root, "0x" + "cd" * 32, 42, WHEN)
    return signed, tree, attach_anchor_proofs(signed, tree, anchor)


def test_digest_ignores_the_anchor_proof(batch) -> None:
    signed, tree, anchored = batch
    for i, (before, after) in enumerate(zip(signed, anchored, strict=True)):
        assert credential_digest(before) == credential_digest(after) == tree.digests[i]
        assert signed_part(after)["proof"] == before["proof"]


def test_parse_anchor_proof_roundtrip(batch) -> None:
    _, tree, anchored = batch
    proof = anchored[1]["proof"][1]
    parsed = parse_anchor_proof(proof)
    assert parsed.chain == "eip155:31337" and parsed.chain_id == 31337
    assert parsed.registry == REGISTRY
    assert parsed.merkle_root == tree.root
    assert parsed.leaf_index == 1
    assert list(parsed.merkle_path) == tree.proof(1)
    assert parsed.transaction_hash == bytes.fromhex("cd" * 32)
    assert parsed.block_number == 42
    assert parsed.created == "2025-03-02T12:00:05Z"
    assert parsed.to_json() == proof
    assert find_anchor_proof(anchored[1]) == parsed
    assert find_anchor_proof(batch[0][0]) is None


def test_anchor_proof_is_a_data_integrity_proof_in_defined_terms(batch) -> None:
    """Today's form: every key a term of the VC 2.0 context; the anchor data in proofValue."""
    _, tree, anchored = batch
    proof = anchored[1]["proof"][1]
    assert set(proof) == {"type", "cryptosuite", "created", "proofPurpose", "previousProof", "proofValue"}
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "medcred-anchor-2026"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["previousProof"] == anchored[1]["proof"][0]["id"]
    assert proof["proofValue"].startswith("u")  # multibase base64url
    assert anchor_data(proof) == {
        "chain": "eip155:31337",
        "registry": REGISTRY,
        "merkleRoot": tree.root_hex,
        "leafIndex": 1,
        "merklePath": ["0x" + node.hex() for node in tree.proof(1)],
        "transactionHash": "0x" + "cd" * 32,
        "blockNumber": 42,
    }


def test_the_first_anchor_proof_form_still_reads_and_has_the_same_leaf(batch) -> None:
    """Credentials anchored as MedCredAnchorProof2026 keep verifying: same facts, same digest."""
    _, tree, anchored = batch
    parsed = parse_anchor_proof(anchored[1]["proof"][1])
    legacy = dict(anchored[1], proof=[anchored[1]["proof"][0], parsed.to_legacy_json()])
    assert legacy["proof"][1]["type"] == "MedCredAnchorProof2026"
    assert legacy["proof"][1]["leafIndex"] == 1
    assert find_anchor_proof(legacy) == parsed
    assert credential_digest(legacy) == credential_digest(anchored[1]) == tree.digests[1]
    assert check_inclusion(legacy).included


@pytest.mark.parametrize(
    "value",
    [
        "z" + "1" * 40,  # another multibase
        "u" + "!!!",  # not base64url
        "u" + "e30",  # {} : no fields
        "u" + "WzFd",  # [1]
    ],
)
def test_malformed_anchor_proof_value(batch, value) -> None:
    proof = copy.deepcopy(batch[2][0]["proof"][1])
    proof["proofValue"] = value
    with pytest.raises(AnchorProofError):
        parse_anchor_proof(proof)


def test_anchor_proof_value_has_one_spelling(batch) -> None:
    """Padding, non-canonical JSON or trailing bits give another proofValue for the same facts: refused."""
    import base64
    import json

    proof = copy.deepcopy(batch[2][0]["proof"][1])
    data = anchor_data(proof)
    spaced = base64.urlsafe_b64encode(json.dumps(data).encode()).decode()
    for value in ("u" + spaced, proof["proofValue"] + "=", "u" + spaced.rstrip("=")):
        altered = dict(proof, proofValue=value)
        with pytest.raises(AnchorProofError, match=r"canonical|base64url"):
            parse_anchor_proof(altered)


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("type", "Other", "type"),
        ("cryptosuite", "eddsa-rdfc-2022", "cryptosuite"),
        ("proofPurpose", "authentication", "proofPurpose"),
        ("id", 7, "id"),
        ("previousProof", "", "previousProof"),
        ("previousProof", [], "previousProof"),
        ("chain", "eip155:0", "chain"),
        ("chain", "cosmos:hub", "chain"),
        ("chain", 31337, "chain"),
        ("registry", "0x5fbdb2315678afecb367f032d93f642f64180aa3", "registry"),
        ("registry", "0x1234", "registry"),
        ("merkleRoot", "0x1234", "merkleRoot"),
        ("merkleRoot", "ab" * 32, "merkleRoot"),
        ("leafIndex", -1, "leafIndex"),
        ("leafIndex", "1", "leafIndex"),
        ("leafIndex", True, "leafIndex"),
        ("leafIndex", 2**256, "leafIndex"),
        ("merklePath", "0x" + "00" * 32, "merklePath"),
        ("merklePath", ["0x00"], "merklePath"),
        ("merklePath", ["0x" + "00" * 32] * 257, "merklePath"),
        ("transactionHash", "0xzz", "transactionHash"),
        ("blockNumber", 1.5, "blockNumber"),
        ("created", "2025-03-02", "created"),
        ("extra", 1, "unexpected"),
    ],
)
@pytest.mark.parametrize("legacy", [False, True], ids=["today", "first-form"])
def test_malformed_anchor_proof(batch, field, value, fragment, legacy) -> None:
    proof = copy.deepcopy(batch[2][0]["proof"][1])
    if legacy:
        proof = parse_anchor_proof(proof).to_legacy_json()
    if field in anchor_data(proof) and not legacy:
        set_anchor_field(proof, field, value)
        if field == "leafIndex" and value == 2**256:
            fragment = "canonical"  # beyond what JCS writes: refused before the field is read
    elif legacy and field in ("cryptosuite", "proofPurpose", "id"):
        proof[field] = value
        fragment = "unexpected"
    else:
        proof[field] = value
    with pytest.raises(AnchorProofError, match=fragment):
        parse_anchor_proof(proof)
    credential = dict(batch[2][0], proof=[batch[2][0]["proof"][0], proof])
    result = check_inclusion(credential)
    assert not result.included
    stripped = field == "type" or (field == "cryptosuite" and not legacy)  # no longer an anchor proof
    assert result.code == ("anchor_missing" if stripped else "anchor_malformed")


@pytest.mark.parametrize("legacy", [False, True], ids=["today", "first-form"])
def test_missing_anchor_field(batch, legacy) -> None:
    proof = copy.deepcopy(batch[2][0]["proof"][1])
    if legacy:
        proof = parse_anchor_proof(proof).to_legacy_json()
    del_anchor_field(proof, "merklePath")
    with pytest.raises(AnchorProofError, match="lacks: merklePath"):
        parse_anchor_proof(proof)


def test_inclusion_detects_tampering(batch) -> None:
    _, _, anchored = batch
    assert all(check_inclusion(c).included for c in anchored)
    changed = copy.deepcopy(anchored[0])
    changed["name"] = "Something else"
    assert check_inclusion(changed).code == "merkle_path_invalid"
    claimed = copy.deepcopy(anchored[0])
    set_anchor_field(claimed, "leafIndex", 1)
    assert check_inclusion(claimed).code == "merkle_path_invalid"
    swapped = copy.deepcopy(anchored[0])
    set_anchor_field(swapped, "merklePath", anchor_data(anchored[1])["merklePath"])
    assert check_inclusion(swapped).code == "merkle_path_invalid"
    resigned = copy.deepcopy(anchored[0])
    resigned["proof"][0]["created"] = "2030-01-01T00:00:00Z"
    assert check_inclusion(resigned).code == "merkle_path_invalid"
    dangling = copy.deepcopy(anchored[0])
    dangling["proof"][1]["previousProof"] = "urn:uuid:other"
    assert check_inclusion(dangling).code == "previous_proof_missing"
    doubled = copy.deepcopy(anchored[0])
    doubled["proof"].append(doubled["proof"][1])
    assert check_inclusion(doubled).code == "anchor_multiple"
    assert check_inclusion(batch[0][0]).code == "anchor_missing"
    assert check_inclusion("nope").code == "anchor_malformed"  # type: ignore[arg-type]


def test_attach_refuses(batch, issuer) -> None:
    signed, tree, anchored = batch
    anchor = AnchorInfo(31337, REGISTRY, tree.root, "0x" + "cd" * 32, 42, WHEN)
    with pytest.raises(InputError, match="already anchored"):
        attach_anchor_proof(anchored[0], anchor, 0, tree.proof(0))
    with pytest.raises(InputError, match="not signed"):
        attach_anchor_proof(issuer.build(), anchor, 0, [])
    with pytest.raises(InputError, match="not leaf 0"):
        attach_anchor_proofs([signed[1], signed[0], signed[2]], tree, anchor)
    with pytest.raises(InputError, match="root"):
        attach_anchor_proofs(signed, tree, AnchorInfo(1, REGISTRY, b"\0" * 32, "0x" + "cd" * 32, 1, WHEN))
    with pytest.raises(InputError, match="3 credentials"):
        attach_anchor_proofs(signed, build_tree(signed[:2]), anchor)
    no_id = copy.deepcopy(signed[0])
    del no_id["proof"][0]["id"]
    with pytest.raises(InputError, match="without an id"):
        attach_anchor_proof(no_id, anchor, 0, [])
