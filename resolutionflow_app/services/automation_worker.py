"""Automation dispatch + worker loop (claims queued or orphaned runs under a fresh lease), orphan and retention jobs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, update
from sqlmodel import Session, col, delete, select

from resolutionflow_app.db.engine import session_scope
from resolutionflow_app.db.models import (
    Automation,
    AutomationRun,
    AutomationStepResult,
    StoredFile,
)
from resolutionflow_app.db.sql import rowcount
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.domain.automation_definition import RecoveryMark
from resolutionflow_app.domain.run_status import TERMINAL
from resolutionflow_app.services.automation_runner import (
    RunnerDeps,
    SessionFactory,
    execute_run,
    heartbeat_timeout_seconds,
    new_lease,
)
from resolutionflow_app.settings import get_settings

log = logging.getLogger(__name__)
MAX_RECOVERIES = 5  # takeovers of one run before it is failed (a run that kills its worker every time)
HOSTNAME = socket.gethostname()[:40]


class Dispatcher(Protocol):
    """How a queued run reaches a worker. The runs table is the record of truth; a queue carries "run X"."""

    def enqueue(self, run_id: uuid.UUID, *, session: Session) -> None:
        """Called whenever a run becomes `queued`, inside the same transaction (`session`)."""

    def cancel(self, run_id: uuid.UUID, *, session: Session) -> None:
        """Called when a user cancels a run, inside the same transaction: drop or abort its job."""


class DatabaseDispatcher:
    """The embedded default (RF_QUEUE=table): workers poll the runs table, so nothing else is needed."""

    def enqueue(self, run_id: uuid.UUID, *, session: Session) -> None:
        """Nothing to do: the row with status `queued` is the message."""

    def cancel(self, run_id: uuid.UUID, *, session: Session) -> None:
        """Nothing to do: the runner polls the run's cancel flag."""


def get_dispatcher() -> Dispatcher:
    """The dispatcher of RF_QUEUE: procrastinate's (PostgreSQL) or the runs table's.

    Returns:
        The active dispatcher.
    """
    if get_settings().queue_backend == "procrastinate":
        from resolutionflow_app.services.automation_queue import ProcrastinateDispatcher  # noqa: PLC0415

        return ProcrastinateDispatcher()
    return DatabaseDispatcher()


def new_worker_id() -> str:
    """host:pid:random, stored on the runs a worker claims."""
    return f"{HOSTNAME}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Claim:
    """A run this worker now owns, and the fencing token its writes must carry."""

    run_id: uuid.UUID
    lease: str


def _pid_is_dead(worker_id: str | None) -> bool:
    """True when `worker_id` names a process on this host that no longer exists (a crash we can see)."""
    host, _, rest = (worker_id or "").partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != HOSTNAME or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by someone else
        return False
    return False


def _orphan_cutoff() -> datetime:
    return utcnow() - timedelta(seconds=heartbeat_timeout_seconds())


def _take_over(session: Session, run: AutomationRun, worker_id: str) -> Claim | None:
    """Compare-and-set takeover of one orphaned run (its lease and heartbeat unchanged since read).

    A cancel requested on it ends it `cancelled` at once; past MAX_RECOVERIES it is failed.
    """
    now = utcnow()
    attempts = RecoveryMark.of(run.definition).count + 1
    lease = new_lease()
    same = _unchanged(run)
    if run.cancel_requested or attempts > MAX_RECOVERIES:
        status, message = (
            ("cancelled", "Cancelled.")
            if run.cancel_requested
            else ("failed", "The worker running this automation stopped responding too many times.")
        )
        if rowcount(
            session.execute(
                update(AutomationRun)
                .where(*same)
                .values(status=status, lease_token=None, finished_at=now, updated_at=now, error_message=message)
            )
        ):
            _close_open_steps(session, run.id, "cancelled" if run.cancel_requested else "failed", now)
        return None
    definition = RecoveryMark(count=attempts, at=now.isoformat()).onto(run.definition)
    taken = rowcount(
        session.execute(
            update(AutomationRun)
            .where(*same)
            .values(lease_token=lease, worker_id=worker_id, heartbeat_at=now, updated_at=now, definition=definition)
        )
    )
    if not taken:
        return None
    log.warning(
        "automation run %s: worker %s stopped heartbeating; taken over by %s (attempt %s)",
        run.id,
        run.worker_id,
        worker_id,
        attempts,
    )
    return Claim(run.id, lease)


