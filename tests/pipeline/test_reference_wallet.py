"""Anchored MedCred credentials in standard holder software (npm @digitalbazaar/vc, the reference
JavaScript library): it verifies their signature, skips MedCred's anchor proof, and can sign a
presentation around them in JSON-LD safe mode."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from issuer.credential_builder import Recipient, build_credential
from issuer.keys import Ed25519KeyPair, did_key_for
from issuer.signing import sign, signing_time
from issuer.templates import load_template
from verifier.merkle import find_anchor_proof
from verifier.pipeline import Verifier
from verifier.presentation import PresentationReport, verify_submission
from verifier.report import INVALID, VALID, CheckStatus

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


# ---------------------------------------------------------------------------- presentations

CHALLENGE, DOMAIN = "8c1f2b7e-challenge", "licensing.example.org"
HOLDER_SEED = bytes(range(32))
HOLDER = did_key_for(Ed25519KeyPair.from_seed(HOLDER_SEED).public_key_multibase)


def _verify(world: World, presentation: dict[str, Any], **options: Any) -> PresentationReport:
    report = verify_submission(Verifier(world.config()), json.dumps(presentation), **options)
    assert isinstance(report, PresentationReport)
    return report


def _issue_to(world: World, institution: Institution, subject_id: str) -> dict[str, Any]:
    """An anchored credential whose credentialSubject.id is a holder DID (what a wallet asks for)."""
    unsigned = build_credential(
        load_template("bls"),
        institution.profile,
        Recipient(email="ada.okafor@example.org", name="Dr Ada Okafor"),
        valid_from=datetime.now(UTC) - timedelta(days=1),
    )
    unsigned["credentialSubject"]["id"] = subject_id
    # Dated as the issuer dates it: never before the key's registration block, whose time can run
    # ahead of this machine's clock on a development chain (an earlier date is INVALID).
    signed = sign(
        unsigned, institution.key, institution.method, created=signing_time(institution.key_valid_from)
    )
    return world.anchor(institution, [signed])[0]


def test_a_presentation_signed_by_the_reference_library_holding_an_anchored_credential_is_valid(
    world: World, institution: Institution
) -> None:
    credentials = world.issue_anchored(institution, 2)
    signed = sign_presentation(credentials, challenge=CHALLENGE, domain=DOMAIN, seed=HOLDER_SEED)
    assert signed.presentation is not None and signed.holder == HOLDER
    report = _verify(world, signed.presentation, challenge=CHALLENGE, domain=DOMAIN)
    assert report.status == VALID, report.to_json()
    assert report.holder == HOLDER
    codes = {c.name: (c.status, c.code) for c in report.checks}
    assert codes["holder_proof"] == (CheckStatus.PASS, "ok")
    assert codes["challenge"] == (CheckStatus.PASS, "ok") and codes["domain"] == (CheckStatus.PASS, "ok")
    # MedCred credentials name their recipient by a hashed e-mail: not bound to the holder's DID.
    assert codes["holder_binding"] == (CheckStatus.WARN, "holder_not_bound")
    assert [c.report.status for c in report.credentials] == [VALID, VALID]
    assert all(c.report.check("anchor").status is CheckStatus.PASS for c in report.credentials)
    assert [c.holder_bound for c in report.credentials] == [None, None]


def test_a_presentation_for_another_challenge_or_domain_is_invalid(
    world: World, institution: Institution
) -> None:
    credentials = world.issue_anchored(institution)
    signed = sign_presentation(credentials, challenge=CHALLENGE, domain=DOMAIN, seed=HOLDER_SEED)
    assert signed.presentation is not None
    wrong_challenge = _verify(world, signed.presentation, challenge="another", domain=DOMAIN)
    assert wrong_challenge.status == INVALID
    assert {c.name: c.code for c in wrong_challenge.failed} == {"challenge": "challenge_mismatch"}
    wrong_domain = _verify(world, signed.presentation, challenge=CHALLENGE, domain="evil.example")
    assert {c.name: c.code for c in wrong_domain.failed} == {"domain": "domain_mismatch"}
    # The challenge is signed: changing it in the file breaks the holder's signature.
    replayed = copy.deepcopy(signed.presentation)
    replayed["proof"]["challenge"] = "another"
    report = _verify(world, replayed, challenge="another", domain=DOMAIN)
    assert {c.name: c.code for c in report.failed} == {"holder_proof": "signature_invalid"}
    # Not checked at all: the verifier is told it could be a replay.
    unchecked = _verify(world, signed.presentation)
    assert unchecked.status == VALID
    assert {c.name: c.code for c in unchecked.warnings}.items() >= {("challenge", "challenge_not_checked")}


def test_a_tampered_embedded_credential_is_invalid(world: World, institution: Institution) -> None:
    (credential,) = world.issue_anchored(institution)
    forged = copy.deepcopy(credential)
    forged["credentialSubject"]["achievement"]["name"] = "Cardiothoracic Surgery Fellowship"
    # The wallet signs whatever it holds (its own check of the credential says it is broken) ...
    signed = sign_presentation([forged], challenge=CHALLENGE, domain=DOMAIN, seed=HOLDER_SEED)
    assert signed.presentation is not None
    assert signed.credential_checks[0]["verified"] is False
    report = _verify(world, signed.presentation, challenge=CHALLENGE, domain=DOMAIN)
    # ... so the holder's proof holds, and the credential's own checks catch the forgery.
    assert report.check("holder_proof").status is CheckStatus.PASS
    assert report.status == INVALID
    failed = {c.name: c.code for c in report.credentials[0].report.failed}
    assert failed["signature"] == "signature_invalid" and "anchor" in failed
    assert report.headline.startswith("Credential 1 of 1:")
    # Tampering after the holder signed breaks the holder's signature too.
    after = copy.deepcopy(
        sign_presentation([credential], challenge=CHALLENGE, domain=DOMAIN, seed=HOLDER_SEED).presentation
    )
    after["verifiableCredential"][0]["credentialSubject"]["achievement"]["name"] = "Neurosurgery"
    report = _verify(world, after, challenge=CHALLENGE, domain=DOMAIN)
    assert report.check("holder_proof").code == "signature_invalid"
    assert report.credentials[0].report.status == INVALID


def test_holder_binding(world: World, institution: Institution) -> None:
    """A credential issued to the holder's DID is bound; one issued to someone else is refused."""
    mine = _issue_to(world, institution, HOLDER)
    signed = sign_presentation([mine], challenge=CHALLENGE, domain=DOMAIN, seed=HOLDER_SEED)
    report = _verify(world, signed.presentation, challenge=CHALLENGE, domain=DOMAIN)
    assert report.status == VALID, report.to_json()
    assert report.check("holder_binding").code == "ok"
    assert report.credentials[0].holder_bound is True

    someone_else = did_key_for(Ed25519KeyPair.from_seed(b"\x42" * 32).public_key_multibase)
    theirs = _issue_to(world, institution, someone_else)
    signed = sign_presentation([mine, theirs], challenge=CHALLENGE, domain=DOMAIN, seed=HOLDER_SEED)
    report = _verify(world, signed.presentation, challenge=CHALLENGE, domain=DOMAIN)
    assert report.status == INVALID
    assert {c.name: c.code for c in report.failed} == {"holder_binding": "holder_not_subject"}
    assert someone_else in report.headline and "Credential 2" in report.headline
    # Each credential is still genuine on its own: the presentation is what is refused.
    assert [c.report.status for c in report.credentials] == [VALID, VALID]
    assert [c.holder_bound for c in report.credentials] == [True, False]


