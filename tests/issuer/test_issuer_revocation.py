"""Revocation: on chain (single and bulk), in the status list bits, in the database, before anchoring."""

from __future__ import annotations

import pytest
from issuer_testlib import roster

from issuer.service import IssuerService
from issuer.storage.errors import ConflictError, ForbiddenError, NotFoundError
from verifier.data_integrity import verify_proofs
from verifier.merkle import check_inclusion
from verifier.status_list import parse_status_list_credential


def _on_chain(svc: IssuerService, credential_id: str) -> bool:
    record = svc.get_credential(credential_id)
    inclusion = check_inclusion(record.document)
    account = svc.get_institution(record.institution).eth_address
    return svc.chain.fresh_reader().is_revoked(
        account, inclusion.anchor.merkle_root, inclusion.anchor.leaf_index
    )


def _bit(svc: IssuerService, credential_id: str) -> bool:
    record = svc.get_credential(credential_id)
    signed = svc.status_list_credential(record.status_list_id)
    assert verify_proofs(signed).verified
    decoded = parse_status_list_credential(signed)
    return decoded.value(record.status_index) == 1


def test_revoking_an_anchored_credential(service: IssuerService) -> None:
    issued = service.issue_roster("sim", roster(3)).issued
    service.anchor_now()
    outcome = service.revoke(issued[1].id, "misconduct", institution="sim")
    assert outcome.on_chain == "revoked" and outcome.tx_hash and outcome.reason_code == 3
    assert _on_chain(service, issued[1].id) and not _on_chain(service, issued[0].id)
    assert _bit(service, issued[1].id) and not _bit(service, issued[0].id)
    record = service.get_credential(issued[1].id)
    assert record.revoked and record.revocation == "revoked" and record.revocation_reason == "misconduct"
    with pytest.raises(ConflictError):
        service.revoke(issued[1].id)


def test_revoked_before_anchoring_is_revoked_on_chain_after_in_one_transaction(
    service: IssuerService,
) -> None:
    issued = service.issue_roster("sim", roster(4)).issued
    first = service.revoke(issued[0].id, "issued in error")
    second = service.revoke(issued[2].id, "issued-in-error")
    assert first.on_chain == second.on_chain == "after-anchoring"
    assert _bit(service, issued[0].id)  # the status list changes at once
    report = service.worker().run_once(force_all=True)
    assert set(report.revoked) == {issued[0].id, issued[2].id}
    assert len(set(report.revoked.values())) == 1  # one revokeBatch transaction
    assert _on_chain(service, issued[0].id) and _on_chain(service, issued[2].id)
    assert not _on_chain(service, issued[1].id)


def test_revocation_is_refused_for_other_institutions_and_unknown_ids(service: IssuerService) -> None:
    issued = service.issue("sim", "bls", "a@example.org")
    service.create_institution("Other", slug="other", register=False)
    with pytest.raises(ForbiddenError):
        service.revoke(issued.id, institution="other")
    with pytest.raises(NotFoundError):
        service.revoke("00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFoundError):
        service.status_list_credential("nope-1")
