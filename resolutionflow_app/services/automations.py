"""Automations: CRUD with validation, publish (immutable published definition), export, graph."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from resolutionflow_app.db.models import (
    Assistant,
    AssistantMCPServer,
    Automation,
    AutomationRun,
    AutomationStep,
    AutomationStepMCPTool,
    AutomationStepResult,
    CompletionModel,
    MCPServer,
    MCPServerTool,
    StoredFile,
    User,
)
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.domain import automation_rules
from resolutionflow_app.domain.automation_definition import DefinitionSnapshot, SnapshotStep
from resolutionflow_app.domain.automation_graph import build_graph
from resolutionflow_app.domain.errors import Forbidden, InvalidInput, NotFound
from resolutionflow_app.domain.roles import can_author
from resolutionflow_app.integrations.http_guard import (
    BlockedURLError,
    InvalidHeaderError,
    check_templated_url_syntax,
    validate_headers,
)
from resolutionflow_app.services import assistants as assistants_service
from resolutionflow_app.services import secrets_box
from resolutionflow_app.services.dto import DTO
from resolutionflow_app.settings import get_settings

STEP_KEYS = (
    "step_order",
    "user_description",
    "input_source",
    "input_type",
    "output_mode",
    "output_type",
    "input_config",
    "output_config",
    "output_classification_override",
    "mcp_policy",
)


class StepDTO(DTO):
    """A step as the API shows it (config headers redacted)."""

    step_order: int
    user_description: str | None = None
    assistant_id: uuid.UUID
    assistant: dict[str, Any]
    input_source: str
    input_type: str
    output_mode: str
    output_type: str
    input_config: dict[str, Any] | None = None
    output_config: dict[str, Any] | None = None
    output_classification_override: int | None = None
    mcp_policy: str
    mcp_tool_ids: list[uuid.UUID] = []
    execution_hash: str | None = None


class AutomationDTO(DTO):
    """An automation as the API shows it."""

    id: uuid.UUID
    account_id: uuid.UUID
    user_id: uuid.UUID | None = None
    name: str
    description: str | None = None
    form_schema: list[dict[str, Any]] = []
    data_retention_days: int | None = None
    published: bool
    published_version: int
    published_checksum: str | None = None
    published_at: datetime | None = None
    draft_checksum: str
    has_unpublished_changes: bool
    steps: list[StepDTO] = []
    created_at: datetime | None = None
    updated_at: datetime | None = None


class AutomationSummary(DTO):
    """A row of the automation list."""

    id: uuid.UUID
    name: str
    description: str | None = None
    published: bool
    published_version: int
    steps_count: int
    updated_at: datetime | None = None


# ---------------------------------------------------------------- loading


def get_row(*, session: Session, account_id: uuid.UUID, automation_id: uuid.UUID | str) -> Automation:
    """An automation of the account; NotFound otherwise."""
    try:
        aid = automation_id if isinstance(automation_id, uuid.UUID) else uuid.UUID(str(automation_id))
    except ValueError:
        raise NotFound("Automation not found.") from None
    row = session.get(Automation, aid)
    if row is None or row.account_id != account_id:
        raise NotFound("Automation not found.")
    return row


def step_rows(session: Session, automation_id: uuid.UUID) -> list[AutomationStep]:
    """Steps of an automation in order."""
    return list(
        session.exec(
            select(AutomationStep)
            .where(col(AutomationStep.automation_id) == automation_id)
            .order_by(col(AutomationStep.step_order))
        ).all()
    )


def current_definition(session: Session, automation: Automation) -> DefinitionSnapshot:
    """The draft definition (what the step tables hold now), as a self-contained, typed snapshot.

    Config headers stay encrypted; assistants contribute their prompt, model and MCP servers.

    Args:
        session: DB session.
        automation: the automation row.

    Returns:
        The snapshot; its `to_json()` is what a publish freezes and a run pins.
    """
    steps = []
    for step in step_rows(session, automation.id):
        assistant = session.get(Assistant, step.assistant_id)
        tools = sorted(
            str(t)
            for t in session.exec(
                select(AutomationStepMCPTool.mcp_server_tool_id).where(
                    AutomationStepMCPTool.automation_step_id == step.id
                )
            ).all()
        )
        servers = sorted(
            str(s)
            for s in session.exec(
                select(AssistantMCPServer.mcp_server_id).where(AssistantMCPServer.assistant_id == step.assistant_id)
            ).all()
        )
        steps.append(
            {
                "step_order": step.step_order,
                "user_description": step.user_description,
                "assistant_id": str(step.assistant_id),
                "assistant": {
                    "prompt": assistant.prompt if assistant else "",
                    "model_id": str(assistant.completion_model_id)
                    if assistant and assistant.completion_model_id
                    else None,
                    "name": assistant.name if assistant else "",
                    "hidden": bool(assistant and assistant.hidden),
                },
                "mcp_server_ids": servers,
                "input_source": step.input_source,
                "input_type": step.input_type,
                "output_mode": step.output_mode,
                "output_type": step.output_type,
                "input_config": step.input_config,
                "output_config": step.output_config,
                "output_classification_override": step.output_classification_override,
                "mcp_policy": step.mcp_policy,
                "mcp_tool_ids": tools if step.mcp_policy == "restricted" else [],
            }
        )
    meta = automation.metadata_json or {}
    return DefinitionSnapshot.parse(
        {
            "name": automation.name,
            "description": automation.description,
            "form_schema": meta.get("form_schema") or [],
            "data_retention_days": automation.data_retention_days,
            "steps": steps,
        }
    )


def _step_dto(step: SnapshotStep) -> StepDTO:
    assistant = step.assistant
    return StepDTO(
        step_order=step.step_order,
        user_description=step.user_description,
        assistant_id=uuid.UUID(str(step.assistant_id)),
        assistant={
            "prompt": assistant.prompt,
            "model_id": assistant.model_id,
            "name": assistant.name,
            "hidden": assistant.hidden,
            "mcp_server_ids": list(step.mcp_server_ids or []),
        },
        input_source=step.input_source or "",
        input_type=step.input_type or "",
        output_mode=step.output_mode,
        output_type=step.output_type,
        input_config=secrets_box.public_config(step.input_config),
        output_config=secrets_box.public_config(step.output_config),
        output_classification_override=step.output_classification_override,
        mcp_policy=step.mcp_policy,
        mcp_tool_ids=[uuid.UUID(t) for t in step.mcp_tool_ids],
        execution_hash=step.execution_hash,
    )


def to_dto(session: Session, row: Automation) -> AutomationDTO:
    """DTO of an automation with its draft steps."""
    definition = current_definition(session, row)
    checksum = definition.checksum
    return AutomationDTO(
        id=row.id,
        account_id=row.account_id,
        user_id=row.user_id,
        name=row.name,
        description=row.description,
        form_schema=definition.form_schema,
        data_retention_days=row.data_retention_days,
        published=row.published,
        published_version=row.published_version,
        published_checksum=row.published_checksum,
        published_at=row.published_at,
        draft_checksum=checksum,
        has_unpublished_changes=row.published_checksum != checksum,
        steps=[_step_dto(s) for s in definition.steps],
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


# ---------------------------------------------------------------- writing


def _require_author(actor: User) -> None:
    if not can_author(actor.role):
        raise Forbidden("Only owners and authors can change automations.")


def _uuid(value: Any, what: str, label: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError):
        raise InvalidInput(f"{label}: {value!r} is not a valid {what} id.") from None


def _check_url(value: Any, label: str, key: str) -> None:
    # The save-time half of the SSRF guard (syntax, credentials, literal private addresses; no
    # DNS); the run-time guard resolves, pins and checks again when the step calls it.
    what = "the HTTP input URL" if key == "input_config" else "the webhook URL"
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{label}: {what} is empty.")
    try:
        check_templated_url_syntax(value, allowed_cidrs=get_settings().cidr_list() or None)
    except BlockedURLError as exc:
        raise InvalidInput(f"{label}: {what} is not allowed. {exc}") from None


def _normalise_steps(
    session: Session, account_id: uuid.UUID, raw_steps: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Resolve assistants and models of the submitted steps (no writes); returns steps + model levels."""
    steps: list[dict[str, Any]] = []
    levels: dict[str, int] = {}
    for i, raw in enumerate(raw_steps):
        if not isinstance(raw, dict):
            raise InvalidInput(f"Step #{i + 1}: must be an object.")
        order = raw.get("step_order")
        label = f"Step {order}" if isinstance(order, int) else f"Step #{i + 1}"
        step: dict[str, Any] = {k: raw.get(k) for k in STEP_KEYS}
        step["input_source"] = raw.get("input_source") or ("flow_input" if order == 1 else "previous_step")
        step["input_type"] = raw.get("input_type") or "any"
        step["output_mode"] = raw.get("output_mode") or "pass_through"
        step["output_type"] = raw.get("output_type") or "text"
        step["mcp_policy"] = raw.get("mcp_policy") or "inherit"
        for key in ("input_config", "output_config"):
            if step[key] is not None and not isinstance(step[key], dict):
                raise InvalidInput(f"{label}: {key} must be an object.")
            cfg = step[key] or {}
            if "url" in cfg:
                _check_url(cfg["url"], label, key)
            if cfg.get("headers") is not None and not isinstance(cfg.get("headers"), dict):
                raise InvalidInput(f"{label}: {key}.headers must be an object.")
            try:
                validate_headers(cfg.get("headers"))  # header injection blocklist at save time
            except InvalidHeaderError as exc:
                raise InvalidInput(f"{label}: {key}.headers: {exc}") from None
        if step.get("user_description") is not None and (
            not isinstance(step["user_description"], str) or len(step["user_description"]) > 200
        ):
            raise InvalidInput(f"{label}: user_description must be text of at most 200 characters.")
        inline = raw.get("assistant")
        existing: Assistant | None = None
        if raw.get("assistant_id"):
            existing = session.get(Assistant, _uuid(raw["assistant_id"], "assistant", label))
            if existing is None or existing.account_id != account_id:
                raise InvalidInput(f"{label}: assistant {raw['assistant_id']} was not found.")
            if inline is not None and not existing.hidden:
                raise InvalidInput(
                    f"{label}: assistant {existing.name!r} is a shared assistant; change it under Assistants, or send "
                    "only assistant_id."
                )
        elif inline is None:
            raise InvalidInput(f"{label}: needs an assistant ({{prompt, model_id}}) or an assistant_id.")
        if inline is not None and not isinstance(inline, dict):
            raise InvalidInput(f"{label}: assistant must be an object with prompt and model_id.")
        prompt = (inline or {}).get("prompt", existing.prompt if existing else "")
        if not isinstance(prompt, str) or len(prompt) > 100_000:
            raise InvalidInput(f"{label}: the prompt must be text of at most 100000 characters.")
        model_raw = (inline or {}).get("model_id") or (existing.completion_model_id if existing else None)
        if not model_raw:
            raise InvalidInput(f"{label}: the assistant needs a model_id.")
        model = session.get(CompletionModel, _uuid(model_raw, "model", label))
        if model is None or model.account_id != account_id:
            raise InvalidInput(f"{label}: model {model_raw} was not found.")
        levels[str(model.id)] = model.security_level
        step["assistant_id"] = str(existing.id) if existing else None
        step["assistant"] = {
            "prompt": prompt,
            "model_id": str(model.id),
            "name": (inline or {}).get("name") or (existing.name if existing else ""),
        }
        servers = (inline or {}).get("mcp_server_ids")
        if servers is not None and not isinstance(servers, list):
            raise InvalidInput(f"{label}: assistant.mcp_server_ids must be a list of MCP server ids.")
        for sid in servers or []:
            server = session.get(MCPServer, _uuid(sid, "MCP server", label))
            if server is None or server.account_id != account_id:
                raise InvalidInput(f"{label}: MCP server {sid} was not found.")
        if servers is not None:
            step["assistant"]["mcp_server_ids"] = [str(s) for s in servers]
        step["_inline"] = inline is not None
        tool_ids = raw.get("mcp_tool_ids")
        if tool_ids is not None:
            if not isinstance(tool_ids, list):
                raise InvalidInput(f"{label}: mcp_tool_ids must be a list.")
            checked = []
            for tid in tool_ids:
                tool = session.get(MCPServerTool, _uuid(tid, "MCP tool", label))
                server = session.get(MCPServer, tool.mcp_server_id) if tool else None
                if tool is None or server is None or server.account_id != account_id:
                    raise InvalidInput(f"{label}: MCP tool {tid} was not found.")
                checked.append(str(tool.id))
            step["mcp_tool_ids"] = sorted(set(checked))
        elif step["mcp_policy"] == "inherit":
            step["mcp_tool_ids"] = []
        else:
            step["mcp_tool_ids"] = None
        steps.append(step)
    return steps, levels


