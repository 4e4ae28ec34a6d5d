"""Every template builds a credential that passes the 1EdTech schema and verifies, with both suites."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from anchor_support import anchor_data

from credentials.helpers import FIXED_TIME
from issuer.anchor_proof import AnchorInfo, attach_anchor_proofs
from issuer.credential_builder import OBV3_SCHEMA_URL, Recipient, achievement_id_for
from issuer.merkle_tree import build_tree
from issuer.templates import (
    TemplateError,
    add_duration,
    list_templates,
    load_template,
    load_template_file,
    template_from_data,
)
from verifier.canonicalize import rdfc
from verifier.data_integrity import verify_proofs
from verifier.identity import identity_hash, recipient_matches
from verifier.merkle import check_inclusion

SLUGS = ["acls", "bls", "cpd", "nrp", "pals", "pediatric-assessment"]
SUITES = ["eddsa-rdfc-2022", "eddsa-jcs-2022"]
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def test_bundled_templates() -> None:
    templates = list_templates()
    assert sorted(templates) == SLUGS
    assert templates["acls"].validity == "P2Y"
    assert templates["cpd"].validity is None
    assert templates["cpd"].data["achievement"]["creditsAvailable"] == 3
    for template in templates.values():
        assert template.data["achievement"]["alignment"]


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("suite", SUITES)
def test_template_credential_valid_and_verifies(slug, suite, issuer, obv3_validator) -> None:
    credential = issuer.build(slug)
    errors = list(obv3_validator.iter_errors(credential))
    assert not errors, errors[0].message
    signed = issuer.sign(credential, cryptosuite=suite)
    assert isinstance(signed["proof"], list) and len(signed["proof"]) == 1
    errors = list(obv3_validator.iter_errors(signed))
    assert not errors, errors[0].message
    result = verify_proofs(signed)
    assert result.verified, result.message
    assert result.proofs[0].cryptosuite == suite


def test_anchored_batch_validates_and_verifies(issuer, obv3_validator) -> None:
    batch = [issuer.sign(issuer.build(slug), cryptosuite=suite) for slug in SLUGS for suite in SUITES]
    tree = build_tree(batch)
    anchor = AnchorInfo(31337, REGISTRY.lower(), tree.root, "0x" + "ab" * 32, 7, FIXED_TIME)
    anchored = attach_anchor_proofs(batch, tree, anchor)
    for index, credential in enumerate(anchored):
        assert isinstance(credential["proof"], list) and len(credential["proof"]) == 2
        anchor_proof = credential["proof"][1]
        assert anchor_proof["previousProof"] == credential["proof"][0]["id"]
        assert anchor_data(anchor_proof)["registry"] == REGISTRY
        assert anchor_data(anchor_proof)["leafIndex"] == index
        assert "@context" not in anchor_proof
        assert credential["@context"] == batch[index]["@context"]
        assert not list(obv3_validator.iter_errors(credential))
        assert verify_proofs(credential).verified
        inclusion = check_inclusion(credential)
        assert inclusion.included, inclusion.message


def test_credential_shape(issuer) -> None:
    credential = issuer.build("acls", recipient=Recipient(" Jane.Doe@Example.ORG ", salt="s4lt"))
    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"].startswith("urn:uuid:")
    assert credential["issuer"] == {
        "id": issuer.did,
        "type": ["Profile"],
        "name": "St Elsewhere Simulation Centre",
        "url": "https://sim.example.org",
        "email": "registrar@sim.example.org",
    }
    assert credential["name"] == "Advanced Cardiac Life Support (ACLS) Provider"
    assert credential["validFrom"] == "2025-03-01T09:30:00Z"
    assert credential["validUntil"] == "2027-03-01T09:30:00Z"
    subject = credential["credentialSubject"]
    assert "name" not in subject
    assert subject["identifier"] == [
        {
            "type": "IdentityObject",
            "identityHash": identity_hash("jane.doe@example.org", "s4lt"),
            "identityType": "emailAddress",
            "hashed": True,
            "salt": "s4lt",
        }
    ]
    assert subject["achievement"]["id"] == achievement_id_for(issuer.did, "acls")
    assert credential["credentialSchema"] == [{"id": OBV3_SCHEMA_URL, "type": "JsonSchema"}]
    assert recipient_matches(credential, "jane.doe@example.org")
    assert recipient_matches(credential, "JANE.DOE@EXAMPLE.ORG")
    assert not recipient_matches(credential, "john.doe@example.org")
    assert "Jane" not in json.dumps(credential)


def test_credential_options(issuer) -> None:
    status = {
        "id": "https://sim.example.org/status/3#41",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "41",
        "statusListCredential": "https://sim.example.org/status/3",
    }
    credential = issuer.build("cpd", base_url="https://sim.example.org/", credential_status=status)
    assert credential["id"].startswith("https://sim.example.org/credentials/")
    assert credential["credentialSubject"]["achievement"]["id"] == "https://sim.example.org/achievements/cpd"
    assert credential["credentialSubject"]["name"] == "Jane Doe"
    assert "validUntil" not in credential
    assert credential["credentialStatus"] == status
    assert verify_proofs(issuer.sign(credential)).verified
    assert rdfc(credential)


def test_random_salt(issuer) -> None:
    first = issuer.build(recipient=Recipient("a@b.org"))["credentialSubject"]["identifier"][0]
    second = issuer.build(recipient=Recipient("a@b.org"))["credentialSubject"]["identifier"][0]
    assert first["salt"] != second["salt"] and len(first["salt"]) == 32
    assert first["identityHash"] != second["identityHash"]


@pytest.mark.parametrize("email", ["", "not-an-address", "a b@c.org"])
def test_bad_email(issuer, email) -> None:
    with pytest.raises(Exception, match="e-mail"):
        issuer.build(recipient=Recipient(email))


def test_naive_valid_from(issuer) -> None:
    with pytest.raises(Exception, match="time zone"):
        issuer.build(valid_from=datetime(2025, 1, 1))


def test_identity_hash_matches_obv3_example() -> None:
    """OBv3's own example: 'a@example.com' salted with 'Kosher'."""
    assert identity_hash("a@example.com", "Kosher") == (
        "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
    )


