"""The step library: search, manual entries, forks, ratings, categories."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

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
from resolutionflow_app.domain import search_text
from resolutionflow_app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from resolutionflow_app.domain.roles import is_owner
from resolutionflow_app.domain.tree_schema import normalize_commands
from resolutionflow_app.domain.visibility import can_see_step
from resolutionflow_app.services.dto import DTO
from resolutionflow_app.services.visibility import UserIds, viewer_of, visible_steps

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
        _dto(actor, r, cats.get(r.category_id), trees.get(r.source_tree_id), users.get(r.created_by), mine.get(r.id))
        for r in rows
    ]


def _dto(
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


# --- search -------------------------------------------------------------------------------

# Relevance ranks at most this many matches: all of them when a query matches fewer, otherwise the
# first ones in the engine's cheap, stable candidate order (SQLite: newest rowid first, the FTS5
# index's own order; PostgreSQL: search_seq, insert order), followed by the remaining matches in
# that order. A common word or a one-letter prefix matching most of the library then costs a
# bounded amount of work (LIMIT stops the scan early, only this many rows are ranked) instead of
# ranking every match; a rarer word (up to this many visible matches) is ranked completely.
RANK_WINDOW = 200
# The library page counts at most this many matches and shows "1,000+" beyond it (StepPage).
TOTAL_CAP = 1000


def search_tokens(q: str | None) -> list[str]:
    """Words of a search query (runs of letters/digits; operators, quotes and punctuation are dropped)."""
    return search_text.search_tokens(q)


def fts5_query(tokens: list[str]) -> str:
    """An FTS5 MATCH expression: every word must appear, as a prefix."""
    return " ".join(f'"{t}"*' for t in tokens)


def tsquery_text(tokens: list[str]) -> str:
    """A to_tsquery('simple', ...) expression: every word must appear, as a prefix."""
    return " & ".join(f"{t}:*" for t in tokens)


# PostgreSQL: a stored generated tsvector column with a GIN index (alembic/versions/0002_library_search.py).
PG_TSVECTOR_SQL = "step_library.search_tsv"
FTS_TABLE = sa.table("step_library_fts", sa.column("rowid", sa.Integer))
STEP_ROWID = sa.literal_column("step_library.rowid", sa.Integer)


class StepPage(DTO):
    """One page of a library search with its total; `total_capped`: there are more than `total`."""

    items: list[LibraryStepDTO]
    total: int
    total_capped: bool = False


def _match_condition(dialect: str) -> Any:
    """A WHERE clause on step_library: every word matches (bind parameter q: the tsquery / FTS5 expression)."""
    if dialect == "postgresql":
        tsq = sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), sa.bindparam("q", type_=sa.String))
        return sa.literal_column(PG_TSVECTOR_SQL).op("@@")(tsq)
    matches = sa.text("SELECT rowid FROM step_library_fts WHERE step_library_fts MATCH :q").columns(rowid=sa.Integer)
    return STEP_ROWID.in_(matches.subquery("m").select())


def _visible_steps_as_filter(actor: UserIds) -> Any:
    """visible_steps(actor), written so PostgreSQL applies it as a row filter after the GIN lookup.

    Same rule as services.visibility.visible_steps; the coalesce() keeps the planner from ANDing
    large bitmaps of the low-selectivity visibility index with the (selective) full-text match.
    """
    vis = sa.func.coalesce(LibraryStep.visibility, "")
    return sa.or_(
        vis == "public",
        sa.and_(vis == "team", col(LibraryStep.account_id) == actor.account_id),
        sa.and_(vis == "private", col(LibraryStep.created_by) == actor.id),
    )


def _visible_steps_as_case(actor: UserIds) -> Any:
    """visible_steps(actor) as one CASE expression: no index can serve it and PostgreSQL estimates it
    as a generic condition (about half the rows), so the full-text match decides the plan: the GIN
    index for a selective word, an early-stopping scan in candidate order for a common one.
    """
    return sa.case(
        (col(LibraryStep.visibility) == "public", sa.true()),
        (col(LibraryStep.visibility) == "team", col(LibraryStep.account_id) == actor.account_id),
        (col(LibraryStep.visibility) == "private", col(LibraryStep.created_by) == actor.id),
        else_=sa.false(),
    )


def list_steps(
    *,
    session: Session,
    actor: User,
    q: str | None = None,
    step_type: str | None = None,
    category_id: Any = None,
    group_label: str | None = None,
    visibility: str | None = None,
    is_flow_synced: bool | None = None,
    source_tree_id: Any = None,
    sort: str = "relevance",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[LibraryStepDTO], int]:
    """Search and filter the active library steps the actor may see (exact total; the API's list).

    Args:
        session: DB session.
        actor: the viewer.
        q: words that must all appear (as prefixes) in the title or instructions (full-text index).
        step_type, category_id, group_label, visibility, is_flow_synced, source_tree_id: filters (combined with AND).
        sort: relevance (search rank, see RANK_WINDOW; newest without q), usage, rating, newest.
        limit, offset: paging.

    Returns:
        (one page of DTOs, the exact total number of matches).
    """
    got = search_steps(
        session=session,
        actor=actor,
        q=q,
        step_type=step_type,
        category_id=category_id,
        group_label=group_label,
        visibility=visibility,
        is_flow_synced=is_flow_synced,
        source_tree_id=source_tree_id,
        sort=sort,
        limit=limit,
        offset=offset,
        total_cap=None,
    )
    return got.items, got.total


def search_steps(*, session: Session, actor: User, distinct: bool = False, **filters: Any) -> StepPage:
    """Like list_steps, for type-ahead: the total is counted only up to a cap (see `_search_steps` for the filters).

    With `distinct` (the Library page) a fork's unchanged copies of its parent flow's steps are left
    out and each remaining step says in how many flows it is used.
    """
    page = _search_steps(session=session, actor=actor, distinct=distinct, **filters)
    if distinct and any(item.is_flow_synced for item in page.items):  # only synced steps have fork copies
        used = _used_in_flows(session, [item.id for item in page.items if item.is_flow_synced])
        page.items = [item.model_copy(update={"used_in_flows": used.get(item.id, 1)}) for item in page.items]
    return page


def _search_steps(
    *,
    session: Session,
    actor: User,
    q: str | None = None,
    step_type: str | None = None,
    category_id: Any = None,
    group_label: str | None = None,
    visibility: str | None = None,
    is_flow_synced: bool | None = None,
    source_tree_id: Any = None,
    sort: str = "relevance",
    limit: int = 50,
    offset: int = 0,
    total_cap: int | None = TOTAL_CAP,
    distinct: bool = False,
) -> StepPage:
    """Like list_steps, for type-ahead: the total is counted only up to a cap.

    Args:
        total_cap: count at most max(total_cap, offset + limit) matches; beyond that the answer has
            that number as `total` and `total_capped` true ("1,000+"). None counts exactly.
        distinct: leave out a fork's synced steps that are unchanged copies of its parent flow's
            (the parent's entry says "used in N flows"); changed steps of the fork stay.

    Returns:
        StepPage(items, total, total_capped).
    """
    if sort not in SORTS:
        raise InvalidInput(f"sort must be one of: {', '.join(SORTS)}.")
    limit, offset = max(0, int(limit)), max(0, int(offset))
    tokens = search_tokens(q)
    filters: dict[str, Any] = {}
    if step_type:
        filters["step_type"] = _check_choice(step_type, STEP_TYPES, "step_type")
    if visibility:
        filters["visibility"] = _check_choice(visibility, STEP_VISIBILITIES, "visibility")
    if category_id:
        filters["category_id"] = _filter_id(category_id)
    if source_tree_id:
        filters["source_tree_id"] = _filter_id(source_tree_id)
    if is_flow_synced is not None:
        filters["is_flow_synced"] = bool(is_flow_synced)
    if group_label:
        filters["group_label"] = group_label
    if distinct:
        filters["distinct"] = True
    if q and q.strip() and not tokens:
        return StepPage(items=[], total=0)
    dialect = session.get_bind().dialect.name
    params: dict[str, Any] = {
        "v_account": actor.account_id,
        "v_user": actor.id,
        "actor_id": actor.id,
        **{f"f_{k}": v for k, v in filters.items() if k != "distinct"},
    }
    cap = None if total_cap is None else max(int(total_cap), offset + limit)
    if tokens and sort == "relevance":
        return _ranked_search(
            session, actor, dialect, tuple(sorted(filters)), tokens, params, limit=limit, offset=offset, cap=cap
        )
    pg_search = bool(tokens) and dialect == "postgresql"
    conds = _conds("filter" if pg_search else "plain", tuple(sorted(filters)))
    if tokens:
        conds.append(_match_condition(dialect))  # no ranking needed: a plain membership test
        params["q"] = tsquery_text(tokens) if dialect == "postgresql" else fts5_query(tokens)
    newest: list[tuple[Any, bool]] = [(LibraryStep.created_at, True), (LibraryStep.id, False)]
    if sort == "usage":
        keys = [(LibraryStep.usage_count, True), *newest]
    elif sort == "rating":
        avg = sa.case(
            (
                col(LibraryStep.rating_count) > 0,
                sa.cast(col(LibraryStep.rating_sum), sa.Float) / col(LibraryStep.rating_count),
            ),
            else_=0.0,
        )
        keys = [(avg, True), (LibraryStep.rating_count, True), *newest]
    else:
        keys = newest
    page = _page_subquery(conds, keys, with_total=bool(tokens) and cap is None, limit=limit, offset=offset)
    rows = list(session.execute(_with_names(page, keys), params).all())
    if tokens and cap is None:
        # The total of a search comes with the page (count(*) OVER ()); only a page past the end needs its own count.
        total, capped = (rows[0].total_ if rows else (_count(session, conds, params) if offset > 0 else 0)), False
    else:
        total, capped = _capped_count(session, conds, params, cap)
    return StepPage(items=_dtos_of(actor, rows), total=int(total), total_capped=capped)


@dataclass(frozen=True)
class _ParamViewer:
    """A viewer whose ids are bind parameters (the statement is cached and reused for every viewer)."""

    id: Any
    account_id: Any


def _conds(visibility_form: str, filter_names: tuple[str, ...]) -> list[Any]:
    """WHERE clauses (named bind parameters: v_account, v_user, f_<filter>) for the visible active steps.

    visibility_form: "plain" (services.visibility.visible_steps), "filter" (_visible_steps_as_filter)
    or "case" (_visible_steps_as_case); the PostgreSQL search forms steer its planner.
    """
    viewer = _ParamViewer(
        id=sa.bindparam("v_user"), account_id=sa.bindparam("v_account")
    )  # a User's ids, as parameters
    forms: dict[str, Callable[[UserIds], Any]] = {
        "plain": visible_steps,
        "filter": _visible_steps_as_filter,
        "case": _visible_steps_as_case,
    }
    visible = forms[visibility_form](viewer)
    if visibility_form == "case":  # is_active inside the CASE too: no BitmapAnd with the (unselective) is_active index
        conds: list[Any] = [sa.case((col(LibraryStep.is_active).is_(True), visible), else_=sa.false())]
    else:
        conds = [visible, col(LibraryStep.is_active).is_(True)]
    columns = {
        "step_type": LibraryStep.step_type,
        "visibility": LibraryStep.visibility,
        "category_id": LibraryStep.category_id,
        "source_tree_id": LibraryStep.source_tree_id,
        "is_flow_synced": LibraryStep.is_flow_synced,
        "group_label": LibraryStep.content["group_label"].as_string(),
    }
    for name in filter_names:
        conds.append(_not_a_fork_copy() if name == "distinct" else columns[name] == sa.bindparam(f"f_{name}"))
    return conds


def _fork_copy_of(parent: Any, copy: Any) -> list[Any]:
    """Conditions: `copy` is a synced step of a fork whose parent flow has `parent`, unchanged (same node, title, type,
    content)."""
    trees = table_of(Tree)
    return [
        copy.is_flow_synced.is_(True),
        trees.c.id == copy.source_tree_id,
        trees.c.parent_tree_id == parent.source_tree_id,
        parent.is_flow_synced.is_(True),
        parent.is_active.is_(True),
        parent.source_node_id == copy.source_node_id,
        parent.title == copy.title,
        parent.step_type == copy.step_type,
        parent.content == copy.content,
    ]


def _not_a_fork_copy() -> Any:
    """The step is not an unchanged copy a fork made of its parent flow's active step.

    Written as "not synced, or no parent copy exists" so that the correlated lookup runs only for
    synced steps (the OR short-circuits per row), never for manual ones.
    """
    parent = sa.orm.aliased(LibraryStep, name="fork_parent")
    return sa.or_(col(LibraryStep.is_flow_synced).is_not(True), ~sa.exists().where(*_fork_copy_of(parent, LibraryStep)))


def _used_in_flows(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """For each step id: 1 + the active unchanged copies forks made of it."""
    if not ids:
        return {}
    # SQLModel types an alias's attributes as plain values (UUID, bool), not as the columns they are.
    copy = cast(Any, sa.orm.aliased(LibraryStep, name="fork_copy"))
    rows = session.execute(
        select(col(LibraryStep.id), sa.func.count(copy.id))
        .where(col(LibraryStep.id).in_(ids), copy.is_active.is_(True), *_fork_copy_of(LibraryStep, copy))
        .group_by(col(LibraryStep.id))
    ).all()
    return {sid: 1 + int(n) for sid, n in rows}


def _ranked_search(
    session: Session,
    actor: User,
    dialect: str,
    filter_names: tuple[str, ...],
    tokens: list[str],
    params: dict[str, Any],
    *,
    limit: int,
    offset: int,
    cap: int | None,
) -> StepPage:
    """Relevance order over a bounded candidate set: a few small statements instead of ranking every match.

    1. The candidates: the first max(RANK_WINDOW, cap, offset + limit) + 1 visible matches in the
       candidate order (an early-stopping scan for a common word, the full-text index for a rare
       one), counted in the database; only the rows the page can need come back.
    2. The rank (bm25 / ts_rank) of the first RANK_WINDOW candidates alone (PostgreSQL: computed
       by statement 1); they are sorted by relevance, then usage, newest, candidate order; any
       further candidates follow in candidate order, so pages never overlap.
    3. The page's rows, with names (by candidate key).
    Fewer candidates than fetched means their number is the exact total.
    """
    fetch = max(RANK_WINDOW, cap or 0, offset + limit) + 1
    cand_stmt, rank_stmt, count_stmt = _ranked_statements(dialect, filter_names)
    params = {
        **params,
        "q": tsquery_text(tokens) if dialect == "postgresql" else fts5_query(tokens),
        "fetch": fetch,
        "window": RANK_WINDOW,
        "need": min(fetch, max(RANK_WINDOW, offset + limit)),
    }
    if dialect == "postgresql":
        # psycopg prepares a statement after a few runs and PostgreSQL may then switch to one generic
        # plan for every query; a plan for "check" (early-stopping scan) is the wrong one for "dns"
        # (GIN) and the other way round, so plan these statements for their words each time. The
        # estimated cost of a mid-frequency word's bitmap scan passes jit_above_cost: compiling
        # costs tens of ms more than the query itself, so no JIT either (both for this transaction).
        session.execute(
            sa.text("SELECT set_config('plan_cache_mode', 'force_custom_plan', true), set_config('jit', 'off', true)")
        )
    conn = session.connection()  # Core rows: no ORM result processing for up to `need` candidates
    cands = list(conn.execute(cand_stmt, params).all())
    found = int(cands[0].total_) if cands else 0
    window = cands[:RANK_WINDOW]
    if offset < len(window):
        window = _by_relevance(session, rank_stmt, params, window)
    ordered = [c[0] for c in window] + [c.key_ for c in cands[len(window) :]]
    items = _rows_in_order(session, actor, dialect, ordered[offset : offset + limit])
    if found < fetch:
        return StepPage(items=items, total=found)
    if cap is not None:
        return StepPage(items=items, total=cap, total_capped=True)
    return StepPage(items=items, total=int(session.execute(count_stmt, params).scalar_one()))


def _by_relevance(session: Session, rank_stmt: Any, params: dict[str, Any], window: list[Any]) -> list[Any]:
    """The window's candidates by rank (lower is better), then usage, newest, candidate order.

    SQLite's bm25 needs the MATCH cursor, so `rank_stmt` ranks the matches of the window's rowid
    range that pass the candidates' conditions, i.e. the window; PostgreSQL's candidates carry their rank_.
    """
    rows = [tuple(c) for c in window]  # (key_, usage_, created_, total_, rank_): plain tuples sort fast
    if rank_stmt is not None:
        keys = [r[0] for r in rows]
        ranks = dict(session.connection().execute(rank_stmt, {**params, "lo": min(keys), "hi": max(keys)}).all())
        rows = [(r[0], r[1], r[2], r[3], ranks.get(r[0])) for r in rows]
    # stable sorts, last key first: candidate order (as fetched), newest (raw values: ISO text on
    # SQLite, timestamptz on PostgreSQL), then rank and usage
    out = sorted(rows, key=lambda r: r[2], reverse=True)
    out.sort(key=lambda r: (r[4] if r[4] is not None else 0.0, -r[1]))
    return out


def _rows_in_order(session: Session, actor: User, dialect: str, keys: list[int]) -> list[LibraryStepDTO]:
    """DTOs of the steps with candidate keys `keys`, in that order, with names and the actor's rating."""
    if not keys:
        return []
    rows = {
        r.key_: r for r in session.execute(_named_rows_statement(dialect), {"keys": keys, "actor_id": actor.id}).all()
    }
    return _dtos_of(actor, [rows[k] for k in keys if k in rows])


def _candidate_key(dialect: str) -> Any:
    """The candidate order's column: SQLite the rowid (the FTS5 rowid), PostgreSQL search_seq (migration 0011)."""
    return sa.literal_column(
        "step_library.search_seq" if dialect == "postgresql" else "step_library.rowid", sa.BigInteger
    )


@functools.lru_cache(maxsize=4)
def _named_rows_statement(dialect: str) -> Any:
    """Full step rows (bind parameter keys: candidate keys) with their key, category / source flow / creator names and
    the actor's rating."""
    step = table_of(LibraryStep)
    src = (
        step.outerjoin(StepCategory, col(StepCategory.id) == step.c.category_id)
        .outerjoin(Tree, col(Tree.id) == step.c.source_tree_id)
        .outerjoin(User, col(User.id) == step.c.created_by)
        .outerjoin(
            StepRating,
            sa.and_(col(StepRating.step_id) == step.c.id, col(StepRating.user_id) == sa.bindparam("actor_id")),
        )
    )
    key = _candidate_key(dialect)
    return (
        sa.select(
            *step.c,
            key.label("key_"),
            col(StepCategory.name).label("category_name_"),
            col(Tree.name).label("source_tree_name_"),
            col(User.name).label("created_by_name_"),
            col(StepRating.rating).label("my_rating_"),
        )
        .select_from(src)
        .where(key.in_(sa.bindparam("keys", expanding=True)))
    )


@functools.lru_cache(maxsize=256)
def _ranked_statements(dialect: str, filter_names: tuple[str, ...]) -> tuple[Any, Any, Any]:
    """(candidates, rank (SQLite; None on PostgreSQL), exact count) statements for one dialect and set of filters.

    Built once and reused (all values are bind parameters: q, fetch, need, window, lo, hi, the
    viewer's ids and f_<filter>), which keeps SQL construction off the type-ahead path. The
    candidate order: SQLite the FTS5 rowid, newest first (the index's own order); PostgreSQL
    search_seq (insert order, migration 0011), whose index reads the heap almost sequentially.
    """
    step = table_of(LibraryStep)
    rank: Any
    if dialect == "postgresql":
        # The query is a function in FROM: PostgreSQL folds it to a constant once (estimates see
        # the words), instead of parsing it again for every row that the match tests.
        query_fn = sa.func.to_tsquery(
            sa.literal_column("'simple'::regconfig"), sa.bindparam("q", type_=sa.String)
        ).alias("tsq")
        tsq = query_fn.column
        vec: sa.ColumnClause[Any] = sa.literal_column(PG_TSVECTOR_SQL)
        source = step.join(query_fn, sa.true())
        match, key = vec.op("@@")(tsq), _candidate_key(dialect)
        order_of = sa.asc
        conds = _conds("case", filter_names)
        extra, rank = [vec.label("tsv_"), tsq.label("tsq_")], None  # ranked in the candidates statement
    else:
        source = FTS_TABLE.join(step, FTS_TABLE.c.rowid == STEP_ROWID)
        match = sa.literal_column("step_library_fts").op("MATCH")(sa.bindparam("q", type_=sa.String))
        key = FTS_TABLE.c.rowid
        order_of = sa.desc
        conds = _conds("plain", filter_names)
        extra = []
        # The candidates' own conditions: of the range's matches only the window's rows (the visible
        # ones) come back and get a bm25 (a common word has ~3 invisible matches per visible one).
        rank = (
            sa.select(FTS_TABLE.c.rowid, sa.func.bm25(sa.literal_column("step_library_fts"), 10.0, 1.0))
            .select_from(source)
            .where(
                *conds,
                match,
                FTS_TABLE.c.rowid.between(sa.bindparam("lo", type_=sa.Integer), sa.bindparam("hi", type_=sa.Integer)),
            )
        )
    cand = (
        sa.select(
            key.label("key_"),
            step.c.usage_count.label("usage_"),
            sa.type_coerce(step.c.created_at, sa.String).label("created_"),
            *extra,
        )
        .select_from(source)
        .where(*conds, match)
        .order_by(order_of(key))
        .limit(sa.bindparam("fetch", type_=sa.Integer))
    ).subquery("cand")
    # Only PostgreSQL needs each candidate's position (it ranks the first `window` ones in SQL);
    # SQLite would sort the fetched candidates once more for a row_number() nobody reads.
    position = [sa.func.row_number().over(order_by=order_of(cand.c.key_)).label("pos_")] if rank is None else []
    numbered = sa.select(cand, sa.func.count().over().label("total_"), *position).subquery("numbered")
    # The count runs over every fetched candidate; only the first `need` rows (the rank window, or
    # up to the end of a deeper page) are sent back, in candidate order. PostgreSQL ranks the
    # window's rows here (one round trip less); SQLite's bm25 needs its own MATCH (`rank`).
    rank_col = (
        sa.case(
            (
                numbered.c.pos_ <= sa.bindparam("window", type_=sa.Integer),
                -sa.func.ts_rank(numbered.c.tsv_, numbered.c.tsq_),
            )
        )
        if rank is None
        else sa.null()
    )
    cands = (
        sa.select(numbered.c.key_, numbered.c.usage_, numbered.c.created_, numbered.c.total_, rank_col.label("rank_"))
        .order_by(order_of(numbered.c.key_))
        .limit(sa.bindparam("need", type_=sa.Integer))
    )
    count = sa.select(sa.func.count()).select_from(source).where(*conds, match)
    return cands, rank, count


def _dtos_of(actor: User, rows: list[Any]) -> list[LibraryStepDTO]:
    return [_dto(actor, r, r.category_name_, r.source_tree_name_, r.created_by_name_, r.my_rating_) for r in rows]


def _count(session: Session, conds: list[Any], params: dict[str, Any]) -> int:
    return int(session.execute(select(sa.func.count()).select_from(LibraryStep).where(*conds), params).scalar_one())


def _capped_count(session: Session, conds: list[Any], params: dict[str, Any], cap: int | None) -> tuple[int, bool]:
    """(count, capped): the exact count, or (cap, True) when more than `cap` rows match (LIMIT cap + 1)."""
    if cap is None:
        return _count(session, conds, params), False
    limited = (
        select(sa.literal(1).label("one")).select_from(LibraryStep).where(*conds).limit(cap + 1).subquery("capped")
    )
    found = int(session.execute(select(sa.func.count()).select_from(limited), params).scalar_one())
    return (cap, True) if found > cap else (found, False)


def _page_subquery(conds: list[Any], keys: list[tuple[Any, bool]], *, with_total: bool, limit: int, offset: int) -> Any:
    """The ids and sort keys of one page of matches (a narrow sort), optionally with count(*) OVER ()."""
    cols: list[Any] = [col(LibraryStep.id).label("pid_"), *(expr.label(f"k{i}_") for i, (expr, _) in enumerate(keys))]
    if with_total:
        cols.append(sa.func.count().over().label("total_"))
    inner = (
        select(*cols)
        .select_from(LibraryStep)
        .where(*conds)
        .order_by(*(expr.desc() if desc else expr.asc() for expr, desc in keys))
        .limit(limit)
        .offset(offset)
    )
    return inner.subquery("page")


def _with_names(page: Any, keys: list[tuple[Any, bool]]) -> Any:
    """A statement reading the full step rows of one page subquery (pid_, k0_.., maybe total_), in its order.

    Adds the category / source flow / creator names and the actor's (bind parameter actor_id)
    rating (LEFT JOINs on primary / unique keys: no duplicated rows).
    """
    step = table_of(LibraryStep)
    src = (
        page.join(step, step.c.id == page.c.pid_)
        .outerjoin(StepCategory, StepCategory.id == step.c.category_id)
        .outerjoin(Tree, Tree.id == step.c.source_tree_id)
        .outerjoin(User, User.id == step.c.created_by)
        .outerjoin(
            StepRating,
            sa.and_(col(StepRating.step_id) == step.c.id, col(StepRating.user_id) == sa.bindparam("actor_id")),
        )
    )
    return (
        sa.select(
            *step.c,
            *([page.c.total_] if "total_" in page.c else []),
            col(StepCategory.name).label("category_name_"),
            col(Tree.name).label("source_tree_name_"),
            col(User.name).label("created_by_name_"),
            col(StepRating.rating).label("my_rating_"),
        )
        .select_from(src)
        .order_by(*(page.c[f"k{i}_"].desc() if desc else page.c[f"k{i}_"].asc() for i, (_, desc) in enumerate(keys)))
    )


def _filter_id(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput("Not a valid id.") from None


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


def _check_choice(value: Any, allowed: tuple[str, ...], label: str) -> str:
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
        step_type=_check_choice(step_type, STEP_TYPES, "step_type"),
        content=content_dict(content),
        visibility=_check_choice(visibility or "team", STEP_VISIBILITIES, "visibility"),
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
        values["step_type"] = _check_choice(changes["step_type"], STEP_TYPES, "step_type")
    if "visibility" in changes:
        values["visibility"] = _check_choice(changes["visibility"], STEP_VISIBILITIES, "visibility")
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


def rebuild_search_index(*, session: Session) -> None:
    """Rebuild the SQLite FTS5 index from the table (after a VACUUM or bulk import); no-op on PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sa.text("INSERT INTO step_library_fts(step_library_fts) VALUES ('rebuild')"))
