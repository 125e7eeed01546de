"""Use cases of the automation builder and list pages: load/save a typed definition, new, duplicate, import, list with
last runs."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from resolutionflow_app.db.models import (
    Assistant,
    Automation,
    AutomationRun,
    CompletionModel,
    MCPServer,
    User,
)
from resolutionflow_app.domain.automation_definition import (
    AutomationDefinition,
    StepDefinition,
)
from resolutionflow_app.domain.errors import BadRequest, InvalidInput
from resolutionflow_app.domain.roles import can_author
from resolutionflow_app.services import assistants as assistants_service
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.services import automations as automations_service
from resolutionflow_app.services import mcp_servers as mcp_service
from resolutionflow_app.services.dto import DTO


class ModelChoice(DTO):
    """A model an author may pick for a step (never its API key)."""

    id: str
    name: str
    security_level: int
    supports_vision: bool
    supports_audio: bool
    token_limit: int | None = None


class AssistantChoice(DTO):
    """A shared assistant a step may use instead of its own prompt."""

    id: str
    name: str
    prompt: str
    model_id: str
    model_name: str = ""
    mcp_server_ids: list[str] = []


class ToolChoice(DTO):
    """One tool an MCP server offers."""

    id: str
    name: str
    description: str = ""


class ServerChoice(DTO):
    """An MCP server of the account with its tools (never its headers)."""

    id: str
    name: str
    tools: list[ToolChoice] = []


class BuilderView(DTO):
    """Everything the builder page shows of one automation."""

    id: str
    definition: AutomationDefinition
    published: bool
    published_version: int
    has_unpublished_changes: bool
    models: list[ModelChoice]
    assistants: list[AssistantChoice] = []
    mcp_servers: list[ServerChoice] = []
    sample_outputs: dict[int, Any] = {}
    can_edit: bool


class ListRow(DTO):
    """A row of the automations list page."""

    id: str
    name: str
    published: bool
    published_version: int
    steps_count: int
    last_run_status: str = ""
    last_run_at: datetime | None = None
    created_by: str = ""
    updated_at: datetime | None = None


def _models(session: Session, actor: User) -> list[ModelChoice]:
    rows = session.exec(
        select(CompletionModel).where(CompletionModel.account_id == actor.account_id).order_by(CompletionModel.name)
    ).all()
    return [
        ModelChoice(
            id=str(m.id),
            name=m.name,
            security_level=m.security_level,
            supports_vision=m.supports_vision,
            supports_audio=m.supports_audio,
            token_limit=m.token_limit,
        )
        for m in rows
    ]


def _assistants(session: Session, actor: User, models: list[ModelChoice]) -> list[AssistantChoice]:
    names = {m.id: m.name for m in models}
    rows = session.exec(
        select(Assistant)
        .where(col(Assistant.account_id) == actor.account_id, col(Assistant.hidden).is_(False))
        .order_by(col(Assistant.name))
    ).all()
    return [
        AssistantChoice(
            id=str(a.id),
            name=a.name,
            prompt=a.prompt,
            model_id=str(a.completion_model_id or ""),
            model_name=names.get(str(a.completion_model_id), ""),
            mcp_server_ids=[str(x) for x in assistants_service.server_ids(session, a.id)],
        )
        for a in rows
    ]


def _mcp_servers(session: Session, actor: User) -> list[ServerChoice]:
    rows = session.exec(
        select(MCPServer).where(MCPServer.account_id == actor.account_id).order_by(MCPServer.name)
    ).all()
    return [
        ServerChoice(
            id=str(r.id),
            name=r.name,
            tools=[
                ToolChoice(id=str(t.id), name=t.name, description=(t.description or "")[:200])
                for t in mcp_service.tools_of(session, r.id)
            ],
        )
        for r in rows
    ]


def load_builder(*, session: Session, actor: User, automation_id: Any) -> BuilderView:
    """The automation as a typed definition, the account's models, and the last run's outputs (for the picker).

    Raises:
        NotFound: not an automation the actor may see.
    """
    dto = automations_service.get_automation(session=session, actor=actor, automation_id=automation_id)
    last = session.exec(
        select(AutomationRun)
        .where(col(AutomationRun.automation_id) == dto.id, col(AutomationRun.status) == "completed")
        .order_by(col(AutomationRun.created_at).desc())
        .limit(1)
    ).first()
    samples: dict[int, Any] = {}
    if last is not None:
        for step in runs_service.get_run(session=session, actor=actor, run_id=last.id).step_results:
            text = (step.output_payload_json or {}).get("text")
            try:
                parsed = json.loads(text) if isinstance(text, str) else None
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                samples[step.step_order] = parsed
    return BuilderView(
        id=str(dto.id),
        definition=AutomationDefinition.from_api(dto.model_dump(mode="json")),
        published=dto.published,
        published_version=dto.published_version,
        has_unpublished_changes=dto.has_unpublished_changes,
        models=(models := _models(session, actor)),
        assistants=_assistants(session, actor, models),
        mcp_servers=_mcp_servers(session, actor),
        sample_outputs=samples,
        can_edit=can_author(actor.role),
    )


def save_builder(
    *, session: Session, actor: User, automation_id: Any, definition: AutomationDefinition
) -> automations_service.AutomationDTO:
    """Replace the draft with the builder's definition (the engine's rules decide; 422 names the step).

    Raises:
        InvalidInput: a rule refuses the definition (the message names the step). Forbidden: engineers.
    """
    return automations_service.update_automation(
        session=session, actor=actor, automation_id=automation_id, data=definition.to_api()
    )


def new_automation(
    *, session: Session, actor: User, name: str = "Untitled automation"
) -> automations_service.AutomationDTO:
    """A draft with one step on the account's first model (least secure first is not assumed: by name).

    Raises:
        InvalidInput: the account has no model yet. Forbidden: engineers.
    """
    models = _models(session, actor)
    if not models:
        raise InvalidInput(
            "Add a model first (Account → AI models and tools) so the first step has something to run on."
        )
    step = StepDefinition(
        step_order=1,
        user_description="First step",
        prompt="Summarise the request in two sentences.\n\n{{flow_input.text}}",
        model_id=models[0].id,
    )
    return automations_service.create_automation(
        session=session, actor=actor, data=AutomationDefinition(name=name, steps=[step]).to_api()
    )


def _fresh_copy(definition: AutomationDefinition, name: str, *, keep_shared: bool) -> dict[str, Any]:
    # New hidden assistants for the copy: never share (and later edit) the original's inline ones.
    # Shared assistants stay shared within the account; an import inlines them (their ids are another team's).
    steps = [
        s
        if (keep_shared and s.assistant_shared)
        else s.model_copy(update={"assistant_id": None, "assistant_shared": False})
        for s in definition.steps
    ]
    return definition.model_copy(update={"name": name[:200], "steps": steps}).to_api()


def duplicate_automation(*, session: Session, actor: User, automation_id: Any) -> automations_service.AutomationDTO:
    """A draft copy named "Copy of …" with its own assistants (secrets in headers are not copied)."""
    dto = automations_service.get_automation(session=session, actor=actor, automation_id=automation_id)
    definition = AutomationDefinition.from_api(dto.model_dump(mode="json"))
    return automations_service.create_automation(
        session=session, actor=actor, data=_fresh_copy(definition, f"Copy of {definition.name}", keep_shared=True)
    )


def import_automation(*, session: Session, actor: User, document: Any) -> automations_service.AutomationDTO:
    """A draft from an export (`{"format": "resolutionflow.automation", "automation": {...}}`) or a bare definition.

    Models are matched by id in the actor's account; a step whose model is not there gets the
    account's first model, so the import never fails on another team's ids.

    Raises:
        BadRequest: not an automation document. InvalidInput: the engine's rules refuse it.
    """
    if not isinstance(document, dict):
        raise BadRequest("This file is not a ResolutionFlow automation export.")
    data = document.get("automation") if document.get("format") == "resolutionflow.automation" else document
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list) or not data.get("name"):
        raise BadRequest("This file is not a ResolutionFlow automation export (it needs a name and steps).")
    try:
        definition = AutomationDefinition.from_api(data)
    except (ValueError, TypeError, KeyError) as exc:
        raise BadRequest(f"The automation in this file cannot be read: {exc}.") from None
    known = {m.id for m in _models(session, actor)}
    fallback = next(iter(sorted(known)), None)
    servers = {s.id: {t.id for t in s.tools} for s in _mcp_servers(session, actor)}
    steps = []
    for s in definition.steps:
        model = s.model_id if s.model_id in known else fallback
        server_ids = [x for x in s.mcp_server_ids if x in servers]
        tools = [t for t in s.mcp_tool_ids if any(t in servers[x] for x in server_ids)]
        steps.append(s.model_copy(update={"model_id": model, "mcp_server_ids": server_ids, "mcp_tool_ids": tools}))
    definition = definition.model_copy(update={"steps": steps})
    return automations_service.create_automation(
        session=session, actor=actor, data=_fresh_copy(definition, definition.name, keep_shared=False)
    )


def list_rows(
    *, session: Session, actor: User, q: str | None = None, limit: int = 20, offset: int = 0
) -> tuple[list[ListRow], int]:
    """The list page: automations with step count, last run status and time, and who created them."""
    items, total = automations_service.list_automations(session=session, actor=actor, q=q, limit=limit, offset=offset)
    ids = [i.id for i in items]
    latest: dict[uuid.UUID, AutomationRun] = {}
    if ids:
        newest = (
            select(col(AutomationRun.automation_id), func.max(col(AutomationRun.created_at)).label("at"))
            .where(col(AutomationRun.automation_id).in_(ids))
            .group_by(col(AutomationRun.automation_id))
            .subquery()
        )
        for run in session.exec(
            select(AutomationRun).join(
                newest,
                (col(AutomationRun.automation_id) == newest.c.automation_id)
                & (col(AutomationRun.created_at) == newest.c.at),
            )
        ).all():
            latest[run.automation_id] = run
    creators = (
        dict(
            session.exec(
                select(col(Automation.id), col(User.name))
                .join(User, col(User.id) == col(Automation.user_id))
                .where(col(Automation.id).in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    rows = [
        ListRow(
            id=str(i.id),
            name=i.name,
            published=i.published,
            published_version=i.published_version,
            steps_count=i.steps_count,
            last_run_status=latest[i.id].status if i.id in latest else "",
            last_run_at=latest[i.id].created_at if i.id in latest else None,
            created_by=creators.get(i.id, ""),
            updated_at=i.updated_at,
        )
        for i in items
    ]
    return rows, total


def share_step_assistant(
    *, session: Session, actor: User, automation_id: Any, step_order: int, name: str
) -> AssistantChoice:
    """Turn a step's own (hidden) assistant into a shared one other steps and automations can use.

    Raises:
        InvalidInput: no such step, or the name is empty or too long. Forbidden: engineers.
    """
    dto = automations_service.get_automation(session=session, actor=actor, automation_id=automation_id)
    step = next((s for s in dto.steps if s.step_order == step_order), None)
    if step is None:
        raise InvalidInput(f"Step {step_order} was not found; reload the page.")
    clean = (name or "").strip()
    if not clean or len(clean) > 200:
        raise InvalidInput("Give the assistant a name of 1 to 200 characters.")
    row = assistants_service.get_row(session=session, account_id=actor.account_id, assistant_id=step.assistant_id)
    assistants_service.update_assistant(session=session, actor=actor, assistant_id=row.id, data={"name": clean})
    row.hidden = False
    session.add(row)
    session.flush()
    models = _models(session, actor)
    return next(a for a in _assistants(session, actor, models) if a.id == str(row.id))
