"""The one list of periodic jobs and background workers: what the app, `resolutionflow worker` and the CLI run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from resolutionflow_app.services import assistants, automation_worker, shares
from resolutionflow_app.services.jobs import PeriodicJob, purge_expired_tokens
from resolutionflow_app.settings import get_settings

# Every periodic job. Add one here (nowhere else): the in-process scheduler, procrastinate's periodic
# tasks and `resolutionflow run-job NAME` all read this tuple.
PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    # Short period: with procrastinate this is how a run whose worker died is found (its heartbeat
    # stopped) and queued again, so it bounds the recovery time together with the heartbeat timeout.
    PeriodicJob(
        "cleanup-zombie-runs",
        15,
        automation_worker.cleanup_zombie_runs,
        "Requeue (or fail) automation runs whose worker stopped",
    ),
    PeriodicJob(
        "cleanup-retention",
        3600,
        automation_worker.cleanup_retention,
        "Delete automation runs and their files after data_retention_days",
    ),
    PeriodicJob(
        "cleanup-hidden-assistants",
        3600,
        assistants.cleanup_hidden_assistants,
        "Delete hidden assistants no automation step uses",
    ),
    PeriodicJob(
        "cleanup-shares",
        24 * 3600,
        shares.cleanup_shares,
        "Delete share links expired or revoked more than RF_SHARE_RETENTION_DAYS ago",
    ),
    PeriodicJob("purge-expired-tokens", 3600, purge_expired_tokens, "Delete expired and revoked login tokens"),
)

Worker = Callable[[], Awaitable[None]]


def periodic_jobs() -> dict[str, PeriodicJob]:
    """The periodic jobs by name.

    Returns:
        name -> job, in PERIODIC_JOBS order.
    """
    return {job.name: job for job in PERIODIC_JOBS}


def uses_procrastinate() -> bool:
    """True when runs and periodic jobs go through procrastinate (RF_QUEUE, 'auto' on PostgreSQL)."""
    return get_settings().queue_backend == "procrastinate"


def workers() -> list[Worker]:
    """The long-running coroutines that execute automation runs in this process.

    Returns:
        The table-queue worker loop, or (procrastinate) a procrastinate worker that also defers and
        runs the periodic jobs.
    """
    if uses_procrastinate():
        from resolutionflow_app.services import automation_queue  # noqa: PLC0415 - PostgreSQL only

        async def procrastinate_worker() -> None:
            await automation_queue.run_worker(jobs=PERIODIC_JOBS)

        return [procrastinate_worker]
    return [automation_worker.default_worker]


def scheduler_runs_jobs() -> bool:
    """Whether the in-process scheduler runs the periodic jobs: only with the table queue (procrastinate's
    periodic tasks replace it, executed once per period by whichever worker defers them)."""
    return not uses_procrastinate()
