"""Automations (`/automations`): CRUD, publish, export, audit report (PDF), graph, webhook secret, start a run."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from resolutionflow_app.api.deps import CurrentUser, Paging, SessionDep, page
from resolutionflow_app.services import automation_audit as audit_service
from resolutionflow_app.services import automation_dry_run as dry_run_service
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.services import automations as service

router = APIRouter(tags=["automations"])


class AutomationBody(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=20_000)
    form_schema: list[Any] | None = None
    data_retention_days: int | None = None
    widget_config: dict[str, Any] | None = None
    steps: list[Any] | None = None


class RunBody(BaseModel):
    text: str | None = None
    form_data: dict[str, Any] | None = None
    file_ids: list[str] | None = None


@router.post("/automations", status_code=201)
def create_automation(body: AutomationBody, user: CurrentUser, session: SessionDep) -> service.AutomationDTO:
    """Create an automation (422 naming the step for rule violations)."""
    data = body.model_dump(exclude_unset=True)
    data.setdefault("steps", [])
    return service.create_automation(session=session, actor=user, data=data)


@router.get("/automations")
def list_automations(
    *, q: str | None = Query(None, max_length=200), paging: Paging = Depends(), user: CurrentUser, session: SessionDep
) -> dict:
    """Automations of the account."""
    return page(*service.list_automations(session=session, actor=user, q=q, limit=paging.limit, offset=paging.offset))


@router.get("/automations/{automation_id}")
def get_automation(automation_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> service.AutomationDTO:
    """One automation with its (draft) steps."""
    return service.get_automation(session=session, actor=user, automation_id=automation_id)


@router.put("/automations/{automation_id}")
def update_automation(
    automation_id: uuid.UUID, body: AutomationBody, user: CurrentUser, session: SessionDep
) -> service.AutomationDTO:
    """Replace the definition (the published version stays until the next publish)."""
    return service.update_automation(
        session=session, actor=user, automation_id=automation_id, data=body.model_dump(exclude_unset=True)
    )


@router.delete("/automations/{automation_id}", status_code=204)
def delete_automation(automation_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    """Delete an automation with its runs and generated files."""
    service.delete_automation(session=session, actor=user, automation_id=automation_id)
    return Response(status_code=204)


@router.post("/automations/{automation_id}/publish")
def publish_automation(automation_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> service.AutomationDTO:
    """Freeze the draft as the next published version."""
    return service.publish_automation(session=session, actor=user, automation_id=automation_id)


@router.post("/automations/{automation_id}/unpublish")
def unpublish_automation(automation_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> service.AutomationDTO:
    """Take it off the published list (engineers can no longer run it); the frozen version is kept."""
    return service.unpublish_automation(session=session, actor=user, automation_id=automation_id)


@router.get("/automations/{automation_id}/export")
def export_automation(automation_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> dict:
    """The full definition as JSON, without secrets."""
    return service.export_automation(session=session, actor=user, automation_id=automation_id)


@router.get(
    "/automations/{automation_id}/audit-report",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def automation_audit_report(
    *, automation_id: uuid.UUID, run_id: uuid.UUID | None = None, user: CurrentUser, session: SessionDep
) -> Response:
    """The compliance audit report as an A4 PDF (with `run_id`: that run's record too); no secrets."""
    filename, pdf = audit_service.audit_report_download(
        session=session, actor=user, automation_id=automation_id, run_id=run_id
    )
    return Response(
        content=pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get("/automations/{automation_id}/graph")
def automation_graph(
    *, automation_id: uuid.UUID, run_id: uuid.UUID | None = None, user: CurrentUser, session: SessionDep
) -> dict:
    """Nodes and edges; with `run_id` each step node carries status, duration_ms, tokens and error."""
    return service.graph(session=session, actor=user, automation_id=automation_id, run_id=run_id)


@router.get("/automations/{automation_id}/webhook-secret")
def automation_webhook_secret(automation_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> dict:
    """The secret webhook receivers verify signatures with (owners and authors)."""
    return {"webhook_secret": service.webhook_secret(session=session, actor=user, automation_id=automation_id)}


@router.post("/automations/{automation_id}/webhook-secret")
def rotate_automation_webhook_secret(automation_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> dict:
    """A new signing secret, answered once (owners and authors); receivers must switch to it."""
    return {"webhook_secret": service.rotate_webhook_secret(session=session, actor=user, automation_id=automation_id)}


class DryRunBody(BaseModel):
    text: str | None = Field(default=None, max_length=200_000)
    form_data: dict[str, Any] | None = None


@router.post("/automations/{automation_id}/dry-run")
def dry_run(
    *, automation_id: uuid.UUID, body: DryRunBody | None = None, user: CurrentUser, session: SessionDep
) -> dry_run_service.DryRunReport:
    """The "Test automation" checklist of the draft: what a run would do, without calling any model or writing
    anything."""
    sample = body.model_dump(exclude_none=True) if body is not None else None
    return dry_run_service.dry_run(session=session, actor=user, automation_id=automation_id, sample=sample)


@router.post("/automations/{automation_id}/runs", status_code=202)
def start_run(
    *, automation_id: uuid.UUID, body: RunBody | None = None, user: CurrentUser, session: SessionDep
) -> runs_service.RunDTO:
    """Queue a run (authors may run drafts, engineers only published automations)."""
    body = body or RunBody()
    return runs_service.start_run(
        session=session,
        actor=user,
        automation_id=automation_id,
        text=body.text,
        form_data=body.form_data,
        file_ids=body.file_ids,
    )
