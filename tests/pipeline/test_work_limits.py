"""Issue 9, CPU: each attack replayed against the real pipeline, INVALID with its reason.

- poison datasets (RDFC-1.0): blank nodes forming a clique of 8 and of 10 (a minute and hours of
  CPU before the work budget);
- 400 proofs chained by previousProof (43 s before), 50,000 @context entries (64 s before);
- nothing fetched over the network for such credentials (did:web, status lists).

Tests assert verdicts, reasons and work units, never time.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hostile_servers import ConnectionCounter
from pyld.canon import URDNA2015

from issuer.keys import Ed25519KeyPair, did_key_for, did_key_verification_method
from issuer.signing import sign
from issuer.status_list import status_entry
from verifier.canon_budget import DEFAULT_WORK_UNITS, WorkBudget
from verifier.canonicalize import CanonicalizationError, rdfc, to_dataset
from verifier.config import TrustedRegistry
from verifier.pipeline import Verifier
from verifier.report import INVALID, VALID, CheckStatus
from verifier.structure import StructureError, check_structure

from .world import Institution, World

KNOWS = "https://example.org/knows"


def clique(n: int) -> list[dict[str, Any]]:
    """n blank nodes, each linked to every other: all look alike to RDFC-1.0's first-degree hash."""
    return [{"id": f"_:n{i}", KNOWS: [{"id": f"_:n{j}"} for j in range(n) if j != i]} for i in range(n)]


def poisoned(credential: dict[str, Any], n: int) -> dict[str, Any]:
    forged = copy.deepcopy(credential)
    forged["credentialSubject"]["https://example.org/poison"] = clique(n)
    return forged


@pytest.fixture(scope="module")
def credential(world: World, institution: Institution) -> dict[str, Any]:
    (issued,) = world.issue_anchored(institution)
    return issued


@pytest.mark.parametrize("n", [8, 10])
def test_a_poison_clique_is_invalid_too_complex(world: World, credential: dict[str, Any], n: int) -> None:
    forged = poisoned(credential, n)
    report = Verifier(world.config()).verify(forged)
    assert report.status == INVALID
    signature = report.check("signature")
    assert signature is not None
    assert signature.code == "too_complex"
    assert "too complex to canonicalize" in signature.message
    assert report.check("anchor") is not None  # the rest of the report is still there


@pytest.mark.parametrize("n", [5, 8, 10])
def test_the_work_spent_on_a_poison_clique_is_bounded(credential: dict[str, Any], n: int) -> None:
    budget = WorkBudget()
    with pytest.raises(CanonicalizationError) as caught:
        rdfc(poisoned(credential, n), budget=budget)
    assert caught.value.code == "too_complex"
    assert budget.spent <= DEFAULT_WORK_UNITS


@pytest.mark.parametrize("n", [2, 3, 4])
def test_small_look_alike_groups_still_canonicalize_exactly_as_pyld(
    credential: dict[str, Any], n: int
) -> None:
    document = poisoned(credential, n)
    document.pop("proof")
    budget = WorkBudget()
    budgeted = rdfc(document, budget=budget)
    reference = URDNA2015().main(
        to_dataset(document), {"algorithm": "URDNA2015", "format": "application/n-quads"}
    )
    assert budgeted == reference
    assert 0 < budget.spent <= DEFAULT_WORK_UNITS


def test_400_chained_proofs_are_refused_before_any_cryptography(
    world: World, credential: dict[str, Any]
) -> None:
    forged = copy.deepcopy(credential)
    first = forged["proof"][0]
    chain = [dict(first, id="urn:proof:0")]
    for i in range(1, 400):
        chain.append(dict(first, id=f"urn:proof:{i}", previousProof=f"urn:proof:{i - 1}"))
    forged["proof"] = chain
    report = Verifier(world.config()).verify(forged)
    assert report.status == INVALID
    assert [(c.name, c.code) for c in report.failed] == [("structure", "too_many_proofs")]
    assert report.check("signature") is None  # never reached


def test_a_short_proof_set_with_a_long_chain_or_a_cycle_is_refused(credential: dict[str, Any]) -> None:
    first = credential["proof"][0]
    chain = [dict(first, id="urn:p:0")] + [
        dict(first, id=f"urn:p:{i}", previousProof=f"urn:p:{i - 1}") for i in range(1, 6)
    ]
    with pytest.raises(StructureError) as caught:
        check_structure(dict(credential, proof=chain))
    assert caught.value.code == "proof_chain_too_long"
    circle = [dict(first, id="urn:a", previousProof="urn:b"), dict(first, id="urn:b", previousProof="urn:a")]
    with pytest.raises(StructureError) as caught:
        check_structure(dict(credential, proof=circle))
    assert caught.value.code == "proof_chain_cycle"
    check_structure(credential)  # MedCred's own: two proofs, a chain of two


