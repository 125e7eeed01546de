"""Form pieces shared by the tree and procedure editors: text fields, commands, problems, read-only views.

Builders take `S`, the editor's states by part (`state.flow_editor.Editor`); they read `S.panel`.
"""

from __future__ import annotations

import reflex as rx

DEBOUNCE_MS = 300


def text_field(
    S, label: str, field: str, *, area: bool = False, placeholder: str = "", rows: str = "3"
) -> rx.Component:
    """A labelled, debounced input bound to `S.panel.sel[field]` that calls `S.panel.set_node_field(field, value)`."""
    common = {
        "value": getattr(S.panel.sel, field),
        "on_change": lambda v: S.panel.set_node_field(field, v),
        "debounce_timeout": DEBOUNCE_MS,
        "placeholder": placeholder,
        "width": "100%",
        "data_testid": f"node-{field.replace('_', '-')}",
    }
    control = rx.text_area(rows=rows, resize="vertical", **common) if area else rx.input(**common)
    return rx.vstack(rx.text(label, size="1", weight="medium", color_scheme="gray"), control, spacing="1", width="100%")


def _command_row(S, row: dict) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.input(
                    value=row.label,
                    placeholder="Label (e.g. Check PoE)",
                    on_change=lambda v: S.panel.set_command(row.index, "label", v),
                    debounce_timeout=DEBOUNCE_MS,
                    size="1",
                    width="100%",
                ),
                rx.input(
                    value=row.language,
                    placeholder="bash",
                    on_change=lambda v: S.panel.set_command(row.index, "language", v),
                    debounce_timeout=DEBOUNCE_MS,
                    size="1",
                    width="110px",
                ),
                rx.icon_button(
                    rx.icon("trash-2", size=14),
                    size="1",
                    variant="ghost",
                    color_scheme="red",
                    on_click=S.panel.remove_command(row.index),
                    aria_label="Remove command",
                ),
                width="100%",
                spacing="2",
                align="center",
            ),
            rx.text_area(
                value=row.code,
                placeholder="Command or script",
                on_change=lambda v: S.panel.set_command(row.index, "code", v),
                debounce_timeout=DEBOUNCE_MS,
                rows="2",
                width="100%",
                font_family="var(--code-font-family)",
                size="1",
                data_testid="command-code",
            ),
            spacing="2",
            width="100%",
        ),
        size="1",
        width="100%",
    )


def commands_editor(S) -> rx.Component:
    """Editable list of `{label, language, code}` commands of the selected node."""
    return rx.vstack(
        rx.hstack(
            rx.text("Commands", size="1", weight="medium", color_scheme="gray"),
            rx.spacer(),
            rx.button(
                rx.icon("plus", size=14),
                "Add command",
                size="1",
                variant="soft",
                on_click=S.panel.add_command,
                data_testid="add-command",
            ),
            width="100%",
            align="center",
        ),
        rx.foreach(S.panel.sel_commands, lambda row: _command_row(S, row)),
        spacing="2",
        width="100%",
    )


def commands_view(S) -> rx.Component:
    """Read-only commands of the selected node."""
    return rx.cond(
        S.panel.sel_commands.length() > 0,
        rx.vstack(
            rx.text("Commands", size="1", weight="medium", color_scheme="gray"),
            rx.foreach(
                S.panel.sel_commands,
                lambda row: rx.vstack(
                    rx.cond(row.label != "", rx.text(row.label, size="1", weight="medium"), rx.fragment()),
                    rx.code_block(row.code, language="bash", wrap_long_lines=True, font_size="12px", width="100%"),
                    spacing="1",
                    width="100%",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        rx.fragment(),
    )


def problems_callout(S) -> rx.Component:
    """The selected node's validation problems."""
    return rx.cond(
        S.panel.sel_problems.length() > 0,
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert")),
            rx.vstack(rx.foreach(S.panel.sel_problems, lambda m: rx.text(m, size="1")), spacing="1"),
            color_scheme="red",
            size="1",
            width="100%",
            data_testid="node-problems",
        ),
        rx.fragment(),
    )


def read_text(label: str, value: rx.Var) -> rx.Component:
    """A read-only labelled paragraph, hidden when empty."""
    return rx.cond(
        value != "",
        rx.vstack(
            rx.text(label, size="1", weight="medium", color_scheme="gray"),
            rx.text(value, size="2", white_space="pre-wrap"),
            spacing="1",
            width="100%",
        ),
        rx.fragment(),
    )


NO_AUTOMATION = "__none__"  # Radix select items cannot have an empty value


def automation_link_select(S) -> rx.Component:
    """ "Runs an automation": the engineer gets a Run automation button on this step during a session."""
    return rx.vstack(
        rx.text("Runs an automation", size="1", weight="medium", color_scheme="gray"),
        rx.select.root(
            rx.select.trigger(placeholder="No automation", width="100%", data_testid="node-automation"),
            rx.select.content(
                rx.select.item("— no automation —", value=NO_AUTOMATION),
                # Long names end in "…" on one line: a wrapped or overflowing label would cover its neighbours.
                rx.foreach(
                    S.panel.automation_choices,
                    lambda a: rx.select.item(
                        a.label,
                        value=a.id,
                        title=a.label,
                        style={
                            "overflow": "hidden",
                            "text_overflow": "ellipsis",
                            "white_space": "nowrap",
                            "max_width": "min(380px, 80vw)",
                        },
                    ),
                ),
                max_width="min(420px, 90vw)",
            ),
            value=S.panel.sel.automation_id,
            on_change=S.panel.set_node_automation,
            size="1",
        ),
        rx.text(
            "During a session the engineer can run it from this step, with its form pre-filled from the session; the "
            "result is added to the session.",
            size="1",
            color_scheme="gray",
        ),
        spacing="1",
        width="100%",
    )
