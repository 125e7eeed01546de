"""library search: SQLite's full-text index knows who may see each step (a `scope` column)

SQLite: the FTS5 table `step_library_fts` gets a third column, `scope`, holding one token per
step: U+E000 followed by "p" (public), "t" + the account id (team) or "u" + the creator's id
(private); nothing for an inactive step or a private step without a creator. A search adds
`scope : ("<mark>p" OR "<mark>t<account>" OR "<mark>u<user>")` to its MATCH (services/library_search.py),
so the index alone yields the matches a viewer may see. Before, a common word's search read
about three steps it may not see for each one it may (a full row lookup each) to find them.
U+E000 is a private-use character: the unicode61 tokenizer keeps it inside a word, and a query
word never contains one, so no typed prefix reads the scope tokens.
The update trigger now also fires when visibility, is_active, account_id or created_by change
(a creator's deletion sets created_by to NULL through the foreign key, which fires it too): the
external-content table must always be told the values it indexed.
PostgreSQL: nothing to change.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_TRIGGERS = ("step_library_fts_au", "step_library_fts_ad", "step_library_fts_ai")


def _instructions(row: str) -> str:
    return f"coalesce(json_extract({row}content, '$.instructions'), '')"


def _scope(row: str) -> str:
    """The scope token of a step row (`row`: "new.", "old." or "" for the view)."""
    return f"""CASE WHEN {row}is_active THEN CASE {row}visibility
        WHEN 'public' THEN char(57344) || 'p'
        WHEN 'team' THEN char(57344) || 't' || {row}account_id
        WHEN 'private' THEN coalesce(char(57344) || 'u' || {row}created_by, '')
        ELSE '' END ELSE '' END"""


def _statements(with_scope: bool) -> list[str]:
    """Drop and recreate the view, the FTS5 table and its triggers, then rebuild the index."""
    cols = ["title", "instructions", *(["scope"] if with_scope else [])]

    def values(row: str) -> str:
        return ", ".join([f"{row}rowid", f"{row}title", _instructions(row), *([_scope(row)] if with_scope else [])])

    insert = f"INSERT INTO step_library_fts(rowid, {', '.join(cols)}) VALUES ({values('new.')});"
    delete = (
        f"INSERT INTO step_library_fts(step_library_fts, rowid, {', '.join(cols)}) VALUES ('delete', {values('old.')});"
    )
    watched = "title, content" + (", visibility, is_active, account_id, created_by" if with_scope else "")
    scope_col = f", {_scope('')} AS scope" if with_scope else ""
    return [
        *(f"DROP TRIGGER IF EXISTS {name}" for name in _TRIGGERS),
        "DROP TABLE IF EXISTS step_library_fts",
        "DROP VIEW IF EXISTS step_library_fts_src",
        f"""CREATE VIEW step_library_fts_src AS
            SELECT rowid AS rid, title, {_instructions("")} AS instructions{scope_col} FROM step_library""",
        f"""CREATE VIRTUAL TABLE step_library_fts USING fts5(
             {", ".join(cols)}, content='step_library_fts_src', content_rowid='rid',
             tokenize='unicode61 remove_diacritics 2', prefix='1 2 3 4 5 6')""",
        f"CREATE TRIGGER step_library_fts_ai AFTER INSERT ON step_library BEGIN {insert} END",
        f"CREATE TRIGGER step_library_fts_ad AFTER DELETE ON step_library BEGIN {delete} END",
        f"CREATE TRIGGER step_library_fts_au AFTER UPDATE OF {watched} ON step_library BEGIN {delete} {insert} END",
        "INSERT INTO step_library_fts(step_library_fts) VALUES ('rebuild')",
    ]


def upgrade() -> None:
    """Recreate the SQLite FTS5 table with the scope column and rebuild it."""
    if op.get_bind().dialect.name == "sqlite":
        for sql in _statements(with_scope=True):
            op.execute(sql)


def downgrade() -> None:
    """Back to 0007's FTS5 table (title, instructions) and 0002's triggers."""
    if op.get_bind().dialect.name == "sqlite":
        for sql in _statements(with_scope=False):
            op.execute(sql)
