"""SQL filters for the visibility rules of domain.visibility."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import col

from resolutionflow_app.db.models import LibraryStep, Tree, User
from resolutionflow_app.domain.visibility import Viewer


def viewer_of(user: User) -> Viewer:
    """The domain view of a user row."""
    return Viewer(user_id=str(user.id), account_id=str(user.account_id), role=user.role)


def visible_trees(user: User) -> ColumnElement[bool]:
    """Flows `user` may see: own account's, or public and published (matches can_see_tree)."""
    return or_(
        col(Tree.account_id) == user.account_id, and_(col(Tree.is_public).is_(True), col(Tree.status) == "published")
    )


class UserIds(Protocol):
    """A user's `id` and `account_id`: a User row, or SQL bind parameters standing in for them."""

    @property
    def id(self) -> Any: ...

    @property
    def account_id(self) -> Any: ...


def visible_steps(user: UserIds) -> ColumnElement[bool]:
    """Library steps `user` may see (matches can_see_step)."""
    return or_(
        col(LibraryStep.visibility) == "public",
        and_(col(LibraryStep.visibility) == "team", col(LibraryStep.account_id) == user.account_id),
        and_(col(LibraryStep.visibility) == "private", col(LibraryStep.created_by) == user.id),
    )
