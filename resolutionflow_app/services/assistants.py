"""Assistants: prompt + model (+ MCP servers); hidden ones are built inline by automation steps."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from resolutionflow_app.db.models import (
    Assistant,
    AssistantMCPServer,
    AutomationStep,
    MCPServer,
    User,
)
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.domain.errors import Forbidden, InvalidInput, NotFound
from resolutionflow_app.domain.roles import can_author
from resolutionflow_app.services import completion_models
from resolutionflow_app.services.dto import DTO


class AssistantDTO(DTO):
    """An assistant as the API shows it."""

    id: uuid.UUID
    name: str
    prompt: str
    model_id: uuid.UUID | None = None
    hidden: bool = False
    mcp_server_ids: list[uuid.UUID] = []
    created_at: datetime | None = None
    updated_at: datetime | None = None


def server_ids(session: Session, assistant_id: uuid.UUID) -> list[uuid.UUID]:
    """MCP server ids of an assistant."""
    return list(
        session.exec(
            select(AssistantMCPServer.mcp_server_id).where(AssistantMCPServer.assistant_id == assistant_id)
        ).all()
    )


def to_dto(session: Session, row: Assistant) -> AssistantDTO:
    """DTO of a row."""
    return AssistantDTO(
        id=row.id,
        name=row.name,
        prompt=row.prompt,
        model_id=row.completion_model_id,
        hidden=row.hidden,
        mcp_server_ids=server_ids(session, row.id),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _require_author(actor: User) -> None:
    if not can_author(actor.role):
        raise Forbidden("Only owners and authors can change assistants.")


def get_row(*, session: Session, account_id: uuid.UUID, assistant_id: uuid.UUID | str) -> Assistant:
    """An assistant of the account by id, hidden or not (seed P1-7); NotFound otherwise."""
    try:
        aid = assistant_id if isinstance(assistant_id, uuid.UUID) else uuid.UUID(str(assistant_id))
    except ValueError:
        raise NotFound("Assistant not found.") from None
    row = session.get(Assistant, aid)
    if row is None or row.account_id != account_id:
        raise NotFound("Assistant not found.")
    return row


def set_servers(session: Session, row: Assistant, ids: list[Any] | None) -> None:
    """Replace the assistant's MCP servers (None leaves them); servers must be in its account."""
    if ids is None:
        return
    wanted = []
    for raw in ids:
        try:
            sid = uuid.UUID(str(raw))
        except ValueError:
            raise InvalidInput(f"{raw!r} is not an MCP server id.") from None
        server = session.get(MCPServer, sid)
        if server is None or server.account_id != row.account_id:
            raise InvalidInput(f"MCP server {raw} was not found.")
        wanted.append(sid)
    session.exec(delete(AssistantMCPServer).where(col(AssistantMCPServer.assistant_id) == row.id))
    for sid in dict.fromkeys(wanted):
        session.add(AssistantMCPServer(assistant_id=row.id, mcp_server_id=sid))
    session.flush()


def _apply(session: Session, row: Assistant, data: dict[str, Any]) -> None:
    if data.get("name") is not None:
        name = str(data["name"]).strip()
        if not name or len(name) > 200:
            raise InvalidInput("name must be 1 to 200 characters.")
        row.name = name
    if data.get("prompt") is not None:
        if not isinstance(data["prompt"], str) or len(data["prompt"]) > 100_000:
            raise InvalidInput("prompt must be text of at most 100000 characters.")
        row.prompt = data["prompt"]
    if "model_id" in data:
        if data["model_id"] is None:
            raise InvalidInput("model_id is required.")
        row.completion_model_id = (
            completion_models.get_row(session=session, account_id=row.account_id, model_id=data["model_id"]).id
            if _valid(data["model_id"])
            else _bad_model(data["model_id"])
        )


def _valid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


def _bad_model(value: Any) -> uuid.UUID:
    raise InvalidInput(f"Model {value} was not found.")


def create_assistant(*, session: Session, actor: User, data: dict[str, Any], hidden: bool = False) -> AssistantDTO:
    """Create an assistant in the actor's account (owners and authors)."""
    _require_author(actor)
    if not data.get("model_id"):
        raise InvalidInput("model_id is required.")
    row = Assistant(
        account_id=actor.account_id,
        created_by=actor.id,
        name=str(data.get("name") or "Assistant").strip() or "Assistant",
        prompt="",
        hidden=hidden,
    )
    try:
        _apply(session, row, data)
    except NotFound:
        raise InvalidInput(f"Model {data.get('model_id')} was not found.") from None
    session.add(row)
    session.flush()
    set_servers(session, row, data.get("mcp_server_ids"))
    return to_dto(session, row)


def get_assistant(*, session: Session, actor: User, assistant_id: uuid.UUID) -> AssistantDTO:
    """One assistant by id (hidden ones included)."""
    return to_dto(session, get_row(session=session, account_id=actor.account_id, assistant_id=assistant_id))


def list_assistants(
    *, session: Session, actor: User, limit: int = 50, offset: int = 0
) -> tuple[list[AssistantDTO], int]:
    """Visible (not hidden) assistants of the actor's account."""
    query = select(Assistant).where(col(Assistant.account_id) == actor.account_id, col(Assistant.hidden).is_(False))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Assistant.name), col(Assistant.id)).offset(offset).limit(limit)).all()
    return [to_dto(session, r) for r in rows], total


def update_assistant(*, session: Session, actor: User, assistant_id: uuid.UUID, data: dict[str, Any]) -> AssistantDTO:
    """Change an assistant (owners and authors)."""
    row = get_row(session=session, account_id=actor.account_id, assistant_id=assistant_id)
    _require_author(actor)
    try:
        _apply(session, row, data)
    except NotFound:
        raise InvalidInput(f"Model {data.get('model_id')} was not found.") from None
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    set_servers(session, row, data.get("mcp_server_ids"))
    return to_dto(session, row)


def delete_assistant(*, session: Session, actor: User, assistant_id: uuid.UUID) -> None:
    """Delete an assistant; refused (409) while automation steps use it."""
    from resolutionflow_app.domain.errors import Conflict  # noqa: PLC0415

    row = get_row(session=session, account_id=actor.account_id, assistant_id=assistant_id)
    _require_author(actor)
    if session.exec(select(AutomationStep.id).where(AutomationStep.assistant_id == row.id)).first() is not None:
        raise Conflict("This assistant is used by an automation step; change the step first.")
    session.delete(row)
    session.flush()


def cleanup_hidden_assistants(*, session: Session) -> int:
    """Delete hidden assistants that no automation step references (hourly job).

    Args:
        session: DB session.

    Returns:
        How many were deleted.
    """
    used = select(AutomationStep.assistant_id)
    result = session.exec(delete(Assistant).where(col(Assistant.hidden).is_(True), col(Assistant.id).not_in(used)))
    return result.rowcount or 0
