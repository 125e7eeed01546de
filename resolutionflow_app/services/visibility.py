"""SQL filters for the visibility rules of domain.visibility."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_

from resolutionflow_app.db.models import LibraryStep, Tree, User
from resolutionflow_app.domain.visibility import Viewer


def viewer_of(user: User) -> Viewer:
    """The domain view of a user row."""
    return Viewer(user_id=str(user.id), account_id=str(user.account_id), role=user.role)


def visible_trees(user: User) -> ColumnElement[bool]:
    """Flows `user` may see: own account's, or public and published (matches can_see_tree)."""
    return or_(Tree.account_id == user.account_id, and_(Tree.is_public.is_(True), Tree.status == "published"))


def visible_steps(user: User) -> ColumnElement[bool]:
    """Library steps `user` may see (matches can_see_step)."""
    return or_(
        LibraryStep.visibility == "public",
        and_(LibraryStep.visibility == "team", LibraryStep.account_id == user.account_id),
        and_(LibraryStep.visibility == "private", LibraryStep.created_by == user.id),
    )
