"""procrastinate adapter: the PostgreSQL job queue (apps, deferring in the caller's transaction, cancel, cron)."""

from __future__ import annotations

import logging
from typing import Any

import procrastinate
from procrastinate import exceptions as pq_exceptions

log = logging.getLogger(__name__)

RUNS_QUEUE = "automation_runs"
JOBS_QUEUE = "periodic_jobs"


def conninfo(database_url: str) -> str:
    """A libpq connection string from the app's SQLAlchemy URL (`postgresql+psycopg://…` -> `postgresql://…`).

    Args:
        database_url: RF_DATABASE_URL.

    Returns:
        The URL psycopg understands.
    """
    scheme, sep, rest = database_url.partition("://")
    return f"{scheme.split('+', 1)[0]}{sep}{rest}"


def worker_app(database_url: str, *, concurrency: int = 4) -> procrastinate.App:
    """The App a worker process runs: async psycopg 3 pool on the app's database.

    Args:
        database_url: RF_DATABASE_URL (PostgreSQL).
        concurrency: how many jobs the worker runs at once (RF_WORKER_CONCURRENCY).

    Returns:
        A procrastinate App (tasks are registered on it by the caller; open it with `open_async`).
    """
    # One connection listens for new jobs and aborts, one keeps the worker's heartbeat, and each job in flight
    # may be fetching or finishing at once (the runs themselves use the app's SQLAlchemy engine). With fewer,
    # heartbeats waited behind job bookkeeping and arrived seconds late when runs started.
    connector = procrastinate.PsycopgConnector(conninfo=conninfo(database_url), min_size=1, max_size=concurrency + 2)
    return procrastinate.App(connector=connector)


# Deferring and cancelling happen on the caller's own psycopg connection (inside its transaction), so
# this App never opens a pool: a sync connector is only needed for its query plumbing.
_DEFER_APP = procrastinate.App(connector=procrastinate.SyncPsycopgConnector())


def defer_in_transaction(
    connection: Any, task_name: str, *, queue: str, queueing_lock: str, **task_kwargs: Any
) -> int | None:
    """Insert a job on `connection`, inside its open transaction: it exists if and only if the caller commits.

    A job with the same queueing lock still waiting (`todo`) makes this a no-op. The insert runs in
    a savepoint, so that refusal leaves the caller's transaction usable.

    Args:
        connection: a psycopg 3 connection with a transaction open (the SQLAlchemy session's).
        task_name: the task's registered name.
        queue: the queue it goes to.
        queueing_lock: at most one waiting job per lock.
        **task_kwargs: JSON arguments of the task.

    Returns:
        The job id, or None when a job with that lock is already waiting.
    """
    try:
        with connection.transaction():
            return _DEFER_APP.configure_task(
                task_name, queue=queue, queueing_lock=queueing_lock, connection=connection
            ).defer(**task_kwargs)
    except pq_exceptions.AlreadyEnqueued:
        return None


def cancel_in_transaction(connection: Any, queueing_lock: str) -> list[int]:
    """Cancel the waiting jobs and ask running ones to abort, for one queueing lock, on `connection`.

    Args:
        connection: a psycopg 3 connection with a transaction open.
        queueing_lock: the lock the jobs were deferred with.

    Returns:
        The ids of the jobs cancelled or asked to abort.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM procrastinate_jobs WHERE queueing_lock = %s AND status IN ('todo', 'doing')",
            (queueing_lock,),
        )
        ids = [row[0] for row in cursor.fetchall()]
    return [
        job_id for job_id in ids if _DEFER_APP.job_manager.cancel_job_by_id(job_id, abort=True, connection=connection)
    ]


def cron_for(interval_seconds: float) -> str:
    """A cron expression that fires every `interval_seconds` (procrastinate's croniter: a 6th field is seconds).

    Args:
        interval_seconds: the job's period; rounded to what cron can express (seconds under a
            minute, minutes under an hour, hours under a day, else daily).

    Returns:
        The cron expression.
    """
    seconds = max(1, int(interval_seconds))
    if seconds < 60:
        return f"* * * * * */{seconds}"
    if seconds < 3600:
        return f"*/{max(1, seconds // 60)} * * * *"
    if seconds < 86400:
        return f"0 */{max(1, seconds // 3600)} * * *"
    return "0 3 * * *"
