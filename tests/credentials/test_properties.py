"""Property tests: sign-then-verify holds, and changing any value of a signed credential breaks it."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credentials.helpers import FIXED_TIME, Issuer
from issuer.credential_builder import Recipient
from verifier.canonicalize import canonicalize_with_pyld, rdfc
from verifier.data_integrity import verify_proofs

ISSUER = Issuer(bytes(range(32)), "St Elsewhere Simulation Centre")
SLUGS = ["acls", "bls", "cpd", "nrp", "pals", "pediatric-assessment"]
SUITES = ["eddsa-rdfc-2022", "eddsa-jcs-2022"]
SIGNED = {
    (slug, suite): ISSUER.sign(ISSUER.build(slug), cryptosuite=suite) for slug in SLUGS for suite in SUITES
}

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)


def _leaves(node: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(node, dict):
        return [leaf for key, value in node.items() for leaf in _leaves(value, (*path, key))]
    if isinstance(node, list):
        return [leaf for index, value in enumerate(node) for leaf in _leaves(value, (*path, index))]
    return [path]


def _set(document: Any, path: tuple, value: Any) -> None:
    for step in path[:-1]:
        document = document[step]
    document[path[-1]] = value


def _get(document: Any, path: tuple) -> Any:
    for step in path:
        document = document[step]
    return document


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    slug=st.sampled_from(SLUGS),
    suite=st.sampled_from(SUITES),
    name=st.one_of(st.none(), text.filter(str.strip)),
    email=st.emails(),
    salt=st.text(alphabet="0123456789abcdef", min_size=1, max_size=32),
    base_url=st.sampled_from([None, "https://sim.example.org", "https://x.example/a/b/"]),
)
def test_sign_then_verify(slug, suite, name, email, salt, base_url) -> None:
    credential = ISSUER.build(slug, recipient=Recipient(email, name, salt), base_url=base_url)
    signed = ISSUER.sign(credential, cryptosuite=suite)
    result = verify_proofs(signed)
    assert result.verified, result.message
    if suite == "eddsa-rdfc-2022":
        unsigned = {k: v for k, v in signed.items() if k != "proof"}
        assert rdfc(unsigned) == canonicalize_with_pyld(unsigned)


def _other_value(old: Any, draw) -> Any:
    if isinstance(old, bool):
        return not old
    if isinstance(old, int | float):
        return old + draw(st.integers(1, 1000))
    return draw(text.filter(lambda s: s != old))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(sorted(SIGNED)), data=st.data())
def test_changing_any_value_breaks_verification(key, data) -> None:
    signed = SIGNED[key]
    path = data.draw(st.sampled_from(_leaves(signed)), label="path")
    changed = copy.deepcopy(signed)
    _set(changed, path, _other_value(_get(signed, path), data.draw))
    result = verify_proofs(changed)
    assert not result.verified, (path, result)


def test_every_single_leaf_change_breaks_verification() -> None:
    """Exhaustive over one credential per suite: each leaf changed in turn."""
    for suite in SUITES:
        signed = SIGNED[("cpd", suite)]
        for path in _leaves(signed):
            changed = copy.deepcopy(signed)
            old = _get(signed, path)
            _set(
                changed,
                path,
                (not old) if isinstance(old, bool) else old + 1 if isinstance(old, int) else old + "x",
            )
            assert not verify_proofs(changed).verified, path


def test_sign_over_existing_proof_makes_a_set() -> None:
    signed = ISSUER.sign(ISSUER.build("acls"))
    cosigned = ISSUER.sign(signed, cryptosuite="eddsa-jcs-2022", created=FIXED_TIME)
    assert isinstance(cosigned["proof"], list) and len(cosigned["proof"]) == 2
    assert verify_proofs(cosigned).verified
    chained = ISSUER.sign(signed, previous_proof=signed["proof"][0]["id"])
    assert verify_proofs(chained).verified
    chained["proof"][0]["created"] = "2020-01-01T00:00:00Z"
    result = verify_proofs(chained)
    assert not result.verified
    assert [r.verified for r in result.proofs] == [False, False]
