"""AI models and MCP servers of the account: what automation steps run on and which tools they may call."""

from __future__ import annotations

from typing import Any

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.confirm import confirm_action
from resolutionflow_app.components.forms import error_callout, field
from resolutionflow_app.components.layout import app_layout, page_header
from resolutionflow_app.state.ai_connections import (
    AIConnectionsState,
    ModelRow,
    ServerRow,
)
from resolutionflow_app.state.auth import AuthState

S = AIConnectionsState
_CELL_TEXT = {"overflow_wrap": "anywhere", "word_break": "break-word"}


def _edit_and_delete(
    kind: str, on_edit: Any, on_delete: Any, title: str, why: str
) -> tuple[rx.Component, rx.Component]:
    """A row's Edit button, and its Delete button behind a confirmation (ids edit-/delete-/confirm-delete-<kind>)."""
    edit = rx.button(
        rx.icon("pencil", size=14), "Edit", size="1", variant="soft", on_click=on_edit, data_testid=f"edit-{kind}"
    )
    delete = rx.button(
        rx.icon("trash-2", size=14),
        "Delete",
        size="1",
        variant="soft",
        color_scheme="red",
        data_testid=f"delete-{kind}",
    )
    return edit, confirm_action(
        delete, title, why, f"Delete {kind}", on_delete, confirm_testid=f"confirm-delete-{kind}"
    )


def _model_row(m: ModelRow) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.text(m.name, weight="bold", size="3", style=_CELL_TEXT, data_testid="model-name"),
                rx.text(m.provider + " · " + m.model, size="2", color_scheme="gray", style=_CELL_TEXT),
                rx.cond(m.base_url != "", rx.code(m.base_url, size="1", style=_CELL_TEXT), rx.fragment()),
                rx.hstack(
                    rx.badge("Security level " + m.security_level.to_string(), color_scheme="blue"),
                    rx.cond(m.supports_vision, rx.badge("vision", color_scheme="green"), rx.fragment()),
                    rx.cond(m.supports_audio, rx.badge("audio", color_scheme="green"), rx.fragment()),
                    rx.cond(
                        m.token_limit != "", rx.badge(m.token_limit + " tokens", color_scheme="gray"), rx.fragment()
                    ),
                    rx.cond(m.has_api_key, rx.badge("API key set", color_scheme="gray"), rx.fragment()),
                    wrap="wrap",
                    spacing="1",
                ),
                spacing="1",
                flex="1",
                min_width="0",
            ),
            rx.cond(
                AuthState.is_owner,
                rx.hstack(
                    *_edit_and_delete(
                        "model",
                        S.open_model(m.id),
                        S.delete_model(m.id),
                        "Delete this model?",
                        "Automations and assistants that use it must be switched to another model first.",
                    ),
                    spacing="2",
                ),
                rx.fragment(),
            ),
            width="100%",
            align="start",
            wrap="wrap",
            spacing="3",
        ),
        width="100%",
        data_testid="model-row",
    )


def _server_row(s: ServerRow) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.text(s.name, weight="bold", size="3", style=_CELL_TEXT, data_testid="server-name"),
                    rx.code(s.url, size="1", style=_CELL_TEXT),
                    rx.cond(
                        s.description != "",
                        rx.text(s.description, size="2", color_scheme="gray", style=_CELL_TEXT),
                        rx.fragment(),
                    ),
                    spacing="1",
                    flex="1",
                    min_width="0",
                ),
                rx.cond(
                    AuthState.can_author,
                    rx.hstack(
                        rx.button(
                            rx.cond(S.refreshing_id == s.id, rx.spinner(size="1"), rx.icon("refresh-cw", size=14)),
                            "Refresh tools",
                            size="1",
                            variant="soft",
                            on_click=S.start_refresh(s.id),
                            loading=S.refreshing_id == s.id,
                            data_testid="refresh-tools",
                        ),
                        *_edit_and_delete(
                            "server",
                            S.open_server(s.id),
                            S.delete_server(s.id),
                            "Delete this MCP server?",
                            "Steps that call its tools lose them.",
                        ),
                        spacing="2",
                        wrap="wrap",
                    ),
                    rx.fragment(),
                ),
                width="100%",
                align="start",
                wrap="wrap",
                spacing="3",
            ),
            rx.cond(
                s.tools.length() > 0,
                rx.hstack(
                    rx.foreach(s.tools, lambda t: rx.badge(t, variant="outline", data_testid="server-tool")),
                    wrap="wrap",
                    spacing="1",
                ),
                rx.text("No tools listed yet: use “Refresh tools”.", size="1", color_scheme="gray"),
            ),
            rx.cond(
                s.refreshed != "", rx.text("Tools listed " + s.refreshed, size="1", color_scheme="gray"), rx.fragment()
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        data_testid="server-row",
    )


