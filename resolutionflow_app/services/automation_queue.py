"""Automation runs and periodic jobs through procrastinate on PostgreSQL: the dispatcher, the tasks, the worker.

A run is one job (`rf.run_automation`, queueing lock = the run id) inserted in the transaction that
queues the run, so a job exists exactly when a queued run was committed. The job only says "run X":
the task claims the run in the runs table by compare-and-set under a fresh lease and hands it to
the shared runner, so a duplicate or late job finds nothing to do. Failures of the database (a
restart) are retried with exponential backoff; a cancel aborts the job; a shutdown hands the run
back. Periodic jobs are procrastinate periodic tasks: every worker defers them, procrastinate
keeps one execution per period across all workers. A killed worker's jobs stay `doing` in
procrastinate; the periodic `rf.end_stalled_jobs` task ends them `failed` and prunes the dead worker
(its run is resumed by the orphan logic of the runs table, under a new job).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import procrastinate
from procrastinate import exceptions as pq_exceptions
from procrastinate.job_context import AbortReason, JobContext
from procrastinate.jobs import Status
from procrastinate.manager import JobManager
from sqlmodel import Session

from resolutionflow_app.db.engine import session_scope
from resolutionflow_app.db.models import AutomationRun
from resolutionflow_app.integrations import task_queue
from resolutionflow_app.services.automation_runner import (
    RunnerDeps,
    SessionFactory,
    execute_run,
    heartbeat_timeout_seconds,
)
from resolutionflow_app.services.automation_worker import (
    Claim,
    claim_run_by_id,
    new_worker_id,
)
from resolutionflow_app.services.jobs import PeriodicJob
from resolutionflow_app.settings import get_settings

log = logging.getLogger(__name__)

RUN_TASK = "rf.run_automation"
# Transient failures (the database restarting, a lost connection) retry the job: 2, 4, 8 ... 64 s.
RUN_RETRY = procrastinate.RetryStrategy(max_attempts=8, exponential_wait=2)
SHUTDOWN_GRACE_SECONDS = 5.0  # runs in flight at a worker's stop get this long, then go back to the queue
STALLED_TASK = "rf.end_stalled_jobs"
# Never call a procrastinate worker dead sooner than this (procrastinate's own heartbeat interval), even
# with a short RF_RUN_HEARTBEAT_TIMEOUT_SECONDS: a false alarm costs more here than for a run (a live
# worker's jobs would end `failed` and its row be pruned), and a busy worker's heartbeat was seen
# arriving 2-3 s late when a run starts on it.
MIN_STALLED_WORKER_SECONDS = 10.0


def stalled_worker_seconds() -> float:
    """How long a procrastinate worker may go without a heartbeat before it counts as dead.

    The run heartbeat timeout (RF_RUN_HEARTBEAT_TIMEOUT_SECONDS, 30 s by default, which is also
    procrastinate's default), at least MIN_STALLED_WORKER_SECONDS.
    """
    return max(MIN_STALLED_WORKER_SECONDS, heartbeat_timeout_seconds())


def worker_heartbeat_seconds() -> float:
    """How often a procrastinate worker writes its heartbeat: three beats per stall timeout, at most every 10 s."""
    return min(10.0, stalled_worker_seconds() / 3)


def _driver_connection(session: Session) -> Any:
    """The psycopg connection under the session, inside its open transaction."""
    return session.connection().connection.driver_connection


class ProcrastinateDispatcher:
    """RF_QUEUE=procrastinate: a run's job is written in the transaction that queues or cancels the run."""

    def enqueue(self, run_id: uuid.UUID, *, session: Session) -> None:
        """Defer `rf.run_automation(run_id)` in the session's transaction (no-op when one is waiting).

        Args:
            run_id: the queued run.
            session: the transaction that queued it.
        """
        task_queue.defer_in_transaction(
            _driver_connection(session),
            RUN_TASK,
            queue=task_queue.RUNS_QUEUE,
            queueing_lock=str(run_id),
            run_id=str(run_id),
        )

    def cancel(self, run_id: uuid.UUID, *, session: Session) -> None:
        """Cancel the run's waiting job, or ask the worker running it to abort it.

        Args:
            run_id: the run a user cancels.
            session: the transaction that records the cancel.
        """
        task_queue.cancel_in_transaction(_driver_connection(session), str(run_id))


def _job_worker_id(job_id: int | None) -> str:
    """host:pid:job<id>: the job id lets a retry of the same job recognise its earlier attempt's claim."""
    return f"{new_worker_id().rsplit(':', 1)[0]}:job{job_id}"


def _claim(session_factory: SessionFactory, run_id: uuid.UUID, worker_id: str, job_id: int | None) -> Claim | None:
    # Any attempt of this job on any host stored a worker id ending in :job<id>; only one attempt runs at a time.
    previous = None
    with session_factory() as session:
        holder = session.get(AutomationRun, run_id)
        if holder is not None and (holder.worker_id or "").endswith(f":job{job_id}"):
            previous = holder.worker_id
        return claim_run_by_id(session=session, run_id=run_id, worker_id=worker_id, previous_holder=previous)


async def run_automation_job(
    context: JobContext, run_id: str, *, session_factory: SessionFactory = session_scope, deps: RunnerDeps | None = None
) -> str:
    """The body of `rf.run_automation`: claim the run, execute it with the shared runner.

    Args:
        context: procrastinate's job context (job id, abort reason).
        run_id: the run (its id as text).
        session_factory: short DB sessions.
        deps: outbound adapters (None: the real ones).

    Returns:
        The run's final status, '' when another worker owns it, 'skipped' when it was not claimable.

    Raises:
        procrastinate.exceptions.JobAborted: a user cancelled the run while it ran (no retry).
    """
    rid = uuid.UUID(run_id)
    job_id = context.job.id
    worker_id = _job_worker_id(job_id)
    # The claim is a short synchronous transaction: off the event loop (it may be the app's).
    claim = await asyncio.to_thread(_claim, session_factory, rid, worker_id, job_id)
    if claim is None:
        return "skipped"
    try:
        status = await execute_run(
            rid, session_factory=session_factory, deps=deps, worker_id=worker_id, lease=claim.lease
        )
    except asyncio.CancelledError:
        # The runner has handed the run back (shutdown: queued again, retried by this job) or ended it
        # cancelled (a user's cancel). A user's abort must not be retried.
        if context.abort_reason() == AbortReason.USER_REQUEST:
            raise pq_exceptions.JobAborted() from None
        raise
    if status == "cancelled":
        # The runner saw the cancel flag before the abort arrived: the job still ends `aborted`, never retried.
        raise pq_exceptions.JobAborted()
    return status


@dataclass
class StalledSweep:
    """What one pass of `end_stalled_jobs` did (procrastinate ids)."""

    failed_jobs: list[int] = field(default_factory=list)
    pruned_workers: list[int] = field(default_factory=list)
    skipped: bool = False


async def end_stalled_jobs(
    job_manager: JobManager, *, stalled_seconds: float, own_job_id: int | None = None
) -> StalledSweep:
    """End the jobs left `doing` by dead workers (`failed`, never retried) and prune those workers.

    Nothing is run again here. A run job's run is recovered from the runs table: `cleanup-zombie-runs`
    requeues it once its heartbeat stops and defers a new job (the queueing lock only covers waiting
    jobs), which resumes it under a new lease after its completed steps. Retrying the old job instead
    would add a second job for the same run (or collide with that new one on the queueing lock). A
    periodic job's next period defers a fresh job anyway.

    Args:
        job_manager: the worker App's job manager.
        stalled_seconds: a worker whose last heartbeat is older than this is dead.
        own_job_id: the job running this sweep; when it is listed as stalled, this very worker's
            heartbeat is late (a busy event loop), so nothing is done this time.

    Returns:
        The ids of the jobs ended and of the workers pruned.
    """
    stalled = list(await job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_seconds))
    if own_job_id is not None and any(job.id == own_job_id for job in stalled):
        # Pruning now would delete this live worker and fail its own jobs.
        log.warning(
            "stalled-job sweep skipped: this worker's own heartbeat is older than %.0f s",
            stalled_seconds,
            extra={"action": "stalled_sweep_skipped", "procrastinate_job_id": own_job_id},
        )
        return StalledSweep(skipped=True)
    sweep = StalledSweep()
    for job in stalled:
        if job.id is None:
            continue
        try:
            await job_manager.finish_job_by_id_async(job.id, status=Status.FAILED, delete_job=False)
        except pq_exceptions.ConnectorException:
            # Finished meanwhile (its worker was only late, or another sweep got it first).
            log.info("stalled job %s was no longer doing", job.id, extra={"procrastinate_job_id": job.id})
            continue
        sweep.failed_jobs.append(job.id)
        log.warning(
            "procrastinate job %s (%s) ended failed: its worker stopped heartbeating",
            job.id,
            job.task_name,
            extra={
                "action": "stalled_job_failed",
                "procrastinate_job_id": job.id,
                "task_name": job.task_name,
                "queue": job.queue,
                "queueing_lock": job.queueing_lock,  # the run id for rf.run_automation
                "procrastinate_worker_id": job.worker_id,
                "attempts": job.attempts,
            },
        )
    sweep.pruned_workers = await job_manager.prune_stalled_workers(stalled_seconds)
    if sweep.pruned_workers:
        log.info(
            "pruned %s stalled procrastinate worker(s)",
            len(sweep.pruned_workers),
            extra={"action": "stalled_workers_pruned", "procrastinate_worker_ids": sweep.pruned_workers},
        )
    return sweep


