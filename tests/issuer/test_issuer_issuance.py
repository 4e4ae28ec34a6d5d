"""Issuing one credential and rosters: what is stored, what is signed, and every roster error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from issuer_testlib import roster
from sqlalchemy import text

from issuer import issuance
from issuer.institutions import eth_account, get_institution, signing_key
from issuer.issuance import RosterError
from issuer.service import IssuerService
from verifier.data_integrity import verify_proofs
from verifier.errors import InputError
from verifier.identity import recipient_matches


def test_issue_one_signs_stores_pending_with_a_status_entry(service: IssuerService) -> None:
    issued = service.issue("sim", "acls", "Jane.Doe@Example.org", name="Jane Doe", valid_from="2025-03-01")
    document = issued.document
    assert verify_proofs(document).verified
    assert [p["cryptosuite"] for p in document["proof"]] == ["eddsa-rdfc-2022"]
    assert document["id"] == f"http://127.0.0.1:8000/credentials/{issued.id}"
    assert (
        document["validFrom"] == "2025-03-01T00:00:00Z" and document["validUntil"] == "2027-03-01T00:00:00Z"
    )
    status = document["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusListCredential"] == "http://127.0.0.1:8000/status-lists/sim-1"
    assert recipient_matches(document, "jane.doe@example.org")
    record = service.get_credential(document["id"])  # by URL as well as by UUID
    assert record.state == "pending" and record.document == document and record.recipient_name == "Jane Doe"


def test_a_roster_with_errors_reports_every_row_and_issues_nothing(service: IssuerService) -> None:
    csv = (
        "Name,E-mail,Template,Valid From\n"
        "Ann,ann@example.org,acls,2025-01-02\n"
        "Bob,not-an-email,zzz,2025-13-01\n"
        "\n"
        "Cid,cid@example.org,pals,\n"
        "Ann again,ANN@example.org,acls,\n"
    )
    with pytest.raises(RosterError) as caught:
        service.issue_roster("sim", csv)
    problems = {(e.row, e.column) for e in caught.value.errors}
    assert problems == {(3, "email"), (3, "achievement"), (3, "valid_from"), (6, "email")}
    assert "same recipient and achievement as row 2" in str(caught.value.errors[-1])
    assert service.count_credentials("sim") == {"revoked": 0}
    result = service.issue_roster("sim", csv, allow_partial=True)
    assert sorted(c.row for c in result.issued) == [2, 5] and len(result.errors) == 4
    assert service.count_credentials("sim")["pending"] == 2


@pytest.mark.parametrize(
    ("text_", "expected"),
    [
        ("", "the roster is empty"),
        ("name,template\nA,acls\n", "there is no email column"),
        ("email,template\n", "no rows"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
    ],
)
def test_malformed_rosters_are_explained(service: IssuerService, text_: str | bytes, expected: str) -> None:
    errors, _ = service.validate_roster(text_)
    assert expected in str(errors[0])


def test_bad_single_requests_are_input_errors(service: IssuerService) -> None:
    with pytest.raises(InputError, match="e-mail"):
        service.issue("sim", "acls", "nobody")
    with pytest.raises(InputError, match="template"):
        service.issue("sim", "no-such", "a@example.org")


@pytest.mark.parametrize("start_method", ["fork", "forkserver"])
def test_a_roster_signed_on_the_pool_keeps_row_order_and_verifies(
    service: IssuerService, monkeypatch: pytest.MonkeyPatch, start_method: str
) -> None:
    monkeypatch.setattr(issuance, "_pool_start_method", lambda: start_method)
    ticks: list[int] = []
    result = service.issue_roster("sim", roster(450), workers=2, pool=True, progress=ticks.append)
    assert sum(ticks) == 450
    assert [c.row for c in result.issued] == list(range(2, 452))
    sample = result.issued[321].document
    assert verify_proofs(sample).verified
    assert recipient_matches(sample, "person321@example.org")
    positions = {(c.status_list_id, c.status_index) for c in result.issued}
    assert len(positions) == 450


def test_hidden_names_stay_out_of_credentials_and_database(service: IssuerService) -> None:
    service.create_institution("Discreet Clinic", slug="discreet", include_names=False, register=False)
    issued = service.issue("discreet", "bls", "x@example.org", name="Secret Person")
    assert "name" not in issued.document["credentialSubject"]
    with service.db.reader() as session:
        dump = " ".join(str(r) for r in session.execute(text("SELECT * FROM credentials")))
    assert "Secret Person" not in dump and "x@example.org" not in dump


def test_no_secret_is_stored_in_clear(service: IssuerService, tmp_path: Path) -> None:
    token, _ = service.create_token("sim", ["issue"])
    service.issue("sim", "acls", "someone@example.org", name="Some One")
    with service.db.reader() as session:
        row = get_institution(session, "sim")
        secrets_in_clear = [
            signing_key(row, service.box).secret_key_multibase,
            signing_key(row, service.box).seed.hex(),
            eth_account(row, service.box).key.hex(),
            eth_account(row, service.box).key.hex().removeprefix("0x"),
            token,
        ]
    service.db.dispose()
    master = service.config.master_key_file.read_text().strip()
    for path in service.config.data_dir.rglob("*"):
        if path.is_file() and path != service.config.master_key_file:
            blob = path.read_bytes()
            for secret in [*secrets_in_clear, master]:
                assert secret.encode() not in blob, f"a secret is in clear in {path}"
    assert json.loads(
        json.dumps(service.list_institutions()[0].__dict__, default=str)
    )  # the view has no secrets


def test_the_pool_is_used_only_where_it_is_measured_to_pay_off() -> None:
    each = 1 / 1800  # seconds per credential in the signing loop, as measured on 2 cores
    pays = issuance.pool_pays_off
    assert not pays(200, each, 2, "fork", cores=2)
    assert pays(2000, each, 2, "fork", cores=2)
    # A fork server imports the issuer again: 2,000 rows do not pay for it, 10,000 do.
    assert not pays(2000, each, 2, "forkserver", cores=2)
    assert pays(10_000, each, 2, "forkserver", cores=2)
    # One free core (the other busy with other work), or one worker: never.
    assert not pays(100_000, each, 2, "fork", cores=1)
    assert not pays(100_000, each, 1, "fork", cores=2)


def test_a_single_threaded_process_forks_its_signing_workers() -> None:
    """The CLI (one thread) forks workers that start with everything imported; a process with
    other threads (the web server) uses the fork server instead."""
    code = (
        "import threading, time; from issuer import issuance; print(issuance._pool_start_method());"
        "threading.Thread(target=time.sleep, args=(1,), daemon=True).start();"
        "print(issuance._pool_start_method())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["fork", "forkserver"]
