"""Live troubleshooting sessions and their read-only share links."""

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

SESSION_STATUSES = ("in_progress", "completed")
OUTCOMES = ("resolved", "escalated", "abandoned")


class SupportSession(SQLModel, table=True):
    """An engineer walking a flow live (named so as not to clash with the DB session)."""

    __tablename__ = "sessions"
    __table_args__ = (
        sa.CheckConstraint("status IN ('in_progress', 'completed')", name="ck_sessions_status"),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('resolved', 'escalated', 'abandoned')", name="ck_sessions_outcome"
        ),
        {"extend_existing": True},
    )

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = fk_field("accounts.id", "CASCADE")
    user_id: uuid.UUID = fk_field("users.id", "CASCADE")
    tree_id: uuid.UUID | None = fk_field("trees.id", "SET NULL", nullable=True)
    tree_name: str = Field(default="", sa_column=sa.Column(sa.String(200), nullable=False, server_default=""))
    tree_type: str = Field(
        default="troubleshooting", sa_column=sa.Column(sa.String(20), nullable=False, server_default="troubleshooting")
    )
    tree_version: int = Field(default=1, sa_column=sa.Column(sa.Integer(), nullable=False, server_default="1"))
    # The structure as it was when the session started, so later edits never break it.
    tree_snapshot: dict[str, Any] = json_field(nullable=False, default=dict)
    status: str = Field(
        default="in_progress",
        sa_column=sa.Column(sa.String(20), nullable=False, server_default="in_progress", index=True),
    )
    current_node_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(255), nullable=True))
    history: list[dict[str, Any]] = json_field(nullable=False, default=list)
    custom_steps: list[dict[str, Any]] = json_field(nullable=False, default=list)
    outcome: str | None = Field(default=None, sa_column=sa.Column(sa.String(20), nullable=True, index=True))
    summary: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    started_at: datetime = time_field(index=True)
    completed_at: datetime | None = time_field(nullable=True, default_now=False)
    updated_at: datetime = time_field()


class SessionShare(SQLModel, table=True):
    """A read-only link to a session. `share_token` holds the SHA-256 hex of the token, never the token."""

    __tablename__ = "session_shares"
    __table_args__ = (
        sa.CheckConstraint("visibility IN ('public', 'account')", name="ck_session_shares_visibility"),
        {"extend_existing": True},
    )

    id: uuid.UUID = id_field()
    session_id: uuid.UUID = fk_field("sessions.id", "CASCADE")
    share_token: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True, index=True))
    share_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(100), nullable=True))
    visibility: str = Field(
        default="public", sa_column=sa.Column(sa.String(20), nullable=False, server_default="public")
    )
    created_by: uuid.UUID = fk_field("users.id", "CASCADE")
    created_at: datetime = time_field()
    updated_at: datetime = time_field()
    expires_at: datetime | None = time_field(nullable=True, index=True, default_now=False)
    view_count: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False, server_default="0"))
    last_viewed_at: datetime | None = time_field(nullable=True, default_now=False)
    is_active: bool = Field(
        default=True, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.true(), index=True)
    )
    revoked_at: datetime | None = time_field(nullable=True, default_now=False)


class SessionShareView(SQLModel, table=True):
    """One successful view of a share link."""

    __tablename__ = "session_share_views"
    __table_args__ = {"extend_existing": True}

    id: uuid.UUID = id_field()
    share_id: uuid.UUID = fk_field("session_shares.id", "CASCADE")
    viewer_id: uuid.UUID | None = fk_field("users.id", "SET NULL", nullable=True)
    viewed_at: datetime = time_field(index=True)
    viewer_ip: str | None = Field(default=None, sa_column=sa.Column(sa.String(45), nullable=True))
    viewer_user_agent: str | None = Field(default=None, sa_column=sa.Column(sa.String(500), nullable=True))