def _check_meta(data: dict[str, Any], *, partial: bool) -> None:
    if not partial or "name" in data:
        name = str(data.get("name") or "").strip()
        if not name or len(name) > 200:
            raise InvalidInput("name must be 1 to 200 characters.")
    days = data.get("data_retention_days")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 36_500):
        raise InvalidInput("data_retention_days must be a whole number of days from 1 to 36500.")


def _write_steps(session: Session, actor: User, automation: Automation, steps: list[dict[str, Any]]) -> None:
    old = {s.step_order: s for s in step_rows(session, automation.id)}
    by_assistant: dict[str, list[AutomationStep]] = {}
    for row in old.values():
        by_assistant.setdefault(str(row.assistant_id), []).append(row)
    new_rows = []
    for step in steps:
        # Masked header values keep the stored value of the same step: after a reorder that step is found
        # by its own assistant (unique unless shared), not by its new position.
        same = by_assistant.get(str(step.get("assistant_id")), [])
        prev = same[0] if len(same) == 1 else old.get(step["step_order"])
        if step["assistant_id"] is None:
            assistant = Assistant(
                account_id=automation.account_id,
                created_by=actor.id,
                name=(step["assistant"]["name"] or f"{automation.name} · step {step['step_order']}")[:200],
                prompt=step["assistant"]["prompt"],
                completion_model_id=uuid.UUID(step["assistant"]["model_id"]),
                hidden=True,
            )
            session.add(assistant)
            session.flush()
            assistants_service.set_servers(session, assistant, step["assistant"].get("mcp_server_ids"))
        else:
            found = session.get(Assistant, uuid.UUID(step["assistant_id"]))
            if found is None:  # checked in _check_steps, in this transaction
                raise InvalidInput(f"Step {step['step_order']}: assistant {step['assistant_id']} was not found.")
            assistant = found
            if step["_inline"]:
                assistant.prompt = step["assistant"]["prompt"]
                assistant.completion_model_id = uuid.UUID(step["assistant"]["model_id"])
                if step["assistant"].get("name"):
                    assistant.name = step["assistant"]["name"][:200]
                assistant.updated_at = utcnow()
                session.add(assistant)
                assistants_service.set_servers(session, assistant, step["assistant"].get("mcp_server_ids"))
        try:
            input_config = secrets_box.seal_config(step["input_config"], prev.input_config if prev else None)
            output_config = secrets_box.seal_config(step["output_config"], prev.output_config if prev else None)
        except ValueError as exc:
            raise InvalidInput(f"Step {step['step_order']}: {exc}") from None
        new_rows.append(
            (
                AutomationStep(
                    automation_id=automation.id,
                    assistant_id=assistant.id,
                    step_order=step["step_order"],
                    user_description=step.get("user_description"),
                    input_source=step["input_source"],
                    input_type=step["input_type"],
                    output_mode=step["output_mode"],
                    output_type=step["output_type"],
                    output_classification_override=step.get("output_classification_override"),
                    mcp_policy=step["mcp_policy"],
                    input_config=input_config,
                    output_config=output_config,
                ),
                step.get("mcp_tool_ids") or [],
            )
        )
    session.exec(delete(AutomationStep).where(col(AutomationStep.automation_id) == automation.id))
    session.flush()
    for row, tool_ids in new_rows:
        session.add(row)
        session.flush()
        for tid in tool_ids:
            session.add(AutomationStepMCPTool(automation_step_id=row.id, mcp_server_tool_id=uuid.UUID(tid)))
    session.flush()


