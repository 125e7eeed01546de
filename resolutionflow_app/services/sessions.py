"""Live sessions: start, walk, tick, notes, custom steps, complete, save as flow, delete."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, col, select

from resolutionflow_app.db.models import (
    LibraryStep,
    SessionShare,
    StepUsageLog,
    SupportSession,
    Tree,
    User,
)
from resolutionflow_app.db.models.sessions import OUTCOMES
from resolutionflow_app.db.sql import table_of
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.domain import session_rules as rules
from resolutionflow_app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from resolutionflow_app.domain.visibility import can_see_step
from resolutionflow_app.services.dto import DTO
from resolutionflow_app.services.library import (
    content_dict,
    parse_id,
    record_usage_increment,
)
from resolutionflow_app.services.session_automation_results import (
    automation_offer,
    resolve_unattached,
)
from resolutionflow_app.services.visibility import viewer_of, visible_trees

NOT_FOUND = "Session not found."
NOT_YOURS = "Only the engineer who started this session can change it."
COMPLETED = "This session is completed and can no longer change."


class SessionDTO(DTO):
    """A session as the API and pages show it."""

    id: uuid.UUID
    account_id: uuid.UUID
    tree_id: uuid.UUID | None = None
    tree_name: str
    tree_type: str
    tree_version: int = 1
    user_id: uuid.UUID
    user_name: str | None = None
    status: str
    current_node_id: str | None = None
    current_node: dict[str, Any] | None = None
    current_notes: str | None = None
    history: list[dict[str, Any]]
    custom_steps: list[dict[str, Any]]
    outcome: str | None = None
    summary: str | None = None
    started_at: datetime
    completed_at: datetime | None = None
    updated_at: datetime | None = None
    progress: dict[str, int] | None = None
    steps: list[dict[str, Any]] | None = None
    can_edit: bool = False
    # The automation the current step links to: {automation_id, name, available, reason} (None when none).
    current_automation: dict[str, Any] | None = None


# --- building answers ---------------------------------------------------------------------


def _available_sources(
    session: Session | None, viewer: User | None, custom_steps: list[dict[str, Any]]
) -> set[str] | None:
    """Ids of library sources that still exist, are active and visible; None when unknown (no DB session)."""
    if session is None:
        return None
    ids = set()
    for step in custom_steps:
        if step.get("source") == "step-library" and step.get("source_step_id"):
            with contextlib.suppress(ValueError):
                ids.add(uuid.UUID(str(step["source_step_id"])))
    if not ids:
        return set()
    rows = session.exec(
        select(LibraryStep).where(col(LibraryStep.id).in_(ids), col(LibraryStep.is_active).is_(True))
    ).all()
    ok = set()
    for row in rows:
        if viewer is None or can_see_step(
            viewer_of(viewer),
            visibility=row.visibility,
            account_id=str(row.account_id),
            created_by=str(row.created_by) if row.created_by else None,
        ):
            ok.add(str(row.id))
    return ok


def _custom_steps_view(session: Session | None, viewer: User | None, raw: Any) -> list[dict[str, Any]]:
    steps = rules.load_custom_steps(raw)
    if session is not None:
        resolve_unattached(session, steps)
    available = _available_sources(session, viewer, steps)
    for step in steps:
        if step.get("source") == "step-library":
            step["source_available"] = True if available is None else str(step.get("source_step_id")) in available
        else:
            step["source_available"] = True
    return steps


def _procedure_view(row: SupportSession) -> tuple[list[dict[str, Any]], dict[str, int]]:
    ticked = rules.ticked_ids(row.history or [])
    notes = {str(h["node_id"]): h.get("notes") for h in row.history or [] if not h.get("pending")}
    steps, section, done, total = [], None, 0, 0
    for node in rules.node_list(row.tree_type, row.tree_snapshot):
        item = dict(node)
        if node.get("type") == "section_header":
            section = node.get("title")
        if node.get("type") == rules.TICKABLE:
            total += 1
            item["done"] = str(node["id"]) in ticked
            item["notes"] = notes.get(str(node["id"]))
            done += item["done"]
        else:
            item["done"] = False
        item["section"] = section
        steps.append(item)
    return steps, {"done": done, "total": total}


def _base_view(row: SupportSession, session: Session | None, viewer: User | None) -> dict[str, Any]:
    nodes = rules.nodes_by_id(row.tree_type, row.tree_snapshot)
    history = [
        {
            "node_id": h.get("node_id"),
            "title": h.get("title") or (nodes.get(str(h.get("node_id"))) or {}).get("title", ""),
            "answer": h.get("answer"),
            "notes": h.get("notes"),
            "at": h.get("at"),
        }
        for h in row.history or []
        if isinstance(h, dict) and not h.get("pending")
    ]
    pending = [
        h
        for h in row.history or []
        if isinstance(h, dict) and h.get("pending") and h.get("node_id") == row.current_node_id
    ]
    data: dict[str, Any] = {
        "id": row.id,
        "account_id": row.account_id,
        "tree_id": row.tree_id,
        "tree_name": row.tree_name,
        "tree_type": row.tree_type,
        "tree_version": row.tree_version,
        "user_id": row.user_id,
        "status": row.status,
        "current_node_id": row.current_node_id,
        "current_node": nodes.get(row.current_node_id) if row.current_node_id else None,
        "current_notes": pending[-1].get("notes") if pending else None,
        "history": history,
        "custom_steps": _custom_steps_view(session, viewer, row.custom_steps),
        "outcome": row.outcome,
        "summary": row.summary,
        "started_at": row.started_at,
        "completed_at": row.completed_at,
        "updated_at": row.updated_at,
        "progress": None,
        "steps": None,
    }
    if rules.is_procedural(row.tree_type):
        data["steps"], data["progress"] = _procedure_view(row)
    return data


def to_dto(session: Session, actor: User, row: SupportSession) -> SessionDTO:
    """A session row as a DTO for `actor`."""
    data = _base_view(row, session, actor)
    data["user_name"] = session.exec(select(User.name).where(User.id == row.user_id)).first()
    data["can_edit"] = row.user_id == actor.id
    linked = (data.get("current_node") or {}).get("automation_id")
    if linked and row.status != "completed":
        data["current_automation"] = automation_offer(session, row.account_id, linked)[1]
    return SessionDTO(**data)


class PathStepView(BaseModel):
    """One answered step of the path a session took, as a read-only view shows it."""

    node_id: str
    title: str
    node_type: str
    answer: Any  # as stored ("" when none)
    notes: Any
    at: Any  # ISO 8601 as stored ("" when unknown)


class CustomStepView(BaseModel):
    """A custom step inserted into a session (ad-hoc, library or automation), read-only."""

    type: Any
    title: Any
    content: str
    notes: Any
    source: Any
    source_step_id: str | None = None
    automation_run_id: str | None = None
    inserted_at: Any
    inserted_after_node_id: str
    inserted_after_title: Any


class ChecklistItemView(BaseModel):
    """A step of a procedure's checklist and whether it was ticked."""

    id: str
    type: Any
    title: Any
    done: bool


