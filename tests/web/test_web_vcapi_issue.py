"""W3C VC API `POST /credentials/issue` with full Open Badges 3.0 credentials: any subject (an id),
the achievement inline or from the catalog, per-credential data, eddsa-jcs-2022 on request; a
malformed @context, type or issuer is a 400 that says why, never replaced."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest
from jsonschema import Draft201909Validator
from web_fixtures import WebWorld

from verifier.data_integrity import verify_proofs
from verifier.pipeline import Verifier
from verifier.resources import schemas_dir

VC = "https://www.w3.org/ns/credentials/v2"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
HOLDER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
INLINE = {
    "id": "https://hospital.example/courses/neonatal-transport-3",
    "type": ["Achievement"],
    "name": "Neonatal Transport Module 3",
    "description": "Stabilisation and transport of the sick newborn.",
    "criteria": {"narrative": "Completed the module and the simulated transfer."},
    "achievementType": "Course",
    "creditsAvailable": 4,
    "resultDescription": [
        {
            "id": "https://hospital.example/courses/neonatal-transport-3#exam",
            "type": ["ResultDescription"],
            "name": "Written exam",
            "resultType": "Percent",
            "requiredValue": "75",
        }
    ],
}


def credential(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": [VC, OB],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "validFrom": "2026-05-04T09:00:00Z",
        "credentialSubject": {
            "id": HOLDER,
            "type": ["AchievementSubject"],
            "name": "Noor Haddad",
            "creditsEarned": 4,
            "result": [
                {
                    "type": ["Result"],
                    "resultDescription": "https://hospital.example/courses/neonatal-transport-3#exam",
                    "value": "82",
                }
            ],
            "achievement": copy.deepcopy(INLINE),
        },
        "evidence": [
            {"id": "https://lms.hospital.example/e/77", "type": ["Evidence"], "narrative": "Transfer log."}
        ],
    }
    document.update(changes)
    return document


@pytest.fixture(scope="module")
def obv3() -> Draft201909Validator:
    schema = json.loads((schemas_dir() / "obv3" / "ob_v3p0_achievementcredential_schema.json").read_text())
    return Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)


def issue(world: WebWorld, client, body: dict[str, Any], **headers: str):
    return client.post("/credentials/issue", json=body, headers={**world.auth("issue"), **headers})


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_a_full_credential_with_a_subject_id_is_issued_as_given(
    world: WebWorld, client, obv3, suite: str
) -> None:
    body = {"credential": credential(), "options": {"cryptosuite": suite, "allowDuplicate": True}}
    response = issue(world, client, body)
    assert response.status_code == 201, response.text
    issued = response.get_json()["verifiableCredential"]
    assert not list(obv3.iter_errors(issued))
    assert issued["issuer"]["id"] == world.service.get_institution("sim").did
    assert (
        issued["id"].startswith("http://medcred.test/credentials/")
        and issued["credentialStatus"]["statusListIndex"]
    )
    subject = issued["credentialSubject"]
    assert subject["id"] == HOLDER and subject["achievement"] == INLINE and subject["creditsEarned"] == 4
    assert issued["evidence"][0]["narrative"] == "Transfer log."
    assert [p["cryptosuite"] for p in issued["proof"]] == [suite]
    assert verify_proofs(issued).verified
    world.service.anchor_now("sim")
    anchored = world.service.get_credential(issued["id"]).document
    assert anchored["proof"][0] == issued["proof"][0] and not list(obv3.iter_errors(anchored))
    report = Verifier(world.verifier_config).verify(anchored)
    assert report.status == "VALID", [c for c in report.checks if c.status.name != "PASS"]


def test_catalog_achievements_by_id_and_the_email_is_hashed(world: WebWorld, client) -> None:
    created = client.post(
        "/api/v1/institutions/sim/achievements",
        json={"starter": "bls", "achievement": {"name": "BLS Provider (hospital course)"}},
        headers=world.auth("admin"),
    ).get_json()
    subject = {"type": ["AchievementSubject"], "email": "Vc.Api@Example.org", "achievement": created["url"]}
    response = issue(world, client, {"credential": credential(credentialSubject=subject)})
    assert response.status_code == 201, response.text
    issued = response.get_json()["verifiableCredential"]
    assert issued["credentialSubject"]["achievement"] == created["achievement"]
    assert "vc.api@example.org" not in json.dumps(issued).lower()
    assert issued["validUntil"] == "2028-05-04T09:00:00Z"  # the starter's P2Y
    by_object = {**subject, "email": "other@example.org", "achievement": {"id": created["url"]}}
    assert issue(world, client, {"credential": credential(credentialSubject=by_object)}).status_code == 201
    by_option = {"type": ["AchievementSubject"], "email": "third@example.org"}
    answer = issue(
        world,
        client,
        {"credential": credential(credentialSubject=by_option), "options": {"achievement": created["id"]}},
    )
    assert answer.status_code == 201
    changed = {
        **subject,
        "email": "fourth@example.org",
        "achievement": {**created["achievement"], "name": "Other"},
    }
    refused = issue(world, client, {"credential": credential(credentialSubject=changed)})
    assert refused.status_code == 400 and "differs from that catalog version" in refused.get_json()["detail"]
    again = issue(world, client, {"credential": credential(credentialSubject=subject)})
    assert again.status_code == 409 and again.get_json()["type"].endswith(":duplicate")
    # The credentials already held, in a member of their own: `errors` is for roster rows only (the
    # documented RowError shape; schemathesis found the ids there).
    duplicates = again.get_json()["duplicates"]
    assert duplicates and all(isinstance(d, str) for d in duplicates) and "errors" not in again.get_json()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"@context": [VC]}, "Open Badges 3.0 context"),
        ({"@context": [OB, VC]}, "must start with https://www.w3.org/ns/credentials/v2"),
        ({"@context": VC}, "must be a list"),
        ({"@context": [VC, OB, "https://evil.example/context.jsonld"]}, "not one MedCred bundles"),
        ({"@context": [VC, OB, {"@vocab": "https://evil.example/#"}]}, "inline contexts are refused"),
        ({"type": ["VerifiableCredential"]}, "OpenBadgeCredential"),
        ({"type": "OpenBadgeCredential"}, "must be a list"),
        ({"issuer": "did:key:z6MkforeignIssuerDid"}, "must be this institution's DID"),
        ({"issuer": {"id": "DID", "name": "Forged Name"}}, "'issuer.name' cannot be set"),
        ({"id": "urn:uuid:" + str(uuid.uuid4())}, "'credential.id' is assigned"),
        (
            {"credentialStatus": {"type": "BitstringStatusListEntry"}},
            "'credential.credentialStatus' is assigned",
        ),
        ({"proof": [{"type": "DataIntegrityProof"}]}, "'credential.proof' is assigned"),
        ({"colour": "red"}, "colour"),
        ({"validFrom": "next tuesday"}, "validFrom"),
        ({"validUntil": "2020-01-01"}, "validUntil must be after validFrom"),
    ],
)
def test_malformed_credentials_are_refused_with_the_reason(world: WebWorld, client, changes, reason) -> None:
    if changes.get("issuer") == {"id": "DID", "name": "Forged Name"}:
        changes = {"issuer": {"id": world.service.get_institution("sim").did, "name": "Forged Name"}}
    before = world.snapshot()
    response = issue(world, client, {"credential": credential(**changes)})
    assert response.status_code == 400, response.text
    assert reason in response.get_json()["detail"], response.get_json()["detail"]
    assert world.snapshot() == before


def test_schema_and_subject_errors(world: WebWorld, client) -> None:
    bad_credits = credential()
    bad_credits["credentialSubject"]["creditsEarned"] = "four"
    response = issue(world, client, {"credential": bad_credits})
    assert response.status_code == 400 and "Open Badges 3.0" in response.get_json()["detail"]
    nobody = credential()
    del nobody["credentialSubject"]["id"]
    assert "Name the recipient" in issue(world, client, {"credential": nobody}).get_json()["detail"]
    neither = credential()
    del neither["credentialSubject"]["achievement"]
    assert "Give the achievement" in issue(world, client, {"credential": neither}).get_json()["detail"]
    assert (
        issue(
            world, client, {"credential": credential(), "options": {"cryptosuite": "ecdsa-rdfc-2019"}}
        ).status_code
        == 400
    )


def test_a_retried_vc_api_issue_returns_the_first_answer(world: WebWorld, client) -> None:
    body = {"credential": credential(), "options": {"allowDuplicate": True}}
    key = str(uuid.uuid4())
    first = issue(world, client, body, **{"Idempotency-Key": key})
    again = issue(world, client, body, **{"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    jcs = {"allowDuplicate": True, "cryptosuite": "eddsa-jcs-2022"}
    other = issue(world, client, {**body, "options": jcs}, **{"Idempotency-Key": key})
    assert other.status_code == 422


def test_an_unanchorable_credential_is_refused_and_anchoring_goes_on(world: WebWorld, client) -> None:
    """Anchoring commits to the credential's JCS form (RFC 8785), which has no number past 2^53:
    such a credential, once stored, had stopped its institution's anchoring (schemathesis found it
    through the API). It is refused before anything is stored, and anchoring goes on."""
    document = credential()
    document["credentialSubject"]["creditsEarned"] = 10**30
    before = world.snapshot()
    response = issue(world, client, {"credential": document, "options": {"allowDuplicate": True}})
    assert response.status_code == 400, response.text
    assert "cannot be anchored" in response.get_json()["detail"]
    assert world.snapshot() == before
    issued = issue(world, client, {"credential": credential(), "options": {"allowDuplicate": True}})
    assert issued.status_code == 201, issued.text
    world.service.anchor_now("sim")
    assert world.service.get_credential(issued.get_json()["verifiableCredential"]["id"]).state == "anchored"
