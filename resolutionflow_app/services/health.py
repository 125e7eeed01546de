"""What GET /health reports: the database, the automation queue and Redis (when configured)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, func, text
from sqlmodel import Session, col, select

from resolutionflow_app.db.models import AutomationRun
from resolutionflow_app.db.types import UTCDateTime, utcnow
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


_QUEUED = col(AutomationRun.status) == RunStatus.QUEUED
_RUNNING = col(AutomationRun.status) == RunStatus.RUNNING
# Built once, one round trip: health is polled often (load balancers, monitors, several app workers), and building
# three statements per call cost more than running them.
_QUEUE_COUNTS = select(
    func.count(case((_QUEUED, 1))),
    func.count(case((_RUNNING, 1))),
    func.count(
        case((and_(_RUNNING, col(AutomationRun.heartbeat_at) < bindparam("stale_before", type_=UTCDateTime())), 1))
    ),
    func.min(case((_QUEUED, col(AutomationRun.created_at)))),
).where(col(AutomationRun.status).in_((RunStatus.QUEUED, RunStatus.RUNNING)))


def queue_report(session: Session) -> dict[str, Any]:
    """Queued and running runs, runs whose worker stopped heartbeating, and the oldest queued run's age."""
    settings = get_settings()
    now = utcnow()
    stale_before = now - timedelta(seconds=settings.run_heartbeat_timeout_seconds)
    queued, running, stale, oldest = session.execute(_QUEUE_COUNTS, {"stale_before": stale_before}).one()
    age = _age_seconds(oldest, now)
    status = "degraded" if (age is not None and age > QUEUE_STALL_SECONDS) else "ok"
    return {
        "status": status,
        "mode": settings.worker_mode,
        "queued": int(queued or 0),
        "running": int(running or 0),
        "stale_running": int(stale or 0),
        "oldest_queued_seconds": age,
    }


def health_report(session: Session) -> dict[str, Any]:
    """`{status, database, database_backend, queue, redis, degraded, version}`; never raises (a failing part says
    so)."""
    # The queue query is the database check too: a second round trip (SELECT 1) only when it failed, to tell a
    # broken queue query from an unreachable database.
    try:
        queue = queue_report(session)
        database = "ok"
    except Exception:  # noqa: BLE001 - health must answer, whatever failed
        try:
            session.rollback()
            session.execute(text("SELECT 1"))
            database, queue = "ok", {"status": "error"}
        except Exception:  # noqa: BLE001
            database, queue = "error", {"status": "unknown"}
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
