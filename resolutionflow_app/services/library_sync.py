"""Publishing a flow upserts its steps into the step library (flow-to-library-step-sync.md)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from resolutionflow_app.db.models import LibraryStep, Tree
from resolutionflow_app.db.sql import rowcount, table_of
from resolutionflow_app.db.types import new_id, utcnow
from resolutionflow_app.domain.library_extraction import (
    changed_node_ids,
    extract_steps,
    subset_structure,
)

_T = table_of(LibraryStep)


@dataclass
class SyncResult:
    """How many library rows one sync created, changed, re-activated, soft-deleted or left alone."""

    created: int = 0
    updated: int = 0
    reactivated: int = 0
    deactivated: int = 0
    unchanged: int = 0

    @property
    def written(self) -> int:
        """Rows the sync wrote."""
        return self.created + self.updated + self.deactivated


def _insert(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert new entries; on a concurrent duplicate key update the existing one instead."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        stmt: SqliteInsert | PgInsert = sqlite_insert(_T) if dialect == "sqlite" else pg_insert(_T)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_T.c.source_tree_id, _T.c.source_node_id],
            set_={
                "title": stmt.excluded.title,
                "step_type": stmt.excluded.step_type,
                "content": stmt.excluded.content,
                "visibility": stmt.excluded.visibility,
                "last_synced_at": stmt.excluded.last_synced_at,
                "updated_at": stmt.excluded.updated_at,
                "is_flow_synced": sa.true(),
                "is_active": sa.true(),
            },
        )
        # RETURNING makes SQLAlchemy batch rows into multi-row VALUES ("insertmanyvalues").
        session.execute(stmt.returning(_T.c.id), rows).all()
    else:  # pragma: no cover - other dialects are not supported targets
        session.execute(sa.insert(_T), rows)


def sync_tree(*, session: Session, tree: Tree, previous_structure: dict[str, Any] | None = None) -> SyncResult:
    """Upsert the published flow's steps into the library, in the caller's transaction.

    Only rows whose content, title, type, visibility, owner or active flag differ are written, so
    re-publishing costs in proportion to what changed. Usage counts and ratings are never touched.
    Entries whose node left the flow are soft-deleted; removed-then-restored nodes re-activate.

    Args:
        session: DB session (the same transaction as the status change).
        tree: the flow, already carrying its new structure and visibility.
        previous_structure: the structure the library mirrors right now (a published, active flow
            whose visibility did not change). Only the nodes that differ are extracted, read and
            written, so an edit of 10 steps of a 2,000-step flow touches 10 rows.

    Returns:
        Counts of what the sync did.
    """
    now = utcnow()
    result = SyncResult()
    structure, removed = tree.tree_structure, None
    if previous_structure is not None:
        touched, removed = changed_node_ids(tree_type=tree.tree_type, old=previous_structure, new=tree.tree_structure)
        structure = subset_structure(tree_type=tree.tree_type, structure=tree.tree_structure, node_ids=touched)
    extracted = extract_steps(
        tree_type=tree.tree_type, structure=structure, is_public=tree.is_public, account_id=str(tree.account_id)
    )
    cols = [
        _T.c.id,
        _T.c.source_node_id,
        _T.c.title,
        _T.c.step_type,
        _T.c.content,
        _T.c.visibility,
        _T.c.is_active,
        _T.c.is_flow_synced,
        _T.c.account_id,
        _T.c.created_by,
    ]
    query = sa.select(*cols).where(_T.c.source_tree_id == tree.id)
    if removed is None:
        existing = {row.source_node_id: row for row in session.execute(query)}
    else:
        existing = {}
        wanted_ids = sorted({e.source_node_id for e in extracted} | removed)
        for start in range(0, len(wanted_ids), 500):
            chunk = wanted_ids[start : start + 500]
            existing.update(
                {row.source_node_id: row for row in session.execute(query.where(_T.c.source_node_id.in_(chunk)))}
            )
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    wanted: set[str] = set()
    for step in extracted:
        wanted.add(step.source_node_id)
        values = {
            "title": step.title,
            "step_type": step.step_type,
            "content": step.content,
            "visibility": step.visibility,
            "account_id": tree.account_id,
            "created_by": tree.author_id,
        }
        row = existing.get(step.source_node_id)
        if row is None:
            inserts.append(
                {
                    "id": new_id(),
                    "source_tree_id": tree.id,
                    "source_node_id": step.source_node_id,
                    "is_flow_synced": True,
                    "is_active": True,
                    "usage_count": 0,
                    "rating_sum": 0,
                    "rating_count": 0,
                    "last_synced_at": now,
                    "created_at": now,
                    "updated_at": now,
                    **values,
                }
            )
            continue
        same = (
            row.title == step.title
            and row.step_type == step.step_type
            and row.content == step.content
            and row.visibility == step.visibility
            and row.is_active
            and row.is_flow_synced
            and row.account_id == tree.account_id
            and row.created_by == tree.author_id
        )
        if same:
            result.unchanged += 1
            continue
        if not row.is_active:
            result.reactivated += 1
        updates.append({"_id": row.id, **{f"b_{k}": v for k, v in values.items()}})
    _insert(session, inserts)
    result.created = len(inserts)
    if updates:
        stmt = (
            sa.update(_T)
            .where(_T.c.id == sa.bindparam("_id", type_=_T.c.id.type))
            .values(
                title=sa.bindparam("b_title", type_=_T.c.title.type),
                step_type=sa.bindparam("b_step_type", type_=_T.c.step_type.type),
                content=sa.bindparam("b_content", type_=_T.c.content.type),
                visibility=sa.bindparam("b_visibility", type_=_T.c.visibility.type),
                account_id=sa.bindparam("b_account_id", type_=_T.c.account_id.type),
                created_by=sa.bindparam("b_created_by", type_=_T.c.created_by.type),
                is_active=True,
                is_flow_synced=True,
                last_synced_at=now,
                updated_at=now,
            )
        )
        session.connection().execute(stmt, updates)
        result.updated = len(updates)
    gone = [
        row.id
        for node_id, row in existing.items()
        if node_id not in wanted and row.is_active and (removed is None or node_id in removed)
    ]
    for start in range(0, len(gone), 500):
        session.execute(
            sa.update(_T).where(_T.c.id.in_(gone[start : start + 500])).values(is_active=False, updated_at=now)
        )
    result.deactivated = len(gone)
    if inserts or updates or gone:
        _expire_cached(session)
    return result


def deactivate_synced(*, session: Session, tree_id: uuid.UUID) -> int:
    """Soft-delete every synced library entry of a flow (deactivation or deletion).

    Args:
        session: DB session.
        tree_id: the flow.

    Returns:
        How many entries were switched off.
    """
    res = session.execute(
        sa.update(_T)
        .where(_T.c.source_tree_id == tree_id, _T.c.is_flow_synced.is_(True), _T.c.is_active.is_(True))
        .values(is_active=False, updated_at=utcnow())
    )
    _expire_cached(session)
    return int(rowcount(res) or 0)


def _expire_cached(session: Session) -> None:
    """Core statements bypass the identity map: drop cached LibraryStep rows so reads are fresh."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, LibraryStep):
            session.expire(obj)
