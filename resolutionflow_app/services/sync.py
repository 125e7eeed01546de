"""Sync, server side: pull (published flows + visible steps), idempotent session push, signed bundles."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, col, select

from resolutionflow_app.db.models import (
    LibraryStep,
    StepUsageLog,
    SupportSession,
    SyncReceipt,
    Tree,
    TreeVersion,
    User,
)
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.domain import session_rules
from resolutionflow_app.domain import sync_rules as rules
from resolutionflow_app.domain.errors import InvalidInput
from resolutionflow_app.domain.tree_schema import StructureError, check_structure
from resolutionflow_app.domain.visibility import can_see_step
from resolutionflow_app.services.library import record_usage_increment
from resolutionflow_app.services.visibility import viewer_of, visible_steps
from resolutionflow_app.settings import get_settings

# How many visible library steps one pull carries at most (the newest first; `steps_truncated` says so).
MAX_PULL_STEPS = 5000
# How many sessions one push may carry (clients send larger sets in batches).
MAX_PUSH_SESSIONS = 100
# A desktop signs in once: its sync token lives this long (revoked by logout or a password change).
SYNC_TOKEN_TTL_DAYS = 90


class HistoryItem(BaseModel):
    """One answered node / ticked step of a pushed session, with its notes."""

    model_config = ConfigDict(extra="ignore")

    node_id: str = Field(max_length=255)
    title: str | None = Field(default=None, max_length=500)
    answer: str | None = Field(default=None, max_length=500)
    notes: str | None = Field(default=None, max_length=10000)
    at: str | None = Field(default=None, max_length=64)
    pending: bool | None = None


class CustomStepItem(BaseModel):
    """One custom step of a pushed session (the seed's enhanced structure)."""

    model_config = ConfigDict(extra="ignore")

    type: str = Field(default="action", max_length=20)
    content: str = Field(default="", max_length=10000)
    title: str | None = Field(default=None, max_length=255)
    notes: str | None = Field(default=None, max_length=10000)
    help_text: str | None = Field(default=None, max_length=10000)
    commands: list[Any] | None = Field(default=None, max_length=50)
    source: str = Field(default="ad-hoc", max_length=20)
    source_step_id: str | None = Field(default=None, max_length=64)
    inserted_at: str | None = Field(default=None, max_length=64)
    inserted_after_node_id: str | None = Field(default=None, max_length=255)


class SessionItem(BaseModel):
    """A session run offline, as the desktop pushes it: its id is the desktop's (a UUID)."""

    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    flow_id: uuid.UUID | None = None
    flow_version: int = Field(ge=1)
    tree_name: str = Field(default="", max_length=200)
    tree_type: str = Field(default="troubleshooting", max_length=20)
    tree_snapshot: dict[str, Any] = Field(default_factory=dict)
    status: str = Field(default="in_progress", pattern="^(in_progress|completed)$")
    current_node_id: str | None = Field(default=None, max_length=255)
    history: list[HistoryItem] = Field(default_factory=list, max_length=5000)
    custom_steps: list[CustomStepItem] = Field(default_factory=list, max_length=1000)
    outcome: str | None = Field(default=None, pattern="^(resolved|escalated|abandoned)$")
    summary: str | None = Field(default=None, max_length=20000)
    started_at: datetime
    completed_at: datetime | None = None
    # Set only when the user chose "push anyway" for a conflict: store it on the copy it ran on.
    accept_flow_change: bool = False

    def content(self) -> dict[str, Any]:
        """The part that identifies this state of the session (its fingerprint's input)."""
        return self.model_dump(mode="json", exclude={"accept_flow_change"})


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- pull -------------------------------------------------------------------------------------


def pull(*, session: Session, actor: User) -> dict[str, Any]:
    """Everything a desktop takes offline for `actor`.

    Returns:
        {server_time, user: {id, email, name, account_id}, flows: [{id, name, description, tree_type,
        tree_structure, version, updated_at}], steps: [{id, title, step_type, content, visibility,
        is_flow_synced, source_tree_id, source_node_id, version, updated_at}], steps_truncated,
        receipts: [{id, fingerprint}]} — flows are the account's published, active ones; steps are the
        active library steps the actor may see; receipts are the actor's pushed sessions as stored.
    """
    trees = session.exec(
        select(Tree)
        .where(col(Tree.account_id) == actor.account_id, col(Tree.status) == "published", col(Tree.is_active).is_(True))
        .order_by(col(Tree.name), col(Tree.id))
    ).all()
    steps = session.exec(
        select(LibraryStep)
        .where(visible_steps(actor), col(LibraryStep.is_active).is_(True))
        .order_by(col(LibraryStep.updated_at).desc(), col(LibraryStep.id))
        .limit(MAX_PULL_STEPS + 1)
    ).all()
    receipts = session.exec(
        select(SyncReceipt).where(SyncReceipt.user_id == actor.id, SyncReceipt.kind == "session")
    ).all()
    return {
        "server_time": utcnow().isoformat(),
        "user": {"id": str(actor.id), "email": actor.email, "name": actor.name, "account_id": str(actor.account_id)},
        "flows": [
            {
                "id": str(t.id),
                "name": t.name,
                "description": t.description,
                "tree_type": t.tree_type,
                "tree_structure": t.tree_structure or {},
                "version": t.version,
                "updated_at": _iso(t.updated_at),
            }
            for t in trees
        ],
        "steps": [
            {
                "id": str(s.id),
                "title": s.title,
                "step_type": s.step_type,
                "content": s.content or {},
                "visibility": s.visibility,
                "is_flow_synced": s.is_flow_synced,
                "source_tree_id": str(s.source_tree_id) if s.source_tree_id else None,
                "source_node_id": s.source_node_id,
                "version": rules.fingerprint([s.title, s.step_type, s.content, s.visibility]),
                "updated_at": _iso(s.updated_at),
            }
            for s in steps[:MAX_PULL_STEPS]
        ],
        "steps_truncated": len(steps) > MAX_PULL_STEPS,
        "receipts": [{"id": str(r.item_id), "fingerprint": r.fingerprint} for r in receipts],
    }


# --- push -------------------------------------------------------------------------------------


def _usage_keys(steps: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {
        (str(s.get("source_step_id")), str(s.get("inserted_at")))
        for s in steps
        if s.get("source") == "step-library" and s.get("source_step_id")
    }


def _parse_time(value: Any) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return utcnow()


def _record_usage(
    session: Session, actor: User, row: SupportSession, steps: list[dict[str, Any]], before: set[tuple[str, str]]
) -> int:
    """Usage counts + usage log for library steps inserted offline (each insertion once, ever)."""
    recorded = 0
    for step in steps:
        key = (str(step.get("source_step_id")), str(step.get("inserted_at")))
        if step.get("source") != "step-library" or not step.get("source_step_id") or key in before:
            continue
        try:
            lib = session.get(LibraryStep, uuid.UUID(str(step["source_step_id"])))
        except ValueError:
            continue
        if (
            lib is None
            or not lib.is_active
            or not can_see_step(
                viewer_of(actor),
                visibility=lib.visibility,
                account_id=str(lib.account_id),
                created_by=str(lib.created_by) if lib.created_by else None,
            )
        ):
            continue  # the step stays in the session; a step the server does not know counts nothing
        record_usage_increment(session, lib.id)
        session.add(
            StepUsageLog(
                step_id=lib.id, user_id=actor.id, session_id=row.id, used_at=_parse_time(step.get("inserted_at"))
            )
        )
        before.add(key)
        recorded += 1
    return recorded


def _result(item_id: Any, status: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "session", "id": str(item_id), "status": status, "message": message, **extra}


def _push_session(session: Session, actor: User, item: SessionItem) -> dict[str, Any]:
    fp = rules.fingerprint(item.content())
    receipt = session.exec(
        select(SyncReceipt).where(SyncReceipt.kind == "session", SyncReceipt.item_id == item.id)
    ).first()
    existing = session.get(SupportSession, item.id)
    if (existing is not None and existing.user_id != actor.id) or (receipt is not None and receipt.user_id != actor.id):
        return _result(
            item.id, "rejected", "This session id is already used on the server by someone else; it was not stored."
        )
    if existing is not None and receipt is None:
        return _result(
            item.id, "rejected", "A session with this id was started on the server itself; it was not overwritten."
        )
    if existing is not None and receipt is not None and receipt.fingerprint == fp:
        return _result(item.id, "unchanged", "Already on the server; nothing changed.", fingerprint=fp)
    if (
        existing is not None
        and receipt is not None
        and (existing.status == "completed" or existing.updated_at > receipt.updated_at)
    ):
        # Someone continued it on the server after the last push (or completed it there): never overwritten.
        return _result(
            item.id,
            "conflict",
            "This session was changed on the server after the last push; the desktop's copy was not stored over it.",
            reason=rules.SESSION_CHANGED_ON_SERVER,
            fingerprint=fp,
            server_version=None,
            pulled_version=item.flow_version,
            changes={},
            differences=[],
        )
    if item.tree_type not in ("troubleshooting", "procedural", "maintenance"):
        return _result(item.id, "rejected", "tree_type must be troubleshooting, procedural or maintenance.")
    try:
        snapshot = check_structure(item.tree_type, item.tree_snapshot)
    except StructureError as exc:
        return _result(item.id, "rejected", f"The session's copy of the flow is not a valid flow structure: {exc}")
    except (TypeError, ValueError):
        return _result(item.id, "rejected", "The session's copy of the flow must contain only JSON values.")
    tree = session.get(Tree, item.flow_id) if item.flow_id else None
    if tree is not None and (tree.account_id != actor.account_id or not tree.is_active):
        tree = None
    at_version = None
    if tree is not None:
        at_version = session.exec(
            select(TreeVersion).where(TreeVersion.tree_id == tree.id, TreeVersion.version == item.flow_version)
        ).first()
    structure = (
        dict(at_version.tree_structure)
        if at_version is not None
        else (dict(tree.tree_structure or {}) if tree is not None and tree.version == item.flow_version else None)
    )
    conflict = rules.session_conflict(
        tree_type=item.tree_type,
        pulled_version=item.flow_version,
        server_version=tree.version if tree is not None else None,
        snapshot=snapshot,
        server_structure=structure,
        current_structure=tree.tree_structure if tree is not None else None,
    )
    if conflict is not None and not item.accept_flow_change:
        return _result(
            item.id,
            "conflict",
            conflict.pop("message"),
            fingerprint=fp,
            flow_id=str(item.flow_id) if item.flow_id else None,
            **conflict,
        )
    custom_steps = session_rules.load_custom_steps([s.model_dump(exclude_none=True) for s in item.custom_steps])
    history = [h.model_dump(exclude_none=True) for h in item.history]
    values = {
        "tree_id": tree.id if tree is not None else None,
        "tree_name": (tree.name if tree is not None else item.tree_name) or "Flow",
        "tree_type": item.tree_type,
        "tree_version": item.flow_version,
        "tree_snapshot": snapshot,
        "status": item.status,
        "current_node_id": item.current_node_id,
        "history": history,
        "custom_steps": custom_steps,
        "outcome": item.outcome if item.status == "completed" else None,
        "summary": (item.summary or "").strip() or None,
        "started_at": item.started_at,
        "completed_at": item.completed_at if item.status == "completed" else None,
        "updated_at": utcnow(),
    }
    if item.status == "completed" and not item.outcome:
        return _result(item.id, "rejected", "A completed session needs an outcome (resolved, escalated or abandoned).")
    created = existing is None
    before = set() if existing is None else _usage_keys(session_rules.load_custom_steps(existing.custom_steps))
    row = existing or SupportSession(id=item.id, account_id=actor.account_id, user_id=actor.id)
    now = utcnow()
    values["updated_at"] = now
    for key, value in values.items():
        setattr(row, key, value)
    session.add(row)
    session.flush()
    usage = _record_usage(session, actor, row, custom_steps, before)
    # The receipt carries the row's own write time: a later write on the server shows as a newer updated_at.
    if receipt is None:
        session.add(
            SyncReceipt(
                account_id=actor.account_id,
                user_id=actor.id,
                kind="session",
                item_id=item.id,
                fingerprint=fp,
                updated_at=now,
            )
        )
    else:
        receipt.fingerprint, receipt.updated_at = fp, now
        session.add(receipt)
    session.flush()
    word = "Stored" if created else "Updated"
    extra = " (kept on its own copy of the flow, as you chose)" if conflict is not None else ""
    return _result(
        item.id,
        "created" if created else "updated",
        f"{word} on the server{extra}.",
        fingerprint=fp,
        usage_recorded=usage,
    )


def push(*, session: Session, actor: User, sessions: list[Any]) -> dict[str, Any]:
    """Store sessions run offline; idempotent by session id and content fingerprint.

    A session already stored with the same content answers "unchanged" and writes nothing; one whose
    flow changed on the server since the pull (or whose copy of the flow differs) answers "conflict"
    with what differs, and is stored only when pushed again with `accept_flow_change`. Library steps
    inserted offline count their usage (usage_count + usage log) once per insertion.

    Args:
        sessions: session items (dicts or `SessionItem`), at most MAX_PUSH_SESSIONS.

    Returns:
        {items: [{kind, id, status: created/updated/unchanged/conflict/rejected, message, ...}],
        counts: {status: n}}.

    Raises:
        InvalidInput: too many items, or an item that is not a session (names the item).
    """
    if len(sessions) > MAX_PUSH_SESSIONS:
        raise InvalidInput(f"Push at most {MAX_PUSH_SESSIONS} sessions at once (send the rest in another push).")
    items: list[SessionItem] = []
    for n, raw in enumerate(sessions, start=1):
        try:
            items.append(raw if isinstance(raw, SessionItem) else SessionItem.model_validate(raw))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            raise InvalidInput(f"Session {n} of the push is not valid: {where}: {first.get('msg')}.") from None
    if len({i.id for i in items}) != len(items):
        raise InvalidInput("The same session id appears twice in one push.")
    results = [_push_session(session, actor, item) for item in items]
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"items": results, "counts": counts}


def issue_sync_token(*, session: Session, actor: User) -> dict[str, Any]:
    """A long-lived bearer token for one desktop, so it signs in once (not every RF_TOKEN_TTL_HOURS).

    Returns:
        {access_token, token_type: "bearer", expires_in_days}.
    """
    from resolutionflow_app.services.auth import issue_token  # noqa: PLC0415

    token = issue_token(session=session, user=actor, ttl_hours=SYNC_TOKEN_TTL_DAYS * 24)
    return {"access_token": token, "token_type": "bearer", "expires_in_days": SYNC_TOKEN_TTL_DAYS}


# --- bundles ---------------------------------------------------------------------------------


def bundle_key(*, session: Session, actor: User) -> str:
    """The actor's bundle key on this installation (shown to them; a desktop stores it at sign-in)."""
    return rules.derive_bundle_key(get_settings().secret_key, str(actor.id))


def export_pull_bundle(*, session: Session, actor: User) -> bytes:
    """A signed bundle of what `pull` answers, for a desktop without a network path to this server."""
    payload = pull(session=session, actor=actor)
    return rules.sign_bundle(
        "pull",
        payload,
        key=bundle_key(session=session, actor=actor),
        created_at=utcnow().isoformat(),
        origin=get_settings().public_base_url,
    )


def import_push_bundle(*, session: Session, actor: User, data: bytes) -> dict[str, Any]:
    """Verify a desktop's signed push bundle with the actor's key and apply it like `push`.

    Raises:
        InvalidInput: not a bundle, tampered or signed with another key (nothing applied), or a pull bundle.
    """
    kind, payload = rules.open_bundle(data, key=bundle_key(session=session, actor=actor))
    if kind != "push":
        raise InvalidInput("This is a pull bundle (flows and steps for a desktop); import it on the desktop.")
    sessions = payload.get("sessions")
    if not isinstance(sessions, list):
        raise InvalidInput("This push bundle carries no session list.")
    results: dict[str, Any] = {"items": [], "counts": {}}
    for start in range(0, len(sessions), MAX_PUSH_SESSIONS):
        part = push(session=session, actor=actor, sessions=sessions[start : start + MAX_PUSH_SESSIONS])
        results["items"] += part["items"]
        for k, v in part["counts"].items():
            results["counts"][k] = results["counts"].get(k, 0) + v
    return results
