"""Sync with a team server: the desktop's connection and item links, the server's push receipts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from resolutionflow_app.db.models._base import (
    fk_field,
    id_field,
    json_field,
    time_field,
)

SYNC_KINDS = ("flow", "step", "session")
SYNC_ITEM_STATUSES = ("pulled", "pushed", "conflict", "rejected")


class SyncConnection(SQLModel, table=True):
    """One local user's link to a team server (desktop side): URL, encrypted token and bundle key."""

    __tablename__ = "sync_connections"
    __table_args__ = (
        sa.UniqueConstraint("user_id", name="uq_sync_connections_user"),
        {"extend_existing": True},
    )

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = fk_field("accounts.id", "CASCADE")
    user_id: uuid.UUID = fk_field("users.id", "CASCADE", index=False)
    server_url: str = Field(default="", sa_column=sa.Column(sa.String(500), nullable=False, server_default=""))
    remote_email: str | None = Field(default=None, sa_column=sa.Column(sa.String(320), nullable=True))
    # Fernet tokens (integrations.crypto): the server's bearer token and the shared bundle key.
    token_encrypted: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    bundle_key_encrypted: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    last_pull_at: datetime | None = time_field(nullable=True, default_now=False)
    last_push_at: datetime | None = time_field(nullable=True, default_now=False)
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class SyncItem(SQLModel, table=True):
    """What the desktop knows of one synced item: the version pulled, the fingerprint pushed, a conflict."""

    __tablename__ = "sync_items"
    __table_args__ = (
        sa.UniqueConstraint("connection_id", "kind", "item_id", name="uq_sync_items_item"),
        sa.CheckConstraint("kind IN ('flow', 'step', 'session')", name="ck_sync_items_kind"),
        sa.CheckConstraint("status IN ('pulled', 'pushed', 'conflict', 'rejected')", name="ck_sync_items_status"),
        {"extend_existing": True},
    )

    id: uuid.UUID = id_field()
    connection_id: uuid.UUID = fk_field("sync_connections.id", "CASCADE")
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    # The same id on both sides: pulled rows keep the server's id, sessions keep the desktop's.
    item_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False))
    remote_version: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
    fingerprint: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False, index=True))
    message: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    details: dict[str, Any] | None = json_field(nullable=True)
    updated_at: datetime = time_field()


class SyncReceipt(SQLModel, table=True):
    """Server side: one pushed item as stored, so pushing it again changes nothing."""

    __tablename__ = "sync_receipts"
    __table_args__ = (
        sa.UniqueConstraint("kind", "item_id", name="uq_sync_receipts_item"),
        {"extend_existing": True},
    )

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = fk_field("accounts.id", "CASCADE")
    user_id: uuid.UUID | None = fk_field("users.id", "SET NULL", nullable=True)
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    item_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False))
    fingerprint: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    created_at: datetime = time_field()
    updated_at: datetime = time_field()
