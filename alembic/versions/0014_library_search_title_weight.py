"""library search: PostgreSQL's search vector marks title words (weight A) apart from the instructions (D)

PostgreSQL: `step_library.search_tsv` (0002) becomes
setweight(title, 'A') || setweight(instructions, 'D'), words split as before. ts_rank's default
weights (A 1.0, D 0.1) then count a title word ten times an instructions word, as SQLite's
bm25(10, 1) does; before, PostgreSQL ranked both alike. A query restricted to weight A
("check:*A") also tells from the stored vector whether the title has every word, which the
search uses to order a query with more matches than its rank window (services/library_search.py).
The column is dropped and added again (PostgreSQL cannot change a generated column's expression),
which rewrites the table once; its GIN index is rebuilt with fastupdate off (0012).
SQLite: nothing to change (FTS5 keeps the title in its own column).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

INDEX = "ix_step_library_search_tsv"


def _words(expr: str) -> str:
    # Punctuation becomes spaces first, so PostgreSQL splits words exactly like SQLite's unicode61
    # tokenizer (its own parser would keep "/flushdns" or "ap1.example.com" as one token).
    return f"to_tsvector('simple'::regconfig, regexp_replace({expr}, '[^[:alnum:]]+', ' ', 'g'))"


_TITLE = _words("coalesce(title, '')")
_INSTRUCTIONS = _words("coalesce(content ->> 'instructions', '')")
WEIGHTED = f"setweight({_TITLE}, 'A') || setweight({_INSTRUCTIONS}, 'D')"
# 0002's expression: title and instructions as one text, no weights.
PLAIN = _words("coalesce(title, '') || ' ' || coalesce(content ->> 'instructions', '')")


def _recreate(expression: str) -> None:
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
    op.execute("ALTER TABLE step_library DROP COLUMN search_tsv")
    op.execute(f"ALTER TABLE step_library ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS ({expression}) STORED")
    op.execute(f"CREATE INDEX {INDEX} ON step_library USING gin (search_tsv) WITH (fastupdate = off)")
    op.execute("ANALYZE step_library")  # statistics for the new column before the first search


def upgrade() -> None:
    """Weight the title's words A and the instructions' D."""
    if op.get_bind().dialect.name == "postgresql":
        _recreate(WEIGHTED)


def downgrade() -> None:
    """Back to 0002's unweighted vector (keeping 0012's fastupdate off)."""
    if op.get_bind().dialect.name == "postgresql":
        _recreate(PLAIN)