@pytest.mark.parametrize(
    ("start", "duration", "end"),
    [
        (datetime(2024, 2, 29, tzinfo=UTC), "P1Y", datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2025, 1, 31, tzinfo=UTC), "P1M", datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2025, 11, 15, tzinfo=UTC), "P2M", datetime(2026, 1, 15, tzinfo=UTC)),
        (datetime(2025, 1, 1, tzinfo=UTC), "P2Y", datetime(2027, 1, 1, tzinfo=UTC)),
        (datetime(2025, 1, 1, tzinfo=UTC), "P1Y6M2W3D", datetime(2026, 7, 18, tzinfo=UTC)),
        (datetime(2025, 1, 1, tzinfo=UTC), "P90D", datetime(2025, 4, 1, tzinfo=UTC)),
    ],
)
def test_add_duration(start, duration, end) -> None:
    assert add_duration(start, duration) == end


@pytest.mark.parametrize("duration", ["P", "2Y", "P1H", "PT1H", "P-1Y", "P1.5Y"])
def test_bad_duration(duration) -> None:
    with pytest.raises(TemplateError):
        add_duration(datetime(2025, 1, 1, tzinfo=UTC), duration)


def _template(**changes):
    data = json.loads(json.dumps(list_templates()["bls"].data))
    data.update(changes)
    return data


def test_custom_template_folder(tmp_path, issuer) -> None:
    data = _template(slug="ils", validity="P1Y")
    data["achievement"]["name"] = "Immediate Life Support"
    (tmp_path / "ils.json").write_text(json.dumps(data), encoding="utf-8")
    templates = list_templates(tmp_path)
    assert "ils" in templates and "acls" in templates
    template = load_template("ils", tmp_path)
    assert template.name == "Immediate Life Support"
    assert load_template("acls", tmp_path).slug == "acls"
    assert template.valid_until(FIXED_TIME) == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda d: d["achievement"].pop("criteria"), "criteria"),
        (lambda d: d["achievement"].__setitem__("achievementType", "Diplomat"), "achievementType"),
        (lambda d: d["achievement"].__setitem__("undefinedTerm", "x"), "undefinedTerm"),
        (lambda d: d.__setitem__("validity", "two years"), "validity"),
        (lambda d: d["achievement"]["alignment"][0].pop("targetUrl"), "alignment/0"),
        (lambda d: d["achievement"].__setitem__("creditsAvailable", "3"), "creditsAvailable"),
    ],
)
def test_invalid_templates(change, fragment) -> None:
    data = _template()
    change(data)
    with pytest.raises(TemplateError, match=fragment):
        template_from_data(data)


def test_template_slug_must_match_file(tmp_path) -> None:
    (tmp_path / "other.json").write_text(json.dumps(_template()), encoding="utf-8")
    with pytest.raises(TemplateError, match="file name"):
        load_template_file(tmp_path / "other.json")


def test_template_not_found_and_not_json(tmp_path) -> None:
    with pytest.raises(TemplateError, match="no template named 'nope'"):
        load_template("nope")
    with pytest.raises(TemplateError, match="not a template name"):
        load_template("../etc/passwd")
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(TemplateError, match="not valid JSON"):
        load_template_file(tmp_path / "bad.json")
