"""The step library: reusable steps, categories, ratings and the usage log."""

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

STEP_TYPES = ("action", "solution", "decision")
STEP_VISIBILITIES = ("private", "team", "public")


class StepCategory(SQLModel, table=True):
    """A category to file library steps under (per account)."""

    __tablename__ = "step_categories"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "name", name="uq_step_categories_account_name"),
        {"extend_existing": True},
    )

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = fk_field("accounts.id", "CASCADE")
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    description: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    created_at: datetime = time_field()


class LibraryStep(SQLModel, table=True):
    """A reusable step; either written by hand or synced from a published flow."""

    __tablename__ = "step_library"
    __table_args__ = (
        sa.UniqueConstraint("source_tree_id", "source_node_id", name="uq_step_library_source"),
        sa.CheckConstraint("step_type IN ('action', 'solution', 'decision')", name="ck_step_library_step_type"),
        sa.CheckConstraint("visibility IN ('private', 'team', 'public')", name="ck_step_library_visibility"),
        sa.CheckConstraint("usage_count >= 0", name="ck_step_library_usage_count"),
        {"extend_existing": True},
    )

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = fk_field("accounts.id", "CASCADE")
    created_by: uuid.UUID | None = fk_field("users.id", "SET NULL", nullable=True)
    category_id: uuid.UUID | None = fk_field("step_categories.id", "SET NULL", nullable=True)
    title: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    step_type: str = Field(default="action", sa_column=sa.Column(sa.String(20), nullable=False, index=True))
    # {instructions, help_text, commands: [{label, command, command_type}], group_label}
    content: dict[str, Any] = json_field(nullable=False, default=dict)
    visibility: str = Field(default="team", sa_column=sa.Column(sa.String(20), nullable=False, index=True))
    usage_count: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False, server_default="0"))
    rating_sum: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False, server_default="0"))
    rating_count: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False, server_default="0"))
    is_active: bool = Field(
        default=True, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.true(), index=True)
    )
    # Flow sync (flow-to-library-step-sync.md, Section 1).
    source_tree_id: uuid.UUID | None = fk_field("trees.id", "SET NULL", nullable=True)
    source_node_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(255), nullable=True))
    is_flow_synced: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false(), index=True)
    )
    last_synced_at: datetime | None = time_field(nullable=True, default_now=False)
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class StepRating(SQLModel, table=True):
    """One user's 1-5 rating of a library step (changing it replaces the old one)."""

    __tablename__ = "step_ratings"
    __table_args__ = (
        sa.UniqueConstraint("step_id", "user_id", name="uq_step_ratings_step_user"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_step_ratings_rating"),
        {"extend_existing": True},
    )

    id: uuid.UUID = id_field()
    step_id: uuid.UUID = fk_field("step_library.id", "CASCADE")
    user_id: uuid.UUID = fk_field("users.id", "CASCADE")
    rating: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class StepUsageLog(SQLModel, table=True):
    """One insertion of a library step into a live session."""

    __tablename__ = "step_usage_log"
    __table_args__ = {"extend_existing": True}

    id: uuid.UUID = id_field()
    step_id: uuid.UUID = fk_field("step_library.id", "CASCADE")
    user_id: uuid.UUID | None = fk_field("users.id", "SET NULL", nullable=True)
    session_id: uuid.UUID | None = fk_field("sessions.id", "SET NULL", nullable=True)
    used_at: datetime = time_field(index=True)
