"""Claim e-mails (deliveries), claim tokens, the institution's delivery default.

Revision ID: 0005_delivery
Revises: 0004_signing_keys
Create Date: 2026-11-30 09:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_delivery"
down_revision = "0004_signing_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("institutions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deliver_email", sa.Boolean(), server_default=sa.true(), nullable=False)
        )

    op.create_table(
        "deliveries",
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("email_sealed", sa.Text(), nullable=False),
        sa.Column("email_key", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["credential_id"], ["credentials.id"]),
        sa.ForeignKeyConstraint(["institution_id"], ["institutions.id"]),
        sa.PrimaryKeyConstraint("credential_id"),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_deliveries_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_deliveries_email_key"), ["email_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_deliveries_institution_id"), ["institution_id"], unique=False)

    op.create_table(
        "claim_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["credential_id"], ["credentials.id"]),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("claim_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_tokens_credential_id"), ["credential_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("claim_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_tokens_credential_id"))
    op.drop_table("claim_tokens")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_institution_id"))
        batch_op.drop_index(batch_op.f("ix_deliveries_email_key"))
        batch_op.drop_index("ix_deliveries_due")
    op.drop_table("deliveries")
    with op.batch_alter_table("institutions", schema=None) as batch_op:
        batch_op.drop_column("deliver_email")
