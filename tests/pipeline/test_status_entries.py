"""Every credentialStatus entry is checked: suspension gives SUSPENDED (exit code 4), revocation
INVALID, purposes and status types MedCred does not know are reported, not guessed at; status lists
are read as Data Integrity credentials and as VC-JWTs."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from issuer.chain.backends import open_chain
from issuer.signing import sign, sign_jwt
from issuer.status_list import StatusList, status_entry, status_list_credential
from verifier.cli import _load_plugins, cli
from verifier.config import TrustedRegistry, render_config
from verifier.pipeline import Verifier
from verifier.report import INVALID, SUSPENDED, VALID, CheckStatus

from .servers import CredentialHost, credential_host
from .world import Institution, World


@pytest.fixture(scope="module")
def host() -> Iterator[CredentialHost]:
    with credential_host() as served:
        yield served


def _publish(
    host: CredentialHost, name: str, inst: Institution, purpose: str, on: set[int], *, jwt: bool = False
) -> str:
    url = host.base_url + "/" + name
    bits = StatusList()
    for index in on:
        bits.set(index)
    unsigned = status_list_credential(url, inst.did, purpose, bits)
    host.put(
        name,
        sign_jwt(unsigned, inst.key, inst.method).encode() if jwt else sign(unsigned, inst.key, inst.method),
    )
    return url


@pytest.fixture(scope="module")
def lists(host: CredentialHost, institution: Institution) -> dict[str, str]:
    return {
        "revocation": _publish(host, "revocation", institution, "revocation", {3}),
        "suspension": _publish(host, "suspension", institution, "suspension", {9}),
        "suspension-jwt": _publish(host, "suspension.jwt", institution, "suspension", {11}, jwt=True),
    }


def _issue(world: World, inst: Institution, entries: list[dict[str, Any]]) -> dict[str, Any]:
    (credential,) = world.issue_anchored(inst, credential_status=entries)
    return credential


def test_both_entries_of_an_array_are_read(
    world: World, institution: Institution, lists, host: CredentialHost
) -> None:
    verifier = Verifier(world.config(status_list=True, allow_hosts=host.allow))
    fine = _issue(
        world,
        institution,
        [status_entry(lists["revocation"], 4), status_entry(lists["suspension"], 10, "suspension")],
    )
    report = verifier.verify(fine)
    assert report.status == VALID, report.to_json()
    checks = [c for c in report.checks if c.name == "status_list"]
    assert [(c.status, c.details["purpose"]) for c in checks] == [
        (CheckStatus.PASS, "revocation"),
        (CheckStatus.PASS, "suspension"),
    ]


def test_a_suspended_credential_is_suspended_not_revoked(
    world: World, institution: Institution, lists, host: CredentialHost
) -> None:
    verifier = Verifier(world.config(status_list=True, allow_hosts=host.allow))
    paused = _issue(
        world,
        institution,
        [status_entry(lists["revocation"], 4), status_entry(lists["suspension"], 9, "suspension")],
    )
    report = verifier.verify(paused)
    assert report.status == SUSPENDED
    assert not report.valid
    assert "suspended" in report.headline and "not revoked" in report.headline
    assert report.to_json()["status"] == "SUSPENDED"
    assert not any(c.code == "revoked" for c in report.checks)


def test_revoked_and_suspended_is_invalid(
    world: World, institution: Institution, lists, host: CredentialHost
) -> None:
    both = _issue(
        world,
        institution,
        [status_entry(lists["suspension"], 9, "suspension"), status_entry(lists["revocation"], 3)],
    )
    report = Verifier(world.config(status_list=True, allow_hosts=host.allow)).verify(both)
    assert report.status == INVALID  # INVALID > SUSPENDED
    assert [c.code for c in report.checks if c.name == "status_list"] == ["suspended", "revoked"]


def test_a_status_list_served_as_a_vc_jwt_is_read(
    world: World, institution: Institution, lists, host: CredentialHost
) -> None:
    verifier = Verifier(world.config(status_list=True, allow_hosts=host.allow))
    paused = _issue(world, institution, [status_entry(lists["suspension-jwt"], 11, "suspension")])
    assert verifier.verify(paused).status == SUSPENDED
    fine = _issue(world, institution, [status_entry(lists["suspension-jwt"], 12, "suspension")])
    assert verifier.verify(fine).status == VALID


def test_a_forged_jwt_status_list_is_refused(
    world: World, institution: Institution, host: CredentialHost
) -> None:
    url = host.base_url + "/forged.jwt"
    unsigned = status_list_credential(url, institution.did, "suspension", StatusList())
    token = sign_jwt(unsigned, institution.key, institution.method)
    head, _, signature = token.split(".")
    other = sign_jwt({**unsigned, "validFrom": "2020-01-01T00:00:00Z"}, institution.key, institution.method)
    host.put("forged.jwt", f"{head}.{other.split('.')[1]}.{signature}".encode())
    credential = _issue(world, institution, [status_entry(url, 1, "suspension")])
    report = Verifier(world.config(status_list=True, allow_hosts=host.allow)).verify(credential)
    assert report.status == INVALID
    assert "signature is invalid" in report.check("status_list").message


@pytest.mark.parametrize(
    ("entry", "code"),
    [
        (
            {
                "id": "https://example.org/status#1",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "validation",
                "statusListIndex": "1",
                "statusListCredential": "https://example.org/status",
            },
            "status_purpose_unknown",
        ),
        (
            {  # the older StatusList2021 entry, by its full IRI
                "id": "https://example.org/status-2021#1",
                "type": "https://w3id.org/vc/status-list#StatusList2021Entry",
            },
            "status_type_unsupported",
        ),
    ],
)
def test_what_medcred_does_not_know_is_reported(
    world: World, institution: Institution, entry, code, host: CredentialHost
) -> None:
    credential = _issue(world, institution, [entry])
    report = Verifier(world.config(status_list=True, allow_hosts=host.allow)).verify(credential)
    check = report.check("status_list")
    assert check.status is CheckStatus.WARN
    assert check.code == code
    assert report.status == VALID  # reported, not guessed at


# ---------------------------------------------------------------------------- commands (anvil)


@pytest.fixture(scope="module")
def local_world(anvil_node: tuple[Path, str]) -> World:
    return World.create(open_chain("local", anvil_node[0]))


@pytest.fixture(scope="module")
def trust_file(local_world: World, anvil_node, tmp_path_factory, host: CredentialHost) -> Path:
    registry = TrustedRegistry(
        "Local test registry", local_world.chain.chain_id, local_world.address, anvil_node[1]
    )
    path = tmp_path_factory.mktemp("trust") / "verifier.toml"
    path.write_text(render_config([registry], allow_hosts=host.allow))
    return path


@pytest.mark.local
def test_verify_exits_4_and_batch_counts_suspended_and_warnings(
    local_world: World, trust_file: Path, host: CredentialHost, tmp_path: Path
) -> None:
    school = local_world.institution("Lakeside Nursing College")
    suspension = _publish(host, "lakeside-suspension", school, "suspension", {9})
    paused, fine, unknown = (
        local_world.issue_anchored(school, 1, credential_status=[status_entry(suspension, 9, "suspension")])
        + local_world.issue_anchored(school, 1, credential_status=[status_entry(suspension, 8, "suspension")])
        + local_world.issue_anchored(
            school,
            1,
            credential_status=[
                {"type": "https://w3id.org/vc/status-list#StatusList2021Entry", "id": "urn:x:1"}
            ],
        )
    )
    _load_plugins()
    one = tmp_path / "paused.json"
    one.write_text(json.dumps(paused))
    result = CliRunner().invoke(cli, ["verify", "--config", str(trust_file), str(one)])
    assert result.exit_code == 4, result.output
    assert result.output.startswith("SUSPENDED")
    result = CliRunner().invoke(cli, ["verify", "--config", str(trust_file), "--json", str(one)])
    assert json.loads(result.output)["status"] == "SUSPENDED"

    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(json.dumps(c) for c in (paused, fine, unknown)) + "\n")
    report = tmp_path / "report.csv"
    result = CliRunner().invoke(
        cli,
        [
            "verify-batch",
            "--config",
            str(trust_file),
            "--workers",
            "1",
            "--quiet",
            str(batch),
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 4, result.output  # none INVALID, one SUSPENDED
    lines = {
        line.split()[0]: line.split()[-1] for line in result.output.splitlines() if line.strip()[:1].isalpha()
    }
    assert lines["VALID"] == "2" and lines["SUSPENDED"] == "1" and lines["INVALID"] == "0"
    assert "with warnings" in result.output and "status_list:status_type_unsupported" in result.output
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [r["status"] for r in rows] == ["SUSPENDED", "VALID", "VALID"]
    assert rows[0]["holder_name"] == "Dr Ada Okafor"
    assert rows[0]["issuer_name"] == "Lakeside Nursing College"
    assert rows[0]["issuer_did"] == school.did
    assert rows[0]["achievement"] and rows[0]["valid_from"] and rows[0]["valid_until"]
    assert "status_type_unsupported" in rows[2]["warnings"]
    assert "trust" in rows[0]


def test_the_page_shows_suspended_as_temporary(
    world: World, institution: Institution, lists, host: CredentialHost
) -> None:
    from verifier.web.app import create_app

    paused = _issue(world, institution, [status_entry(lists["suspension"], 9, "suspension")])
    url = host.put("paused-page.json", paused)
    client = create_app(world.config(status_list=True, allow_hosts=host.allow)).test_client()
    page = client.get("/verify", query_string={"credential": url}).get_data(as_text=True)
    assert 'class="verdict suspended"' in page and 'data-status="SUSPENDED"' in page
    assert "Temporary: the issuer has suspended this credential for now" in page
    assert 'data-check="status_list" data-status="suspended"' in page
    assert "revoked" not in page.split('id="verdict"')[1].split("</section>")[0].replace("not revoked", "")
    answer = client.post("/credentials/verify", json={"verifiableCredential": paused})
    assert answer.get_json()["verified"] is False
