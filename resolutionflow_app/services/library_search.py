"""Library search: the active steps a viewer may see, by words (full-text index) and filters, one page at a time.

Relevance orders a bounded window of matches and the library page counts at most TOTAL_CAP of them
("1,000+"), so a common word or a one-letter prefix costs about as much as a rare word (see
`_ranked_search`). SQLite: the FTS5 index carries each step's visibility as `scope` tokens
(migration 0013), so the index alone finds the matches a viewer may see, without reading the steps
it may not.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, col, select

from resolutionflow_app.db.models import LibraryStep, StepCategory, StepRating, Tree, User
from resolutionflow_app.db.models.library import STEP_TYPES, STEP_VISIBILITIES
from resolutionflow_app.db.sql import table_of
from resolutionflow_app.domain import search_text
from resolutionflow_app.domain.errors import InvalidInput
from resolutionflow_app.services.dto import DTO
from resolutionflow_app.services.library import SORTS, LibraryStepDTO, check_choice, step_dto
from resolutionflow_app.services.visibility import UserIds, visible_steps

# Relevance ranks at most this many matches: all of them when a query matches fewer, otherwise the
# first ones in the candidate order, followed by the remaining matches in that order. A common
# word or a one-letter prefix matching most of the library then costs a bounded amount of work
# (LIMIT stops the scan early, only this many rows are ranked) instead of ranking every match; a
# rarer word (up to this many visible matches) is ranked completely.
RANK_WINDOW = 200
# The library page counts at most this many matches and shows "1,000+" beyond it (StepPage).
TOTAL_CAP = 1000

# PostgreSQL: a stored generated tsvector column with a GIN index (alembic/versions/0002_library_search.py).
PG_TSVECTOR_SQL = "step_library.search_tsv"
# PostgreSQL: every prefix of every word of the active steps, by visibility scope, in search_seq
# order (alembic/versions/0015_library_search_terms.py; TERM_PREFIX_MAX must match it).
TERMS = sa.table(
    "step_library_terms",
    sa.column("term", sa.Text),
    sa.column("kind", sa.Text),
    sa.column("scope", sa.Uuid),
    sa.column("seq", sa.BigInteger),
    sa.column("synced", sa.Boolean),
)
TERM_PREFIX_MAX = 16
# At most this many query words are looked up in the term table (the longest: usually the most
# selective); any others, and words longer than TERM_PREFIX_MAX, are checked against search_tsv.
TERM_WORDS = 3
# The term table's visibility scopes: (kind, scope), scope as SQL (the viewer's ids are bind parameters).
TERM_SCOPES = (
    ("p", "'00000000-0000-0000-0000-000000000000'::uuid"),
    ("t", None),  # the viewer's account: v_account
    ("u", None),  # the viewer: v_user
)
FTS_TABLE = sa.table("step_library_fts", sa.column("rowid", sa.Integer))
STEP_ROWID = sa.literal_column("step_library.rowid", sa.Integer)
# SQLite: the first character of every `scope` token of the FTS5 index (a private-use code point:
# the tokenizer keeps it in a word, and a query word never contains one, so no typed prefix reads
# the scope tokens). Must match the view of alembic/versions/0013_library_search_scope.py.
SCOPE_MARK = "\ue000"


class StepPage(DTO):
    """One page of a library search with its total; `total_capped`: there are more than `total`."""

    items: list[LibraryStepDTO]
    total: int
    total_capped: bool = False


def search_tokens(q: str | None) -> list[str]:
    """Words of a search query (runs of letters/digits; operators, quotes and punctuation are dropped)."""
    return search_text.search_tokens(q)


def fts5_query(tokens: list[str], *, columns: str = "") -> str:
    """An FTS5 MATCH expression: every word must appear, as a prefix (in one of `columns`, space-separated, if given).

    Without columns the words are looked up in every column; they can only match the title and
    the instructions, since no query word can match a scope token (SCOPE_MARK).
    """
    words = " ".join(f'"{t}"*' for t in tokens)
    return f"{{{columns}}} : ({words})" if columns else words


def fts5_scope_query(tokens: list[str], actor: UserIds) -> str:
    """fts5_query, restricted to the active steps `actor` may see (their `scope` tokens, see SCOPE_MARK)."""
    scopes = (f"{SCOPE_MARK}p", f"{SCOPE_MARK}t{actor.account_id.hex}", f"{SCOPE_MARK}u{actor.id.hex}")
    return (
        fts5_query(tokens, columns="title instructions")
        + " AND scope : ("
        + " OR ".join(f'"{s}"' for s in scopes)
        + ")"
    )


def tsquery_text(tokens: list[str], *, weight: str = "") -> str:
    """A to_tsquery('simple', ...) expression: every word must appear, as a prefix (with `weight` "A": in the title)."""
    return " & ".join(f"{t}:*{weight}" for t in tokens)


def list_steps(*, session: Session, actor: User, **filters: Any) -> tuple[list[LibraryStepDTO], int]:
    """Search and filter the active library steps the actor may see, with the exact total (the API's list).

    Args:
        session: DB session.
        actor: the viewer.
        **filters: q, step_type, category_id, group_label, visibility, is_flow_synced, source_tree_id,
            sort, limit, offset, as `_search_steps` takes them.

    Returns:
        (one page of DTOs, the exact total number of matches).
    """
    got = search_steps(session=session, actor=actor, total_cap=None, **filters)
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
    """One page of the active library steps the actor may see, with a total counted only up to a cap.

    Args:
        session: DB session.
        actor: the viewer.
        q: words that must all appear (as prefixes) in the title or instructions (full-text index).
        step_type, category_id, group_label, visibility, is_flow_synced, source_tree_id: filters (combined with AND).
        sort: relevance (see `_ranked_search`; newest without q), usage, rating, newest.
        limit, offset: paging.
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
        filters["step_type"] = check_choice(step_type, STEP_TYPES, "step_type")
    if visibility:
        filters["visibility"] = check_choice(visibility, STEP_VISIBILITIES, "visibility")
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
    # With words: PostgreSQL's visibility as a row filter after the GIN lookup; SQLite's in the
    # full-text match itself (scope tokens), which then yields only the visible active matches.
    visibility_form = ("filter" if dialect == "postgresql" else "scope") if tokens else "plain"
    conds = _conds(visibility_form, tuple(sorted(filters)))
    if tokens:
        conds.append(_match_condition(dialect))  # no ranking needed: a plain membership test
        params["q"] = tsquery_text(tokens) if dialect == "postgresql" else fts5_scope_query(tokens, actor)
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
    rows = list(session.execute(_with_names(page, [desc for _, desc in keys]), params).all())
    if tokens and cap is None:
        # The total of a search comes with the page (count(*) OVER ()); only a page past the end needs its own count.
        total, capped = (rows[0].total_ if rows else (_count(session, conds, params) if offset > 0 else 0)), False
    else:
        total, capped = _capped_count(session, conds, params, cap)
    return StepPage(items=_dtos_of(actor, rows), total=int(total), total_capped=capped)


def _filter_id(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput("Not a valid id.") from None


# --- conditions ------------------------------------------------------------------------------


def _pg_tsquery(param: str) -> Any:
    """PostgreSQL: to_tsquery('simple', :param), the query text built by `tsquery_text`."""
    return sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), sa.bindparam(param, type_=sa.String))


