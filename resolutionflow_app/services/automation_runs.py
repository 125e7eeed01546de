"""Automation runs: start (queued, 202), read, list, resume with the seed's hash rules, cancel."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, delete, select

from resolutionflow_app.db.models import (
    Automation,
    AutomationRun,
    AutomationStepResult,
    StoredFile,
    User,
)
from resolutionflow_app.db.sql import rowcount
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.domain import automation_rules
from resolutionflow_app.domain.automation_definition import DefinitionSnapshot
from resolutionflow_app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from resolutionflow_app.domain.resume import plan_resume
from resolutionflow_app.domain.roles import can_author
from resolutionflow_app.domain.run_status import RUN_STATUSES, TERMINAL
from resolutionflow_app.services import automations as automations_service
from resolutionflow_app.services import files as files_service
from resolutionflow_app.services.dto import DTO

MAX_TEXT = 200_000


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
    return list(
        session.exec(
            select(AutomationStepResult)
            .where(col(AutomationStepResult.automation_run_id) == run_id)
            .order_by(col(AutomationStepResult.step_order))
        ).all()
    )


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


def definition_for(
    session: Session, actor: User, automation: Automation, *, published_only: bool = False
) -> tuple[DefinitionSnapshot, int]:
    """What `actor` runs: authors the current draft, engineers (and `published_only` callers) the published version.

    Args:
        session: DB session.
        actor: who runs it.
        automation: the automation row.
        published_only: the published version even for authors.

    Returns:
        The parsed definition and its version (the published version number when the draft
        equals it, 0 for an unpublished draft).

    Raises:
        Forbidden: the actor may run only the published version and there is none.
    """
    if can_author(actor.role) and not published_only:
        definition = automations_service.current_definition(session, automation)
        same = automation.published and definition.checksum == automation.published_checksum
        return definition, automation.published_version if same else 0
    if not automation.published or not automation.published_definition:
        raise Forbidden("This automation is not published yet; only owners and authors can run drafts.")
    return DefinitionSnapshot.parse(automation.published_definition), automation.published_version


def _check_input(
    session: Session, actor: User, definition: DefinitionSnapshot, text: Any, form_data: Any, file_ids: Any
) -> dict[str, Any]:
    if text is not None and not isinstance(text, str):
        raise InvalidInput("text must be a string.")
    if text and len(text) > MAX_TEXT:
        raise InvalidInput(f"text may be at most {MAX_TEXT} characters.")
    if form_data is not None and not isinstance(form_data, dict):
        raise InvalidInput("form_data must be an object.")
    if file_ids is not None and not isinstance(file_ids, list):
        raise InvalidInput("file_ids must be a list of file ids.")
    form_data = form_data or {}
    problems = automation_rules.form_data_problems(definition.form_schema, form_data)
    if problems:
        raise InvalidInput(problems[0], problems=problems)
    file_fields = [f["id"] for f in definition.form_schema if f.get("type") in automation_rules.FILE_FIELD_TYPES]
    files_service.files_of_account(
        session=session, account_id=actor.account_id, file_ids=[form_data[f] for f in file_fields if form_data.get(f)]
    )
    files = files_service.files_of_account(session=session, account_id=actor.account_id, file_ids=file_ids or [])
    return {"text": text or "", "form_data": form_data, "file_ids": [str(f.id) for f in files]}


def start_run(
    *,
    session: Session,
    actor: User,
    automation_id: uuid.UUID | str,
    text: Any = None,
    form_data: Any = None,
    file_ids: Any = None,
    published_only: bool = False,
) -> RunDTO:
    """Queue a run of an automation, pinned to the definition the actor may run.

    Args:
        session: DB session.
        actor: any member (engineers only for published automations).
        automation_id: the automation.
        text, form_data, file_ids: the run's input (form_data is checked against the form schema).
        published_only: run the published version even for authors (runs started from a troubleshooting session).

    Returns:
        The queued run.
    """
    automation = automations_service.get_row(session=session, account_id=actor.account_id, automation_id=automation_id)
    definition, version = definition_for(session, actor, automation, published_only=published_only)
    if not definition.steps:
        raise InvalidInput("This automation has no steps yet.")
    payload = _check_input(session, actor, definition, text, form_data, file_ids)
    run = AutomationRun(
        automation_id=automation.id,
        account_id=automation.account_id,
        user_id=actor.id,
        status="queued",
        input_payload_json=payload,
        definition=definition.to_json(),
        definition_version=version,
    )
    session.add(run)
    session.flush()
    from resolutionflow_app.services.automation_worker import get_dispatcher  # noqa: PLC0415

    get_dispatcher().enqueue(run.id, session=session)
    return to_dto(session, run)


def get_run(*, session: Session, actor: User, run_id: uuid.UUID) -> RunDTO:
    """One run with its step results."""
    return to_dto(session, get_row(session=session, account_id=actor.account_id, run_id=run_id))


def list_runs(
    *,
    session: Session,
    actor: User,
    automation_id: uuid.UUID | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[RunDTO], int]:
    """Runs of the actor's account, newest first (optionally of one automation)."""
    if status and status not in RUN_STATUSES:
        raise InvalidInput(f"Unknown run status {status[:20]!r}: use one of {', '.join(RUN_STATUSES)}.")
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
    rows = session.exec(
        query.order_by(col(AutomationRun.created_at).desc(), col(AutomationRun.id)).offset(offset).limit(limit)
    ).all()
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
    automation = automations_service.get_row(
        session=session, account_id=actor.account_id, automation_id=run.automation_id
    )
    definition, version = definition_for(session, actor, automation)
    if not definition.steps:
        raise InvalidInput("This automation has no steps.")
    results = results_of(session, run.id)
    old_orders = [s.step_order for s in DefinitionSnapshot.parse(run.definition).steps]
    plan = plan_resume(old_orders, definition.hashes, {r.step_order: (r.status, r.execution_hash) for r in results})
    dropped = [r for r in results if r.step_order not in plan.keep]
    files_service.delete_files_system(session=session, account_id=run.account_id, file_ids=_generated_files(dropped))
    if dropped:
        session.exec(delete(AutomationStepResult).where(col(AutomationStepResult.id).in_([r.id for r in dropped])))
    now = utcnow()
    run.definition, run.definition_version = definition.to_json(), version
    run.status, run.error_message, run.output_payload_json = "queued", None, None
    run.cancel_requested, run.worker_id, run.finished_at, run.heartbeat_at = False, None, None, None
    run.updated_at = now
    session.add(run)
    session.flush()
    from resolutionflow_app.services.automation_worker import get_dispatcher  # noqa: PLC0415

    get_dispatcher().enqueue(run.id, session=session)
    return to_dto(session, run)


