"""Sync, desktop side: sign in to a team server once, pull flows and steps, push offline sessions, bundles."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from resolutionflow_app.db.models import (
    LibraryStep,
    SupportSession,
    SyncConnection,
    SyncItem,
    Tree,
    TreeVersion,
    User,
)
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.domain import flow_diff
from resolutionflow_app.domain import sync_rules as rules
from resolutionflow_app.domain.errors import Conflict, InvalidInput, NotFound, Unavailable
from resolutionflow_app.integrations.sync_http import SyncServer, SyncServerError, api_base
from resolutionflow_app.services import secrets_box
from resolutionflow_app.services import sync as server_side
from resolutionflow_app.services.dto import DTO

NOT_CONNECTED = "Sign in to a team server first (Account → Sync)."
NO_KEY = "No bundle key is set: sign in to the server once, or paste the bundle key it shows."


class ConflictDTO(DTO):
    """A conflict the last pull or push found, with what differs."""

    id: uuid.UUID
    kind: str
    item_id: uuid.UUID
    title: str
    reason: str = ""
    message: str = ""
    pulled_version: int | None = None
    server_version: int | None = None
    changes: dict[str, int] = {}
    differences: list[dict[str, Any]] = []
    updated_at: datetime


class SyncStatusDTO(DTO):
    """The sync page's summary of the connection."""

    server_url: str = ""
    remote_email: str | None = None
    signed_in: bool = False
    has_bundle_key: bool = False
    last_pull_at: datetime | None = None
    last_push_at: datetime | None = None
    flows: int = 0
    steps: int = 0
    sessions_pushed: int = 0
    sessions_pending: int = 0
    conflicts: list[ConflictDTO] = []
    rejected: list[ConflictDTO] = []


class SyncRunDTO(DTO):
    """What one pull, push or bundle import did."""

    action: str
    counts: dict[str, int]
    message: str
    items: list[dict[str, Any]] = []


# --- the connection ---------------------------------------------------------------------------


def _connection(session: Session, actor: User) -> SyncConnection | None:
    return session.exec(select(SyncConnection).where(SyncConnection.user_id == actor.id)).first()


def _signed_in(conn: SyncConnection | None) -> tuple[SyncConnection, str]:
    """The connection and its decrypted sync token, or Conflict when not signed in to a server."""
    if conn is None or not conn.token_encrypted or not conn.server_url:
        raise Conflict(NOT_CONNECTED)
    return conn, secrets_box.decrypt_str(conn.token_encrypted)


def _server(conn: SyncConnection, server: Any) -> Any:
    return server if server is not None else SyncServer(conn.server_url)


def _remote(call: Any, *args: Any) -> Any:
    """Run one server call; its refusals become sentences (never a local 'logged out')."""
    try:
        return call(*args)
    except SyncServerError as exc:
        if exc.status == 401:
            raise InvalidInput(f"The server refused the sign-in: {exc.message} Sign in to the server again.") from None
        if exc.status in (0, 502, 503, 504):
            raise Unavailable(exc.message) from None
        raise InvalidInput(f"The server answered: {exc.message}") from None


