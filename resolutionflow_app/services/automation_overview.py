"""The automation overview: its graph (optionally with one run's results) and the runs one can overlay."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from resolutionflow_app.db.models import User
from resolutionflow_app.domain.errors import NotFound
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.services import automations as automations_service
from resolutionflow_app.services.dto import DTO

RECENT_RUNS = 30


class RunChoice(DTO):
    """A run in the overlay picker."""

    id: str
    status: str
    created_at: datetime | None = None


class OverviewDTO(DTO):
    """What the overview tab shows."""

    id: str
    name: str
    published: bool
    graph: dict[str, Any]
    runs: list[RunChoice]
    run_id: str = ""
    run_status: str = ""


def overview(*, session: Session, actor: User, automation_id: Any, run_id: str | None = None) -> OverviewDTO:
    """The draft's graph, or with `run_id` that run's pinned definition with its step results; plus recent runs.

    Raises:
        NotFound: the automation (or the run of it) is not the actor's account's.
    """
    dto = automations_service.get_automation(session=session, actor=actor, automation_id=automation_id)
    run_uuid = None
    run_status = ""
    if run_id:
        try:
            run_uuid = uuid.UUID(str(run_id))
        except ValueError:
            raise NotFound("Run not found.") from None
    graph = automations_service.graph(session=session, actor=actor, automation_id=dto.id, run_id=run_uuid)
    if run_uuid is not None:
        run_status = runs_service.get_row(session=session, account_id=actor.account_id, run_id=run_uuid).status
    runs, _ = runs_service.list_runs(session=session, actor=actor, automation_id=dto.id, limit=RECENT_RUNS)
    return OverviewDTO(
        id=str(dto.id),
        name=dto.name,
        published=dto.published,
        graph=graph,
        runs=[RunChoice(id=str(r.id), status=r.status, created_at=r.created_at) for r in runs],
        run_id=str(run_uuid or ""),
        run_status=run_status,
    )


def definition_file(*, session: Session, actor: User, automation_id: Any) -> tuple[str, str]:
    """The export (definition without secrets, re-importable) as `(filename, JSON text)`."""
    data = automations_service.export_automation(session=session, actor=actor, automation_id=automation_id)
    name = re.sub(r"[^\w.-]+", "-", data["automation"]["name"], flags=re.UNICODE).strip("-")[:80] or "automation"
    return f"{name}.automation.json", json.dumps(data, indent=2, ensure_ascii=False, default=str)
