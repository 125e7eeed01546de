"""Live session runner (/sessions/[session_id]): troubleshooting node by node, or a procedure checklist."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.badges import kind_badge
from resolutionflow_app.components.forms import field
from resolutionflow_app.components.layout import app_layout, empty_state, page_header
from resolutionflow_app.components.library_widgets import command_row
from resolutionflow_app.components.session_widgets import (
    ANSWER_KEYS_JS,
    custom_step_card,
    node_card,
)
from resolutionflow_app.components.share_dialog import share_button
from resolutionflow_app.state.auth import AuthState
from resolutionflow_app.state.session_automation import SessionAutomationState
from resolutionflow_app.state.session_run import OUTCOMES, SessionRunState

S = SessionRunState
EDITABLE = S.info.can_edit & (S.info.status == "in_progress")


def _crumb(h: rx.Var, i) -> rx.Component:
    return rx.hstack(
        rx.cond(i > 0, rx.icon("chevron-right", size=14, color=rx.color("gray", 8)), rx.fragment()),
        rx.cond(
            EDITABLE,
            rx.link(h.title, on_click=S.jump_back(h.node_id), size="2", cursor="pointer", data_testid="crumb"),
            rx.text(h.title, size="2"),
        ),
        rx.cond(h.answer != "", rx.badge(h.answer, variant="soft", color_scheme="gray", size="1"), rx.fragment()),
        spacing="1",
        align="center",
    )


def _breadcrumb() -> rx.Component:
    return rx.flex(
        rx.foreach(S.history, _crumb),
        rx.cond(
            (S.node.id != "") & (S.history.length() > 0),
            rx.hstack(
                rx.icon("chevron-right", size=14, color=rx.color("gray", 8)),
                rx.text(S.node.title, size="2", weight="bold"),
                spacing="1",
                align="center",
            ),
            rx.fragment(),
        ),
        wrap="wrap",
        gap="0.35rem",
        align="center",
        padding_bottom="1rem",
        data_testid="breadcrumb",
    )


def _answer_button(o: rx.Var) -> rx.Component:
    return rx.button(
        rx.cond(o.key != "", rx.code(o.key, size="1", variant="outline"), rx.fragment()),
        o.label,
        size="3",
        variant="surface",
        color_scheme="blue",
        on_click=S.answer(o.label),
        loading=S.busy,
        custom_attrs={"data-answer-key": o.key},
        data_testid="answer-" + o.key,
    )


def _notes() -> rx.Component:
    return rx.vstack(
        rx.text("Notes on this step", size="1", weight="bold", color_scheme="gray"),
        rx.text_area(
            placeholder="What did you find? (saved with the path)",
            value=S.note_draft,
            on_change=S.set_note_draft,
            rows="2",
            width="100%",
            data_testid="node-notes",
        ),
        rx.button(
            rx.icon("save", size=14),
            "Save note",
            size="1",
            variant="soft",
            on_click=S.save_note,
            data_testid="save-note",
        ),
        width="100%",
        spacing="1",
        align="start",
    )


def _node_actions() -> rx.Component:
    kind = S.node.type
    return rx.match(
        kind,
        (
            "decision",
            rx.vstack(
                rx.text("Answer (keys 1–9)", size="1", color_scheme="gray"),
                rx.flex(rx.foreach(S.options, _answer_button), wrap="wrap", gap="0.5rem"),
                spacing="2",
            ),
        ),
        (
            "solution",
            rx.hstack(
                rx.button(
                    rx.icon("circle-check"),
                    "Resolved",
                    size="3",
                    color_scheme="green",
                    on_click=S.open_complete("resolved"),
                    data_testid="resolved",
                ),
                rx.button(
                    rx.icon("triangle-alert"),
                    "Not resolved / escalate",
                    size="3",
                    color_scheme="orange",
                    variant="soft",
                    on_click=S.open_complete("escalated"),
                    data_testid="escalate",
                ),
                spacing="2",
            ),
        ),
        rx.button(
            rx.icon("check"),
            "Done, continue",
            size="3",
            color_scheme="orange",
            on_click=S.done_continue,
            loading=S.busy,
            data_testid="done-continue",
        ),
    )


A = SessionAutomationState


def _automation_field(f, i) -> rx.Component:
    name = "field_" + i.to_string()
    control = rx.match(
        f.type,
        (
            "select",
            rx.el.select(
                rx.foreach(f.options, lambda o: rx.el.option(o, value=o)),
                name=name,
                default_value=f.value,
                required=f.required,
                aria_label=f.label,
                style={"width": "100%", "padding": "6px", "border_radius": "6px", "border": "1px solid var(--gray-6)"},
            ),
        ),
        (
            "number",
            rx.input(
                name=name, type="number", default_value=f.value, required=f.required, width="100%", aria_label=f.label
            ),
        ),
        rx.input(name=name, default_value=f.value, required=f.required, width="100%", aria_label=f.label),
    )
    return rx.vstack(
        rx.text(f.label, rx.cond(f.required, " *", ""), size="2", weight="medium", overflow_wrap="anywhere"),
        control,
        spacing="1",
        width="100%",
        data_testid="automation-field",
    )


def _automation_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Run “" + A.name + "”"),
            rx.dialog.description(
                "Values found in this session are filled in. The result is added to the session as a step.", size="2"
            ),
            rx.form(
                rx.vstack(
                    rx.cond(
                        A.error != "",
                        rx.callout(
                            A.error,
                            icon="triangle-alert",
                            color_scheme="red",
                            size="1",
                            width="100%",
                            data_testid="form-error",
                        ),
                        rx.fragment(),
                    ),
                    rx.foreach(A.fields, _automation_field),
                    rx.vstack(
                        rx.text("Anything else the automation should know (optional)", size="2", weight="medium"),
                        rx.text_area(name="text", rows="3", width="100%", max_length=20000, aria_label="Free text"),
                        spacing="1",
                        width="100%",
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray")),
                        rx.button(
                            rx.icon("play", size=14),
                            "Run",
                            type="submit",
                            loading=A.starting,
                            data_testid="confirm-run-automation",
                        ),
                        justify="end",
                        width="100%",
                        spacing="2",
                    ),
                    spacing="3",
                    width="100%",
                    padding_top="8px",
                ),
                on_submit=A.start,
                reset_on_submit=False,
            ),
            max_width="560px",
        ),
        open=A.dialog_open,
        on_open_change=A.set_dialog_open,
    )


def _automation_panel() -> rx.Component:
    """The current step's automation: run it, watch it, or read why it cannot run."""
    return rx.cond(
        S.automation.id != "",
        rx.box(
            rx.vstack(
                rx.hstack(
                    rx.icon("bot", size=18, color=rx.color("indigo", 10)),
                    rx.text(
                        rx.cond(S.automation.name != "", S.automation.name, "Linked automation"),
                        weight="bold",
                        size="2",
                        overflow_wrap="anywhere",
                        min_width="0",
                    ),
                    rx.spacer(),
                    rx.cond(
                        S.automation.available & EDITABLE & (A.run_id == ""),
                        rx.button(
                            rx.icon("play", size=14),
                            "Run automation",
                            size="2",
                            color_scheme="indigo",
                            on_click=A.open_dialog,
                            data_testid="run-node-automation",
                        ),
                        rx.fragment(),
                    ),
                    width="100%",
                    align="center",
                    spacing="2",
                    wrap="wrap",
                ),
                rx.cond(
                    ~S.automation.available,
                    rx.callout(
                        S.automation.reason,
                        icon="circle-alert",
                        color_scheme="amber",
                        size="1",
                        width="100%",
                        data_testid="automation-unavailable",
                    ),
                    rx.fragment(),
                ),
                rx.cond(
                    A.run_id != "",
                    rx.vstack(
                        rx.hstack(
                            rx.spinner(size="1"),
                            rx.text(
                                rx.cond(
                                    A.run_total > 0,
                                    "Step " + (A.run_done + 1).to_string() + " of " + A.run_total.to_string(),
                                    "Queued",
                                ),
                                rx.cond(A.run_step != "", " · " + A.run_step, ""),
                                size="2",
                                color_scheme="gray",
                            ),
                            spacing="2",
                            align="center",
                        ),
                        rx.progress(value=rx.cond(A.run_total > 0, A.run_done * 100 / A.run_total, 0), width="100%"),
                        spacing="1",
                        width="100%",
                        data_testid="automation-progress",
                    ),
                    rx.fragment(),
                ),
                spacing="2",
                width="100%",
            ),
            padding="0.6rem 0.75rem",
            border=f"1px solid {rx.color('indigo', 6)}",
            background=rx.color("indigo", 2),
            border_radius="var(--radius-3)",
            width="100%",
            data_testid="node-automation-panel",
        ),
        rx.fragment(),
    )


