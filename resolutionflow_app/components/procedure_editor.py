"""Procedure / maintenance editor: ordered sections, steps and end, with a step form and Library Visibility."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app.components.flow_forms import (
    automation_link_select,
    commands_editor,
    commands_view,
    problems_callout,
    read_text,
    text_field,
)

VISIBILITY_LABELS = (("inherit", "Inherit from flow"), ("team", "Team only"), ("public", "Public"))


def _row(S, row: dict) -> rx.Component:
    color = rx.match(
        row.type, ("section_header", "gray"), ("procedure_step", "orange"), ("procedure_end", "green"), "gray"
    )
    selected = S.doc.selected_id == row.id
    controls = rx.hstack(
        rx.icon_button(
            rx.icon("arrow-up", size=14),
            size="1",
            variant="ghost",
            disabled=row.first,
            on_click=S.canvas.move_step(row.id, -1).stop_propagation,
            aria_label="Move up",
            data_testid="step-up",
        ),
        rx.icon_button(
            rx.icon("arrow-down", size=14),
            size="1",
            variant="ghost",
            disabled=row.last,
            on_click=S.canvas.move_step(row.id, 1).stop_propagation,
            aria_label="Move down",
            data_testid="step-down",
        ),
        rx.icon_button(
            rx.icon("trash-2", size=14),
            size="1",
            variant="ghost",
            color_scheme="red",
            on_click=S.canvas.delete_nodes([row.id]).stop_propagation,
            aria_label="Delete",
            data_testid="step-delete",
        ),
        spacing="1",
    )
    return rx.hstack(
        rx.match(
            row.type,
            ("section_header", rx.icon("heading", size=16, color=rx.color("gray", 10))),
            ("procedure_end", rx.icon("flag", size=16, color=rx.color("green", 10))),
            rx.badge(row.number, color_scheme="orange", variant="solid", radius="full"),
        ),
        rx.text(
            rx.cond(row.title != "", row.title, "Untitled"),
            size=rx.cond(row.type == "section_header", "3", "2"),
            weight=rx.cond(row.type == "section_header", "bold", "medium"),
            color_scheme=rx.cond(row.title != "", "gray", "red"),
            high_contrast=True,
            flex="1",
            min_width="0",
            overflow_wrap="anywhere",
        ),
        rx.cond(
            row.visibility != "",
            rx.badge(
                rx.icon("eye", size=12),
                row.visibility,
                color_scheme=rx.cond(row.visibility == "public", "green", "blue"),
                variant="soft",
            ),
            rx.fragment(),
        ),
        rx.cond(
            row.commands > 0,
            rx.badge(rx.icon("terminal", size=12), row.commands.to_string(), variant="soft", color_scheme="gray"),
            rx.fragment(),
        ),
        rx.cond(row.bad, rx.icon("triangle-alert", size=16, color=rx.color("red", 9)), rx.fragment()),
        rx.cond(S.doc.editable, controls, rx.fragment()),
        align="center",
        spacing="3",
        width="100%",
        padding="0.5rem 0.75rem",
        padding_left=rx.cond(row.type == "section_header", "0.75rem", "1.5rem"),
        border_left="4px solid",
        border_left_color=rx.color(color, 9),
        background=rx.cond(
            selected,
            rx.color("accent", 3),
            rx.cond(row.type == "section_header", rx.color("gray", 3), rx.color("gray", 1)),
        ),
        border_radius="var(--radius-2)",
        cursor="pointer",
        on_click=S.canvas.select_node(row.id),
        data_testid="step-row",
    )


def _visibility_select(S) -> rx.Component:
    return rx.vstack(
        rx.text("Library Visibility", size="1", weight="medium", color_scheme="gray"),
        rx.select.root(
            rx.select.trigger(width="100%", data_testid="library-visibility"),
            rx.select.content(*[rx.select.item(label, value=value) for value, label in VISIBILITY_LABELS]),
            value=S.panel.sel.library_visibility,
            on_change=S.panel.set_library_visibility,
        ),
        rx.text(
            "Who sees this step in the step library once the flow is published. “Inherit” follows the flow (public "
            "flow → public).",
            size="1",
            color_scheme="gray",
        ),
        spacing="1",
        width="100%",
    )


def _step_form(S) -> rx.Component:
    is_step = S.panel.sel.type == "procedure_step"
    return rx.vstack(
        rx.hstack(
            rx.badge(
                S.panel.sel.kind_label,
                color_scheme=rx.match(
                    S.panel.sel.type, ("section_header", "gray"), ("procedure_end", "green"), "orange"
                ),
                variant="solid",
            ),
            rx.text(S.panel.sel.id, size="1", color_scheme="gray", font_family="var(--code-font-family)"),
            rx.spacer(),
            rx.button(
                rx.icon("trash-2", size=14),
                "Delete",
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=S.panel.delete_selected,
                data_testid="delete-node",
            ),
            width="100%",
            align="center",
        ),
        problems_callout(S),
        text_field(S, "Title", "title", placeholder="What to do"),
        text_field(S, "Description", "description", area=True, placeholder="Instructions for the engineer"),
        rx.cond(
            is_step,
            rx.vstack(
                text_field(
                    S,
                    "Expected outcome",
                    "expected_outcome",
                    area=True,
                    rows="2",
                    placeholder="How the engineer knows it worked",
                ),
                commands_editor(S),
                automation_link_select(S),
                rx.accordion.root(
                    rx.accordion.item(
                        header=rx.text("More options", size="2"),
                        content=rx.vstack(
                            text_field(S, "Help text", "help_text", area=True, rows="2"),
                            _visibility_select(S),
                            spacing="3",
                            width="100%",
                        ),
                        value="more",
                    ),
                    type="single",
                    collapsible=True,
                    variant="ghost",
                    width="100%",
                    data_testid="more-options",
                ),
                spacing="3",
                width="100%",
            ),
            rx.fragment(),
        ),
        spacing="3",
        width="100%",
    )


def _step_view(S) -> rx.Component:
    return rx.vstack(
        rx.badge(S.panel.sel.kind_label, variant="soft"),
        rx.heading(rx.cond(S.panel.sel.title != "", S.panel.sel.title, "Untitled"), size="4", overflow_wrap="anywhere"),
        read_text("Description", S.panel.sel.description),
        read_text("Expected outcome", S.panel.sel.expected_outcome),
        read_text("Help text", S.panel.sel.help_text),
        commands_view(S),
        rx.cond(
            S.panel.sel.type == "procedure_step",
            rx.text(
                "Library visibility: ",
                rx.text.strong(
                    rx.match(
                        S.panel.sel.library_visibility, ("team", "Team only"), ("public", "Public"), "Inherit from flow"
                    )
                ),
                size="1",
                color_scheme="gray",
            ),
            rx.fragment(),
        ),
        spacing="3",
        width="100%",
    )


def procedure_editor(S) -> rx.Component:
    """List of rows on the left, the selected row's form (or read-only view) on the right."""
    toolbar = rx.hstack(
        rx.button(
            rx.icon("heading", size=14),
            "Section",
            size="1",
            variant="soft",
            color_scheme="gray",
            on_click=S.canvas.add_step("section_header"),
            data_testid="add-section",
        ),
        rx.button(
            rx.icon("plus", size=14),
            "Step",
            size="1",
            variant="soft",
            color_scheme="orange",
            on_click=S.canvas.add_step("procedure_step"),
            data_testid="add-step",
        ),
        rx.button(
            rx.icon("flag", size=14),
            "End",
            size="1",
            variant="soft",
            color_scheme="green",
            on_click=S.canvas.add_step("procedure_end"),
            data_testid="add-end",
        ),
        rx.text("New rows go after the selected one.", size="1", color_scheme="gray"),
        spacing="2",
        align="center",
        padding_bottom="0.5rem",
    )
    return rx.grid(
        rx.vstack(
            rx.cond(S.doc.editable, toolbar, rx.fragment()),
            rx.cond(
                S.canvas.steps.length() > 0,
                rx.vstack(
                    rx.foreach(S.canvas.steps, lambda row: _row(S, row)),
                    spacing="1",
                    width="100%",
                    data_testid="step-list",
                ),
                rx.callout("No steps yet. Add a section or a step.", icon="info", width="100%"),
            ),
            width="100%",
            spacing="2",
        ),
        rx.card(
            rx.cond(
                S.panel.sel.id,
                rx.cond(S.doc.editable, _step_form(S), _step_view(S)),
                rx.vstack(
                    rx.icon("mouse-pointer-click", color=rx.color("gray", 8)),
                    rx.text("Select a row to see or edit it.", size="2", color_scheme="gray"),
                    align="center",
                    padding="2rem",
                    width="100%",
                ),
            ),
            width="100%",
            position="sticky",
            top="1rem",
            data_testid="step-panel",
        ),
        grid_template_columns="minmax(0, 3fr) minmax(320px, 2fr)",
        spacing="4",
        width="100%",
        align_items="start",
    )
