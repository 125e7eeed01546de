"""In-process background work for the embedded default: the periodic job scheduler and workers."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable

from resolutionflow_app.db.engine import session_scope
from resolutionflow_app.services.jobs import claim_job, finish_job, load_all_jobs
from resolutionflow_app.settings import get_settings

log = logging.getLogger(__name__)

# Long-running coroutines (e.g. the automation worker loop) that start with the app.
WORKERS: list[Callable[[], Awaitable[None]]] = []


CLAIMER = f"{socket.gethostname()}:{os.getpid()}"


def run_job_now(name: str) -> int:
    """Run one registered job in its own transaction; returns its count."""
    job = load_all_jobs()[name]
    with session_scope() as session:
        return job.run(session=session)


def run_job_if_due(name: str) -> int | None:
    """Run job `name` when this process wins its claim for the period (None when another replica has it)."""
    job = load_all_jobs()[name]
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
        for name, job in load_all_jobs().items():
            if next_run.get(name, now + 5) > now:
                next_run.setdefault(name, now + 5)
                continue
            next_run[name] = now + job.interval_seconds
            try:
                count = await asyncio.to_thread(run_job_if_due, name)
                if count:
                    log.info("job %s processed %s item(s)", name, count)
            except Exception:  # noqa: BLE001 - one failing job must not stop the scheduler
                log.exception("job %s failed", name)
        await asyncio.sleep(tick_seconds)


async def background_lifespan() -> None:
    """Reflex lifespan task: start the scheduler and in-process workers for the embedded default."""
    settings = get_settings()
    tasks = []
    if settings.scheduler_enabled:
        tasks.append(asyncio.create_task(scheduler_loop(), name="rf-scheduler"))
    if settings.worker_mode == "inprocess":
        load_all_jobs()  # importing services registers their workers too
        tasks.extend(asyncio.create_task(worker(), name=f"rf-worker-{i}") for i, worker in enumerate(WORKERS))
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
