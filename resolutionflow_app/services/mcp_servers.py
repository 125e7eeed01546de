"""MCP servers and their tools per account (tools listed with the official `mcp` SDK)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from resolutionflow_app.db.models import MCPServer, MCPServerTool, User
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.domain.errors import (
    BadRequest,
    Forbidden,
    InvalidInput,
    NotFound,
)
from resolutionflow_app.domain.roles import can_author
from resolutionflow_app.integrations.http_guard import (
    InvalidHeaderError,
    validate_headers,
)
from resolutionflow_app.services import secrets_box
from resolutionflow_app.services.dto import DTO
from resolutionflow_app.settings import get_settings


class ToolDTO(DTO):
    """A tool of an MCP server."""

    id: uuid.UUID
    name: str
    description: str | None = None
    input_schema: dict[str, Any] | None = None


class MCPServerDTO(DTO):
    """An MCP server as the API shows it (headers redacted)."""

    id: uuid.UUID
    name: str
    url: str
    description: str | None = None
    headers: dict[str, str] = {}
    tools: list[ToolDTO] = []
    tools_refreshed_at: datetime | None = None
    created_at: datetime | None = None


def _headers(row: MCPServer) -> dict[str, str]:
    return json.loads(secrets_box.decrypt_str(row.headers_encrypted)) if row.headers_encrypted else {}


def tools_of(session: Session, server_id: uuid.UUID) -> list[MCPServerTool]:
    """Tools of a server, by name."""
    return list(
        session.exec(
            select(MCPServerTool).where(MCPServerTool.mcp_server_id == server_id).order_by(MCPServerTool.name)
        ).all()
    )


def to_dto(session: Session, row: MCPServer) -> MCPServerDTO:
    """DTO of a row."""
    try:
        headers = {k: secrets_box.redact(v) for k, v in _headers(row).items()}
    except Exception:  # noqa: BLE001 - undecryptable after key loss: hide values
        headers = {}
    return MCPServerDTO(
        id=row.id,
        name=row.name,
        url=row.url,
        description=row.description,
        headers=headers,
        tools=[ToolDTO.model_validate(t) for t in tools_of(session, row.id)],
        tools_refreshed_at=row.tools_refreshed_at,
        created_at=row.created_at,
    )


def _require_author(actor: User) -> None:
    if not can_author(actor.role):
        raise Forbidden("Only owners and authors can manage MCP servers.")


def _check_url(url: str) -> str:
    from resolutionflow_app.integrations import http_guard  # noqa: PLC0415

    url = (url or "").strip()
    if not url:
        raise InvalidInput("url is required.")
    try:
        http_guard.check_url_syntax(url, allowed_cidrs=get_settings().cidr_list() or None)  # no DNS at save time
    except ValueError as exc:
        raise InvalidInput(f"url is not allowed: {exc}") from None
    return url


def get_row(*, session: Session, account_id: uuid.UUID, server_id: uuid.UUID | str) -> MCPServer:
    """A server of the account; NotFound otherwise."""
    try:
        sid = server_id if isinstance(server_id, uuid.UUID) else uuid.UUID(str(server_id))
    except ValueError:
        raise NotFound("MCP server not found.") from None
    row = session.get(MCPServer, sid)
    if row is None or row.account_id != account_id:
        raise NotFound("MCP server not found.")
    return row


def _apply(row: MCPServer, data: dict[str, Any]) -> None:
    if data.get("name") is not None:
        name = str(data["name"]).strip()
        if not name or len(name) > 200:
            raise InvalidInput("name must be 1 to 200 characters.")
        row.name = name
    if data.get("url") is not None:
        row.url = _check_url(data["url"])
    if "description" in data:
        row.description = data["description"]
    if data.get("headers") is not None:
        headers = data["headers"]
        if not isinstance(headers, dict):
            raise InvalidInput("headers must be an object.")
        old = _headers(row) if row.headers_encrypted else {}
        clean = {
            str(k): (old[k] if str(v).startswith(secrets_box.REDACTED_PREFIX) and k in old else str(v))
            for k, v in headers.items()
        }
        try:
            validate_headers(clean)  # header injection blocklist at save time, not only when calling
        except InvalidHeaderError as exc:
            raise InvalidInput(str(exc)) from None
        row.headers_encrypted = secrets_box.encrypt_str(json.dumps(clean)) if clean else None


def create_server(*, session: Session, actor: User, data: dict[str, Any]) -> MCPServerDTO:
    """Register an MCP server (owners and authors)."""
    _require_author(actor)
    if not data.get("name") or not data.get("url"):
        raise InvalidInput("name and url are required.")
    row = MCPServer(account_id=actor.account_id, name="", url="")
    _apply(row, data)
    session.add(row)
    session.flush()
    for tool in data.get("tools") or []:
        session.add(
            MCPServerTool(
                mcp_server_id=row.id,
                name=str(tool["name"]),
                description=tool.get("description"),
                input_schema=tool.get("input_schema"),
            )
        )
    session.flush()
    return to_dto(session, row)


def get_server(*, session: Session, actor: User, server_id: uuid.UUID) -> MCPServerDTO:
    """One server."""
    return to_dto(session, get_row(session=session, account_id=actor.account_id, server_id=server_id))


def list_servers(*, session: Session, actor: User, limit: int = 50, offset: int = 0) -> tuple[list[MCPServerDTO], int]:
    """Servers of the actor's account."""
    query = select(MCPServer).where(MCPServer.account_id == actor.account_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(MCPServer.name), col(MCPServer.id)).offset(offset).limit(limit)).all()
    return [to_dto(session, r) for r in rows], total