def cancel_run(*, session: Session, actor: User, run_id: uuid.UUID) -> RunDTO:
    """Cancel a run: a queued run ends at once; a running one stops at the next step boundary
    (the runner aborts its in-flight call and ends the run `cancelled`).

    Raises:
        NotFound: not a run of the actor's account. Forbidden: an engineer's cancel of a run
            somebody else started (only its starter, authors and owners may cancel).
        Conflict: the run already completed or failed.
    """
    run = get_row(session=session, account_id=actor.account_id, run_id=run_id)
    if run.user_id != actor.id and not can_author(actor.role):
        raise Forbidden("Only the person who started this run, authors and owners can cancel it.")
    if run.status in TERMINAL:
        if run.status == "cancelled":
            return to_dto(session, run)
        raise Conflict(f"This run has already {run.status}.")
    from resolutionflow_app.services.automation_worker import cancel_orphaned, get_dispatcher  # noqa: PLC0415

    get_dispatcher().cancel(run.id, session=session)  # drop its waiting job, or abort the running one
    if cancel_orphaned(session=session, run_id=run.id):  # its worker is gone: nobody would see the flag
        session.flush()
        session.refresh(run)
        return to_dto(session, run)
    now = utcnow()
    # Compare-and-set: a worker may claim the run at the same moment.
    claimed = rowcount(
        session.execute(
            update(AutomationRun)
            .where(col(AutomationRun.id) == run.id, col(AutomationRun.status) == "queued")
            .values(
                status="cancelled",
                finished_at=now,
                cancel_requested=True,
                error_message="Cancelled before it started.",
                updated_at=now,
            )
        )
    )
    if not claimed:
        session.execute(
            update(AutomationRun).where(col(AutomationRun.id) == run.id).values(cancel_requested=True, updated_at=now)
        )
    session.flush()
    session.refresh(run)
    return to_dto(session, run)