def _pg_window_rank(vec: Any, tsq: Any, pos: Any, total: Any) -> Any:
    """PostgreSQL: a candidate's rank in the window (see `_by_relevance`; NULL past the window, bind parameters window
    and qt).

    ts_rank when the window holds every match, else 0 when the title has every word (title words
    carry weight A in the vector, migration 0014, so "check:*A" asks the title alone), else 1.
    """
    window = sa.bindparam("window", type_=sa.Integer)
    in_title = vec.op("@@")(_pg_tsquery("qt"))
    return sa.case((pos <= window, sa.case((total <= window, -sa.func.ts_rank(vec, tsq)), (in_title, 0.0), else_=1.0)))


def _match_condition(dialect: str) -> Any:
    """A WHERE clause on step_library: every word matches (bind parameter q: the tsquery / FTS5 expression)."""
    if dialect == "postgresql":
        return sa.literal_column(PG_TSVECTOR_SQL).op("@@")(_pg_tsquery("q"))
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


@dataclass(frozen=True)
class _ParamViewer:
    """A viewer whose ids are bind parameters (the statement is cached and reused for every viewer)."""

    id: Any
    account_id: Any


def _conds(visibility_form: str, filter_names: tuple[str, ...]) -> list[Any]:
    """WHERE clauses (named bind parameters: v_account, v_user, f_<filter>) for the visible active steps.

    visibility_form: "plain" (services.visibility.visible_steps), "filter" (_visible_steps_as_filter)
    or "case" (_visible_steps_as_case), the PostgreSQL search forms that steer its planner; "scope":
    none, the SQLite full-text match already keeps to the visible active steps (fts5_scope_query).
    """
    viewer = _ParamViewer(id=sa.bindparam("v_user"), account_id=sa.bindparam("v_account"))
    conds: list[Any] = []
    if visibility_form == "case":  # is_active inside the CASE too: no BitmapAnd with the (unselective) is_active index
        conds.append(sa.case((col(LibraryStep.is_active).is_(True), _visible_steps_as_case(viewer)), else_=sa.false()))
    elif visibility_form != "scope":
        forms: dict[str, Callable[[UserIds], Any]] = {"plain": visible_steps, "filter": _visible_steps_as_filter}
        conds += [forms[visibility_form](viewer), col(LibraryStep.is_active).is_(True)]
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


