"""Assistants (`/assistants`): hidden (inline-built) ones are not listed but found by id."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from resolutionflow_app.api.deps import Paging, current_user, db_session, page
from resolutionflow_app.db.models import User
from resolutionflow_app.services import assistants as service

router = APIRouter(tags=["automations"])


class AssistantBody(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    prompt: str | None = Field(default=None, max_length=100_000)
    model_id: uuid.UUID | None = None
    mcp_server_ids: list[uuid.UUID] | None = None


@router.post("/assistants", status_code=201)
def create_assistant(body: AssistantBody, user: User = Depends(current_user), session: Session = Depends(db_session)) -> service.AssistantDTO:
    """Create an assistant."""
    return service.create_assistant(session=session, actor=user, data=body.model_dump(exclude_unset=True))


@router.get("/assistants")
def list_assistants(paging: Paging = Depends(), user: User = Depends(current_user), session: Session = Depends(db_session)) -> dict:
    """Visible assistants of the account."""
    return page(*service.list_assistants(session=session, actor=user, limit=paging.limit, offset=paging.offset))


@router.get("/assistants/{assistant_id}")
def get_assistant(assistant_id: uuid.UUID, user: User = Depends(current_user), session: Session = Depends(db_session)) -> service.AssistantDTO:
    """One assistant (hidden ones too)."""
    return service.get_assistant(session=session, actor=user, assistant_id=assistant_id)


@router.put("/assistants/{assistant_id}")
def update_assistant(assistant_id: uuid.UUID, body: AssistantBody, user: User = Depends(current_user), session: Session = Depends(db_session)) -> service.AssistantDTO:
    """Change an assistant."""
    return service.update_assistant(session=session, actor=user, assistant_id=assistant_id, data=body.model_dump(exclude_unset=True))


@router.delete("/assistants/{assistant_id}", status_code=204)
def delete_assistant(assistant_id: uuid.UUID, user: User = Depends(current_user), session: Session = Depends(db_session)) -> Response:
    """Delete an assistant (409 while a step uses it)."""
    service.delete_assistant(session=session, actor=user, assistant_id=assistant_id)
    return Response(status_code=204)
