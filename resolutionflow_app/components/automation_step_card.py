"""One step card of the automation builder: name, assistant, input, prompt, output, MCP tools, HTTP headers."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app.components.confirm import confirm_action
from resolutionflow_app.domain.automation_rules import (
    INPUT_SOURCES,
    INPUT_TYPES,
    OUTPUT_MODES,
    OUTPUT_TYPES,
)
from resolutionflow_app.state.automation_builder import BuilderState as S
from resolutionflow_app.state.automation_builder import (
    HeaderRow,
    ServerCheck,
    StepCard,
    ToolCheck,
)

SOURCE_LABELS = {
    "flow_input": "Run input (form + text)",
    "previous_step": "Previous step's output",
    "all_previous_steps": "All previous steps (aggregated)",
    "http_get": "HTTP GET (fetch a URL)",
    "http_post": "HTTP POST (call a URL)",
}
MODE_LABELS = {"pass_through": "Pass to the next step", "http_post": "Send to a webhook"}
SELECT_STYLE = {
    "width": "100%",
    "padding": "6px",
    "border_radius": "6px",
    "border": "1px solid var(--gray-6)",
    "background": "var(--color-panel-solid)",
    "font_size": "14px",
}
_LABEL_STYLE = {"display": "flex", "flex_direction": "column", "gap": "2px", "flex": "1 1 180px", "min_width": "0"}
# Inside a column a flex-basis would become a height: full-width labels size to their content.
_FULL_LABEL_STYLE = {"display": "flex", "flex_direction": "column", "gap": "2px", "width": "100%", "min_width": "0"}


def labelled_select(value, items: list[tuple[str, str]], on_change, testid: str, label: str) -> rx.Component:
    """A native select with a small label above it (keyboard-friendly, readable on phones)."""
    return rx.el.label(
        rx.text(label, size="1", color_scheme="gray"),
        rx.el.select(
            *[rx.el.option(text, value=key) for key, text in items],
            value=value,
            on_change=on_change,
            disabled=~S.can_edit,
            data_testid=testid,
            style=SELECT_STYLE,
        ),
        style=_LABEL_STYLE,
    )


def variable_menu(card: StepCard, element_id) -> rx.Component:
    """ "Insert variable" for the field with id `element_id`: form fields, earlier outputs, JSON sub-fields."""
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("braces", size=14),
                "Insert variable",
                size="1",
                variant="soft",
                disabled=~S.can_edit,
                data_testid="insert-variable",
            )
        ),
        rx.menu.content(
            rx.foreach(
                S.menu_variables,
                lambda v: rx.menu.item(
                    rx.vstack(
                        rx.code(v.tag, size="1"), rx.text(v.description, size="1", color_scheme="gray"), spacing="0"
                    ),
                    on_select=S.insert_variable(element_id, v.tag),
                    data_testid="variable-option",
                ),
            ),
            max_height="320px",
            overflow_y="auto",
        ),
        on_open_change=lambda is_open: S.load_variables(card.index, is_open),
    )


def _header_row(card: StepCard, where: str, header: HeaderRow) -> rx.Component:
    return rx.hstack(
        rx.input(
            value=header.name,
            on_change=lambda v: S.set_header(card.index, where, header.row, "name", v),
            debounce_timeout=800,
            placeholder="Header name",
            disabled=~S.can_edit,
            flex="1 1 140px",
            min_width="0",
            aria_label="Header name",
            data_testid="header-name",
        ),
        rx.input(
            value=header.value,
            on_change=lambda v: S.set_header(card.index, where, header.row, "value", v),
            debounce_timeout=800,
            type="password",
            placeholder="Value (stored encrypted, shown masked)",
            auto_complete="off",
            disabled=~S.can_edit,
            flex="2 1 200px",
            min_width="0",
            aria_label="Header value",
            data_testid="header-value",
        ),
        rx.icon_button(
            rx.icon("x", size=14),
            size="1",
            variant="ghost",
            color_scheme="red",
            on_click=S.remove_header(card.index, where, header.row),
            disabled=~S.can_edit,
            aria_label="Remove header",
        ),
        width="100%",
        align="center",
        spacing="2",
        wrap="wrap",
        data_testid="header-row",
    )


def _headers(card: StepCard, where: str, rows) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text("Headers", size="1", color_scheme="gray"),
            rx.spacer(),
            rx.button(
                rx.icon("plus", size=12),
                "Add header",
                size="1",
                variant="ghost",
                on_click=S.add_header(card.index, where),
                disabled=~S.can_edit,
                data_testid=f"add-header-{where}",
            ),
            width="100%",
            align="center",
        ),
        rx.foreach(rows, lambda h: _header_row(card, where, h)),
        width="100%",
        spacing="1",
    )


def _http_input(card: StepCard) -> rx.Component:
    url_id = "url-" + card.index.to_string()
    body_id = "body-" + card.index.to_string()
    return rx.vstack(
        rx.hstack(
            rx.text("URL to call", size="1", color_scheme="gray"),
            rx.spacer(),
            variable_menu(card, url_id),
            width="100%",
            align="center",
        ),
        rx.input(
            value=card.http_url,
            on_change=lambda v: S.set_step_text(card.index, "http_url", v),
            debounce_timeout=800,
            id=url_id,
            placeholder="https://tickets.example.com/api/{{flow_input.Ticket}}",
            disabled=~S.can_edit,
            width="100%",
            aria_label="URL to call",
            data_testid="step-http-url",
        ),
        _headers(card, "input", card.http_headers),
        rx.cond(
            card.input_source == "http_post",
            rx.vstack(
                rx.hstack(
                    rx.text("Body (JSON; variables are inserted safely)", size="1", color_scheme="gray"),
                    rx.spacer(),
                    variable_menu(card, body_id),
                    width="100%",
                    align="center",
                ),
                rx.text_area(
                    value=card.http_body,
                    on_change=lambda v: S.set_step_text(card.index, "http_body", v),
                    debounce_timeout=800,
                    id=body_id,
                    rows="3",
                    placeholder='{"ticket": "{{flow_input.Ticket}}"}',
                    disabled=~S.can_edit,
                    width="100%",
                    font_family="monospace",
                    aria_label="Request body",
                    data_testid="step-http-body",
                ),
                width="100%",
                spacing="1",
            ),
            rx.fragment(),
        ),
        width="100%",
        spacing="2",
        padding="8px",
        border="1px dashed var(--gray-6)",
        border_radius="8px",
    )


def _webhook(card: StepCard) -> rx.Component:
    hook_id = "webhook-" + card.index.to_string()
    return rx.vstack(
        rx.hstack(
            rx.text("Webhook URL", size="1", color_scheme="gray"),
            rx.spacer(),
            variable_menu(card, hook_id),
            width="100%",
            align="center",
        ),
        rx.input(
            value=card.webhook_url,
            on_change=lambda v: S.set_step_text(card.index, "webhook_url", v),
            debounce_timeout=800,
            id=hook_id,
            placeholder="https://hooks.example.com/ticket",
            disabled=~S.can_edit,
            width="100%",
            aria_label="Webhook URL",
            data_testid="step-webhook-url",
        ),
        _headers(card, "output", card.webhook_headers),
        rx.text(
            "Deliveries are signed with the automation's signing secret (see Webhook signing above the steps).",
            size="1",
            color_scheme="gray",
        ),
        width="100%",
        spacing="2",
        padding="8px",
        border="1px dashed var(--gray-6)",
        border_radius="8px",
    )


def _tool(card: StepCard, tool: ToolCheck) -> rx.Component:
    return rx.el.label(
        rx.checkbox(
            checked=tool.checked,
            on_change=lambda v: S.toggle_tool(card.index, tool.id, v),
            disabled=~S.can_edit,
            data_testid="mcp-tool",
        ),
        rx.text(tool.name, size="2", weight="medium"),
        rx.text(
            tool.description,
            size="1",
            color_scheme="gray",
            overflow="hidden",
            text_overflow="ellipsis",
            white_space="nowrap",
            min_width="0",
        ),
        style={"display": "flex", "gap": "6px", "align_items": "center", "min_width": "0", "padding_left": "20px"},
    )


def _server(card: StepCard, server: ServerCheck) -> rx.Component:
    return rx.vstack(
        rx.el.label(
            rx.checkbox(
                checked=server.checked,
                on_change=lambda v: S.toggle_server(card.index, server.id, v),
                disabled=~S.can_edit | (card.assistant_mode == "existing"),
                data_testid="mcp-server",
            ),
            rx.text(server.name, size="2", weight="bold"),
            style={"display": "flex", "gap": "6px", "align_items": "center"},
        ),
        rx.cond(
            server.checked & (card.mcp_policy == "restricted"),
            rx.foreach(server.tools, lambda t: _tool(card, t)),
            rx.fragment(),
        ),
        width="100%",
        spacing="1",
    )


def _mcp(card: StepCard) -> rx.Component:
    return rx.cond(
        card.servers.length() > 0,
        rx.vstack(
            rx.hstack(
                rx.text("Tools (MCP)", size="2", weight="medium"),
                rx.spacer(),
                rx.el.select(
                    rx.el.option("Every tool the server enables by default", value="inherit"),
                    rx.el.option("Only the tools ticked below", value="restricted"),
                    value=card.mcp_policy,
                    on_change=lambda v: S.set_step_text(card.index, "mcp_policy", v),
                    disabled=~S.can_edit,
                    aria_label="MCP policy",
                    data_testid="step-mcp-policy",
                    style={**SELECT_STYLE, "width": "auto"},
                ),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.foreach(card.servers, lambda srv: _server(card, srv)),
            width="100%",
            spacing="1",
        ),
        rx.fragment(),
    )


def _assistant(card: StepCard) -> rx.Component:
    prompt_id = "prompt-" + card.index.to_string()
    return rx.vstack(
        rx.hstack(
            rx.segmented_control.root(
                rx.segmented_control.item("Create new", value="new"),
                rx.segmented_control.item("Use existing assistant", value="existing"),
                value=card.assistant_mode,
                on_change=lambda v: S.set_assistant_mode(card.index, v),
                size="1",
                disabled=~S.can_edit,
                data_testid="assistant-mode",
            ),
            rx.spacer(),
            rx.cond(
                (card.assistant_mode == "new") & S.can_edit,
                rx.button(
                    rx.icon("share-2", size=12),
                    "Share this assistant",
                    size="1",
                    variant="ghost",
                    on_click=S.open_share_assistant(card.index),
                    data_testid="share-assistant",
                ),
                rx.fragment(),
            ),
            width="100%",
            align="center",
            wrap="wrap",
            spacing="2",
        ),
        rx.cond(
            card.assistant_mode == "existing",
            rx.vstack(
                rx.el.label(
                    rx.text("Shared assistant", size="1", color_scheme="gray"),
                    rx.el.select(
                        rx.foreach(S.assistants, lambda a: rx.el.option(a.label, value=a.id)),
                        value=card.assistant_id,
                        on_change=lambda v: S.choose_assistant(card.index, v),
                        disabled=~S.can_edit,
                        data_testid="step-assistant",
                        style=SELECT_STYLE,
                    ),
                    style=_FULL_LABEL_STYLE,
                ),
                rx.text("Its prompt and model are shared with every step that uses it:", size="1", color_scheme="gray"),
                rx.box(
                    rx.text(card.prompt, size="2", white_space="pre-wrap", overflow_wrap="anywhere"),
                    max_height="160px",
                    overflow_y="auto",
                    width="100%",
                    padding="8px",
                    background=rx.color("gray", 2),
                    border_radius="6px",
                    data_testid="shared-prompt",
                ),
                width="100%",
                spacing="1",
            ),
            rx.vstack(
                rx.el.label(
                    rx.text("Model", size="1", color_scheme="gray"),
                    rx.el.select(
                        rx.foreach(S.models, lambda m: rx.el.option(m.label, value=m.id)),
                        value=card.model_id,
                        on_change=lambda v: S.set_step_text(card.index, "model_id", v),
                        disabled=~S.can_edit,
                        data_testid="step-model",
                        style=SELECT_STYLE,
                    ),
                    style=_FULL_LABEL_STYLE,
                ),
                rx.hstack(
                    rx.text("Prompt", size="2", weight="medium"),
                    rx.spacer(),
                    variable_menu(card, prompt_id),
                    width="100%",
                    align="center",
                ),
                rx.text_area(
                    value=card.prompt,
                    on_change=lambda v: S.set_step_text(card.index, "prompt", v),
                    debounce_timeout=800,
                    id=prompt_id,
                    rows="5",
                    width="100%",
                    placeholder="What should the model do? Use Insert variable to refer to the form and earlier steps.",
                    disabled=~S.can_edit,
                    aria_label="Prompt",
                    data_testid="step-prompt",
                ),
                width="100%",
                spacing="1",
            ),
        ),
        width="100%",
        spacing="2",
    )


def step_card(card: StepCard) -> rx.Component:
    """The card of one step, with its problem (red) and capability warning (amber) when there is one."""
    sources = [(k, SOURCE_LABELS[k]) for k in INPUT_SOURCES]
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge("Step " + card.order.to_string(), color_scheme="orange", size="2"),
                rx.input(
                    value=card.name,
                    on_change=lambda v: S.set_step_text(card.index, "name", v),
                    debounce_timeout=600,
                    placeholder="Name this step",
                    font_weight="bold",
                    variant="soft",
                    max_length=200,
                    disabled=~S.can_edit,
                    flex="1",
                    min_width="0",
                    aria_label="Step name",
                    data_testid="step-name",
                ),
                rx.icon_button(
                    rx.icon("arrow-up", size=14),
                    size="1",
                    variant="ghost",
                    on_click=S.move_step(card.index, -1),
                    disabled=~S.can_edit,
                    aria_label="Move step up",
                ),
                rx.icon_button(
                    rx.icon("arrow-down", size=14),
                    size="1",
                    variant="ghost",
                    on_click=S.move_step(card.index, 1),
                    disabled=~S.can_edit,
                    aria_label="Move step down",
                ),
                confirm_action(
                    rx.icon_button(
                        rx.icon("trash-2", size=14),
                        size="1",
                        variant="ghost",
                        color_scheme="red",
                        disabled=~S.can_edit,
                        aria_label="Delete step",
                        data_testid="delete-step",
                    ),
                    "Delete this step?",
                    "Its prompt and settings are removed from the draft. Published versions are not affected.",
                    "Delete step",
                    S.delete_step(card.index),
                ),
                width="100%",
                align="center",
                spacing="2",
            ),
            rx.cond(
                card.problem != "",
                rx.callout(
                    card.problem,
                    icon="triangle-alert",
                    color_scheme="red",
                    size="1",
                    width="100%",
                    data_testid="step-problem",
                ),
                rx.fragment(),
            ),
            rx.cond(
                card.warning != "",
                rx.callout(
                    card.warning, icon="info", color_scheme="amber", size="1", width="100%", data_testid="step-warning"
                ),
                rx.fragment(),
            ),
            _assistant(card),
            rx.hstack(
                labelled_select(
                    card.input_source,
                    sources,
                    lambda v: S.set_step_text(card.index, "input_source", v),
                    "step-input-source",
                    "Input from",
                ),
                labelled_select(
                    card.input_type,
                    [(t, t) for t in INPUT_TYPES],
                    lambda v: S.set_step_text(card.index, "input_type", v),
                    "step-input-type",
                    "Input type",
                ),
                width="100%",
                wrap="wrap",
                spacing="3",
            ),
            rx.cond(
                (card.input_source == "http_get") | (card.input_source == "http_post"), _http_input(card), rx.fragment()
            ),
            rx.hstack(
                labelled_select(
                    card.output_mode,
                    [(k, MODE_LABELS[k]) for k in OUTPUT_MODES],
                    lambda v: S.set_step_text(card.index, "output_mode", v),
                    "step-output-mode",
                    "Output goes to",
                ),
                labelled_select(
                    card.output_type,
                    [(t, t) for t in OUTPUT_TYPES],
                    lambda v: S.set_step_text(card.index, "output_type", v),
                    "step-output-type",
                    "Output type",
                ),
                rx.el.label(
                    rx.text("Classification override", size="1", color_scheme="gray"),
                    rx.input(
                        value=card.classification,
                        on_change=lambda v: S.set_step_text(card.index, "classification", v),
                        debounce_timeout=800,
                        placeholder="none",
                        type="number",
                        min=0,
                        max=5,
                        disabled=~S.can_edit,
                        width="100%",
                        data_testid="step-classification",
                    ),
                    style={"display": "flex", "flex_direction": "column", "gap": "2px", "flex": "0 1 160px"},
                ),
                width="100%",
                wrap="wrap",
                spacing="3",
            ),
            rx.cond(card.output_mode == "http_post", _webhook(card), rx.fragment()),
            _mcp(card),
            spacing="3",
            width="100%",
        ),
        width="100%",
        data_testid="step-card",
    )
