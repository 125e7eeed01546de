"""Shared DTO base: pydantic models built from table rows."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DTO(BaseModel):
    """Base for every service answer; builds from ORM rows via `model_validate(row)`."""

    model_config = ConfigDict(from_attributes=True)