def _current_node() -> rx.Component:
    return node_card(
        S.node.type,
        S.node.title,
        rx.cond(S.node.description != "", rx.text(S.node.description, size="3", white_space="pre-wrap"), rx.fragment()),
        rx.cond(
            S.node.help_text != "",
            rx.callout(S.node.help_text, icon="info", size="1", variant="surface", width="100%"),
            rx.fragment(),
        ),
        rx.cond(
            S.node_commands.length() > 0,
            rx.vstack(rx.foreach(S.node_commands, command_row), width="100%", spacing="2"),
            rx.fragment(),
        ),
        _automation_panel(),
        rx.cond(EDITABLE, rx.fragment(_node_actions(), rx.separator(size="4"), _notes()), rx.fragment()),
    )


def _history_item(h: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.box(
            width="8px",
            height="8px",
            border_radius="50%",
            background=rx.color("accent", 9),
            margin_top="6px",
            flex_shrink="0",
        ),
        rx.vstack(
            rx.text(h.title, size="2", weight="medium"),
            rx.cond(h.answer != "", rx.text("→ " + h.answer, size="1", color_scheme="blue"), rx.fragment()),
            rx.cond(
                h.notes != "",
                rx.text(h.notes, size="1", color_scheme="gray", white_space="pre-wrap"),
                rx.fragment(),
            ),
            rx.cond(
                h.at != "",
                rx.moment(h.at, format="HH:mm", font_size="11px", color=rx.color("gray", 9)),
                rx.fragment(),
            ),
            spacing="0",
            align="start",
        ),
        spacing="2",
        align="start",
        width="100%",
    )