def _save(session: Session, actor: User, automation: Automation, data: dict[str, Any], *, partial: bool) -> None:
    _check_meta(data, partial=partial)
    form_schema = (
        data.get("form_schema") if "form_schema" in data else (automation.metadata_json or {}).get("form_schema")
    )
    if isinstance(form_schema, list):
        # Field ids are human labels: stored trimmed ("  Namn på brukare " is "Namn på brukare").
        form_schema = [
            {**f, "id": f["id"].strip()} if isinstance(f, dict) and isinstance(f.get("id"), str) else f
            for f in form_schema
        ]
    if "steps" in data or not partial:
        raw_steps = data.get("steps") or []
        if not isinstance(raw_steps, list):
            raise InvalidInput("steps must be a list.")
        steps, levels = _normalise_steps(session, actor.account_id, raw_steps)
        automation_rules.validate_definition(steps=steps, form_schema=form_schema, model_levels=levels)
    else:
        steps = None
        problems = automation_rules.form_schema_problems(form_schema)
        if problems:
            raise InvalidInput(problems[0], problems=problems)
    if "name" in data or not partial:
        automation.name = str(data["name"]).strip()
    if "description" in data or not partial:
        automation.description = data.get("description")
    if "data_retention_days" in data or not partial:
        automation.data_retention_days = data.get("data_retention_days")
    meta = dict(automation.metadata_json or {})
    meta["form_schema"] = form_schema or []
    if data.get("widget_config") is not None:
        meta["widget_config"] = data["widget_config"]
    automation.metadata_json = meta
    automation.updated_at = utcnow()
    session.add(automation)
    session.flush()
    if steps is not None:
        _write_steps(session, actor, automation, steps)