# ---------------------------------------------------------------- run page (browser) read models

HISTORY_MAX_LIMIT = 100
# What a page shows of one output or input; the full text stays in the database and the API.
SHOWN_TEXT = 20_000


class FileRefDTO(DTO):
    """A stored file named on a run page (download link)."""

    id: str
    name: str
    content_type: str = ""


class RunFormDTO(DTO):
    """What the run page needs to render the form of the definition the actor would run."""

    automation_id: uuid.UUID
    name: str
    description: str = ""
    published: bool = False
    published_version: int = 0
    form_schema: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    can_run: bool = True
    blocked_reason: str = ""


class LastInputsDTO(DTO):
    """The input of the actor's most recent run of an automation ("Reuse last test data")."""

    run_id: uuid.UUID
    text: str = ""
    form_data: dict[str, Any] = {}
    files: dict[str, FileRefDTO] = {}
    missing_files: list[str] = []


class RunSummaryDTO(DTO):
    """A row of the run history."""

    id: uuid.UUID
    status: str
    user_name: str = ""
    error_message: str = ""
    definition_version: int = 0
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: int | None = None


class StepProgressDTO(DTO):
    """One step of a run as the run pages show it (pending steps have no result yet)."""

    step_order: int
    name: str
    status: str = "pending"
    output_type: str = "text"
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: int | None = None
    tokens_input: int | None = None
    tokens_output: int | None = None
    error: str = ""
    input_text: str = ""
    input_truncated: bool = False
    output_text: str = ""
    output_truncated: bool = False
    output_json: str = ""
    files: list[FileRefDTO] = []


class RunProgressDTO(DTO):
    """A run with one entry per step of its pinned definition, for the live progress view."""

    id: uuid.UUID
    automation_id: uuid.UUID
    automation_name: str
    status: str
    error_message: str = ""
    definition_version: int = 0
    cancel_requested: bool = False
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    input_text: str = ""
    input_fields: list[dict[str, str]] = []
    input_files: list[FileRefDTO] = []
    steps: list[StepProgressDTO] = []
    completed_steps: int = 0
    total_steps: int = 0
    output_text: str = ""
    output_json: str = ""
    output_type: str = "text"
    files: list[FileRefDTO] = []


def _as_uuid(value: Any, message: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound(message) from None


def _ms(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds() * 1000))


def _step_names(definition: DefinitionSnapshot) -> list[dict[str, Any]]:
    return [
        {
            "step_order": s.step_order,
            "name": (s.user_description or "").strip() or f"Step {s.step_order}",
            "output_type": s.output_type,
        }
        for s in definition.steps
    ]


def run_form(*, session: Session, actor: User, automation_id: uuid.UUID | str) -> RunFormDTO:
    """The form and step list of the definition `actor` would run (draft for authors, published for engineers).

    Args:
        session: DB session.
        actor: any member of the automation's account.
        automation_id: the automation.

    Returns:
        Name, form schema and step names; `can_run` is False (with the reason) when the actor may not run it.
    """
    automation = automations_service.get_row(session=session, account_id=actor.account_id, automation_id=automation_id)
    base = RunFormDTO(
        automation_id=automation.id,
        name=automation.name,
        description=automation.description or "",
        published=automation.published,
        published_version=automation.published_version,
    )
    try:
        definition, _ = definition_for(session, actor, automation)
    except Forbidden as exc:
        return base.model_copy(update={"can_run": False, "blocked_reason": exc.message})
    steps = _step_names(definition)
    reason = "" if steps else "This automation has no steps yet; add steps in the builder first."
    return base.model_copy(
        update={
            "form_schema": list(definition.form_schema),
            "steps": steps,
            "can_run": bool(steps),
            "blocked_reason": reason,
        }
    )


def _file_refs(session: Session, account_id: uuid.UUID, ids: Any) -> dict[str, FileRefDTO]:
    refs: dict[str, FileRefDTO] = {}
    for raw in ids or []:
        try:
            row = session.get(StoredFile, uuid.UUID(str(raw)))
        except ValueError:
            continue
        if row is not None and row.account_id == account_id:
            refs[str(raw)] = FileRefDTO(id=str(row.id), name=row.name, content_type=row.content_type)
    return refs


