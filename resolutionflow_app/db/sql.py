"""Typed helpers for SQLAlchemy Core statements on SQLModel tables (what the stubs leave untyped)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result, Table
from sqlmodel import SQLModel


def table_of(model: type[SQLModel]) -> Table:
    """The Core `Table` of a SQLModel table class (set at runtime by the metaclass, not declared in its stubs)."""
    return cast(Table, getattr(model, "__table__"))  # noqa: B009 -- not declared in the stubs


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE or DELETE (`Session.execute` is typed as returning a plain `Result`)."""
    return cast(CursorResult[Any], result).rowcount
