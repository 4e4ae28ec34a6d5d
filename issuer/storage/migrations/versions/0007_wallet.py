"""OpenID4VCI: credential offers (pre-authorized codes, access tokens) and spent c_nonces.

Revision ID: 0007_wallet
Revises: 0006_institution_logo
Create Date: 2026-11-30 10:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_wallet"
down_revision = "0006_institution_logo"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wallet_offers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("code_expires_at", sa.DateTime(), nullable=False),
        sa.Column("code_used_at", sa.DateTime(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("token_expires_at", sa.DateTime(), nullable=True),
        sa.Column("issued_credential_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["credential_id"], ["credentials.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("wallet_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wallet_offers_credential_id"), ["credential_id"], unique=False)

    op.create_table(
        "wallet_nonces",
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("nonce_hash"),
    )
    with op.batch_alter_table("wallet_nonces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wallet_nonces_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wallet_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wallet_nonces_expires_at"))
    op.drop_table("wallet_nonces")
    with op.batch_alter_table("wallet_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wallet_offers_credential_id"))
    op.drop_table("wallet_offers")