def test_a_presentation_naming_a_holder_other_than_its_signer_is_invalid(
    world: World, institution: Institution
) -> None:
    (credential,) = world.issue_anchored(institution)
    impostor = did_key_for(Ed25519KeyPair.from_seed(b"\x07" * 32).public_key_multibase)
    signed = sign_presentation(
        [credential], challenge=CHALLENGE, domain=DOMAIN, seed=HOLDER_SEED, holder=impostor
    )
    report = _verify(world, signed.presentation, challenge=CHALLENGE, domain=DOMAIN)
    assert {c.name: c.code for c in report.failed} == {"holder_proof": "holder_mismatch"}


def test_an_unsigned_presentation(world: World, institution: Institution) -> None:
    credentials = world.issue_anchored(institution, 2)
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": credentials,
    }
    report = _verify(world, unsigned)
    assert report.status == VALID
    assert report.check("holder_proof").code == "presentation_unsigned"
    assert report.check("holder_proof").status is CheckStatus.WARN
    report = _verify(world, unsigned, challenge=CHALLENGE)
    assert {c.name: c.code for c in report.failed} == {"holder_proof": "presentation_unsigned"}
    empty = dict(unsigned, verifiableCredential=[])
    assert {c.name: c.code for c in _verify(world, empty).failed} == {"presentation": "no_credentials"}


