"""Use cases of the automation builder and list pages: load/save a typed definition, new, duplicate, import, list with last runs."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session, func, select

from resolutionflow_app.db.models import (
    Automation,
    AutomationRun,
    CompletionModel,
    User,
)
from resolutionflow_app.domain.automation_definition import (
    AutomationDefinition,
    StepDefinition,
)
from resolutionflow_app.domain.errors import BadRequest, InvalidInput
from resolutionflow_app.domain.roles import can_author
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.services import automations as automations_service
from resolutionflow_app.services.dto import DTO


class ModelChoice(DTO):
    """A model an author may pick for a step (never its API key)."""

    id: str
    name: str
    security_level: int
    supports_vision: bool
    supports_audio: bool
    token_limit: int | None = None


class BuilderView(DTO):
    """Everything the builder page shows of one automation."""

    id: str
    definition: AutomationDefinition
    published: bool
    published_version: int
    has_unpublished_changes: bool
    models: list[ModelChoice]
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
    rows = session.exec(select(CompletionModel).where(CompletionModel.account_id == actor.account_id).order_by(CompletionModel.name)).all()
    return [ModelChoice(id=str(m.id), name=m.name, security_level=m.security_level, supports_vision=m.supports_vision, supports_audio=m.supports_audio, token_limit=m.token_limit) for m in rows]


def load_builder(*, session: Session, actor: User, automation_id: Any) -> BuilderView:
    """The automation as a typed definition, the account's models, and the last run's outputs (for the picker).

    Raises:
        NotFound: not an automation the actor may see.
    """
    dto = automations_service.get_automation(session=session, actor=actor, automation_id=automation_id)
    last = session.exec(select(AutomationRun).where(AutomationRun.automation_id == dto.id, AutomationRun.status == "completed").order_by(AutomationRun.created_at.desc()).limit(1)).first()
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
        id=str(dto.id), definition=AutomationDefinition.from_api(dto.model_dump(mode="json")), published=dto.published,
        published_version=dto.published_version, has_unpublished_changes=dto.has_unpublished_changes,
        models=_models(session, actor), sample_outputs=samples, can_edit=can_author(actor.role),
    )


def save_builder(*, session: Session, actor: User, automation_id: Any, definition: AutomationDefinition) -> automations_service.AutomationDTO:
    """Replace the draft with the builder's definition (the engine's rules decide; 422 names the step).

    Raises:
        InvalidInput: a rule refuses the definition (the message names the step). Forbidden: engineers.
    """
    return automations_service.update_automation(session=session, actor=actor, automation_id=automation_id, data=definition.to_api())


def new_automation(*, session: Session, actor: User, name: str = "Untitled automation") -> automations_service.AutomationDTO:
    """A draft with one step on the account's first model (least secure first is not assumed: by name).

    Raises:
        InvalidInput: the account has no model yet. Forbidden: engineers.
    """
    models = _models(session, actor)
    if not models:
        raise InvalidInput("Add a model first (Account page, Models) so the first step has something to run on.")
    step = StepDefinition(step_order=1, user_description="First step", prompt="Summarise the request in two sentences.\n\n{{flow_input.text}}", model_id=models[0].id)
    return automations_service.create_automation(session=session, actor=actor, data=AutomationDefinition(name=name, steps=[step]).to_api())


def _fresh_copy(definition: AutomationDefinition, name: str) -> dict[str, Any]:
    # New hidden assistants for the copy: never share (and later edit) the original's.
    copy = definition.model_copy(update={"name": name[:200], "steps": [s.model_copy(update={"assistant_id": None}) for s in definition.steps]})
    return copy.to_api()


def duplicate_automation(*, session: Session, actor: User, automation_id: Any) -> automations_service.AutomationDTO:
    """A draft copy named "Copy of …" with its own assistants (secrets in headers are not copied)."""
    dto = automations_service.get_automation(session=session, actor=actor, automation_id=automation_id)
    definition = AutomationDefinition.from_api(dto.model_dump(mode="json"))
    return automations_service.create_automation(session=session, actor=actor, data=_fresh_copy(definition, f"Copy of {definition.name}"))


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
    definition = definition.model_copy(update={"steps": [s if s.model_id in known else s.model_copy(update={"model_id": fallback}) for s in definition.steps]})
    return automations_service.create_automation(session=session, actor=actor, data=_fresh_copy(definition, definition.name))


def list_rows(*, session: Session, actor: User, q: str | None = None, limit: int = 20, offset: int = 0) -> tuple[list[ListRow], int]:
    """The list page: automations with step count, last run status and time, and who created them."""
    items, total = automations_service.list_automations(session=session, actor=actor, q=q, limit=limit, offset=offset)
    ids = [i.id for i in items]
    latest: dict[uuid.UUID, AutomationRun] = {}
    if ids:
        newest = select(AutomationRun.automation_id, func.max(AutomationRun.created_at).label("at")).where(AutomationRun.automation_id.in_(ids)).group_by(AutomationRun.automation_id).subquery()
        for run in session.exec(select(AutomationRun).join(newest, (AutomationRun.automation_id == newest.c.automation_id) & (AutomationRun.created_at == newest.c.at))).all():
            latest[run.automation_id] = run
    creators = dict(session.exec(select(Automation.id, User.name).join(User, User.id == Automation.user_id).where(Automation.id.in_(ids))).all()) if ids else {}
    rows = [ListRow(id=str(i.id), name=i.name, published=i.published, published_version=i.published_version, steps_count=i.steps_count,
                    last_run_status=latest[i.id].status if i.id in latest else "", last_run_at=latest[i.id].created_at if i.id in latest else None,
                    created_by=creators.get(i.id, ""), updated_at=i.updated_at) for i in items]
    return rows, total
