"""When each periodic job last started: the claim that makes a job run once per period across replicas."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from resolutionflow_app.db.models._base import time_field


class PeriodicJobRun(SQLModel, table=True):
    """One row per job name; a scheduler may run the job only after winning a conditional update of it."""

    __tablename__ = "periodic_job_runs"
    __table_args__ = {"extend_existing": True}

    name: str = Field(sa_column=sa.Column(sa.String(100), primary_key=True))
    last_started_at: datetime = time_field()
    last_finished_at: datetime | None = time_field(nullable=True, default_now=False)
    last_count: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
    claimed_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(100), nullable=True))