def _unchanged(run: AutomationRun) -> list[Any]:
    """WHERE clauses: the run still has the lease and worker we read, and (unless we saw its process
    die) still no recent heartbeat; a worker that heartbeats meanwhile keeps its run."""
    clauses: list[Any] = [AutomationRun.id == run.id, AutomationRun.status == "running"]
    clauses.append(
        AutomationRun.lease_token == run.lease_token
        if run.lease_token is not None
        else col(AutomationRun.lease_token).is_(None)
    )
    clauses.append(
        AutomationRun.worker_id == run.worker_id
        if run.worker_id is not None
        else col(AutomationRun.worker_id).is_(None)
    )
    if not _pid_is_dead(run.worker_id):
        clauses.append(
            func.coalesce(AutomationRun.heartbeat_at, AutomationRun.started_at, AutomationRun.updated_at)
            < _orphan_cutoff()
        )
    return clauses


def _close_open_steps(session: Session, run_id: uuid.UUID, status: str, now: datetime) -> None:
    message = "Cancelled by a user." if status == "cancelled" else "The worker stopped."
    session.execute(
        update(AutomationStepResult)
        .where(col(AutomationStepResult.automation_run_id) == run_id, col(AutomationStepResult.status) == "running")
        .values(status=status, error_message=message, finished_at=now, updated_at=now)
    )


def find_orphans(*, session: Session, limit: int = 20) -> list[AutomationRun]:
    """Running runs whose worker is gone: no heartbeat within the timeout, or a dead process on this host.

    Args:
        session: DB session.
        limit: how many to return at most.

    Returns:
        The orphaned runs (ORM rows, as read).
    """
    cutoff = _orphan_cutoff()
    last_sign = func.coalesce(AutomationRun.heartbeat_at, AutomationRun.started_at, AutomationRun.updated_at)
    local = col(AutomationRun.worker_id).like(f"{HOSTNAME}:%")
    rows = session.exec(
        select(AutomationRun)
        .where(AutomationRun.status == "running", (last_sign < cutoff) | local)
        .order_by(col(AutomationRun.heartbeat_at))
        .limit(limit * 4)
    ).all()
    return [
        r for r in rows if _as_utc(r.heartbeat_at or r.started_at or r.updated_at) < cutoff or _pid_is_dead(r.worker_id)
    ][:limit]


def _as_utc(value: datetime) -> datetime:

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def claim_run(*, session: Session, worker_id: str, orphans: bool = True) -> Claim | None:
    """Claim the oldest queued run, or take over an orphaned one, under a fresh lease; None when idle.

    Args:
        session: DB session (committed by the caller).
        worker_id: who claims it.
        orphans: also take over runs whose worker stopped heartbeating.

    Returns:
        The claim (run id + lease), or None.
    """
    candidates = session.exec(
        select(AutomationRun.id)
        .where(AutomationRun.status == "queued")
        .order_by(col(AutomationRun.created_at), col(AutomationRun.id))
        .limit(5)
    ).all()
    now = utcnow()
    for run_id in candidates:
        lease = new_lease()
        claimed = rowcount(
            session.execute(
                update(AutomationRun)
                .where(col(AutomationRun.id) == run_id, col(AutomationRun.status) == "queued")
                .values(
                    status="running",
                    worker_id=worker_id,
                    lease_token=lease,
                    heartbeat_at=now,
                    started_at=func.coalesce(AutomationRun.started_at, now),
                    updated_at=now,
                )
            )
        )
        if claimed == 1:
            return Claim(run_id, lease)
    if orphans:
        for run in find_orphans(session=session, limit=5):
            claim = _take_over(session, run, worker_id)
            if claim is not None:
                return claim
    return None