def sign_in(
    *, session: Session, actor: User, server_url: str, email: str, password: str, server: Any = None
) -> SyncStatusDTO:
    """Sign in to a team server once: keeps its URL, the token and the bundle key (encrypted at rest).

    Args:
        server_url: the server's address ("https://rf.example.com" or its /api/v1).
        email, password: the user's login on that server (the password is not stored).
        server: a `SyncServer`-like client (tests); built from `server_url` when omitted.

    Raises:
        InvalidInput: a bad URL or refused credentials. Unavailable: the server cannot be reached.
    """
    url = (server_url or "").strip().rstrip("/")
    try:
        api_base(url)
    except SyncServerError as exc:
        raise InvalidInput(exc.message) from None
    if not email or not password:
        raise InvalidInput("Enter the email and password of your account on the server.")
    remote = server if server is not None else SyncServer(url)
    login_token = _remote(remote.login, email.strip(), password)
    token = _remote(remote.sync_token, login_token)  # long-lived: the desktop signs in once
    _forget_remote_token(remote, login_token)
    key = _remote(remote.bundle_key, token)
    conn = _connection(session, actor)
    if conn is None:
        conn = SyncConnection(account_id=actor.account_id, user_id=actor.id)
    elif conn.server_url and api_base(conn.server_url) != api_base(url):
        # Another server: what was pulled from or pushed to the old one says nothing about this one.
        for item in session.exec(select(SyncItem).where(SyncItem.connection_id == conn.id)).all():
            session.delete(item)
        conn.last_pull_at = conn.last_push_at = None
    conn.server_url, conn.remote_email = url, email.strip().lower()
    conn.token_encrypted, conn.bundle_key_encrypted = secrets_box.encrypt_str(token), secrets_box.encrypt_str(key)
    conn.updated_at = utcnow()
    session.add(conn)
    session.flush()
    return status(session=session, actor=actor)


def _forget_remote_token(remote: Any, token: str) -> bool:
    """Revoke a token on the server, best effort (an unreachable server keeps it until it expires)."""
    try:
        remote.logout(token)
        return True
    except SyncServerError:
        return False


def sign_out(*, session: Session, actor: User, server: Any = None) -> SyncStatusDTO:
    """Revoke the sync token on the server (when reachable) and forget it here; the URL, bundle key and links stay."""
    conn = _connection(session, actor)
    if conn is not None and conn.token_encrypted:
        _forget_remote_token(_server(conn, server), secrets_box.decrypt_str(conn.token_encrypted))
        conn.token_encrypted, conn.updated_at = None, utcnow()
        session.add(conn)
        session.flush()
    return status(session=session, actor=actor)


def set_bundle_key(*, session: Session, actor: User, bundle_key: str) -> SyncStatusDTO:
    """Store the bundle key the server shows, for bundle files when there is no network at all."""
    key = (bundle_key or "").strip()
    if not 20 <= len(key) <= 200:
        raise InvalidInput("Paste the whole bundle key the server shows on its Sync page (43 characters).")
    conn = _connection(session, actor) or SyncConnection(account_id=actor.account_id, user_id=actor.id)
    conn.bundle_key_encrypted, conn.updated_at = secrets_box.encrypt_str(key), utcnow()
    session.add(conn)
    session.flush()
    return status(session=session, actor=actor)


# --- status -----------------------------------------------------------------------------------


def _items(session: Session, conn: SyncConnection, kind: str | None = None) -> list[SyncItem]:
    conds = [SyncItem.connection_id == conn.id]
    if kind:
        conds.append(SyncItem.kind == kind)
    return list(session.exec(select(SyncItem).where(*conds)).all())


def _title(session: Session, item: SyncItem) -> str:
    if item.kind == "flow":
        tree = session.get(Tree, item.item_id)
        return f"Flow “{tree.name}”" if tree else "A flow"
    row = session.get(SupportSession, item.item_id)
    if row is None:
        return "A session (deleted here)"
    return f"Session on “{row.tree_name}”, started {row.started_at:%Y-%m-%d %H:%M} UTC"


def _conflict_dto(session: Session, item: SyncItem) -> ConflictDTO:
    d = item.details or {}
    return ConflictDTO(
        id=item.id,
        kind=item.kind,
        item_id=item.item_id,
        title=_title(session, item),
        reason=str(d.get("reason") or ""),
        message=item.message or "",
        pulled_version=d.get("pulled_version"),
        server_version=d.get("server_version"),
        changes=d.get("changes") or {},
        differences=d.get("differences") or [],
        updated_at=item.updated_at,
    )


