"""Automation runs: start (queued, 202), read, list, resume with the seed's hash rules, cancel."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import update
from sqlmodel import Session, delete, select

from resolutionflow_app.db.models import Automation, AutomationRun, AutomationStepResult, User
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.domain import automation_rules
from resolutionflow_app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from resolutionflow_app.domain.execution_hash import definition_checksum, definition_hashes
from resolutionflow_app.domain.resume import plan_resume
from resolutionflow_app.domain.roles import can_author
from resolutionflow_app.services import automations as automations_service
from resolutionflow_app.services import files as files_service
from resolutionflow_app.services.dto import DTO

MAX_TEXT = 200_000
TERMINAL = ("completed", "failed", "cancelled")


class StepResultDTO(DTO):
    """One step's record in a run."""

    step_order: int
    status: str
    assistant_id: uuid.UUID | None = None
    input_payload_json: dict[str, Any] | None = None
    output_payload_json: dict[str, Any] | None = None
    num_tokens_input: int | None = None
    num_tokens_output: int | None = None
    error_message: str | None = None
    execution_hash: str | None = None
    tool_calls_metadata: list[Any] | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class RunDTO(DTO):
    """A run as the API shows it."""

    id: uuid.UUID
    automation_id: uuid.UUID
    user_id: uuid.UUID | None = None
    status: str
    input_payload_json: dict[str, Any] | None = None
    output_payload_json: dict[str, Any] | None = None
    error_message: str | None = None
    definition_version: int = 0
    cancel_requested: bool = False
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime | None = None
    step_results: list[StepResultDTO] = []


def results_of(session: Session, run_id: uuid.UUID) -> list[AutomationStepResult]:
    """Step results of a run, in step order."""
    return list(session.exec(select(AutomationStepResult).where(AutomationStepResult.automation_run_id == run_id).order_by(AutomationStepResult.step_order)).all())


def to_dto(session: Session, run: AutomationRun, *, with_steps: bool = True) -> RunDTO:
    """DTO of a run (with its step results)."""
    dto = RunDTO.model_validate(run)
    if with_steps:
        dto.step_results = [StepResultDTO.model_validate(r) for r in results_of(session, run.id)]
    return dto


def get_row(*, session: Session, account_id: uuid.UUID, run_id: uuid.UUID | str) -> AutomationRun:
    """A run of the account; NotFound otherwise."""
    try:
        rid = run_id if isinstance(run_id, uuid.UUID) else uuid.UUID(str(run_id))
    except ValueError:
        raise NotFound("Run not found.") from None
    run = session.get(AutomationRun, rid)
    if run is None or run.account_id != account_id:
        raise NotFound("Run not found.")
    return run


def definition_for(session: Session, actor: User, automation: Automation) -> tuple[dict[str, Any], int]:
    """What `actor` runs: authors the current draft, engineers the published version.

    Returns:
        The definition snapshot and its version (the published version number when the draft
        equals it, 0 for an unpublished draft).
    """
    if can_author(actor.role):
        definition = automations_service.current_definition(session, automation)
        same = automation.published and definition_checksum(definition) == automation.published_checksum
        return definition, automation.published_version if same else 0
    if not automation.published or not automation.published_definition:
        raise Forbidden("This automation is not published yet; only owners and authors can run drafts.")
    return automation.published_definition, automation.published_version


def _check_input(session: Session, actor: User, definition: dict[str, Any], text: Any, form_data: Any, file_ids: Any) -> dict[str, Any]:
    if text is not None and not isinstance(text, str):
        raise InvalidInput("text must be a string.")
    if text and len(text) > MAX_TEXT:
        raise InvalidInput(f"text may be at most {MAX_TEXT} characters.")
    if form_data is not None and not isinstance(form_data, dict):
        raise InvalidInput("form_data must be an object.")
    if file_ids is not None and not isinstance(file_ids, list):
        raise InvalidInput("file_ids must be a list of file ids.")
    form_data = form_data or {}
    problems = automation_rules.form_data_problems(definition.get("form_schema"), form_data)
    if problems:
        raise InvalidInput(problems[0], problems=problems)
    file_fields = [f["id"] for f in definition.get("form_schema") or [] if f.get("type") in automation_rules.FILE_FIELD_TYPES]
    files_service.files_of_account(session=session, account_id=actor.account_id, file_ids=[form_data[f] for f in file_fields if form_data.get(f)])
    files = files_service.files_of_account(session=session, account_id=actor.account_id, file_ids=file_ids or [])
    return {"text": text or "", "form_data": form_data, "file_ids": [str(f.id) for f in files]}


