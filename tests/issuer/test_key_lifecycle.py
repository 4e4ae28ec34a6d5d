"""An institution's keys over time, replayed end to end on the memory chain with the real verifier:
rotation keeps earlier credentials VALID, retirement after a compromise invalidates (and lists) what
was signed or anchored after it, and a compromised account is repaired by governance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from issuer.account_move import new_account
from issuer.chain.transactions import TransactionRevertedError
from issuer.institutions import eth_account
from issuer.key_lifecycle import list_keys, retire_key, rotate_key
from issuer.service import IssuerService
from issuer.storage.errors import ConflictError
from verifier.config import TrustedRegistry, VerifierConfig
from verifier.pipeline import Verifier
from verifier.report import INVALID, VALID


def _verifier(service: IssuerService, tmp_path: Path, slug: str) -> Verifier:
    folder = tmp_path / "dids"
    folder.mkdir(exist_ok=True)
    (folder / f"{slug}.json").write_text(json.dumps(service.did_document(slug)))
    ctx = service.chain.context()
    registry = TrustedRegistry("test", ctx.deployment.chain_id, ctx.deployment.address, w3=ctx.chain.w3)
    config = VerifierConfig(registries=(registry,), status_list=False, did_web=False, did_web_folder=folder)
    return Verifier(config)


def _document(service: IssuerService, credential_id: str) -> dict:
    return service.get_credential(credential_id).document


def _chain_time(service: IssuerService) -> int:
    return int(service.chain.context().chain.w3.eth.get_block("latest")["timestamp"])


def test_rotation_keeps_earlier_credentials_valid(service: IssuerService, tmp_path: Path) -> None:
    service.create_institution("Rotating Hospital", slug="rot", did_web="rot.example")
    before = service.issue("rot", "acls", "before@example.org", name="Signed Before")  # still pending
    change = rotate_key(service, "rot")
    assert change.new_key and change.retired_key and change.retired_until, change
    assert not change.notes
    after = service.issue("rot", "bls", "after@example.org", name="Signed After")
    service.anchor_now("rot")
    keys = list_keys(service, "rot")
    assert [k.current for k in keys] == [True, False]
    assert keys[1].valid_until == change.retired_until
    assert [m["id"].split("#")[1] for m in service.did_document("rot")["verificationMethod"]] == [
        "key-2",
        "key-1",
    ]
    verifier = _verifier(service, tmp_path, "rot")
    old = verifier.verify(_document(service, before.id))
    new = verifier.verify(_document(service, after.id))
    assert old.status == VALID, old.to_json()
    assert new.status == VALID, new.to_json()
    # The old key's window is closed on the registry: it can no longer vouch for anything new.
    with service.db.reader() as session:
        from issuer.institutions import get_institution

        account = get_institution(session, "rot").eth_address
    assert not service.chain.fresh_reader().is_key_valid(
        account, change.retired_key, _chain_time(service) + 5
    )


def test_did_key_institutions_cannot_rotate(service: IssuerService) -> None:
    with pytest.raises(ConflictError, match="did:key"):
        rotate_key(service, "sim")


def test_retiring_a_compromised_key_invalidates_and_lists_what_followed(
    service: IssuerService, tmp_path: Path
) -> None:
    service.create_institution("Breached Clinic", slug="breach", did_web="breach.example")
    good = service.issue("breach", "acls", "good@example.org", name="Genuine Earlier")
    service.anchor_now("breach")
    compromised_at = _chain_time(service) + 1
    bad = service.issue("breach", "pals", "late@example.org", name="After The Breach")
    service.anchor_now("breach")
    change = retire_key(service, "breach", "key-1", compromised_at)
    assert change.new_key is not None  # the current key of a did:web institution: rotated first
    assert [a.id for a in change.affected] == [bad.id]
    verifier = _verifier(service, tmp_path, "breach")
    assert verifier.verify(_document(service, good.id)).status == VALID
    late = verifier.verify(_document(service, bad.id))
    assert late.status == INVALID
    assert late.check("signing_key").code == "key_not_valid"
    reissued = service.issue(
        "breach", "pals", "late@example.org", name="After The Breach", allow_duplicate=True
    )
    service.anchor_now("breach")
    assert _verifier(service, tmp_path, "breach").verify(_document(service, reissued.id)).status == VALID


def test_a_compromised_account_is_repaired_by_governance(service: IssuerService, tmp_path: Path) -> None:
    """Attack: after suspension the account retired the institution's key (every credential INVALID)
    and revoked; reinstating did not repair it. Now a suspended account changes nothing, governance
    restores windows and moves the issuer to a new account, and issuing resumes."""
    service.create_institution("Hijacked School", slug="hijack", did_web="hijack.example")
    earlier = service.issue("hijack", "acls", "kept@example.org", name="Issued Earlier")
    service.anchor_now("hijack")
    with service.db.reader() as session:
        from issuer.institutions import get_institution

        row = get_institution(session, "hijack")
        stolen = eth_account(row, service.box)
        key_id = row.key_fingerprint
    governor = service.chain.governor_writer()
    governor.suspend_issuer(stolen.address)
    attacker = service.chain.writer(stolen)
    with pytest.raises(TransactionRevertedError, match="suspended"):
        attacker.retire_key(key_id, _chain_time(service) - 100)
    inclusion = _document(service, earlier.id)
    from verifier.merkle import find_anchor_proof

    anchor = find_anchor_proof(inclusion)
    assert anchor is not None
    with pytest.raises(TransactionRevertedError, match="suspended"):
        attacker.revoke(anchor.merkle_root, anchor.leaf_index)
    assert _verifier(service, tmp_path, "hijack").verify(inclusion).status == VALID

    old, new = new_account(service, "hijack")
    assert old == stolen.address
    assert service.register_institution("hijack").actions[0].startswith("Governance must move issuer")
    governor.move_issuer(old, new)
    governor.reinstate_issuer(new)
    service.chain.governor_writer().sender.send_value(new, 10**18, "Funding the new account")
    assert service.register_institution("hijack").state == "registered"
    later = service.issue("hijack", "bls", "next@example.org", name="Issued After The Move")
    service.anchor_now("hijack")
    verifier = _verifier(service, tmp_path, "hijack")
    assert verifier.verify(_document(service, earlier.id)).status == VALID
    assert verifier.verify(_document(service, later.id)).status == VALID
    with pytest.raises(TransactionRevertedError, match="not a registered issuer"):
        attacker.anchor("0x" + "11" * 32, 1)  # the old account can do nothing any more


def test_an_institution_signs_nothing_before_its_key_is_registered(service: IssuerService) -> None:
    """A signature dated before its key's registration never verifies: issuing waits for it, and
    says why when it cannot happen (here: the DID belongs to another account until governance
    moves the issuer)."""
    service.create_institution("Waiting School", slug="waiting", did_web="waiting.example")
    new_account(service, "waiting")
    with pytest.raises(ConflictError, match="cannot sign credentials now: its signing key is not registered"):
        service.issue("waiting", "acls", "a@example.org")
    assert service.count_credentials("waiting") == {} or not any(
        service.count_credentials("waiting").values()
    )