def status(*, session: Session, actor: User) -> SyncStatusDTO:
    """The connection, counts, last pull/push times and open conflicts of the actor."""
    conn = _connection(session, actor)
    if conn is None:
        return SyncStatusDTO()
    items = _items(session, conn)
    pending = _pending(session, actor, conn, resend_all=False)
    return SyncStatusDTO(
        server_url=conn.server_url,
        remote_email=conn.remote_email,
        signed_in=bool(conn.token_encrypted),
        has_bundle_key=bool(conn.bundle_key_encrypted),
        last_pull_at=conn.last_pull_at,
        last_push_at=conn.last_push_at,
        flows=sum(1 for i in items if i.kind == "flow" and i.status != "rejected"),
        steps=sum(1 for i in items if i.kind == "step"),
        sessions_pushed=sum(1 for i in items if i.kind == "session" and i.status == "pushed"),
        sessions_pending=len(pending),
        conflicts=[_conflict_dto(session, i) for i in items if i.status == "conflict"],
        rejected=[_conflict_dto(session, i) for i in items if i.status == "rejected"],
    )


# --- pull -------------------------------------------------------------------------------------


def _item(session: Session, conn: SyncConnection, kind: str, item_id: uuid.UUID) -> SyncItem:
    found = session.exec(
        select(SyncItem).where(SyncItem.connection_id == conn.id, SyncItem.kind == kind, SyncItem.item_id == item_id)
    ).first()
    return found or SyncItem(connection_id=conn.id, kind=kind, item_id=item_id, status="pulled")


def _mark(
    session: Session,
    item: SyncItem,
    status_: str,
    *,
    message: str | None = None,
    details: dict[str, Any] | None = None,
    **values: Any,
) -> None:
    item.status, item.message, item.details, item.updated_at = status_, message, details, utcnow()
    for key, value in values.items():
        setattr(item, key, value)
    session.add(item)


def _flow_fp(name: str, description: str | None, structure: Any) -> str:
    return rules.fingerprint([name, description or None, structure or {}])


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def _pull_flow(session: Session, actor: User, conn: SyncConnection, f: dict[str, Any], counts: dict[str, int]) -> None:
    fid, version = _uuid(f.get("id")), f.get("version")
    if (
        fid is None
        or not isinstance(version, int)
        or f.get("tree_type") not in ("troubleshooting", "procedural", "maintenance")
    ):
        counts["skipped"] = counts.get("skipped", 0) + 1
        return
    name, description, structure = (
        str(f.get("name") or "Flow")[:200],
        f.get("description"),
        f.get("tree_structure") or {},
    )
    tree, item = session.get(Tree, fid), _item(session, conn, "flow", fid)
    if tree is not None and tree.account_id != actor.account_id:
        _mark(
            session,
            item,
            "rejected",
            message="This flow's id is used by another account on this desktop; it was not pulled.",
        )
        counts["skipped"] = counts.get("skipped", 0) + 1
        return
    if tree is not None:
        decision = rules.flow_pull_decision(
            local_fingerprint=_flow_fp(tree.name, tree.description, tree.tree_structure),
            pulled_fingerprint=item.fingerprint,
            server_fingerprint=_flow_fp(name, description, structure),
            pulled_version=item.remote_version,
            server_version=version,
        )
        if decision == "keep":
            if item.status == "conflict":
                counts["conflicts"] = counts.get("conflicts", 0) + 1
            return
        if decision == "conflict":
            rows = flow_diff.diff_structures(tree.tree_type, structure, tree.tree_structure)
            details = {
                "reason": rules.FLOW_EDITED_ON_BOTH_SIDES,
                "pulled_version": item.remote_version,
                "server_version": version,
                "changes": flow_diff.summarise(rows),
                "differences": [
                    {"title": r["title"], "status": r["status"], "fields": r.get("fields", [])}
                    for r in rows
                    if r["status"] != "same"
                ][:50],
            }
            _mark(
                session,
                item,
                "conflict",
                message=(
                    f"The flow was edited here and on the server (server version {version}); the desktop's copy was "
                    "kept, nothing was overwritten."
                ),
                details=details,
            )
            counts["conflicts"] = counts.get("conflicts", 0) + 1
            return
    now = utcnow()
    if tree is None:
        tree = Tree(
            id=fid,
            account_id=actor.account_id,
            author_id=None,
            name=name,
            tree_type=str(f["tree_type"]),
            created_at=now,
        )
        counts["flows_new"] = counts.get("flows_new", 0) + 1
    else:
        counts["flows_updated"] = counts.get("flows_updated", 0) + 1
    tree.name, tree.description, tree.tree_structure, tree.tree_type = name, description, structure, str(f["tree_type"])
    tree.status, tree.is_active, tree.version, tree.published_at, tree.updated_at = (
        "published",
        True,
        version,
        tree.published_at or now,
        now,
    )
    session.add(tree)
    session.flush()
    snap = session.exec(select(TreeVersion).where(TreeVersion.tree_id == fid, TreeVersion.version == version)).first()
    snap = snap or TreeVersion(tree_id=fid, version=version, name=name)
    snap.name, snap.description, snap.tree_structure, snap.published, snap.label = (
        name,
        description,
        structure,
        True,
        "Pulled from the server",
    )
    session.add(snap)
    _mark(session, item, "pulled", remote_version=version, fingerprint=_flow_fp(name, description, structure))


