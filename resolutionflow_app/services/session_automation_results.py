"""Automations linked from flow steps: whether one can run now (and why not), and results read from the run."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session, col, select

from resolutionflow_app.db.models import Automation, AutomationRun
from resolutionflow_app.domain.session_automation import SOURCE, result_text


def resolve_unattached(session: Session, steps: list[dict[str, Any]]) -> None:
    """Fill in the status and result of automation steps nobody attached yet (the page was closed mid-run)."""
    pending = {}
    for step in steps:
        if step.get("source") == SOURCE and not step.get("attached") and step.get("automation_run_id"):
            try:
                pending[uuid.UUID(str(step["automation_run_id"]))] = step
            except ValueError:
                continue
    if not pending:
        return
    for run in session.exec(select(AutomationRun).where(col(AutomationRun.id).in_(list(pending)))).all():
        step = pending.pop(run.id)
        step["run_status"] = run.status
        step["content"] = (
            result_text(run.status, run.output_payload_json, run.error_message) or step.get("content") or ""
        )
    for step in pending.values():  # the run is gone (retention): say so rather than show nothing
        step["content"] = step.get("content") or "The automation run is no longer stored."


def automation_offer(
    session: Session, account_id: uuid.UUID, automation_id: Any
) -> tuple[Automation | None, dict[str, Any]]:
    """The automation a step links to and `{automation_id, name, available, reason}` as a session shows it.

    Unpublished or deleted automations are not available, and `reason` says so in words.
    """
    offer: dict[str, Any] = {"automation_id": str(automation_id), "name": "", "available": False, "reason": ""}
    try:
        row = session.get(Automation, uuid.UUID(str(automation_id)))
    except ValueError:
        row = None
    if row is None or row.account_id != account_id:
        offer["reason"] = (
            "The automation linked to this step no longer exists. Carry on without it, or ask an author to link "
            "another one."
        )
        return None, offer
    offer["name"] = row.name
    if not row.published or not row.published_definition:
        offer["reason"] = (
            f"The automation “{row.name}” linked to this step is not published right now, so it cannot run. Carry on "
            "without it, or ask an author to publish it."
        )
        return row, offer
    offer["available"] = True
    return row, offer
