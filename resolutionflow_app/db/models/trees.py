"""Flows (trees), their saved versions and fork links."""

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

TREE_TYPES = ("troubleshooting", "procedural", "maintenance")
TREE_STATUSES = ("draft", "published")


class Tree(SQLModel, table=True):
    """A guided flow: a troubleshooting decision tree or a procedural/maintenance checklist."""

    __tablename__ = "trees"
    __table_args__ = (
        sa.CheckConstraint("tree_type IN ('troubleshooting', 'procedural', 'maintenance')", name="ck_trees_tree_type"),
        sa.CheckConstraint("status IN ('draft', 'published')", name="ck_trees_status"),
        {"extend_existing": True},
    )

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = fk_field("accounts.id", "CASCADE")
    author_id: uuid.UUID | None = fk_field("users.id", "SET NULL", nullable=True)
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False, index=True))
    description: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    tree_type: str = Field(sa_column=sa.Column(sa.String(20), nullable=False, index=True))
    tree_structure: dict[str, Any] = json_field(nullable=False, default=dict)
    status: str = Field(
        default="draft", sa_column=sa.Column(sa.String(20), nullable=False, server_default="draft", index=True)
    )
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer(), nullable=False, server_default="1"))
    is_public: bool = Field(default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false()))
    is_active: bool = Field(
        default=True, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.true(), index=True)
    )
    # Fork tracking (foundational-schema.md, Part 1).
    parent_tree_id: uuid.UUID | None = fk_field("trees.id", "SET NULL", nullable=True)
    fork_reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(255), nullable=True))
    parent_updated_at: datetime | None = time_field(nullable=True, default_now=False)
    published_at: datetime | None = time_field(nullable=True, default_now=False)
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class TreeVersion(SQLModel, table=True):
    """An immutable snapshot of a flow's structure; one per saved structural change."""

    __tablename__ = "tree_versions"
    __table_args__ = (
        sa.UniqueConstraint("tree_id", "version", name="uq_tree_versions_tree_version"),
        {"extend_existing": True},
    )

    id: uuid.UUID = id_field()
    tree_id: uuid.UUID = fk_field("trees.id", "CASCADE")
    version: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    description: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    tree_structure: dict[str, Any] = json_field(nullable=False, default=dict)
    created_by: uuid.UUID | None = fk_field("users.id", "SET NULL", nullable=True)
    created_at: datetime = time_field()
    # True once this structure was the published one: other accounts see only such versions.
    published: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.text("false"))
    )
    # How it was made: "autosave" (the editor's working draft, updated in place while one person edits),
    # "save" (an explicit save or an API write), "restore", "create". Only an unpublished autosave coalesces.
    kind: str = Field(default="save", sa_column=sa.Column(sa.String(16), nullable=False, server_default="save"))
    label: str | None = Field(default=None, sa_column=sa.Column(sa.String(200), nullable=True))
    # {"added": n, "removed": n, "changed": n, "moved": n} against the version before it.
    summary: dict[str, Any] | None = json_field(nullable=True)
