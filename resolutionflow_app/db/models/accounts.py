"""Accounts (teams), their users, and login tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from resolutionflow_app.db.models._base import fk_field, id_field, time_field

ROLES = ("owner", "author", "engineer")


class Account(SQLModel, table=True):
    """A team (an MSP, an IT department) that owns users, flows and automations."""

    __tablename__ = "accounts"
    __table_args__ = {"extend_existing": True}

    id: uuid.UUID = id_field()
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    allow_public_shares: bool = Field(
        default=True,
        sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    # The seed grandfathers existing public links when the policy is turned off; an owner may instead
    # pause them (404 like revoked) until the policy is turned on again.
    pause_public_links_when_off: bool = Field(
        default=False,
        sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class User(SQLModel, table=True):
    """A person in an account; `role` decides what they may change."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role IN ('owner', 'author', 'engineer')", name="ck_users_role"),
        {"extend_existing": True},
    )

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = fk_field("accounts.id", "CASCADE")
    email: str = Field(sa_column=sa.Column(sa.String(320), nullable=False, unique=True, index=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    role: str = Field(default="engineer", sa_column=sa.Column(sa.String(20), nullable=False))
    password_hash: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    is_active: bool = Field(default=True, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.true()))
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class AuthToken(SQLModel, table=True):
    """A login token; only its SHA-256 is stored so a database leak leaks no sessions."""

    __tablename__ = "auth_tokens"
    __table_args__ = {"extend_existing": True}

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = fk_field("users.id", "CASCADE")
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True, index=True))
    created_at: datetime = time_field()
    expires_at: datetime = time_field(index=True)
    revoked_at: datetime | None = time_field(nullable=True, default_now=False)