def last_inputs(*, session: Session, actor: User, automation_id: uuid.UUID | str) -> LastInputsDTO | None:
    """The input of the actor's own most recent run of an automation ("Reuse last test data").

    Args:
        session: DB session.
        actor: the member asking; only their own runs count.
        automation_id: the automation.

    Returns:
        Text, form values and the still-stored files of file fields (by field id), or None when
        the actor never ran it. Files deleted since (retention) are listed in `missing_files`.
    """
    automation = automations_service.get_row(session=session, account_id=actor.account_id, automation_id=automation_id)
    run = session.exec(
        select(AutomationRun)
        .where(AutomationRun.automation_id == automation.id, AutomationRun.user_id == actor.id)
        .order_by(col(AutomationRun.created_at).desc(), col(AutomationRun.id).desc())
        .limit(1)
    ).first()
    if run is None:
        return None
    payload = run.input_payload_json or {}
    form_data = dict(payload.get("form_data") or {})
    file_fields: set[Any] = {
        f.get("id")
        for f in DefinitionSnapshot.parse(run.definition).form_schema
        if f.get("type") in automation_rules.FILE_FIELD_TYPES
    }
    refs = _file_refs(
        session, actor.account_id, [form_data[f] for f in file_fields if isinstance(form_data.get(f), str)]
    )
    files, missing = {}, []
    for fid in sorted(f for f in file_fields if f in form_data):
        ref = refs.get(str(form_data.pop(fid)))
        if ref is None:
            missing.append(fid)
        else:
            files[fid] = ref
    return LastInputsDTO(
        run_id=run.id, text=str(payload.get("text") or ""), form_data=form_data, files=files, missing_files=missing
    )


def _parse_day(value: Any, what: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"The {what} date must look like 2026-01-31.") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def run_history(
    *,
    session: Session,
    actor: User,
    automation_id: uuid.UUID | str,
    status: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    page_size: int = 20,
    offset: int = 0,
) -> tuple[list[RunSummaryDTO], int]:
    """One page of an automation's runs, newest first, with status and date filters.

    Args:
        session: DB session.
        actor: any member of the account.
        automation_id: the automation.
        status: only runs with this status (one of RUN_STATUSES; "" or None for all).
        date_from: only runs created on or after this UTC day (YYYY-MM-DD).
        date_to: only runs created on or before this UTC day (inclusive).
        page_size: rows per page (1..100; not `limit`, which `entry.call` keeps for rate-limit buckets).
        offset: rows to skip.

    Returns:
        The page and the total count matching the filters.
    """
    automation = automations_service.get_row(session=session, account_id=actor.account_id, automation_id=automation_id)
    if status and status not in RUN_STATUSES:
        raise InvalidInput(f"Status must be one of {', '.join(RUN_STATUSES)}.")
    start, end = _parse_day(date_from, "from"), _parse_day(date_to, "to")
    if start and end and end < start:
        raise InvalidInput("The 'to' date is before the 'from' date.")
    limit = max(1, min(int(page_size), HISTORY_MAX_LIMIT))
    offset = max(0, int(offset))
    query = select(AutomationRun).where(
        AutomationRun.account_id == actor.account_id, AutomationRun.automation_id == automation.id
    )
    if status:
        query = query.where(AutomationRun.status == status)
    if start:
        query = query.where(AutomationRun.created_at >= start)
    if end:
        query = query.where(AutomationRun.created_at < end + timedelta(days=1))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(AutomationRun.created_at).desc(), col(AutomationRun.id).desc()).offset(offset).limit(limit)
    ).all()
    user_ids = {r.user_id for r in rows if r.user_id}
    names = (
        {u.id: u.name for u in session.exec(select(User).where(col(User.id).in_(user_ids))).all()} if user_ids else {}
    )
    return [
        RunSummaryDTO(
            id=r.id,
            status=r.status,
            user_name=names.get(r.user_id, "") if r.user_id else "",
            error_message=r.error_message or "",
            definition_version=r.definition_version,
            created_at=r.created_at,
            started_at=r.started_at,
            finished_at=r.finished_at,
            duration_ms=_ms(r.started_at, r.finished_at),
        )
        for r in rows
    ], total


