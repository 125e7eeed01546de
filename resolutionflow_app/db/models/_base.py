"""Shared column helpers for the SQLModel tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from resolutionflow_app.db.types import JSONType, UTCDateTime, new_id, utcnow


def id_field() -> Any:
    """UUID primary key."""
    return Field(default_factory=new_id, primary_key=True)


def fk_field(target: str, ondelete: str, *, nullable: bool = False, index: bool = True) -> Any:
    """A UUID foreign key with an explicit ON DELETE rule."""
    return Field(
        default=None,
        sa_column=sa.Column(sa.Uuid(), sa.ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index),
    )


def time_field(*, nullable: bool = False, index: bool = False, default_now: bool = True) -> Any:
    """A timezone-aware UTC timestamp column."""
    return Field(
        default_factory=utcnow if default_now else (lambda: None),
        sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index),
    )


def json_field(*, nullable: bool = True, default: Any = None) -> Any:
    """A JSON column (JSONB on PostgreSQL)."""
    if callable(default):
        return Field(default_factory=default, sa_column=sa.Column(JSONType, nullable=nullable))
    return Field(default=default, sa_column=sa.Column(JSONType, nullable=nullable))


__all__ = ["id_field", "fk_field", "time_field", "json_field", "uuid", "datetime", "sa"]
