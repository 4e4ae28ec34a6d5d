"""`Idempotency-Key` on every issue endpoint (IETF draft-ietf-httpapi-idempotency-key-header): a
retried request returns the first answer and issues nothing more; the same key with another body is
a 422; a request still running with the key is a 409; a failed request does not keep the key."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select
from web_fixtures import WebWorld

from issuer.storage.models import Credential, IdempotencyKey, utcnow


def count(world: WebWorld) -> int:
    with world.service.db.reader() as session:
        return int(session.scalar(select(func.count()).select_from(Credential)) or 0)


def test_a_retried_issue_returns_the_first_answer(world: WebWorld, client) -> None:
    url = "/api/v1/institutions/sim/credentials"
    body = {"template": "bls", "email": "retry@example.org", "name": "Re Try"}
    key = {"Idempotency-Key": f'"{uuid.uuid4()}"', **world.auth("issue")}
    first = client.post(url, json=body, headers=key)
    assert first.status_code == 201, first.text
    before = count(world)
    again = client.post(url, json=body, headers=key)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json() and again.headers["Location"] == first.headers["Location"]
    assert count(world) == before

    other = client.post(url, json={**body, "email": "someone@example.org"}, headers=key)
    assert other.status_code == 422 and "different request" in other.get_json()["detail"]
    elsewhere = client.post("/api/v1/institutions/sim/rosters", data=b"email,template\nx@example.org,bls\n",
                            headers={**key, "Content-Type": "text/csv"})  # fmt: skip
    assert elsewhere.status_code == 422
    assert count(world) == before

    # Keys belong to one institution: another institution's same key is another request.
    other_key = {"Idempotency-Key": key["Idempotency-Key"], **world.auth("other_admin")}
    token, _ = world.service.create_token("other", ["issue"])
    other_key["Authorization"] = f"Bearer {token}"
    assert (
        client.post("/api/v1/institutions/other/credentials", json=body, headers=other_key).status_code == 201
    )


def test_a_failed_request_releases_its_key_and_a_running_one_is_409(world: WebWorld, client) -> None:
    url = "/api/v1/institutions/sim/credentials"
    key = {"Idempotency-Key": str(uuid.uuid4()), **world.auth("issue")}
    bad = client.post(url, json={"template": "no-such", "email": "f@example.org"}, headers=key)
    assert bad.status_code == 400
    good = client.post(url, json={"template": "no-such", "email": "f@example.org"}, headers=key)
    assert good.status_code == 400  # run again (not replayed): the key was released

    # A first attempt that has not answered yet (its row has no answer): the retry is told so.
    body = {"template": "bls", "email": "busy@example.org", "allowDuplicate": True}
    headers = {"Idempotency-Key": str(uuid.uuid4()), **world.auth("issue")}
    assert client.post(url, json=body, headers=headers).status_code == 201
    with world.service.db.session() as session:
        row = session.scalars(
            select(IdempotencyKey).where(IdempotencyKey.key == headers["Idempotency-Key"])
        ).one()
        row.status, row.response_json = None, None
    busy = client.post(url, json=body, headers=headers)
    assert busy.status_code == 409 and "still being processed" in busy.get_json()["detail"]
    # ... unless that attempt is long dead: then the retry runs.
    with world.service.db.session() as session:
        row = session.scalars(
            select(IdempotencyKey).where(IdempotencyKey.key == headers["Idempotency-Key"])
        ).one()
        row.created_at = utcnow() - timedelta(hours=1)
    taken_over = client.post(url, json=body, headers=headers)
    assert taken_over.status_code == 201 and "Idempotent-Replayed" not in taken_over.headers
    malformed = client.post(url, json=body, headers={"Idempotency-Key": "bad key", **world.auth("issue")})
    assert malformed.status_code == 400 and "Idempotency-Key" in malformed.get_json()["detail"]


def test_a_retried_roster_upload_issues_once(world: WebWorld, client) -> None:
    roster = (
        b"First name,Last name,Email,Course,Completion date\nAda,Lovelace,ada.l@example.org,bls,2026-02-02\n"
    )
    headers = {"Idempotency-Key": str(uuid.uuid4()), "Content-Type": "text/csv", **world.auth("issue")}
    first = client.post("/api/v1/institutions/sim/rosters", data=roster, headers=headers)
    assert first.status_code == 201, first.text
    before = count(world)
    again = client.post("/api/v1/institutions/sim/rosters", data=roster, headers=headers)
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert count(world) == before
    # Without the key, the same roster is refused as already issued, row by row.
    plain = client.post(
        "/api/v1/institutions/sim/rosters",
        data=roster,
        headers={"Content-Type": "text/csv", **world.auth("issue")},
    )
    assert plain.status_code == 422
    assert [e["column"] for e in plain.get_json()["errors"]] == ["duplicate"]
