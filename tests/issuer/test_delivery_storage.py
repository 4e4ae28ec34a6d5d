"""Claim e-mail rows and claim tokens on SQLite and a real PostgreSQL: the address sealed and
fingerprinted (never in clear), a due e-mail taken by one sender only, a sender that died
mid-send replaced after its lease, back-off and give-up, resend, new links by address, and
claim tokens that open, then expire."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from issuer.delivery import records
from issuer.delivery.claims import ClaimExpiredError, UnknownClaimError, claim_hash
from issuer.service import IssuerService
from issuer.storage.models import ClaimToken, Delivery, utcnow


def test_delivery_rows_move_safely_on_both_databases(any_db_service: IssuerService) -> None:
    service = any_db_service
    email = "Storage.Person@Example.org"
    issued = service.issue("sim", "bls", email, name="Storage Person")
    quiet = service.issue("sim", "bls", "quiet@example.org", deliver=False)
    with service.db.reader() as session:
        row = session.get(Delivery, issued.id)
        assert row is not None and row.state == "waiting"
        dump = json.dumps([row.email_sealed, row.email_key, row.last_error]).lower()
        assert "storage.person" not in dump and "example.org" not in dump
        assert session.get(Delivery, quiet.id).state == "off"  # type: ignore[union-attr]

    with service.db.session() as session:  # not anchored yet: nothing to queue
        assert records.promote_anchored(session) == 0
    service.anchor_now()
    with service.db.session() as session:
        assert records.promote_anchored(session) == 1
    with service.db.reader() as session:
        assert records.due_ids(session, 10) == [issued.id]

    with service.db.session() as session:
        taken = records.take(session, issued.id)
        assert taken is not None and taken.state == "sending"
        assert service.box.open(taken.email_sealed, records.seal_purpose(issued.id)) == email
    with service.db.session() as session:
        assert records.take(session, issued.id) is None  # a second sender gets nothing
    with service.db.session() as session:  # the first sender died: its lease runs out
        session.execute(
            update(Delivery)
            .where(Delivery.credential_id == issued.id)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
    with service.db.session() as session:
        assert records.take(session, issued.id) is not None
    with service.db.session() as session:
        assert records.mark_failed(session, issued.id, "down", retry_in=60, give_up_after=2) == "queued"
    with service.db.reader() as session:
        assert records.due_ids(session, 10) == []  # backing off
        row = session.get(Delivery, issued.id)
        assert row is not None and row.attempts == 1 and row.next_attempt_at > utcnow()  # type: ignore[operator]
    with service.db.session() as session:
        assert records.mark_failed(session, issued.id, "down", retry_in=60, give_up_after=2) == "failed"
    state = service.delivery.state(issued.id)
    assert state is not None and state.last_error == "Gave up after 2 attempts. Last: down"

    assert service.delivery.resend(issued.id, "sim").state == "queued"
    with service.db.session() as session:
        records.mark_sent(session, issued.id)
        session.execute(
            update(Delivery)
            .where(Delivery.credential_id == issued.id)
            .values(sent_at=utcnow() - timedelta(hours=1), queued_at=utcnow() - timedelta(hours=1))
        )
    assert service.delivery.request_new_links("storage.person@example.org") == 1  # normalized address
    assert service.delivery.request_new_links("storage.person@example.org") == 0  # not again so soon
    assert service.delivery.request_new_links("nobody@example.org") == 0


def test_claim_tokens_open_then_expire_on_both_databases(any_db_service: IssuerService) -> None:
    service = any_db_service
    issued = service.issue("sim", "bls", "claim@example.org", name="Claim Person")
    link = service.delivery.new_claim_link(issued.id)
    token = link.rsplit("/", 1)[1]
    assert service.delivery.open(token).credential_id == issued.id
    assert service.delivery.open(token).credential_id == issued.id  # usable until it expires
    with service.db.reader() as session:
        stored = list(session.scalars(select(ClaimToken.token_hash)))
        assert stored == [claim_hash(token)]
        if service.db.dialect == "postgresql":
            dumped = session.execute(text("SELECT string_agg(token_hash, ',') FROM claim_tokens")).scalar()
            assert token not in (dumped or "")
    with service.db.session() as session:
        session.execute(update(ClaimToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    with pytest.raises(ClaimExpiredError):
        service.delivery.open(token)
    with pytest.raises(UnknownClaimError):
        service.delivery.open(token[:-1] + ("A" if token[-1] != "A" else "B"))


def test_a_credential_revoked_while_its_e_mail_is_queued_is_not_sent(any_db_service: IssuerService) -> None:
    service = any_db_service
    issued = service.issue("sim", "bls", "revoked.soon@example.org", name="Revoked Soon")
    service.anchor_now()
    with service.db.session() as session:
        assert records.promote_anchored(session) == 1
    service.revoke(issued.id, "superseded")
    report = service.delivery.run_once()
    assert report.sent == 0
    state = service.delivery.state(issued.id)
    assert state is not None and state.state == "off" and state.last_error == records.REVOKED_NOTE
    mailbox = service.delivery.mailbox
    assert mailbox is not None and mailbox.messages("sim") == []
