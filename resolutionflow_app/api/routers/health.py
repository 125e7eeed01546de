"""GET /health."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from resolutionflow_app.api.deps import SessionDep

router = APIRouter(tags=["operations"])


@router.get("/health")
def health(session: SessionDep) -> dict:
    """Liveness and database reachability."""
    try:
        session.exec(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001 - health must answer, whatever failed
        database = "error"
    dialect = session.get_bind().dialect.name
    return {"status": "ok" if database == "ok" else "degraded", "database": database, "database_backend": dialect, "version": "1.0"}