def test_a_credential_is_not_taken_for_a_presentation(world: World, institution: Institution) -> None:
    """The word VerifiablePresentation inside a credential does not make it one."""
    (credential,) = world.issue(institution)
    credential["credentialSubject"]["achievement"]["description"] = "Not a VerifiablePresentation."
    report = verify_submission(Verifier(world.config()), json.dumps(credential))
    assert not isinstance(report, PresentationReport)
    assert report.check("signature").code == "signature_invalid"


def test_a_vc_jwt_presentation_signed_with_jose(world: World, institution: Institution) -> None:
    """A VC-JWT presentation (npm jose, EdDSA): nonce is the challenge, aud the domain."""
    mine = _issue_to(world, institution, HOLDER)
    signed = sign_presentation([mine], challenge=CHALLENGE, domain=DOMAIN, seed=HOLDER_SEED, jwt=True)
    assert isinstance(signed.presentation, str) and signed.presentation.count(".") == 2
    verifier = Verifier(world.config())
    report = verify_submission(verifier, signed.presentation, challenge=CHALLENGE, domain=DOMAIN)
    assert isinstance(report, PresentationReport)
    assert report.status == VALID, report.to_json()
    assert report.holder == HOLDER and "JWT" in report.check("holder_proof").message
    assert report.check("holder_binding").code == "ok"
    wrong = verify_submission(verifier, signed.presentation, challenge="other", domain=DOMAIN)
    assert {c.name: c.code for c in wrong.failed} == {"challenge": "challenge_mismatch"}
    header, payload, signature = signed.presentation.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    report = verify_submission(verifier, forged, challenge=CHALLENGE, domain=DOMAIN)
    assert {c.name: c.code for c in report.failed} == {"holder_proof": "signature_invalid"}
    # The same token as a VC 2.0 EnvelopedVerifiablePresentation.
    enveloped = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "EnvelopedVerifiablePresentation",
        "id": "data:application/vp+jwt," + signed.presentation,
    }
    report = verify_submission(verifier, json.dumps(enveloped), challenge=CHALLENGE, domain=DOMAIN)
    assert isinstance(report, PresentationReport) and report.status == VALID


def test_an_expired_holder_proof_is_invalid(world: World, institution: Institution) -> None:
    """A proof's `expires` (Data Integrity) bounds how long a presentation may be replayed."""
    credentials = world.issue_anchored(institution)
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fresh = sign_presentation(credentials, challenge=CHALLENGE, domain=DOMAIN, expires=later)
    assert fresh.presentation["proof"]["expires"] == later
    assert _verify(world, fresh.presentation, challenge=CHALLENGE, domain=DOMAIN).status == VALID
    stale = sign_presentation(credentials, challenge=CHALLENGE, domain=DOMAIN, expires="2020-01-01T00:00:00Z")
    report = _verify(world, stale.presentation, challenge=CHALLENGE, domain=DOMAIN)
    assert {c.name: c.code for c in report.failed} == {"holder_proof": "proof_expired"}
