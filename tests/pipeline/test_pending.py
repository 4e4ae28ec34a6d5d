"""A credential without an anchor proof: the verifier asks the issuer, never trusts the file alone.

The issuer's public credential URLs are played by a loopback HTTP server serving what the issuer
would serve at each credential's `id` (the real issuer app is exercised in tests/web). Each attack
of issue 10's "pending path" is replayed here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from issuer.status_list import StatusList, status_entry, status_list_credential
from verifier.data_integrity import is_anchor_proof
from verifier.pipeline import Verifier
from verifier.report import INVALID, PENDING, VALID, CheckStatus

from .servers import CredentialHost, credential_host
from .world import Institution, World


@pytest.fixture(scope="module")
def host() -> Iterator[CredentialHost]:
    with credential_host() as served:
        yield served


def _verifier(world: World, host: CredentialHost, **overrides: Any) -> Verifier:
    return Verifier(world.config(allow_hosts=host.allow, **overrides))


def _path(host: CredentialHost, credential: dict[str, Any]) -> str:
    return credential["id"].removeprefix(host.base_url + "/")


def _without_anchor(credential: dict[str, Any]) -> dict[str, Any]:
    stripped = copy.deepcopy(credential)
    stripped["proof"] = [p for p in stripped["proof"] if not is_anchor_proof(p)]
    return stripped


def _serve(host: CredentialHost, current: dict[str, Any]) -> None:
    """The issuer's answer at the credential's id: its current form."""
    host.put(_path(host, current), current)


def test_issuer_says_not_anchored_yet_is_pending(world: World, institution: Institution, host) -> None:
    (credential,) = world.issue(institution, base_url=host.base_url)
    _serve(host, credential)
    report = _verifier(world, host).verify(credential)
    assert report.status == PENDING, report.to_json()
    assert report.check("anchor").status is CheckStatus.PENDING
    assert report.check("anchor").code == "anchor_pending"
    assert report.check("signing_key").status is CheckStatus.PASS
    assert "not yet recorded" in report.headline


def test_a_file_saved_before_anchoring_is_valid_once_the_issuer_anchored_it(
    world: World, institution: Institution, host: CredentialHost
) -> None:
    """The other way round: genuine files saved before anchoring used to turn INVALID after 7 days."""
    (saved,) = world.issue(institution, base_url=host.base_url)
    (anchored,) = world.anchor(institution, [saved])
    _serve(host, anchored)
    later = datetime.now(UTC) + timedelta(days=60)
    report = Verifier(world.config(allow_hosts=host.allow), now=lambda: later).verify(saved)
    assert report.status == VALID, report.to_json()
    assert report.check("issuer_copy").code == "anchor_from_issuer"
    assert report.check("anchor").status is CheckStatus.PASS
    assert report.summary.transaction_hash is not None


def test_signing_key_alone_cannot_mint_a_credential(
    world: World, institution: Institution, host: CredentialHost
) -> None:
    """Attack: whoever holds the signing key signs a credential the issuer never issued."""
    (minted,) = world.issue(institution, base_url=host.base_url, holder="Mallory Minted")
    report = _verifier(world, host).verify(minted)  # the issuer does not know it: 404
    assert report.status == INVALID
    assert report.check("anchor").code == "pending_unknown_to_issuer"
    # Pretending it was issued moments ago changes nothing; dated in the future it is INVALID at once.
    (future,) = world.issue(
        institution, base_url=host.base_url, created=datetime.now(UTC) + timedelta(days=365)
    )
    _serve(host, future)
    report = _verifier(world, host).verify(future)
    assert report.status == INVALID
    assert report.check("signature_date").code == "created_in_future"


def test_a_copy_that_differs_is_invalid(world: World, institution: Institution, host: CredentialHost) -> None:
    (genuine,) = world.issue(institution, base_url=host.base_url)
    (other,) = world.issue(institution, base_url=host.base_url, holder="Someone Else")
    other["id"] = genuine["id"]  # the issuer's record at this id is another credential
    _serve(host, world.anchor(institution, [other])[0])
    report = _verifier(world, host).verify(genuine)
    assert report.status == INVALID
    assert report.check("anchor").code == "pending_copy_differs"


def test_an_unreachable_issuer_cannot_vouch(world: World, institution: Institution) -> None:
    with credential_host() as gone:
        (credential,) = world.issue(institution, base_url=gone.base_url)
        allow = gone.allow
    report = Verifier(world.config(allow_hosts=allow)).verify(credential)
    assert report.status == INVALID
    assert report.check("anchor").code == "pending_issuer_unreachable"


def test_deleting_the_anchor_proof_of_a_revoked_credential_does_not_revive_it(
    world: World, institution: Institution, host: CredentialHost
) -> None:
    """Attack: a revoked credential with its anchor proof deleted, status list off or issuer down."""
    (revoked,) = world.issue_anchored(institution, base_url=host.base_url)
    inclusion_root = next(p for p in revoked["proof"] if is_anchor_proof(p))
    assert inclusion_root
    from verifier.merkle import find_anchor_proof

    anchor = find_anchor_proof(revoked)
    assert anchor is not None
    institution.writer.revoke(anchor.merkle_root, anchor.leaf_index, "misconduct")
    stripped = _without_anchor(revoked)
    _serve(host, revoked)  # the issuer serves the anchored form: the registry's bit is found
    report = _verifier(world, host, status_list=False).verify(stripped)
    assert report.status == INVALID
    assert report.check("revocation").code == "revoked"
    host.documents.pop("/" + _path(host, revoked))  # and with the issuer unreachable or silent
    report = _verifier(world, host, status_list=False).verify(stripped)
    assert report.status == INVALID
    assert report.status != VALID


def test_a_pending_revoked_credential_is_not_valid_either(
    world: World, institution: Institution, host: CredentialHost
) -> None:
    bits = StatusList()
    bits.set(3)
    listing_url = host.base_url + "/lists/pending-1"
    from issuer.signing import sign

    host.put(
        "lists/pending-1",
        sign(status_list_credential(listing_url, institution.did, "revocation", bits), institution.key,
             institution.method),
    )  # fmt: skip
    (credential,) = world.issue(
        institution, base_url=host.base_url, credential_status=status_entry(listing_url, 3)
    )
    _serve(host, credential)
    assert _verifier(world, host, status_list=True).verify(credential).status == INVALID
    assert _verifier(world, host, status_list=False).verify(credential).status == PENDING


def test_a_signature_dated_before_its_key_was_registered_is_invalid(
    world: World, host: CredentialHost
) -> None:
    """Attack: a key registered today claims a validFrom years ago; a credential 'signed back then'
    and anchored today used to verify VALID with the old date as its issue date."""
    school = world.institution("Backdating School of Medicine")
    years_ago = datetime.fromtimestamp(school.key_valid_from, UTC) - timedelta(days=3 * 365)
    (backdated,) = world.issue_anchored(school, created=years_ago)
    report = _verifier(world, host).verify(backdated)
    assert report.status == INVALID
    assert report.check("signing_key").code == "signed_before_key_registered"


def test_pending_credential_of_an_unaccredited_issuer_is_not_fetched(
    world: World, host: CredentialHost
) -> None:
    rogue = World.create(world.chain).institution("Unaccredited Academy")  # another, untrusted registry
    (credential,) = world.issue(rogue, base_url=host.base_url)
    _serve(host, credential)
    report = _verifier(world, host).verify(credential)
    assert report.status == INVALID
    assert report.check("trust").code == "issuer_not_trusted"  # on no trusted registry or list