def test_50000_contexts_are_refused_before_any_cryptography(world: World, credential: dict[str, Any]) -> None:
    forged = copy.deepcopy(credential)
    forged["@context"] = forged["@context"] + ["https://www.w3.org/ns/credentials/v2"] * 50_000
    report = Verifier(world.config()).verify(forged)
    assert report.status == INVALID
    assert [(c.name, c.code) for c in report.failed] == [("structure", "too_many_contexts")]
    nested = copy.deepcopy(credential)  # contexts hidden inside the document count too
    nested["credentialSubject"]["https://example.org/x"] = [{"@context": []} for _ in range(40)]
    nested["credentialSubject"]["https://example.org/y"] = {"@context": ["a"] * 40}
    assert Verifier(world.config()).verify(nested).failed[0].code == "too_many_contexts"


def test_a_huge_document_is_refused_by_its_number_of_values(world: World, credential: dict[str, Any]) -> None:
    """Many values, and one long array (n²/2 comparisons in JSON-LD's node map): both refused."""
    many = copy.deepcopy(credential)
    many["credentialSubject"]["https://example.org/bulk"] = [[i] * 10 for i in range(500)]
    report = Verifier(world.config()).verify(many)
    assert [(c.name, c.code) for c in report.failed] == [("structure", "too_large")]
    long = copy.deepcopy(credential)
    long["credentialSubject"]["https://example.org/bulk"] = list(range(600))
    report = Verifier(world.config()).verify(long)
    assert [(c.name, c.code) for c in report.failed] == [("structure", "too_large")]


def test_the_genuine_credential_still_verifies(world: World, credential: dict[str, Any]) -> None:
    report = Verifier(world.config()).verify(credential)
    assert report.status == VALID, report.to_json()
    assert report.check("structure") is None  # the limits add a line only when they refuse


def test_nothing_is_fetched_for_a_poisoned_credential(world: World, credential: dict[str, Any]) -> None:
    """A did:web issuer and a status list on hosts that count connections: a credential refused
    before its signature held makes the verifier contact neither."""
    with ConnectionCounter() as did_host, ConnectionCounter() as list_host:
        forged = poisoned(credential, 8)
        did = f"did:web:127.0.0.1%3A{did_host.port}"
        forged["issuer"] = dict(forged["issuer"], id=did) if isinstance(forged["issuer"], dict) else did
        forged["proof"][0]["verificationMethod"] = f"{did}#key-1"
        forged["credentialStatus"] = status_entry(f"http://{list_host.origin}/list", 3)
        allow = frozenset({did_host.origin, list_host.origin})
        report = Verifier(world.config(did_web=True, status_list=True, allow_hosts=allow)).verify(forged)
        assert report.status == INVALID
        assert report.check("signature").code == "too_complex"
        assert report.check("issuer").status is CheckStatus.SKIPPED
        status = report.check("status_list")
        assert status is not None and status.code == "not_fetched"
        assert did_host.accepted == 0
        assert list_host.accepted == 0


def test_nothing_is_fetched_for_an_unknown_issuer(world: World, credential: dict[str, Any]) -> None:
    """Anyone can sign with a key of their own and name a status list on any host (bench_hostile's
    "distinct" credentials name a fresh host name each time): the signature holds, but nothing the
    configuration trusts knows the issuer, so the verifier contacts no host the sender chose."""
    key = Ed25519KeyPair.generate()
    did = did_key_for(key.public_key_multibase)
    with ConnectionCounter() as list_host:
        unsigned = {k: v for k, v in copy.deepcopy(credential).items() if k != "proof"}
        unsigned["issuer"] = dict(unsigned["issuer"], id=did, name="Not A Hospital")
        unsigned["credentialStatus"] = status_entry(f"http://{list_host.origin}/list", 3)
        forged = sign(unsigned, key, did_key_verification_method(key.public_key_multibase))
        config = world.config(status_list=True, allow_hosts=frozenset({list_host.origin}))
        report = Verifier(config).verify(forged)
        assert report.status == INVALID
        assert report.check("signature").status is CheckStatus.PASS
        assert report.check("trust").code == "issuer_not_trusted"
        assert report.check("status_list").code == "not_fetched"
        assert list_host.accepted == 0


def test_a_known_issuer_s_list_is_read_when_its_registry_cannot_be_asked(
    world: World, institution: Institution
) -> None:
    """The other side of the rule above: with the trusted registry unreachable, the issuer may well
    be known (the trust check says `issuer_not_trusted` all the same), so its list is still read
    and a revocation it holds still shows."""
    with ConnectionCounter() as list_host:
        status = status_entry(f"http://{list_host.origin}/list", 3)
        (credential,) = world.issue_anchored(institution, credential_status=status)
        dead = TrustedRegistry("unreachable", world.chain.chain_id, world.address, "http://127.0.0.1:9")
        config = world.config(registries=(dead,), status_list=True, allow_hosts=frozenset({list_host.origin}))
        report = Verifier(config).verify(credential)
        assert report.status == INVALID
        assert report.check("trust").code == "issuer_not_trusted"
        assert report.check("status_list").code != "not_fetched"
        assert list_host.accepted >= 1
