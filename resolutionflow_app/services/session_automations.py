"""Automations inside troubleshooting sessions: the linked automation of a node, running it, attaching its result."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session, select

from resolutionflow_app.db.models import AutomationRun, User
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.domain import session_rules as rules
from resolutionflow_app.domain.automation_definition import DefinitionSnapshot
from resolutionflow_app.domain.errors import Conflict, InvalidInput, NotFound
from resolutionflow_app.domain.run_status import TERMINAL
from resolutionflow_app.domain.session_automation import (
    SOURCE,
    prefill_form,
    result_text,
)
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.services import sessions as sessions_service
from resolutionflow_app.services.dto import DTO
from resolutionflow_app.services.session_automation_results import automation_offer


class FormFieldValue(DTO):
    """A field of the linked automation's run form, with the value taken from the session."""

    id: str
    label: str
    type: str = "text"
    required: bool = False
    options: list[str] = []
    value: str = ""


class NodeAutomationDTO(DTO):
    """The automation a flow node links to, as the session page offers it."""

    node_id: str
    automation_id: str
    name: str = ""
    available: bool = False
    reason: str = ""
    fields: list[FormFieldValue] = []
    has_file_fields: bool = False


def _context(row: Any, node: dict[str, Any], engineer: str) -> dict[str, Any]:
    nodes = rules.nodes_by_id(row.tree_type, row.tree_snapshot)
    answers = {}
    notes = ""
    for h in row.history or []:
        if not isinstance(h, dict):
            continue
        if h.get("pending") and str(h.get("node_id")) == str(node.get("id")):
            notes = h.get("notes") or notes
            continue
        title = (nodes.get(str(h.get("node_id"))) or {}).get("title")
        if title and h.get("answer"):
            answers[title] = h["answer"]
    return {
        "flow_name": row.tree_name,
        "current_node": node.get("title") or "",
        "notes": notes,
        "engineer": engineer,
        "summary": row.summary or "",
        "answers": answers,
    }


def node_automation(
    *, session: Session, actor: User, session_id: Any, node_id: str | None = None
) -> NodeAutomationDTO | None:
    """The automation linked to a node of the session's flow (the current node by default), or None.

    When the automation was unpublished or deleted, `available` is False and `reason` says so in words.

    Raises:
        NotFound: not a session of the actor's account.
    """
    dto = sessions_service.get_session(session=session, actor=actor, session_id=session_id)
    row = sessions_service.readable_row(session=session, actor=actor, session_id=dto.id)
    node = rules.nodes_by_id(row.tree_type, row.tree_snapshot).get(str(node_id or row.current_node_id or ""))
    if not node or not node.get("automation_id"):
        return None
    automation, offer = automation_offer(session, actor.account_id, node["automation_id"])
    out = NodeAutomationDTO(node_id=str(node["id"]), **offer)
    if automation is None or not out.available:
        return out
    form = DefinitionSnapshot.parse(automation.published_definition).form_schema
    engineer = session.exec(select(User.name).where(User.id == row.user_id)).first() or ""
    values = prefill_form(form, _context(row, node, engineer))
    out.fields = [
        FormFieldValue(
            id=str(f.get("id")),
            label=str(f.get("label") or f.get("id")),
            type=str(f.get("type") or "text"),
            required=bool(f.get("required")),
            options=[str(o) for o in f.get("options") or []],
            value=values.get(str(f.get("id")), ""),
        )
        for f in form
        if isinstance(f, dict) and f.get("type") not in ("image", "audio", "document", "file")
    ]
    out.has_file_fields = any(
        isinstance(f, dict) and f.get("type") in ("image", "audio", "document", "file") and f.get("required")
        for f in form
    )
    if out.has_file_fields:
        out.available = False
        out.reason = f"“{automation.name}” needs a file upload; start it from its run page instead."
    return out


def run_from_session(
    *,
    session: Session,
    actor: User,
    session_id: Any,
    node_id: str,
    form_data: dict[str, Any] | None = None,
    text: str | None = None,
) -> tuple[sessions_service.SessionDTO, str]:
    """Start the node's automation and attach a custom step (`source: "automation"`, the run id) to the session.

    Returns:
        The session and the run's id.

    Raises:
        InvalidInput: the node links no automation, or the form is refused. Conflict: the automation is not
        published, or the session is completed. Forbidden: not the engineer who runs the session.
    """
    row = sessions_service.writable_row(session=session, actor=actor, session_id=session_id)
    offer = node_automation(session=session, actor=actor, session_id=row.id, node_id=node_id)
    if offer is None:
        raise InvalidInput("This step of the flow does not link an automation.")
    if not offer.available:
        raise Conflict(offer.reason)
    # Inside a session only the published version runs, whoever starts it (authors may run drafts elsewhere).
    run = runs_service.start_run(
        session=session,
        actor=actor,
        automation_id=offer.automation_id,
        text=text or None,
        form_data=form_data or {},
        published_only=True,
    )
    entry = {
        "type": "action",
        "title": offer.name,
        "content": "",
        "notes": None,
        "source": SOURCE,
        "source_step_id": None,
        "automation_id": offer.automation_id,
        "automation_run_id": str(run.id),
        "run_status": run.status,
        "inserted_at": utcnow().isoformat(),
        "inserted_after_node_id": str(offer.node_id),
    }
    return sessions_service.save_row(
        session=session, actor=actor, row=row, custom_steps=[*(row.custom_steps or []), entry]
    ), str(run.id)


def attach_result(*, session: Session, actor: User, session_id: Any, run_id: str) -> sessions_service.SessionDTO:
    """Copy a finished run's result into its custom step (so it outlives the run's retention); a no-op while it runs.

    Raises:
        NotFound: no custom step of this session carries that run.
    """
    row = sessions_service.writable_row(session=session, actor=actor, session_id=session_id, allow_completed=True)
    steps = [dict(s) if isinstance(s, dict) else s for s in row.custom_steps or []]
    index = next(
        (i for i, s in enumerate(steps) if isinstance(s, dict) and s.get("automation_run_id") == str(run_id)), None
    )
    if index is None:
        raise NotFound("This session has no result of that run.")
    run = session.get(AutomationRun, uuid.UUID(str(run_id)))
    if run is None or run.status not in TERMINAL or steps[index].get("attached"):
        return sessions_service.save_row(session=session, actor=actor, row=row)
    steps[index].update(
        content=result_text(run.status, run.output_payload_json, run.error_message),
        run_status=run.status,
        attached=True,
    )
    return sessions_service.save_row(session=session, actor=actor, row=row, custom_steps=steps)
