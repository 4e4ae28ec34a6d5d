"""The institution's logo (PNG or sanitized SVG), drawn on its certificates.

Revision ID: 0006_institution_logo
Revises: 0005_delivery
Create Date: 2026-11-30 10:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_institution_logo"
down_revision = "0005_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("institutions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("logo_type", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("logo_data", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("institutions", schema=None) as batch_op:
        batch_op.drop_column("logo_data")
        batch_op.drop_column("logo_type")
