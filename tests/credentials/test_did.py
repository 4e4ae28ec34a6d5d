"""DID resolution: did:key offline, did:web over (stubbed) HTTPS and from a local folder."""

from __future__ import annotations

import json

import pytest

from credentials.helpers import FIXED_TIME, Issuer
from issuer.credential_builder import IssuerProfile
from issuer.keys import Ed25519KeyPair, did_key_document, did_web_document, did_web_for
from verifier.data_integrity import verify_proofs
from verifier.did import DidResolutionError, DidResolver, did_web_url
from verifier.multikey import key_fingerprint

KEY = Ed25519KeyPair.from_seed(bytes(range(7, 39)))


def test_did_key_document() -> None:
    did = "did:key:" + KEY.public_key_multibase
    document = DidResolver().resolve(did)
    method_id = f"{did}#{KEY.public_key_multibase}"
    assert document.authorizes(method_id)
    assert document.verification_method(method_id).public_key == KEY.public_key
    assert did_key_document(did)["assertionMethod"] == [method_id]


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:example.org", "https://example.org/.well-known/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
        ("did:web:example.com%3A3000", "https://example.com:3000/.well-known/did.json"),
    ],
)
def test_did_web_url(did, url) -> None:
    assert did_web_url(did) == url


@pytest.mark.parametrize(
    "did",
    ["did:web:", "did:web:exa mple.org", "did:web:example.org::x", "did:web:example.org:..", "did:key:x"],
)
def test_bad_did_web(did) -> None:
    with pytest.raises(DidResolutionError):
        did_web_url(did)


def test_did_web_for() -> None:
    assert did_web_for("Hospital.Example.org") == "did:web:hospital.example.org"
    assert did_web_for("localhost:8000", ["issuers", "sim"]) == "did:web:localhost%3A8000:issuers:sim"


def _web_issuer(did: str) -> tuple[Issuer, dict]:
    issuer = Issuer(KEY.seed, "Web Hospital")
    issuer.did = did
    issuer.method = f"{did}#key-1"
    issuer.profile = IssuerProfile(did, "Web Hospital")
    document = did_web_document(did, [("key-1", KEY.public_key_multibase)])
    return issuer, document


def test_did_web_from_folder(tmp_path) -> None:
    issuer, document = _web_issuer("did:web:hospital.example.org")
    folder = tmp_path / "dids" / "hospital.example.org"
    folder.mkdir(parents=True)
    (folder / "did.json").write_text(json.dumps(document), encoding="utf-8")
    (tmp_path / "dids" / "junk.json").write_text("{", encoding="utf-8")
    resolver = DidResolver(did_web_folder=tmp_path / "dids", allow_network=False)
    signed = issuer.sign(issuer.build("pals"))
    result = verify_proofs(signed, resolver=resolver)
    assert result.verified, result.message
    offline = verify_proofs(signed, resolver=DidResolver(allow_network=False))
    assert offline.code == "did_unresolvable"


def test_did_web_over_https_stub() -> None:
    issuer, document = _web_issuer("did:web:hospital.example.org:issuers:sim")
    calls = []

    def fetch(url: str, timeout: float, max_bytes: int) -> bytes:
        calls.append((url, timeout, max_bytes))
        return json.dumps(document).encode()

    resolver = DidResolver(http_get=fetch, timeout=2.5, max_bytes=10_000)
    signed = issuer.sign(issuer.build("bls"), created=FIXED_TIME)
    assert verify_proofs(signed, resolver=resolver).verified
    assert verify_proofs(signed, resolver=resolver).verified
    assert calls == [("https://hospital.example.org/issuers/sim/did.json", 2.5, 10_000)]  # cached


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"not json", "did_invalid"),
        (b"[]", "did_invalid"),
        (json.dumps({"id": "did:web:elsewhere.example"}).encode(), "did_invalid"),
        (b" " * 300, "did_too_large"),
    ],
)
def test_did_web_bad_documents(body, code) -> None:
    resolver = DidResolver(http_get=lambda url, timeout, limit: body, max_bytes=200)
    with pytest.raises(DidResolutionError) as caught:
        resolver.resolve("did:web:hospital.example.org")
    assert caught.value.code == code


def test_did_web_key_not_authorized() -> None:
    issuer, document = _web_issuer("did:web:hospital.example.org")
    document["assertionMethod"] = []
    resolver = DidResolver(http_get=lambda url, timeout, limit: json.dumps(document).encode())
    result = verify_proofs(issuer.sign(issuer.build("bls")), resolver=resolver)
    assert result.code == "verification_method_not_authorized"


def test_did_web_controller_mismatch() -> None:
    issuer, document = _web_issuer("did:web:hospital.example.org")
    document["verificationMethod"][0]["controller"] = "did:web:evil.example"
    resolver = DidResolver(http_get=lambda url, timeout, limit: json.dumps(document).encode())
    result = verify_proofs(issuer.sign(issuer.build("bls")), resolver=resolver)
    assert result.code == "issuer_mismatch"


def test_did_web_unreachable() -> None:
    def fail(url, timeout, limit):
        raise DidResolutionError(f"{url} could not be fetched: ConnectTimeout.")

    issuer, _ = _web_issuer("did:web:hospital.example.org")
    result = verify_proofs(issuer.sign(issuer.build("bls")), resolver=DidResolver(http_get=fail))
    assert result.code == "did_unresolvable"
    assert "could not be fetched" in result.message


def test_key_fingerprint() -> None:
    from eth_utils import keccak

    assert key_fingerprint(KEY.public_key_multibase) == keccak(text=KEY.public_key_multibase)
    assert KEY.fingerprint == key_fingerprint(KEY.public_key_multibase)
    assert len(KEY.fingerprint) == 32
