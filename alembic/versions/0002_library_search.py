"""library full-text search

SQLite: an FTS5 external-content table `step_library_fts` over title + content.instructions,
reading from the view `step_library_fts_src` and kept in sync by triggers on `step_library`.
PostgreSQL: a stored generated column `search_tsv` = to_tsvector('simple', title || instructions)
with a GIN index (ranking reads the stored vector instead of re-parsing every match), and a
pg_trgm GIN index on the title (for fuzzy / substring lookups). `search_tsv` is not modelled:
db/migration_filters.py keeps autogenerate from dropping it.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Punctuation becomes spaces first, so PostgreSQL splits words exactly like SQLite's unicode61
# tokenizer (its own parser would keep "/flushdns" or "ap1.example.com" as one token).
PG_TSVECTOR = (
    "to_tsvector('simple'::regconfig, regexp_replace(coalesce(title, '') || ' ' || "
    "coalesce(content ->> 'instructions', ''), '[^[:alnum:]]+', ' ', 'g'))"
)

SQLITE_UP = [
    """CREATE VIEW step_library_fts_src AS
       SELECT rowid AS rid, title, coalesce(json_extract(content, '$.instructions'), '') AS instructions
       FROM step_library""",
    """CREATE VIRTUAL TABLE step_library_fts USING fts5(
         title, instructions, content='step_library_fts_src', content_rowid='rid',
         tokenize='unicode61 remove_diacritics 2', prefix='2 3')""",
    """CREATE TRIGGER step_library_fts_ai AFTER INSERT ON step_library BEGIN
         INSERT INTO step_library_fts(rowid, title, instructions)
         VALUES (new.rowid, new.title, coalesce(json_extract(new.content, '$.instructions'), ''));
       END""",
    """CREATE TRIGGER step_library_fts_ad AFTER DELETE ON step_library BEGIN
         INSERT INTO step_library_fts(step_library_fts, rowid, title, instructions)
         VALUES ('delete', old.rowid, old.title, coalesce(json_extract(old.content, '$.instructions'), ''));
       END""",
    """CREATE TRIGGER step_library_fts_au AFTER UPDATE OF title, content ON step_library BEGIN
         INSERT INTO step_library_fts(step_library_fts, rowid, title, instructions)
         VALUES ('delete', old.rowid, old.title, coalesce(json_extract(old.content, '$.instructions'), ''));
         INSERT INTO step_library_fts(rowid, title, instructions)
         VALUES (new.rowid, new.title, coalesce(json_extract(new.content, '$.instructions'), ''));
       END""",
    "INSERT INTO step_library_fts(step_library_fts) VALUES ('rebuild')",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS step_library_fts_au",
    "DROP TRIGGER IF EXISTS step_library_fts_ad",
    "DROP TRIGGER IF EXISTS step_library_fts_ai",
    "DROP TABLE IF EXISTS step_library_fts",
    "DROP VIEW IF EXISTS step_library_fts_src",
]

PG_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"ALTER TABLE step_library ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS ({PG_TSVECTOR}) STORED",
    "CREATE INDEX ix_step_library_search_tsv ON step_library USING gin (search_tsv)",
    "CREATE INDEX ix_step_library_title_trgm ON step_library USING gin (title gin_trgm_ops)",
]

PG_DOWN = [
    "DROP INDEX IF EXISTS ix_step_library_title_trgm",
    "DROP INDEX IF EXISTS ix_step_library_search_tsv",
    "ALTER TABLE step_library DROP COLUMN IF EXISTS search_tsv",
]


def upgrade() -> None:
    """Apply this revision."""
    name = op.get_bind().dialect.name
    for sql in SQLITE_UP if name == "sqlite" else PG_UP if name == "postgresql" else []:
        op.execute(sql)


def downgrade() -> None:
    """Revert this revision."""
    name = op.get_bind().dialect.name
    for sql in SQLITE_DOWN if name == "sqlite" else PG_DOWN if name == "postgresql" else []:
        op.execute(sql)
