"""Step library API: search, CRUD of manual steps, fork, rating, categories."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from resolutionflow_app.api.deps import CurrentUser, Paging, SessionDep, page
from resolutionflow_app.services import library as library_service
from resolutionflow_app.services import library_search, step_categories

router = APIRouter(tags=["step library"])


class StepBody(BaseModel):
    title: str = Field(max_length=255)
    step_type: str = "action"
    content: Any = None
    visibility: str = "team"
    category_id: str | None = None


class StepUpdateBody(BaseModel):
    title: str | None = Field(default=None, max_length=255)
    step_type: str | None = None
    content: Any = None
    visibility: str | None = None
    category_id: str | None = None


class RatingBody(BaseModel):
    rating: int


class CategoryBody(BaseModel):
    name: str = Field(max_length=100)
    description: str | None = Field(default=None, max_length=2000)


@router.get("/steps")
def list_steps(
    *,
    q: str | None = Query(None, max_length=200),
    step_type: str | None = None,
    category_id: str | None = None,
    group_label: str | None = None,
    visibility: str | None = None,
    is_flow_synced: bool | None = None,
    source_tree_id: str | None = None,
    sort: str = "relevance",
    count: Literal["exact", "capped"] = "exact",
    paging: Paging = Depends(),
    user: CurrentUser,
    session: SessionDep,
) -> dict:
    """Search and filter the library steps the caller may see.

    `total` is the exact number of matches; with `count=capped` (type-ahead) it is counted up to
    1,000 (or the end of the requested page) and `total_capped: true` says there are more.
    """
    found = library_search.search_steps(
        session=session,
        actor=user,
        q=q,
        step_type=step_type,
        category_id=category_id,
        group_label=group_label,
        visibility=visibility,
        is_flow_synced=is_flow_synced,
        source_tree_id=source_tree_id,
        sort=sort,
        limit=paging.limit,
        offset=paging.offset,
        total_cap=library_search.TOTAL_CAP if count == "capped" else None,
    )
    return {**page(found.items, found.total), "total_capped": found.total_capped}


@router.post("/steps", status_code=201)
def create_step(body: StepBody, user: CurrentUser, session: SessionDep) -> library_service.LibraryStepDTO:
    """Create a manual library step."""
    return library_service.create_step(session=session, actor=user, **body.model_dump())


@router.get("/step-categories")
def list_categories(*, paging: Paging = Depends(), user: CurrentUser, session: SessionDep) -> dict:
    """The caller's account's step categories."""
    items = library_service.list_categories(session=session, actor=user)
    return page(items[paging.offset : paging.offset + paging.limit], len(items))


@router.post("/step-categories", status_code=201)
def create_category(body: CategoryBody, user: CurrentUser, session: SessionDep) -> library_service.CategoryDTO:
    """Add a step category to the caller's account."""
    return library_service.create_category(session=session, actor=user, name=body.name, description=body.description)


@router.get("/step-group-labels")
def list_group_labels(*, paging: Paging = Depends(), user: CurrentUser, session: SessionDep) -> dict:
    """Distinct group labels (procedure sections) of visible steps."""
    items = library_service.list_group_labels(session=session, actor=user)
    return page(items[paging.offset : paging.offset + paging.limit], len(items))


@router.get("/steps/{step_id}")
def get_step(step_id: str, user: CurrentUser, session: SessionDep) -> library_service.LibraryStepDTO:
    """One step (soft-deleted ones answer with is_active false)."""
    return library_service.get_step(session=session, actor=user, step_id=step_id)


@router.put("/steps/{step_id}")
def update_step(
    step_id: str, body: StepUpdateBody, user: CurrentUser, session: SessionDep
) -> library_service.LibraryStepDTO:
    """Change a manual step (409 for flow-synced steps)."""
    return library_service.update_step(
        session=session, actor=user, step_id=step_id, changes=body.model_dump(exclude_unset=True)
    )


@router.delete("/steps/{step_id}", status_code=204)
def delete_step(step_id: str, user: CurrentUser, session: SessionDep) -> Response:
    """Soft-delete a manual step (409 for flow-synced steps)."""
    library_service.delete_step(session=session, actor=user, step_id=step_id)
    return Response(status_code=204)


@router.post("/steps/{step_id}/fork", status_code=201)
def fork_step(step_id: str, user: CurrentUser, session: SessionDep) -> library_service.LibraryStepDTO:
    """Make a personal, editable copy of a step."""
    return library_service.fork_step(session=session, actor=user, step_id=step_id)


@router.put("/steps/{step_id}/rating")
def rate_step(step_id: str, body: RatingBody, user: CurrentUser, session: SessionDep) -> library_service.LibraryStepDTO:
    """Rate a step 1..5 (replaces the caller's earlier rating)."""
    return library_service.rate_step(session=session, actor=user, step_id=step_id, rating=body.rating)


class StepCategoryBody(BaseModel):
    category_id: str | None = None


@router.put("/step-categories/{category_id}")
def rename_category(
    category_id: str, body: CategoryBody, user: CurrentUser, session: SessionDep
) -> library_service.CategoryDTO:
    """Rename a category (owners)."""
    return step_categories.rename_category(
        session=session, actor=user, category_id=category_id, name=body.name, description=body.description
    )


@router.delete("/step-categories/{category_id}", status_code=204)
def delete_category(category_id: str, user: CurrentUser, session: SessionDep) -> Response:
    """Delete a category (owners); its steps keep existing without one."""
    step_categories.delete_category(session=session, actor=user, category_id=category_id)
    return Response(status_code=204)


@router.put("/steps/{step_id}/category")
def assign_category(
    step_id: str, body: StepCategoryBody, user: CurrentUser, session: SessionDep
) -> library_service.LibraryStepDTO:
    """File any step of the account (flow-synced too) into a category, or `null` for none (owners and authors)."""
    step_categories.assign_category(session=session, actor=user, step_id=step_id, category_id=body.category_id)
    return library_service.get_step(session=session, actor=user, step_id=step_id)