def claim_run_by_id(
    *, session: Session, run_id: uuid.UUID, worker_id: str, previous_holder: str | None = None
) -> Claim | None:
    """Claim one given run (a queue job names it) under a fresh lease; None when it is not ours to run.

    A queued run is claimed by compare-and-set. A running one is taken over when its worker is gone
    (heartbeat timeout or dead local process), or at once when `previous_holder` holds it: an earlier
    attempt of the same job, which has ended (the queue retries a job only after its attempt ended).

    Args:
        session: DB session (committed by the caller).
        run_id: the run.
        worker_id: who claims it.
        previous_holder: the worker id an earlier attempt of this job stored on the run.

    Returns:
        The claim, or None (finished, cancelled, or running under a live worker).
    """
    now = utcnow()
    lease = new_lease()
    claimed = rowcount(
        session.execute(
            update(AutomationRun)
            .where(col(AutomationRun.id) == run_id, col(AutomationRun.status) == "queued")
            .values(
                status="running",
                worker_id=worker_id,
                lease_token=lease,
                heartbeat_at=now,
                started_at=func.coalesce(AutomationRun.started_at, now),
                updated_at=now,
            )
        )
    )
    if claimed == 1:
        return Claim(run_id, lease)
    run = session.exec(
        select(AutomationRun).where(AutomationRun.id == run_id, AutomationRun.status == "running")
    ).first()
    if run is None:
        return None
    if previous_holder is not None and run.worker_id == previous_holder:
        taken = rowcount(
            session.execute(
                update(AutomationRun)
                .where(
                    col(AutomationRun.id) == run_id,
                    col(AutomationRun.status) == "running",
                    col(AutomationRun.worker_id) == previous_holder,
                    col(AutomationRun.lease_token) == run.lease_token
                    if run.lease_token is not None
                    else col(AutomationRun.lease_token).is_(None),
                )
                .values(lease_token=lease, worker_id=worker_id, heartbeat_at=now, updated_at=now)
            )
        )
        return Claim(run_id, lease) if taken else None
    cutoff = _orphan_cutoff()
    if _as_utc(run.heartbeat_at or run.started_at or run.updated_at) < cutoff or _pid_is_dead(run.worker_id):
        return _take_over(session, run, worker_id)
    return None


def claim_next_run(*, session: Session, worker_id: str) -> uuid.UUID | None:
    """Claim the oldest queued (or an orphaned) run atomically; None when idle.

    Args:
        session: DB session (committed by the caller).
        worker_id: who claims it.

    Returns:
        The claimed run's id, or None.
    """
    claim = claim_run(session=session, worker_id=worker_id)
    return claim.run_id if claim else None


def cancel_orphaned(*, session: Session, run_id: uuid.UUID) -> bool:
    """Cancel a running run at once when its worker is gone (nobody would see the cancel flag).

    Args:
        session: DB session (the caller's transaction).
        run_id: the run.

    Returns:
        True when the run was orphaned and is now `cancelled` (its running step too).
    """
    run = session.exec(
        select(AutomationRun).where(AutomationRun.id == run_id, AutomationRun.status == "running")
    ).first()
    if run is None:
        return False
    cutoff = _orphan_cutoff()
    if not (_as_utc(run.heartbeat_at or run.started_at or run.updated_at) < cutoff or _pid_is_dead(run.worker_id)):
        return False
    now = utcnow()
    same = _unchanged(run)
    done = rowcount(
        session.execute(
            update(AutomationRun)
            .where(*same)
            .values(
                status="cancelled",
                cancel_requested=True,
                lease_token=None,
                finished_at=now,
                updated_at=now,
                error_message="Cancelled.",
            )
        )
    )
    if done:
        _close_open_steps(session, run.id, "cancelled", now)
    return bool(done)


def _claim(session_factory: SessionFactory, worker_id: str) -> Claim | None:
    with session_factory() as session:
        return claim_run(session=session, worker_id=worker_id)


