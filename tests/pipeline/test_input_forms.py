"""What users submit: a BOM before the JSON, duplicate member names, VC-JWTs, enveloped credentials;
as one file (`verify`) and in verify-batch arrays and JSONL."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import replace
from pathlib import Path

import pytest

from verifier.batch import iter_items, verify_stream
from verifier.config import load_config
from verifier.pipeline import Verifier
from verifier.report import INVALID, VALID, CheckStatus

from .world import Institution, World

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
FOREIGN = json.loads((VECTORS / "foreign" / "fixtures.json").read_text(encoding="utf-8"))
JWTS = {k: v for k, v in FOREIGN["credentials"].items() if isinstance(v, str)}
BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def did_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dids")
    for number, document in enumerate(FOREIGN["didDocuments"].values()):
        (folder / f"did{number}.json").write_text(json.dumps(document), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def anchored(world: World, institution: Institution) -> dict:
    (credential,) = world.issue_anchored(institution)
    return credential


def test_a_bom_before_a_genuine_credential_is_accepted(world: World, anchored: dict) -> None:
    verifier = Verifier(world.config())
    report = verifier.verify_bytes(BOM + json.dumps(anchored).encode())
    assert report.status == VALID, report.to_json()
    assert verifier.verify_bytes("\ufeff" + json.dumps(anchored)).status == VALID


def test_duplicate_member_names_are_refused(world: World, anchored: dict) -> None:
    text = json.dumps(anchored)
    # The page would show the last `name`, a person reading the file the first: refuse both readings.
    forged = text.replace('"name": "Dr Ada Okafor"', '"name": "Dr Ada Okafor", "name": "Dr Eve Mallory"', 1)
    assert forged != text
    report = Verifier(world.config()).verify_bytes(forged)
    assert report.status == INVALID
    assert report.check("parse").code == "duplicate_member"
    assert "'name' twice" in report.headline


def test_verify_batch_reads_a_bom_array_and_refuses_one_duplicate_item(
    world: World, institution: Institution, tmp_path: Path
) -> None:
    credentials = world.issue_anchored(institution, 3)
    text = json.dumps(credentials)
    # the second credential gets a duplicate `id` inside its achievement
    second = json.dumps(credentials[1])
    doubled = second.replace('"achievement": {', '"achievement": {"type": ["Achievement"], ', 1)
    assert doubled != second
    array = tmp_path / "submitted.json"
    array.write_bytes(BOM + text.replace(second, doubled).encode())
    lines = tmp_path / "submitted.jsonl"
    lines.write_bytes(BOM + b"\n".join(json.dumps(c).encode() for c in credentials) + b"\n")
    rows = list(verify_stream(iter_items([str(array), str(lines)]), world.config()))
    assert [r.status for r in rows] == [VALID, INVALID, VALID, VALID, VALID, VALID], [r.reason for r in rows]
    assert "'type' twice" in rows[1].reason


@pytest.mark.parametrize("name", sorted(JWTS))
def test_vc_jwt_signature_checked_in_the_pipeline(world: World, did_folder: Path, name: str) -> None:
    verifier = Verifier(world.config(did_web_folder=did_folder))
    report = verifier.verify_bytes(JWTS[name] + "\n")
    assert report.check("parse").status is CheckStatus.PASS
    assert report.check("signature").status is CheckStatus.PASS, report.to_json()
    assert report.summary.achievement == "Basic Life Support"
    assert report.summary.valid_until == "2035-03-01T09:00:00Z"
    # one changed character of the payload
    header, payload, signature = JWTS[name].split(".")
    claims = json.loads(_b64decode(payload))
    vc = claims.get("vc", claims)
    vc["credentialSubject"]["name"] = "Eve Example"
    tampered = ".".join([header, _b64encode(json.dumps(claims).encode()), signature])
    report = verifier.verify_bytes(tampered)
    assert report.status == INVALID
    assert report.check("signature").code == "signature_invalid"


def test_a_vc_jwt_as_a_json_string_and_through_the_vc_api(world: World, did_folder: Path) -> None:
    from verifier.web.app import create_app

    config = world.config(did_web_folder=did_folder)
    report = Verifier(config).verify_bytes(json.dumps(JWTS["vc-jwt_es256_vc2"]))
    assert report.check("signature").status is CheckStatus.PASS, report.to_json()
    client = create_app(config).test_client()
    answer = client.post("/credentials/verify", json={"verifiableCredential": JWTS["vc-jwt_eddsa_vc2"]})
    body = answer.get_json()
    assert "signature" in body["checks"], body  # issuer not trusted here, but the JWT's signature held


def test_vc_jwt_claims_must_agree_with_the_credential(world: World, did_folder: Path) -> None:
    header, payload, signature = JWTS["vc-jwt_es256_vc-claim"].split(".")
    claims = json.loads(_b64decode(payload))
    claims["iss"] = "did:web:elsewhere.example"
    token = ".".join([header, _b64encode(json.dumps(claims).encode()), signature])
    report = Verifier(world.config(did_web_folder=did_folder)).verify_bytes(token)
    assert report.status == INVALID
    assert report.check("parse").code == "jwt_claims_mismatch"


@pytest.mark.parametrize("alg", ["none", "HS256", "RS256"])
def test_vc_jwt_other_algorithms_are_refused(world: World, did_folder: Path, alg: str) -> None:
    header, payload, signature = JWTS["vc-jwt_eddsa_vc2"].split(".")
    forged_header = json.loads(_b64decode(header)) | {"alg": alg}
    token = ".".join([_b64encode(json.dumps(forged_header).encode()), payload, signature])
    report = Verifier(world.config(did_web_folder=did_folder)).verify_bytes(token)
    assert report.status == INVALID
    assert report.check("parse").code == "jwt_unsupported_algorithm"


def test_vc_jwt_signed_by_a_key_of_another_did_is_refused(world: World, did_folder: Path) -> None:
    # did:key issuer's token, relabelled as issued by the did:web issuer: the kid is not the issuer's
    header, payload, signature = JWTS["vc-jwt_eddsa_did-key"].split(".")
    claims = json.loads(_b64decode(payload))
    claims["iss"] = claims["vc"]["issuer"]["id"] = "did:web:badges.example.org"
    token = ".".join([header, _b64encode(json.dumps(claims).encode()), signature])
    report = Verifier(world.config(did_web_folder=did_folder)).verify_bytes(token)
    assert report.check("signature").code == "issuer_mismatch"


def test_enveloped_vc_jwt_is_opened(world: World, did_folder: Path) -> None:
    envelope = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "EnvelopedVerifiableCredential",
        "id": "data:application/vc+jwt," + JWTS["vc-jwt_es256_vc2"],
    }
    report = Verifier(world.config(did_web_folder=did_folder)).verify(envelope)
    assert report.check("signature").status is CheckStatus.PASS, report.to_json()
    broken = copy.deepcopy(envelope)
    broken["id"] = "data:application/vc+sd-jwt,abc"
    assert Verifier(world.config()).verify(broken).check("parse").code == "envelope_unsupported"


def test_verify_batch_reads_jwt_files_and_arrays_of_jwts(
    world: World, did_folder: Path, tmp_path: Path
) -> None:
    (tmp_path / "one.jwt").write_text(JWTS["vc-jwt_eddsa_vc2"] + "\n", encoding="utf-8")
    (tmp_path / "many.json").write_text(json.dumps(list(JWTS.values())), encoding="utf-8")
    rows = list(verify_stream(iter_items([str(tmp_path)]), world.config(did_web_folder=did_folder)))
    assert len(rows) == 1 + len(JWTS)
    # not anchored and not trusted otherwise, but every signature held
    assert all("signature:" not in " ".join(r.failed) for r in rows), [r.failed for r in rows]


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize("name", sorted(FOREIGN["credentials"]))
def test_foreign_credentials_from_trusted_issuers_are_valid(
    world: World, did_folder: Path, tmp_path: Path, name: str
) -> None:
    """Signed by the reference JS libraries (VC 2.0 and VC 1.1 data models, every proof format and
    key form), issuers on no registry but named in [[trusted_issuer]]: VALID, every check passed."""
    toml = tmp_path / "verifier.toml"
    toml.write_text(
        "".join(
            f'[[trusted_issuer]]\ndid = "{did}"\nname = "Example School"\n' for did in FOREIGN["didDocuments"]
        )
    )
    loaded = load_config(toml)
    config = replace(world.config(did_web_folder=did_folder), trusted_issuers=loaded.trusted_issuers)
    credential = FOREIGN["credentials"][name]
    data = credential if isinstance(credential, str) else json.dumps(credential)
    report = Verifier(config).verify_bytes(data)
    assert report.status == VALID, report.to_json()
    for check in ("parse", "schema", "issuer", "signature", "validity"):
        assert report.check(check).status is CheckStatus.PASS, (check, report.to_json())
    assert report.summary.valid_until == "2035-03-01T09:00:00Z"
    assert report.summary.trust and "trusted" in report.summary.trust


def test_an_expired_vc1_credential_is_expired(world: World, did_folder: Path) -> None:
    credential = copy.deepcopy(FOREIGN["credentials"]["ed25519-signature-2020_did-key"])
    credential["expirationDate"] = "2025-04-01T00:00:00Z"  # also breaks the signature, as it should
    report = Verifier(world.config(did_web_folder=did_folder)).verify(credential)
    assert report.check("validity").code == "expired"
    assert report.check("signature").code == "signature_invalid"