def create_automation(*, session: Session, actor: User, data: dict[str, Any]) -> AutomationDTO:
    """Create an automation (owners and authors).

    Args:
        session: DB session.
        actor: the author.
        data: `{name, description?, form_schema?, data_retention_days?, steps: [...]}` (API.md).

    Returns:
        The automation (a draft, unpublished).

    Raises:
        InvalidInput: a rule is broken; the message names the step.
    """
    _require_author(actor)
    from resolutionflow_app.integrations import webhooks  # noqa: PLC0415

    automation = Automation(
        account_id=actor.account_id,
        user_id=actor.id,
        name="",
        webhook_secret_encrypted=secrets_box.encrypt_str(webhooks.new_webhook_secret()),
    )
    _check_meta(data, partial=False)
    automation.name = str(data["name"]).strip()
    session.add(automation)
    session.flush()
    _save(session, actor, automation, data, partial=False)
    return to_dto(session, automation)


def update_automation(
    *, session: Session, actor: User, automation_id: uuid.UUID, data: dict[str, Any]
) -> AutomationDTO:
    """Replace the definition (fields sent replace the stored ones; `steps` replaces all steps).

    Editing a published automation leaves the published version untouched: the edit is the new draft.
    """
    automation = get_row(session=session, account_id=actor.account_id, automation_id=automation_id)
    _require_author(actor)
    _save(session, actor, automation, data, partial=True)
    return to_dto(session, automation)