def _model_dialog() -> rx.Component:
    m = S.editing_model
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(m.id != "", "Edit model", "Add a model")),
            rx.dialog.description(
                "An OpenAI-compatible endpoint, or the offline model (answers locally, for trying things out).",
                size="2",
            ),
            rx.form(
                rx.vstack(
                    error_callout(S.model_error),
                    field(
                        "Name",
                        rx.input(
                            name="name",
                            default_value=m.name,
                            required=True,
                            max_length=200,
                            width="100%",
                            data_testid="model-form-name",
                        ),
                    ),
                    field(
                        "Provider",
                        rx.el.select(
                            rx.el.option("OpenAI-compatible endpoint", value="openai_compatible"),
                            rx.el.option("Offline (local, no network)", value="offline"),
                            name="provider",
                            default_value=m.provider,
                            data_testid="model-form-provider",
                            style={
                                "width": "100%",
                                "padding": "6px",
                                "border_radius": "6px",
                                "border": "1px solid var(--gray-6)",
                            },
                        ),
                    ),
                    field(
                        "Base URL",
                        rx.input(
                            name="base_url",
                            default_value=m.base_url,
                            placeholder="https://api.openai.com/v1",
                            width="100%",
                            data_testid="model-form-base-url",
                        ),
                        hint=(
                            "Checked when saved: private and link-local addresses are refused unless allowed by "
                            "RF_ALLOWED_CIDRS."
                        ),
                    ),
                    field(
                        "Model",
                        rx.input(
                            name="model",
                            default_value=m.model,
                            placeholder="gpt-4o-mini",
                            max_length=200,
                            width="100%",
                            data_testid="model-form-model",
                        ),
                    ),
                    field(
                        "API key",
                        rx.input(
                            name="api_key",
                            type="password",
                            auto_complete="off",
                            width="100%",
                            data_testid="model-form-api-key",
                            placeholder=rx.cond(m.has_api_key, "Stored — leave empty to keep it", "Not set"),
                        ),
                        hint="Stored encrypted and never shown again.",
                    ),
                    rx.hstack(
                        field(
                            "Security level",
                            rx.input(
                                name="security_level",
                                type="number",
                                min=0,
                                default_value=m.security_level.to_string(),
                                width="100%",
                                data_testid="model-form-level",
                            ),
                            hint="Data classified above this level never reaches the model.",
                        ),
                        field(
                            "Token limit",
                            rx.input(
                                name="token_limit",
                                type="number",
                                min=1,
                                default_value=m.token_limit,
                                placeholder="none",
                                width="100%",
                            ),
                        ),
                        width="100%",
                        spacing="3",
                    ),
                    rx.hstack(
                        rx.el.label(
                            rx.checkbox(name="supports_vision", default_checked=m.supports_vision),
                            rx.text("Sees images", size="2"),
                            style={"display": "flex", "gap": "6px", "align_items": "center"},
                        ),
                        rx.el.label(
                            rx.checkbox(name="supports_audio", default_checked=m.supports_audio),
                            rx.text("Hears audio", size="2"),
                            style={"display": "flex", "gap": "6px", "align_items": "center"},
                        ),
                        spacing="4",
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray")),
                        rx.button("Save model", type="submit", data_testid="save-model"),
                        justify="end",
                        width="100%",
                        spacing="2",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.save_model,
                reset_on_submit=False,
            ),
            max_width="560px",
        ),
        open=S.model_dialog_open,
        on_open_change=S.model_dialog_changed,
    )


