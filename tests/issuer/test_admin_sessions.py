"""Server-side admin sessions on SQLite and PostgreSQL (issuer.storage.admin_sessions): a session
opens for an admin token, ends on logout, on revocation of its token, on expiry and when idle, and
the database holds only the secret's SHA-256."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select, update

from issuer.service import IssuerService
from issuer.storage.admin_sessions import IDLE_SECONDS, AdminSessions
from issuer.storage.models import AdminSession, utcnow


def test_sessions_open_end_and_expire(any_db_service: IssuerService) -> None:
    service = any_db_service
    store = AdminSessions(service.db)
    _, info = service.create_token("sim", ["admin"])
    first, second = store.open(info), store.open(info)
    assert first != second
    assert store.current(first) == info and store.current(second) == info
    with service.db.reader() as session:
        ids = set(session.scalars(select(AdminSession.id)))
    assert ids == {hashlib.sha256(s.encode()).hexdigest() for s in (first, second)}

    store.end(first)
    assert store.current(first) is None and store.current(second) == info  # logout ends one session

    with service.db.session() as session:
        session.execute(
            update(AdminSession).values(last_seen_at=utcnow() - timedelta(seconds=IDLE_SECONDS + 1))
        )
    assert store.current(second) is None  # idle
    third = store.open(info)
    with service.db.session() as session:
        session.execute(update(AdminSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert store.current(third) is None  # expired
    fourth = store.open(info)  # opening purges the expired rows
    with service.db.reader() as session:
        assert set(session.scalars(select(AdminSession.id))) <= {
            hashlib.sha256(s.encode()).hexdigest() for s in (second, fourth)
        }

    service.revoke_token("sim", info.id)
    assert store.current(fourth) is None
    with service.db.reader() as session:
        assert not list(session.scalars(select(AdminSession).where(AdminSession.token_id == info.id)))
    assert store.current(None) is None and store.current("x" * 500) is None


def test_a_token_without_the_admin_scope_opens_nothing(any_db_service: IssuerService) -> None:
    store = AdminSessions(any_db_service.db)
    _, info = any_db_service.create_token("sim", ["issue"])
    assert store.current(store.open(info)) is None
