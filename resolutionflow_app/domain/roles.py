"""Who may do what, by role."""

from __future__ import annotations

OWNER, AUTHOR, ENGINEER = "owner", "author", "engineer"
ROLES = (OWNER, AUTHOR, ENGINEER)


def is_owner(role: str) -> bool:
    """True for account owners (member management, account settings, models)."""
    return role == OWNER


def can_author(role: str) -> bool:
    """True for roles that build flows and automations."""
    return role in (OWNER, AUTHOR)
