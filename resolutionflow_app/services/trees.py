"""Flows (trees): create, list, edit, publish (library sync), versions, fork, import/export."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from resolutionflow_app.db.locking import lock_row
from resolutionflow_app.db.models import Automation, Tree, TreeVersion, User
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.domain.errors import (
    BadRequest,
    Forbidden,
    InvalidInput,
    NotFound,
)
from resolutionflow_app.domain.flow_diff import describe, diff_structures, summarise
from resolutionflow_app.domain.forking import clean_fork_reason, has_parent_updates
from resolutionflow_app.domain.roles import can_author
from resolutionflow_app.domain.tree_schema import (
    TREE_TYPES,
    FlowStructure,
    StructureError,
    default_structure,
    parse_structure,
)
from resolutionflow_app.domain.tree_validation import Problem, validate_structure
from resolutionflow_app.domain.visibility import can_edit_tree, can_see_tree
from resolutionflow_app.services import library_sync
from resolutionflow_app.services.dto import DTO
from resolutionflow_app.services.visibility import viewer_of, visible_trees

STATUSES = ("draft", "published")
EXPORT_FORMAT = "resolutionflow.tree"
EXPORT_FORMAT_VERSION = 1
UPDATABLE = ("name", "description", "tree_structure", "status", "is_public", "is_active")
NOT_FOUND = "Flow not found."
MAX_VERSION = 2**31 - 1


class ProblemDTO(DTO):
    """One validation problem of a flow."""

    node_id: str | None = None
    message: str


class TreeDTO(DTO):
    """A flow as the API and pages show it."""

    id: uuid.UUID
    name: str
    description: str | None = None
    tree_type: str
    tree_structure: dict[str, Any]
    status: str
    version: int
    is_public: bool
    is_active: bool
    author_id: uuid.UUID | None = None
    author_name: str | None = None
    account_id: uuid.UUID
    parent_tree_id: uuid.UUID | None = None
    parent_name: str | None = None
    fork_reason: str | None = None
    parent_updated_at: datetime | None = None
    has_parent_updates: bool = False
    forks_count: int = 0
    published_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    validation: list[ProblemDTO] = []
    can_edit: bool = False


class VersionDTO(DTO):
    """One saved version in a flow's history."""

    version: int
    created_at: datetime
    created_by: uuid.UUID | None = None
    created_by_name: str | None = None
    kind: str = "save"
    label: str | None = None
    summary: dict[str, int] | None = None
    summary_text: str = ""
    published: bool = False


class VersionDiffRow(DTO):
    """One step in a comparison of two versions."""

    id: str
    title: str
    status: str
    fields: list[str] = []


class VersionDetailDTO(DTO):
    """A saved version with its structure (read-only view)."""

    version: int
    name: str
    description: str | None = None
    tree_structure: dict[str, Any]
    created_at: datetime
    created_by: uuid.UUID | None = None


# ---------------------------------------------------------------- helpers


def _copy(data: Any) -> Any:
    """A deep copy of JSON data (much faster than copy.deepcopy for large structures)."""
    return json.loads(json.dumps(data))


def _uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def _visible(actor: User, tree: Tree) -> bool:
    if tree.account_id != actor.account_id and not tree.is_active:
        return False
    return can_see_tree(viewer_of(actor), account_id=str(tree.account_id), is_public=tree.is_public, status=tree.status)


def _can_edit(actor: User, tree: Tree) -> bool:
    return can_edit_tree(
        viewer_of(actor), account_id=str(tree.account_id), author_id=str(tree.author_id) if tree.author_id else None
    )


def _load(session: Session, actor: User, tree_id: Any) -> Tree:
    tid = _uuid(tree_id)
    tree = session.get(Tree, tid) if tid else None
    if tree is None or not _visible(actor, tree):
        raise NotFound(NOT_FOUND)
    return tree


def _load_editable(session: Session, actor: User, tree_id: Any) -> Tree:
    tree = _load(session, actor, tree_id)
    if tree.account_id != actor.account_id:
        # API.md: another account's things answer 404 for changes, even when publicly readable.
        raise NotFound(NOT_FOUND)
    # Re-read under a row lock so concurrent edits number their versions one after another.
    tree = lock_row(session, Tree, tree.id) or tree
    if not _can_edit(actor, tree):
        raise Forbidden("You can view this flow but not change it.")
    return tree


