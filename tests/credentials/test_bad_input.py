"""Hostile and broken input: each case a specific error code, never an exception escaping."""

from __future__ import annotations

import copy
import json

import pytest

from credentials.helpers import W3C, load_json
from issuer.keys import Ed25519KeyPair
from issuer.signing import create_proof
from verifier.canonicalize import CanonicalizationError, jcs, rdfc
from verifier.data_integrity import verify_proof, verify_proofs
from verifier.jsonld_loader import BundledDocumentLoader, ContextNotBundledError, load_context
from verifier.multikey import MultikeyError, encode_multibase, multibase_to_ed25519_public_key

P256_DID_KEY = "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169"


def _code(document) -> str:
    result = verify_proofs(document)
    assert not result.verified
    return result.code


def _mutated(signed, change):
    document = copy.deepcopy(signed)
    change(document)
    return document


def test_unknown_context_url_named(signed_rdfc) -> None:
    url = "https://evil.example/context.jsonld"
    document = _mutated(signed_rdfc, lambda d: d["@context"].append(url))
    result = verify_proofs(document)
    assert result.code == "context_not_bundled"
    assert url in result.message
    with pytest.raises(ContextNotBundledError, match=r"evil\.example"):
        BundledDocumentLoader()(url, {})
    with pytest.raises(ContextNotBundledError):
        load_context("https://www.w3.org/ns/credentials/examples/v2")
    assert load_context("https://www.w3.org/ns/credentials/examples/v2", include_examples=True)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda d: d.__setitem__("undefinedTerm", "x"), "undefined_term"),
        (lambda d: d["credentialSubject"].__setitem__("favouriteColour", "blue"), "undefined_term"),
        (lambda d: d["credentialSubject"]["achievement"]["type"].append("Unknown"), "relative_type"),
        (lambda d: d.__setitem__("id", "credentials/1"), "relative_id"),
        (lambda d: d.__setitem__("@context", {"@vocab": 5}), "jsonld_invalid"),
        (lambda d: d.__setitem__("@context", ["https://www.w3.org/ns/credentials/v2", 7]), "jsonld_invalid"),
        (lambda d: d.__setitem__("type", {"@list": 3}), "jsonld_invalid"),
        (lambda d: d.__setitem__("@id", ["a", "b"]), "jsonld_invalid"),
    ],
)
def test_malformed_json_ld(signed_rdfc, change, code) -> None:
    assert _code(_mutated(signed_rdfc, change)) == code


@pytest.mark.parametrize(
    "document",
    [
        {"@context": "https://www.w3.org/ns/credentials/v2", "@graph": [{"@value": {"a": 1}}]},
        {"@context": {"@version": 2.0}},
        {"@context": [{"x": {"@id": "@type"}}], "x": "y"},
        {"@context": [], "@id": "_:b0", "@reverse": 5},
        {"@context": [None, {"@base": 3}]},
    ],
)
def test_canonicalize_rejects_invalid_json_ld(document) -> None:
    with pytest.raises(CanonicalizationError) as caught:
        rdfc(document)
    assert caught.value.code in {"jsonld_invalid", "undefined_term", "relative_id", "relative_type"}


def test_canonicalize_rejects_non_objects_and_deep_nesting() -> None:
    with pytest.raises(CanonicalizationError):
        rdfc([])  # type: ignore[arg-type]
    deep: dict = {"narrative": "x"}
    for _ in range(3000):
        deep = {"@context": "https://www.w3.org/ns/credentials/v2", "credentialSubject": deep}
    with pytest.raises(CanonicalizationError):
        rdfc(deep)
    with pytest.raises(CanonicalizationError):
        jcs({"x": float("nan")})


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("z", "invalid_proof_value"),
        ("zzzz", "invalid_proof_value"),
        ("u" + "A" * 86, "invalid_proof_value"),
        ("z0OIl" * 10, "invalid_proof_value"),
        (12, "invalid_proof_value"),
        (None, "invalid_proof_value"),
        (encode_multibase(bytes(64)), "signature_invalid"),
    ],
)
def test_garbage_proof_value(signed_rdfc, value, code) -> None:
    assert _code(_mutated(signed_rdfc, lambda d: d["proof"].__setitem__("proofValue", value))) == code


def test_proof_from_another_issuer(signed_rdfc, issuer, other_issuer) -> None:
    """Mallory signs a credential naming St Elsewhere as issuer: refused even though the signature is good."""
    unsigned = {k: v for k, v in signed_rdfc.items() if k != "proof"}
    forged = dict(unsigned, proof=create_proof(unsigned, other_issuer.key, other_issuer.method))
    result = verify_proofs(forged)
    assert result.code == "issuer_mismatch"
    assert other_issuer.did in result.message and issuer.did in result.message
    assert verify_proofs(forged, check_issuer=False).verified


def test_key_of_one_did_claimed_by_another(signed_rdfc, issuer, other_issuer) -> None:
    """A verification method whose DID is the issuer but whose fragment names another key."""
    document = _mutated(
        signed_rdfc,
        lambda d: d["proof"].__setitem__(
            "verificationMethod", f"{issuer.did}#{other_issuer.key.public_key_multibase}"
        ),
    )
    assert _code(document) == "verification_method_not_found"


