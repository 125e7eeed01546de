"""Automation dispatch + worker loop (claims queued runs by compare-and-set), zombie and retention jobs."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import func, update
from sqlmodel import Session, delete, select

from resolutionflow_app.db.engine import session_scope
from resolutionflow_app.db.models import Automation, AutomationRun, AutomationStepResult, StoredFile
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.services.automation_runner import RunnerDeps, SessionFactory, execute_run
from resolutionflow_app.services.jobs import PeriodicJob, register_job
from resolutionflow_app.settings import get_settings

log = logging.getLogger(__name__)
MAX_RECOVERIES = 3


class Dispatcher(Protocol):
    """How a queued run reaches a worker. The runs table is the queue; a broker may add a nudge."""

    def enqueue(self, run_id: uuid.UUID) -> None:
        """Called after a run was queued (in the same transaction)."""


class DatabaseDispatcher:
    """The embedded default: workers poll the runs table, so enqueueing needs no extra work."""

    def enqueue(self, run_id: uuid.UUID) -> None:
        """Nothing to do: the row with status `queued` is the message."""


_dispatcher: Dispatcher = DatabaseDispatcher()


def get_dispatcher() -> Dispatcher:
    """The active dispatcher."""
    return _dispatcher


def set_dispatcher(dispatcher: Dispatcher) -> None:
    """Swap the dispatcher (a PostgreSQL queue, tests)."""
    global _dispatcher
    _dispatcher = dispatcher


def new_worker_id() -> str:
    """host:pid:random, stored on the runs a worker claims."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim_next_run(*, session: Session, worker_id: str) -> uuid.UUID | None:
    """Claim the oldest queued run atomically (UPDATE ... WHERE status='queued'); None when idle.

    Args:
        session: DB session (committed by the caller).
        worker_id: who claims it.

    Returns:
        The claimed run's id, or None.
    """
    candidates = session.exec(select(AutomationRun.id).where(AutomationRun.status == "queued").order_by(AutomationRun.created_at, AutomationRun.id).limit(5)).all()
    now = utcnow()
    for run_id in candidates:
        claimed = session.execute(
            update(AutomationRun)
            .where(AutomationRun.id == run_id, AutomationRun.status == "queued")
            .values(status="running", worker_id=worker_id, heartbeat_at=now, started_at=func.coalesce(AutomationRun.started_at, now), updated_at=now)
        ).rowcount
        if claimed == 1:
            return run_id
    return None


def _claim(session_factory: SessionFactory, worker_id: str) -> uuid.UUID | None:
    with session_factory() as session:
        return claim_next_run(session=session, worker_id=worker_id)


async def worker_loop(*, worker_id: str | None = None, concurrency: int | None = None, poll_seconds: float | None = None, session_factory: SessionFactory = session_scope, deps: RunnerDeps | None = None, stop: asyncio.Event | None = None, max_runs: int | None = None) -> int:
    """Claim queued runs and execute them, up to `concurrency` at a time, until `stop` is set.

    Returns:
        How many runs it executed.
    """
    worker_id = worker_id or new_worker_id()
    settings = get_settings()
    concurrency = concurrency or settings.worker_concurrency
    poll = poll_seconds or settings.worker_poll_seconds
    active: set[asyncio.Task[Any]] = set()
    executed = 0
    log.info("automation worker %s started", worker_id)
    try:
        while not (stop and stop.is_set()):
            while len(active) < concurrency and (max_runs is None or executed < max_runs):
                try:
                    # A short DB write, off the event loop (it is shared with the Reflex backend).
                    run_id = await asyncio.to_thread(_claim, session_factory, worker_id)
                except Exception:  # noqa: BLE001 - a DB hiccup must not kill the loop
                    log.exception("claiming a run failed")
                    run_id = None
                if run_id is None:
                    break
                executed += 1
                active.add(asyncio.create_task(execute_run(run_id, session_factory=session_factory, deps=deps, worker_id=worker_id), name=f"rf-run-{run_id}"))
            if max_runs is not None and executed >= max_runs and not active:
                break
            if active:
                finished, _ = await asyncio.wait(active, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    active.discard(task)
                    if not task.cancelled() and task.exception() is not None:
                        log.error("run task failed: %s", task.exception())
            else:
                await asyncio.sleep(poll)
    finally:
        for task in active:
            task.cancel()
    return executed


async def default_worker() -> None:
    """The worker registered in background.WORKERS (in-process or `resolutionflow worker`)."""
    await worker_loop()


def _register_worker() -> None:
    from resolutionflow_app import background  # noqa: PLC0415

    if default_worker not in background.WORKERS:
        background.WORKERS.append(default_worker)


_register_worker()


# ---------------------------------------------------------------- periodic jobs

def cleanup_zombie_runs(*, session: Session) -> int:
    """Recover runs stuck in `running` (no heartbeat for RF_ZOMBIE_RUN_HOURS): requeue them so a
    worker resumes them (completed steps are kept), or fail them after MAX_RECOVERIES attempts.

    Args:
        session: DB session.

    Returns:
        How many runs were recovered or failed.
    """
    cutoff = utcnow() - timedelta(hours=get_settings().zombie_run_hours)
    last_sign = func.coalesce(AutomationRun.heartbeat_at, AutomationRun.started_at, AutomationRun.updated_at)
    rows = session.exec(select(AutomationRun).where(AutomationRun.status == "running", last_sign < cutoff)).all()
    count = 0
    for run in rows:
        definition = dict(run.definition or {})
        meta = dict(definition.get("_recovery") or {})
        attempts = int(meta.get("count", 0)) + 1
        now = utcnow()
        if attempts > MAX_RECOVERIES:
            values: dict[str, Any] = {"status": "failed", "finished_at": now, "updated_at": now, "error_message": "The worker running this automation stopped responding too many times."}
            session.execute(update(AutomationStepResult).where(AutomationStepResult.automation_run_id == run.id, AutomationStepResult.status == "running").values(status="failed", error_message="The worker stopped.", finished_at=now))
        else:
            definition["_recovery"] = {"count": attempts, "at": now.isoformat()}
            values = {"status": "queued", "worker_id": None, "updated_at": now, "definition": definition}
        changed = session.execute(update(AutomationRun).where(AutomationRun.id == run.id, AutomationRun.status == "running", last_sign < cutoff).values(**values)).rowcount
        count += changed or 0
    return count


def cleanup_retention(*, session: Session) -> int:
    """Delete finished runs older than their automation's `data_retention_days`, with their files.

    Args:
        session: DB session.

    Returns:
        How many runs were deleted.
    """
    now = utcnow()
    total = 0
    for automation in session.exec(select(Automation).where(Automation.data_retention_days.is_not(None))).all():
        cutoff = now - timedelta(days=int(automation.data_retention_days))
        run_ids = list(session.exec(select(AutomationRun.id).where(AutomationRun.automation_id == automation.id, AutomationRun.status.in_(("completed", "failed", "cancelled")), AutomationRun.created_at < cutoff)).all())
        if not run_ids:
            continue
        session.exec(delete(StoredFile).where(StoredFile.automation_run_id.in_(run_ids)))
        session.exec(delete(AutomationStepResult).where(AutomationStepResult.automation_run_id.in_(run_ids)))
        total += session.exec(delete(AutomationRun).where(AutomationRun.id.in_(run_ids))).rowcount or 0
    return total


register_job(PeriodicJob("cleanup-zombie-runs", 3600, cleanup_zombie_runs, "Requeue (or fail) automation runs whose worker stopped"))
register_job(PeriodicJob("cleanup-retention", 3600, cleanup_retention, "Delete automation runs and their files after data_retention_days"))