def _side_panel() -> rx.Component:
    return rx.vstack(
        rx.card(
            rx.vstack(
                rx.text("Path taken", size="2", weight="bold"),
                rx.cond(
                    S.history.length() > 0,
                    rx.vstack(rx.foreach(S.history, _history_item), spacing="2", width="100%"),
                    rx.text("Nothing answered yet.", size="1", color_scheme="gray"),
                ),
                width="100%",
                spacing="2",
            ),
            width="100%",
            data_testid="history",
        ),
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text("Inserted steps", size="2", weight="bold"),
                    rx.spacer(),
                    rx.cond(EDITABLE, _insert_dialog(), rx.fragment()),
                    width="100%",
                    align="center",
                ),
                rx.cond(
                    S.custom_steps.length() > 0,
                    rx.vstack(rx.foreach(S.custom_steps, custom_step_card), spacing="2", width="100%"),
                    rx.text(
                        rx.cond(
                            EDITABLE,
                            "Add a step that is not in the flow: type it, or pick one from the library.",
                            "No steps were inserted.",
                        ),
                        size="1",
                        color_scheme="gray",
                    ),
                ),
                width="100%",
                spacing="2",
            ),
            width="100%",
        ),
        width="100%",
        spacing="3",
    )


def _library_result(r: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.hstack(
                kind_badge(r.step_type), rx.text(r.title, weight="medium", size="2"), spacing="2", align="center"
            ),
            rx.text(
                r.instructions,
                size="1",
                color_scheme="gray",
                style={
                    "display": "-webkit-box",
                    "WebkitLineClamp": "2",
                    "WebkitBoxOrient": "vertical",
                    "overflow": "hidden",
                },
            ),
            rx.cond(r.source != "", rx.text("From flow: " + r.source, size="1", color_scheme="violet"), rx.fragment()),
            spacing="1",
            align="start",
            width="100%",
        ),
        rx.button(
            rx.icon("plus", size=14),
            "Insert",
            size="1",
            on_click=S.insert_library(r.id, r.step_type),
            data_testid="insert-library-step",
        ),
        width="100%",
        align="center",
        padding_y="0.4rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def _insert_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(rx.icon("list-plus", size=14), "Insert step", size="1", variant="soft", data_testid="insert-step")
        ),
        rx.dialog.content(
            rx.dialog.title("Insert a step"),
            rx.dialog.description(
                "It is added after “" + S.node.title + "” and kept with the session.", size="2", color_scheme="gray"
            ),
            rx.tabs.root(
                rx.tabs.list(
                    rx.tabs.trigger("Type a step", value="ad-hoc", data_testid="tab-ad-hoc"),
                    rx.tabs.trigger("From the library", value="library", data_testid="tab-library"),
                ),
                rx.tabs.content(
                    rx.form(
                        rx.vstack(
                            field(
                                "What did you do?",
                                rx.text_area(
                                    name="content",
                                    rows="3",
                                    width="100%",
                                    placeholder="e.g. Checked the Meraki dashboard for AP status",
                                    data_testid="ad-hoc-content",
                                ),
                            ),
                            rx.hstack(
                                field("Type", rx.select(["action", "solution"], name="type", default_value="action")),
                                field(
                                    "Notes",
                                    rx.input(
                                        name="notes", placeholder="Optional", width="100%", data_testid="ad-hoc-notes"
                                    ),
                                ),
                                width="100%",
                            ),
                            rx.hstack(
                                rx.button("Add step", type="submit", data_testid="ad-hoc-submit"),
                                justify="end",
                                width="100%",
                            ),
                            spacing="3",
                            padding_top="0.75rem",
                        ),
                        on_submit=S.insert_ad_hoc,
                        reset_on_submit=True,
                    ),
                    value="ad-hoc",
                ),
                rx.tabs.content(
                    rx.vstack(
                        rx.form(
                            rx.hstack(
                                rx.input(
                                    rx.input.slot(rx.icon("search", size=14)),
                                    name="q",
                                    default_value=S.lib_q,
                                    placeholder="Search the library…",
                                    width="100%",
                                    data_testid="library-picker-search",
                                ),
                                rx.button("Search", type="submit"),
                                width="100%",
                            ),
                            on_submit=S.search_library,
                            width="100%",
                        ),
                        rx.scroll_area(
                            rx.cond(
                                S.lib_results.length() > 0,
                                rx.vstack(rx.foreach(S.lib_results, _library_result), spacing="0", width="100%"),
                                rx.text("No library steps match.", size="2", color_scheme="gray"),
                            ),
                            max_height="320px",
                            type="auto",
                        ),
                        spacing="3",
                        padding_top="0.75rem",
                        width="100%",
                    ),
                    value="library",
                ),
                default_value="ad-hoc",
            ),
            max_width="600px",
        ),
        open=S.insert_open,
        on_open_change=S.set_insert_open,
    )


