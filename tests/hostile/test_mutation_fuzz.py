"""Mutation fuzz: one change at a time to valid anchored credentials must make them INVALID.

Every string, number, date, boolean, array element (removed, duplicated, swapped), object member
(removed, renamed, added), proof field, Merkle path element, leafIndex, context and type entry of
real credentials (every bundled template, with and without a holder name, with a status list
entry; the anchor data inside the anchor proof's proofValue too, decoded, changed and written back
canonically; and credentials in the first anchor proof form, MedCredAnchorProof2026) is changed
in turn and the credential verified. A mutation may stay VALID only if an oracle
computed from the mutated file proves it meaning-preserving, never because a list says so:

* anchored credentials: the Merkle leaf digest (JCS of the signed part) is unchanged AND the
  anchor proof parses to the same facts (hex case, a one-element previousProof list and the order
  of the proof set are not facts);
* pending credentials (no anchor proof yet; the verifier asks the issuer, here a loopback server
  serving each credential's current form at its id): may stay PENDING only if the Merkle leaf
  digest (JCS of the signed part) is unchanged: the issuer's copy must be the very same credential.

Removing the anchor proof is never VALID on the file's word: with nobody to ask (a urn:uuid id) it
is INVALID, whatever the date; with the issuer's anchored copy it is VALID again (the very same
credential, checked against the registry through the copy's anchor proof).
"""

from __future__ import annotations

import copy
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from anchor_support import anchor_proof_of, encode_any, set_anchor_field
from pipeline.servers import credential_host
from pipeline.world import Institution, World

from hostile.mutations import Mutation, mutations
from issuer.signing import sign
from issuer.status_list import StatusList, status_entry, status_list_credential
from verifier.data_integrity import create_verify_data, is_anchor_proof, proofs_of, unsecured_document_for
from verifier.errors import MedCredError
from verifier.jsonld_loader import default_loader
from verifier.merkle import AnchorProof, credential_digest, decode_anchor_value, find_anchor_proof
from verifier.pipeline import Verifier
from verifier.report import INVALID, PENDING, VALID, Report
from verifier.status_list import StatusListUnreachableError

TEMPLATES = ("acls", "bls", "cpd", "nrp", "pals")
STATUS_URL = "https://issuer.example.org/status/hostile-1"
TOTALS: Counter[str] = Counter()


def _status_fetcher(listing: Mapping[str, Any]) -> Callable[[str], Mapping[str, Any]]:
    """Serve one signed status list without HTTP; any other URL (a mutated one) is unreachable."""

    def fetch(url: str) -> Mapping[str, Any]:
        if url != STATUS_URL:
            raise StatusListUnreachableError(f"{url} is not served in this test")
        return copy.deepcopy(listing)

    return fetch


@pytest.fixture(scope="module")
def status_listing(institution: Institution) -> dict[str, Any]:
    bits = StatusList()
    bits.set(13)
    return sign(
        status_list_credential(STATUS_URL, institution.did, "revocation", bits),
        institution.key,
        institution.method,
    )


@pytest.fixture(scope="module")
def verifier(world: World, status_listing: dict[str, Any]) -> Verifier:
    return Verifier(world.config(status_list=True), status_list_fetcher=_status_fetcher(status_listing))


@pytest.fixture(scope="module")
def anchored(world: World, institution: Institution) -> list[tuple[str, dict[str, Any]]]:
    """Valid anchored credentials of every shape, with different leaf indexes and path lengths."""
    out: list[tuple[str, dict[str, Any]]] = []
    for template in TEMPLATES:
        named = world.issue_anchored(institution, 5, template=template)
        out += [(f"{template} leaf 0", named[0]), (f"{template} leaf 4", named[4])]
        anonymous = world.issue_anchored(institution, 3, template=template, holder=None)
        out.append((f"{template} without name, leaf 1", anonymous[1]))
    with_status = world.issue_anchored(
        institution, 2, template="acls", credential_status=status_entry(STATUS_URL, 7)
    )
    out += [("acls with credentialStatus, leaf 0", with_status[0])]
    for name, credential in [*out[:2], out[-1]]:  # the first anchor proof form still verifies
        anchor = find_anchor_proof(credential)
        assert anchor is not None
        legacy = dict(credential, proof=[*credential["proof"][:-1], anchor.to_legacy_json()])
        out.append((f"{name}, first anchor proof form", legacy))
    (single,) = world.issue_anchored(
        institution, 1, template="bls", credential_status=status_entry(STATUS_URL, 8)
    )
    out.append(("bls alone in its batch (empty Merkle path), with credentialStatus", single))
    return out


