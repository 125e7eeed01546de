"""What Alembic autogenerate compares: everything but full-text search shadow tables and procrastinate's queue."""

from __future__ import annotations

# Tables created by hand in migrations that have no model: SQLite's FTS5 virtual tables (0002, 0013)
# and PostgreSQL's prefix term table, which a trigger maintains (0015).
UNMODELLED_TABLE_PREFIXES = (
    "step_library_fts",
    "step_library_terms",
    # procrastinate's job queue (migration 0010, PostgreSQL): the package owns that schema.
    "procrastinate_",
)
# Search indexes created by hand in migrations 0002 (expression / operator-class indexes) and 0011.
UNMODELLED_INDEXES = ("ix_step_library_search_tsv", "ix_step_library_title_trgm", "ix_step_library_search_seq")
# PostgreSQL-only generated columns added by hand in migrations 0002 and 0011: (table, column).
UNMODELLED_COLUMNS = (("step_library", "search_tsv"), ("step_library", "search_seq"))


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic `include_object` hook: skip unmodelled search and queue tables and the version table."""
    if type_ == "table" and name and (name.startswith(UNMODELLED_TABLE_PREFIXES) or name == "alembic_version"):
        return False
    if type_ == "index" and name in UNMODELLED_INDEXES:
        return False
    return not (
        type_ == "column"
        and reflected
        and (getattr(getattr(obj, "table", None), "name", None), name) in UNMODELLED_COLUMNS
    )
