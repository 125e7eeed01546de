"""GET /health: database, automation queue and Redis."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from resolutionflow_app import entry
from resolutionflow_app.services import health as health_service

router = APIRouter(tags=["operations"])


def _report() -> dict:
    with entry.unit_of_work() as session:
        return health_service.health_report(session)


@router.get("/health")
async def health() -> dict:
    """Liveness plus the state of the database, the automation queue and Redis (when configured)."""
    # One thread-pool hop for the whole check. Through SessionDep, opening the session, the endpoint and the commit
    # took a hop each, the larger part of this often-polled endpoint's cost. The session is opened and closed inside
    # that one call, so it cannot hold a connection while waiting for a thread (deps.REQUEST_SESSIONS).
    return await run_in_threadpool(_report)
