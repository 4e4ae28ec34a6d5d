"""OpenID4VCI JWT key proofs (issuer.wallet.proofs), signed here with joserfc: every key form a
wallet may use (did:key Ed25519 and P-256, did:jwk, a bare jwk) gives the holder DID MedCred
binds the credential to, and that DID resolves (verifier.did) to the same key; each malformed
proof is refused with the error code the specification names."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import ECKey, OKPKey

from issuer.wallet.errors import Oid4vciError
from issuer.wallet.proofs import verify_key_proof
from verifier.did import DidResolver
from verifier.multikey import encode_multibase
from verifier.public_keys import P256_PUB_PREFIX
from verifier.vc_jwt import REGISTRY

AUD = "https://credentials.example.org"
RESOLVER = DidResolver(allow_network=False)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def did_jwk(key: Any) -> str:
    public = {k: v for k, v in key.as_dict(private=False).items() if k in ("kty", "crv", "x", "y")}
    return "did:jwk:" + _b64(json.dumps(public, separators=(",", ":"), sort_keys=True).encode())


def did_key_p256(key: ECKey) -> str:
    public = key.as_dict(private=False)
    x, y = (base64.urlsafe_b64decode(public[c] + "==") for c in ("x", "y"))
    compressed = bytes([2 + (y[-1] & 1)]) + x
    return "did:key:" + encode_multibase(P256_PUB_PREFIX + compressed)


def did_key_ed25519(key: OKPKey) -> str:
    raw = base64.urlsafe_b64decode(key.as_dict(private=False)["x"] + "==")
    return "did:key:" + encode_multibase(b"\xed\x01" + raw)


def proof(key: Any, alg: str, header: dict[str, Any], **claims: Any) -> str:
    body = {"aud": AUD, "iat": int(time.time()), "nonce": "n-1", **claims}
    protected = {"alg": alg, "typ": "openid4vci-proof+jwt", **header}
    return jws.serialize_compact(protected, json.dumps(body).encode(), key, registry=REGISTRY)


def check(token: str, nonces: set[str] | None = None) -> str:
    live = {"n-1"} if nonces is None else nonces

    def spend(nonce: str) -> bool:
        if nonce in live:
            live.discard(nonce)
            return True
        return False

    return verify_key_proof(token, audience=AUD, spend_nonce=spend, resolver=RESOLVER).did


def test_every_key_form_gives_a_holder_did_that_resolves_to_the_signing_key() -> None:
    ed = OKPKey.generate_key("Ed25519")
    p256 = ECKey.generate_key("P-256")
    ed_key = did_key_ed25519(ed)
    assert check(proof(ed, "EdDSA", {"kid": f"{ed_key}#{ed_key[8:]}"})) == ed_key
    assert check(proof(ed, "EdDSA", {"kid": ed_key})) == ed_key  # a bare did:key names its one key
    p_key = did_key_p256(p256)
    assert check(proof(p256, "ES256", {"kid": f"{p_key}#{p_key[8:]}"})) == p_key
    for key, alg in ((ed, "EdDSA"), (p256, "ES256")):
        did = did_jwk(key)
        assert check(proof(key, alg, {"kid": f"{did}#0"})) == did
        assert check(proof(key, alg, {"jwk": key.as_dict(private=False)})) == did
        # the verifier resolves that DID to the same key (presentations signed by it bind)
        _document, method = RESOLVER.dereference(f"{did}#0")
        assert method.key.jwk == {k: v for k, v in key.as_dict(private=False).items() if k != "kid"}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"typ": "JWT"}, "invalid_proof"),
        ({"alg": "HS256"}, "invalid_proof"),
        ({"aud": "https://evil.example"}, "invalid_proof"),
        ({"iat": int(time.time()) + 3600}, "invalid_proof"),
        ({"iat": int(time.time()) - 3600}, "invalid_proof"),
        ({"iat": None}, "invalid_proof"),
        ({"nonce": None}, "invalid_nonce"),
        ({"nonce": "n-2"}, "invalid_nonce"),
        ({"private_jwk": True}, "invalid_proof"),
        ({"both": True}, "invalid_proof"),
        ({"kid": "did:web:example.org#key-1"}, "invalid_proof"),
        ({"es256_with_ed_key": True}, "invalid_proof"),
    ],
)
def test_malformed_proofs_are_refused_with_the_specified_code(change: dict[str, Any], code: str) -> None:
    ed = OKPKey.generate_key("Ed25519")
    did = did_key_ed25519(ed)
    header: dict[str, Any] = {"kid": f"{did}#{did[8:]}"}
    claims: dict[str, Any] = {}
    alg = "EdDSA"
    if "typ" in change:
        header["typ"] = change["typ"]
    if "kid" in change:
        header["kid"] = change["kid"]
    if change.get("private_jwk"):
        header = {"jwk": ed.as_dict(private=True)}
    if change.get("both"):
        header["jwk"] = ed.as_dict(private=False)
    for name in ("aud", "iat", "nonce"):
        if name in change:
            claims[name] = change[name]
    if change.get("alg") == "HS256" or change.get("es256_with_ed_key"):
        good = proof(ed, "EdDSA", header, **claims)
        head = json.loads(base64.urlsafe_b64decode(good.split(".")[0] + "=="))
        head["alg"] = "HS256" if change.get("alg") else "ES256"
        token = ".".join([_b64(json.dumps(head).encode()), *good.split(".")[1:]])
    else:
        token = proof(ed, alg, header, **claims)
    with pytest.raises(Oid4vciError) as raised:
        check(token)
    assert raised.value.code == code and raised.value.status == 400


def test_a_proof_signed_by_another_key_does_not_spend_the_nonce() -> None:
    ed, other = OKPKey.generate_key("Ed25519"), OKPKey.generate_key("Ed25519")
    did = did_key_ed25519(ed)
    header = {"kid": f"{did}#{did[8:]}"}
    good = proof(ed, "EdDSA", header)
    forged = proof(other, "EdDSA", header)
    nonces = {"n-1"}
    with pytest.raises(Oid4vciError) as raised:
        check(forged, nonces)
    assert raised.value.code == "invalid_proof" and nonces == {"n-1"}
    assert check(good, nonces) == did and nonces == set()
    with pytest.raises(Oid4vciError) as replay:  # the same proof again: its nonce is spent
        check(good, nonces)
    assert replay.value.code == "invalid_nonce"
