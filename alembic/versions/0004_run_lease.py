"""automation run lease token (worker fencing)

`automation_runs.lease_token`: a fresh value per claim; runner writes are conditional on it, so a
worker whose run was taken over after its heartbeat stopped can no longer write to that run.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the lease column."""
    with op.batch_alter_table("automation_runs") as batch:
        batch.add_column(sa.Column("lease_token", sa.String(length=32), nullable=True))


def downgrade() -> None:
    """Drop the lease column."""
    with op.batch_alter_table("automation_runs") as batch:
        batch.drop_column("lease_token")