async def worker_loop(
    *,
    worker_id: str | None = None,
    concurrency: int | None = None,
    poll_seconds: float | None = None,
    session_factory: SessionFactory = session_scope,
    deps: RunnerDeps | None = None,
    stop: asyncio.Event | None = None,
    max_runs: int | None = None,
    grace_seconds: float = 0.0,
) -> int:
    """Claim queued (or orphaned) runs and execute them, up to `concurrency` at a time, until `stop` is set.

    On stop, runs in flight get `grace_seconds` to finish; the rest are cancelled, which hands
    them back to the queue at once (their completed steps are kept).

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
                    claim = await asyncio.to_thread(_claim, session_factory, worker_id)
                except Exception:
                    log.exception("claiming a run failed")
                    claim = None
                if claim is None:
                    break
                executed += 1
                active.add(
                    asyncio.create_task(
                        execute_run(
                            claim.run_id,
                            session_factory=session_factory,
                            deps=deps,
                            worker_id=worker_id,
                            lease=claim.lease,
                        ),
                        name=f"rf-run-{claim.run_id}",
                    )
                )
            if max_runs is not None and executed >= max_runs and not active:
                break
            if active:
                finished, _ = await asyncio.wait(active, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    active.discard(task)
                    if not task.cancelled() and task.exception() is not None:
                        log.error("run task failed: %s", task.exception())
            elif stop is not None:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=poll)
            else:
                await asyncio.sleep(poll)
    finally:
        if active and grace_seconds > 0:
            log.info("worker %s stopping: waiting up to %.0f s for %s run(s)", worker_id, grace_seconds, len(active))
            await asyncio.wait(active, timeout=grace_seconds)
        for task in active:
            task.cancel()  # the runner hands its run back to the queue
        if active:
            await asyncio.gather(*active, return_exceptions=True)
    return executed


async def default_worker() -> None:
    """The table-queue worker (in-process or `resolutionflow worker`); listed in workers_registry."""
    await worker_loop()


# ---------------------------------------------------------------- periodic jobs


def cleanup_zombie_runs(*, session: Session) -> int:
    """Recover runs whose worker stopped (no heartbeat for the heartbeat timeout): requeue them so a
    worker resumes them (completed steps are kept), or fail them after MAX_RECOVERIES attempts.
    Workers also take orphans over directly; this job covers deployments where none is idle.

    Args:
        session: DB session.

    Returns:
        How many runs were recovered or failed.
    """
    cutoff = _orphan_cutoff()
    dispatcher = get_dispatcher()
    last_sign = func.coalesce(AutomationRun.heartbeat_at, AutomationRun.started_at, AutomationRun.updated_at)
    rows = session.exec(select(AutomationRun).where(AutomationRun.status == "running", last_sign < cutoff)).all()
    count = 0
    for run in rows:
        attempts = RecoveryMark.of(run.definition).count + 1
        now = utcnow()
        if attempts > MAX_RECOVERIES:
            values: dict[str, Any] = {
                "status": "failed",
                "lease_token": None,
                "finished_at": now,
                "updated_at": now,
                "error_message": "The worker running this automation stopped responding too many times.",
            }
            session.execute(
                update(AutomationStepResult)
                .where(
                    col(AutomationStepResult.automation_run_id) == run.id, col(AutomationStepResult.status) == "running"
                )
                .values(status="failed", error_message="The worker stopped.", finished_at=now)
            )
        else:
            values = {
                "status": "queued",
                "worker_id": None,
                "lease_token": None,
                "updated_at": now,
                "definition": RecoveryMark(count=attempts, at=now.isoformat()).onto(run.definition),
            }
        changed = rowcount(
            session.execute(
                update(AutomationRun)
                .where(col(AutomationRun.id) == run.id, col(AutomationRun.status) == "running", last_sign < cutoff)
                .values(**values)
            )
        )
        count += changed or 0
        if changed and values["status"] == "queued":
            dispatcher.enqueue(run.id, session=session)
    # A run queued for a long time may have lost its job (a job retried too often, a queue wiped):
    # give it one again. A job still waiting makes this a no-op (queueing lock); a duplicate job finds
    # the run claimed by compare-and-set and does nothing.
    stale_queued = session.exec(
        select(AutomationRun.id).where(
            AutomationRun.status == "queued",
            AutomationRun.updated_at < utcnow() - timedelta(seconds=4 * heartbeat_timeout_seconds()),
        )
    ).all()
    for run_id in stale_queued:
        dispatcher.enqueue(run_id, session=session)
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
    for automation in session.exec(select(Automation).where(col(Automation.data_retention_days).is_not(None))).all():
        if automation.data_retention_days is None:
            continue
        cutoff = now - timedelta(days=int(automation.data_retention_days))
        run_ids = list(
            session.exec(
                select(AutomationRun.id).where(
                    AutomationRun.automation_id == automation.id,
                    col(AutomationRun.status).in_(TERMINAL),
                    AutomationRun.created_at < cutoff,
                )
            ).all()
        )
        if not run_ids:
            continue
        session.exec(delete(StoredFile).where(col(StoredFile.automation_run_id).in_(run_ids)))
        session.exec(delete(AutomationStepResult).where(col(AutomationStepResult.automation_run_id).in_(run_ids)))
        total += rowcount(session.exec(delete(AutomationRun).where(col(AutomationRun.id).in_(run_ids)))) or 0
    return total
