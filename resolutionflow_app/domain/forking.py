"""Fork rules: the parent-updated check and the fork reason limit (foundational-schema.md Part 1)."""

from __future__ import annotations

from datetime import datetime

FORK_REASON_MAX = 255


def has_parent_updates(
    *,
    parent_tree_id: str | None,
    parent_updated_at: datetime | None,
    parent_current_updated_at: datetime | None,
    parent_is_active: bool = True,
) -> bool:
    """True when the parent changed after the fork was made.

    Args:
        parent_tree_id: the fork's parent id (None for a root or orphaned tree).
        parent_updated_at: the snapshot taken when the fork was created.
        parent_current_updated_at: the parent's `updated_at` now (None when the parent is gone).
        parent_is_active: False when the parent is soft-deleted.

    Returns:
        parent.updated_at > snapshot; False without a parent, snapshot, or when the parent is
        deleted or soft-deleted.
    """
    if not parent_tree_id or parent_updated_at is None or parent_current_updated_at is None:
        return False
    if not parent_is_active:
        return False
    return parent_current_updated_at > parent_updated_at


def clean_fork_reason(reason: str | None) -> str | None:
    """The trimmed reason (None when blank); raises ValueError above 255 characters."""
    if reason is None:
        return None
    reason = reason.strip()
    if len(reason) > FORK_REASON_MAX:
        raise ValueError(f"The fork reason must be at most {FORK_REASON_MAX} characters.")
    return reason or None
