"""Idempotency keys under concurrency, on SQLite and PostgreSQL: of many requests sent at once with
one key, exactly one runs; the others are told it is in progress, then get its stored answer."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from issuer_testlib import make_config

from issuer.service import DuplicateError, IssuerService
from issuer.storage.idempotency import KeyReusedError, RequestInProgressError, StoredAnswer
from verifier.settings import Settings


@pytest.fixture
def keyed_service(memory_settings: Settings, database_url: str) -> Iterator[IssuerService]:
    service = IssuerService(make_config(memory_settings, database_url))
    service.create_institution("Keyed Hospital", slug="keyed", register=False)
    yield service
    service.close()


def test_one_of_many_concurrent_requests_with_a_key_runs(keyed_service: IssuerService) -> None:
    service = keyed_service
    outcomes: list[object] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def attempt() -> None:
        start.wait()
        try:
            outcome: object = service.idempotency_begin("keyed", "key-1", "f" * 64)
        except RequestInProgressError as exc:
            outcome = exc
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claims = [o for o in outcomes if isinstance(o, int)]
    assert len(claims) == 1 and len(outcomes) == 8
    assert all(isinstance(o, RequestInProgressError) for o in outcomes if not isinstance(o, int))
    service.idempotency_finish(claims[0], 201, '{"id": "x"}', "http://medcred.test/credentials/x")
    replay = service.idempotency_begin("keyed", "key-1", "f" * 64)
    assert replay == StoredAnswer(201, '{"id": "x"}', "http://medcred.test/credentials/x")
    with pytest.raises(KeyReusedError):
        service.idempotency_begin("keyed", "key-1", "0" * 64)
    other = service.idempotency_begin("keyed", "key-2", "f" * 64)
    service.idempotency_release(other)
    assert isinstance(service.idempotency_begin("keyed", "key-2", "f" * 64), int)  # released: runs again


def test_the_same_award_sent_at_once_is_issued_once(memory_settings: Settings, database_url: str) -> None:
    """Without an Idempotency-Key, 6 identical requests at the same moment: the duplicate check is
    repeated in the storing transaction, so exactly one is issued and the others are refused."""
    service = IssuerService(make_config(memory_settings, database_url))
    try:
        service.create_institution("Busy Hospital", slug="busy")
        outcomes: list[object] = []
        lock = threading.Lock()
        start = threading.Barrier(6)

        def attempt() -> None:
            start.wait()
            try:
                outcome: object = service.issue("busy", "bls", "same@example.org", valid_from="2026-08-01").id
            except DuplicateError as exc:
                outcome = exc
            with lock:
                outcomes.append(outcome)

        threads = [threading.Thread(target=attempt) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        issued = [o for o in outcomes if isinstance(o, str)]
        assert len(issued) == 1 and len(outcomes) == 6, outcomes
        assert service.count_credentials("busy")["pending"] == 1
    finally:
        service.close()
