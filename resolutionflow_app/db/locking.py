"""Row locks that work alike on PostgreSQL and SQLite, for read-modify-write sequences."""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

M = TypeVar("M", bound=SQLModel)


def lock_row(session: Session, model: type[M], row_id: Any) -> M | None:
    """Lock one row for the rest of the transaction and return it freshly read.

    PostgreSQL: `SELECT ... FOR UPDATE`. SQLite has no row locks and its driver opens the write
    transaction lazily, so a no-op UPDATE takes the database's write lock first; every read after
    it sees the latest committed data and no other writer can interleave until commit.

    Args:
        session: the open DB session (its transaction holds the lock).
        model: the table class.
        row_id: the primary key.

    Returns:
        The row, re-read after the lock was taken, or None when it does not exist.
    """
    if session.get_bind().dialect.name == "sqlite":
        table = model.__table__  # type: ignore[attr-defined]
        pk = next(iter(table.primary_key.columns))
        session.execute(sa.update(table).where(pk == row_id).values({pk.name: pk}))
    return session.get(model, row_id, with_for_update=True, populate_existing=True)
