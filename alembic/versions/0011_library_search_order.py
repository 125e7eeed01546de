"""library search: a candidate order for PostgreSQL that follows the table (search_seq)

PostgreSQL: `step_library.search_seq`, a bigint identity (insert order, never updated) with a btree
index. The search takes a common word's first matches in this order: an index scan that reads the
heap almost sequentially and stops early (the primary key, a random UUID, jumps across the heap:
about twice the buffer reads for the same matches). Like `search_tsv` it is not modelled.
SQLite: nothing to change (the FTS5 rowid is that order already).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the identity column (existing rows are numbered in table order) and its index."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE step_library ADD COLUMN search_seq bigint GENERATED ALWAYS AS IDENTITY")
        op.execute("CREATE INDEX ix_step_library_search_seq ON step_library (search_seq)")
        op.execute("ANALYZE step_library")  # statistics for the new column before the first search


def downgrade() -> None:
    """Drop the index and the column."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_step_library_search_seq")
        op.execute("ALTER TABLE step_library DROP COLUMN IF EXISTS search_seq")