def _complete_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Complete the session"),
            rx.form(
                rx.vstack(
                    field(
                        "Outcome",
                        rx.radio_group.root(
                            rx.flex(
                                *[rx.radio_group.item(label, value=v) for v, label in OUTCOMES],
                                direction="column",
                                gap="0.25rem",
                            ),
                            value=S.complete_outcome,
                            on_change=S.set_complete_outcome,
                        ),
                    ),
                    field(
                        "Summary",
                        rx.text_area(
                            name="summary",
                            rows="4",
                            width="100%",
                            placeholder="What was wrong and what fixed it",
                            data_testid="complete-summary",
                        ),
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Complete session", type="submit", data_testid="complete-submit"),
                        justify="end",
                        width="100%",
                        spacing="2",
                    ),
                    spacing="3",
                ),
                on_submit=S.complete,
            ),
            max_width="520px",
        ),
        open=S.complete_open,
        on_open_change=S.set_complete_open,
    )


def _proc_command(c: rx.Var, step_id) -> rx.Component:
    return rx.cond(c.owner == step_id, command_row(c), rx.fragment())


def _proc_step(s: rx.Var) -> rx.Component:
    return rx.cond(
        s.type == "section_header",
        rx.heading(s.title, size="3", padding_top="1rem", color=rx.color("gray", 11), data_testid="section"),
        rx.cond(
            s.type == "procedure_end",
            rx.hstack(
                rx.icon("flag", size=16, color=rx.color("green", 9)),
                rx.text(s.title, weight="medium"),
                padding_top="0.75rem",
                align="center",
            ),
            rx.box(
                rx.hstack(
                    rx.checkbox(
                        checked=s.done,
                        disabled=s.done | ~EDITABLE,
                        on_change=lambda _v: S.tick(s.id),
                        size="3",
                        data_testid="tick",
                    ),
                    rx.vstack(
                        rx.text(
                            s.title,
                            weight="medium",
                            text_decoration=rx.cond(s.done, "line-through", "none"),
                            color=rx.cond(s.done, rx.color("gray", 10), rx.color("gray", 12)),
                        ),
                        rx.cond(
                            s.description != "",
                            rx.text(s.description, size="2", color_scheme="gray"),
                            rx.fragment(),
                        ),
                        rx.cond(
                            s.expected_outcome != "",
                            rx.text(rx.text.strong("Expected: "), s.expected_outcome, size="2"),
                            rx.fragment(),
                        ),
                        rx.foreach(S.proc_commands, lambda c: _proc_command(c, s.id)),
                        spacing="1",
                        width="100%",
                        align="start",
                    ),
                    spacing="3",
                    align="start",
                    width="100%",
                ),
                padding="0.75rem",
                border=f"1px solid {rx.color('gray', 5)}",
                border_left=f"4px solid {rx.color('orange', 9)}",
                border_radius="var(--radius-3)",
                background=rx.cond(s.done, rx.color("green", 2), rx.color("gray", 1)),
                width="100%",
                data_testid="proc-step",
            ),
        ),
    )


