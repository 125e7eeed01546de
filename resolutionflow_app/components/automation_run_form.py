"""Run-page widgets: form fields rendered from form_schema, upload dropzones, the paged run history."""

from __future__ import annotations

from typing import Any

import reflex as rx

from resolutionflow_app.components.automation_run_progress import FOCUS_RING
from resolutionflow_app.components.badges import kind_badge
from resolutionflow_app.domain.run_status import RUN_STATUSES

STATUS_CHOICES = ("all", *RUN_STATUSES)


def _label(text: rx.Var, required: rx.Var, html_for: rx.Var) -> rx.Component:
    return rx.el.label(
        rx.text(text, as_="span", size="2", weight="medium", overflow_wrap="anywhere"),
        rx.cond(required, rx.text(" *", as_="span", color_scheme="red", aria_label="required"), rx.fragment()),
        html_for=html_for,
    )


def form_field(f: rx.Var, index: rx.Var, values: rx.Var, set_value: Any) -> rx.Component:
    """A text, number or select field of the run form (labelled; value in `values[f.id]`)."""
    dom_id = "run-field-" + index.to_string()
    value = values[f.id].to(str)
    control = rx.match(
        f.type,
        (
            "number",
            rx.input(
                type="number",
                step="any",
                value=value,
                on_change=lambda v: set_value(f.id, v),
                id=dom_id,
                required=f.required,
                width="100%",
                data_testid="run-field",
            ),
        ),
        (
            "select",
            rx.select(
                f.options,
                value=value,
                on_change=lambda v: set_value(f.id, v),
                placeholder="Choose…",
                required=f.required,
                id=dom_id,
                aria_label=f.label,
                width="100%",
                data_testid="run-field",
            ),
        ),
        rx.input(
            value=value,
            on_change=lambda v: set_value(f.id, v),
            id=dom_id,
            required=f.required,
            width="100%",
            data_testid="run-field",
        ),
    )
    return rx.vstack(_label(f.label, f.required, dom_id), control, spacing="1", width="100%", data_field=f.id)


def file_slot(f: rx.Var, slot: int, file_names: rx.Var, on_upload: Any, on_remove: Any) -> rx.Component:
    """Upload dropzone of one file field (slot `slot`); shows the attached file with a remove button."""
    upload_id = f"run-file-{slot}"
    hint = rx.match(
        f.type,
        ("image", "an image"),
        ("audio", "an audio file"),
        ("document", "a document (PDF, DOCX, text)"),
        "any file",
    )
    return rx.vstack(
        _label(f.label, f.required, upload_id),
        rx.cond(
            file_names.contains(f.id),
            rx.hstack(
                rx.icon("paperclip", size=14),
                rx.text(
                    file_names[f.id].to(str),
                    size="2",
                    overflow_wrap="anywhere",
                    min_width="0",
                    data_testid="attached-file",
                ),
                rx.spacer(),
                rx.button(
                    rx.icon("x", size=14),
                    "Remove",
                    type="button",
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    on_click=on_remove(f.id),
                    aria_label="Remove file of " + f.label,
                ),
                width="100%",
                align="center",
                padding="0.5rem 0.75rem",
                border=f"1px solid {rx.color('gray', 5)}",
                border_radius="var(--radius-2)",
            ),
            rx.upload(
                rx.vstack(
                    rx.icon("upload", size=18, color=rx.color("gray", 10)),
                    rx.text(
                        "Drop ", hint, " here, or press to choose", size="2", color_scheme="gray", text_align="center"
                    ),
                    align="center",
                    spacing="1",
                ),
                id=upload_id,
                multiple=False,
                max_files=1,
                on_drop=on_upload(rx.upload_files(upload_id=upload_id), slot),
                border=f"1px dashed {rx.color('gray', 7)}",
                border_radius="var(--radius-3)",
                padding="1rem",
                width="100%",
                cursor="pointer",
                aria_label="Upload " + f.label,
                _focus_visible=FOCUS_RING,
                data_testid="run-dropzone",
            ),
        ),
        spacing="1",
        width="100%",
        data_field=f.id,
    )