def update_server(*, session: Session, actor: User, server_id: uuid.UUID, data: dict[str, Any]) -> MCPServerDTO:
    """Change a server."""
    row = get_row(session=session, account_id=actor.account_id, server_id=server_id)
    _require_author(actor)
    _apply(row, data)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return to_dto(session, row)


def delete_server(*, session: Session, actor: User, server_id: uuid.UUID) -> None:
    """Delete a server (its tools and step allowlist entries go with it)."""
    row = get_row(session=session, account_id=actor.account_id, server_id=server_id)
    _require_author(actor)
    session.delete(row)
    session.flush()


def sync_tools(*, session: Session, row: MCPServer, tools: list[dict[str, Any]]) -> None:
    """Make the stored tools match `tools` (kept by name so allowlists survive a refresh)."""
    existing = {t.name: t for t in tools_of(session, row.id)}
    names = set()
    for tool in tools:
        name = str(tool.get("name") or "")
        if not name:
            continue
        names.add(name)
        item = existing.get(name) or MCPServerTool(mcp_server_id=row.id, name=name)
        item.description = tool.get("description")
        item.input_schema = tool.get("input_schema")
        session.add(item)
    for name, item in existing.items():
        if name not in names:
            session.delete(item)
    row.tools_refreshed_at = utcnow()
    session.add(row)
    session.flush()


def refresh_tools(*, session: Session, actor: User, server_id: uuid.UUID, list_tools: Any = None) -> MCPServerDTO:
    """List the server's tools over streamable HTTP and store them.

    Args:
        session: DB session.
        actor: an owner or author.
        server_id: the server.
        list_tools: async `(url, headers) -> [{name, description, input_schema}]`
            (default: integrations.mcp_client.list_tools).
    """
    row = get_row(session=session, account_id=actor.account_id, server_id=server_id)
    _require_author(actor)
    if list_tools is None:
        from resolutionflow_app.integrations import mcp_client  # noqa: PLC0415

        list_tools = mcp_client.list_tools
    url, headers = row.url, _headers(row)
    try:
        tools = _run_async(list_tools(url, headers))
    except Exception as exc:  # noqa: BLE001 - any connection/protocol failure is the caller's to read
        raise BadRequest(f"Could not list the tools of {row.name}: {exc}") from None
    sync_tools(session=session, row=row, tools=tools)
    return to_dto(session, row)


def _run_async(coro: Any) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    import concurrent.futures  # noqa: PLC0415

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def server_headers(row: MCPServer) -> dict[str, str]:
    """Decrypted headers of a server (runner only)."""
    return _headers(row)
