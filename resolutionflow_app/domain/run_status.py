"""The states of an automation run, named once (database check constraints, services, pages and the runner)."""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    """Where a run is: queued, running, or ended (completed, failed, cancelled)."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


RUN_STATUSES: tuple[str, ...] = tuple(s.value for s in RunStatus)
# A run (or step) in one of these states never changes again, except by an explicit resume.
TERMINAL: tuple[str, ...] = (RunStatus.COMPLETED.value, RunStatus.FAILED.value, RunStatus.CANCELLED.value)