def _history_row(row: rx.Var, state: Any) -> rx.Component:
    live_status = rx.cond(row.id == state.watched_run_id, state.run_status, row.status)
    return rx.table.row(
        rx.table.cell(
            rx.hstack(
                rx.link(
                    rx.moment(row.created_at, format="YYYY-MM-DD HH:mm:ss"),
                    href="/automation-runs/" + row.id,
                    data_testid="history-link",
                ),
                rx.link(
                    rx.icon("workflow", size=14),
                    href="/automations/" + state.form_automation_id + "/overview?run=" + row.id,
                    title="See this run on the diagram",
                    aria_label="See this run on the diagram",
                    data_testid="history-diagram",
                ),
                spacing="2",
                align="center",
            )
        ),
        rx.table.cell(kind_badge(live_status)),
        rx.table.cell(rx.text(row.duration, size="2")),
        rx.table.cell(rx.text(row.user_name, size="2", overflow_wrap="anywhere")),
        rx.table.cell(
            rx.text(
                rx.cond(row.id == state.watched_run_id, state.run_error, row.error),
                size="1",
                color_scheme="red",
                overflow_wrap="anywhere",
                line_clamp=3,
            ),
            max_width="22rem",
        ),
        data_testid="history-row",
    )


def history_panel(state: Any) -> rx.Component:
    """The automation's runs: status and date filters, one page at a time, each opening its detail page."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Run history", size="4"),
                rx.spacer(),
                rx.text(state.page_label, size="2", color_scheme="gray", data_testid="history-count"),
                rx.icon_button(
                    rx.icon("refresh-cw", size=14),
                    size="1",
                    variant="soft",
                    on_click=state.fetch,
                    aria_label="Refresh the run history",
                    title="Refresh",
                    data_testid="history-refresh",
                ),
                width="100%",
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            rx.hstack(
                rx.vstack(
                    rx.el.label(rx.text("Status", size="1", color_scheme="gray"), html_for="history-status"),
                    rx.select(
                        list(STATUS_CHOICES),
                        value=state.status_filter,
                        on_change=lambda v: state.set_filter("status_filter", v),
                        id="history-status",
                        aria_label="Filter by status",
                        data_testid="history-status",
                    ),
                    spacing="1",
                ),
                rx.vstack(
                    rx.el.label(rx.text("From", size="1", color_scheme="gray"), html_for="history-from"),
                    rx.input(
                        type="date",
                        value=state.date_from,
                        on_change=lambda v: state.set_filter("date_from", v),
                        id="history-from",
                        data_testid="history-from",
                    ),
                    spacing="1",
                ),
                rx.vstack(
                    rx.el.label(rx.text("To", size="1", color_scheme="gray"), html_for="history-to"),
                    rx.input(
                        type="date",
                        value=state.date_to,
                        on_change=lambda v: state.set_filter("date_to", v),
                        id="history-to",
                        data_testid="history-to",
                    ),
                    spacing="1",
                ),
                spacing="3",
                wrap="wrap",
                align="end",
            ),
            rx.cond(
                state.history_error != "",
                rx.callout(state.history_error, icon="triangle-alert", color_scheme="red", size="1", width="100%"),
                rx.fragment(),
            ),
            rx.cond(
                state.history.length() > 0,
                rx.box(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                *[
                                    rx.table.column_header_cell(h)
                                    for h in ("Started", "Status", "Duration", "By", "Error")
                                ]
                            )
                        ),
                        rx.table.body(rx.foreach(state.history, lambda r: _history_row(r, state))),
                        width="100%",
                        size="1",
                        data_testid="history-table",
                    ),
                    overflow_x="auto",
                    width="100%",
                ),
                rx.text(
                    rx.cond(
                        (state.status_filter != "all") | (state.date_from != "") | (state.date_to != ""),
                        "No runs match these filters.",
                        "No runs yet. Fill in the form and press Start run.",
                    ),
                    size="2",
                    color_scheme="gray",
                    data_testid="history-empty",
                ),
            ),
            rx.hstack(
                rx.button(
                    rx.icon("chevron-left", size=14),
                    "Previous",
                    size="1",
                    variant="soft",
                    disabled=state.offset == 0,
                    on_click=state.page_by(-1),
                    data_testid="history-prev",
                ),
                rx.button(
                    "Next",
                    rx.icon("chevron-right", size=14),
                    size="1",
                    variant="soft",
                    disabled=~state.has_next,
                    on_click=state.page_by(1),
                    data_testid="history-next",
                ),
                justify="end",
                width="100%",
                spacing="2",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        data_testid="run-history",
    )