def start_run(*, session: Session, actor: User, automation_id: uuid.UUID, text: Any = None, form_data: Any = None, file_ids: Any = None) -> RunDTO:
    """Queue a run of an automation, pinned to the definition the actor may run.

    Args:
        session: DB session.
        actor: any member (engineers only for published automations).
        automation_id: the automation.
        text, form_data, file_ids: the run's input (form_data is checked against the form schema).

    Returns:
        The queued run.
    """
    automation = automations_service.get_row(session=session, account_id=actor.account_id, automation_id=automation_id)
    definition, version = definition_for(session, actor, automation)
    if not definition.get("steps"):
        raise InvalidInput("This automation has no steps yet.")
    payload = _check_input(session, actor, definition, text, form_data, file_ids)
    run = AutomationRun(automation_id=automation.id, account_id=automation.account_id, user_id=actor.id, status="queued", input_payload_json=payload, definition=definition, definition_version=version)
    session.add(run)
    session.flush()
    from resolutionflow_app.services.automation_worker import get_dispatcher  # noqa: PLC0415

    get_dispatcher().enqueue(run.id)
    return to_dto(session, run)


def get_run(*, session: Session, actor: User, run_id: uuid.UUID) -> RunDTO:
    """One run with its step results."""
    return to_dto(session, get_row(session=session, account_id=actor.account_id, run_id=run_id))


def list_runs(*, session: Session, actor: User, automation_id: uuid.UUID | None = None, status: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[RunDTO], int]:
    """Runs of the actor's account, newest first (optionally of one automation)."""
    query = select(AutomationRun).where(AutomationRun.account_id == actor.account_id)
    if automation_id is not None:
        try:
            automation_id = automation_id if isinstance(automation_id, uuid.UUID) else uuid.UUID(str(automation_id))
        except ValueError:
            return [], 0
        query = query.where(AutomationRun.automation_id == automation_id)
    if status:
        query = query.where(AutomationRun.status == status)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(AutomationRun.created_at.desc(), AutomationRun.id).offset(offset).limit(limit)).all()
    return [to_dto(session, r, with_steps=False) for r in rows], total


def _generated_files(results: list[AutomationStepResult]) -> list[str]:
    ids: list[str] = []
    for r in results:
        ids.extend((r.output_payload_json or {}).get("generated_file_ids") or [])
    return ids


def resume_run(*, session: Session, actor: User, run_id: uuid.UUID) -> RunDTO:
    """Queue a failed or cancelled run again with the current definition.

    Starts at the first step without a completed result when every earlier step's execution hash
    is unchanged (and the step list is the same); otherwise from step 1 (seed resume rules).
    """
    run = get_row(session=session, account_id=actor.account_id, run_id=run_id)
    if run.status not in ("failed", "cancelled"):
        raise Conflict(f"Only failed or cancelled runs can be resumed; this run is {run.status}.")
    automation = automations_service.get_row(session=session, account_id=actor.account_id, automation_id=run.automation_id)
    definition, version = definition_for(session, actor, automation)
    if not definition.get("steps"):
        raise InvalidInput("This automation has no steps.")
    results = results_of(session, run.id)
    old_orders = [int(s["step_order"]) for s in (run.definition or {}).get("steps") or []]
    plan = plan_resume(old_orders, definition_hashes(definition), {r.step_order: (r.status, r.execution_hash) for r in results})
    dropped = [r for r in results if r.step_order not in plan.keep]
    files_service.delete_files_system(session=session, account_id=run.account_id, file_ids=_generated_files(dropped))
    if dropped:
        session.exec(delete(AutomationStepResult).where(AutomationStepResult.id.in_([r.id for r in dropped])))
    now = utcnow()
    run.definition, run.definition_version = definition, version
    run.status, run.error_message, run.output_payload_json = "queued", None, None
    run.cancel_requested, run.worker_id, run.finished_at, run.heartbeat_at = False, None, None, None
    run.updated_at = now
    session.add(run)
    session.flush()
    from resolutionflow_app.services.automation_worker import get_dispatcher  # noqa: PLC0415

    get_dispatcher().enqueue(run.id)
    return to_dto(session, run)


def cancel_run(*, session: Session, actor: User, run_id: uuid.UUID) -> RunDTO:
    """Cancel a run: a queued run ends at once; a running one stops at the next step boundary
    (the runner aborts its in-flight call and ends the run `cancelled`)."""
    run = get_row(session=session, account_id=actor.account_id, run_id=run_id)
    if run.status in TERMINAL:
        if run.status == "cancelled":
            return to_dto(session, run)
        raise Conflict(f"This run has already {run.status}.")
    from resolutionflow_app.services.automation_worker import cancel_orphaned  # noqa: PLC0415

    if cancel_orphaned(session=session, run_id=run.id):  # its worker is gone: nobody would see the flag
        session.flush()
        session.refresh(run)
        return to_dto(session, run)
    now = utcnow()
    # Compare-and-set: a worker may claim the run at the same moment.
    claimed = session.execute(
        update(AutomationRun).where(AutomationRun.id == run.id, AutomationRun.status == "queued")
        .values(status="cancelled", finished_at=now, cancel_requested=True, error_message="Cancelled before it started.", updated_at=now)
    ).rowcount
    if not claimed:
        session.execute(update(AutomationRun).where(AutomationRun.id == run.id).values(cancel_requested=True, updated_at=now))
    session.flush()
    session.refresh(run)
    return to_dto(session, run)
