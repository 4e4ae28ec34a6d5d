"""Issue 11's "done when": an institution-defined achievement with credits, a result and evidence is
issued by roster and by the VC API, anchored, and verifies VALID in MedCred and in a standard Data
Integrity verifier (the reference JavaScript libraries, `tests/pipeline/reference_verify.mjs`);
every credential handed out, pending or anchored, validates against 1EdTech's schema."""

from __future__ import annotations

import json

from jsonschema import Draft201909Validator
from pipeline.reference_verifier import reference_verify
from web_fixtures import WebWorld

from verifier.pipeline import Verifier
from verifier.resources import schemas_dir

ACHIEVEMENT = {
    "achievement": {
        "type": ["Achievement"],
        "name": "ACLS Provider (ERC 2021 guidelines)",
        "description": "Advanced life support for adults, following the ERC 2021 guidelines.",
        "criteria": {
            "narrative": "Attended the two-day course; written exam 84 % or more; passed the CASTest."
        },
        "achievementType": "Certification",
        "creditsAvailable": 12,
        "humanCode": "ALS-ERC21",
        "resultDescription": [
            {
                "type": ["ResultDescription"],
                "name": "Written exam",
                "resultType": "Percent",
                "valueMin": "0",
                "valueMax": "100",
                "requiredValue": "84",
            },
            {"type": ["ResultDescription"], "name": "CASTest", "resultType": "Status"},
        ],
    },
    "validity": "P2Y",
}
ROSTER = (
    "First name,Last name,Email,Course,Completion date,Credits,Result,Evidence\n"
    "Amara,Okafor,amara@example.org,ALS-ERC21,2026-06-12,12,Written exam=91; CASTest=pass,"
    "https://lms.example.org/als/amara; https://lms.example.org/als/amara-castest\n"
    "Jonas,Berg,jonas@example.org,ALS-ERC21,2026-06-12,12,Written exam=86; CASTest=passed,\n"
)


def test_institution_achievement_by_roster_and_vc_api_verifies_everywhere(world: WebWorld, client) -> None:
    schema = json.loads((schemas_dir() / "obv3" / "ob_v3p0_achievementcredential_schema.json").read_text())
    obv3 = Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)
    created = client.post(
        "/api/v1/institutions/sim/achievements", json=ACHIEVEMENT, headers=world.auth("admin")
    ).get_json()
    written, castest = (d["id"] for d in created["achievement"]["resultDescription"])

    roster = client.post(
        "/api/v1/institutions/sim/rosters",
        data=ROSTER.encode(),
        headers={"Content-Type": "text/csv", **world.auth("issue")},
    )
    assert roster.status_code == 201, roster.text
    ids = [c["id"] for c in roster.get_json()["credentials"]]
    for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
        body = {
            "credential": {
                "@context": [
                    "https://www.w3.org/ns/credentials/v2",
                    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
                ],
                "type": ["VerifiableCredential", "OpenBadgeCredential"],
                "validFrom": "2026-06-13T08:00:00Z",
                "credentialSubject": {
                    "type": ["AchievementSubject"],
                    "id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
                    if suite.endswith("jcs-2022")
                    else "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH",
                    "name": "Lena Vogel",
                    "creditsEarned": 10.5,
                    "result": [
                        {"type": ["Result"], "resultDescription": written, "value": "88"},
                        {"type": ["Result"], "resultDescription": castest, "status": "Completed"},
                    ],
                    "achievement": created["url"],
                },
                "evidence": [{"id": "https://lms.example.org/als/lena", "type": ["Evidence"]}],
            },
            "options": {"cryptosuite": suite},
        }
        issued = client.post("/credentials/issue", json=body, headers=world.auth("issue"))
        assert issued.status_code == 201, issued.text
        ids.append(issued.get_json()["verifiableCredential"]["id"].rsplit("/", 1)[1])

    def handed_out() -> list[dict]:
        documents = []
        for uuid in ids:
            response = client.get(f"/credentials/{uuid}", headers={"Accept": "application/ld+json"})
            assert response.status_code == 200
            documents.append(response.get_json())
        return documents

    pending = handed_out()
    for document in pending:
        assert not list(obv3.iter_errors(document)), document["id"]
        subject = document["credentialSubject"]
        assert subject["achievement"] == created["achievement"]
        assert subject["creditsEarned"] in (12, 10.5) and len(subject["result"]) == 2
    assert [e["id"] for e in pending[0]["evidence"]] == [
        "https://lms.example.org/als/amara",
        "https://lms.example.org/als/amara-castest",
    ]
    assert pending[0]["credentialSubject"]["name"] == "Amara Okafor"
    assert [r["verified"] for r in reference_verify(pending)] == [True] * 4, reference_verify(pending)

    world.service.anchor_now("sim")
    anchored = handed_out()
    verifier = Verifier(world.verifier_config)
    for document in anchored:
        assert len(document["proof"]) == 2 and not list(obv3.iter_errors(document))
        report = verifier.verify(document)
        assert report.status == "VALID", (
            document["id"],
            [c for c in report.checks if c.status.name != "PASS"],
        )
    checks = reference_verify(anchored)
    assert [c["verified"] for c in checks] == [True] * 4, checks

    tampered = json.loads(json.dumps(anchored[0]))
    tampered["credentialSubject"]["creditsEarned"] = 24
    assert reference_verify([tampered])[0]["verified"] is False
    assert verifier.verify(tampered).status == "INVALID"
