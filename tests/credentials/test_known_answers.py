"""Known-answer tests: the 1EdTech OBv3 eddsa-rdfc-2022 vector byte for byte, and the W3C vectors."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from credentials.helpers import VECTORS, W3C, load_json
from issuer.keys import Ed25519KeyPair
from issuer.signing import create_proof
from verifier.canonicalize import canonicalize_with_pyld, rdfc
from verifier.data_integrity import create_verify_data, verify_proofs
from verifier.multikey import (
    ed25519_public_key_to_multibase,
    multibase_to_ed25519_public_key,
    multibase_to_ed25519_secret_key,
)

KAT = load_json(VECTORS / "obv3-eddsa-rdfc-2022.json")
DOC_NQ = (VECTORS / "obv3-document-canon.nq").read_text(encoding="utf-8")
PROOF_NQ = (VECTORS / "obv3-proof-canon.nq").read_text(encoding="utf-8")


def _proof_config() -> dict:
    config = dict(KAT["proofOptions"])
    config["@context"] = KAT["unsignedCredential"]["@context"]
    return config


def test_kat_keys() -> None:
    pair = KAT["keyPair"]
    key = Ed25519KeyPair.from_seed(bytes.fromhex(pair["secretKeySeedHex"]))
    assert key.public_key.hex() == pair["publicKeyHex"]
    assert key.public_key_multibase == pair["publicKeyMultibase"]
    assert multibase_to_ed25519_public_key(pair["publicKeyMultibase"]).hex() == pair["publicKeyHex"]
    assert multibase_to_ed25519_secret_key(pair["secretKeyMultibase"]).hex() == pair["secretKeySeedHex"]
    assert ed25519_public_key_to_multibase(bytes.fromhex(pair["publicKeyHex"])) == pair["publicKeyMultibase"]


@pytest.mark.parametrize("fast", [True, False])
def test_kat_canonical_forms_byte_for_byte(fast: bool) -> None:
    assert rdfc(KAT["unsignedCredential"], fast=fast) == DOC_NQ
    assert rdfc(_proof_config(), fast=fast) == PROOF_NQ
    assert canonicalize_with_pyld(KAT["unsignedCredential"]) == DOC_NQ


def test_kat_hashes_signature_and_proof_value() -> None:
    expected = KAT["expected"]
    assert hashlib.sha256(DOC_NQ.encode()).hexdigest() == expected["documentHashHex"]
    assert hashlib.sha256(PROOF_NQ.encode()).hexdigest() == expected["proofConfigHashHex"]
    verify_data = create_verify_data(KAT["unsignedCredential"], KAT["proofOptions"])
    assert verify_data.hex() == expected["proofConfigHashHex"] + expected["documentHashHex"]
    key = Ed25519KeyPair.from_seed(bytes.fromhex(KAT["keyPair"]["secretKeySeedHex"]))
    assert key.sign(verify_data).hex() == expected["signatureHex"]
    options = KAT["proofOptions"]
    proof = create_proof(
        KAT["unsignedCredential"], key, options["verificationMethod"], created=options["created"], proof_id=""
    )
    assert proof["proofValue"] == expected["proofValue"]
    assert {k: v for k, v in proof.items() if k != "proofValue"} == options
    Ed25519PublicKey.from_public_bytes(key.public_key).verify(
        bytes.fromhex(expected["signatureHex"]), verify_data
    )


def test_kat_signed_document_is_refused_without_a_did_issuer() -> None:
    """The KAT's verification method is an https URL: not resolvable as a DID, reported as such."""
    signed = dict(
        KAT["unsignedCredential"], proof=dict(KAT["proofOptions"], proofValue=KAT["expected"]["proofValue"])
    )
    result = verify_proofs(signed)
    assert not result.verified
    assert result.code == "verification_method_unresolvable"


SIGNED = sorted((W3C / "signed").glob("*.json"))


@pytest.mark.parametrize("path", SIGNED, ids=lambda p: p.stem)
def test_w3c_vectors_verify(path, examples_loader) -> None:
    result = verify_proofs(load_json(path), loader=examples_loader, check_issuer=False)
    assert result.verified, result.message
    assert all(r.verified for r in result.proofs)


@pytest.mark.parametrize("path", SIGNED, ids=lambda p: p.stem)
def test_w3c_vectors_fail_issuer_check(path, examples_loader) -> None:
    """Their issuer is an https URL, not the key's DID: MedCred's issuer rule refuses them."""
    result = verify_proofs(load_json(path), loader=examples_loader)
    assert not result.verified
    assert result.code == "issuer_mismatch"


def test_w3c_vectors_need_the_examples_context() -> None:
    result = verify_proofs(
        load_json(W3C / "signed" / "eddsa-rdfc-2022_signedDataInt.json"), check_issuer=False
    )
    assert not result.verified
    assert result.code == "context_not_bundled"
    assert "https://www.w3.org/ns/credentials/examples/v2" in result.message


@pytest.mark.parametrize(
    ("suite", "signed_file"),
    [
        ("eddsa-rdfc-2022", "eddsa-rdfc-2022_signedDataInt.json"),
        ("eddsa-jcs-2022", "eddsa-jcs-2022_signedJCS.json"),
    ],
)
def test_w3c_vectors_reproduced_by_signing(suite, signed_file, examples_loader) -> None:
    """Ed25519 is deterministic, so signing the unsigned input must give the vector's proofValue."""
    pair = load_json(W3C / "inputs" / "keyPair.json")
    key = Ed25519KeyPair.from_secret_multibase(pair["privateKeyMultibase"])
    assert key.public_key_multibase == pair["publicKeyMultibase"]
    expected = load_json(W3C / "signed" / signed_file)["proof"]
    proof = create_proof(
        load_json(W3C / "inputs" / "unsigned.json"),
        key,
        expected["verificationMethod"],
        cryptosuite=suite,
        created=expected["created"],
        proof_id="",
        loader=examples_loader,
    )
    assert proof == expected


def test_w3c_proof_chain_reproduced(examples_loader) -> None:
    """The chained proofs (previousProof) sign the document with the proofs they name."""
    pairs = load_json(W3C / "inputs" / "proof-set-chain_multiKeyPairs.json")
    chain = load_json(W3C / "signed" / "proof-set-chain_signedProofChain2.json")
    unsigned = {k: v for k, v in chain.items() if k != "proof"}
    document = dict(unsigned)
    for number, expected in enumerate(chain["proof"], start=1):
        key = Ed25519KeyPair.from_secret_multibase(pairs[f"keyPair{number}"]["privateKeyMultibase"])
        proof = create_proof(
            document,
            key,
            expected["verificationMethod"],
            created=expected["created"],
            proof_id=expected.get("id", ""),
            previous_proof=expected.get("previousProof"),
            loader=examples_loader,
        )
        assert proof == expected
        document = dict(unsigned, proof=[*document.get("proof", []), proof])
