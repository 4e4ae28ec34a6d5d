"""No secret in logs, in the database or in the data folder, after a full cycle at DEBUG.

A full issue -> anchor -> revoke cycle through the HTTP API (tokens travel in headers, keys are
unsealed to sign and to send transactions) runs with every logger at DEBUG; then the captured log
text, the database files and every file of the data folder are searched for each secret in every
form it could leak in.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from hostile.live import web_fixtures
from issuer.institutions import eth_account, get_institution, signing_key


def _forms(secret: str) -> list[str]:
    return [secret, secret.removeprefix("0x"), secret.upper().removeprefix("0X")]


def test_full_cycle_at_debug_leaks_no_secret(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    world = web_fixtures.make_world(tmp_path)
    service = world.service
    client = world.client()
    issued = client.post(
        "/api/v1/institutions/sim/credentials",
        json={"template": "acls", "email": "leak@example.org", "name": "Lee Kee"},
        headers=world.auth("issue"),
    )
    assert issued.status_code == 201, issued.get_json()
    credential_id = issued.get_json()["id"]
    anchored = client.post("/api/v1/institutions/sim/anchor", headers=world.auth("admin"))
    assert anchored.status_code in (200, 202), anchored.get_json()
    revoked = client.post(
        f"/api/v1/institutions/sim/credentials/{credential_id}/revoke",
        json={"reason": "issued-in-error"},
        headers=world.auth("revoke"),
    )
    assert revoked.status_code == 200, revoked.get_json()
    assert service.get_credential(credential_id).state == "anchored"
    assert service.get_credential(credential_id).revoked

    with service.db.reader() as session:
        row = get_institution(session, "sim")
        key = signing_key(row, service.box)
        account = eth_account(row, service.box)
    secrets = [key.secret_key_multibase, key.seed.hex(), account.key.hex(), *world.tokens.values()]
    master = service.config.master_key_file.read_text().strip()
    secrets.append(master)
    service.db.dispose()

    logged = caplog.text
    assert "DEBUG" in logged or len(caplog.records) > 0  # logging really was on
    files = [
        p for p in service.config.data_dir.rglob("*") if p.is_file() and p != service.config.master_key_file
    ]
    assert any(p.suffix == ".db" for p in files)  # the database is among the files searched
    for secret in secrets:
        for form in _forms(secret):
            assert form not in logged, "a secret appears in the logs"
            for path in files:
                assert form.encode() not in path.read_bytes(), f"a secret is in clear in {path.name}"
