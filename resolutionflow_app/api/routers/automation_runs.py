"""Automation runs (`/automation-runs`): read, list, resume, cancel."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query

from resolutionflow_app.api.deps import CurrentUser, SessionDep, page
from resolutionflow_app.services import automation_runs as service

router = APIRouter(tags=["automations"])


@router.get("/automation-runs")
def list_runs(
    *,
    automation_id: uuid.UUID | None = None,
    status: str | None = Query(None, max_length=20),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    user: CurrentUser,
    session: SessionDep,
) -> dict:
    """Runs of the account, newest first."""
    return page(
        *service.list_runs(
            session=session,
            actor=user,
            automation_id=automation_id,
            status=status,
            limit=limit,
            offset=min(offset, 2**62),
        )
    )  # huge offsets: an empty page, not a DB overflow


@router.get("/automation-runs/{run_id}")
def get_run(run_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> service.RunDTO:
    """A run with its step results."""
    return service.get_run(session=session, actor=user, run_id=run_id)


@router.post("/automation-runs/{run_id}/resume", status_code=202)
def resume_run(run_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> service.RunDTO:
    """Queue a failed/cancelled run again (seed hash rules decide where it restarts)."""
    return service.resume_run(session=session, actor=user, run_id=run_id)


@router.delete("/automation-runs/{run_id}", status_code=202)
def cancel_run(run_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> service.RunDTO:
    """Cancel a run; it ends `cancelled` (a running one at its next step boundary)."""
    return service.cancel_run(session=session, actor=user, run_id=run_id)
