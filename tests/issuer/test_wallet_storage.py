"""OpenID4VCI storage on SQLite and PostgreSQL (issuer.wallet.offers, issuer.wallet.nonces): codes
and tokens stored only as hashes; a code redeemed once, even by racing threads; a token gives
one credential; a nonce spent once; expired ones refused."""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from issuer.service import IssuerService
from issuer.storage.models import WalletOffer, utcnow
from issuer.wallet.errors import Oid4vciError
from issuer.wallet.nonces import new_nonce, nonce_key, spend_nonce
from issuer.wallet.offers import (
    check_access_token,
    claim_access_token,
    create_offer,
    finish_access_token,
    redeem_code,
    secret_hash,
)


def test_offers_tokens_and_nonces_on_both_databases(any_db_service: IssuerService) -> None:
    service = any_db_service
    credential_id = service.issue("sim", "acls", "wallet.store@example.org", name="Store Test").id
    db = service.db
    with db.session() as session:
        offer = create_offer(session, credential_id, "https://issuer.example")
    code = offer.pre_authorized_code
    with db.reader() as session:
        row = session.scalar(select(WalletOffer).where(WalletOffer.credential_id == credential_id))
        assert row is not None and row.code_hash == secret_hash(code) and row.token_hash is None

    # two threads race to redeem the same code: exactly one wins
    results: list[object] = []

    def redeem() -> None:
        try:
            with db.session() as session:
                results.append(redeem_code(session, code)[0])
        except Oid4vciError as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=redeem) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    tokens = [r for r in results if r != "invalid_grant"]
    assert len(tokens) == 1 and results.count("invalid_grant") == 3, results
    token = str(tokens[0])

    with db.reader() as session:
        grant = check_access_token(session, token)
    assert grant.credential_id == credential_id
    with db.session() as session:
        claim_access_token(session, grant)
    with db.session() as session, pytest.raises(Oid4vciError) as twice:
        claim_access_token(session, grant)
    assert twice.value.code == "invalid_token"
    with db.session() as session:
        finish_access_token(session, grant, credential_id)
    with db.reader() as session, pytest.raises(Oid4vciError):
        check_access_token(session, token)

    with db.session() as session:  # an expired code
        late = create_offer(session, credential_id, "https://issuer.example")
        session.flush()
        session.execute(
            update(WalletOffer)
            .where(WalletOffer.code_hash == secret_hash(late.pre_authorized_code))
            .values(code_expires_at=utcnow() - timedelta(seconds=1))
        )
    with db.session() as session, pytest.raises(Oid4vciError) as expired:
        redeem_code(session, late.pre_authorized_code)
    assert "expired" in str(expired.value)

    key = nonce_key(os.urandom(32))
    nonce = new_nonce(key)
    with db.session() as session:
        assert spend_nonce(session, key, nonce)
    with db.session() as session:
        assert not spend_nonce(session, key, nonce)  # spent
        assert not spend_nonce(session, nonce_key(os.urandom(32)), new_nonce(key))  # another key's
        assert not spend_nonce(session, key, new_nonce(key, utcnow() - timedelta(hours=1)))  # expired
