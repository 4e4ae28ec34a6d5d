"""Every credential MedCred hands out, pending or anchored, validates against 1EdTech's published
Open Badges 3.0 AchievementCredential JSON Schema (schemas/obv3), as other validators will check it.

Handed out means: the API's and the VC-API's issue answers, the API's credential read, the public
credential URL (JSON) and `credential.json`, before and after anchoring. `proof` is always an array.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft201909Validator
from web_fixtures import WebWorld

from verifier.resources import schemas_dir


@pytest.fixture(scope="module")
def obv3() -> Draft201909Validator:
    path = schemas_dir() / "obv3" / "ob_v3p0_achievementcredential_schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    return Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)


def assert_valid(validator: Draft201909Validator, credential: dict[str, Any], where: str) -> None:
    errors = sorted(validator.iter_errors(credential), key=lambda e: list(e.absolute_path))
    assert not errors, f"{where}: {errors[0].message} at {list(errors[0].absolute_path)}"
    assert isinstance(credential["proof"], list), where


def handed_out(world: WebWorld, slug: str, uuid: str) -> dict[str, dict[str, Any]]:
    client = world.client()
    api = client.get(f"/api/v1/institutions/{slug}/credentials/{uuid}", headers=world.auth("issue"))
    public = client.get(f"/credentials/{uuid}", headers={"Accept": "application/ld+json"})
    download = client.get(f"/credentials/{uuid}/credential.json")
    assert api.status_code == public.status_code == download.status_code == 200
    return {
        "API read": api.get_json()["credential"],
        "public URL": public.get_json(),
        "credential.json": download.get_json(),
    }


def test_every_credential_handed_out_validates_pending_and_anchored(
    world: WebWorld, obv3: Draft201909Validator
) -> None:
    client = world.client()
    issued = client.post(
        "/api/v1/institutions/sim/credentials",
        json={"template": "pals", "email": "ines@example.org", "name": "Inés Muñoz"},
        headers=world.auth("issue"),
    )
    assert issued.status_code == 201, issued.text
    vcapi = client.post(
        "/credentials/issue",
        json={
            "credential": {"credentialSubject": {"email": "kofi@example.org", "name": "Kofi Mensah"}},
            "options": {"template": "cpd"},
        },
        headers=world.auth("issue"),
    )
    assert vcapi.status_code == 201, vcapi.text
    answers = {
        "API issue answer": issued.get_json()["credential"],
        "VC-API issue answer": vcapi.get_json()["verifiableCredential"],
    }
    for where, credential in answers.items():
        assert_valid(obv3, credential, where)
        assert len(credential["proof"]) == 1, where
    ids = [issued.get_json()["id"], vcapi.get_json()["verifiableCredential"]["id"].rsplit("/", 1)[1]]
    for uuid in ids:
        for where, credential in handed_out(world, "sim", uuid).items():
            assert_valid(obv3, credential, f"pending, {where}")
    world.service.anchor_now("sim")
    for uuid in ids:
        for where, credential in handed_out(world, "sim", uuid).items():
            assert_valid(obv3, credential, f"anchored, {where}")
            assert len(credential["proof"]) == 2, where
