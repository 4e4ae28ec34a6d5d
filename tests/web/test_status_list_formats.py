"""A status list served both ways by content negotiation: Data Integrity (JSON, the default) and
VC-JWT (`Accept: application/vc+jwt` or `application/jwt`), the bits identical; the JWT checked by
MedCred's verifier and by an independent JOSE implementation (npm `jose`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest

from verifier.data_integrity import verify_proofs
from verifier.did import DidResolver
from verifier.status_list import status_bit
from verifier.vc_jwt import decode, verify

REPO = Path(__file__).resolve().parents[2]
JOSE_VERIFY = """
import * as jose from 'jose';
let input = '';
for await (const chunk of process.stdin) input += chunk;
const {token, jwk} = JSON.parse(input);
const key = await jose.importJWK(jwk, 'EdDSA');
const {payload, protectedHeader} = await jose.compactVerify(token, key);
const claims = JSON.parse(new TextDecoder().decode(payload));
console.log(JSON.stringify({header: protectedHeader, payload: claims}));
"""


@pytest.fixture(scope="module")
def listed(world) -> tuple[str, dict]:
    uuid = world.issue("status-forms@example.org", "Stella Forms")
    document = world.service.credential_document(uuid)
    return uuid, document["credentialStatus"]


def test_json_by_default_and_jwt_when_asked(world, client, listed) -> None:
    _, entry = listed
    path = urlparse(entry["statusListCredential"]).path
    plain = client.get(path)
    assert plain.status_code == 200
    assert plain.mimetype == "application/json"
    assert "Accept" in plain.headers["Vary"]
    assert verify_proofs(plain.get_json(), resolver=DidResolver(allow_network=False)).verified

    for accept, media_type in (
        ("application/vc+jwt", "application/vc+jwt"),
        ("application/jwt", "application/jwt"),
        ("application/vc+jwt, application/json;q=0.5", "application/vc+jwt"),
    ):
        response = client.get(path, headers={"Accept": accept})
        assert response.status_code == 200
        assert response.mimetype == media_type
        token = response.get_data(as_text=True)
        decoded = decode(token)
        assert decoded.header["typ"] == "vc+jwt"
        assert verify(decoded, resolver=DidResolver(allow_network=False)).verified
        # the same list: same id, issuer and bits
        same = {k: v for k, v in plain.get_json().items() if k != "proof"}
        assert decoded.credential == same

    assert client.get(path, headers={"Accept": "text/html"}).mimetype == "application/json"


def test_the_jwt_list_follows_a_revocation(world, client, listed) -> None:
    uuid, entry = listed
    path = urlparse(entry["statusListCredential"]).path
    jwt_before = decode(client.get(path, headers={"Accept": "application/vc+jwt"}).get_data(as_text=True))
    assert status_bit(entry, jwt_before.credential) is False
    world.service.revoke(uuid, "issued-in-error", institution="sim")
    jwt_after = decode(client.get(path, headers={"Accept": "application/vc+jwt"}).get_data(as_text=True))
    assert status_bit(entry, jwt_after.credential) is True
    assert status_bit(entry, client.get(path).get_json()) is True


def test_an_independent_jose_library_verifies_the_jwt_list(client, listed) -> None:
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "jose").is_dir():
        pytest.skip("Node.js with npm's jose (package.json) is needed")
    _, entry = listed
    path = urlparse(entry["statusListCredential"]).path
    token = client.get(path, headers={"Accept": "application/jwt"}).get_data(as_text=True)
    decoded = decode(token)
    resolver = DidResolver(allow_network=False)
    _, method = resolver.dereference(decoded.header["kid"])
    done = subprocess.run(
        [node, "--input-type=module", "-e", JOSE_VERIFY],
        input=json.dumps({"token": token, "jwk": method.key.jwk}),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["header"]["kid"] == decoded.header["kid"]
    assert result["payload"]["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    # and it refuses the same token with one signature byte changed
    head, payload, signature = token.split(".")
    forged = f"{head}.{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    refused = subprocess.run(
        [node, "--input-type=module", "-e", JOSE_VERIFY],
        input=json.dumps({"token": forged, "jwk": method.key.jwk}),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert refused.returncode != 0
