"""What GET /health reports: the database, the automation queue and Redis (when configured)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from resolutionflow_app.db.models import AutomationRun
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.domain.run_status import RunStatus
from resolutionflow_app.settings import get_settings

# A queued run older than this with nobody taking it means no worker is consuming the queue.
QUEUE_STALL_SECONDS = 120


def _age_seconds(value: Any, now: Any) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=now.tzinfo)
    return max(0, int((now - value).total_seconds()))


def queue_report(session: Session) -> dict[str, Any]:
    """Queued and running runs, runs whose worker stopped heartbeating, and the oldest queued run's age."""
    settings = get_settings()
    now = utcnow()
    counts = dict(
        session.exec(
            select(col(AutomationRun.status), func.count())
            .where(col(AutomationRun.status).in_((RunStatus.QUEUED, RunStatus.RUNNING)))
            .group_by(col(AutomationRun.status))
        ).all()
    )
    stale_before = now - timedelta(seconds=settings.run_heartbeat_timeout_seconds)
    stale = session.exec(
        select(func.count())
        .select_from(AutomationRun)
        .where(col(AutomationRun.status) == RunStatus.RUNNING, col(AutomationRun.heartbeat_at) < stale_before)
    ).one()
    oldest = session.exec(
        select(func.min(AutomationRun.created_at)).where(AutomationRun.status == RunStatus.QUEUED)
    ).one()
    age = _age_seconds(oldest, now)
    status = "degraded" if (age is not None and age > QUEUE_STALL_SECONDS) else "ok"
    return {
        "status": status,
        "mode": settings.worker_mode,
        "queued": int(counts.get(RunStatus.QUEUED, 0)),
        "running": int(counts.get(RunStatus.RUNNING, 0)),
        "stale_running": int(stale),
        "oldest_queued_seconds": age,
    }


def health_report(session: Session) -> dict[str, Any]:
    """`{status, database, database_backend, queue, redis, degraded, version}`; never raises (a failing part says
    so)."""
    try:
        session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001 - health must answer, whatever failed
        database = "error"
    try:
        queue = queue_report(session) if database == "ok" else {"status": "unknown"}
    except Exception:  # noqa: BLE001
        queue = {"status": "error"}
    url = get_settings().redis_url
    if url:
        from resolutionflow_app.integrations.redis_limiter import ping  # noqa: PLC0415 - only with Redis configured

        redis = ping(url)
    else:
        redis = "not configured"
    # `status` follows the database (the app cannot serve without it); a stalled queue or an unreachable
    # Redis is listed in `degraded` so monitors can alert on it without the whole app reading as down.
    degraded = [
        name
        for name, bad in (("queue", queue.get("status") != "ok"), ("redis", redis not in ("ok", "not configured")))
        if bad
    ]
    return {
        "status": "ok" if database == "ok" else "error",
        "database": database,
        "database_backend": session.get_bind().dialect.name,
        "queue": queue,
        "redis": redis,
        "degraded": degraded,
        "version": "1.0",
    }
