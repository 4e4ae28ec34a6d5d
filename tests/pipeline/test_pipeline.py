"""The verification pipeline on real credentials anchored on the in-process chain."""

from __future__ import annotations

import copy
import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from anchor_support import anchor_data, set_anchor_field
from eth_account import Account

from verifier.config import TrustedRegistry
from verifier.jsonsafe import MAX_DEPTH
from verifier.pipeline import Verifier
from verifier.report import INVALID, VALID, CheckStatus

from .world import Institution, World


def _failed(report) -> dict[str, str]:
    return {c.name: c.code for c in report.failed}


def test_anchored_credential_is_valid(world: World, institution: Institution) -> None:
    (credential,) = world.issue_anchored(institution)
    report = Verifier(world.config()).verify(credential)
    assert report.status == VALID, report.to_json()
    names = [c.name for c in report.checks]
    assert names == [
        "parse",
        "schema",
        "issuer",
        "signature",
        "anchor",
        "accreditation",
        "signing_key",
        "revocation",
        "validity",
    ]
    assert all(c.status is CheckStatus.PASS for c in report.checks)
    summary = report.summary
    assert summary.issuer_name == institution.name
    assert summary.achievement == "Advanced Cardiac Life Support (ACLS) Provider"
    assert summary.holder_name == "Dr Ada Okafor"
    assert summary.block_number is not None and summary.transaction_hash.startswith("0x")
    assert report.to_json()["status"] == "VALID"


def test_every_credential_of_a_batch_verifies(world: World, institution: Institution) -> None:
    credentials = world.issue_anchored(institution, 7, template="pals")
    verifier = Verifier(world.config())
    assert [verifier.verify(c).status for c in credentials] == [VALID] * 7


def test_tampered_credential_is_invalid(world: World, institution: Institution) -> None:
    (credential,) = world.issue_anchored(institution)
    forged = copy.deepcopy(credential)
    forged["credentialSubject"]["achievement"]["name"] = "Cardiothoracic Surgery Fellowship"
    report = Verifier(world.config()).verify(forged)
    assert report.status == INVALID
    failed = _failed(report)
    assert failed["signature"] == "signature_invalid"
    assert failed["anchor"] == "leaf_mismatch" or failed["anchor"].startswith(("root", "leaf", "merkle"))


def test_tampered_merkle_path_is_invalid(world: World, institution: Institution) -> None:
    credentials = world.issue_anchored(institution, 4)
    forged = copy.deepcopy(credentials[1])
    path = anchor_data(forged)["merklePath"]
    set_anchor_field(forged, "merklePath", ["0x" + os.urandom(32).hex(), *path[1:]])
    report = Verifier(world.config()).verify(forged)
    assert report.status == INVALID
    assert "anchor" in _failed(report)
    assert report.check("signature").status is CheckStatus.PASS


def test_claiming_another_leaf_index_is_invalid(world: World, institution: Institution) -> None:
    credentials = world.issue_anchored(institution, 4)
    institution.writer.revoke(anchor_data(credentials[2])["merkleRoot"], 2)
    forged = copy.deepcopy(credentials[2])
    set_anchor_field(forged, "leafIndex", 3)  # dodge the revocation bit by naming a sibling's index
    assert Verifier(world.config()).verify(forged).status == INVALID


def test_expired_and_not_yet_valid(world: World, institution: Institution) -> None:
    (old,) = world.issue_anchored(institution, valid_from=datetime(2020, 1, 6, tzinfo=UTC))
    report = Verifier(world.config()).verify(old)
    assert report.status == INVALID
    assert _failed(report) == {"validity": "expired"}
    assert "expired on 6 January 2022" in report.check("validity").message
    (future,) = world.issue_anchored(institution, valid_from=datetime.now(UTC) + timedelta(days=30))
    report = Verifier(world.config()).verify(future)
    assert _failed(report) == {"validity": "not_yet_valid"}


