"""Assistants (`/assistants`): hidden (inline-built) ones are not listed but found by id."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from resolutionflow_app.api.deps import CurrentUser, Paging, SessionDep, page
from resolutionflow_app.services import assistants as service

router = APIRouter(tags=["automations"])


class AssistantBody(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    prompt: str | None = Field(default=None, max_length=100_000)
    model_id: uuid.UUID | None = None
    mcp_server_ids: list[uuid.UUID] | None = None


@router.post("/assistants", status_code=201)
def create_assistant(body: AssistantBody, user: CurrentUser, session: SessionDep) -> service.AssistantDTO:
    """Create an assistant."""
    return service.create_assistant(session=session, actor=user, data=body.model_dump(exclude_unset=True))


@router.get("/assistants")
def list_assistants(*, paging: Paging = Depends(), user: CurrentUser, session: SessionDep) -> dict:
    """Visible assistants of the account."""
    return page(*service.list_assistants(session=session, actor=user, limit=paging.limit, offset=paging.offset))


@router.get("/assistants/{assistant_id}")
def get_assistant(assistant_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> service.AssistantDTO:
    """One assistant (hidden ones too)."""
    return service.get_assistant(session=session, actor=user, assistant_id=assistant_id)


@router.put("/assistants/{assistant_id}")
def update_assistant(
    assistant_id: uuid.UUID, body: AssistantBody, user: CurrentUser, session: SessionDep
) -> service.AssistantDTO:
    """Change an assistant."""
    return service.update_assistant(
        session=session, actor=user, assistant_id=assistant_id, data=body.model_dump(exclude_unset=True)
    )


@router.delete("/assistants/{assistant_id}", status_code=204)
def delete_assistant(assistant_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    """Delete an assistant (409 while a step uses it)."""
    service.delete_assistant(session=session, actor=user, assistant_id=assistant_id)
    return Response(status_code=204)
