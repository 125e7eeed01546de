"""The step library: search, manual entries, forks, ratings, categories."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ValidationError, field_validator
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from resolutionflow_app.db.locking import lock_row
from resolutionflow_app.db.models import (
    LibraryStep,
    StepCategory,
    StepRating,
    Tree,
    User,
)
from resolutionflow_app.db.models.library import STEP_TYPES, STEP_VISIBILITIES
from resolutionflow_app.db.sql import table_of
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from resolutionflow_app.domain.roles import is_owner
from resolutionflow_app.domain.tree_schema import normalize_commands
from resolutionflow_app.domain.visibility import can_see_step
from resolutionflow_app.services.dto import DTO
from resolutionflow_app.services.visibility import viewer_of, visible_steps

SYNCED_MESSAGE = "This step is managed by its source flow — fork it to customise."
SORTS = ("relevance", "usage", "rating", "newest")
NOT_FOUND = "Library step not found."


class StepCommand(BaseModel):
    """A copyable command of a library step."""

    label: str = ""
    command: str
    command_type: str | None = None


class StepContent(BaseModel):
    """What a library step says (flow-to-library-step-sync.md, Section 1)."""

    instructions: str = ""
    help_text: str | None = None
    commands: list[StepCommand] = []
    group_label: str | None = None
    automation_id: str | None = None  # a synced step whose flow node runs an automation carries the link

    @field_validator("commands", mode="before")
    @classmethod
    def _commands(cls, value: Any) -> Any:
        if isinstance(value, list) and not all(isinstance(item, (str, dict)) for item in value):
            return value  # let validation reject it
        if value is None or isinstance(value, (str, list)):
            return normalize_commands(value, keep_empty=True)
        return value  # let validation reject it


class CategoryDTO(DTO):
    """A step category."""

    id: uuid.UUID
    name: str
    description: str | None = None


class LibraryStepDTO(DTO):
    """A library step as the API and pages show it."""

    id: uuid.UUID
    title: str
    step_type: str
    content: dict[str, Any]
    visibility: str
    category_id: uuid.UUID | None = None
    category_name: str | None = None
    is_flow_synced: bool
    source_tree_id: uuid.UUID | None = None
    source_node_id: str | None = None
    source_tree_name: str | None = None
    usage_count: int
    rating_avg: float | None = None
    rating_count: int
    my_rating: int | None = None
    created_by: uuid.UUID | None = None
    created_by_name: str | None = None
    account_id: uuid.UUID
    is_active: bool
    last_synced_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    # With `distinct` (the Library page): this flow's step plus the unchanged copies forks of the flow made.
    used_in_flows: int = 1
    can_edit: bool = False


def parse_id(value: Any, message: str = NOT_FOUND) -> uuid.UUID:
    """A UUID from a path/body value; a malformed id is simply not found."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise NotFound(message) from None