def test_revoked_credential_is_invalid_with_reason(world: World, institution: Institution) -> None:
    credentials = world.issue_anchored(institution, 3)
    root = anchor_data(credentials[1])["merkleRoot"]
    institution.writer.revoke(root, 1, "issued-in-error")
    verifier = Verifier(world.config())
    report = verifier.verify(credentials[1])
    assert _failed(report) == {"revocation": "revoked"}
    assert "issued in error" in report.check("revocation").message
    assert verifier.verify(credentials[0]).status == VALID


def test_untrusted_registry_is_invalid(world: World, institution: Institution) -> None:
    (credential,) = world.issue_anchored(institution)
    other = TrustedRegistry("Other", world.chain.chain_id, Account.create().address, w3=world.chain.w3)
    report = Verifier(world.config(registries=(other,))).verify(credential)
    assert _failed(report) == {"trust": "issuer_not_trusted"}
    assert "registry you do not trust" in report.headline


def test_look_alike_registry_is_invalid(world: World) -> None:
    """A forger deploys their own registry, accredits themselves and anchors there: not trusted."""
    rogue_world = World.create(world.chain)
    forger = rogue_world.institution("Totally Real Medical Board")
    (credential,) = rogue_world.issue_anchored(forger)
    report = Verifier(world.config()).verify(credential)
    assert _failed(report) == {"trust": "issuer_not_trusted"}
    assert "Totally Real Medical Board" in report.headline  # named as what it calls itself, no more


def test_root_never_anchored_is_invalid(world: World, institution: Institution) -> None:
    signed = world.issue(institution, 2)
    from issuer.anchor_proof import AnchorInfo, attach_anchor_proofs
    from issuer.merkle_tree import build_tree

    tree = build_tree(signed)
    fake = AnchorInfo(world.chain.chain_id, world.address, tree.root, os.urandom(32), 1, datetime.now(UTC))
    report = Verifier(world.config()).verify(attach_anchor_proofs(signed, tree, fake)[0])
    assert _failed(report) == {"anchor": "root_not_anchored"}


def test_anchored_by_another_institution_is_invalid(world: World, institution: Institution) -> None:
    other = world.institution("Eastfield College of Nursing")
    signed = world.issue(institution, 1)
    anchored = world.anchor(other, signed)  # other's account anchors institution's credential
    report = Verifier(world.config()).verify(anchored[0])
    # The root is looked up under the credential's own issuer only: another's record does not count.
    assert _failed(report) == {"anchor": "root_not_anchored"}


def test_unregistered_or_retired_key_is_invalid(world: World) -> None:
    keyless = world.institution("Keyless Institute", register_key=False)
    (credential,) = world.issue_anchored(keyless)
    assert _failed(Verifier(world.config()).verify(credential)) == {"signing_key": "key_not_valid"}

    retired = world.institution("Compromised Academy")
    retired.writer.retire_key(retired.key.fingerprint, retired.key_valid_from)  # valid at no time
    (credential,) = world.issue_anchored(retired)
    assert _failed(Verifier(world.config()).verify(credential)) == {"signing_key": "key_not_valid"}


def test_suspension_keeps_earlier_credentials_valid(world: World) -> None:
    school = world.institution("Westmoor School of Medicine")
    (credential,) = world.issue_anchored(school)
    world.governor.suspend_issuer(school.account.address)
    report = Verifier(world.config()).verify(credential)
    assert report.status == VALID
    assert report.check("accreditation").code == "issuer_suspended"
    assert report.check("accreditation").status is CheckStatus.WARN


def test_unanchored_credential_without_an_issuer_url_is_invalid(
    world: World, institution: Institution
) -> None:
    """Never VALID on the file's word (it used to be, for 7 days): see test_pending.py for PENDING."""
    (credential,) = world.issue(institution)  # its id is a urn:uuid: nobody to ask
    report = Verifier(world.config()).verify(credential)
    assert report.status == INVALID, report.to_json()
    assert _failed(report) == {"anchor": "pending_no_url"}