def _pull_step(session: Session, actor: User, conn: SyncConnection, s: dict[str, Any], counts: dict[str, int]) -> None:
    sid = _uuid(s.get("id"))
    if (
        sid is None
        or s.get("step_type") not in ("action", "solution", "decision")
        or s.get("visibility") not in ("private", "team", "public")
    ):
        counts["skipped"] = counts.get("skipped", 0) + 1
        return
    row, item = session.get(LibraryStep, sid), _item(session, conn, "step", sid)
    if row is not None and row.account_id != actor.account_id:
        counts["skipped"] = counts.get("skipped", 0) + 1
        return
    if row is not None and item.fingerprint == s.get("version") and row.is_active:
        return
    tree_id = _uuid(s.get("source_tree_id"))
    source_tree = session.get(Tree, tree_id) if tree_id else None
    if source_tree is None or source_tree.account_id != actor.account_id:
        tree_id = None
    node_id = s.get("source_node_id") if tree_id else None
    if (
        tree_id
        and session.exec(
            select(LibraryStep.id).where(
                LibraryStep.source_tree_id == tree_id, LibraryStep.source_node_id == node_id, LibraryStep.id != sid
            )
        ).first()
    ):
        tree_id = node_id = None  # the desktop published its own copy of that node: keep both, unlinked
    now = utcnow()
    if row is None:
        row = LibraryStep(id=sid, account_id=actor.account_id, created_at=now, title="")  # filled in just below
        counts["steps_new"] = counts.get("steps_new", 0) + 1
    else:
        counts["steps_updated"] = counts.get("steps_updated", 0) + 1
    row.created_by, row.title, row.step_type, row.content = (
        actor.id,
        str(s.get("title") or "Step")[:255],
        s["step_type"],
        s.get("content") or {},
    )
    row.visibility, row.is_flow_synced, row.source_tree_id, row.source_node_id = (
        s["visibility"],
        bool(s.get("is_flow_synced")) and tree_id is not None,
        tree_id,
        node_id,
    )
    row.is_active, row.last_synced_at, row.updated_at = True, now, now
    session.add(row)
    _mark(session, item, "pulled", fingerprint=str(s.get("version") or "")[:64] or None)


def _retire_missing(session: Session, conn: SyncConnection, payload: dict[str, Any], counts: dict[str, int]) -> None:
    """Flows no longer published on the server stop accepting new sessions here; steps it no longer offers leave the
    library."""
    seen_flows = {_uuid(f.get("id")) for f in payload["flows"] if isinstance(f, dict)}
    seen_steps = {_uuid(s.get("id")) for s in payload["steps"] if isinstance(s, dict)}
    for item in _items(session, conn):
        if item.kind == "flow" and item.status == "pulled" and item.item_id not in seen_flows:
            tree = session.get(Tree, item.item_id)
            if tree is not None and tree.is_active:
                tree.is_active, tree.updated_at = False, utcnow()
                session.add(tree)
                counts["flows_retired"] = counts.get("flows_retired", 0) + 1
            _mark(
                session,
                item,
                "pulled",
                message="No longer published on the server: new sessions cannot start on it here.",
                remote_version=None,
                fingerprint=item.fingerprint,
            )
        elif item.kind == "step" and item.item_id not in seen_steps and not payload.get("steps_truncated"):
            row = session.get(LibraryStep, item.item_id)
            if row is not None and row.is_active:
                row.is_active, row.updated_at = False, utcnow()
                session.add(row)
                counts["steps_retired"] = counts.get("steps_retired", 0) + 1


