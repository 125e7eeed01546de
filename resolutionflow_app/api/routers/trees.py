"""Flows (trees): CRUD, publish, fork, versions, import/export under /trees."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Response
from pydantic import BaseModel, Field

from resolutionflow_app.api.deps import CurrentUser, Paging, SessionDep, page
from resolutionflow_app.services import trees as trees_service

router = APIRouter(tags=["flows"])


class CreateBody(BaseModel):
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=20000)
    tree_type: str
    tree_structure: dict[str, Any] | None = None
    is_public: bool = False


class UpdateBody(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=20000)
    tree_structure: dict[str, Any] | None = None
    status: str | None = None
    is_public: bool | None = None
    is_active: bool | None = None


class ForkBody(BaseModel):
    fork_reason: str | None = None


@router.post("/trees", status_code=201)
def create_tree(body: CreateBody, user: CurrentUser, session: SessionDep) -> trees_service.TreeDTO:
    """Create a draft flow (version 1)."""
    return trees_service.create_tree(session=session, actor=user, **body.model_dump())


@router.get("/trees")
def list_trees(
    *,
    q: str | None = Query(None, max_length=200),
    tree_type: str | None = None,
    status: str | None = None,
    author_id: str | None = None,
    include_inactive: bool = False,
    paging: Paging = Depends(),
    user: CurrentUser,
    session: SessionDep,
) -> dict:
    """Visible flows, filtered and paginated."""
    items, total = trees_service.list_trees(
        session=session,
        actor=user,
        q=q,
        tree_type=tree_type,
        status=status,
        author_id=author_id,
        include_inactive=include_inactive,
        limit=paging.limit,
        offset=paging.offset,
    )
    return page(_summaries(items), total)


def _summaries(items: list) -> list[dict]:
    # List answers carry summaries (API.md): a flow's structure is fetched one flow at a time.
    return [
        {
            **i.model_dump(mode="json", exclude={"tree_structure", "validation"}),
            "node_count": _node_count(i.tree_structure),
        }
        for i in items
    ]


def _node_count(structure: dict) -> int:
    return len((structure or {}).get("nodes") or (structure or {}).get("steps") or [])


@router.post("/trees/import", status_code=201)
def import_tree(*, data: Any = Body(...), user: CurrentUser, session: SessionDep) -> trees_service.TreeDTO:
    """Import an exported flow as a draft owned by the caller."""
    return trees_service.import_tree(session=session, actor=user, data=data)


@router.get("/trees/{tree_id}")
def get_tree(tree_id: str, user: CurrentUser, session: SessionDep) -> trees_service.TreeDTO:
    """One flow, with has_parent_updates and validation problems."""
    return trees_service.get_tree(session=session, actor=user, tree_id=tree_id)


@router.put("/trees/{tree_id}")
def update_tree(tree_id: str, body: UpdateBody, user: CurrentUser, session: SessionDep) -> trees_service.TreeDTO:
    """Partial update; publishing validates (422 with problems) and syncs the step library."""
    return trees_service.update_tree(
        session=session, actor=user, tree_id=tree_id, changes=body.model_dump(exclude_unset=True)
    )


@router.delete("/trees/{tree_id}", status_code=204)
def delete_tree(tree_id: str, user: CurrentUser, session: SessionDep) -> Response:
    """Hard delete; forks are orphaned, synced library entries soft-deleted."""
    trees_service.delete_tree(session=session, actor=user, tree_id=tree_id)
    return Response(status_code=204)


@router.post("/trees/{tree_id}/fork", status_code=201)
def fork_tree(
    *, tree_id: str, body: ForkBody | None = None, user: CurrentUser, session: SessionDep
) -> trees_service.TreeDTO:
    """Fork a visible flow into a private draft."""
    reason = body.fork_reason if body is not None else None
    return trees_service.fork_tree(session=session, actor=user, tree_id=tree_id, fork_reason=reason)


@router.get("/trees/{tree_id}/forks")
def list_forks(*, tree_id: str, paging: Paging = Depends(), user: CurrentUser, session: SessionDep) -> dict:
    """The flow's visible forks."""
    items, total = trees_service.list_forks(
        session=session, actor=user, tree_id=tree_id, limit=paging.limit, offset=paging.offset
    )
    return page(_summaries(items), total)


@router.get("/trees/{tree_id}/versions")
def list_versions(*, tree_id: str, paging: Paging = Depends(), user: CurrentUser, session: SessionDep) -> dict:
    """Saved versions, newest first."""
    items, total = trees_service.list_versions(
        session=session, actor=user, tree_id=tree_id, limit=paging.limit, offset=paging.offset
    )
    return page(items, total)


class SaveVersionBody(BaseModel):
    name: str | None = Field(default=None, max_length=200)


@router.post("/trees/{tree_id}/versions", status_code=201)
def save_version(
    *, tree_id: str, body: SaveVersionBody | None = None, user: CurrentUser, session: SessionDep
) -> trees_service.VersionDTO:
    """Keep the current structure as a (named) version; the editor's working draft stops coalescing."""
    return trees_service.save_version(
        session=session, actor=user, tree_id=tree_id, label=(body or SaveVersionBody()).name
    )


@router.get("/trees/{tree_id}/versions/{older}/diff")
def diff_versions(
    *, tree_id: str, older: int, newer: int | None = None, user: CurrentUser, session: SessionDep
) -> list[trees_service.VersionDiffRow]:
    """What differs between version `older` and `newer` (default: the current structure), step by step."""
    return trees_service.compare_versions(session=session, actor=user, tree_id=tree_id, older=older, newer=newer)


@router.get("/trees/{tree_id}/versions/{version}")
def get_version(tree_id: str, version: int, user: CurrentUser, session: SessionDep) -> trees_service.VersionDetailDTO:
    """One saved version (read-only)."""
    return trees_service.get_version(session=session, actor=user, tree_id=tree_id, version=version)


@router.post("/trees/{tree_id}/versions/{version}/restore")
def restore_version(tree_id: str, version: int, user: CurrentUser, session: SessionDep) -> trees_service.TreeDTO:
    """Make a saved version current again (as version n+1)."""
    return trees_service.restore_version(session=session, actor=user, tree_id=tree_id, version=version)


@router.get("/trees/{tree_id}/export")
def export_tree(tree_id: str, user: CurrentUser, session: SessionDep) -> dict:
    """The flow as a portable JSON document."""
    return trees_service.export_tree(session=session, actor=user, tree_id=tree_id)