# --- relevance ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _RankedStatements:
    """The statements of a relevance search for one dialect and set of filters (see `_ranked_statements`)."""

    candidates: Any
    rank: Any  # SQLite: bm25 of the matches in a rowid range; None on PostgreSQL (ranked by `candidates`)
    titled: Any  # SQLite: the matches in a rowid range whose title has every word; None on PostgreSQL
    rows: Any
    count: Any
    # PostgreSQL's term search with the fork fold: which of the given keys are fork copies (see _folded_candidates)
    fork_copies: Any = None


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
    """Relevance order over a bounded window of matches: a few small statements instead of ranking every match.

    1. The candidates: the first max(RANK_WINDOW, cap, offset + limit) + 1 visible matches in the
       candidate order (an early-stopping scan for a common word, the full-text index for a rare
       one), counted in the database; only the rows the page can need come back.
    2. The first RANK_WINDOW candidates sorted by relevance (`_by_relevance`), then usage, newest,
       candidate order; any further candidates follow in candidate order, so pages never overlap.
    3. The page's rows, with names (by candidate key).
    Fewer candidates than fetched means their number is the exact total.
    """
    fetch = max(RANK_WINDOW, cap or 0, offset + limit) + 1
    if dialect == "postgresql":
        terms, checked = _term_plan(tokens)
        stmts = _ranked_statements(dialect, filter_names, len(terms), checked)
        words = {"q": tsquery_text(tokens), "qt": tsquery_text(tokens, weight="A")}
        words |= {f"w{i}": term for i, term in enumerate(terms)}
    else:
        stmts = _ranked_statements(dialect, filter_names)
        words = {"q": fts5_scope_query(tokens, actor)}
    params = {
        **params,
        **words,
        "fetch": fetch,
        "window": RANK_WINDOW,
        "need": min(fetch, max(RANK_WINDOW, offset + limit)),
    }
    conn = session.connection()  # Core rows: no ORM result processing for up to `need` candidates
    cands = _folded_candidates(conn, stmts, params)
    found = int(cands[0].total_) if cands else 0
    window: list[Any] = cands[:RANK_WINDOW]
    if offset < len(window):
        window = _by_relevance(conn, stmts, tokens, window, complete=found <= RANK_WINDOW)
    ordered = [c[0] for c in window] + [c.key_ for c in cands[len(window) :]]
    items = _rows_in_order(session, actor, stmts, ordered[offset : offset + limit])
    if found < fetch:
        return StepPage(items=items, total=found)
    if cap is not None:
        return StepPage(items=items, total=cap, total_capped=True)
    return StepPage(items=items, total=int(session.execute(stmts.count, params).scalar_one()))


