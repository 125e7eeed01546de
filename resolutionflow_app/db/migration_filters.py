"""What Alembic autogenerate compares: everything but full-text search shadow tables."""

from __future__ import annotations

# Tables created by hand in migrations (SQLite FTS5 virtual tables) that have no model.
UNMODELLED_TABLE_PREFIXES = ("step_library_fts",)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic `include_object` hook: skip unmodelled search tables and the version table."""
    if type_ == "table" and name and (name.startswith(UNMODELLED_TABLE_PREFIXES) or name == "alembic_version"):
        return False
    return True