def apply_pull(*, session: Session, actor: User, payload: dict[str, Any]) -> SyncRunDTO:
    """Take a pull answer (from the server or a pull bundle) into this installation for `actor`.

    New flows arrive published under the server's ids; a flow changed on the server replaces the
    desktop's copy unless that copy was edited here too (then a conflict is recorded and both stay
    as they are); library steps are upserted by id; the server's receipts mark sessions as pushed.
    """
    conn = _connection(session, actor)
    if conn is None:
        raise Conflict(NOT_CONNECTED)
    if not isinstance(payload.get("flows"), list) or not isinstance(payload.get("steps"), list):
        raise InvalidInput("The server's pull answer has no flow or step list.")
    counts: dict[str, int] = {}
    for f in payload["flows"]:
        if isinstance(f, dict):
            _pull_flow(session, actor, conn, f, counts)
    session.flush()
    for s in payload["steps"]:
        if isinstance(s, dict):
            _pull_step(session, actor, conn, s, counts)
    _retire_missing(session, conn, payload, counts)
    for r in payload.get("receipts") or []:
        rid = _uuid((r or {}).get("id")) if isinstance(r, dict) else None
        row = session.get(SupportSession, rid) if rid else None
        if rid is not None and row is not None and row.user_id == actor.id:
            _mark(
                session,
                _item(session, conn, "session", rid),
                "pushed",
                message="Stored on the server.",
                fingerprint=str(r.get("fingerprint"))[:64],
            )
    conn.last_pull_at = conn.updated_at = utcnow()
    session.add(conn)
    session.flush()
    new, updated = (
        counts.get("flows_new", 0) + counts.get("flows_updated", 0),
        counts.get("steps_new", 0) + counts.get("steps_updated", 0),
    )
    message = f"Pulled {new} flow(s) and {updated} library step(s)."
    if counts.get("flows_retired") or counts.get("steps_retired"):
        message += (
            f" {counts.get('flows_retired', 0)} flow(s) and {counts.get('steps_retired', 0)} step(s) are no longer on "
            "the server and were retired here."
        )
    if counts.get("conflicts"):
        message += f" {counts['conflicts']} conflict(s): see the list."
    return SyncRunDTO(action="pull", counts=counts, message=message)


def pull_now(*, session: Session, actor: User, server: Any = None) -> SyncRunDTO:
    """Pull from the signed-in server now (see `apply_pull`)."""
    conn, token = _signed_in(_connection(session, actor))
    payload = _remote(_server(conn, server).pull, token)
    return apply_pull(session=session, actor=actor, payload=payload)


# --- push -------------------------------------------------------------------------------------


def session_item(row: SupportSession, *, accept_flow_change: bool = False) -> server_side.SessionItem:
    """A local session as the push carries it (its id stays the same on the server)."""
    return server_side.SessionItem.model_validate(
        {
            "id": row.id,
            "flow_id": row.tree_id,
            "flow_version": row.tree_version,
            "tree_name": row.tree_name,
            "tree_type": row.tree_type,
            "tree_snapshot": row.tree_snapshot or {},
            "status": row.status,
            "current_node_id": row.current_node_id,
            "history": [h for h in row.history or [] if isinstance(h, dict)],
            "custom_steps": [c for c in row.custom_steps or [] if isinstance(c, dict)],
            "outcome": row.outcome,
            "summary": row.summary,
            "started_at": row.started_at,
            "completed_at": row.completed_at,
            "accept_flow_change": accept_flow_change,
        }
    )


