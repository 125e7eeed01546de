"""GET /health: database, automation queue and Redis."""

from __future__ import annotations

from fastapi import APIRouter

from resolutionflow_app.api.deps import SessionDep
from resolutionflow_app.services import health as health_service

router = APIRouter(tags=["operations"])


@router.get("/health")
def health(session: SessionDep) -> dict:
    """Liveness plus the state of the database, the automation queue and Redis (when configured)."""
    return health_service.health_report(session)
