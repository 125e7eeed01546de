"""tree version kind, label and change summary

Autosaves of the editor coalesce into one working-draft version (`kind = 'autosave'`); explicit
saves may carry a name (`label`); every version keeps a short change summary against the one before.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add kind, label and summary."""
    with op.batch_alter_table("tree_versions") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="save"))
        batch.add_column(sa.Column("label", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("summary", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("tree_versions") as batch:
        batch.drop_column("summary")
        batch.drop_column("label")
        batch.drop_column("kind")