def _procedure() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(
                S.progress_done.to_string() + " of " + S.progress_total.to_string() + " steps done",
                weight="medium",
                data_testid="progress",
            ),
            rx.progress(value=S.progress_pct, width="240px"),
            rx.spacer(),
            rx.cond(
                EDITABLE,
                rx.button(
                    rx.icon("flag"),
                    "Complete",
                    color_scheme="green",
                    variant=rx.cond(S.progress_done == S.progress_total, "solid", "soft"),
                    on_click=S.open_complete(rx.cond(S.progress_done == S.progress_total, "resolved", "abandoned")),
                    data_testid="complete-procedure",
                ),
                rx.fragment(),
            ),
            width="100%",
            align="center",
            spacing="3",
        ),
        _automation_panel(),
        rx.foreach(S.proc_steps, _proc_step),
        width="100%",
        spacing="2",
    )


def _finished() -> rx.Component:
    return rx.callout(
        rx.vstack(
            rx.hstack(
                rx.text("Session completed", weight="bold"),
                kind_badge(S.info.outcome),
                rx.cond(
                    S.info.completed_at != "",
                    rx.moment(S.info.completed_at, from_now=True, font_size="12px"),
                    rx.fragment(),
                ),
                spacing="2",
                align="center",
            ),
            rx.cond(S.info.summary != "", rx.text(S.info.summary, size="2", white_space="pre-wrap"), rx.fragment()),
            spacing="1",
        ),
        icon="circle-check",
        color_scheme=rx.cond(S.info.outcome == "resolved", "green", "gray"),
        width="100%",
        data_testid="session-completed",
    )


