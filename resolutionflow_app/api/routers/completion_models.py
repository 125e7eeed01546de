"""Completion models (`/models`): owner-only writes; API keys are never returned."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from resolutionflow_app.api.deps import CurrentUser, Paging, SessionDep, page
from resolutionflow_app.services import completion_models as service

router = APIRouter(tags=["automations"])


class ModelBody(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    provider: str | None = None
    base_url: str | None = Field(default=None, max_length=2000)
    model: str | None = Field(default=None, max_length=200)
    api_key: str | None = Field(default=None, max_length=10_000)
    security_level: int | None = Field(default=None, ge=0, le=100)
    token_limit: int | None = Field(default=None, ge=1, le=100_000_000)
    supports_vision: bool | None = None
    supports_audio: bool | None = None


@router.post("/models", status_code=201)
def create_model(body: ModelBody, user: CurrentUser, session: SessionDep) -> service.ModelDTO:
    """Add a model to the account (owner)."""
    return service.create_model(session=session, actor=user, data=body.model_dump(exclude_unset=True))


@router.get("/models")
def list_models(*, paging: Paging = Depends(), user: CurrentUser, session: SessionDep) -> dict:
    """Models of the account."""
    return page(*service.list_models(session=session, actor=user, limit=paging.limit, offset=paging.offset))


@router.get("/models/{model_id}")
def get_model(model_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> service.ModelDTO:
    """One model."""
    return service.get_model(session=session, actor=user, model_id=model_id)


@router.put("/models/{model_id}")
def update_model(model_id: uuid.UUID, body: ModelBody, user: CurrentUser, session: SessionDep) -> service.ModelDTO:
    """Change a model (owner); omit api_key to keep the stored one."""
    return service.update_model(
        session=session, actor=user, model_id=model_id, data=body.model_dump(exclude_unset=True)
    )


@router.delete("/models/{model_id}", status_code=204)
def delete_model(model_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    """Delete a model (owner)."""
    service.delete_model(session=session, actor=user, model_id=model_id)
    return Response(status_code=204)
