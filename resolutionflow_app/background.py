"""In-process background work: the periodic job scheduler (table queue) and the workers of workers_registry."""

from __future__ import annotations

import asyncio
import logging
import os
import socket

from resolutionflow_app import workers_registry
from resolutionflow_app.db.engine import session_scope
from resolutionflow_app.services.jobs import claim_job, finish_job
from resolutionflow_app.settings import get_settings

log = logging.getLogger(__name__)

CLAIMER = f"{socket.gethostname()}:{os.getpid()}"


def run_job_now(name: str) -> int:
    """Run one registered job in its own transaction; returns its count."""
    job = workers_registry.periodic_jobs()[name]
    with session_scope() as session:
        return job.run(session=session)


def run_job_if_due(name: str) -> int | None:
    """Run job `name` when this process wins its claim for the period (None when another replica has it)."""
    job = workers_registry.periodic_jobs()[name]
    with session_scope() as session:
        if not claim_job(session=session, name=name, interval_seconds=job.interval_seconds, claimer=CLAIMER):
            return None
    count = run_job_now(name)
    with session_scope() as session:
        finish_job(session=session, name=name, count=count)
    return count


async def scheduler_loop(tick_seconds: float = 30.0) -> None:
    """Run each registered job when its interval has passed (first run shortly after start)."""
    loop = asyncio.get_running_loop()
    next_run: dict[str, float] = {}
    while True:
        now = loop.time()
        for name, job in workers_registry.periodic_jobs().items():
            if next_run.get(name, now + 5) > now:
                next_run.setdefault(name, now + 5)
                continue
            next_run[name] = now + job.interval_seconds
            try:
                count = await asyncio.to_thread(run_job_if_due, name)
                if count:
                    log.info("job %s processed %s item(s)", name, count)
            except Exception:
                log.exception("job %s failed", name)
        await asyncio.sleep(tick_seconds)


async def background_lifespan() -> None:
    """Reflex lifespan task: start the scheduler and the in-process workers (RF_WORKER_MODE=inprocess).

    With procrastinate the periodic jobs are its periodic tasks, run by the workers: no scheduler here.
    """
    settings = get_settings()
    tasks = []
    if settings.scheduler_enabled and workers_registry.scheduler_runs_jobs():
        tasks.append(asyncio.create_task(scheduler_loop(), name="rf-scheduler"))
    if settings.worker_mode == "inprocess":
        tasks.extend(
            asyncio.create_task(worker(), name=f"rf-worker-{i}") for i, worker in enumerate(workers_registry.workers())
        )
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