def _header_actions() -> rx.Component:
    owner = S.info.can_edit
    return rx.hstack(
        rx.cond(
            EDITABLE & (S.history.length() > 0),
            rx.button(
                rx.icon("undo-2", size=14),
                rx.cond(S.info.tree_type == "troubleshooting", "Back", "Undo last tick"),
                variant="soft",
                on_click=S.go_back,
                data_testid="back",
            ),
            rx.fragment(),
        ),
        rx.cond(
            EDITABLE,
            rx.button(
                rx.icon("flag", size=14),
                "Complete…",
                variant="soft",
                color_scheme="gray",
                on_click=S.open_complete("abandoned"),
                data_testid="complete-any",
            ),
            rx.fragment(),
        ),
        rx.cond(
            owner & (S.info.status == "completed") & (S.info.tree_type == "troubleshooting"),
            rx.button(
                rx.icon("git-branch-plus", size=14),
                "Save session as flow",
                variant="soft",
                on_click=S.save_as_flow,
                data_testid="save-as-flow",
            ),
            rx.fragment(),
        ),
        rx.cond(owner, share_button(S.info.id), rx.fragment()),
        spacing="2",
        align="center",
    )


@rx.page(
    route=routes.SESSIONS + "/[session_id]",
    title="Session · ResolutionFlow",
    on_load=[AuthState.check_login, SessionRunState.load],
)
def session_run_page() -> rx.Component:
    """The live session runner."""
    return app_layout(
        rx.box(
            on_mount=rx.call_script(ANSWER_KEYS_JS), display="none"
        ),  # not rx.script: its react-helmet warns in strict mode
        rx.cond(
            S.info.id != "",
            rx.fragment(
                rx.link(
                    rx.hstack(
                        rx.icon("arrow-left", size=14), rx.text("Sessions", size="2"), spacing="1", align="center"
                    ),
                    href=routes.SESSIONS,
                    underline="none",
                ),
                page_header(S.info.tree_name, _header_actions()),
                rx.hstack(
                    kind_badge(S.info.tree_type),
                    kind_badge(S.info.status),
                    rx.text(
                        rx.cond(S.info.can_edit, "Your session", "Started by " + S.info.user_name),
                        " · started ",
                        size="2",
                        color_scheme="gray",
                    ),
                    rx.moment(S.info.started_at, from_now=True, font_size="14px", color=rx.color("gray", 10)),
                    spacing="2",
                    align="center",
                    margin_top="-0.75rem",
                    padding_bottom="1rem",
                ),
                rx.cond(
                    ~S.info.can_edit,
                    rx.callout(
                        "Read-only: only " + S.info.user_name + " can change this session.",
                        icon="eye",
                        color_scheme="gray",
                        size="1",
                        width="100%",
                        margin_bottom="1rem",
                        data_testid="read-only",
                    ),
                    rx.fragment(),
                ),
                rx.cond(
                    S.info.status == "completed",
                    rx.box(_finished(), padding_bottom="1rem", width="100%"),
                    rx.fragment(),
                ),
                rx.cond(
                    S.info.tree_type == "troubleshooting",
                    rx.fragment(
                        _breadcrumb(),
                        rx.grid(
                            rx.vstack(
                                rx.cond(S.node.id != "", _current_node(), rx.fragment()),
                                width="100%",
                            ),
                            _side_panel(),
                            columns="3fr 2fr",
                            spacing="4",
                            width="100%",
                            align_items="start",
                        ),
                    ),
                    rx.grid(
                        _procedure(),
                        _side_panel(),
                        columns="3fr 2fr",
                        spacing="4",
                        width="100%",
                        align_items="start",
                    ),
                ),
                _complete_dialog(),
                _automation_dialog(),
            ),
            rx.cond(
                S.found,
                rx.center(rx.spinner(size="3"), padding="4rem"),
                empty_state(
                    "search-x",
                    "Session not found",
                    "It may have been deleted, or it belongs to another account.",
                    rx.link(rx.button("Back to sessions"), href=routes.SESSIONS),
                ),
            ),
        ),
    )
