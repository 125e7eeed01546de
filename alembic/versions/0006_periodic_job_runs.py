"""periodic job claims

`periodic_job_runs`: one row per job; a scheduler runs a job only after a conditional update of its
row, so several app replicas with the scheduler enabled run each job once per period between them.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the claims table."""
    op.create_table(
        "periodic_job_runs",
        sa.Column("name", sa.String(length=100), primary_key=True),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_count", sa.Integer(), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("periodic_job_runs")