def test_pending_from_unaccredited_issuer_is_invalid(world: World) -> None:
    from issuer.keys import Ed25519KeyPair, did_key_for, did_key_verification_method
    from issuer.signing import sign

    (credential,) = world.issue(world.institutions[0])
    key = Ed25519KeyPair.generate()
    did = did_key_for(key.public_key_multibase)
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    unsigned["issuer"] = {"id": did, "type": ["Profile"], "name": "Diploma Mill"}
    forged = sign(unsigned, key, did_key_verification_method(key.public_key_multibase))
    report = Verifier(world.config()).verify(forged)
    assert report.check("signature").status is CheckStatus.PASS
    assert _failed(report) == {"trust": "issuer_not_trusted"}


def test_recipient_match(world: World, institution: Institution) -> None:
    (credential,) = world.issue_anchored(institution, email="Ada.Okafor@Example.org")
    verifier = Verifier(world.config())
    assert verifier.verify(credential, recipient="ada.okafor@example.org").status == VALID
    report = verifier.verify(credential, recipient="someone.else@example.org")
    assert _failed(report) == {"recipient": "recipient_mismatch"}


def test_chain_reads_are_shared_across_a_batch(world: World, institution: Institution) -> None:
    credentials = world.issue_anchored(institution, 20)
    verifier = Verifier(world.config())
    for credential in credentials:
        assert verifier.verify(credential).status == VALID
    (reader,) = verifier._readers.values()
    cached = {key[0] for key in reader._cache._data}
    assert cached >= {"anchor", "key", "word"}  # one revocation word per batch of 20, read once


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        ("{not json", "not_json"),
        ("[1, 2]", "not_an_object"),
        ('"a string"', "not_an_object"),
        ("[" * 100_000 + "]" * 100_000, "too_deep"),
        ('{"a":' * 200 + "1" + "}" * 200, "too_deep"),
        ("{" + '"x": "' + "a" * (3 * 1024 * 1024) + '"}', "too_large"),
    ],
)
def test_malformed_input_fails_the_parse_check(world: World, text: str, code: str) -> None:
    report = Verifier(world.config()).verify_bytes(text)
    assert report.status == INVALID
    assert report.checks[0].name == "parse"
    assert report.checks[0].code == code


@pytest.mark.parametrize("depth", [MAX_DEPTH, MAX_DEPTH + 1])
def test_parsed_and_unparsed_credentials_are_measured_alike(world: World, depth: int) -> None:
    """The VC-API hands `verify` a parsed credential, the CLI hands `verify_bytes` text: one depth
    rule for both (brackets, as the JSON parser counts them), so the same document gets the same
    parse verdict whichever way it came in."""
    document: dict = {"leaf": "a scalar counts no level"}
    for _ in range(depth - 1):
        document = {"a": document}
    verifier = Verifier(world.config())
    as_text, as_object = verifier.verify_bytes(json.dumps(document)), verifier.verify(document)
    assert as_text.checks[0].code == as_object.checks[0].code
    too_deep = as_object.checks[0].code == "too_deep"
    assert too_deep is (depth > MAX_DEPTH)


def test_no_proof_and_unknown_cryptosuite(world: World, institution: Institution) -> None:
    (credential,) = world.issue(institution)
    bare = {k: v for k, v in credential.items() if k != "proof"}
    report = Verifier(world.config()).verify_bytes(json.dumps(bare))
    assert report.check("signature").code == "proof_missing"
    assert report.status == INVALID
    odd = copy.deepcopy(credential)
    odd["proof"][0]["cryptosuite"] = "ecdsa-rdfc-2019"
    report = Verifier(world.config()).verify(odd)
    assert report.status == INVALID
    assert report.check("signature").status is CheckStatus.FAIL


def test_schema_violations_are_named(world: World, institution: Institution) -> None:
    (credential,) = world.issue_anchored(institution)
    broken = copy.deepcopy(credential)
    del broken["credentialSubject"]["achievement"]["criteria"]
    report = Verifier(world.config()).verify(broken)
    assert report.check("schema").status is CheckStatus.FAIL
    assert "criteria" in report.check("schema").message