def get_automation(*, session: Session, actor: User, automation_id: uuid.UUID) -> AutomationDTO:
    """One automation of the actor's account."""
    return to_dto(session, get_row(session=session, account_id=actor.account_id, automation_id=automation_id))


def list_automations(
    *, session: Session, actor: User, q: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[AutomationSummary], int]:
    """Automations of the actor's account, newest change first; engineers see published ones."""
    query = select(Automation).where(Automation.account_id == actor.account_id)
    if not can_author(actor.role):
        query = query.where(col(Automation.published).is_(True))
    if q:
        query = query.where(func.lower(Automation.name).contains(q.strip().lower()))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(Automation.updated_at).desc(), col(Automation.id)).offset(offset).limit(limit)
    ).all()
    counts = (
        dict(
            session.exec(
                select(col(AutomationStep.automation_id), func.count())
                .where(col(AutomationStep.automation_id).in_([r.id for r in rows]))
                .group_by(col(AutomationStep.automation_id))
            ).all()
        )
        if rows
        else {}
    )
    return [
        AutomationSummary(
            id=r.id,
            name=r.name,
            description=r.description,
            published=r.published,
            published_version=r.published_version,
            steps_count=counts.get(r.id, 0),
            updated_at=r.updated_at,
        )
        for r in rows
    ], total


