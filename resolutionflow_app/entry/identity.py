"""`whoami`: the caller's user and account, as the pages' login check needs them."""

from __future__ import annotations

from sqlmodel import Session

from resolutionflow_app.db.models import User
from resolutionflow_app.services import auth as auth_service
from resolutionflow_app.services.dto import DTO


class Identity(DTO):
    """Who is calling: `user` is None for an anonymous or expired token."""

    user: auth_service.UserDTO | None = None
    account_name: str = ""


def whoami(*, session: Session, actor: User | None) -> Identity:
    """The caller's identity (run through `entry.call(..., login=False)`).

    Args:
        session: the transaction `entry.call` opened.
        actor: the user behind the token, or None.

    Returns:
        The user and their account's name, or an empty identity.
    """
    if actor is None:
        return Identity()
    account = auth_service.get_account(session=session, actor=actor)
    return Identity(user=auth_service.UserDTO.model_validate(actor), account_name=account.name)
