"""Completion models per account (owner-only writes; API keys encrypted, never returned)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from resolutionflow_app.db.models import (
    Assistant,
    AutomationStep,
    CompletionModel,
    User,
)
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from resolutionflow_app.domain.roles import is_owner
from resolutionflow_app.services import secrets_box
from resolutionflow_app.services.dto import DTO
from resolutionflow_app.settings import get_settings

PROVIDERS = ("openai_compatible", "offline")


class ModelDTO(DTO):
    """A completion model as the API shows it (no API key)."""

    id: uuid.UUID
    name: str
    provider: str
    base_url: str | None
    model: str
    security_level: int
    token_limit: int | None
    supports_vision: bool
    supports_audio: bool
    has_api_key: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None


def to_dto(row: CompletionModel) -> ModelDTO:
    """DTO of a row."""
    dto = ModelDTO.model_validate(row)
    dto.has_api_key = bool(row.api_key_encrypted)
    return dto


def check_base_url(url: str) -> str:
    """Validate a provider base URL through the SSRF guard; InvalidInput (422) when refused."""
    from resolutionflow_app.integrations import http_guard  # noqa: PLC0415

    url = (url or "").strip()
    if not url:
        raise InvalidInput("base_url is required for an OpenAI-compatible model.")
    try:
        http_guard.check_url_syntax(url, allowed_cidrs=get_settings().cidr_list() or None)  # no DNS at save time
    except ValueError as exc:
        raise InvalidInput(f"base_url is not allowed: {exc}") from None
    return url


def _require_owner(actor: User) -> None:
    if not is_owner(actor.role):
        raise Forbidden("Only account owners can manage models.")


def _apply(row: CompletionModel, data: dict[str, Any]) -> None:
    for key in ("name", "model"):
        if key in data and data[key] is not None:
            value = str(data[key]).strip()
            if not value or len(value) > 200:
                raise InvalidInput(f"{key} must be 1 to 200 characters.")
            setattr(row, key, value)
    if data.get("provider") is not None:
        if data["provider"] not in PROVIDERS:
            raise InvalidInput(f"provider must be one of {', '.join(PROVIDERS)}.")
        row.provider = data["provider"]
    if "base_url" in data:
        row.base_url = (data["base_url"] or "").strip() or None
    if data.get("security_level") is not None:
        if int(data["security_level"]) < 0:
            raise InvalidInput("security_level must be 0 or more.")
        row.security_level = int(data["security_level"])
    if "token_limit" in data:
        limit = data["token_limit"]
        if limit is not None and int(limit) < 1:
            raise InvalidInput("token_limit must be at least 1.")
        row.token_limit = limit
    for key in ("supports_vision", "supports_audio"):
        if data.get(key) is not None:
            setattr(row, key, bool(data[key]))
    if "api_key" in data:
        key = data["api_key"]
        row.api_key_encrypted = secrets_box.encrypt_str(key) if key else None
    if row.provider == "openai_compatible":
        row.base_url = check_base_url(row.base_url or "")
    if not row.model:
        raise InvalidInput("model is required.")


def create_model(*, session: Session, actor: User, data: dict[str, Any]) -> ModelDTO:
    """Create a model in the actor's account (owner only)."""
    _require_owner(actor)
    if not data.get("name") or not data.get("model"):
        if data.get("provider") == "offline" and data.get("name"):
            data = {**data, "model": data.get("model") or "offline"}
        else:
            raise InvalidInput("name and model are required.")
    row = CompletionModel(
        account_id=actor.account_id, name="", model="", provider=data.get("provider") or "openai_compatible"
    )
    _apply(row, data)
    session.add(row)
    session.flush()
    return to_dto(row)


def get_row(*, session: Session, account_id: uuid.UUID, model_id: uuid.UUID | str) -> CompletionModel:
    """A model of the account; NotFound otherwise."""
    try:
        mid = model_id if isinstance(model_id, uuid.UUID) else uuid.UUID(str(model_id))
    except ValueError:
        raise NotFound("Model not found.") from None
    row = session.get(CompletionModel, mid)
    if row is None or row.account_id != account_id:
        raise NotFound("Model not found.")
    return row


def get_model(*, session: Session, actor: User, model_id: uuid.UUID) -> ModelDTO:
    """One model of the actor's account."""
    return to_dto(get_row(session=session, account_id=actor.account_id, model_id=model_id))


def list_models(*, session: Session, actor: User, limit: int = 50, offset: int = 0) -> tuple[list[ModelDTO], int]:
    """Models of the actor's account, by name."""
    query = select(CompletionModel).where(CompletionModel.account_id == actor.account_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(CompletionModel.name), col(CompletionModel.id)).offset(offset).limit(limit)
    ).all()
    return [to_dto(r) for r in rows], total


def update_model(*, session: Session, actor: User, model_id: uuid.UUID, data: dict[str, Any]) -> ModelDTO:
    """Change a model (owner only); `api_key` omitted keeps the stored key."""
    row = get_row(session=session, account_id=actor.account_id, model_id=model_id)
    _require_owner(actor)
    _apply(row, data)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return to_dto(row)


def delete_model(*, session: Session, actor: User, model_id: uuid.UUID) -> None:
    """Delete a model (owner only); refused while an automation step or a listed assistant uses it.

    Raises:
        Conflict: the model is still in use (deleting it would break those automations).
    """
    row = get_row(session=session, account_id=actor.account_id, model_id=model_id)
    _require_owner(actor)
    in_use = session.exec(
        select(Assistant.name)
        .where(Assistant.completion_model_id == row.id)
        .where(
            sa.or_(col(Assistant.hidden).is_(False), col(Assistant.id).in_(select(col(AutomationStep.assistant_id))))
        )
        .limit(3)
    ).all()
    if in_use:
        raise Conflict("This model is still used by automations or assistants; switch them to another model first.")
    session.delete(row)
    session.flush()


def ensure_offline_model(*, session: Session, account_id: uuid.UUID, name: str = "Offline model") -> CompletionModel:
    """The account's offline model (created when missing); used by demo data."""
    row = session.exec(
        select(CompletionModel).where(CompletionModel.account_id == account_id, CompletionModel.provider == "offline")
    ).first()
    if row is None:
        row = CompletionModel(account_id=account_id, name=name, provider="offline", model="offline", security_level=0)
        session.add(row)
        session.flush()
    return row