def delete_automation(*, session: Session, actor: User, automation_id: uuid.UUID) -> None:
    """Delete an automation, its runs and the files its runs generated."""
    automation = get_row(session=session, account_id=actor.account_id, automation_id=automation_id)
    _require_author(actor)
    run_ids = list(session.exec(select(AutomationRun.id).where(AutomationRun.automation_id == automation.id)).all())
    if run_ids:
        session.exec(delete(StoredFile).where(col(StoredFile.automation_run_id).in_(run_ids)))
        session.exec(delete(AutomationStepResult).where(col(AutomationStepResult.automation_run_id).in_(run_ids)))
        session.exec(delete(AutomationRun).where(col(AutomationRun.id).in_(run_ids)))
    session.exec(delete(AutomationStep).where(col(AutomationStep.automation_id) == automation.id))
    session.delete(automation)
    session.flush()


def publish_automation(*, session: Session, actor: User, automation_id: uuid.UUID) -> AutomationDTO:
    """Freeze the draft as the next published version (a no-op when nothing changed)."""
    automation = get_row(session=session, account_id=actor.account_id, automation_id=automation_id)
    _require_author(actor)
    definition = current_definition(session, automation)
    if not definition.steps:
        raise InvalidInput("Add at least one step before publishing.")
    levels = model_levels(session, definition)
    stored = definition.to_json()  # the rules check the stored shape
    automation_rules.validate_definition(steps=stored["steps"], form_schema=definition.form_schema, model_levels=levels)
    checksum = definition.checksum
    if checksum != automation.published_checksum or not automation.published:
        if checksum != automation.published_checksum:
            automation.published_version += 1
            automation.published_definition = stored
            automation.published_checksum = checksum
            automation.published_at = utcnow()
        automation.published = True
        automation.updated_at = utcnow()
        session.add(automation)
        session.flush()
    return to_dto(session, automation)


def unpublish_automation(*, session: Session, actor: User, automation_id: uuid.UUID) -> AutomationDTO:
    """Take an automation off the published list: engineers can no longer start it; the frozen version is kept.

    Runs already queued keep their pinned definition; publishing again without changes restores the same version.

    Raises:
        NotFound: not in the actor's account. Forbidden: engineers.
    """
    automation = get_row(session=session, account_id=actor.account_id, automation_id=automation_id)
    _require_author(actor)
    if automation.published:
        automation.published = False
        automation.updated_at = utcnow()
        session.add(automation)
        session.flush()
    return to_dto(session, automation)


def _models(session: Session, definition: DefinitionSnapshot) -> dict[str, CompletionModel]:
    out = {}
    for mid in definition.model_ids():
        row = session.get(CompletionModel, uuid.UUID(mid))
        if row is not None:
            out[mid] = row
    return out


def model_levels(session: Session, definition: DefinitionSnapshot) -> dict[str, int]:
    """`{model_id: security_level}` for the models a definition uses.

    Args:
        session: DB session.
        definition: the parsed definition.

    Returns:
        One entry per model that still exists.
    """
    return {mid: row.security_level for mid, row in _models(session, definition).items()}


def definition_graph(
    session: Session,
    definition: DefinitionSnapshot,
    results: dict[int, dict[str, Any]] | None = None,
    run_status: str | None = None,
) -> dict[str, Any]:
    """`domain.automation_graph.build_graph` of a parsed definition, with its models' names and levels.

    Args:
        session: DB session.
        definition: the parsed definition.
        results: a run's step results by step order (None for the definition alone).
        run_status: that run's status.

    Returns:
        The graph as the API answers it.
    """
    models = _models(session, definition)
    extra: dict[str, Any] = {} if results is None else {"results": results, "run_status": run_status}
    return build_graph(
        definition.to_json(),
        model_names={mid: row.name for mid, row in models.items()},
        model_levels={mid: row.security_level for mid, row in models.items()},
        **extra,
    )