def _server_dialog() -> rx.Component:
    s = S.editing_server
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(s.id != "", "Edit MCP server", "Add an MCP server")),
            rx.dialog.description(
                "A Model Context Protocol server reachable over streamable HTTP. Steps choose which of its tools "
                "they may call.",
                size="2",
            ),
            rx.form(
                rx.vstack(
                    error_callout(S.server_error),
                    field(
                        "Name",
                        rx.input(
                            name="name",
                            default_value=s.name,
                            required=True,
                            max_length=200,
                            width="100%",
                            data_testid="server-form-name",
                        ),
                    ),
                    field(
                        "URL",
                        rx.input(
                            name="url",
                            default_value=s.url,
                            required=True,
                            placeholder="https://tools.example.com/mcp",
                            width="100%",
                            data_testid="server-form-url",
                        ),
                    ),
                    field("Description", rx.input(name="description", default_value=s.description, width="100%")),
                    field(
                        "Headers",
                        rx.text_area(
                            name="headers",
                            default_value=s.headers_text,
                            rows="3",
                            placeholder="Authorization: Bearer …",
                            font_family="monospace",
                            width="100%",
                            data_testid="server-form-headers",
                        ),
                        hint=(
                            "One “Name: value” per line. Values are stored encrypted and shown masked; leave a masked "
                            "value as it is to keep it."
                        ),
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray")),
                        rx.button("Save server", type="submit", data_testid="save-server"),
                        justify="end",
                        width="100%",
                        spacing="2",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.save_server,
                reset_on_submit=False,
            ),
            max_width="560px",
        ),
        open=S.server_dialog_open,
        on_open_change=S.server_dialog_changed,
    )


@rx.page(
    route=routes.ACCOUNT_AI,
    title="AI models and tools · ResolutionFlow",
    on_load=[AuthState.check_login, AIConnectionsState.load],
)
def ai_connections_page() -> rx.Component:
    """Models and MCP servers of the account."""
    return app_layout(
        page_header(
            "AI models and tools",
            rx.link(rx.button(rx.icon("arrow-left", size=14), "Account", variant="soft"), href=routes.ACCOUNT),
            subtitle="What automation steps run on, and the tools they may call.",
        ),
        rx.vstack(
            rx.hstack(
                rx.heading("Models", size="4"),
                rx.spacer(),
                rx.cond(
                    AuthState.is_owner,
                    rx.button(
                        rx.icon("plus", size=14), "Add model", on_click=S.open_model(""), data_testid="add-model"
                    ),
                    rx.text("Only owners add or change models.", size="1", color_scheme="gray"),
                ),
                width="100%",
                align="center",
            ),
            rx.cond(
                S.models.length() > 0,
                rx.vstack(rx.foreach(S.models, _model_row), width="100%", spacing="2"),
                rx.cond(
                    S.loaded,
                    rx.callout(
                        "No models yet. Add one so automation steps have something to run on.",
                        icon="info",
                        width="100%",
                    ),
                    rx.spinner(),
                ),
            ),
            rx.hstack(
                rx.heading("MCP servers", size="4"),
                rx.spacer(),
                rx.cond(
                    AuthState.can_author,
                    rx.button(
                        rx.icon("plus", size=14), "Add MCP server", on_click=S.open_server(""), data_testid="add-server"
                    ),
                    rx.fragment(),
                ),
                width="100%",
                align="center",
                padding_top="1rem",
            ),
            rx.cond(
                S.servers.length() > 0,
                rx.vstack(rx.foreach(S.servers, _server_row), width="100%", spacing="2"),
                rx.cond(
                    S.loaded,
                    rx.text(
                        "No MCP servers. Steps work without tools; add a server to let them look things up.",
                        size="2",
                        color_scheme="gray",
                    ),
                    rx.fragment(),
                ),
            ),
            _model_dialog(),
            _server_dialog(),
            width="100%",
            spacing="3",
            max_width="960px",
            padding_top="1rem",
        ),
    )
