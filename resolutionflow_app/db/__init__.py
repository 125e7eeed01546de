"""Persistence: SQLModel tables, the engine and session_scope()."""