def _anchor_data_mutations(credential: dict[str, Any]) -> Iterator[Mutation]:
    """Every mutation of the anchor data inside proofValue, written back in canonical form (so each
    reaches the field checks instead of failing the canonical-encoding check)."""
    proof = anchor_proof_of(credential)
    if "proofValue" not in proof:
        return
    index = credential["proof"].index(proof)
    data = decode_anchor_value(proof["proofValue"])
    for inner in mutations(data):

        def change(document: Any, inner: Mutation = inner) -> Any:
            document["proof"][index]["proofValue"] = encode_any(inner.apply(data))
            return document

        yield Mutation(("proof", index, "proofValue", *inner.path), inner.kind, change)


def _verify(verifier: Verifier, credential: Any, mutation: Mutation) -> Report:
    try:
        return verifier.verify(credential)
    except Exception as exc:  # a verifier reports on hostile files, it never crashes on them
        pytest.fail(f"{mutation.label}: the verifier raised {type(exc).__name__}: {exc}")


def _anchor_facts(credential: Mapping[str, Any]) -> AnchorProof | None:
    """The anchor proof's facts, with previousProof normalized to a tuple (a list of one id names
    the same proof as the id)."""
    try:
        anchor = find_anchor_proof(credential)
    except MedCredError:
        return None
    if anchor is None:
        return None
    previous = anchor.previous_proof
    return replace(anchor, previous_proof=(previous,) if isinstance(previous, str) else previous)


def _same_anchored_meaning(original: Mapping[str, Any], mutated: Any) -> bool:
    """Oracle: same Merkle leaf digest and same anchor facts, so nothing a verifier reports differs."""
    if not isinstance(mutated, dict):
        return False
    try:
        same_digest = credential_digest(mutated) == credential_digest(original)
    except MedCredError:
        return False
    facts = _anchor_facts(mutated)
    return same_digest and facts is not None and facts == _anchor_facts(original)


def _is_anchor_removed(original: Mapping[str, Any], mutated: Any) -> bool:
    if not isinstance(mutated, dict):
        return False
    try:
        kept = proofs_of(mutated)
    except MedCredError:
        return False
    return kept == [p for p in proofs_of(original) if not is_anchor_proof(p)]


@pytest.mark.slow
def test_every_mutation_of_an_anchored_credential_is_invalid(
    anchored: list[tuple[str, dict[str, Any]]], verifier: Verifier
) -> None:
    started, tried, preserved = time.monotonic(), 0, Counter[str]()
    for name, credential in anchored:
        assert verifier.verify(credential).status == VALID, name
        for mutation in [*mutations(credential), *_anchor_data_mutations(credential)]:
            mutated = mutation.apply(credential)
            report = _verify(verifier, mutated, mutation)
            tried += 1
            if report.status == INVALID:
                continue
            assert not _is_anchor_removed(credential, mutated), f"{name}: {mutation.label} is not INVALID"
            assert _same_anchored_meaning(credential, mutated), (
                f"{name}: {mutation.label} changed the credential but it still verifies VALID"
            )
            preserved[mutation.kind] += 1
    TOTALS["anchored"] += tried
    print(
        f"\nmutation fuzz (anchored): {tried} mutations of {len(anchored)} credentials in "
        f"{time.monotonic() - started:.1f}s; {tried - sum(preserved.values())} INVALID, "
        f"{sum(preserved.values())} proven meaning-preserving {dict(preserved)}"
    )
    assert tried > 10_000
    # What the oracle let through is exactly the expected kinds of no-op, and nothing else.
    assert set(preserved) <= {
        "array swap [0] and [1]",  # the proof set's order: a set, and the leaf skips the anchor proof
        "string to list",  # previousProof "id" -> ["id"]
        "string hex digits upper case",  # merkleRoot / merklePath / transactionHash: same bytes
    }, preserved


def _signed_bytes(credential: Any) -> frozenset[bytes] | None:
    """What the Data Integrity signatures cover, proof by proof, as a set (a proof set is a set: the
    same proof twice adds nothing). None if it cannot be computed."""
    try:
        proofs = proofs_of(credential)
        loader = default_loader()
        return frozenset(
            create_verify_data(unsecured_document_for(credential, p, proofs), p, loader=loader)
            + str(p.get("proofValue")).encode()
            for p in proofs
        )
    except (MedCredError, TypeError, AttributeError, ValueError):
        return None


