"""Periodic jobs: their description type, the per-period claim (table queue) and the token purge job.

Which jobs exist is listed in one place, `resolutionflow_app/workers_registry.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete

from resolutionflow_app.db.models import AuthToken, PeriodicJobRun
from resolutionflow_app.db.sql import rowcount, table_of
from resolutionflow_app.db.types import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    """A job the scheduler runs every `interval_seconds`; `run(session=...)` returns a count."""

    name: str
    interval_seconds: float
    run: Callable[..., int]
    description: str = ""


def purge_expired_tokens(*, session: Session) -> int:
    """Delete login tokens that expired or were revoked.

    Args:
        session: DB session.

    Returns:
        How many tokens were deleted.
    """
    now = utcnow()
    result = session.exec(
        delete(AuthToken).where((col(AuthToken.expires_at) < now) | (col(AuthToken.revoked_at).is_not(None)))
    )
    return rowcount(result) or 0


def claim_job(*, session: Session, name: str, interval_seconds: float, claimer: str) -> bool:
    """Win the right to run job `name` now: True for exactly one caller per period, whatever the replicas.

    The claim is one conditional UPDATE (or the first INSERT) on `periodic_job_runs`, committed by the
    caller before the job runs, so two schedulers racing for the same period cannot both win.
    """
    now = utcnow()
    due = now - timedelta(seconds=interval_seconds * 0.9)  # a little slack: ticks drift between replicas
    table = table_of(PeriodicJobRun)
    won = rowcount(
        session.execute(
            table.update()
            .where(table.c.name == name, table.c.last_started_at <= due)
            .values(last_started_at=now, claimed_by=claimer[:100])
        )
    )
    if won:
        return True
    if session.get(PeriodicJobRun, name) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(PeriodicJobRun(name=name, last_started_at=now, claimed_by=claimer[:100]))
        return True
    except IntegrityError:  # another replica inserted the first claim at the same moment
        return False


def finish_job(*, session: Session, name: str, count: int) -> None:
    """Record when and with what count a claimed job ended."""
    table = table_of(PeriodicJobRun)
    session.execute(table.update().where(table.c.name == name).values(last_finished_at=utcnow(), last_count=count))
