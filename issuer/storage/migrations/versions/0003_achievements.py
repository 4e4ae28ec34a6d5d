"""Achievement catalog (versions), credentials' achievement and duplicate key, idempotency keys.

Revision ID: 0003_achievements
Revises: 0002_admin_sessions
Create Date: 2026-11-30 08:51:26.682305
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_achievements"
down_revision = "0002_admin_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "achievements",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("starter", sa.String(length=64), nullable=True),
        sa.Column("validity", sa.String(length=32), nullable=True),
        sa.Column("achievement_json", sa.Text(), nullable=False),
        sa.Column("image_type", sa.String(length=32), nullable=True),
        sa.Column("image_data", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("series_id", "version"),
    )
    with op.batch_alter_table("achievements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_achievements_institution_id"), ["institution_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_achievements_series_id"), ["series_id"], unique=False)

    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("response_json", sa.Text(), nullable=True),
        sa.Column("location", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("institution_id", "key"),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotency_keys_created_at"), ["created_at"], unique=False)

    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("achievement_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("duplicate_key", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_credentials_achievement_id"), ["achievement_id"], unique=False)
        batch_op.create_index("ix_credentials_duplicate", ["institution_id", "duplicate_key"], unique=False)
        batch_op.create_foreign_key(
            "fk_credentials_achievement_id", "achievements", ["achievement_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_constraint("fk_credentials_achievement_id", type_="foreignkey")
        batch_op.drop_index("ix_credentials_duplicate")
        batch_op.drop_index(batch_op.f("ix_credentials_achievement_id"))
        batch_op.drop_column("duplicate_key")
        batch_op.drop_column("achievement_id")

    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_created_at"))

    op.drop_table("idempotency_keys")
    with op.batch_alter_table("achievements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_achievements_series_id"))
        batch_op.drop_index(batch_op.f("ix_achievements_institution_id"))

    op.drop_table("achievements")
