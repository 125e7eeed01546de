"""Who may see what: flows, library steps and sessions (pure rules, mirrored as SQL in services)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Viewer:
    """The parts of a user that visibility depends on."""

    user_id: str
    account_id: str
    role: str


def can_see_tree(viewer: Viewer, *, account_id: str, is_public: bool, status: str) -> bool:
    """A flow is visible to its own account, and to everyone once public and published."""
    return str(account_id) == viewer.account_id or (is_public and status == "published")


def can_edit_tree(viewer: Viewer, *, account_id: str, author_id: str | None) -> bool:
    """Owners edit every flow of their account; authors their account's flows; engineers none."""
    if str(account_id) != viewer.account_id:
        return False
    return viewer.role in ("owner", "author")


def can_see_step(viewer: Viewer, *, visibility: str, account_id: str, created_by: str | None) -> bool:
    """private = creator only, team = same account, public = everyone."""
    if visibility == "public":
        return True
    if visibility == "team":
        return str(account_id) == viewer.account_id
    return created_by is not None and str(created_by) == viewer.user_id
