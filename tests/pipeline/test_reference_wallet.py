"""Anchored MedCred credentials in standard holder software (npm @digitalbazaar/vc, the reference
JavaScript library): it verifies their signature, skips MedCred's anchor proof, and can sign a
presentation around them in JSON-LD safe mode."""

from __future__ import annotations

from verifier.merkle import find_anchor_proof

from .reference_wallet import sign_presentation
from .world import Institution, World


def test_the_reference_library_verifies_an_anchored_credential_and_skips_the_anchor_proof(
    world: World, institution: Institution
) -> None:
    credentials = world.issue_anchored(institution, 3)
    result = sign_presentation(credentials, challenge="c-1", domain="hr.example.org")
    assert result.error is None, result.error
    # One proof result per credential: the eddsa-rdfc-2022 signature; the anchor proof was skipped.
    assert result.credential_checks == [{"verified": True, "proofs": 1, "error": None}] * 3
    assert result.presentation is not None
    assert result.presentation["verifiableCredential"] == credentials
    assert result.presentation["proof"]["proofPurpose"] == "authentication"


def test_the_first_anchor_proof_form_is_what_holder_software_refused(
    world: World, institution: Institution
) -> None:
    """The bug this form replaces: blockNumber (and the other fields) expand to nothing."""
    (credential,) = world.issue_anchored(institution)
    anchor = find_anchor_proof(credential)
    assert anchor is not None
    legacy = dict(credential, proof=[credential["proof"][0], anchor.to_legacy_json()])
    result = sign_presentation([legacy], challenge="c-1", domain="hr.example.org")
    assert result.presentation is None
    assert result.error is not None and "Safe mode validation error" in result.error
    assert "blockNumber" in result.error
