"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 01:25:07.199189
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""

    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("allow_public_shares", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "completion_models",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("base_url", sa.String(length=2000), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("api_key_encrypted", sa.Text(), nullable=True),
        sa.Column("security_level", sa.Integer(), server_default="0", nullable=False),
        sa.Column("token_limit", sa.Integer(), nullable=True),
        sa.Column("supports_vision", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("supports_audio", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("provider IN ('openai_compatible', 'offline')", name="ck_completion_models_provider"),
        sa.CheckConstraint("security_level >= 0", name="ck_completion_models_security_level"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("completion_models", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_completion_models_account_id"), ["account_id"], unique=False)

    op.create_table(
        "mcp_servers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("headers_encrypted", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("tools_refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mcp_servers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mcp_servers_account_id"), ["account_id"], unique=False)

    op.create_table(
        "step_categories",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "name", name="uq_step_categories_account_name"),
    )
    with op.batch_alter_table("step_categories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_step_categories_account_id"), ["account_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('owner', 'author', 'engineer')", name="ck_users_role"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_email"), ["email"], unique=True)

    op.create_table(
        "assistants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("completion_model_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prompt", sa.Text(), server_default="", nullable=False),
        sa.Column("hidden", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["completion_model_id"], ["completion_models.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("assistants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assistants_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assistants_completion_model_id"), ["completion_model_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assistants_created_by"), ["created_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_assistants_hidden"), ["hidden"], unique=False)

    op.create_table(
        "auth_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("auth_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_tokens_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_auth_tokens_token_hash"), ["token_hash"], unique=True)
        batch_op.create_index(batch_op.f("ix_auth_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "automations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("published", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("insight_enabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("data_retention_days", sa.Integer(), nullable=True),
        sa.Column("metadata_json", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("webhook_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("published_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("published_checksum", sa.String(length=64), nullable=True),
        sa.Column("published_definition", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("automations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_automations_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_automations_user_id"), ["user_id"], unique=False)

    op.create_table(
        "mcp_server_tools",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("mcp_server_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("input_schema", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("is_enabled_by_default", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.ForeignKeyConstraint(["mcp_server_id"], ["mcp_servers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mcp_server_id", "name", name="uq_mcp_server_tools_server_name"),
    )
    with op.batch_alter_table("mcp_server_tools", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mcp_server_tools_mcp_server_id"), ["mcp_server_id"], unique=False)

    op.create_table(
        "trees",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("tree_type", sa.String(length=20), nullable=False),
        sa.Column("tree_structure", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="draft", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("is_public", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("parent_tree_id", sa.Uuid(), nullable=True),
        sa.Column("fork_reason", sa.String(length=255), nullable=True),
        sa.Column("parent_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'published')", name="ck_trees_status"),
        sa.CheckConstraint("tree_type IN ('troubleshooting', 'procedural', 'maintenance')", name="ck_trees_tree_type"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["parent_tree_id"], ["trees.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("trees", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trees_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_trees_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_trees_is_active"), ["is_active"], unique=False)
        batch_op.create_index(batch_op.f("ix_trees_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_trees_parent_tree_id"), ["parent_tree_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_trees_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_trees_tree_type"), ["tree_type"], unique=False)

    op.create_table(
        "assistant_mcp_servers",
        sa.Column("assistant_id", sa.Uuid(), nullable=False),
        sa.Column("mcp_server_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["assistant_id"], ["assistants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["mcp_server_id"], ["mcp_servers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("assistant_id", "mcp_server_id"),
    )
    op.create_table(
        "automation_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("automation_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="queued", nullable=False),
        sa.Column("input_payload_json", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("output_payload_json", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("definition", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("definition_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("worker_id", sa.String(length=100), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'completed', 'failed', 'cancelled')", name="ck_automation_runs_status"
        ),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["automation_id"], ["automations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("automation_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_automation_runs_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_automation_runs_automation_id"), ["automation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_automation_runs_created_at"), ["created_at"], unique=False)
        batch_op.create_index("ix_automation_runs_status_updated", ["status", "updated_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_automation_runs_user_id"), ["user_id"], unique=False)

    op.create_table(
        "automation_steps",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("automation_id", sa.Uuid(), nullable=False),
        sa.Column("assistant_id", sa.Uuid(), nullable=False),
        sa.Column("step_order", sa.Integer(), nullable=False),
        sa.Column("user_description", sa.String(length=200), nullable=True),
        sa.Column("input_source", sa.String(length=30), nullable=False),
        sa.Column("input_type", sa.String(length=20), nullable=False),
        sa.Column("output_mode", sa.String(length=20), nullable=False),
        sa.Column("output_type", sa.String(length=20), nullable=False),
        sa.Column("output_classification_override", sa.Integer(), nullable=True),
        sa.Column("mcp_policy", sa.String(length=20), nullable=False),
        sa.Column("input_config", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("output_config", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "input_source IN ('flow_input', 'previous_step', 'all_previous_steps', 'http_get', 'http_post')",
            name="ck_automation_steps_input_source",
        ),
        sa.CheckConstraint(
            "input_type IN ('text', 'json', 'image', 'audio', 'document', 'file', 'any')",
            name="ck_automation_steps_input_type",
        ),
        sa.CheckConstraint("mcp_policy IN ('inherit', 'restricted')", name="ck_automation_steps_mcp_policy"),
        sa.CheckConstraint("output_mode IN ('pass_through', 'http_post')", name="ck_automation_steps_output_mode"),
        sa.CheckConstraint("output_type IN ('text', 'json', 'pdf', 'docx')", name="ck_automation_steps_output_type"),
        sa.CheckConstraint("step_order >= 1", name="ck_automation_steps_step_order"),
        sa.ForeignKeyConstraint(["assistant_id"], ["assistants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["automation_id"], ["automations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("automation_id", "step_order", name="uq_automation_steps_order"),
    )
    with op.batch_alter_table("automation_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_automation_steps_assistant_id"), ["assistant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_automation_steps_automation_id"), ["automation_id"], unique=False)

    op.create_table(
        "sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("tree_id", sa.Uuid(), nullable=True),
        sa.Column("tree_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("tree_type", sa.String(length=20), server_default="troubleshooting", nullable=False),
        sa.Column("tree_version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("tree_snapshot", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="in_progress", nullable=False),
        sa.Column("current_node_id", sa.String(length=255), nullable=True),
        sa.Column("history", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("custom_steps", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('resolved', 'escalated', 'abandoned')", name="ck_sessions_outcome"
        ),
        sa.CheckConstraint("status IN ('in_progress', 'completed')", name="ck_sessions_status"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tree_id"], ["trees.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sessions_outcome"), ["outcome"], unique=False)
        batch_op.create_index(batch_op.f("ix_sessions_started_at"), ["started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sessions_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_sessions_tree_id"), ["tree_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "step_library",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("category_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("step_type", sa.String(length=20), nullable=False),
        sa.Column("content", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("visibility", sa.String(length=20), nullable=False),
        sa.Column("usage_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rating_sum", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rating_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("source_tree_id", sa.Uuid(), nullable=True),
        sa.Column("source_node_id", sa.String(length=255), nullable=True),
        sa.Column("is_flow_synced", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("step_type IN ('action', 'solution', 'decision')", name="ck_step_library_step_type"),
        sa.CheckConstraint("visibility IN ('private', 'team', 'public')", name="ck_step_library_visibility"),
        sa.CheckConstraint("usage_count >= 0", name="ck_step_library_usage_count"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["category_id"], ["step_categories.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["source_tree_id"], ["trees.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_tree_id", "source_node_id", name="uq_step_library_source"),
    )
    with op.batch_alter_table("step_library", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_step_library_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_step_library_category_id"), ["category_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_step_library_created_by"), ["created_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_step_library_is_active"), ["is_active"], unique=False)
        batch_op.create_index(batch_op.f("ix_step_library_is_flow_synced"), ["is_flow_synced"], unique=False)
        batch_op.create_index(batch_op.f("ix_step_library_source_tree_id"), ["source_tree_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_step_library_step_type"), ["step_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_step_library_visibility"), ["visibility"], unique=False)

    op.create_table(
        "tree_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tree_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("tree_structure", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["tree_id"], ["trees.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tree_id", "version", name="uq_tree_versions_tree_version"),
    )
    with op.batch_alter_table("tree_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tree_versions_created_by"), ["created_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_tree_versions_tree_id"), ["tree_id"], unique=False)

    op.create_table(
        "automation_step_mcp_tools",
        sa.Column("automation_step_id", sa.Uuid(), nullable=False),
        sa.Column("mcp_server_tool_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["automation_step_id"], ["automation_steps.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["mcp_server_tool_id"], ["mcp_server_tools.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("automation_step_id", "mcp_server_tool_id"),
    )
    op.create_table(
        "automation_step_results",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("automation_run_id", sa.Uuid(), nullable=False),
        sa.Column("step_order", sa.Integer(), nullable=False),
        sa.Column("assistant_id", sa.Uuid(), nullable=True),
        sa.Column("input_payload_json", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("output_payload_json", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("num_tokens_input", sa.Integer(), nullable=True),
        sa.Column("num_tokens_output", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("execution_hash", sa.String(length=64), nullable=True),
        sa.Column("tool_calls_metadata", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'completed', 'failed', 'cancelled')",
            name="ck_automation_step_results_status",
        ),
        sa.ForeignKeyConstraint(["assistant_id"], ["assistants.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["automation_run_id"], ["automation_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("automation_run_id", "step_order", name="uq_automation_step_results_run_step"),
    )
    with op.batch_alter_table("automation_step_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_automation_step_results_assistant_id"), ["assistant_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_automation_step_results_automation_run_id"), ["automation_run_id"], unique=False
        )

    op.create_table(
        "files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("automation_run_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["automation_run_id"], ["automation_runs.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_files_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_files_automation_run_id"), ["automation_run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_files_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_files_user_id"), ["user_id"], unique=False)

    op.create_table(
        "session_shares",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("share_token", sa.String(length=64), nullable=False),
        sa.Column("share_name", sa.String(length=100), nullable=True),
        sa.Column("visibility", sa.String(length=20), server_default="public", nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("view_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_viewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("visibility IN ('public', 'account')", name="ck_session_shares_visibility"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("session_shares", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_shares_created_by"), ["created_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_session_shares_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_session_shares_is_active"), ["is_active"], unique=False)
        batch_op.create_index(batch_op.f("ix_session_shares_session_id"), ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_session_shares_share_token"), ["share_token"], unique=True)

    op.create_table(
        "step_ratings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("step_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_step_ratings_rating"),
        sa.ForeignKeyConstraint(["step_id"], ["step_library.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("step_id", "user_id", name="uq_step_ratings_step_user"),
    )
    with op.batch_alter_table("step_ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_step_ratings_step_id"), ["step_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_step_ratings_user_id"), ["user_id"], unique=False)

    op.create_table(
        "step_usage_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("step_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["step_id"], ["step_library.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("step_usage_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_step_usage_log_session_id"), ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_step_usage_log_step_id"), ["step_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_step_usage_log_used_at"), ["used_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_step_usage_log_user_id"), ["user_id"], unique=False)

    op.create_table(
        "session_share_views",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("share_id", sa.Uuid(), nullable=False),
        sa.Column("viewer_id", sa.Uuid(), nullable=True),
        sa.Column("viewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("viewer_ip", sa.String(length=45), nullable=True),
        sa.Column("viewer_user_agent", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["share_id"], ["session_shares.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["viewer_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("session_share_views", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_share_views_share_id"), ["share_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_session_share_views_viewed_at"), ["viewed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_session_share_views_viewer_id"), ["viewer_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""

    with op.batch_alter_table("session_share_views", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_share_views_viewer_id"))
        batch_op.drop_index(batch_op.f("ix_session_share_views_viewed_at"))
        batch_op.drop_index(batch_op.f("ix_session_share_views_share_id"))

    op.drop_table("session_share_views")
    with op.batch_alter_table("step_usage_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_step_usage_log_user_id"))
        batch_op.drop_index(batch_op.f("ix_step_usage_log_used_at"))
        batch_op.drop_index(batch_op.f("ix_step_usage_log_step_id"))
        batch_op.drop_index(batch_op.f("ix_step_usage_log_session_id"))

    op.drop_table("step_usage_log")
    with op.batch_alter_table("step_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_step_ratings_user_id"))
        batch_op.drop_index(batch_op.f("ix_step_ratings_step_id"))

    op.drop_table("step_ratings")
    with op.batch_alter_table("session_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_shares_share_token"))
        batch_op.drop_index(batch_op.f("ix_session_shares_session_id"))
        batch_op.drop_index(batch_op.f("ix_session_shares_is_active"))
        batch_op.drop_index(batch_op.f("ix_session_shares_expires_at"))
        batch_op.drop_index(batch_op.f("ix_session_shares_created_by"))

    op.drop_table("session_shares")
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_files_user_id"))
        batch_op.drop_index(batch_op.f("ix_files_created_at"))
        batch_op.drop_index(batch_op.f("ix_files_automation_run_id"))
        batch_op.drop_index(batch_op.f("ix_files_account_id"))

    op.drop_table("files")
    with op.batch_alter_table("automation_step_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_automation_step_results_automation_run_id"))
        batch_op.drop_index(batch_op.f("ix_automation_step_results_assistant_id"))

    op.drop_table("automation_step_results")
    op.drop_table("automation_step_mcp_tools")
    with op.batch_alter_table("tree_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tree_versions_tree_id"))
        batch_op.drop_index(batch_op.f("ix_tree_versions_created_by"))

    op.drop_table("tree_versions")
    with op.batch_alter_table("step_library", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_step_library_visibility"))
        batch_op.drop_index(batch_op.f("ix_step_library_step_type"))
        batch_op.drop_index(batch_op.f("ix_step_library_source_tree_id"))
        batch_op.drop_index(batch_op.f("ix_step_library_is_flow_synced"))
        batch_op.drop_index(batch_op.f("ix_step_library_is_active"))
        batch_op.drop_index(batch_op.f("ix_step_library_created_by"))
        batch_op.drop_index(batch_op.f("ix_step_library_category_id"))
        batch_op.drop_index(batch_op.f("ix_step_library_account_id"))

    op.drop_table("step_library")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_user_id"))
        batch_op.drop_index(batch_op.f("ix_sessions_tree_id"))
        batch_op.drop_index(batch_op.f("ix_sessions_status"))
        batch_op.drop_index(batch_op.f("ix_sessions_started_at"))
        batch_op.drop_index(batch_op.f("ix_sessions_outcome"))
        batch_op.drop_index(batch_op.f("ix_sessions_account_id"))

    op.drop_table("sessions")
    with op.batch_alter_table("automation_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_automation_steps_automation_id"))
        batch_op.drop_index(batch_op.f("ix_automation_steps_assistant_id"))

    op.drop_table("automation_steps")
    with op.batch_alter_table("automation_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_automation_runs_user_id"))
        batch_op.drop_index("ix_automation_runs_status_updated")
        batch_op.drop_index(batch_op.f("ix_automation_runs_created_at"))
        batch_op.drop_index(batch_op.f("ix_automation_runs_automation_id"))
        batch_op.drop_index(batch_op.f("ix_automation_runs_account_id"))

    op.drop_table("automation_runs")
    op.drop_table("assistant_mcp_servers")
    with op.batch_alter_table("trees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trees_tree_type"))
        batch_op.drop_index(batch_op.f("ix_trees_status"))
        batch_op.drop_index(batch_op.f("ix_trees_parent_tree_id"))
        batch_op.drop_index(batch_op.f("ix_trees_name"))
        batch_op.drop_index(batch_op.f("ix_trees_is_active"))
        batch_op.drop_index(batch_op.f("ix_trees_author_id"))
        batch_op.drop_index(batch_op.f("ix_trees_account_id"))

    op.drop_table("trees")
    with op.batch_alter_table("mcp_server_tools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mcp_server_tools_mcp_server_id"))

    op.drop_table("mcp_server_tools")
    with op.batch_alter_table("automations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_automations_user_id"))
        batch_op.drop_index(batch_op.f("ix_automations_account_id"))

    op.drop_table("automations")
    with op.batch_alter_table("auth_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_tokens_user_id"))
        batch_op.drop_index(batch_op.f("ix_auth_tokens_token_hash"))
        batch_op.drop_index(batch_op.f("ix_auth_tokens_expires_at"))

    op.drop_table("auth_tokens")
    with op.batch_alter_table("assistants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assistants_hidden"))
        batch_op.drop_index(batch_op.f("ix_assistants_created_by"))
        batch_op.drop_index(batch_op.f("ix_assistants_completion_model_id"))
        batch_op.drop_index(batch_op.f("ix_assistants_account_id"))

    op.drop_table("assistants")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_email"))
        batch_op.drop_index(batch_op.f("ix_users_account_id"))

    op.drop_table("users")
    with op.batch_alter_table("step_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_step_categories_account_id"))

    op.drop_table("step_categories")
    with op.batch_alter_table("mcp_servers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mcp_servers_account_id"))

    op.drop_table("mcp_servers")
    with op.batch_alter_table("completion_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_completion_models_account_id"))

    op.drop_table("completion_models")
    op.drop_table("accounts")