class ReadOnlySessionDTO(DTO):
    """The one read-only view of a session (share links, share pages): no edit fields, no account id or private notes.

    Carries API.md's session fields (`id`, `tree_id`, `user_id`, `status`, `current_node_id`,
    `history`, `custom_steps`, `outcome`, `summary`) plus what a share page shows.
    """

    id: str
    user_id: str
    user_name: str | None = None
    engineer_name: str = ""
    tree_id: str | None = None
    tree_name: str
    tree_type: str
    tree_version: int = 1
    status: str
    current_node_id: str | None = None
    current_node: dict[str, Any] | None = None
    outcome: str | None = None
    summary: str = ""
    started_at: str | None = None
    completed_at: str | None = None
    updated_at: str | None = None
    history: list[PathStepView]
    custom_steps: list[CustomStepView]
    steps: list[ChecklistItemView]
    progress: dict[str, int] | None = None


def _content_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("instructions", "content", "text", "title", "description"):
            found = value.get(key)
            if isinstance(found, str) and found:
                return found
        return ""
    return str(value)


def _snapshot_nodes(snapshot: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    items = (snapshot or {}).get("nodes") or (snapshot or {}).get("steps") or []
    return {str(n.get("id")): n for n in items if isinstance(n, dict)}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _path_view(row: SupportSession, nodes: dict[str, dict[str, Any]]) -> list[PathStepView]:
    """The path taken: answered steps, then (completed troubleshooting) the node the session ended on."""
    history: list[PathStepView] = []
    for h in row.history or []:
        if not isinstance(h, dict) or h.get("pending"):
            continue
        node = nodes.get(str(h.get("node_id")), {})
        history.append(
            PathStepView(
                node_id=str(h.get("node_id") or ""),
                title=h.get("title") or node.get("title") or str(h.get("node_id") or ""),
                node_type=node.get("type", ""),
                answer=h.get("answer") or "",
                notes=h.get("notes") or "",
                at=h.get("at") or "",
            )
        )
    seen = {h.node_id for h in history}
    if (
        row.status == "completed"
        and row.tree_type == "troubleshooting"
        and row.current_node_id
        and row.current_node_id not in seen
    ):
        # The node the session ended on (usually a solution) is not an answered step, but it is part of the path.
        node = nodes.get(str(row.current_node_id), {})
        history.append(
            PathStepView(
                node_id=str(row.current_node_id),
                title=node.get("title") or str(row.current_node_id),
                node_type=node.get("type", ""),
                answer="",
                notes="",
                at=_iso(row.completed_at) or "",
            )
        )
    return history


def _custom_view(
    row: SupportSession, session: Session | None, nodes: dict[str, dict[str, Any]]
) -> list[CustomStepView]:
    stored = [dict(c) for c in row.custom_steps or [] if isinstance(c, dict)]
    if session is not None:
        resolve_unattached(session, stored)
    out: list[CustomStepView] = []
    for c in stored:
        after = str(c.get("inserted_after_node_id") or "")
        out.append(
            CustomStepView(
                type=c.get("type") or "action",
                title=c.get("title") or "",
                content=_content_text(c.get("content")),
                notes=c.get("notes") or "",
                source=c.get("source") or "ad-hoc",
                source_step_id=str(c["source_step_id"]) if c.get("source_step_id") else None,
                automation_run_id=str(c["automation_run_id"]) if c.get("automation_run_id") else None,
                inserted_at=c.get("inserted_at") or "",
                inserted_after_node_id=after,
                inserted_after_title=nodes.get(after, {}).get("title", "") if after else "",
            )
        )
    return out


class _LookUp:
    """The default of `read_only_view(user_name=...)`: ask the database (None is a real answer: no such user)."""


_LOOK_UP = _LookUp()


def read_only_view(
    row: SupportSession,
    *,
    session: Session | None = None,
    engineer_name: str = "",
    user_name: str | None | _LookUp = _LOOK_UP,
) -> ReadOnlySessionDTO:
    """The read-only view of a session that share links and share pages show.

    Args:
        row: the session.
        session: when given, resolves the engineer's user name and unattached automation results.
        engineer_name: the name of the engineer who ran it (shown on share pages).
        user_name: the name of the user `row.user_id` when the caller has it already; by default looked up.

    Returns:
        The typed view: flow name/type, engineer, status, outcome, summary, dates, the path taken
        (`history`: title, node type, answer, notes, at), custom steps with their source, and for
        procedures the checklist (`steps` with `done`) and progress.
    """
    nodes = _snapshot_nodes(row.tree_snapshot)
    steps: list[ChecklistItemView] = []
    progress = None
    if row.tree_type != "troubleshooting":
        done = {str(h.get("node_id")) for h in row.history or [] if isinstance(h, dict) and not h.get("pending")}
        steps = [
            ChecklistItemView(
                id=str(st.get("id")), type=st.get("type", ""), title=st.get("title", ""), done=str(st.get("id")) in done
            )
            for st in (row.tree_snapshot or {}).get("steps") or []
            if isinstance(st, dict)
        ]
    if rules.is_procedural(row.tree_type):
        progress = _procedure_view(row)[1]
    current = (
        rules.nodes_by_id(row.tree_type, row.tree_snapshot).get(row.current_node_id) if row.current_node_id else None
    )
    if isinstance(user_name, _LookUp):
        user_name = (
            session.exec(select(User.name).where(User.id == row.user_id)).first() if session is not None else None
        )
    return ReadOnlySessionDTO(
        id=str(row.id),
        user_id=str(row.user_id),
        user_name=user_name,
        engineer_name=engineer_name,
        tree_id=str(row.tree_id) if row.tree_id else None,
        tree_name=row.tree_name,
        tree_type=row.tree_type,
        tree_version=row.tree_version,
        status=row.status,
        current_node_id=row.current_node_id,
        current_node=current,
        outcome=row.outcome,
        summary=row.summary or "",
        started_at=_iso(row.started_at),
        completed_at=_iso(row.completed_at),
        updated_at=_iso(row.updated_at),
        history=_path_view(row, nodes),
        custom_steps=_custom_view(row, session, nodes),
        steps=steps,
        progress=progress,
    )


# --- loading with permissions ---------------------------------------------------------------


def _readable(session: Session, actor: User, session_id: Any) -> SupportSession:
    row = session.get(SupportSession, parse_id(session_id, NOT_FOUND))
    if row is None or row.account_id != actor.account_id:
        raise NotFound(NOT_FOUND)
    return row


def _lock(session: Session, row: SupportSession) -> SupportSession:
    """Take the row's write lock (a no-op UPDATE) and re-read it, so concurrent changes never lose data."""
    table = table_of(SupportSession)
    session.execute(table.update().where(table.c.id == row.id).values(updated_at=utcnow()))
    session.refresh(row)
    return row


def _writable(session: Session, actor: User, session_id: Any, *, allow_completed: bool = False) -> SupportSession:
    row = _readable(session, actor, session_id)
    if row.user_id != actor.id:
        raise Forbidden(NOT_YOURS)
    row = _lock(session, row)
    if not allow_completed and row.status == "completed":
        raise Conflict(COMPLETED)
    return row


def _save(session: Session, actor: User, row: SupportSession, **values: Any) -> SessionDTO:
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return to_dto(session, actor, row)


def readable_row(*, session: Session, actor: User, session_id: Any) -> SupportSession:
    """The session row, when the actor's account owns it (NotFound otherwise)."""
    return _readable(session, actor, session_id)


def writable_row(*, session: Session, actor: User, session_id: Any, allow_completed: bool = False) -> SupportSession:
    """The session row locked for a change by the engineer who runs it (Forbidden/Conflict otherwise)."""
    return _writable(session, actor, session_id, allow_completed=allow_completed)


def save_row(*, session: Session, actor: User, row: SupportSession, **values: Any) -> SessionDTO:
    """Store changed fields of a row from `writable_row` and answer the session."""
    return _save(session, actor, row, **values)


# --- use cases ----------------------------------------------------------------------------


def start_session(*, session: Session, actor: User, tree_id: Any) -> SessionDTO:
    """Start a session on a visible, published, active flow (its structure is snapshotted).

    Raises:
        NotFound: no such flow, or the actor may not see it.
        Conflict: the flow is a draft or inactive.
    """
    tid = parse_id(tree_id, "Flow not found.")
    tree = session.exec(select(Tree).where(Tree.id == tid, visible_trees(actor))).first()
    if tree is None:
        raise NotFound("Flow not found.")
    if tree.status != "published" or not tree.is_active:
        raise Conflict("Only published, active flows can be run as a session.")
    structure = dict(tree.tree_structure or {})
    row = SupportSession(
        account_id=actor.account_id,
        user_id=actor.id,
        tree_id=tree.id,
        tree_name=tree.name,
        tree_type=tree.tree_type,
        tree_version=tree.version,
        tree_snapshot=structure,
        status="in_progress",
        current_node_id=rules.start_node_id(tree.tree_type, structure),
        history=[],
        custom_steps=[],
    )
    session.add(row)
    session.flush()
    return to_dto(session, actor, row)


def _as_dt(value: Any, label: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(str(value))
        # Normalise to UTC here: an out-of-range instant (year 1 / 9999 with an offset) is bad input, not a 500.
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidInput(f"{label} must be an ISO date or date-time.") from None


def list_sessions(
    *,
    session: Session,
    actor: User,
    scope: str = "mine",
    q: str | None = None,
    tree_id: Any = None,
    outcome: str | None = None,
    status: str | None = None,
    date_from: Any = None,
    date_to: Any = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[SessionDTO], int]:
    """Sessions of the actor ("mine") or of the actor's whole account ("account"), newest first."""
    if scope not in ("mine", "account"):
        raise InvalidInput("scope must be 'mine' or 'account'.")
    conds: list[Any] = [SupportSession.account_id == actor.account_id]
    if scope == "mine":
        conds.append(SupportSession.user_id == actor.id)
    if q and q.strip():
        # Case-insensitive match on the flow name and the summary (sessions are few per account).
        pattern = "%" + q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conds.append(
            sa.or_(
                sa.func.lower(SupportSession.tree_name).like(pattern, escape="\\"),
                sa.func.lower(sa.func.coalesce(SupportSession.summary, "")).like(pattern, escape="\\"),
            )
        )
    if tree_id:
        try:
            conds.append(
                SupportSession.tree_id == (tree_id if isinstance(tree_id, uuid.UUID) else uuid.UUID(str(tree_id)))
            )
        except ValueError:
            raise InvalidInput("tree_id is not a valid id.") from None
    if outcome:
        if outcome not in OUTCOMES:
            raise InvalidInput(f"outcome must be one of: {', '.join(OUTCOMES)}.")
        conds.append(SupportSession.outcome == outcome)
    if status:
        if status not in ("in_progress", "completed"):
            raise InvalidInput("status must be in_progress or completed.")
        conds.append(SupportSession.status == status)
    start, end = _as_dt(date_from, "date_from"), _as_dt(date_to, "date_to")
    if start is not None:
        conds.append(SupportSession.started_at >= start)
    if end is not None:
        if len(str(date_to)) <= 10:  # a plain date includes that whole day
            from datetime import timedelta  # noqa: PLC0415

            with contextlib.suppress(OverflowError):  # 9999-12-31: the whole day is "no upper bound"
                conds.append(SupportSession.started_at < end + timedelta(days=1))
        else:
            conds.append(SupportSession.started_at <= end)
    total = session.exec(select(sa.func.count()).select_from(SupportSession).where(*conds)).one()
    rows = session.exec(
        select(SupportSession)
        .where(*conds)
        .order_by(col(SupportSession.started_at).desc(), col(SupportSession.id))
        .limit(limit)
        .offset(offset)
    ).all()
    return [to_dto(session, actor, r) for r in rows], int(total)


def get_session(*, session: Session, actor: User, session_id: Any) -> SessionDTO:
    """A session of the actor's account (NotFound otherwise)."""
    return to_dto(session, actor, _readable(session, actor, session_id))


def _pop_pending(history: list[dict[str, Any]], node_id: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    notes = None
    kept = []
    for h in history:
        if h.get("pending"):
            if node_id is not None and str(h.get("node_id")) == str(node_id):
                notes = h.get("notes")
            continue
        kept.append(h)
    return kept, notes


def advance(
    *, session: Session, actor: User, session_id: Any, node_id: str, answer: str | None = None, notes: str | None = None
) -> SessionDTO:
    """Answer the current node (troubleshooting) or tick a step (procedures).

    Raises:
        Forbidden / NotFound: not the starter / not in the account.
        Conflict: completed session, not the current node, or a solution reached.
        InvalidInput: unknown answer or step.
    """
    row = _writable(session, actor, session_id)
    now = utcnow()
    nodes = rules.nodes_by_id(row.tree_type, row.tree_snapshot)
    history, pending_notes = _pop_pending(list(row.history or []), node_id)
    notes = notes if notes not in (None, "") else pending_notes
    if rules.is_procedural(row.tree_type):
        node = nodes.get(str(node_id))
        if node is None or node.get("type") != rules.TICKABLE:
            raise InvalidInput("That is not a step of this procedure that can be ticked.")
        ticked = rules.ticked_ids(history)
        if str(node_id) in ticked:
            if notes:
                for h in history:
                    if str(h["node_id"]) == str(node_id):
                        h["notes"] = notes
            return _save(session, actor, row, history=history)
        history.append(rules.history_entry(node, str(node_id), answer or "done", notes, now))
        ticked.add(str(node_id))
        return _save(
            session, actor, row, history=history, current_node_id=rules.first_unticked(row.tree_snapshot, ticked)
        )
    label, nxt = rules.next_troubleshooting_node(row.tree_snapshot, row.current_node_id, str(node_id), answer)
    history.append(rules.history_entry(nodes.get(str(node_id)), str(node_id), label, notes, now))
    return _save(session, actor, row, history=history, current_node_id=nxt)


def back(*, session: Session, actor: User, session_id: Any, to_node_id: str | None = None) -> SessionDTO:
    """Undo the last answer / tick, or jump back to an earlier node of the path."""
    row = _writable(session, actor, session_id)
    history, _ = _pop_pending(list(row.history or []))
    shortened, target = rules.back_target(history, to_node_id)
    if rules.is_procedural(row.tree_type):
        return _save(
            session,
            actor,
            row,
            history=shortened,
            current_node_id=rules.first_unticked(row.tree_snapshot, rules.ticked_ids(shortened)),
        )
    return _save(session, actor, row, history=shortened, current_node_id=target)


def set_notes(*, session: Session, actor: User, session_id: Any, node_id: str, notes: str | None) -> SessionDTO:
    """Notes on a node of the path (or on the current node, kept until it is answered)."""
    row = _writable(session, actor, session_id, allow_completed=True)
    notes = (notes or "").strip() or None
    if notes and len(notes) > 10000:
        raise InvalidInput("Notes must be at most 10,000 characters.")
    history = [dict(h) for h in row.history or []]
    for h in reversed(history):
        if not h.get("pending") and str(h.get("node_id")) == str(node_id):
            h["notes"] = notes
            return _save(session, actor, row, history=history)
    if row.current_node_id is not None and str(node_id) == str(row.current_node_id) and row.status != "completed":
        history = [h for h in history if not (h.get("pending") and str(h.get("node_id")) == str(node_id))]
        history.append({"node_id": str(node_id), "pending": True, "notes": notes})
        return _save(session, actor, row, history=history)
    raise InvalidInput("Notes can only be added to the current step or a step already on the path.")


def add_custom_step(
    *,
    session: Session,
    actor: User,
    session_id: Any,
    type: str,  # noqa: A002
    content: str | None = None,
    notes: str | None = None,
    source: str = "ad-hoc",
    source_step_id: Any = None,
    inserted_after_node_id: str | None = None,
) -> SessionDTO:
    """Insert an ad-hoc or library step mid-session (seed Part 2 enhanced structure).

    A library step also writes a `step_usage_log` row and bumps `usage_count` with an atomic
    UPDATE, in the same transaction as the session change.

    Raises:
        InvalidInput: bad type/source/content; NotFound: unknown or invisible library step;
        Conflict: the library step was deleted, or the session is completed.
    """
    if type not in rules.CUSTOM_STEP_TYPES:
        raise InvalidInput(f"type must be one of: {', '.join(rules.CUSTOM_STEP_TYPES)}.")
    if source not in ("ad-hoc", "step-library"):
        raise InvalidInput("source must be 'ad-hoc' or 'step-library'.")
    if notes is not None and len(str(notes)) > 10000:
        raise InvalidInput("Notes must be at most 10,000 characters.")
    row = _readable(session, actor, session_id)
    if row.user_id != actor.id:
        raise Forbidden(NOT_YOURS)
    if row.status == "completed":
        raise Conflict(COMPLETED)
    entry: dict[str, Any] = {"type": type, "notes": (notes or None), "source": source, "source_step_id": None}
    lib: LibraryStep | None = None
    if source == "step-library":
        if not source_step_id:
            raise InvalidInput("source_step_id is required for a library step.")
        lib = session.get(LibraryStep, parse_id(source_step_id, "Library step not found."))
        if lib is None or not can_see_step(
            viewer_of(actor),
            visibility=lib.visibility,
            account_id=str(lib.account_id),
            created_by=str(lib.created_by) if lib.created_by else None,
        ):
            raise NotFound("Library step not found.")
        if not lib.is_active:
            raise Conflict("This library step is no longer available.")
        body = content_dict(lib.content or {})
        text = (content or "").strip() or body.get("instructions") or lib.title
        entry.update(content=text, title=lib.title, source_step_id=str(lib.id), commands=body.get("commands") or [])
        if body.get("help_text"):
            entry["help_text"] = body["help_text"]
    else:
        if source_step_id:
            raise InvalidInput("source_step_id is only for library steps.")
        text = str(content or "").strip()
        if not text:
            raise InvalidInput("Content is required for an ad-hoc step.")
        if len(text) > 10000:
            raise InvalidInput("Content must be at most 10,000 characters.")
        entry["content"] = text
    if lib is not None:
        # Write first: the usage counter and the session row are locked in this transaction.
        record_usage_increment(session, lib.id)
    row = _lock(session, row)
    if row.status == "completed":
        raise Conflict(COMPLETED)
    anchor = inserted_after_node_id if inserted_after_node_id not in (None, "") else row.current_node_id
    if anchor is None and row.history:
        real = [h for h in row.history if not h.get("pending")]
        anchor = real[-1]["node_id"] if real else None
    if anchor is not None and str(anchor) not in rules.nodes_by_id(row.tree_type, row.tree_snapshot):
        raise InvalidInput("inserted_after_node_id is not a node of this flow.")
    entry["inserted_at"] = utcnow().isoformat()
    entry["inserted_after_node_id"] = str(anchor) if anchor is not None else None
    if lib is not None:
        session.add(StepUsageLog(step_id=lib.id, user_id=actor.id, session_id=row.id))
    steps = list(row.custom_steps or [])
    steps.append(entry)
    return _save(session, actor, row, custom_steps=steps)


def complete_session(
    *, session: Session, actor: User, session_id: Any, outcome: str, summary: str | None = None
) -> SessionDTO:
    """Finish with an outcome (resolved / escalated / abandoned) and an optional summary."""
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome must be one of: {', '.join(OUTCOMES)}.")
    if summary is not None and len(summary) > 20000:
        raise InvalidInput("Summary must be at most 20,000 characters.")
    row = _writable(session, actor, session_id)
    history, _ = _pop_pending(list(row.history or []))
    return _save(
        session,
        actor,
        row,
        status="completed",
        outcome=outcome,
        summary=(summary or "").strip() or None,
        completed_at=utcnow(),
        history=history,
    )


def save_as_flow(*, session: Session, actor: User, session_id: Any) -> Any:
    """A new draft flow from a session (usually completed): the path taken plus custom steps after their anchors.

    Returns:
        The new flow's TreeDTO (services.trees.create_tree).

    Raises:
        NotFound: not in the actor's account. Forbidden: not the starter (or may not create flows).
    """
    row = _readable(session, actor, session_id)
    if row.user_id != actor.id:
        raise Forbidden(NOT_YOURS)
    # API.md sets no precondition: an unfinished session saves the path so far (ending at its current node).
    structure = rules.build_flow_from_session(
        row.tree_type,
        row.tree_snapshot or {},
        list(row.history or []),
        row.current_node_id,
        list(row.custom_steps or []),
    )
    from resolutionflow_app.services import (  # noqa: PLC0415
        trees as trees_service,  # built by the flows area
    )

    when = (row.completed_at or row.started_at).strftime("%Y-%m-%d")
    description = (
        f"Saved from a session on {when}"
        + (f" ({row.outcome})" if row.outcome else "")
        + (f": {row.summary}" if row.summary else ".")
    )
    return trees_service.create_tree(
        session=session,
        actor=actor,
        name=f"{row.tree_name} (from session {when})"[:200],
        tree_type=row.tree_type,
        tree_structure=structure,
        description=description,
    )


def delete_session(*, session: Session, actor: User, session_id: Any) -> None:
    """Delete a session the actor started; its share links (and their views) go with it."""
    row = _readable(session, actor, session_id)
    if row.user_id != actor.id:
        raise Forbidden(NOT_YOURS)
    session.execute(sa.delete(SessionShare).where(col(SessionShare.session_id) == row.id))
    session.delete(row)
    session.flush()
