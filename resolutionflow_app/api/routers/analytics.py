"""Analytics API: most-used library steps, popular ad-hoc steps and promoting them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from resolutionflow_app.api.deps import CurrentUser, Paging, SessionDep, page
from resolutionflow_app.services import analytics as analytics_service
from resolutionflow_app.services.library import LibraryStepDTO

router = APIRouter(tags=["analytics"])


class PromoteBody(BaseModel):
    content: str = Field(max_length=10000)
    title: str | None = Field(default=None, max_length=255)
    visibility: str | None = "team"


@router.get("/analytics/ad-hoc-steps")
def ad_hoc_steps(
    *,
    min_sessions: int = Query(1, ge=1, le=100000, description="Only texts typed in at least this many sessions"),
    paging: Paging = Depends(),
    user: CurrentUser,
    session: SessionDep,
) -> dict:
    """Ad-hoc steps typed in sessions of the caller's account, most sessions first (API.md lists every one by
    default)."""
    items, total = analytics_service.popular_ad_hoc_steps(
        session=session, actor=user, limit=paging.limit, offset=paging.offset, min_sessions=min_sessions
    )
    return page(items, total)


@router.post("/analytics/ad-hoc-steps/promote", status_code=201)
def promote(body: PromoteBody, user: CurrentUser, session: SessionDep) -> LibraryStepDTO:
    """Create a manual library step from an ad-hoc step's text."""
    return analytics_service.promote_ad_hoc_step(
        session=session, actor=user, content=body.content, title=body.title, visibility=body.visibility or "team"
    )


@router.get("/analytics/most-used-steps")
def most_used(
    *,
    limit: int = Query(10, ge=1, le=100),
    offset: int = Query(0, ge=0, le=10000),
    user: CurrentUser,
    session: SessionDep,
) -> dict:
    """The most inserted library steps the caller may see (top 100; limit + offset page through them)."""
    items = analytics_service.most_used_steps(session=session, actor=user, limit=100)
    return page(items[offset : offset + limit], len(items))