@pytest.mark.slow
def test_every_mutation_of_a_pending_credential_is_invalid_unless_it_is_the_same_credential(
    world: World, institution: Institution, status_listing: dict[str, Any]
) -> None:
    """Before anchoring the signature and the issuer's copy protect a credential: a mutation may stay
    PENDING (never VALID) only if it is byte for byte the credential the issuer holds (same leaf
    digest); the signed RDF being unchanged is no longer enough."""
    started, tried, preserved = time.monotonic(), 0, Counter[str]()
    with credential_host() as host:
        verifier = Verifier(
            world.config(status_list=True, allow_hosts=host.allow),
            status_list_fetcher=_status_fetcher(status_listing),
        )
        for template in TEMPLATES:
            (credential,) = world.issue(institution, template=template, base_url=host.base_url)
            host.put(credential["id"].removeprefix(host.base_url + "/"), credential)
            report = verifier.verify(credential)
            assert report.status == PENDING and report.check("anchor").code == "anchor_pending"
            original = _signed_bytes(credential)
            for mutation in mutations(credential):
                mutated = mutation.apply(credential)
                report = _verify(verifier, mutated, mutation)
                tried += 1
                if report.status == INVALID:
                    continue
                assert report.status == PENDING, f"{template}: {mutation.label} is {report.status}"
                assert isinstance(mutated, dict) and _signed_bytes(mutated) == original
                assert credential_digest(mutated) == credential_digest(credential), (
                    f"{template}: {mutation.label} is not the issuer's credential but is not INVALID"
                )
                preserved[mutation.kind] += 1
    TOTALS["pending"] += tried
    print(
        f"\nmutation fuzz (pending, issuer's copy): {tried} mutations of {len(TEMPLATES)} credentials "
        f"in {time.monotonic() - started:.1f}s; {sum(preserved.values())} left the credential "
        f"unchanged {dict(preserved)}"
    )
    assert tried > 3_000


def test_removing_the_anchor_proof_is_never_valid_on_the_files_word(
    world: World, institution: Institution
) -> None:
    (credential,) = world.issue_anchored(institution, template="cpd")
    stripped = dict(credential, proof=[p for p in credential["proof"] if not is_anchor_proof(p)])
    report = Verifier(world.config()).verify(stripped)  # signed moments ago: still not VALID
    assert report.status == INVALID
    assert {c.name: c.code for c in report.failed} == {"anchor": "pending_no_url"}
    with credential_host() as host:
        (served,) = world.issue_anchored(institution, template="cpd", base_url=host.base_url)
        host.put(served["id"].removeprefix(host.base_url + "/"), served)
        bare = dict(served, proof=[p for p in served["proof"] if not is_anchor_proof(p)])
        later = datetime.now(UTC) + timedelta(days=400)
        report = Verifier(world.config(allow_hosts=host.allow), now=lambda: later).verify(bare)
        assert report.status == VALID, report.to_json()  # the issuer's anchored copy, checked on chain
        assert report.check("issuer_copy").code == "anchor_from_issuer"


def test_a_revoked_credential_stripped_of_its_anchor_stays_revoked(
    world: World, institution: Institution, verifier: Verifier
) -> None:
    """Within the pending window the status list still catches a revocation the registry holds."""
    (credential,) = world.issue_anchored(institution, credential_status=status_entry(STATUS_URL, 13))
    stripped = dict(credential, proof=[p for p in credential["proof"] if not is_anchor_proof(p)])
    report = verifier.verify(stripped)
    assert report.status == INVALID
    assert report.check("status_list").code == "revoked"


def test_anchor_fields_outside_the_leaf_are_read_back_from_the_chain(
    anchored: list[tuple[str, dict[str, Any]]], verifier: Verifier
) -> None:
    """transactionHash and created are covered by no signature or leaf: the chain must confirm them."""
    _, credential = anchored[0]
    anchor = credential["proof"][-1]
    cases: Iterator[tuple[str, Any, str]] = iter(
        [
            ("transactionHash", "0x" + "ab" * 32, "anchor_transaction_mismatch"),
            ("created", "2020-01-01T00:00:00Z", "anchor_time_mismatch"),
        ]
    )
    for field, value, code in cases:
        forged = copy.deepcopy(credential)
        if field == "created":
            forged["proof"][-1][field] = value
        else:
            set_anchor_field(forged, field, value)
        report = verifier.verify(forged)
        assert {c.name: c.code for c in report.failed} == {"anchor": code}, field
    same = copy.deepcopy(credential)
    same["proof"][-1]["created"] = anchor["created"].replace("Z", "+00:00")  # same instant
    assert verifier.verify(same).status == VALID
