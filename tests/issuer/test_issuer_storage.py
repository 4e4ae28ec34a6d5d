"""Storage on SQLite and a real PostgreSQL: migrations, schema drift, status positions, tokens."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from issuer.config import ConfigError
from issuer.secrets import (
    SecretBox,
    SecretError,
    generate_master_key,
    load_or_create_key_file,
    parse_master_key,
)
from issuer.service import IssuerService
from issuer.storage.database import Database
from issuer.storage.errors import ForbiddenError, UnauthorizedError
from issuer.storage.migrate import current_revision, head_revision
from issuer.storage.models import Base
from issuer.storage.status_lists import permute


def test_migrations_reach_head_and_match_the_models(database_url: str) -> None:
    db = Database(database_url)
    Database(database_url)  # opening again is a no-op upgrade
    with db.engine.connect() as connection:
        assert current_revision(connection) == head_revision()
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"
    if db.dialect == "sqlite":
        with db.reader() as session:
            assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert session.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    db.dispose()


def test_permutation_is_a_bijection_that_hides_order() -> None:
    key = os.urandom(16)
    size = 1 << 12
    values = [permute(i, size, key) for i in range(size)]
    assert sorted(values) == list(range(size))
    assert values[:20] != list(range(20))
    assert values != [permute(i, size, os.urandom(16)) for i in range(size)]


def test_status_positions_are_unique_and_spill_into_a_new_list(any_db_service: IssuerService) -> None:
    svc = any_db_service
    from issuer.institutions import get_institution
    from issuer.storage.status_lists import allocate

    with svc.db.session() as session:
        institution = get_institution(session, "sim")
        first = allocate(session, institution, 1000)
        lists = session.execute(text("SELECT id, next_index, size FROM status_lists")).all()
        # Fill the first list almost to the end, then cross into the second.
        session.execute(text("UPDATE status_lists SET next_index = size - 3"))
        session.expire_all()
        spill = allocate(session, institution, 5)
    assert len(set(first)) == 1000
    assert lists == [("sim-1", 1000, 131072)]
    assert [list_id for list_id, _ in spill] == ["sim-1"] * 3 + ["sim-2"] * 2


def test_tokens_are_hashed_scoped_and_expire(any_db_service: IssuerService) -> None:
    svc = any_db_service
    token, info = svc.create_token("sim", ["issue"], label="registrar")
    assert token.startswith("mct_") and info.scopes == ("issue",)
    assert svc.verify_token(token, "issue", "sim").id == info.id
    with pytest.raises(ForbiddenError):
        svc.verify_token(token, "revoke", "sim")
    svc.create_institution("Other Hospital", slug="other", register=False)
    with pytest.raises(ForbiddenError):
        svc.verify_token(token, "issue", "other")
    with pytest.raises(UnauthorizedError):
        svc.verify_token("mct_not-a-token", "issue")
    with pytest.raises(UnauthorizedError):
        svc.verify_token(None, "issue")
    admin, _ = svc.create_token("sim", ["admin"])
    assert svc.verify_token(admin, "revoke", "sim").allows("issue")
    expired, _ = svc.create_token("sim", ["issue"], expires_in=timedelta(seconds=-1))
    with pytest.raises(UnauthorizedError, match="expired"):
        svc.verify_token(expired, "issue")
    svc.revoke_token("sim", info.id)
    with pytest.raises(UnauthorizedError, match="revoked"):
        svc.verify_token(token, "issue")
    with svc.db.reader() as session:
        stored = [row[0] for row in session.execute(text("SELECT token_hash FROM api_tokens"))]
    assert token not in stored and all(len(h) == 64 for h in stored)


def test_master_key_file_is_private_and_loose_permissions_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "var" / "master.key"
    key = load_or_create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key_file(path) == key
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by other users"):
        load_or_create_key_file(path)
    with pytest.raises(ConfigError):
        parse_master_key("too-short", "MEDCRED_MASTER_KEY")


def test_sealed_secrets_are_bound_to_key_and_purpose() -> None:
    box = SecretBox(parse_master_key(generate_master_key(), "test"))
    sealed = box.seal("z3u2secret", "institution:a:ed25519")
    assert "z3u2secret" not in sealed
    assert box.open(sealed, "institution:a:ed25519") == "z3u2secret"
    with pytest.raises(SecretError):
        box.open(sealed, "institution:b:ed25519")
    other = SecretBox(parse_master_key(generate_master_key(), "test"))
    with pytest.raises(SecretError, match="master key"):
        other.open(sealed, "institution:a:ed25519")
