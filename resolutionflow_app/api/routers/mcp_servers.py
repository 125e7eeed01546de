"""MCP servers (`/mcp-servers`) and `POST /mcp-servers/{id}/refresh-tools`."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from resolutionflow_app.api.deps import CurrentUser, Paging, SessionDep, page
from resolutionflow_app.services import mcp_servers as service

router = APIRouter(tags=["automations"])


class ServerBody(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=2000)
    description: str | None = Field(default=None, max_length=10_000)
    headers: dict[str, str] | None = None
    tools: list[dict[str, Any]] | None = None


@router.post("/mcp-servers", status_code=201)
def create_server(body: ServerBody, user: CurrentUser, session: SessionDep) -> service.MCPServerDTO:
    """Register an MCP server."""
    return service.create_server(session=session, actor=user, data=body.model_dump(exclude_unset=True))


@router.get("/mcp-servers")
def list_servers(*, paging: Paging = Depends(), user: CurrentUser, session: SessionDep) -> dict:
    """MCP servers of the account."""
    return page(*service.list_servers(session=session, actor=user, limit=paging.limit, offset=paging.offset))


@router.get("/mcp-servers/{server_id}")
def get_server(server_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> service.MCPServerDTO:
    """One server with its tools."""
    return service.get_server(session=session, actor=user, server_id=server_id)


@router.put("/mcp-servers/{server_id}")
def update_server(
    server_id: uuid.UUID, body: ServerBody, user: CurrentUser, session: SessionDep
) -> service.MCPServerDTO:
    """Change a server."""
    return service.update_server(
        session=session, actor=user, server_id=server_id, data=body.model_dump(exclude_unset=True)
    )


@router.delete("/mcp-servers/{server_id}", status_code=204)
def delete_server(server_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    """Delete a server."""
    service.delete_server(session=session, actor=user, server_id=server_id)
    return Response(status_code=204)


@router.post("/mcp-servers/{server_id}/refresh-tools")
def refresh_tools(server_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> service.MCPServerDTO:
    """List the server's tools over streamable HTTP and store them."""
    return service.refresh_tools(session=session, actor=user, server_id=server_id)
