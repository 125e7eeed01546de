"""library search: the PostgreSQL full-text GIN index without a pending list (fastupdate off)

PostgreSQL: `ix_step_library_search_tsv` (0002) is set to fastupdate = off and its pending list is
merged into the index. With fastupdate on, new and changed steps first go to an unsorted pending
list (up to gin_pending_list_limit, 4 MB) that every search through the index scans in full until
VACUUM merges it; after a bulk import of 100k steps that was ~5,500 entries, which cost 1-3 ms on
each selective search. Searches run on every keystroke, steps are written rarely, so each write
now updates the index directly instead.
SQLite: nothing to change (FTS5 merges its own segments).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

INDEX = "ix_step_library_search_tsv"


def upgrade() -> None:
    """Turn off the GIN pending list and merge what it holds into the index."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER INDEX {INDEX} SET (fastupdate = off)")
        # Entries already in the pending list stay there until merged; merge them now.
        op.execute(f"SELECT gin_clean_pending_list('{INDEX}'::regclass)")


def downgrade() -> None:
    """Back to the default (fastupdate on)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER INDEX {INDEX} RESET (fastupdate)")
