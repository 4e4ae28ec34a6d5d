"""Credentials signed by independent implementations (the reference JavaScript libraries on npm).

The fixtures are made by `tests/vectors/foreign/make-fixtures.mjs` (committed beside them): did:key
and did:web issuers, keys as Multikey, Ed25519VerificationKey2020 and JsonWebKey2020 (OKP Ed25519,
EC P-256); eddsa-rdfc-2022, eddsa-jcs-2022, Ed25519Signature2020, and 1EdTech's extensions context.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from credentials.helpers import VECTORS
from verifier.data_integrity import verify_proofs
from verifier.did import DidDocument, DidResolver
from verifier.multikey import MultikeyError
from verifier.public_keys import key_from_jwk, key_from_multibase

FIXTURES = json.loads((VECTORS / "foreign" / "fixtures.json").read_text(encoding="utf-8"))
DATA_INTEGRITY = {k: v for k, v in FIXTURES["credentials"].items() if isinstance(v, dict)}
WEB_DID = "did:web:badges.example.org"


@pytest.fixture(scope="module")
def did_folder(tmp_path_factory) -> Path:
    """The issuers' DID documents as a did:web folder holds them (no network)."""
    folder = tmp_path_factory.mktemp("dids")
    for number, document in enumerate(FIXTURES["didDocuments"].values()):
        (folder / f"did{number}.json").write_text(json.dumps(document), encoding="utf-8")
    return folder


@pytest.fixture
def resolver(did_folder) -> DidResolver:
    return DidResolver(did_web_folder=did_folder, allow_network=False)


def test_fixtures_cover_every_format() -> None:
    suites = {p.get("cryptosuite") or p["type"] for c in DATA_INTEGRITY.values() for p in [c["proof"]]}
    assert suites == {"eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"}
    methods = FIXTURES["didDocuments"][WEB_DID]["verificationMethod"]
    assert {m["type"] for m in methods} == {"JsonWebKey2020", "Ed25519VerificationKey2020"}


@pytest.mark.parametrize("name", sorted(DATA_INTEGRITY))
def test_signed_by_the_reference_library_verifies(name, resolver) -> None:
    result = verify_proofs(DATA_INTEGRITY[name], resolver=resolver)
    assert result.verified, result.message


@pytest.mark.parametrize("name", sorted(DATA_INTEGRITY))
def test_a_changed_name_breaks_the_signature(name, resolver) -> None:
    credential = copy.deepcopy(DATA_INTEGRITY[name])
    credential["credentialSubject"]["name"] = "Eve Example"
    result = verify_proofs(credential, resolver=resolver)
    assert not result.verified
    assert result.code == "signature_invalid"


def test_ob_extensions_context_is_bundled_and_signed_over(resolver) -> None:
    credential = copy.deepcopy(DATA_INTEGRITY["eddsa-rdfc-2022_ob-extensions"])
    assert "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json" in credential["@context"]
    # the schema type comes from extensions.json: changing it changes the signed RDF
    credential["credentialSchema"][0]["type"] = "1EdTechRevocationList"
    assert verify_proofs(credential, resolver=resolver).code == "signature_invalid"


def test_ed25519_signature_2020_is_not_a_data_integrity_proof_in_disguise(resolver) -> None:
    credential = copy.deepcopy(DATA_INTEGRITY["ed25519-signature-2020_did-key"])
    credential["proof"]["type"] = "DataIntegrityProof"
    credential["proof"]["cryptosuite"] = "eddsa-rdfc-2022"
    assert not verify_proofs(credential, resolver=resolver).verified


def test_jwk_keys_index_as_their_multikey(resolver) -> None:
    document = resolver.resolve(WEB_DID)
    okp = document.verification_method(f"{WEB_DID}#key-okp")
    p256 = document.verification_method(f"{WEB_DID}#key-p256")
    assert okp.key.algorithm == "Ed25519"
    assert okp.public_key_multibase.startswith("z6Mk")  # what the registry fingerprints
    assert p256.key.algorithm == "P-256"
    assert p256.public_key_multibase == ""
    with pytest.raises(MultikeyError) as caught:
        _ = p256.public_key  # an EdDSA proof cannot be made with a P-256 key
    assert caught.value.code == "wrong_key_type"


def test_a_p256_key_cannot_sign_an_eddsa_proof(resolver) -> None:
    credential = copy.deepcopy(DATA_INTEGRITY["eddsa-rdfc-2022_did-web-jwk"])
    credential["proof"]["verificationMethod"] = f"{WEB_DID}#key-p256"
    assert verify_proofs(credential, resolver=resolver).code == "wrong_key_type"


def test_a_published_private_jwk_is_refused() -> None:
    method = FIXTURES["didDocuments"][WEB_DID]["verificationMethod"][0]
    with pytest.raises(MultikeyError):
        key_from_jwk({**method["publicKeyJwk"], "d": "AAAA"})
    document = DidDocument.from_json(
        WEB_DID,
        {
            "id": WEB_DID,
            "verificationMethod": [{**method, "publicKeyJwk": {**method["publicKeyJwk"], "d": "AAAA"}}],
            "assertionMethod": [method["id"]],
        },
    )
    with pytest.raises(MultikeyError):
        _ = document.verification_method(method["id"]).key


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "OKP", "crv": "X25519", "x": "qnXSqcrv5BKtODD-pwLepcYApChUOGg3Lz2aEUecOAw"},
        {"kty": "OKP", "crv": "Ed25519", "x": "qnXS"},
        {"kty": "OKP", "crv": "Ed25519", "x": "qnXSqcrv5BKtODD+pwLepcYApChUOGg3Lz2aEUecOAw="},
        {"kty": "EC", "crv": "P-256", "x": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
         "y": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        "not a jwk",
    ],
)  # fmt: skip
def test_malformed_jwks_are_refused(jwk) -> None:
    with pytest.raises(MultikeyError):
        key_from_jwk(jwk)


def test_p256_multikey_round_trip() -> None:
    method = FIXTURES["didDocuments"][WEB_DID]["verificationMethod"][1]
    key = key_from_jwk(method["publicKeyJwk"])
    assert key.jwk == {k: method["publicKeyJwk"][k] for k in ("kty", "crv", "x", "y")}
    compressed = bytes([2 + (key.raw[-1] & 1)]) + key.raw[1:33]
    from verifier.multikey import encode_multibase

    assert key_from_multibase(encode_multibase(b"\x80\x24" + compressed)) == key