def test_wrong_key_type(signed_rdfc) -> None:
    # A P-256 did:key resolves (VC-JWT ES256 uses it), but an EdDSA proof cannot be made with it.
    fragment = P256_DID_KEY[len("did:key:") :]
    document = _mutated(
        signed_rdfc, lambda d: d["proof"].__setitem__("verificationMethod", f"{P256_DID_KEY}#{fragment}")
    )
    document["issuer"]["id"] = P256_DID_KEY
    assert _code(document) == "wrong_key_type"
    with pytest.raises(MultikeyError) as caught:
        multibase_to_ed25519_public_key(P256_DID_KEY[len("did:key:") :])
    assert caught.value.code == "wrong_key_type"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("type", "EcdsaSecp256k1Signature2019", "unsupported_proof_type"),
        ("cryptosuite", "ecdsa-rdfc-2019", "unsupported_cryptosuite"),
        ("cryptosuite", None, "unsupported_cryptosuite"),
        ("proofPurpose", "authentication", "wrong_proof_purpose"),
        ("proofPurpose", None, "proof_malformed"),
        ("verificationMethod", None, "proof_malformed"),
        ("verificationMethod", "https://example.edu/keys/1", "verification_method_unresolvable"),
        ("verificationMethod", "did:example:123#key-1", "issuer_mismatch"),
        ("created", "yesterday", "proof_malformed"),
        ("previousProof", "urn:uuid:nope", "previous_proof_missing"),
        ("previousProof", 5, "proof_malformed"),
        ("challenge", "abc", "signature_invalid"),
        ("undefinedProofTerm", "abc", "undefined_term"),
    ],
)
def test_bad_proof_fields(signed_rdfc, field, value, code) -> None:
    assert _code(_mutated(signed_rdfc, lambda d: d["proof"].__setitem__(field, value))) == code


@pytest.mark.parametrize(
    ("method", "code"),
    [
        ("did:example:123#key-1", "did_method_unsupported"),
        ("did:key:z6Mk#z6Mk", "wrong_key_type"),
        ("did:key:z6Mk", "did_invalid"),
        ("did:web:example.org", "did_invalid"),
    ],
)
def test_unresolvable_methods(signed_rdfc, method, code) -> None:
    document = _mutated(signed_rdfc, lambda d: d["proof"].__setitem__("verificationMethod", method))
    document["issuer"]["id"] = method.split("#")[0]
    assert _code(document) == code


@pytest.mark.parametrize(
    ("proof", "code"),
    [
        (None, "proof_missing"),
        ([], "proof_missing"),
        ("a string", "proof_malformed"),
        ([{"type": "DataIntegrityProof"}, 3], "proof_malformed"),
        ([{"type": "MedCredAnchorProof2026"}], "proof_missing"),
    ],
)
def test_bad_proof_containers(signed_rdfc, proof, code) -> None:
    document = _mutated(signed_rdfc, lambda d: d.__setitem__("proof", proof))
    if proof is None:
        del document["proof"]
    assert _code(document) == code


@pytest.mark.parametrize("issuer_value", [None, 5, {"name": "x"}, ["did:key:z6Mk"]])
def test_bad_issuer(signed_rdfc, issuer_value) -> None:
    document = _mutated(signed_rdfc, lambda d: d.__setitem__("issuer", issuer_value))
    assert _code(document) == "issuer_invalid"


@pytest.mark.parametrize("document", [None, [], "x", 5, {"proof": {"type": 5}}])
def test_not_a_credential(document) -> None:
    result = verify_proofs(document)  # type: ignore[arg-type]
    assert not result.verified
    assert verify_proof(document, {}).code == "proof_malformed" or not verify_proof(document, {}).verified  # type: ignore[arg-type]


def test_jcs_context_must_be_a_prefix(issuer) -> None:
    signed = issuer.sign(issuer.build("bls"), cryptosuite="eddsa-jcs-2022")
    document = _mutated(
        signed, lambda d: d["proof"][0].__setitem__("@context", ["https://example.org/other"])
    )
    assert _code(document) == "context_mismatch"


def test_tampered_jcs_and_rdfc(issuer) -> None:
    for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
        signed = issuer.sign(issuer.build("nrp"), cryptosuite=suite)
        tampered = _mutated(
            signed, lambda d: d["credentialSubject"]["achievement"].__setitem__("name", "Surgeon")
        )
        assert _code(tampered) == "signature_invalid"


def test_w3c_vector_with_swapped_key(examples_loader) -> None:
    signed = load_json(W3C / "signed" / "eddsa-rdfc-2022_signedDataInt.json")
    other = Ed25519KeyPair.from_seed(bytes(32)).public_key_multibase
    signed["proof"]["verificationMethod"] = f"did:key:{other}#{other}"
    result = verify_proofs(signed, loader=examples_loader, check_issuer=False)
    assert result.code == "signature_invalid"


def test_random_json_never_escapes(signed_rdfc) -> None:
    """A battery of type confusions in every top-level field."""
    for key in list(signed_rdfc):
        for value in (None, 0, 1.5, True, "x", [], {}, [None], {"@id": 5}, {"@value": []}):
            document = _mutated(signed_rdfc, lambda d, k=key, v=value: d.__setitem__(k, v))
            result = verify_proofs(document)
            assert not result.verified, (key, value)
            json.dumps(result.message)
