"""The stalled-job sweep's decisions on a fake job manager: end every stalled job `failed` (never retry), skip one
ended meanwhile, do nothing while its own worker looks stalled, prune, and log structured events."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from procrastinate import exceptions as pq_exceptions
from procrastinate.jobs import Job, Status

from resolutionflow_app.services import automation_queue


def _job(job_id: int, task: str, lock: str | None, worker: int | None) -> Job:
    return Job(
        id=job_id,
        status="doing",
        queue="q",
        lock=None,
        queueing_lock=lock,
        task_name=task,
        worker_id=worker,
        attempts=1,
    )


class FakeManager:
    def __init__(self, jobs: list[Job], *, gone: set[int] = frozenset()) -> None:
        self.jobs, self.gone = jobs, gone
        self.finished: list[tuple[int, Status, bool]] = []
        self.retried: list[int] = []
        self.pruned_with: list[float] = []

    async def get_stalled_jobs(self, *, seconds_since_heartbeat: float, **_: Any) -> list[Job]:
        return self.jobs

    async def finish_job_by_id_async(self, job_id: int, status: Status, delete_job: bool) -> None:
        if job_id in self.gone:
            raise pq_exceptions.ConnectorException("Job was not found or not in doing status")
        self.finished.append((job_id, status, delete_job))

    async def retry_job_by_id_async(self, job_id: int, **_: Any) -> None:
        self.retried.append(job_id)

    async def prune_stalled_workers(self, seconds_since_heartbeat: float) -> list[int]:
        self.pruned_with.append(seconds_since_heartbeat)
        return [7]


def test_stalled_jobs_end_failed_are_never_retried_and_their_workers_are_pruned(caplog) -> None:
    manager = FakeManager(
        [_job(1, "rf.run_automation", "run-uuid", 7), _job(2, "rf.job.cleanup-shares", "rf.job.cleanup-shares", None)],
        gone={2},
    )
    with caplog.at_level(logging.INFO, logger=automation_queue.__name__):
        sweep = asyncio.run(automation_queue.end_stalled_jobs(manager, stalled_seconds=30, own_job_id=99))  # type: ignore[arg-type]
    assert manager.finished == [(1, Status.FAILED, False)]  # job 2 ended meanwhile: skipped, not an error
    assert manager.retried == []
    assert manager.pruned_with == [30]
    assert (sweep.failed_jobs, sweep.pruned_workers, sweep.skipped) == ([1], [7], False)
    failed = [r for r in caplog.records if getattr(r, "action", "") == "stalled_job_failed"]
    assert [(r.procrastinate_job_id, r.queueing_lock, r.procrastinate_worker_id) for r in failed] == [
        (1, "run-uuid", 7)
    ]


def test_nothing_is_done_while_the_sweeps_own_worker_looks_stalled() -> None:
    manager = FakeManager(
        [_job(1, "rf.run_automation", "run-uuid", 3), _job(5, automation_queue.STALLED_TASK, None, 3)]
    )
    sweep = asyncio.run(automation_queue.end_stalled_jobs(manager, stalled_seconds=30, own_job_id=5))  # type: ignore[arg-type]
    assert sweep.skipped
    assert manager.finished == []
    assert manager.pruned_with == []


def test_worker_heartbeat_and_stall_timeouts_follow_the_run_heartbeat_timeout_with_a_floor(monkeypatch) -> None:
    from resolutionflow_app.settings import get_settings

    monkeypatch.delenv("RF_ZOMBIE_RUN_HOURS", raising=False)
    # procrastinate's defaults (10 s beats, dead after 30 s) by default; never dead sooner than 10 s.
    for timeout, stalled, beat in (("30", 30.0, 10.0), ("2", 10.0, 10 / 3), ("300", 300.0, 10.0)):
        monkeypatch.setenv("RF_RUN_HEARTBEAT_TIMEOUT_SECONDS", timeout)
        get_settings.cache_clear()
        try:
            assert automation_queue.stalled_worker_seconds() == stalled
            assert automation_queue.worker_heartbeat_seconds() == beat
        finally:
            get_settings.cache_clear()