def _require_author(actor: User) -> None:
    if not can_author(actor.role):
        raise Forbidden("Only owners and authors can create flows.")


def _clean_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("The flow needs a name.")
    cleaned: str = name.strip()
    if len(cleaned) > 200:
        raise InvalidInput("The flow name must be at most 200 characters.")
    return cleaned


def _clean_description(description: Any) -> str | None:
    if description is None:
        return None
    if not isinstance(description, str):
        raise InvalidInput("The description must be text.")
    description = description.strip()
    if len(description) > 20000:
        raise InvalidInput("The description must be at most 20,000 characters.")
    return description or None


def _check_type(tree_type: Any) -> str:
    if not isinstance(tree_type, str) or tree_type not in TREE_TYPES:
        raise InvalidInput(f"Unknown flow type '{tree_type}'; use one of: {', '.join(TREE_TYPES)}.")
    return tree_type


def _parse_structure(tree_type: str, structure: Any) -> FlowStructure:
    """The submitted `tree_structure` parsed once into the domain's typed model (InvalidInput otherwise)."""
    try:
        return parse_structure(tree_type, structure)
    except StructureError as exc:
        raise InvalidInput(str(exc)) from None
    except (TypeError, ValueError):
        raise InvalidInput("The flow structure must contain only JSON values.") from None


def _automation_links(
    session: Session, account_id: uuid.UUID, structure: FlowStructure, *, strict: bool = True
) -> dict[str, Any]:
    """Check the automations nodes link to are this account's; `strict=False` (forks) drops foreign links instead.

    Returns:
        The structure's stored JSON (`to_json()`), a fresh copy.
    """
    for node in structure.all_nodes():
        if "automation_id" not in node.model_fields_set:
            continue
        raw = node.automation_id
        if raw in (None, ""):
            node.unset("automation_id")
            continue
        try:
            row = session.get(Automation, uuid.UUID(str(raw)))
        except ValueError:
            row = None
        if row is None or row.account_id != account_id:
            if strict:
                raise InvalidInput(
                    f"Step “{node.title or node.id}”: the linked automation was not found in this account."
                )
            node.unset("automation_id")
    stored: dict[str, Any] = _copy(structure.to_json())
    return stored


def _problems(tree: Tree) -> list[Problem]:
    return validate_structure(tree.tree_type, tree.tree_structure)


def _touch(tree: Tree) -> None:
    """Bump updated_at strictly forward (fork snapshots compare against it)."""
    now = utcnow()
    if tree.updated_at is not None and now <= tree.updated_at:
        now = tree.updated_at + timedelta(microseconds=1)
    tree.updated_at = now


def _add_version(
    session: Session,
    tree: Tree,
    actor: User,
    *,
    kind: str = "save",
    label: str | None = None,
    previous: dict[str, Any] | None = None,
) -> None:
    summary = (
        summarise(diff_structures(tree.tree_type, previous, tree.tree_structure)) if previous is not None else None
    )
    session.add(
        TreeVersion(
            tree_id=tree.id,
            version=tree.version,
            name=tree.name,
            description=tree.description,
            tree_structure=_copy(tree.tree_structure),
            created_by=actor.id,
            kind=kind,
            label=label,
            summary=summary,
        )
    )


def _latest_version(session: Session, tree: Tree) -> TreeVersion | None:
    return session.exec(
        select(TreeVersion).where(TreeVersion.tree_id == tree.id, TreeVersion.version == tree.version)
    ).first()