def _periodic_runner(job: PeriodicJob, session_factory: SessionFactory) -> Callable[..., Awaitable[int]]:
    def run_sync() -> int:
        with session_factory() as session:
            return job.run(session=session)

    async def run_periodic(timestamp: int) -> int:
        count = await asyncio.to_thread(run_sync)
        if count:
            log.info("job %s processed %s item(s)", job.name, count)
        return count

    run_periodic.__name__ = f"job_{job.name.replace('-', '_')}"
    return run_periodic


def build_app(
    database_url: str,
    *,
    jobs: Iterable[PeriodicJob] = (),
    session_factory: SessionFactory = session_scope,
    deps: RunnerDeps | None = None,
) -> procrastinate.App:
    """A procrastinate App with the run task, one periodic task per job and the stalled-job sweep.

    Args:
        database_url: RF_DATABASE_URL (PostgreSQL).
        jobs: the periodic jobs (workers_registry.PERIODIC_JOBS).
        session_factory: short DB sessions for the tasks.
        deps: outbound adapters of the runner.

    Returns:
        The App (not opened).
    """
    app = task_queue.worker_app(database_url, concurrency=get_settings().worker_concurrency)

    async def run_automation(context: JobContext, run_id: str) -> str:
        return await run_automation_job(context, run_id, session_factory=session_factory, deps=deps)

    app.task(name=RUN_TASK, queue=task_queue.RUNS_QUEUE, pass_context=True, retry=RUN_RETRY)(run_automation)
    for job in jobs:
        task = app.task(
            name=f"rf.job.{job.name}", queue=task_queue.JOBS_QUEUE, queueing_lock=f"rf.job.{job.name}", retry=False
        )(_periodic_runner(job, session_factory))
        app.periodic(cron=task_queue.cron_for(job.interval_seconds), periodic_id=job.name)(task)

    # procrastinate-only housekeeping (the table queue has no job rows), so not a PERIODIC_JOBS entry.
    # A queueing lock, not a `lock`: a sweep left `doing` by a dead worker would hold a lock forever
    # and block every later sweep; two sweeps at once are harmless (a job already ended is skipped).
    stalled_seconds = stalled_worker_seconds()

    async def end_stalled(context: JobContext, timestamp: int) -> int:
        sweep = await end_stalled_jobs(
            context.app.job_manager, stalled_seconds=stalled_seconds, own_job_id=context.job.id
        )
        return len(sweep.failed_jobs)

    stalled_task = app.task(
        name=STALLED_TASK, queue=task_queue.JOBS_QUEUE, queueing_lock=STALLED_TASK, pass_context=True, retry=False
    )(end_stalled)
    app.periodic(cron=task_queue.cron_for(stalled_seconds), periodic_id="end-stalled-jobs")(stalled_task)
    return app