def _pending(
    session: Session, actor: User, conn: SyncConnection, *, resend_all: bool
) -> list[tuple[SupportSession, server_side.SessionItem, SyncItem]]:
    """The actor's sessions on pulled flows that the server does not have in their current state."""
    flows = {i.item_id for i in _items(session, conn, "flow")}
    if not flows:
        return []
    known = {i.item_id: i for i in _items(session, conn, "session")}
    out = []
    rows = session.exec(
        select(SupportSession)
        .where(col(SupportSession.user_id) == actor.id, col(SupportSession.tree_id).in_(flows))
        .order_by(col(SupportSession.started_at), col(SupportSession.id))
    ).all()
    for row in rows:
        item = session_item(row)
        link = known.get(row.id) or SyncItem(connection_id=conn.id, kind="session", item_id=row.id, status="pulled")
        fp = rules.fingerprint(item.content())
        if resend_all or link.status != "pushed" or link.fingerprint != fp:
            if link.status == "conflict" and link.fingerprint == fp and not resend_all:
                continue  # unchanged since the server answered "conflict": waits for the user's choice
            out.append((row, item, link))
    return out


def _record_results(
    session: Session, links: dict[uuid.UUID, SyncItem], results: list[dict[str, Any]], counts: dict[str, int]
) -> None:
    for r in results:
        rid = _uuid(r.get("id"))
        link = links.get(rid) if rid is not None else None
        if link is None:
            continue
        st = str(r.get("status"))
        counts[st] = counts.get(st, 0) + 1
        if st in ("created", "updated", "unchanged"):
            _mark(session, link, "pushed", message=str(r.get("message") or ""), fingerprint=r.get("fingerprint"))
        elif st == "conflict":
            details = {k: r.get(k) for k in ("reason", "pulled_version", "server_version", "changes", "differences")}
            _mark(
                session,
                link,
                "conflict",
                message=str(r.get("message") or ""),
                details=details,
                fingerprint=r.get("fingerprint"),
            )
        else:
            _mark(session, link, "rejected", message=str(r.get("message") or "The server did not store it."))


def push_now(*, session: Session, actor: User, server: Any = None, resend_all: bool = False) -> SyncRunDTO:
    """Push the actor's sessions run offline (with custom steps, notes and usage) to the server.

    Only sessions the server does not have in this state are sent (`resend_all` sends every one:
    the server answers "unchanged" for those it has). Answers are recorded per session: pushed,
    conflict (with what differs; kept until the user chooses) or rejected.
    """
    conn, token = _signed_in(_connection(session, actor))
    remote = _server(conn, server)
    pending = _pending(session, actor, conn, resend_all=resend_all)
    counts: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for start in range(0, len(pending), server_side.MAX_PUSH_SESSIONS):
        batch = pending[start : start + server_side.MAX_PUSH_SESSIONS]
        answer = _remote(remote.push, token, [item.model_dump(mode="json") for _, item, _ in batch])
        results += answer.get("items") or []
        _record_results(session, {row.id: link for row, _, link in batch}, answer.get("items") or [], counts)
    conn.last_push_at = conn.updated_at = utcnow()
    session.add(conn)
    session.flush()
    stored = counts.get("created", 0) + counts.get("updated", 0)
    message = (
        f"Pushed {len(pending)} session(s): {stored} stored, {counts.get('unchanged', 0)} already there, "
        f"{counts.get('conflict', 0)} conflict(s), {counts.get('rejected', 0)} refused."
        if pending
        else "Nothing to push: the server has every session."
    )
    return SyncRunDTO(action="push", counts=counts, message=message, items=results)


