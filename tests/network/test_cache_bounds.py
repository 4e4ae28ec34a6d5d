"""Issue 9, memory: every cache keyed by what a credential says (status list URLs, DIDs, roots) stays
at its bound, holds no traceback and no huge key, and did:web failures are remembered briefly so a
silent host is asked once, not once per proof."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hostile_servers import ConnectionCounter
from pipeline.world import World

from issuer.chain.backends import open_chain
from verifier.chain.registry_reader import RegistryReader
from verifier.config import VerifierConfig
from verifier.did import DidResolutionError, DidResolver
from verifier.fetch import Fetcher, FetchPolicy
from verifier.multikey import ed25519_public_key_to_multibase
from verifier.pipeline import STATUS_LIST_CACHE_SIZE, Verifier
from verifier.ttl_cache import CachedFailure, TtlCache

DISTINCT = 20_000


@pytest.mark.parametrize("ttl", [None, 60.0])
def test_20000_distinct_keys_leave_the_memo_at_its_bound(ttl: float | None) -> None:
    cache = TtlCache(ttl, maxsize=500)
    for n in range(DISTINCT):
        assert cache.get(("anchor", os.urandom(32)), lambda n=n: n) == n
    assert len(cache) == 500


def test_a_huge_key_is_stored_as_its_hash() -> None:
    cache = TtlCache(60.0, maxsize=10)
    url = "http://example.org/" + "a" * 1_500_000
    cache.get(url, lambda: 1)
    assert cache.get(url, lambda: 2) == 1  # found again under the same hashed key
    assert cache.lookup(url) == 1
    keys = list(cache._data.keys())  # type: ignore[union-attr]
    assert keys == [keys[0]] and isinstance(keys[0], bytes) and len(keys[0]) == 32


def test_a_zero_ttl_caches_nothing() -> None:
    cache = TtlCache(0, maxsize=10)
    assert [cache.get("k", lambda n=n: n) for n in range(3)] == [0, 1, 2]
    assert len(cache) == 0


def test_20000_status_list_urls_leave_the_verifier_at_its_bound() -> None:
    """Each URL is refused at once (a private address); what is kept per URL is a short sentence."""
    verifier = Verifier(VerifierConfig(cache_ttl_seconds=60.0))
    for n in range(DISTINCT):
        verifier._status_list(f"http://10.255.{n % 250}.{n % 200}/lists/{n}", "did:example:issuer")
    verifier._status_list("http://10.0.0.1/" + "x" * 1_500_000, "did:example:issuer")
    assert len(verifier._status_lists) == STATUS_LIST_CACHE_SIZE
    values = verifier._status_lists.values()
    assert all(isinstance(v, CachedFailure) for v in values)
    assert max(len(v.message) for v in values) <= 300
    assert verifier.fetcher.failure_count() <= verifier.fetcher.policy.failure_cache_size


def test_20000_distinct_dids_leave_the_resolver_at_its_bound() -> None:
    resolver = DidResolver(allow_network=True, cache_size=256)
    for _ in range(DISTINCT // 4):  # did:key: resolved offline, kept as documents
        resolver.resolve("did:key:" + ed25519_public_key_to_multibase(os.urandom(32)))
    for n in range(DISTINCT):  # did:web on private addresses: refused, kept as failures
        with pytest.raises(DidResolutionError):
            resolver.resolve(f"did:web:10.{n % 250}.{n // 250 % 250}.1%3A{1000 + n % 60000}")
    assert len(resolver._documents) == 256
    assert len(resolver._failures) == 256
    assert all(isinstance(v, CachedFailure) and len(v.message) <= 300 for v in resolver._failures.values())


def test_a_silent_did_web_host_is_asked_once_not_once_per_proof() -> None:
    with ConnectionCounter() as host:  # accepts and hangs up: a TLS handshake fails
        fetcher = Fetcher(FetchPolicy(timeout=2.0, allow_hosts=frozenset({host.origin})))
        resolver = DidResolver(fetcher=fetcher)
        did = f"did:web:127.0.0.1%3A{host.port}"
        for _ in range(6):  # six proofs, or six checks, naming the same DID
            with pytest.raises(DidResolutionError) as caught:
                resolver.dereference(f"{did}#key-1")
            assert caught.value.code == "did_unresolvable"
        assert host.accepted == 1


def test_registry_reader_cache_is_bounded(anvil_node: tuple[Path, str]) -> None:
    """Distinct roots (each a real eth_call on anvil) leave the reader's cache at its bound (20,000
    roots through the same memo are the first test above)."""
    world = World.create(open_chain("local", anvil_node[0]))
    reader = RegistryReader(world.chain.w3, world.address, chain_id=world.chain.chain_id, ttl_seconds=60,
                            cache_size=50)  # fmt: skip
    for _ in range(300):
        assert not reader.anchor(world.governor.sender.account.address, os.urandom(32)).exists
    assert len(reader._cache) == 50