def export_automation(*, session: Session, actor: User, automation_id: uuid.UUID) -> dict[str, Any]:
    """The full definition as JSON for audits, without secrets (header values, API keys, webhook secret)."""
    automation = get_row(session=session, account_id=actor.account_id, automation_id=automation_id)
    definition = current_definition(session, automation)
    steps = []
    for step in definition.to_json()["steps"]:
        item = dict(step)
        for key in ("input_config", "output_config"):
            cfg = step.get(key)
            if cfg is not None:
                clean = {
                    k: v
                    for k, v in cfg.items()
                    if k not in ("headers_encrypted", "headers_fingerprint", "header_names")
                }
                if cfg.get("header_names"):
                    clean["header_names"] = cfg["header_names"]
                item[key] = clean
        steps.append(item)
    rows = _models(session, definition)
    models = [
        {
            "id": mid,
            "name": rows[mid].name,
            "provider": rows[mid].provider,
            "model": rows[mid].model,
            "security_level": rows[mid].security_level,
            "token_limit": rows[mid].token_limit,
        }
        for mid in sorted(rows)
    ]
    return {
        "format": "resolutionflow.automation",
        "format_version": 1,
        "exported_at": utcnow().isoformat(),
        "automation": {
            "id": str(automation.id),
            "name": automation.name,
            "description": automation.description,
            "form_schema": definition.form_schema,
            "data_retention_days": automation.data_retention_days,
            "published": automation.published,
            "published_version": automation.published_version,
            "published_checksum": automation.published_checksum,
            "steps": steps,
        },
        "models": models,
        "graph": definition_graph(session, definition),
    }


def graph(
    *, session: Session, actor: User, automation_id: uuid.UUID, run_id: uuid.UUID | None = None
) -> dict[str, Any]:
    """The seed's graph; with `run_id`, the run's pinned definition enriched with its step results."""
    automation = get_row(session=session, account_id=actor.account_id, automation_id=automation_id)
    if run_id is None:
        return definition_graph(session, current_definition(session, automation))
    run = session.get(AutomationRun, run_id)
    if run is None or run.automation_id != automation.id:
        raise NotFound("Run not found.")
    definition = DefinitionSnapshot.parse(run.definition)
    rows = session.exec(select(AutomationStepResult).where(AutomationStepResult.automation_run_id == run.id)).all()
    results = {
        r.step_order: {
            "status": r.status,
            "started_at": r.started_at,
            "finished_at": r.finished_at,
            "num_tokens_input": r.num_tokens_input,
            "num_tokens_output": r.num_tokens_output,
            "error_message": r.error_message,
        }
        for r in rows
    }
    return definition_graph(session, definition, results=results, run_status=run.status)


def webhook_secret(*, session: Session, actor: User, automation_id: uuid.UUID) -> str:
    """The automation's webhook signing secret (owners and authors)."""
    automation = get_row(session=session, account_id=actor.account_id, automation_id=automation_id)
    _require_author(actor)
    return secrets_box.decrypt_str(automation.webhook_secret_encrypted) if automation.webhook_secret_encrypted else ""


def rotate_webhook_secret(*, session: Session, actor: User, automation_id: uuid.UUID) -> str:
    """Replace the webhook signing secret with a new one and return it (the builder shows it once).

    Deliveries made after this carry signatures made with the new secret; receivers must be updated.

    Raises:
        NotFound: not in the actor's account. Forbidden: engineers.
    """
    automation = get_row(session=session, account_id=actor.account_id, automation_id=automation_id)
    _require_author(actor)
    from resolutionflow_app.integrations import webhooks  # noqa: PLC0415 - same lazy import as create_automation

    secret = webhooks.new_webhook_secret()
    automation.webhook_secret_encrypted = secrets_box.encrypt_str(secret)
    automation.updated_at = utcnow()
    session.add(automation)
    session.flush()
    return secret