def content_dict(content: Any) -> dict[str, Any]:
    """Validated, normalised step content; raises InvalidInput."""
    if content is None:
        content = {}
    if isinstance(content, str):
        content = {"instructions": content}
    if not isinstance(content, dict):
        raise InvalidInput("Content must be an object with instructions, help_text, commands and group_label.")
    try:
        out = StepContent.model_validate(content).model_dump()
    except ValidationError as exc:
        raise InvalidInput(
            "The step content is not valid.", problems=[{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        ) from None
    if out.get("automation_id") is None:
        out.pop("automation_id", None)  # the API's content keeps its four fields unless a link exists
    return out


def _can_edit(actor: User, row: LibraryStep) -> bool:
    if row.is_flow_synced:
        return False
    if row.created_by is not None and row.created_by == actor.id:
        return True
    return is_owner(actor.role) and row.account_id == actor.account_id


def _rating_avg(row: LibraryStep) -> float | None:
    return round(row.rating_sum / row.rating_count, 2) if row.rating_count else None


def to_dtos(session: Session, actor: User | None, rows: list[LibraryStep]) -> list[LibraryStepDTO]:
    """DTOs for rows, with names and the actor's rating looked up in batch."""
    if not rows:
        return []
    tree_ids = {r.source_tree_id for r in rows if r.source_tree_id}
    user_ids = {r.created_by for r in rows if r.created_by}
    cat_ids = {r.category_id for r in rows if r.category_id}
    trees: dict[uuid.UUID | None, str] = (
        dict(session.exec(select(col(Tree.id), col(Tree.name)).where(col(Tree.id).in_(tree_ids))).all())
        if tree_ids
        else {}
    )
    users: dict[uuid.UUID | None, str] = (
        dict(session.exec(select(col(User.id), col(User.name)).where(col(User.id).in_(user_ids))).all())
        if user_ids
        else {}
    )
    cats: dict[uuid.UUID | None, str] = (
        dict(
            session.exec(
                select(col(StepCategory.id), col(StepCategory.name)).where(col(StepCategory.id).in_(cat_ids))
            ).all()
        )
        if cat_ids
        else {}
    )
    mine: dict[uuid.UUID, int] = {}
    if actor is not None:
        mine = dict(
            session.exec(
                select(col(StepRating.step_id), col(StepRating.rating)).where(
                    col(StepRating.user_id) == actor.id, col(StepRating.step_id).in_([r.id for r in rows])
                )
            ).all()
        )
    return [
        step_dto(
            actor, r, cats.get(r.category_id), trees.get(r.source_tree_id), users.get(r.created_by), mine.get(r.id)
        )
        for r in rows
    ]


def step_dto(
    actor: User | None,
    r: Any,
    category_name: str | None,
    source_tree_name: str | None,
    created_by_name: str | None,
    my_rating: int | None,
) -> LibraryStepDTO:
    """One DTO from a LibraryStep row (ORM object or a Core row with the same column names)."""
    return LibraryStepDTO(
        id=r.id,
        title=r.title,
        step_type=r.step_type,
        content=content_dict(r.content or {}),
        visibility=r.visibility,
        category_id=r.category_id,
        category_name=category_name,
        is_flow_synced=r.is_flow_synced,
        source_tree_id=r.source_tree_id,
        source_node_id=r.source_node_id,
        source_tree_name=source_tree_name,
        usage_count=r.usage_count,
        rating_avg=_rating_avg(r),
        rating_count=r.rating_count,
        my_rating=my_rating,
        created_by=r.created_by,
        created_by_name=created_by_name,
        account_id=r.account_id,
        is_active=r.is_active,
        last_synced_at=r.last_synced_at,
        created_at=r.created_at,
        updated_at=r.updated_at,
        can_edit=bool(actor is not None and _can_edit(actor, r)),
    )


def to_dto(session: Session, actor: User | None, row: LibraryStep) -> LibraryStepDTO:
    """One row as a DTO."""
    return to_dtos(session, actor, [row])[0]


# --- single steps ---------------------------------------------------------------------------


def _visible_row(session: Session, actor: User, step_id: Any) -> LibraryStep:
    row = session.get(LibraryStep, parse_id(step_id))
    if row is None or not can_see_step(
        viewer_of(actor),
        visibility=row.visibility,
        account_id=str(row.account_id),
        created_by=str(row.created_by) if row.created_by else None,
    ):
        raise NotFound(NOT_FOUND)
    return row


def get_step(*, session: Session, actor: User, step_id: Any) -> LibraryStepDTO:
    """One visible step (also when soft-deleted: is_active false). NotFound when invisible."""
    return to_dto(session, actor, _visible_row(session, actor, step_id))


def _title(value: Any) -> str:
    title = str(value or "").strip()
    if not title:
        raise InvalidInput("Title is required.")
    if len(title) > 255:
        raise InvalidInput("Title must be at most 255 characters.")
    return title


def check_choice(value: Any, allowed: tuple[str, ...], label: str) -> str:
    """`value` if it is one of `allowed`; InvalidInput naming `label` otherwise."""
    if value not in allowed:
        raise InvalidInput(f"{label} must be one of: {', '.join(allowed)}.")
    return str(value)


def _category(session: Session, actor: User, category_id: Any) -> uuid.UUID | None:
    if category_id in (None, ""):
        return None
    try:
        cid = category_id if isinstance(category_id, uuid.UUID) else uuid.UUID(str(category_id))
    except ValueError:
        raise InvalidInput("Unknown category.") from None
    cat = session.get(StepCategory, cid)
    if cat is None or cat.account_id != actor.account_id:
        raise InvalidInput("Unknown category.")
    return cid


def create_step(
    *,
    session: Session,
    actor: User,
    title: str,
    step_type: str,
    content: Any,
    visibility: str = "team",
    category_id: Any = None,
) -> LibraryStepDTO:
    """Create a manual library step owned by the actor.

    Raises:
        InvalidInput: bad title, type, visibility, content or category.
    """
    row = LibraryStep(
        account_id=actor.account_id,
        created_by=actor.id,
        title=_title(title),
        step_type=check_choice(step_type, STEP_TYPES, "step_type"),
        content=content_dict(content),
        visibility=check_choice(visibility or "team", STEP_VISIBILITIES, "visibility"),
        category_id=_category(session, actor, category_id),
        is_flow_synced=False,
    )
    session.add(row)
    session.flush()
    return to_dto(session, actor, row)


def _editable_row(session: Session, actor: User, step_id: Any) -> LibraryStep:
    row = _visible_row(session, actor, step_id)
    if row.account_id != actor.account_id:
        # API.md: another account's things answer 404 for changes, even when publicly readable.
        raise NotFound(NOT_FOUND)
    if row.is_flow_synced:
        raise Conflict(SYNCED_MESSAGE)
    if not _can_edit(actor, row):
        raise Forbidden("Only the step's creator (or the account owner) can change it.")
    return row


EDITABLE = ("title", "step_type", "content", "visibility", "category_id")


def update_step(*, session: Session, actor: User, step_id: Any, changes: dict[str, Any]) -> LibraryStepDTO:
    """Change a manual step (title, step_type, content, visibility, category_id).

    Raises:
        Conflict: the step is synced from a flow (fork it instead).
        Forbidden: not the creator / owner.
        InvalidInput: bad values (nothing is saved).
    """
    row = _editable_row(session, actor, step_id)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    values: dict[str, Any] = {}
    if "title" in changes:
        values["title"] = _title(changes["title"])
    if "step_type" in changes:
        values["step_type"] = check_choice(changes["step_type"], STEP_TYPES, "step_type")
    if "visibility" in changes:
        values["visibility"] = check_choice(changes["visibility"], STEP_VISIBILITIES, "visibility")
    if "content" in changes and changes["content"] is not None:
        merged = dict(row.content or {})
        if isinstance(changes["content"], dict):
            merged.update(changes["content"])
        else:
            merged = changes["content"]
        values["content"] = content_dict(merged)
    if "category_id" in changes:
        values["category_id"] = _category(session, actor, changes["category_id"])
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return to_dto(session, actor, row)


def delete_step(*, session: Session, actor: User, step_id: Any) -> None:
    """Soft-delete a manual step: it leaves lists; sessions keep their orphaned reference.

    Raises:
        Conflict: synced from a flow. Forbidden: not the creator / owner.
    """
    row = _editable_row(session, actor, step_id)
    row.is_active = False
    row.updated_at = utcnow()
    session.add(row)
    session.flush()


def fork_step(*, session: Session, actor: User, step_id: Any) -> LibraryStepDTO:
    """A personal copy: is_flow_synced false, no source, created_by the actor, private."""
    src = _visible_row(session, actor, step_id)
    row = LibraryStep(
        account_id=actor.account_id,
        created_by=actor.id,
        title=src.title,
        step_type=src.step_type,
        content=content_dict(src.content or {}),
        visibility="private",
        category_id=None,
        is_flow_synced=False,
        source_tree_id=None,
        source_node_id=None,
    )
    if src.category_id and src.account_id == actor.account_id:
        row.category_id = src.category_id
    session.add(row)
    session.flush()
    return to_dto(session, actor, row)


def rate_step(*, session: Session, actor: User, step_id: Any, rating: Any) -> LibraryStepDTO:
    """Rate a visible step 1..5; a second rating by the same user replaces the first.

    The step row is locked first, then the user's rating is upserted and the step's sum and count
    are recomputed from the rating rows in one statement, so concurrent (re-)ratings by any number
    of users never lose or double-count a vote on SQLite or PostgreSQL.
    """
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput("Rating must be a whole number from 1 to 5.")
    row = _visible_row(session, actor, step_id)
    row = lock_row(session, LibraryStep, row.id) or row
    ratings = table_of(StepRating)
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    now = utcnow()
    upsert = insert(ratings).values(
        id=uuid.uuid4(), step_id=row.id, user_id=actor.id, rating=rating, created_at=now, updated_at=now
    )
    session.execute(
        upsert.on_conflict_do_update(index_elements=["step_id", "user_id"], set_={"rating": rating, "updated_at": now})
    )
    table = table_of(LibraryStep)
    of_step = ratings.c.step_id == row.id
    session.execute(
        table.update()
        .where(table.c.id == row.id)
        .values(
            rating_sum=sa.select(sa.func.coalesce(sa.func.sum(ratings.c.rating), 0)).where(of_step).scalar_subquery(),
            rating_count=sa.select(sa.func.count()).select_from(ratings).where(of_step).scalar_subquery(),
        )
    )
    session.refresh(row)
    return to_dto(session, actor, row)


def record_usage_increment(session: Session, step_id: uuid.UUID) -> None:
    """usage_count = usage_count + 1 in SQL (atomic; never read-modify-write in Python)."""
    table = table_of(LibraryStep)
    session.execute(table.update().where(table.c.id == step_id).values(usage_count=table.c.usage_count + 1))


# --- categories and group labels ----------------------------------------------------------


def list_categories(*, session: Session, actor: User) -> list[CategoryDTO]:
    """The actor's account's categories, by name."""
    rows = session.exec(
        select(StepCategory).where(StepCategory.account_id == actor.account_id).order_by(StepCategory.name)
    ).all()
    return [CategoryDTO.model_validate(r) for r in rows]


def create_category(*, session: Session, actor: User, name: str, description: str | None = None) -> CategoryDTO:
    """A new category in the actor's account.

    Raises:
        InvalidInput: empty/long name. Conflict: the name exists.
    """
    name = str(name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("Category name is required (at most 100 characters).")
    clash = session.exec(
        select(StepCategory.id).where(
            StepCategory.account_id == actor.account_id, sa.func.lower(StepCategory.name) == name.lower()
        )
    ).first()
    if clash is not None:
        raise Conflict("A category with this name already exists.")
    row = StepCategory(account_id=actor.account_id, name=name, description=(description or None))
    session.add(row)
    session.flush()
    return CategoryDTO.model_validate(row)


def list_group_labels(*, session: Session, actor: User) -> list[str]:
    """Distinct group labels (procedure sections) among the active steps the actor may see."""
    label = LibraryStep.content["group_label"].as_string()
    rows = session.exec(
        select(label).where(visible_steps(actor), col(LibraryStep.is_active).is_(True), label.is_not(None)).distinct()
    ).all()
    return sorted({str(r) for r in rows if r})