def _coalesce(session: Session, tree: Tree, actor: User) -> bool:
    """Fold an autosave into the working draft: the newest version, when it is this person's unpublished autosave."""
    latest = _latest_version(session, tree)
    if latest is None or latest.kind != "autosave" or latest.created_by != actor.id or latest.published:
        return False
    before = session.exec(
        select(col(TreeVersion.tree_structure)).where(
            TreeVersion.tree_id == tree.id, TreeVersion.version == tree.version - 1
        )
    ).first()
    latest.tree_structure, latest.name, latest.description = _copy(tree.tree_structure), tree.name, tree.description
    latest.summary = (
        summarise(diff_structures(tree.tree_type, before, tree.tree_structure)) if before is not None else None
    )
    latest.created_at = utcnow()
    session.add(latest)
    return True


def _mark_version_published(session: Session, tree: Tree) -> None:
    session.execute(
        sa.update(TreeVersion)
        .where(col(TreeVersion.tree_id) == tree.id, col(TreeVersion.version) == tree.version)
        .values(published=True)
    )


def _version_filter(actor: User, tree: Tree) -> list[ColumnElement[bool]]:
    # Other accounts may read a public flow, but only the structures it was published with:
    # drafts (notes, half-done edits) stay inside the owning account.
    conds = [col(TreeVersion.tree_id) == tree.id]
    if tree.account_id != actor.account_id:
        conds.append(col(TreeVersion.published).is_(True))
    return conds


