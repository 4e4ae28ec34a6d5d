"""Earlier signing keys of an institution (key rotation and retirement).

Revision ID: 0004_signing_keys
Revises: 0003_achievements
Create Date: 2026-11-30 09:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_signing_keys"
down_revision = "0003_achievements"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=66), nullable=False),
        sa.Column("public_key", sa.String(length=128), nullable=False),
        sa.Column("verification_method", sa.String(length=700), nullable=False),
        sa.Column("valid_from", sa.BigInteger(), nullable=False),
        sa.Column("valid_until", sa.BigInteger(), nullable=True),
        sa.Column("replaced_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["institution_id"], ["institutions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("institution_id", "fingerprint"),
    )
    op.create_index("ix_signing_keys_institution_id", "signing_keys", ["institution_id"])


def downgrade() -> None:
    op.drop_index("ix_signing_keys_institution_id", table_name="signing_keys")
    op.drop_table("signing_keys")
