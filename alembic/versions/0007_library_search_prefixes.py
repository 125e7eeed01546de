"""library search: prefixes of 1-6 letters indexed (type-ahead)

SQLite: the FTS5 table `step_library_fts` is recreated with prefix='1 2 3 4 5 6' (was '2 3') and
rebuilt from `step_library`. A prefix query ("rebo"*) without a prefix index of its length merges
the doclists of every term that starts with it before returning a row, which for a common word
costs a pass over most of the index; with one it reads one doclist incrementally, so LIMIT stops
early (about +20% database size on 100k steps). The view and the triggers of 0002 stay as they are.
PostgreSQL: nothing to change (prefix tsqueries use the GIN index of 0002).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _fts(prefix: str) -> list[str]:
    return [
        "DROP TABLE IF EXISTS step_library_fts",
        f"""CREATE VIRTUAL TABLE step_library_fts USING fts5(
             title, instructions, content='step_library_fts_src', content_rowid='rid',
             tokenize='unicode61 remove_diacritics 2', prefix='{prefix}')""",
        "INSERT INTO step_library_fts(step_library_fts) VALUES ('rebuild')",
    ]


def upgrade() -> None:
    """Recreate the SQLite FTS5 table with prefix indexes of 1-6 letters."""
    if op.get_bind().dialect.name == "sqlite":
        for sql in _fts("1 2 3 4 5 6"):
            op.execute(sql)


def downgrade() -> None:
    """Back to 0002's prefix='2 3'."""
    if op.get_bind().dialect.name == "sqlite":
        for sql in _fts("2 3"):
            op.execute(sql)