def _folded_candidates(conn: Any, stmts: _RankedStatements, params: dict[str, Any]) -> list[Any]:
    """The candidates statement's rows; for PostgreSQL's term search of the library page, without fork copies.

    Each round checks the synced matches not checked yet and, when some are a fork's unchanged
    copies, runs the candidates again without them (bind parameter excluded). Every round checks
    new keys, so it ends; a library without forks takes one round and no lookup.
    """
    if stmts.fork_copies is None:
        return list(conn.execute(stmts.candidates, params).all())
    excluded: list[int] = []
    checked: set[int] = set()
    while True:
        cands = list(conn.execute(stmts.candidates, {**params, "excluded": excluded}).all())
        synced = set(cands[0].synced_keys_ or ()) - checked if cands else set()
        if not synced:
            return cands
        checked |= synced
        copies = list(conn.execute(stmts.fork_copies, {"keys": sorted(synced)}).scalars())
        if not copies:
            return cands
        excluded += copies


def _by_relevance(
    conn: Any, stmts: _RankedStatements, tokens: list[str], window: list[Any], *, complete: bool
) -> list[tuple[Any, ...]]:
    """The window's candidates by relevance (lower first), then usage, newest, candidate order.

    complete (every match is in the window): the full-text rank, SQLite's bm25 or PostgreSQL's
    ts_rank, both counting a title word ten times an instructions word. Otherwise, when a query
    matches more steps than the window holds (a common word, a short prefix), steps whose title has
    every word come first: a rank over an arbitrary slice of many matches says little, and bm25
    would first count the documents of each word across the whole index (milliseconds for a word in
    most steps).
    """
    rows = [tuple(c) for c in window]  # (key_, usage_, created_, total_, rank_): plain tuples sort fast
    if stmts.rank is not None:  # SQLite: rank the window's rowid range in a second pass
        keys = [r[0] for r in rows]
        bounds = {"lo": min(keys), "hi": max(keys)}
        if complete:
            ranks = dict(conn.execute(stmts.rank, {"q": fts5_query(tokens), **bounds}).all())
        else:
            titled = conn.execute(stmts.titled, {"q": fts5_query(tokens, columns="title"), **bounds}).scalars()
            ranks = dict.fromkeys(titled, 0.0)
        rows = [(r[0], r[1], r[2], r[3], ranks.get(r[0], 0.0 if complete else 1.0)) for r in rows]
    # stable sorts, last key first: candidate order (as fetched), newest (raw values: ISO text on
    # SQLite, timestamptz on PostgreSQL), then rank and usage
    out = sorted(rows, key=lambda r: r[2], reverse=True)
    out.sort(key=lambda r: (r[4] if r[4] is not None else 0.0, -r[1]))
    return out


def _rows_in_order(session: Session, actor: User, stmts: _RankedStatements, keys: list[int]) -> list[LibraryStepDTO]:
    """DTOs of the steps with candidate keys `keys`, in that order, with names and the actor's rating."""
    if not keys:
        return []
    # Core execution: the statement selects table columns, no ORM entities to build.
    rows = {r.key_: r for r in session.connection().execute(stmts.rows, {"keys": keys, "actor_id": actor.id}).all()}
    return _dtos_of(actor, [rows[k] for k in keys if k in rows])


def _named_rows_statement(key: Any) -> Any:
    """Full step rows (bind parameter keys: candidate keys) with their key, category / source flow / creator names and
    the actor's rating."""
    step = table_of(LibraryStep)
    src, names = _with_names_joined(step, step)
    return (
        sa.select(*step.c, key.label("key_"), *names)
        .select_from(src)
        .where(key.in_(sa.bindparam("keys", expanding=True)))
    )


def _with_names_joined(source: Any, step: sa.Table) -> tuple[Any, list[Any]]:
    """`source` (a FROM holding `step`) with the category / source flow / creator names and the actor's (bind
    parameter actor_id) rating LEFT JOINed (on primary / unique keys: no duplicated rows), and those columns."""
    joined = (
        source.outerjoin(StepCategory, col(StepCategory.id) == step.c.category_id)
        .outerjoin(Tree, col(Tree.id) == step.c.source_tree_id)
        .outerjoin(User, col(User.id) == step.c.created_by)
        .outerjoin(
            StepRating,
            sa.and_(col(StepRating.step_id) == step.c.id, col(StepRating.user_id) == sa.bindparam("actor_id")),
        )
    )
    names: list[Any] = [
        col(StepCategory.name).label("category_name_"),
        col(Tree.name).label("source_tree_name_"),
        col(User.name).label("created_by_name_"),
        col(StepRating.rating).label("my_rating_"),
    ]
    return joined, names


