"""sync with a team server

`sync_connections` (desktop: server URL, encrypted token and bundle key, last pull/push),
`sync_items` (desktop: version pulled, fingerprint pushed, conflicts) and `sync_receipts`
(server: pushed items as stored, so a second push of the same item changes nothing).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op
from resolutionflow_app.db.types import JSONType, UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the three sync tables."""
    op.create_table(
        "sync_connections",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("account_id", sa.Uuid(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("server_url", sa.String(length=500), nullable=False, server_default=""),
        sa.Column("remote_email", sa.String(length=320), nullable=True),
        sa.Column("token_encrypted", sa.Text(), nullable=True),
        sa.Column("bundle_key_encrypted", sa.Text(), nullable=True),
        sa.Column("last_pull_at", UTCDateTime(), nullable=True),
        sa.Column("last_push_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("user_id", name="uq_sync_connections_user"),
    )
    op.create_index("ix_sync_connections_account_id", "sync_connections", ["account_id"])
    op.create_table(
        "sync_items",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("connection_id", sa.Uuid(), sa.ForeignKey("sync_connections.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("remote_version", sa.Integer(), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("details", JSONType, nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("connection_id", "kind", "item_id", name="uq_sync_items_item"),
        sa.CheckConstraint("kind IN ('flow', 'step', 'session')", name="ck_sync_items_kind"),
        sa.CheckConstraint("status IN ('pulled', 'pushed', 'conflict', 'rejected')", name="ck_sync_items_status"),
    )
    op.create_index("ix_sync_items_connection_id", "sync_items", ["connection_id"])
    op.create_index("ix_sync_items_status", "sync_items", ["status"])
    op.create_table(
        "sync_receipts",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("account_id", sa.Uuid(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("kind", "item_id", name="uq_sync_receipts_item"),
    )
    op.create_index("ix_sync_receipts_account_id", "sync_receipts", ["account_id"])
    op.create_index("ix_sync_receipts_user_id", "sync_receipts", ["user_id"])


def downgrade() -> None:
    """Drop them."""
    op.drop_table("sync_receipts")
    op.drop_table("sync_items")
    op.drop_table("sync_connections")
