"""AI automations (the seed's "Flöden"): models, assistants, MCP tools, steps, runs and results."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from resolutionflow_app.db.models._base import (
    fk_field,
    id_field,
    json_field,
    time_field,
)
from resolutionflow_app.domain.run_status import RUN_STATUSES

INPUT_SOURCES = ("flow_input", "previous_step", "all_previous_steps", "http_get", "http_post")
INPUT_TYPES = ("text", "json", "image", "audio", "document", "file", "any")
OUTPUT_MODES = ("pass_through", "http_post")
OUTPUT_TYPES = ("text", "json", "pdf", "docx")
MCP_POLICIES = ("inherit", "restricted")
STEP_RESULT_STATUSES = ("pending", "running", "completed", "failed", "cancelled")


def _in(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=name)


class CompletionModel(SQLModel, table=True):
    """An LLM endpoint an account may use, with its security classification level."""

    __tablename__ = "completion_models"
    __table_args__ = (
        _in("provider", ("openai_compatible", "offline"), "ck_completion_models_provider"),
        sa.CheckConstraint("security_level >= 0", name="ck_completion_models_security_level"),
        {"extend_existing": True},
    )

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = fk_field("accounts.id", "CASCADE")
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    provider: str = Field(default="openai_compatible", sa_column=sa.Column(sa.String(40), nullable=False))
    base_url: str | None = Field(default=None, sa_column=sa.Column(sa.String(2000), nullable=True))
    model: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    api_key_encrypted: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    security_level: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False, server_default="0"))
    token_limit: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
    supports_vision: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )
    supports_audio: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class MCPServer(SQLModel, table=True):
    """An MCP server (streamable HTTP) registered for an account."""

    __tablename__ = "mcp_servers"
    __table_args__ = {"extend_existing": True}

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = fk_field("accounts.id", "CASCADE")
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    url: str = Field(sa_column=sa.Column(sa.String(2000), nullable=False))
    headers_encrypted: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    description: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    tools_refreshed_at: datetime | None = time_field(nullable=True, default_now=False)
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class MCPServerTool(SQLModel, table=True):
    """A tool an MCP server offers."""

    __tablename__ = "mcp_server_tools"
    __table_args__ = (
        sa.UniqueConstraint("mcp_server_id", "name", name="uq_mcp_server_tools_server_name"),
        {"extend_existing": True},
    )

    id: uuid.UUID = id_field()
    mcp_server_id: uuid.UUID = fk_field("mcp_servers.id", "CASCADE")
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    description: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    input_schema: dict[str, Any] | None = json_field()
    is_enabled_by_default: bool = Field(
        default=True, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.true())
    )


class Assistant(SQLModel, table=True):
    """A prompt + model (+ MCP servers); `hidden` ones are built inline by an automation step."""

    __tablename__ = "assistants"
    __table_args__ = {"extend_existing": True}

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = fk_field("accounts.id", "CASCADE")
    created_by: uuid.UUID | None = fk_field("users.id", "SET NULL", nullable=True)
    completion_model_id: uuid.UUID | None = fk_field("completion_models.id", "SET NULL", nullable=True)
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    prompt: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False, server_default=""))
    hidden: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false(), index=True)
    )
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class AssistantMCPServer(SQLModel, table=True):
    """Which MCP servers an assistant may use."""

    __tablename__ = "assistant_mcp_servers"
    __table_args__ = {"extend_existing": True}

    assistant_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid(), sa.ForeignKey("assistants.id", ondelete="CASCADE"), primary_key=True)
    )
    mcp_server_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid(), sa.ForeignKey("mcp_servers.id", ondelete="CASCADE"), primary_key=True)
    )


class Automation(SQLModel, table=True):
    """A sequential AI pipeline; its own aggregate root."""

    __tablename__ = "automations"
    __table_args__ = {"extend_existing": True}

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = fk_field("accounts.id", "CASCADE")
    user_id: uuid.UUID | None = fk_field("users.id", "SET NULL", nullable=True)
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    description: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    published: bool = Field(default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false()))
    insight_enabled: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )
    data_retention_days: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
    # {"form_schema": [...], "widget_config": {...}}
    metadata_json: dict[str, Any] | None = json_field()
    webhook_secret_encrypted: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    # The immutable published definition that runs are pinned to.
    published_version: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False, server_default="0"))
    published_checksum: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    published_definition: dict[str, Any] | None = json_field()
    published_at: datetime | None = time_field(nullable=True, default_now=False)
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class AutomationStep(SQLModel, table=True):
    """One step of an automation: an assistant call with its input and output wiring."""

    __tablename__ = "automation_steps"
    __table_args__ = (
        sa.UniqueConstraint("automation_id", "step_order", name="uq_automation_steps_order"),
        _in("input_source", INPUT_SOURCES, "ck_automation_steps_input_source"),
        _in("input_type", INPUT_TYPES, "ck_automation_steps_input_type"),
        _in("output_mode", OUTPUT_MODES, "ck_automation_steps_output_mode"),
        _in("output_type", OUTPUT_TYPES, "ck_automation_steps_output_type"),
        _in("mcp_policy", MCP_POLICIES, "ck_automation_steps_mcp_policy"),
        sa.CheckConstraint("step_order >= 1", name="ck_automation_steps_step_order"),
        {"extend_existing": True},
    )

    id: uuid.UUID = id_field()
    automation_id: uuid.UUID = fk_field("automations.id", "CASCADE")
    assistant_id: uuid.UUID = fk_field("assistants.id", "CASCADE")
    step_order: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    user_description: str | None = Field(default=None, sa_column=sa.Column(sa.String(200), nullable=True))
    input_source: str = Field(default="previous_step", sa_column=sa.Column(sa.String(30), nullable=False))
    input_type: str = Field(default="any", sa_column=sa.Column(sa.String(20), nullable=False))
    output_mode: str = Field(default="pass_through", sa_column=sa.Column(sa.String(20), nullable=False))
    output_type: str = Field(default="text", sa_column=sa.Column(sa.String(20), nullable=False))
    output_classification_override: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
    mcp_policy: str = Field(default="inherit", sa_column=sa.Column(sa.String(20), nullable=False))
    # Headers inside these configs are stored encrypted (see integrations.crypto).
    input_config: dict[str, Any] | None = json_field()
    output_config: dict[str, Any] | None = json_field()
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class AutomationStepMCPTool(SQLModel, table=True):
    """Membership allowlist: a tool listed here is enabled for a `restricted` step."""

    __tablename__ = "automation_step_mcp_tools"
    __table_args__ = {"extend_existing": True}

    automation_step_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid(), sa.ForeignKey("automation_steps.id", ondelete="CASCADE"), primary_key=True)
    )
    mcp_server_tool_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid(), sa.ForeignKey("mcp_server_tools.id", ondelete="CASCADE"), primary_key=True)
    )


class AutomationRun(SQLModel, table=True):
    """One execution of an automation, pinned to the definition it started with."""

    __tablename__ = "automation_runs"
    __table_args__ = (
        _in("status", RUN_STATUSES, "ck_automation_runs_status"),
        sa.Index("ix_automation_runs_status_updated", "status", "updated_at"),
        {"extend_existing": True},
    )

    id: uuid.UUID = id_field()
    automation_id: uuid.UUID = fk_field("automations.id", "CASCADE")
    account_id: uuid.UUID = fk_field("accounts.id", "CASCADE")
    user_id: uuid.UUID | None = fk_field("users.id", "SET NULL", nullable=True)
    status: str = Field(default="queued", sa_column=sa.Column(sa.String(20), nullable=False, server_default="queued"))
    input_payload_json: dict[str, Any] | None = json_field()
    output_payload_json: dict[str, Any] | None = json_field()
    error_message: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    definition: dict[str, Any] = json_field(nullable=False, default=dict)
    definition_version: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False, server_default="0"))
    cancel_requested: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )
    worker_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(100), nullable=True))
    # Fencing token: a fresh value per claim; every runner write is conditional on it, so a worker
    # whose run was taken over (it stopped heartbeating) cannot write to it any more.
    lease_token: str | None = Field(default=None, sa_column=sa.Column(sa.String(32), nullable=True))
    heartbeat_at: datetime | None = time_field(nullable=True, default_now=False)
    started_at: datetime | None = time_field(nullable=True, default_now=False)
    finished_at: datetime | None = time_field(nullable=True, default_now=False)
    created_at: datetime = time_field(index=True)
    updated_at: datetime = time_field()


class AutomationStepResult(SQLModel, table=True):
    """The record of one step of a run; written with its execution hash when it completes."""

    __tablename__ = "automation_step_results"
    __table_args__ = (
        sa.UniqueConstraint("automation_run_id", "step_order", name="uq_automation_step_results_run_step"),
        _in("status", STEP_RESULT_STATUSES, "ck_automation_step_results_status"),
        {"extend_existing": True},
    )

    id: uuid.UUID = id_field()
    automation_run_id: uuid.UUID = fk_field("automation_runs.id", "CASCADE")
    step_order: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    assistant_id: uuid.UUID | None = fk_field("assistants.id", "SET NULL", nullable=True)
    input_payload_json: dict[str, Any] | None = json_field()
    output_payload_json: dict[str, Any] | None = json_field()
    num_tokens_input: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
    num_tokens_output: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
    status: str = Field(default="pending", sa_column=sa.Column(sa.String(20), nullable=False, server_default="pending"))
    error_message: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    execution_hash: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    tool_calls_metadata: list[Any] | None = json_field()
    started_at: datetime | None = time_field(nullable=True, default_now=False)
    finished_at: datetime | None = time_field(nullable=True, default_now=False)
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class StoredFile(SQLModel, table=True):
    """An uploaded or generated file; bytes live in the database so every worker sees them."""

    __tablename__ = "files"
    __table_args__ = {"extend_existing": True}

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = fk_field("accounts.id", "CASCADE")
    user_id: uuid.UUID | None = fk_field("users.id", "SET NULL", nullable=True)
    automation_run_id: uuid.UUID | None = fk_field("automation_runs.id", "SET NULL", nullable=True)
    name: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    content_type: str = Field(default="application/octet-stream", sa_column=sa.Column(sa.String(200), nullable=False))
    size: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    sha256: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    created_at: datetime = time_field(index=True)
