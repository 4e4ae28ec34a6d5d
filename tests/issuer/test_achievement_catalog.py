"""The achievement catalog and per-credential data, on SQLite and PostgreSQL (the migration runs on both).

An institution defines its own achievement (from a starter or from scratch), issues it with
credits, a result, evidence, activity dates, validUntil and a registration number, edits it (a new
version; earlier credentials keep theirs), retires it; duplicates are flagged; rosters with
common headers work and unknown columns are refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from issuer_testlib import make_config
from jsonschema import Draft201909Validator

from issuer.service import DuplicateError, IssuerService, RosterError
from issuer.storage.errors import ConflictError, ForbiddenError
from verifier.data_integrity import verify_proofs
from verifier.errors import InputError
from verifier.resources import schemas_dir
from verifier.settings import Settings

SEDATION = {
    "achievement": {
        "type": ["Achievement"],
        "name": "Paediatric Sedation Workshop",
        "description": "Safe procedural sedation of children: pre-sedation assessment, drugs, monitoring.",
        "criteria": {
            "narrative": "Attended the one-day workshop and passed the written test (70 % or more)."
        },
        "achievementType": "Course",
        "creditsAvailable": 6,
        "fieldOfStudy": "Paediatrics",
        "humanCode": "PSW-1",
        "tag": ["CPD", "sedation"],
        "inLanguage": "en-GB",
        "resultDescription": [
            {
                "type": ["ResultDescription"],
                "name": "Written test",
                "resultType": "Percent",
                "valueMin": "0",
                "valueMax": "100",
                "requiredValue": "70",
            },
            {"type": ["ResultDescription"], "name": "Simulation", "resultType": "Status"},
        ],
    },
    "validity": "P3Y",
}


@pytest.fixture
def catalog_service(memory_settings: Settings, database_url: str) -> Iterator[IssuerService]:
    service = IssuerService(make_config(memory_settings, database_url))
    service.create_institution("Children's Hospital", slug="kids")
    service.create_institution("Other Hospital", slug="other")
    yield service
    service.close()


@pytest.fixture(scope="module")
def obv3() -> Draft201909Validator:
    schema = json.loads((schemas_dir() / "obv3" / "ob_v3p0_achievementcredential_schema.json").read_text())
    return Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)


def test_define_issue_with_details_edit_and_retire(catalog_service: IssuerService, obv3) -> None:
    service = catalog_service
    created = service.create_achievement("kids", SEDATION)
    assert created.version == 1 and created.state == "active"
    assert created.url == f"{service.config.public_base_url}/achievements/{created.id}"
    issued = service.issue(
        "kids",
        None,
        "nurse@example.org",
        achievement=created.url,
        given_name="Aoife",
        family_name="Byrne",
        valid_from="2026-03-01",
        credits="5.5",
        results=["Written test=88%", "Simulation=pass"],
        evidence_urls=["https://lms.example.org/portfolio/123"],
        evidence_narrative="Led the sedation of a simulated 4-year-old.",
        activity_start="2026-02-28",
        activity_end="2026-03-01",
        identifier="1234567",
        identifier_type="ext:NMCPin",
    )
    document = issued.document
    assert not list(obv3.iter_errors(document))
    assert verify_proofs(document).verified
    subject = document["credentialSubject"]
    assert subject["name"] == "Aoife Byrne"
    assert subject["creditsEarned"] == 5.5
    achievement = subject["achievement"]
    assert achievement == created.document and achievement["id"] == created.url
    written, simulation = achievement["resultDescription"]
    assert subject["result"] == [
        {"type": ["Result"], "resultDescription": written["id"], "value": "88"},
        {"type": ["Result"], "resultDescription": simulation["id"], "status": "Completed"},
    ]
    assert document["evidence"] == [
        {
            "id": "https://lms.example.org/portfolio/123",
            "type": ["Evidence"],
            "narrative": "Led the sedation of a simulated 4-year-old.",
        }
    ]
    assert subject["activityStartDate"] == "2026-02-28T00:00:00Z"
    assert subject["activityEndDate"] == "2026-03-01T00:00:00Z"
    assert {
        "type": "IdentityObject",
        "identityHash": "1234567",
        "identityType": "ext:NMCPin",
        "hashed": False,
    } in (subject["identifier"])
    assert document["validUntil"] == "2029-03-01T00:00:00Z"  # validFrom + P3Y
    record = service.get_credential(issued.id)
    assert record.achievement_id == created.id and record.template == "catalog"

    # An edit is a new version; the credential keeps version 1, which keeps being served.
    edited = json.loads(json.dumps(SEDATION))
    edited["achievement"]["creditsAvailable"] = 7
    v2 = service.new_achievement_version(created.id, edited)
    assert (v2.version, v2.series_id, v2.document["version"]) == (2, created.id, "2")
    assert v2.id != created.id
    v1 = service.get_achievement(created.id)
    assert v1.state == "superseded" and v1.document == created.document and v1.used == 1
    assert v1.current_id == v2.id
    assert (
        service.get_credential(issued.id).document["credentialSubject"]["achievement"]["creditsAvailable"]
        == 6
    )
    with pytest.raises(ConflictError, match="version 2"):
        service.issue("kids", None, "other@example.org", achievement=created.id)
    later = service.issue("kids", None, "other@example.org", achievement=v2.id, credits=7)
    assert later.document["credentialSubject"]["achievement"]["version"] == "2"
    assert [a.id for a in service.list_achievements("kids")] == [v2.id]

    # Another institution can neither edit nor issue it.
    with pytest.raises(ForbiddenError):
        service.issue("other", None, "x@example.org", achievement=v2.id)
    with pytest.raises(ForbiddenError):
        service.new_achievement_version(v2.id, edited, institution="other")

    retired = service.retire_achievement(v2.id)
    assert retired.state == "retired"
    with pytest.raises(ConflictError, match="retired"):
        service.issue("kids", None, "y@example.org", achievement=v2.id)
    assert verify_proofs(service.get_credential(later.id).document).verified


def test_per_credential_data_is_checked_against_the_achievement(catalog_service: IssuerService) -> None:
    service = catalog_service
    aid = service.create_achievement("kids", SEDATION).id
    cases = [
        ({"credits": "7"}, "more than the 6"),
        ({"results": ["Written test=64"]}, "below the pass mark 70"),
        ({"results": ["88"]}, "several"),
        ({"results": ["Simulation=fail"]}, "only for a pass"),
        ({"results": ["Oral=pass"]}, "no result named 'Oral'"),
        ({"evidence_urls": ["javascript:alert(1)"]}, "not an http"),
        ({"activity_start": "2026-03-02", "activity_end": "2026-03-01"}, "before its start"),
        ({"valid_from": "2026-03-01", "valid_until": "2026-02-01"}, "after validFrom"),
        ({"name": "A B", "given_name": "A"}, "not both"),
        ({"identifier": "1", "identifier_type": "passport"}, "not an Open Badges identity type"),
    ]
    for extra, message in cases:
        with pytest.raises(InputError, match=message):
            service.issue("kids", None, "n@example.org", achievement=aid, **extra)
    assert service.count_credentials("kids") == {"revoked": 0}


def test_definitions_are_validated_and_starters_carry_no_institution_text(
    catalog_service: IssuerService,
) -> None:
    service = catalog_service
    with pytest.raises(InputError, match="name"):
        service.create_achievement("kids", {"achievement": {"description": "x"}})
    with pytest.raises(InputError, match="Unknown property 'tags'"):
        service.create_achievement("kids", {"tags": ["x"], **SEDATION})
    with pytest.raises(InputError, match="validity"):
        service.create_achievement("kids", {**SEDATION, "validity": "two years"})
    with pytest.raises(InputError, match="no template named"):
        service.create_achievement("kids", {"starter": "nope"})
    cpd = service.create_achievement(
        "kids",
        {"starter": "cpd", "achievement": {"name": "Neonatal Transport Module 3", "creditsAvailable": 2}},
    )
    assert cpd.starter == "cpd" and cpd.document["creditsAvailable"] == 2
    assert "Institutions adapt" not in json.dumps(cpd.document)
    issued = service.issue("kids", "cpd", "learner@example.org")  # a template directly, too
    assert "Institutions" not in json.dumps(issued.document)
    assert issued.document["credentialSubject"]["achievement"]["id"].endswith("/achievements/cpd")


def test_duplicates_are_flagged_unless_confirmed(catalog_service: IssuerService) -> None:
    service = catalog_service
    aid = service.create_achievement("kids", SEDATION).id
    first = service.issue("kids", None, "Dup@Example.org", achievement=aid, valid_from="2026-03-01")
    with pytest.raises(DuplicateError) as caught:
        service.issue("kids", None, " dup@example.org", achievement=aid, valid_from="2026-03-01T15:00:00Z")
    assert caught.value.duplicates == [first.id]
    service.issue("kids", None, "dup@example.org", achievement=aid, valid_from="2026-03-02")  # another day
    again = service.issue(
        "kids", None, "dup@example.org", achievement=aid, valid_from="2026-03-01", allow_duplicate=True
    )
    assert again.id != first.id
    # a revoked credential does not block re-issuing it
    service.issue("kids", "bls", "r@example.org", valid_from="2026-01-05")
    service.revoke(service.list_credentials("kids", limit=1)[0].id, "issued-in-error")
    service.issue("kids", "bls", "r@example.org", valid_from="2026-01-05")


def test_a_roster_with_common_headers_and_catalog_courses(catalog_service: IssuerService) -> None:
    service = catalog_service
    service.create_achievement("kids", SEDATION)
    roster = (
        "First name,Last name,Email,Course,Completion date,Credits,Score,GMC number\n"
        "Siobhan,O'Neill,siobhan@example.org,PSW-1,2026-03-01,6,Written test=91; Simulation=pass,7654321\n"
        "Tomás,Ruiz,tomas@example.org,Paediatric Sedation Workshop,2026-03-01,5,"
        "Written test=75;Simulation=passed,\n"
        "Li,Wei,li@example.org,acls,2026-03-01,,84,\n"
    )
    result = service.issue_roster("kids", roster)
    assert [c.row for c in result.issued] == [2, 3, 4] and not result.errors
    first, second, third = (c.document for c in result.issued)
    assert first["credentialSubject"]["name"] == "Siobhan O'Neill"
    assert first["credentialSubject"]["creditsEarned"] == 6
    assert {"identityType": "identifier", "identityHash": "7654321"}.items() <= first["credentialSubject"][
        "identifier"
    ][1].items()
    assert second["credentialSubject"]["name"] == "Tomás Ruiz"
    assert second["credentialSubject"]["achievement"]["humanCode"] == "PSW-1"
    assert third["credentialSubject"]["achievement"]["name"].startswith("Advanced Cardiac Life Support")
    assert third["credentialSubject"]["result"][0]["value"] == "84"
    assert first["validFrom"] == "2026-03-01T00:00:00Z"

    # The same roster again: every row is listed as already issued, nothing is issued.
    with pytest.raises(RosterError) as caught:
        service.issue_roster("kids", roster)
    errors = caught.value.errors
    assert [(e.row, e.column) for e in errors] == [(2, "duplicate"), (3, "duplicate"), (4, "duplicate")]
    assert result.issued[0].id in errors[0].reason
    assert service.count_credentials("kids")["pending"] == 3
    assert len(service.issue_roster("kids", roster, allow_duplicates=True).issued) == 3


def test_unknown_roster_columns_are_refused_with_the_known_ones(catalog_service: IssuerService) -> None:
    errors, _ = catalog_service.validate_roster(
        "email,template,Department,name\na@example.org,bls,ICU,A\n", slug="kids"
    )
    assert len(errors) == 1 and errors[0].column == "Department"
    assert "unknown column" in errors[0].reason
    for known in ("email", "given_name", "family_name", "achievement", "credits", "result", "evidence"):
        assert known in errors[0].reason
    errors, _ = catalog_service.validate_roster(
        "email,name,first name,course\na@example.org,A,B,bls\n", slug="kids"
    )
    assert "either a full name" in errors[0].reason


def test_names_stay_hidden_and_identifiers_hashed_when_the_institution_hides_names(
    catalog_service: IssuerService,
) -> None:
    service = catalog_service
    service.create_institution("Private Clinic", slug="private", include_names=False)
    issued = service.issue(
        "private", "bls", "p@example.org", given_name="Ann", family_name="Lee", identifier="GMC 1"
    )
    subject = issued.document["credentialSubject"]
    assert "name" not in subject
    extra = subject["identifier"][1]
    assert extra["hashed"] is True and "GMC 1" not in json.dumps(issued.document)
    assert datetime.fromisoformat(issued.document["validFrom"]) <= datetime.now(UTC)