def _user_names(session: Session, ids: set[uuid.UUID | None]) -> dict[uuid.UUID | None, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {
        row[0]: row[1] for row in session.execute(sa.select(col(User.id), col(User.name)).where(col(User.id).in_(ids)))
    }


def _to_dtos(session: Session, actor: User, trees: list[Tree]) -> list[TreeDTO]:
    if not trees:
        return []
    names = _user_names(session, {t.author_id for t in trees})
    parent_ids = {t.parent_tree_id for t in trees if t.parent_tree_id}
    parents = {p.id: p for p in session.exec(select(Tree).where(col(Tree.id).in_(parent_ids)))} if parent_ids else {}
    ids = [t.id for t in trees]
    forks: dict[uuid.UUID | None, int] = dict(
        session.execute(
            sa.select(col(Tree.parent_tree_id), sa.func.count())
            .where(col(Tree.parent_tree_id).in_(ids), col(Tree.is_active).is_(True), visible_trees(actor))
            .group_by(col(Tree.parent_tree_id))
        ).all()
    )
    out = []
    for tree in trees:
        parent = parents.get(tree.parent_tree_id) if tree.parent_tree_id else None
        out.append(
            TreeDTO(
                id=tree.id,
                name=tree.name,
                description=tree.description,
                tree_type=tree.tree_type,
                tree_structure=tree.tree_structure,
                status=tree.status,
                version=tree.version,
                is_public=tree.is_public,
                is_active=tree.is_active,
                author_id=tree.author_id,
                author_name=names.get(tree.author_id),
                account_id=tree.account_id,
                parent_tree_id=tree.parent_tree_id,
                parent_name=parent.name if parent is not None and _visible(actor, parent) else None,
                fork_reason=tree.fork_reason,
                parent_updated_at=tree.parent_updated_at,
                has_parent_updates=has_parent_updates(
                    parent_tree_id=str(tree.parent_tree_id) if tree.parent_tree_id else None,
                    parent_updated_at=tree.parent_updated_at,
                    parent_current_updated_at=parent.updated_at if parent is not None else None,
                    parent_is_active=bool(parent is not None and parent.is_active),
                ),
                forks_count=int(forks.get(tree.id, 0)),
                published_at=tree.published_at,
                created_at=tree.created_at,
                updated_at=tree.updated_at,
                validation=[ProblemDTO(**p.model_dump()) for p in _problems(tree)],
                can_edit=_can_edit(actor, tree),
            )
        )
    return out


def _dto(session: Session, actor: User, tree: Tree) -> TreeDTO:
    return _to_dtos(session, actor, [tree])[0]


# ---------------------------------------------------------------- use cases


def create_tree(
    *,
    session: Session,
    actor: User,
    name: Any,
    tree_type: Any,
    tree_structure: dict[str, Any] | None = None,
    description: str | None = None,
    is_public: bool = False,
) -> TreeDTO:
    """Create a draft flow (version 1, with its first TreeVersion).

    Args:
        session: DB session.
        actor: the author (owner or author role).
        name: 1-200 characters.
        tree_type: troubleshooting, procedural or maintenance.
        tree_structure: the structure; None gives a starting skeleton for the type.
        description: optional text.
        is_public: share with every account once published.

    Returns:
        The new flow.

    Raises:
        Forbidden: engineers cannot create flows.
        InvalidInput: bad name, type or a malformed structure.
    """
    _require_author(actor)
    name = _clean_name(name)
    tree_type = _check_type(tree_type)
    structure = (
        default_structure(tree_type)
        if tree_structure is None
        else _automation_links(session, actor.account_id, _parse_structure(tree_type, tree_structure))
    )
    tree = Tree(
        account_id=actor.account_id,
        author_id=actor.id,
        name=name,
        description=_clean_description(description),
        tree_type=tree_type,
        tree_structure=structure,
        status="draft",
        version=1,
        is_public=bool(is_public),
    )
    session.add(tree)
    session.flush()
    _add_version(session, tree, actor, kind="create")
    session.flush()
    return _dto(session, actor, tree)


def list_trees(
    *,
    session: Session,
    actor: User,
    q: str | None = None,
    tree_type: str | None = None,
    status: str | None = None,
    author_id: Any = None,
    include_inactive: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[TreeDTO], int]:
    """Flows the actor may see, newest change first.

    Args:
        session: DB session.
        actor: the viewer.
        q: part of the name (case-insensitive).
        tree_type: only this type.
        status: only draft or published.
        author_id: only flows by this author.
        include_inactive: also the actor's account's deactivated flows.
        limit: page size.
        offset: rows to skip.

    Returns:
        (page of flows, total matching).
    """
    conds = [visible_trees(actor)]
    if include_inactive:
        conds.append(sa.or_(col(Tree.is_active).is_(True), col(Tree.account_id) == actor.account_id))
    else:
        conds.append(col(Tree.is_active).is_(True))
    if q and q.strip():
        pattern = "%" + q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conds.append(sa.func.lower(Tree.name).like(pattern, escape="\\"))
    if tree_type:
        conds.append(col(Tree.tree_type) == _check_type(tree_type))
    if status:
        if status not in STATUSES:
            raise InvalidInput("Status must be draft or published.")
        conds.append(col(Tree.status) == status)
    if author_id:
        aid = _uuid(author_id)
        if aid is None:
            raise InvalidInput("author_id must be a user id.")
        conds.append(col(Tree.author_id) == aid)
    total = session.execute(sa.select(sa.func.count()).select_from(Tree).where(*conds)).scalar_one()
    rows = session.exec(
        select(Tree)
        .where(*conds)
        .order_by(col(Tree.updated_at).desc(), col(Tree.id))
        .offset(max(offset, 0))
        .limit(max(limit, 0))
    ).all()
    return _to_dtos(session, actor, list(rows)), int(total)


def get_tree(*, session: Session, actor: User, tree_id: Any) -> TreeDTO:
    """One flow the actor may see (NotFound otherwise)."""
    return _dto(session, actor, _load(session, actor, tree_id))


def _apply(
    session: Session,
    actor: User,
    tree: Tree,
    changes: dict[str, Any],
    *,
    force_version: bool = False,
    kind: str = "save",
) -> TreeDTO:
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise InvalidInput(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    new: dict[str, Any] = {}
    if "name" in changes and changes["name"] is not None:
        new["name"] = _clean_name(changes["name"])
    if "description" in changes:
        new["description"] = _clean_description(changes["description"])
    if "tree_structure" in changes and changes["tree_structure"] is not None:
        new["tree_structure"] = _automation_links(
            session, actor.account_id, _parse_structure(tree.tree_type, changes["tree_structure"])
        )
    for flag in ("is_public", "is_active"):
        if flag in changes and changes[flag] is not None:
            if not isinstance(changes[flag], bool):
                raise InvalidInput(f"{flag} must be true or false.")
            new[flag] = changes[flag]
    if "status" in changes and changes["status"] is not None:
        if changes["status"] not in STATUSES:
            raise InvalidInput("Status must be draft or published.")
        new["status"] = changes["status"]

    structure_changed = force_version or ("tree_structure" in new and new["tree_structure"] != tree.tree_structure)
    was_published, was_public, was_active = tree.status == "published", tree.is_public, tree.is_active
    final_status = new.get("status", tree.status)
    final_active = new.get("is_active", tree.is_active)
    final_public = new.get("is_public", tree.is_public)
    publishing = final_status == "published" and not was_published
    if final_status == "published" and (publishing or structure_changed):
        problems = validate_structure(tree.tree_type, new.get("tree_structure", tree.tree_structure))
        if problems:
            count = len(problems)
            raise InvalidInput(
                f"This flow has {count} problem{'s' if count != 1 else ''} to fix before it can be published.",
                problems=[p.model_dump() for p in problems],
            )

    # The library mirrors the current structure while the flow stays published, active and equally visible.
    mirrored = (
        tree.tree_structure
        if (was_published and was_active and not publishing and final_active and final_public == was_public)
        else None
    )
    changed = structure_changed or any(getattr(tree, k) != v for k, v in new.items() if k != "tree_structure")
    previous = tree.tree_structure
    for key, value in new.items():
        setattr(tree, key, value)
    if structure_changed and not (kind == "autosave" and _coalesce(session, tree, actor)):
        tree.version += 1
        _add_version(session, tree, actor, kind=kind, previous=previous)
    if publishing:
        tree.published_at = utcnow()
    if changed:
        _touch(tree)
    session.add(tree)
    session.flush()
    if final_status == "published":
        _mark_version_published(session, tree)
    if (
        final_status == "published"
        and final_active
        and (publishing or structure_changed or final_public != was_public or (final_active and not was_active))
    ):
        library_sync.sync_tree(session=session, tree=tree, previous_structure=mirrored)
    if was_active and not final_active:
        library_sync.deactivate_synced(session=session, tree_id=tree.id)
    return _dto(session, actor, tree)


def update_tree(*, session: Session, actor: User, tree_id: Any, changes: dict[str, Any]) -> TreeDTO:
    """Change a flow; structure changes make a new version; publishing syncs the step library.

    Args:
        session: DB session (status change and library sync share its transaction).
        actor: an owner, or an author of the flow's account.
        tree_id: the flow.
        changes: any of name, description, tree_structure, status, is_public, is_active.

    Returns:
        The updated flow.

    Raises:
        NotFound: the actor cannot see the flow.
        Forbidden: visible but not editable by the actor.
        InvalidInput: bad values, or publishing with validation problems (listed in `problems`).
    """
    if not isinstance(changes, dict):
        raise InvalidInput("Changes must be an object.")
    tree = _load_editable(session, actor, tree_id)
    return _apply(session, actor, tree, changes)


def autosave_tree(*, session: Session, actor: User, tree_id: Any, changes: dict[str, Any]) -> TreeDTO:
    """The editor's autosave: like `update_tree`, but structure edits fold into one working-draft version.

    While the newest version is this person's unpublished autosave, it is updated in place (no new
    number); a version is made on the first edit after a publish, a restore or an explicit save.

    Raises:
        Same as `update_tree`; `status` cannot be changed here (publish with `update_tree`).
    """
    if not isinstance(changes, dict) or "status" in changes:
        raise InvalidInput("Autosave changes the name, description and structure only.")
    tree = _load_editable(session, actor, tree_id)
    return _apply(session, actor, tree, changes, kind="autosave")


def save_version(*, session: Session, actor: User, tree_id: Any, label: str | None = None) -> VersionDTO:
    """Keep the current structure as a version, optionally named ("Before the VPN rewrite").

    The working draft becomes that version (it stops coalescing); when nothing changed since the
    newest version, that version gets the name.

    Raises:
        InvalidInput: the name is longer than 200 characters. NotFound / Forbidden: as `update_tree`.
    """
    clean = (label or "").strip() or None
    if clean is not None and len(clean) > 200:
        raise InvalidInput("A version name is at most 200 characters.")
    tree = _load_editable(session, actor, tree_id)
    latest = _latest_version(session, tree)
    if latest is None or latest.tree_structure != tree.tree_structure:
        previous = latest.tree_structure if latest is not None else None
        tree.version += 1
        _add_version(session, tree, actor, kind="save", label=clean, previous=previous)
        _touch(tree)
        session.add(tree)
    else:
        latest.kind = "save"
        latest.label = clean or latest.label
        session.add(latest)
    session.flush()
    row = _latest_version(session, tree)
    if row is None:  # written just above; only a concurrent delete of the flow gets here
        raise NotFound(NOT_FOUND)
    return VersionDTO(
        version=row.version,
        created_at=row.created_at,
        created_by=row.created_by,
        created_by_name=actor.name,
        kind=row.kind,
        label=row.label,
        summary=row.summary,
        summary_text=describe(row.summary),
        published=row.published,
    )


def compare_versions(
    *, session: Session, actor: User, tree_id: Any, older: Any, newer: Any | None = None
) -> list[VersionDiffRow]:
    """Step by step, what differs between version `older` and `newer` (default: the current structure)."""
    tree = _load(session, actor, tree_id)
    before = _version_row(session, tree, older, actor).tree_structure
    after = _version_row(session, tree, newer, actor).tree_structure if newer is not None else tree.tree_structure
    if newer is None and tree.account_id != actor.account_id:
        raise NotFound(NOT_FOUND)  # another account compares published versions only
    return [VersionDiffRow(**row) for row in diff_structures(tree.tree_type, before, after)]


def delete_tree(*, session: Session, actor: User, tree_id: Any) -> None:
    """Hard-delete a flow: its synced library entries are soft-deleted and its forks orphaned."""
    tree = _load_editable(session, actor, tree_id)
    tid = tree.id
    library_sync.deactivate_synced(session=session, tree_id=tid)
    session.flush()
    # The FKs say ON DELETE SET NULL; do it explicitly too so it never depends on the driver.
    session.execute(sa.update(Tree).where(col(Tree.parent_tree_id) == tid).values(parent_tree_id=None))
    session.delete(tree)
    session.flush()
    session.expire_all()


def fork_tree(*, session: Session, actor: User, tree_id: Any, fork_reason: str | None = None) -> TreeDTO:
    """Copy a visible flow into a private draft of the actor's account (seed Part 1, 8 steps).

    Args:
        session: DB session.
        actor: an owner or author.
        tree_id: the flow to fork.
        fork_reason: optional note, at most 255 characters.

    Returns:
        The fork (draft, version 1, private, parent link and parent_updated_at snapshot).

    Raises:
        NotFound: the flow is not visible. Forbidden: engineers. InvalidInput: reason too long.
    """
    parent = _load(session, actor, tree_id)
    _require_author(actor)
    try:
        reason = clean_fork_reason(fork_reason)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    suffix = " (fork)"
    fork = Tree(
        tree_structure=_automation_links(
            session, actor.account_id, _parse_structure(parent.tree_type, parent.tree_structure), strict=False
        ),
        parent_tree_id=parent.id,
        fork_reason=reason,
        parent_updated_at=parent.updated_at,
        author_id=actor.id,
        account_id=actor.account_id,
        is_public=False,
        version=1,
        status="draft",
        name=parent.name[: 200 - len(suffix)] + suffix,
        description=parent.description,
        tree_type=parent.tree_type,
    )
    session.add(fork)
    session.flush()
    _add_version(session, fork, actor, kind="create")
    session.flush()
    return _dto(session, actor, fork)


def list_forks(
    *, session: Session, actor: User, tree_id: Any, limit: int = 50, offset: int = 0
) -> tuple[list[TreeDTO], int]:
    """The visible, active forks of a visible flow, newest first."""
    parent = _load(session, actor, tree_id)
    conds = [col(Tree.parent_tree_id) == parent.id, col(Tree.is_active).is_(True), visible_trees(actor)]
    total = session.execute(sa.select(sa.func.count()).select_from(Tree).where(*conds)).scalar_one()
    rows = session.exec(
        select(Tree).where(*conds).order_by(col(Tree.created_at).desc(), col(Tree.id)).offset(offset).limit(limit)
    ).all()
    return _to_dtos(session, actor, list(rows)), int(total)


def list_versions(
    *, session: Session, actor: User, tree_id: Any, limit: int = 50, offset: int = 0
) -> tuple[list[VersionDTO], int]:
    """A visible flow's saved versions, newest first."""
    tree = _load(session, actor, tree_id)
    conds = _version_filter(actor, tree)
    total = session.execute(sa.select(sa.func.count()).select_from(TreeVersion).where(*conds)).scalar_one()
    rows = session.exec(
        select(TreeVersion).where(*conds).order_by(col(TreeVersion.version).desc()).offset(offset).limit(limit)
    ).all()
    names = _user_names(session, {r.created_by for r in rows})
    items = [
        VersionDTO(
            version=r.version,
            created_at=r.created_at,
            created_by=r.created_by,
            created_by_name=names.get(r.created_by),
            kind=r.kind,
            label=r.label,
            summary=r.summary,
            summary_text=describe(r.summary),
            published=r.published,
        )
        for r in rows
    ]
    return items, int(total)


def _version_row(session: Session, tree: Tree, version: Any, actor: User | None = None) -> TreeVersion:
    try:
        number = int(version)
    except (TypeError, ValueError):
        raise NotFound("Version not found.") from None
    if not 1 <= number <= MAX_VERSION:  # out-of-range numbers would overflow the INTEGER column
        raise NotFound("Version not found.")
    conds = _version_filter(actor, tree) if actor is not None else [TreeVersion.tree_id == tree.id]
    row = session.exec(select(TreeVersion).where(*conds, TreeVersion.version == number)).first()
    if row is None:
        raise NotFound("Version not found.")
    return row


def get_version(*, session: Session, actor: User, tree_id: Any, version: Any) -> VersionDetailDTO:
    """One saved version of a visible flow (another account sees published versions only)."""
    tree = _load(session, actor, tree_id)
    row = _version_row(session, tree, version, actor)
    return VersionDetailDTO(
        version=row.version,
        name=row.name,
        description=row.description,
        tree_structure=row.tree_structure,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def restore_version(*, session: Session, actor: User, tree_id: Any, version: Any) -> TreeDTO:
    """Make an old version's structure current again, as a new version n+1.

    Raises:
        NotFound: flow or version unknown. Forbidden: not editable.
        InvalidInput: the flow is published and the old structure has problems.
    """
    tree = _load_editable(session, actor, tree_id)
    row = _version_row(session, tree, version)
    return _apply(
        session, actor, tree, {"tree_structure": _copy(row.tree_structure)}, force_version=True, kind="restore"
    )


def export_tree(*, session: Session, actor: User, tree_id: Any) -> dict[str, Any]:
    """A visible flow as a portable JSON document."""
    tree = _load(session, actor, tree_id)
    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_FORMAT_VERSION,
        "tree": {
            "name": tree.name,
            "description": tree.description,
            "tree_type": tree.tree_type,
            "tree_structure": _copy(tree.tree_structure),
        },
    }


def import_tree(*, session: Session, actor: User, data: Any) -> TreeDTO:
    """Create a draft owned by the actor from an exported document.

    Raises:
        BadRequest: not a ResolutionFlow export, or an unsupported format version.
        InvalidInput: the flow inside has a bad name, type or malformed structure.
        Forbidden: engineers.
    """
    _require_author(actor)
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise BadRequest("This file is not a ResolutionFlow flow export (format 'resolutionflow.tree').")
    if data.get("format_version") != EXPORT_FORMAT_VERSION:
        raise BadRequest(
            f"Unsupported export format version {data.get('format_version')!r}; this server reads version 1."
        )
    body = data.get("tree")
    if not isinstance(body, dict):
        raise InvalidInput("The export has no 'tree' object.")
    if body.get("tree_structure") is None:
        raise InvalidInput("The exported flow has no tree_structure.")
    return create_tree(
        session=session,
        actor=actor,
        name=body.get("name"),
        tree_type=body.get("tree_type"),
        tree_structure=body.get("tree_structure"),
        description=body.get("description"),
        is_public=False,
    )