def _clip(text: Any) -> tuple[str, bool]:
    text = "" if text is None else str(text)
    return (text[:SHOWN_TEXT], True) if len(text) > SHOWN_TEXT else (text, False)


def _pretty_json(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)[:SHOWN_TEXT]
    except (ValueError, TypeError):
        return ""


def _step_progress(
    session: Session, account_id: uuid.UUID, meta: dict[str, Any], result: AutomationStepResult | None, now: datetime
) -> StepProgressDTO:
    dto = StepProgressDTO(step_order=meta["step_order"], name=meta["name"], output_type=meta["output_type"])
    if result is None:
        return dto
    inp, out = result.input_payload_json or {}, result.output_payload_json or {}
    dto.status, dto.error = result.status, result.error_message or ""
    dto.started_at, dto.finished_at = result.started_at, result.finished_at
    # A running step shows how long it has been running so far.
    dto.duration_ms = _ms(result.started_at, result.finished_at or (now if result.status == "running" else None))
    dto.tokens_input, dto.tokens_output = result.num_tokens_input, result.num_tokens_output
    dto.input_text, dto.input_truncated = _clip(inp.get("text"))
    dto.output_text, dto.output_truncated = _clip(out.get("text"))
    if meta["output_type"] == "json" and dto.output_text:
        dto.output_json = _pretty_json(str(out.get("text")))
    dto.files = list(_file_refs(session, account_id, out.get("generated_file_ids")).values())
    return dto


def run_progress(*, session: Session, actor: User, run_id: uuid.UUID | str) -> RunProgressDTO:
    """A run with every step of its pinned definition, read from the run tables.

    Reads only the database, so it shows progress made by any worker process.

    Args:
        session: DB session.
        actor: any member of the run's account.
        run_id: the run.

    Returns:
        The run, its input (form values by label, files by name) and one entry per step
        (pending until the runner writes its result).
    """
    run = get_row(session=session, account_id=actor.account_id, run_id=run_id)
    automation = session.get(Automation, run.automation_id)
    definition = DefinitionSnapshot.parse(run.definition)
    results = {r.step_order: r for r in results_of(session, run.id)}
    now = utcnow()
    steps = [
        _step_progress(session, run.account_id, meta, results.get(meta["step_order"]), now)
        for meta in _step_names(definition)
    ]
    payload = run.input_payload_json or {}
    form_data = payload.get("form_data") or {}
    fields = []
    for field in definition.form_schema:
        value = form_data.get(field.get("id"))
        if field.get("type") in automation_rules.FILE_FIELD_TYPES and value:
            ref = _file_refs(session, run.account_id, [value]).get(str(value))
            value = ref.name if ref else "(file no longer stored)"
        fields.append(
            {
                "label": str(field.get("label") or field.get("id")),
                "value": "" if value is None else str(value)[:SHOWN_TEXT],
            }
        )
    out_text = (run.output_payload_json or {}).get("text") or ""
    last = steps[-1] if steps else None
    return RunProgressDTO(
        id=run.id,
        automation_id=run.automation_id,
        automation_name=automation.name if automation else "",
        status=run.status,
        error_message=run.error_message or "",
        definition_version=run.definition_version,
        cancel_requested=run.cancel_requested,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        input_text=_clip(payload.get("text"))[0],
        input_fields=fields,
        input_files=list(_file_refs(session, run.account_id, payload.get("file_ids")).values()),
        steps=steps,
        completed_steps=sum(1 for s in steps if s.status == "completed"),
        total_steps=len(steps),
        output_text=_clip(out_text)[0],
        output_type=last.output_type if last else "text",
        output_json=_pretty_json(out_text) if last and last.output_type == "json" and out_text else "",
        files=last.files if last and run.status == "completed" else [],
    )


class FileDownloadDTO(DTO):
    """A file's bytes for a browser download."""

    name: str
    content_type: str
    data: bytes


def file_download(*, session: Session, actor: User, file_id: uuid.UUID | str) -> FileDownloadDTO:
    """A stored file of the actor's account, for a run page's download button."""
    row = files_service.get_file(session=session, actor=actor, file_id=_as_uuid(file_id, "File not found."))
    return FileDownloadDTO(name=row.name, content_type=row.content_type, data=row.data)