async def run_worker(
    *, jobs: Iterable[PeriodicJob] = (), deps: RunnerDeps | None = None, stop: asyncio.Event | None = None
) -> None:
    """Run a procrastinate worker on the runs and periodic-jobs queues until `stop` is set (or cancelled).

    procrastinate's worker ends when it loses the database (a restart, a failover): it is started
    again with a growing pause (at most 5 s), so a worker process outlives a PostgreSQL restart.
    On stop, runs in flight get a few seconds, then are aborted and handed back to the queue.

    Args:
        jobs: periodic jobs to defer and run.
        deps: outbound adapters of the runner.
        stop: set to stop the worker (the CLI's signal handler, tests).
    """
    settings = get_settings()
    stop = stop or asyncio.Event()
    app = build_app(settings.database_url, jobs=list(jobs), deps=deps)
    pause = 0.5
    while not stop.is_set():
        try:
            async with app.open_async():
                name = new_worker_id()
                log.info("automation worker %s started (procrastinate queue)", name)
                worker_task = asyncio.ensure_future(
                    app.run_worker_async(
                        queues=[task_queue.RUNS_QUEUE, task_queue.JOBS_QUEUE],
                        name=name,
                        concurrency=settings.worker_concurrency,
                        fetch_job_polling_interval=max(0.5, settings.worker_poll_seconds * 5),
                        abort_job_polling_interval=max(0.1, settings.worker_poll_seconds),
                        delete_jobs="successful",
                        install_signal_handlers=False,
                        shutdown_graceful_timeout=SHUTDOWN_GRACE_SECONDS,
                        update_heartbeat_interval=worker_heartbeat_seconds(),
                        stalled_worker_timeout=stalled_worker_seconds(),
                    )
                )
                stop_task = asyncio.ensure_future(stop.wait())
                try:
                    await asyncio.wait({worker_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    stop_task.cancel()
                    if not worker_task.done():
                        worker_task.cancel()  # procrastinate shuts down gracefully when cancelled
                        with contextlib.suppress(asyncio.CancelledError):
                            await worker_task
                if not worker_task.cancelled():
                    worker_task.result()  # raise what stopped it
            pause = 0.5
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("procrastinate worker stopped on an error; restarting in %.1f s", pause, exc_info=True)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=pause)
            pause = min(5.0, pause * 2)
        else:
            if not stop.is_set():
                log.warning("procrastinate worker stopped (lost its database connection?); starting it again")
                await asyncio.sleep(pause)