def push_anyway(*, session: Session, actor: User, conflict_id: Any, server: Any = None) -> SyncRunDTO:
    """Resolve a session conflict by the user's explicit choice: store it on the copy of the flow it ran on."""
    conn, token = _signed_in(_connection(session, actor))
    link = session.get(SyncItem, _uuid(conflict_id)) if _uuid(conflict_id) else None
    if link is None or link.connection_id != conn.id or link.kind != "session" or link.status != "conflict":
        raise NotFound("Conflict not found (it may already be resolved).")
    row = session.get(SupportSession, link.item_id)
    if row is None or row.user_id != actor.id:
        raise NotFound("The session of this conflict no longer exists here.")
    answer = _remote(
        _server(conn, server).push, token, [session_item(row, accept_flow_change=True).model_dump(mode="json")]
    )
    counts: dict[str, int] = {}
    _record_results(session, {row.id: link}, answer.get("items") or [], counts)
    session.flush()
    first = (answer.get("items") or [{}])[0]
    return SyncRunDTO(
        action="push", counts=counts, message=str(first.get("message") or "Pushed."), items=answer.get("items") or []
    )


def dismiss(*, session: Session, actor: User, conflict_id: Any) -> SyncStatusDTO:
    """Drop a conflict or refusal from the list (a flow conflict keeps the desktop's copy; a session is sent again on
    the next push)."""
    conn = _connection(session, actor)
    link = session.get(SyncItem, _uuid(conflict_id)) if conn is not None and _uuid(conflict_id) else None
    if conn is None or link is None or link.connection_id != conn.id or link.status not in ("conflict", "rejected"):
        raise NotFound("Conflict not found (it may already be resolved).")
    if link.kind == "flow":
        tree = session.get(Tree, link.item_id)
        # Keep the desktop's copy as the new base: a later server change is a fresh question.
        _mark(
            session,
            link,
            "pulled",
            fingerprint=_flow_fp(tree.name, tree.description, tree.tree_structure) if tree else link.fingerprint,
            remote_version=(link.details or {}).get("server_version") or link.remote_version,
        )
    else:
        session.delete(link)
    session.flush()
    return status(session=session, actor=actor)


# --- bundles ---------------------------------------------------------------------------------


def _with_bundle_key(conn: SyncConnection | None) -> tuple[SyncConnection, str]:
    """The connection and its decrypted bundle key, or Conflict when there is no key yet."""
    if conn is None or not conn.bundle_key_encrypted:
        raise Conflict(NO_KEY)
    return conn, secrets_box.decrypt_str(conn.bundle_key_encrypted)


def export_bundle(*, session: Session, actor: User) -> bytes:
    """A signed push bundle of the sessions the server does not have yet, for carrying by hand."""
    conn, key = _with_bundle_key(_connection(session, actor))
    sessions = [item.model_dump(mode="json") for _, item, _ in _pending(session, actor, conn, resend_all=False)]
    return rules.sign_bundle(
        "push", {"sessions": sessions, "user_email": conn.remote_email}, key=key, created_at=utcnow().isoformat()
    )


def import_bundle(*, session: Session, actor: User, data: bytes) -> SyncRunDTO:
    """Import a signed bundle file: a pull bundle into this desktop, a push bundle into this server.

    Raises:
        InvalidInput: not a bundle, or tampered / signed with another key (nothing is applied).
        Conflict: a pull bundle but no bundle key here.
    """
    if not data:
        raise InvalidInput("The bundle file is empty.")
    if rules.bundle_kind(data) == "push":
        result = server_side.import_push_bundle(session=session, actor=actor, data=data)
        c = result["counts"]
        message = (
            f"Imported {len(result['items'])} session(s): {c.get('created', 0) + c.get('updated', 0)} stored, "
            f"{c.get('unchanged', 0)} already here, {c.get('conflict', 0)} conflict(s), {c.get('rejected', 0)} refused."
        )
        return SyncRunDTO(action="import", counts=c, message=message, items=result["items"])
    _, payload = rules.open_bundle(data, key=_with_bundle_key(_connection(session, actor))[1])
    run = apply_pull(session=session, actor=actor, payload=payload)
    return SyncRunDTO(action="import", counts=run.counts, message=run.message)
