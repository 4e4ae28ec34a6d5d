"""The pipeline's Bitstring Status List check against lists served over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from issuer.keys import Ed25519KeyPair, did_key_for, did_key_verification_method
from issuer.signing import sign
from issuer.status_list import StatusList, status_entry, status_list_credential
from verifier.pipeline import Verifier
from verifier.report import INVALID, VALID, CheckStatus

from .servers import CredentialHost, credential_host
from .world import Institution, World


@pytest.fixture(scope="module")
def host() -> Iterator[CredentialHost]:
    with credential_host() as served:
        yield served


def _publish(host: CredentialHost, name: str, inst: Institution, revoked: set[int]) -> str:
    url = host.base_url + "/" + name
    bits = StatusList()
    for index in revoked:
        bits.set(index)
    listing = sign(status_list_credential(url, inst.did, "revocation", bits), inst.key, inst.method)
    host.put(name, listing)
    return url


def test_status_list_pass_revoked_and_unreachable(
    world: World, institution: Institution, host: CredentialHost
) -> None:
    url = _publish(host, "list-1", institution, {42})
    (good,) = world.issue_anchored(institution, credential_status=status_entry(url, 7))
    (bad,) = world.issue_anchored(institution, credential_status=status_entry(url, 42))
    verifier = Verifier(world.config(status_list=True, allow_hosts=host.allow))
    report = verifier.verify(good)
    assert report.status == VALID, report.to_json()
    assert report.check("status_list").status is CheckStatus.PASS
    report = verifier.verify(bad)
    assert report.status == INVALID
    assert report.check("status_list").code == "revoked"

    (lost,) = world.issue_anchored(institution, credential_status=status_entry("http://127.0.0.1:9/list", 3))
    report = Verifier(world.config(status_list=True, timeout=1.0)).verify(lost)
    assert report.status == VALID
    assert report.check("status_list").status is CheckStatus.WARN


def test_status_list_from_someone_else_is_refused(
    world: World, institution: Institution, host: CredentialHost
) -> None:
    other_key = Ed25519KeyPair.generate()
    other_did = did_key_for(other_key.public_key_multibase)
    url = host.base_url + "/list-forged"
    forged = sign(
        status_list_credential(url, other_did, "revocation", StatusList()),
        other_key,
        did_key_verification_method(other_key.public_key_multibase),
    )
    host.put("list-forged", forged)
    (credential,) = world.issue_anchored(institution, credential_status=status_entry(url, 1))
    report = Verifier(world.config(status_list=True, allow_hosts=host.allow)).verify(credential)
    assert report.check("status_list").status is CheckStatus.FAIL
    assert report.status == INVALID


def test_status_list_skipped_when_offline(
    world: World, institution: Institution, host: CredentialHost
) -> None:
    url = _publish(host, "list-2", institution, set())
    (credential,) = world.issue_anchored(institution, credential_status=status_entry(url, 1))
    report = Verifier(world.config(status_list=False)).verify(credential)
    assert report.check("status_list").status is CheckStatus.SKIPPED
    assert report.status == VALID


def test_a_long_running_verifier_sees_a_new_revocation(
    world: World, institution: Institution, host: CredentialHost
) -> None:
    url = _publish(host, "list-3", institution, set())
    (credential,) = world.issue_anchored(institution, credential_status=status_entry(url, 9))
    fresh = Verifier(world.config(status_list=True, cache_ttl_seconds=0, allow_hosts=host.allow))
    cached = Verifier(world.config(status_list=True, cache_ttl_seconds=None, allow_hosts=host.allow))
    assert fresh.verify(credential).status == VALID
    assert cached.verify(credential).status == VALID
    _publish(host, "list-3", institution, {9})
    assert fresh.verify(credential).check("status_list").code == "revoked"
    assert cached.verify(credential).check("status_list").status is CheckStatus.PASS  # one batch, one read