def _term_plan(tokens: list[str]) -> tuple[list[str], bool]:
    """PostgreSQL: the words to look up in the term table, and whether the matches must also be checked
    against search_tsv.

    Only plain ASCII words are looked up (lower-cased, as the 'simple' configuration stores them,
    cut to TERM_PREFIX_MAX): their lexeme is the word itself in any locale. The check covers the
    other words and the cut ones. No plain word at all: the GIN index serves the search alone.
    """
    plain = sorted((t for t in tokens if t.isascii() and t.isalnum()), key=len, reverse=True)[:TERM_WORDS]
    checked = len(plain) < len(tokens) or any(len(t) > TERM_PREFIX_MAX for t in plain)
    return [t[:TERM_PREFIX_MAX] for t in plain], checked


def _term_matches(filter_names: tuple[str, ...], n_terms: int, checked: bool, *, limited: bool) -> Any:
    """PostgreSQL: the search_seq (as key_) of the visible active steps having every term (bind parameters w0..),
    in order; with `limited`, only the first `fetch`.

    One index-only scan of the term table per visibility scope (a join on seq per further term),
    merged in order: a word's matches come in search_seq order, so the scans stop after the first
    `fetch` matches whatever the word's frequency. A step's row is read only for the filters, the
    search_tsv check, or (the library page's fork fold) when the step is flow-synced; those
    conditions apply once, to the merged matches.
    """
    step = table_of(LibraryStep)
    branches: list[Any] = []
    for kind, scope_sql in TERM_SCOPES:
        scope: Any = (
            sa.literal_column(scope_sql) if scope_sql else sa.bindparam("v_account" if kind == "t" else "v_user")
        )
        terms = [TERMS.alias(f"t{i}") for i in range(n_terms)]
        first = terms[0]

        def in_scope(t: Any, i: int, kind: str = kind, scope: Any = scope) -> list[Any]:
            return [t.c.term == sa.bindparam(f"w{i}"), t.c.kind == sa.literal_column(f"'{kind}'"), t.c.scope == scope]

        source: Any = first
        for i, t in enumerate(terms[1:], start=1):
            source = source.join(t, sa.and_(*in_scope(t, i), t.c.seq == first.c.seq))
        branch = (
            sa.select(first.c.seq.label("key_"), first.c.synced.label("synced_"))
            .select_from(source)
            .where(*in_scope(first, 0))
        )
        # Each scope's matches in order: the merge then reads them lazily (Merge Append), and the
        # LIMIT stops every scan early; without it PostgreSQL may read them all and sort.
        branches.append(branch.order_by(first.c.seq) if limited else branch)
    union = sa.union_all(*branches).subquery("scopes")
    # The merged matches, in order, as a fence (OFFSET 0): the conditions below then apply once to
    # the merged stream instead of being pushed into (and planned for) every scope's scan.
    matches = (
        sa.select(union).order_by(union.c.key_).offset(0).subquery("matches") if limited else union.alias("matches")
    )
    source, conds = matches, []
    if checked or any(name != "distinct" for name in filter_names):
        source = matches.join(step, _candidate_key("postgresql") == matches.c.key_)
        conds += _conds("scope", filter_names)
        if checked:
            conds.append(_match_condition("postgresql"))
    elif limited and _folds_in_python(filter_names, checked):
        # The page's fold of fork copies runs in Python (`_folded_candidates`): this leaves out the
        # copies found so far. A lookup in SQL would cost more to plan (three tables) than the
        # whole index-only search takes to run.
        conds.append(matches.c.key_ != sa.all_(sa.bindparam("excluded", type_=postgresql.ARRAY(sa.BigInteger))))
    elif "distinct" in filter_names:  # only a synced step can be a fork's copy: read its row then
        key, is_copy = _fork_copy_by_seq()
        # OFFSET 0 keeps the lookup a per-row subplan, run only for a synced match: pulled up into
        # a hashed anti-join it would compute every fork copy in the library first.
        fork_copy = sa.select(sa.literal(1)).where(key == matches.c.key_, *is_copy).offset(0)
        conds.append(sa.or_(matches.c.synced_.is_(False), ~sa.exists(fork_copy)))
    found = sa.select(matches.c.key_, matches.c.synced_).select_from(source).where(*conds)
    if limited:
        found = found.order_by(matches.c.key_).limit(sa.bindparam("fetch", type_=sa.Integer))
    return found.subquery("found")


