"""Step categories beyond create and list: rename, delete, and putting a library step into one."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from resolutionflow_app.db.models import LibraryStep, StepCategory, User
from resolutionflow_app.db.sql import rowcount, table_of
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from resolutionflow_app.domain.roles import can_author, is_owner
from resolutionflow_app.services.library import CategoryDTO, parse_id

NOT_FOUND = "Category not found."


def _own_category(session: Session, actor: User, category_id: Any) -> StepCategory:
    row = session.get(StepCategory, parse_id(category_id, NOT_FOUND))
    if row is None or row.account_id != actor.account_id:
        raise NotFound(NOT_FOUND)
    return row


def rename_category(
    *, session: Session, actor: User, category_id: Any, name: str, description: str | None = None
) -> CategoryDTO:
    """Rename a category of the actor's account (owners).

    Raises:
        Forbidden: not an owner. InvalidInput: empty or long name. Conflict: the name is taken. NotFound.
    """
    row = _own_category(session, actor, category_id)
    if not is_owner(actor.role):
        raise Forbidden("Only account owners can rename categories.")
    clean = str(name or "").strip()
    if not clean or len(clean) > 100:
        raise InvalidInput("Category name is required (at most 100 characters).")
    clash = session.exec(
        select(StepCategory.id).where(
            StepCategory.account_id == actor.account_id,
            sa.func.lower(StepCategory.name) == clean.lower(),
            StepCategory.id != row.id,
        )
    ).first()
    if clash is not None:
        raise Conflict("A category with this name already exists.")
    row.name = clean
    if description is not None:
        row.description = description.strip() or None
    session.add(row)
    session.flush()
    return CategoryDTO.model_validate(row)


def delete_category(*, session: Session, actor: User, category_id: Any) -> int:
    """Delete a category (owners); its steps stay, without a category. Returns how many steps it had."""
    row = _own_category(session, actor, category_id)
    if not is_owner(actor.role):
        raise Forbidden("Only account owners can delete categories.")
    table = table_of(LibraryStep)
    count = rowcount(session.execute(table.update().where(table.c.category_id == row.id).values(category_id=None)))
    session.delete(row)
    session.flush()
    return count


def assign_category(*, session: Session, actor: User, step_id: Any, category_id: Any) -> uuid.UUID | None:
    """Put a step of the actor's account (flow-synced ones included) into a category, or none (owners and authors).

    Categories organise the account's own library: a republish keeps the assignment.

    Raises:
        Forbidden: engineers. NotFound: another account's step. InvalidInput: unknown category.
    """
    if not can_author(actor.role):
        raise Forbidden("Only owners and authors can file steps into categories.")
    step = session.get(LibraryStep, parse_id(step_id, "Step not found."))
    if step is None or step.account_id != actor.account_id:
        raise NotFound("Step not found.")
    target = None if category_id in (None, "") else _own_category(session, actor, category_id).id
    step.category_id = target
    step.updated_at = utcnow()
    session.add(step)
    session.flush()
    return target
