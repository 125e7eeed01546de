"""tree_versions.published: drafts of a public flow stay inside its account

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the flag; the current version of every published flow is marked published."""
    with op.batch_alter_table("tree_versions") as batch:
        batch.add_column(sa.Column("published", sa.Boolean(), server_default=sa.text("false"), nullable=False))
    op.execute(
        "UPDATE tree_versions SET published = true WHERE EXISTS (SELECT 1 FROM trees "
        "WHERE trees.id = tree_versions.tree_id AND trees.version = tree_versions.version AND trees.status = "
        "'published')"
    )


def downgrade() -> None:
    """Drop the flag."""
    with op.batch_alter_table("tree_versions") as batch:
        batch.drop_column("published")