def _folds_in_python(filter_names: tuple[str, ...], checked: bool) -> bool:
    """PostgreSQL's term search: whether the library page's fork fold is the only condition, which then runs in
    Python (`_folded_candidates`) so that the search stays index-only."""
    return filter_names == ("distinct",) and not checked


def _fork_copy_by_seq() -> tuple[Any, list[Any]]:
    """PostgreSQL: the search_seq of a step aliased `fork_copy`, and the conditions that it is a fork's unchanged
    copy."""
    copy = cast(Any, sa.orm.aliased(LibraryStep, name="fork_copy"))
    parent = sa.orm.aliased(LibraryStep, name="fork_parent")
    return sa.literal_column("fork_copy.search_seq", sa.BigInteger), _fork_copy_of(parent, copy)


@functools.lru_cache(maxsize=256)
def _ranked_statements(
    dialect: str, filter_names: tuple[str, ...], n_terms: int = 0, checked: bool = False
) -> _RankedStatements:
    """The statements of a relevance search for one dialect and set of filters (PostgreSQL: and term plan).

    Built once and reused (all values are bind parameters: q, fetch, need, window, lo, hi, keys,
    the viewer's ids and f_<filter>), which keeps SQL construction off the type-ahead path. The
    candidate order: SQLite the FTS5 rowid, newest first (the index's own order); PostgreSQL
    search_seq (insert order, migration 0011), whose index reads the heap almost sequentially.
    PostgreSQL with `n_terms` (see `_term_plan`): the candidates come from the term table.
    """
    step = table_of(LibraryStep)
    if dialect == "postgresql" and n_terms:
        return _term_statements(filter_names, n_terms, checked)
    if dialect == "postgresql":
        # The query is a function in FROM: PostgreSQL folds it to a constant once (estimates see
        # the words), instead of parsing it again for every row that the match tests.
        query_fn = _pg_tsquery("q").alias("tsq")
        tsq = query_fn.column
        vec: sa.ColumnClause[Any] = sa.literal_column(PG_TSVECTOR_SQL)
        source = step.join(query_fn, sa.true())
        match, key = vec.op("@@")(tsq), sa.literal_column("step_library.search_seq", sa.BigInteger)
        order_of = sa.asc
        conds = _conds("case", filter_names)
        extra = [vec.label("tsv_"), tsq.label("tsq_")]
        rank = titled = None
    else:
        source = FTS_TABLE.join(step, FTS_TABLE.c.rowid == STEP_ROWID)
        match = sa.literal_column("step_library_fts").op("MATCH")(sa.bindparam("q", type_=sa.String))
        key = FTS_TABLE.c.rowid
        order_of = sa.desc
        conds = _conds("scope", filter_names)
        extra = []
        # The window's rowid range, read again with the query alone: the window's rows are among
        # these (the others are not looked up); the scope column's weight is 0.
        in_range = FTS_TABLE.c.rowid.between(sa.bindparam("lo", type_=sa.Integer), sa.bindparam("hi", type_=sa.Integer))
        bm25 = sa.func.bm25(sa.literal_column("step_library_fts"), 10.0, 1.0, 0.0)
        rank = sa.select(FTS_TABLE.c.rowid, bm25).where(match, in_range)
        titled = sa.select(FTS_TABLE.c.rowid).where(match, in_range)
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
    # window's rows here (one round trip less): ts_rank when the window holds every match, else
    # whether the title has every word (see _by_relevance, _pg_window_rank).
    if rank is None:
        rank_col = _pg_window_rank(numbered.c.tsv_, numbered.c.tsq_, numbered.c.pos_, numbered.c.total_)
    else:
        rank_col = sa.null()
    cands = (
        sa.select(numbered.c.key_, numbered.c.usage_, numbered.c.created_, numbered.c.total_, rank_col.label("rank_"))
        .order_by(order_of(numbered.c.key_))
        .limit(sa.bindparam("need", type_=sa.Integer))
    )
    # SQLite without filters: the scoped match alone is the answer, no row lookups.
    count_from = FTS_TABLE if dialect != "postgresql" and not conds else source
    count = sa.select(sa.func.count()).select_from(count_from).where(*conds, match)
    return _RankedStatements(
        candidates=cands, rank=rank, titled=titled, rows=_named_rows_statement(_candidate_key(dialect)), count=count
    )


