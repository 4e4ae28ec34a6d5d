"""The fast RDFC path is byte-identical to pyld, and hands back whatever it does not handle."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credentials.helpers import FIXED_TIME, VECTORS, W3C, Issuer, load_json
from issuer.credential_builder import Recipient
from verifier.canonicalize import CanonicalizationError, canonicalize_with_pyld
from verifier.fastcanon import try_canonicalize
from verifier.jsonld_loader import default_loader

ISSUER = Issuer(bytes(range(32)), "St Elsewhere Simulation Centre")
LOADER = default_loader()
STATUS = {
    "id": "https://sim.example.org/status/1#5",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "revocation",
    "statusListIndex": "5",
    "statusListCredential": "https://sim.example.org/status/1",
}


def _documents() -> list[dict[str, Any]]:
    """Credentials of every template and both suites, their proof configurations, proof chains."""
    docs: list[dict[str, Any]] = []
    for slug in ("acls", "bls", "cpd", "nrp", "pals", "pediatric-assessment"):
        credential = ISSUER.build(
            slug, credential_status=STATUS, recipient=Recipient("a@b.org", 'Zoë O\'Brien "Z"')
        )
        docs.append(credential)
        for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
            signed = ISSUER.sign(credential, cryptosuite=suite)
            config = {k: v for k, v in signed["proof"][0].items() if k != "proofValue"}
            config["@context"] = credential["@context"]
            docs.append(config)
            chained = ISSUER.sign(signed, previous_proof=signed["proof"][0]["id"], created=FIXED_TIME)
            docs.append(dict(credential, proof=[chained["proof"][0]]))
    kat = load_json(VECTORS / "obv3-eddsa-rdfc-2022.json")
    docs.append(kat["unsignedCredential"])
    docs.append(dict(kat["proofOptions"], **{"@context": kat["unsignedCredential"]["@context"]}))
    return docs


DOCUMENTS = _documents()


def _pyld(doc: dict[str, Any]) -> str | None:
    try:
        return canonicalize_with_pyld(doc, loader=LOADER)
    except CanonicalizationError:
        return None


@pytest.mark.parametrize("index", range(len(DOCUMENTS)))
def test_fast_path_handles_and_matches_every_test_document(index) -> None:
    document = DOCUMENTS[index]
    fast = try_canonicalize(document, LOADER)
    assert fast is not None, "the fast path should handle MedCred's own documents"
    assert fast == canonicalize_with_pyld(document, loader=LOADER)


@pytest.mark.parametrize("path", sorted((W3C / "signed").glob("*.json")), ids=lambda p: p.stem)
def test_fast_path_on_w3c_vectors(path) -> None:
    loader = default_loader(include_examples=True)
    document = load_json(path)
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    proofs = document["proof"] if isinstance(document["proof"], list) else [document["proof"]]
    for candidate in [unsigned, *({**p, "@context": document["@context"]} for p in proofs)]:
        fast = try_canonicalize(candidate, loader)
        assert fast is None or fast == canonicalize_with_pyld(candidate, loader=loader)


TERMS = [
    "name", "description", "id", "type", "url", "image", "narrative", "creditsAvailable", "achievementType",
    "hashed", "salt", "identifier", "alignment", "targetUrl", "validFrom", "validUntil", "proof", "@context",
    "@id", "@type", "@value", "@language", "@list", "@graph", "@reverse", "ex:foo", "http://example.com/p",
    "unknownTerm", "previousProof", "proofPurpose", "created", "credentialSubject", "issuer", "achievement",
    "criteria", "tag", "email", "evidence", "credentialStatus", "statusListIndex", "jsonSchema", "@included",
    "digestMultibase", "relatedResource", "_sd", "cnf", "aud",
]  # fmt: skip
TYPES = [
    "Achievement", "Profile", "AchievementSubject", "IdentityObject", "Alignment", "Criteria",
    "DataIntegrityProof", "VerifiableCredential", "OpenBadgeCredential", "BitstringStatusListEntry",
    "JsonSchema", "Result", "Evidence", "Unknown", "ex:Type", "https://example.com/T", "_:b1", "@json",
]  # fmt: skip
IRIS = [
    "https://example.com/a", "urn:uuid:7e0c4b4e-3b46-4bd2-9d1e-1a8b1ee4e3f1", "did:key:z6MkhaX", "relative",
    "_:b0", "ex:thing", "http://example.com/a b", "https://example.com/<x>", "mailto:a@b.org", "#frag",
]  # fmt: skip

scalars = st.one_of(
    st.text(max_size=12),
    st.sampled_from(['a"b\\c\nd\re\tf', "\x08\x0c", "\u2028", "", " ", "é漢字🙂", "\x7f"]),
    st.sampled_from(IRIS + TYPES),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.5, 3.0, -0.0, 1e21, 1e-7, 2.5e300]),
    st.booleans(),
    st.none(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(TERMS), inner, max_size=3),
        st.fixed_dictionaries({"type": st.sampled_from(TYPES)}, optional={"id": st.sampled_from(IRIS)}),
    ),
    max_leaves=6,
)


def _containers(node: Any, found: list) -> list:
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            _containers(value, found)
    elif isinstance(node, list):
        found.append(node)
        for value in node:
            _containers(value, found)
    return found


@st.composite
def mutated_documents(draw) -> dict[str, Any]:
    document = copy.deepcopy(draw(st.sampled_from(DOCUMENTS)))
    for _ in range(draw(st.integers(1, 3))):
        container = draw(st.sampled_from(_containers(document, [])))
        action = draw(st.sampled_from(["set", "add", "delete", "wrap", "type"]))
        if isinstance(container, list):
            if not container:
                continue
            index = draw(st.integers(0, len(container) - 1))
            if action == "delete":
                del container[index]
            elif action == "wrap":
                container[index] = [container[index]]
            else:
                container[index] = draw(values)
            continue
        keys = sorted(container)
        if action == "add" or not keys:
            container[draw(st.sampled_from(TERMS))] = draw(values)
        elif action == "type":
            container["type"] = draw(
                st.one_of(st.sampled_from(TYPES), st.lists(st.sampled_from(TYPES), max_size=3))
            )
        else:
            key = draw(st.sampled_from(keys))
            if action == "delete":
                del container[key]
            elif action == "wrap":
                container[key] = [container[key]]
            else:
                container[key] = draw(values)
    return document


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=mutated_documents())
def test_fast_path_matches_pyld_on_variants(document) -> None:
    """Whatever the fast path returns is exactly pyld's (safe-mode) result; otherwise it declines."""
    fast = try_canonicalize(document, LOADER)
    if fast is not None:
        assert fast == _pyld(document)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30),
    description=st.text(max_size=60).filter(lambda s: not any(ord(c) < 32 or ord(c) == 127 for c in s)),
    credits=st.one_of(st.integers(0, 10**6), st.floats(0, 1e6, allow_nan=False)),
    tags=st.lists(st.text(min_size=1, max_size=10).filter(lambda s: s.isprintable()), max_size=4),
    slug=st.sampled_from(["acls", "cpd", "nrp"]),
)
def test_fast_path_handles_realistic_variants(name, description, credits, tags, slug) -> None:
    """Valid credentials with arbitrary printable text and numbers always take the fast path."""
    credential = ISSUER.build(slug, recipient=Recipient("x@y.org", name or None, salt="s"))
    achievement = credential["credentialSubject"]["achievement"]
    achievement["description"] = description or "d"
    achievement["creditsAvailable"] = credits
    achievement["tag"] = tags
    fast = try_canonicalize(credential, LOADER)
    assert fast is not None
    assert fast == canonicalize_with_pyld(credential, loader=LOADER)


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("bell\x07", "bell\\u0007"),
        ("form\x0cfeed", "form\\ffeed"),
        ("del\x7f", "del\\u007F"),
        ("nul\x00", "nul\\u0000"),
    ],
)
def test_rarely_escaped_characters_take_the_reference_path(text, written) -> None:
    """The fast path hands them over; the reference path writes RDFC-1.0's escapes (as rdf-canonize)."""
    credential = ISSUER.build("bls")
    credential["credentialSubject"]["achievement"]["description"] = text
    assert try_canonicalize(credential, LOADER) is None
    assert f'"{written}"' in canonicalize_with_pyld(credential, loader=LOADER)


def test_lone_surrogates_refused_by_both_paths() -> None:
    credential = ISSUER.build("bls")
    credential["credentialSubject"]["achievement"]["description"] = "half \ud83c of a pair"
    assert try_canonicalize(credential, LOADER) is None
    with pytest.raises(CanonicalizationError) as caught:
        canonicalize_with_pyld(credential, loader=LOADER)
    assert caught.value.code == "unsupported_character"


def test_threads_share_the_fast_path_safely() -> None:
    from concurrent.futures import ThreadPoolExecutor

    documents = DOCUMENTS * 8
    expected = [canonicalize_with_pyld(d, loader=LOADER) for d in documents]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda d: try_canonicalize(d, LOADER), documents))
    assert results == expected
