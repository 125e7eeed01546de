"""pause public links while public sharing is off

`accounts.pause_public_links_when_off`: an owner's choice, when turning public sharing off, to make
existing public links answer 404 until it is turned back on (the seed's default grandfathers them).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column (false: the seed's grandfathering stays the default)."""
    # A plain ADD COLUMN (SQLite supports it with a constant default): a batch copy of `accounts` would have
    # to drop the table every other table references, which SQLite refuses once rows exist.
    op.add_column(
        "accounts", sa.Column("pause_public_links_when_off", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    """Drop the column."""
    op.drop_column("accounts", "pause_public_links_when_off")  # SQLite >= 3.35 drops a column in place