def _term_statements(filter_names: tuple[str, ...], n_terms: int, checked: bool) -> _RankedStatements:
    """PostgreSQL's relevance statements over the term table (`_term_matches`): the first `fetch` matches are counted
    from the index alone; only the first `need` (the rank window) are joined to their rows, to be ranked."""
    step = table_of(LibraryStep)
    merged_q = _term_matches(filter_names, n_terms, checked, limited=True)
    python_fold = _folds_in_python(filter_names, checked)
    numbered = sa.select(
        merged_q.c.key_,
        sa.func.count().over().label("total_"),
        sa.func.row_number().over(order_by=merged_q.c.key_).label("pos_"),
        # The synced ones among all fetched matches, for the fold (sent with the first row only).
        *(
            [sa.func.array_agg(merged_q.c.key_).filter(merged_q.c.synced_).over().label("synced_")]
            if python_fold
            else []
        ),
    ).subquery("numbered")
    head = sa.select(numbered).order_by(numbered.c.key_).limit(sa.bindparam("need", type_=sa.Integer)).subquery("head")
    rank_col = _pg_window_rank(sa.literal_column(PG_TSVECTOR_SQL), _pg_tsquery("q"), head.c.pos_, head.c.total_)
    cands = (
        sa.select(
            head.c.key_,
            step.c.usage_count.label("usage_"),
            sa.type_coerce(step.c.created_at, sa.String).label("created_"),
            head.c.total_,
            rank_col.label("rank_"),
            *([sa.case((head.c.pos_ == 1, head.c.synced_)).label("synced_keys_")] if python_fold else []),
        )
        .select_from(head.join(step, _candidate_key("postgresql") == head.c.key_))
        .order_by(head.c.key_)
    )
    every = _term_matches(filter_names, n_terms, checked, limited=False)
    count = sa.select(sa.func.count()).select_from(every)
    rows = _named_rows_statement(_candidate_key("postgresql"))
    fork_copies = None
    if python_fold:
        key, is_copy = _fork_copy_by_seq()
        fork_copies = sa.select(key).where(key.in_(sa.bindparam("keys", expanding=True)), *is_copy)
    return _RankedStatements(candidates=cands, rank=None, titled=None, rows=rows, count=count, fork_copies=fork_copies)


def _candidate_key(dialect: str) -> Any:
    """The candidate order's column: SQLite the rowid (the FTS5 rowid), PostgreSQL search_seq (migration 0011)."""
    return sa.literal_column(
        "step_library.search_seq" if dialect == "postgresql" else "step_library.rowid", sa.BigInteger
    )


# --- pages and counts ------------------------------------------------------------------------


def _dtos_of(actor: User, rows: list[Any]) -> list[LibraryStepDTO]:
    return [step_dto(actor, r, r.category_name_, r.source_tree_name_, r.created_by_name_, r.my_rating_) for r in rows]


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


def _with_names(page: Any, descending: list[bool]) -> Any:
    """A statement reading the full step rows of one page subquery (pid_, k0_.., maybe total_), in its order.

    `descending`: per sort key k<i>_, whether it sorts descending. Adds the names and the actor's
    rating (`_with_names_joined`).
    """
    step = table_of(LibraryStep)
    src, names = _with_names_joined(page.join(step, step.c.id == page.c.pid_), step)
    return (
        sa.select(*step.c, *([page.c.total_] if "total_" in page.c else []), *names)
        .select_from(src)
        .order_by(*(page.c[f"k{i}_"].desc() if desc else page.c[f"k{i}_"].asc() for i, desc in enumerate(descending)))
    )


def rebuild_search_index(*, session: Session) -> None:
    """Rebuild the SQLite FTS5 index from the table (after a VACUUM or bulk import); no-op on PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sa.text("INSERT INTO step_library_fts(step_library_fts) VALUES ('rebuild')"))
