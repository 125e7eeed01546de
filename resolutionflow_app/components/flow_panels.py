"""Flow editor UI: header with actions and save indicator, canvas + node panel, dialogs and drawers.

Every builder takes `S`, the editor's states by part (`state.flow_editor.Editor`: doc, canvas, panel, history, publish).
"""

from __future__ import annotations

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.badges import kind_badge
from resolutionflow_app.components.flow_canvas import export_diagram, flow_canvas
from resolutionflow_app.components.flow_forms import (
    DEBOUNCE_MS,
    automation_link_select,
    commands_editor,
    commands_view,
    problems_callout,
    read_text,
    text_field,
)
from resolutionflow_app.components.forms import char_counter, error_callout
from resolutionflow_app.components.layout import empty_state
from resolutionflow_app.components.procedure_editor import procedure_editor
from resolutionflow_app.state.auth import AuthState

KIND_CHOICES = (
    ("decision", "Decision (question)"),
    ("action", "Action (then continue)"),
    ("solution", "Solution (end)"),
)
NONE = "__none__"


# ---------------------------------------------------------------------------- header


def save_indicator(S) -> rx.Component:
    """ "Saved / Saving… / Not saved", with retry; `data-unsaved` feeds the beforeunload guard."""
    icon = rx.match(
        S.doc.save_state,
        ("saving", rx.spinner(size="1")),
        ("saved", rx.icon("cloud-check", size=15, color=rx.color("green", 10))),
        ("error", rx.icon("cloud-alert", size=15, color=rx.color("red", 10))),
        rx.icon("cloud-upload", size=15, color=rx.color("amber", 10)),
    )
    return rx.hstack(
        icon,
        rx.tooltip(
            rx.text(
                S.doc.save_label,
                size="2",
                color_scheme=rx.match(
                    S.doc.save_state, ("saved", "green"), ("error", "red"), ("dirty", "amber"), "gray"
                ),
                data_testid="save-status",
            ),
            content=rx.cond(
                S.doc.save_error != "", S.doc.save_error, "Drafts save automatically a second after you stop typing."
            ),
        ),
        rx.cond(
            S.doc.save_state == "error",
            rx.button(
                "Retry", size="1", variant="soft", color_scheme="red", on_click=S.doc.save_now, data_testid="save-retry"
            ),
            rx.fragment(),
        ),
        align="center",
        spacing="1",
        custom_attrs={"data-unsaved": rx.cond((S.doc.save_state == "saved") | ~S.doc.can_edit, "0", "1")},
    )


def _badges(S) -> rx.Component:
    return rx.hstack(
        kind_badge(S.doc.tree_type),
        kind_badge(S.doc.meta.status),
        rx.badge("v" + S.doc.version.to_string(), variant="outline", color_scheme="gray", data_testid="flow-version"),
        rx.cond(
            S.doc.is_public,
            rx.badge(rx.icon("globe", size=12), "public", color_scheme="green", variant="outline"),
            rx.fragment(),
        ),
        rx.cond(~S.doc.is_active, rx.badge("inactive", color_scheme="gray", variant="solid"), rx.fragment()),
        rx.cond(
            ~S.doc.can_edit,
            rx.badge(
                rx.icon("lock", size=12),
                "read-only",
                color_scheme="gray",
                variant="soft",
                data_testid="read-only-badge",
            ),
            rx.fragment(),
        ),
        rx.cond(
            S.doc.meta.parent_tree_id != "",
            rx.hstack(
                rx.icon("git-fork", size=14, color=rx.color("violet", 10)),
                rx.text("Forked from ", size="2", color_scheme="gray"),
                rx.cond(
                    S.doc.meta.parent_name != "",
                    rx.link(
                        S.doc.meta.parent_name,
                        href=routes.FLOWS + "/" + S.doc.meta.parent_tree_id,
                        size="2",
                        data_testid="forked-from",
                    ),
                    rx.text("a flow you cannot see", size="2", color_scheme="gray"),
                ),
                rx.cond(
                    S.doc.meta.fork_reason != "",
                    rx.tooltip(rx.icon("info", size=14, color=rx.color("gray", 9)), content=S.doc.meta.fork_reason),
                    rx.fragment(),
                ),
                spacing="1",
                align="center",
            ),
            rx.fragment(),
        ),
        rx.cond(
            S.doc.has_parent_updates,
            rx.tooltip(
                rx.badge(
                    rx.icon("bell-dot", size=12),
                    "Parent updated",
                    color_scheme="amber",
                    variant="solid",
                    data_testid="parent-updated-badge",
                ),
                content="The original flow changed after you forked it.",
            ),
            rx.fragment(),
        ),
        spacing="2",
        align="center",
        wrap="wrap",
    )


def _more_menu(S) -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("ellipsis", size=16), "More", variant="soft", color_scheme="gray", data_testid="flow-menu"
            )
        ),
        rx.menu.content(
            rx.menu.item(
                rx.icon("file-json", size=14), "Export JSON", on_click=S.publish.export_json, data_testid="export-json"
            ),
            rx.cond(
                S.doc.is_troubleshooting,
                rx.fragment(
                    rx.menu.item(
                        rx.icon("image", size=14),
                        "Export diagram as PNG",
                        on_click=export_diagram("png"),
                        data_testid="export-png",
                    ),
                    rx.menu.item(
                        rx.icon("file-code", size=14),
                        "Export diagram as SVG",
                        on_click=export_diagram("svg"),
                        data_testid="export-svg",
                    ),
                ),
                rx.fragment(),
            ),
            rx.menu.separator(),
            rx.menu.item(
                rx.icon("history", size=14),
                "Version history",
                on_click=S.history.set_history_open(True),
                data_testid="open-history",
            ),
            rx.menu.item(
                rx.icon("git-fork", size=14),
                "Forks (" + S.doc.forks_count.to_string() + ")",
                on_click=S.publish.set_forks_open(True),
                data_testid="open-forks",
            ),
            rx.cond(
                S.doc.editable,
                rx.fragment(
                    rx.menu.separator(),
                    rx.cond(
                        S.doc.is_active,
                        rx.menu.item(
                            rx.icon("eye-off", size=14),
                            "Deactivate",
                            on_click=S.publish.set_active(False),
                            data_testid="deactivate",
                        ),
                        rx.menu.item(
                            rx.icon("eye", size=14),
                            "Reactivate",
                            on_click=S.publish.set_active(True),
                            data_testid="reactivate",
                        ),
                    ),
                    rx.menu.item(
                        rx.icon("trash-2", size=14),
                        "Delete…",
                        color="red",
                        on_click=S.publish.set_delete_open(True),
                        data_testid="delete-flow",
                    ),
                ),
                rx.fragment(),
            ),
        ),
    )


def header(S) -> rx.Component:
    """Name, badges, save indicator and the flow's actions."""
    title = rx.cond(
        S.doc.editable,
        rx.hstack(
            rx.input(
                value=S.doc.meta.name,
                on_change=S.doc.set_name,
                debounce_timeout=DEBOUNCE_MS,
                size="3",
                variant="soft",
                font_weight="bold",
                width="min(520px, 100%)",
                max_length=200,
                data_testid="flow-name",
            ),
            char_counter(S.doc.meta.name, 200),
            align="center",
            spacing="2",
            width="100%",
        ),
        rx.heading(S.doc.meta.name, size="6", overflow_wrap="anywhere", min_width="0", data_testid="flow-title"),
    )
    actions = rx.hstack(
        rx.cond(S.doc.editable, save_indicator(S), rx.fragment()),
        rx.cond(
            S.doc.editable,
            rx.hstack(
                rx.tooltip(
                    rx.icon_button(
                        rx.icon("undo-2", size=16),
                        variant="ghost",
                        on_click=S.history.undo,
                        disabled=~S.doc.can_undo,
                        aria_label="Undo (Ctrl+Z)",
                        data_testid="undo",
                    ),
                    content="Undo (Ctrl+Z)",
                ),
                rx.tooltip(
                    rx.icon_button(
                        rx.icon("redo-2", size=16),
                        variant="ghost",
                        on_click=S.history.redo,
                        disabled=~S.doc.can_redo,
                        aria_label="Redo (Ctrl+Shift+Z)",
                        data_testid="redo",
                    ),
                    content="Redo (Ctrl+Shift+Z)",
                ),
                spacing="1",
            ),
            rx.fragment(),
        ),
        rx.cond(
            S.doc.editable,
            rx.cond(
                S.doc.meta.status == "published",
                rx.button(
                    rx.icon("circle-pause", size=16),
                    "Unpublish",
                    variant="soft",
                    color_scheme="amber",
                    on_click=S.publish.unpublish,
                    data_testid="unpublish",
                ),
                rx.button(
                    rx.icon("rocket", size=16),
                    "Publish",
                    color_scheme="green",
                    on_click=S.publish.publish,
                    data_testid="publish",
                ),
            ),
            rx.fragment(),
        ),
        rx.cond(AuthState.can_author, _fork_dialog(S), rx.fragment()),
        _more_menu(S),
        spacing="2",
        align="center",
    )
    return rx.vstack(
        rx.hstack(
            rx.link(
                rx.hstack(rx.icon("arrow-left", size=14), rx.text("Flows", size="2"), spacing="1", align="center"),
                href=routes.FLOWS,
                color_scheme="gray",
                underline="none",
            ),
            width="100%",
        ),
        rx.hstack(title, rx.spacer(), actions, width="100%", align="center", spacing="3", wrap="wrap"),
        _badges(S),
        rx.cond(
            S.doc.publish_errors.length() > 0,
            rx.callout.root(
                rx.callout.icon(rx.icon("triangle-alert")),
                rx.vstack(
                    rx.hstack(
                        rx.text("Fix these problems before publishing:", weight="bold", size="2"),
                        rx.spacer(),
                        rx.icon_button(
                            rx.icon("x", size=14),
                            size="1",
                            variant="ghost",
                            color_scheme="red",
                            on_click=S.publish.dismiss_publish_errors,
                            aria_label="Dismiss",
                        ),
                        width="100%",
                        align="center",
                    ),
                    # live problems of the current structure (never the list as it was at publish time); a click selects
                    # the node
                    rx.el.ul(
                        rx.cond(
                            S.doc.problems.length() > 0,
                            rx.foreach(
                                S.doc.problems,
                                lambda p: rx.el.li(
                                    rx.text(
                                        p.message,
                                        size="2",
                                        on_click=S.canvas.select_node(p.node_id),
                                        cursor="pointer",
                                        text_decoration="underline dotted",
                                        role="button",
                                        data_testid="publish-problem",
                                    )
                                ),
                            ),
                            rx.foreach(S.doc.publish_errors, lambda line: rx.el.li(rx.text(line, size="2"))),
                        ),
                        style={"paddingLeft": "1.2rem", "margin": 0, "overflowWrap": "anywhere"},
                    ),
                    spacing="1",
                    width="100%",
                ),
                color_scheme="red",
                width="100%",
                data_testid="publish-errors",
            ),
            rx.fragment(),
        ),
        spacing="2",
        width="100%",
        padding_bottom="0.75rem",
    )


# ---------------------------------------------------------------------------- node panel (troubleshooting)


def _target_select(S, value, on_change, testid: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder="Leads to…", width="100%", data_testid=testid),
        rx.select.content(
            rx.select.item("— nowhere yet —", value=NONE),
            rx.foreach(S.panel.node_choices, lambda c: rx.select.item(c.label, value=c.id)),
        ),
        value=value,
        on_change=on_change,
        size="1",
    )


def _option_row(S, opt: dict) -> rx.Component:
    return rx.hstack(
        rx.input(
            value=opt.label,
            placeholder="Answer",
            on_change=lambda v: S.panel.set_option_label(opt.index, v),
            debounce_timeout=DEBOUNCE_MS,
            size="1",
            width="40%",
            data_testid="option-label",
        ),
        rx.box(
            _target_select(S, opt.next, lambda v: S.panel.set_option_target(opt.index, v), "option-target"), width="55%"
        ),
        rx.icon_button(
            rx.icon("x", size=14),
            size="1",
            variant="ghost",
            color_scheme="red",
            on_click=S.panel.remove_option(opt.index),
            aria_label="Remove answer",
        ),
        width="100%",
        spacing="1",
        align="center",
    )


def _node_form(S) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.select.root(
                rx.select.trigger(data_testid="node-kind"),
                rx.select.content(*[rx.select.item(label, value=value) for value, label in KIND_CHOICES]),
                value=S.panel.sel.type,
                on_change=S.panel.set_node_kind,
                size="1",
            ),
            rx.cond(
                S.panel.sel.is_start,
                rx.badge("Start", color_scheme="indigo"),
                rx.button("Make start", size="1", variant="ghost", on_click=S.panel.make_start),
            ),
            rx.spacer(),
            rx.icon_button(
                rx.icon("trash-2", size=14),
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=S.panel.delete_selected,
                aria_label="Delete node",
                data_testid="delete-node",
            ),
            width="100%",
            align="center",
            spacing="2",
        ),
        problems_callout(S),
        text_field(
            S,
            "Title",
            "title",
            placeholder=rx.match(
                S.panel.sel.type, ("decision", "The question to ask"), ("solution", "The fix"), "What to do"
            ),
        ),
        text_field(S, "Description", "description", area=True, placeholder="Details the engineer sees"),
        text_field(
            S, "Help text", "help_text", area=True, rows="2", placeholder="Hints: where to look, what good looks like"
        ),
        rx.cond(
            S.panel.sel.type == "decision",
            rx.vstack(
                rx.hstack(
                    rx.text("Answers", size="1", weight="medium", color_scheme="gray"),
                    rx.spacer(),
                    rx.button(
                        rx.icon("plus", size=14),
                        "Add answer",
                        size="1",
                        variant="soft",
                        on_click=S.panel.add_option,
                        data_testid="add-option",
                    ),
                    width="100%",
                    align="center",
                ),
                rx.foreach(S.panel.sel_options, lambda o: _option_row(S, o)),
                rx.text(
                    "Tip: drag from an answer's dot on the canvas to a node to link it; drag from “+” to add an "
                    "answer.",
                    size="1",
                    color_scheme="gray",
                ),
                spacing="2",
                width="100%",
            ),
            rx.fragment(),
        ),
        rx.cond(
            S.panel.sel.type == "action",
            rx.vstack(
                rx.text("Then continue with", size="1", weight="medium", color_scheme="gray"),
                _target_select(
                    S, rx.cond(S.panel.sel.next != "", S.panel.sel.next, NONE), S.panel.set_next, "action-next"
                ),
                automation_link_select(S),
                spacing="1",
                width="100%",
            ),
            rx.fragment(),
        ),
        commands_editor(S),
        spacing="3",
        width="100%",
    )


def _node_view(S) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            kind_badge(S.panel.sel.type),
            rx.cond(S.panel.sel.is_start, rx.badge("Start", color_scheme="indigo"), rx.fragment()),
            spacing="2",
        ),
        rx.heading(rx.cond(S.panel.sel.title != "", S.panel.sel.title, "Untitled"), size="4"),
        read_text("Description", S.panel.sel.description),
        read_text("Help text", S.panel.sel.help_text),
        rx.cond(
            S.panel.sel_options.length() > 0,
            rx.vstack(
                rx.text("Answers", size="1", weight="medium", color_scheme="gray"),
                rx.foreach(S.panel.sel_options, lambda o: rx.text("• ", o.label, size="2")),
                spacing="1",
            ),
            rx.fragment(),
        ),
        commands_view(S),
        spacing="3",
        width="100%",
    )


def _flow_details(S) -> rx.Component:
    """Side panel when no node is selected: description, visibility, problems."""
    problem_row = lambda p: rx.hstack(  # noqa: E731
        rx.icon("triangle-alert", size=14, color=rx.color("red", 9), flex_shrink="0"),
        rx.text(rx.text.strong(p.title), ": ", p.message, size="1"),
        on_click=S.canvas.select_node(p.node_id),
        cursor="pointer",
        align="start",
        spacing="2",
        width="100%",
    )
    return rx.vstack(
        rx.heading("Flow details", size="3"),
        rx.cond(
            S.doc.editable,
            rx.vstack(
                rx.text("Description", size="1", weight="medium", color_scheme="gray"),
                rx.text_area(
                    value=S.doc.meta.description,
                    on_change=S.doc.set_description,
                    debounce_timeout=DEBOUNCE_MS,
                    rows="3",
                    width="100%",
                    placeholder="When to use this flow",
                    data_testid="flow-description",
                ),
                rx.hstack(
                    rx.switch(checked=S.doc.is_public, on_change=S.publish.set_public, data_testid="flow-public"),
                    rx.text("Public: every account can use it once published", size="2"),
                    align="center",
                    spacing="2",
                ),
                spacing="2",
                width="100%",
            ),
            rx.vstack(
                read_text("Description", S.doc.meta.description),
                rx.text("By ", S.doc.meta.author_name, size="1", color_scheme="gray"),
                width="100%",
            ),
        ),
        rx.separator(),
        rx.cond(
            S.doc.problems.length() > 0,
            rx.vstack(
                rx.text(
                    S.doc.problems.length().to_string() + " problem(s) to fix before publishing",
                    size="2",
                    weight="medium",
                    color_scheme="red",
                ),
                rx.foreach(S.doc.problems, problem_row),
                spacing="2",
                width="100%",
                data_testid="flow-problems",
            ),
            rx.hstack(
                rx.icon("circle-check", size=16, color=rx.color("green", 9)),
                rx.text("No problems: ready to publish.", size="2"),
                align="center",
                spacing="2",
            ),
        ),
        rx.cond(
            S.doc.is_troubleshooting & S.doc.editable,
            rx.text(
                "Click a node to edit it. Add nodes with the buttons on the canvas, drag to move, drag from a dot to "
                "a node to connect, Delete removes the selection.",
                size="1",
                color_scheme="gray",
            ),
            rx.fragment(),
        ),
        spacing="3",
        width="100%",
    )


def node_panel(S) -> rx.Component:
    """The troubleshooting side panel: the selected node's form, or the flow's details."""
    return rx.box(
        rx.cond(S.panel.sel.id, rx.cond(S.doc.editable, _node_form(S), _node_view(S)), _flow_details(S)),
        width="380px",
        min_width="340px",
        height="100%",
        overflow_y="auto",
        padding="1rem",
        border_left=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 1),
        data_testid="node-panel",
    )


def tree_editor(S) -> rx.Component:
    """Canvas and side panel side by side."""
    return rx.hstack(
        rx.box(
            flow_canvas(
                structure=S.doc.canvas,
                problems=S.doc.problems,
                selected_id=S.doc.selected_id,
                read_only=~S.doc.editable,
                canvas_id="flow-canvas",
                file_base=S.doc.file_base,
                on_select_node=S.canvas.select_node,
                on_move_nodes=S.canvas.move_nodes,
                on_connect_nodes=S.canvas.connect_nodes,
                on_delete_nodes=S.canvas.delete_nodes,
                on_delete_edges=S.canvas.delete_edges,
                on_add_node=S.canvas.add_node,
            ),
            flex="1",
            height="100%",
            min_width="0",
        ),
        node_panel(S),
        spacing="0",
        width="100%",
        height="calc(100vh - 230px)",
        min_height="480px",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="var(--radius-3)",
        overflow="hidden",
    )


# ---------------------------------------------------------------------------- dialogs


def _fork_dialog(S) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("git-fork", size=16), "Fork", variant="soft", data_testid="fork")),
        rx.dialog.content(
            rx.dialog.title("Fork this flow"),
            rx.dialog.description(
                "Makes a private draft copy in your account that you can change freely. The original stays as it is.",
                size="2",
            ),
            rx.form(
                rx.vstack(
                    error_callout(S.publish.fork_error),
                    rx.text("Why are you forking? (optional)", size="2", weight="medium"),
                    rx.text_area(
                        name="fork_reason",
                        max_length=255,
                        rows="2",
                        width="100%",
                        placeholder="e.g. Added Cisco Meraki steps for our network",
                        data_testid="fork-reason",
                    ),
                    rx.text("At most 255 characters.", size="1", color_scheme="gray"),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Fork", type="submit", data_testid="fork-submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="2",
                ),
                on_submit=S.publish.fork,
                reset_on_submit=False,
            ),
        ),
        open=S.publish.fork_open,
        on_open_change=S.publish.set_fork_open,
    )


def _delete_dialog(S) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete this flow?"),
            rx.alert_dialog.description(
                "“"
                + S.doc.meta.name
                + (
                    "” and all its versions are deleted for good. Its library steps are hidden; forks keep working on "
                    "their own."
                ),
                size="2",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Delete flow", color_scheme="red", on_click=S.publish.delete_flow, data_testid="confirm-delete"
                    )
                ),
                justify="end",
                spacing="2",
                padding_top="1rem",
            ),
        ),
        open=S.publish.delete_open,
        on_open_change=S.publish.set_delete_open,
    )


def _restore_dialog(S) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Restore version " + S.history.restore_target.to_string() + "?"),
            rx.alert_dialog.description(
                "Its structure becomes the current one, saved as a new version. Nothing is lost: the current "
                "structure stays in the history.",
                size="2",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button("Cancel", variant="soft", color_scheme="gray", on_click=S.history.ask_restore(0))
                ),
                rx.alert_dialog.action(rx.button("Restore", on_click=S.history.restore, data_testid="confirm-restore")),
                justify="end",
                spacing="2",
                padding_top="1rem",
            ),
        ),
        open=S.history.restore_target > 0,
    )


def _version_row(S, v: dict) -> rx.Component:
    current = v.version == S.doc.version
    return rx.hstack(
        rx.badge("v" + v.version.to_string(), variant=rx.cond(current, "solid", "soft")),
        rx.vstack(
            rx.cond(
                v.label != "",
                rx.text(v.label, size="2", weight="bold", overflow_wrap="anywhere", data_testid="version-label"),
                rx.fragment(),
            ),
            rx.hstack(
                rx.text(v.kind, size="1", weight="medium", data_testid="version-kind"),
                rx.cond(
                    v.summary != "",
                    rx.text("· " + v.summary, size="1", color_scheme="gray", data_testid="version-summary"),
                    rx.fragment(),
                ),
                spacing="1",
                wrap="wrap",
            ),
            rx.text(rx.moment(v.created_at, from_now=True), " by ", v.by, size="1", color_scheme="gray"),
            spacing="0",
            min_width="0",
            flex="1",
        ),
        rx.button(
            "View", size="1", variant="soft", on_click=S.history.view_version(v.version), data_testid="view-version"
        ),
        rx.cond(
            ~current,
            rx.button(
                "Compare",
                size="1",
                variant="soft",
                color_scheme="gray",
                on_click=S.history.compare_version(v.version),
                data_testid="compare-version",
            ),
            rx.fragment(),
        ),
        rx.cond(
            S.doc.editable & ~current,
            rx.button(
                "Restore",
                size="1",
                variant="outline",
                on_click=S.history.ask_restore(v.version),
                data_testid="restore-version",
            ),
            rx.cond(current, rx.text("current", size="1", color_scheme="gray"), rx.fragment()),
        ),
        width="100%",
        align="center",
        spacing="2",
        padding_y="0.4rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        data_testid="version-row",
    )


def _history_drawer(S) -> rx.Component:
    return rx.drawer.root(
        rx.drawer.overlay(z_index="40"),
        rx.drawer.portal(
            rx.drawer.content(
                rx.vstack(
                    rx.hstack(
                        # The drawer title is already an <h2>: its text goes in directly (a heading inside it nests <h1>
                        # in <h2>).
                        rx.drawer.title(
                            "Version history", margin="0", letter_spacing="normal", data_testid="history-title"
                        ),
                        rx.spacer(),
                        rx.drawer.close(rx.icon_button(rx.icon("x", size=16), variant="ghost", aria_label="Close")),
                        width="100%",
                        align="center",
                    ),
                    rx.text(
                        S.history.versions_total.to_string()
                        + (
                            " versions. Edits are autosaved into a working draft; publishing, restoring or saving a "
                            "version keeps one."
                        ),
                        size="1",
                        color_scheme="gray",
                    ),
                    rx.cond(
                        S.doc.editable,
                        rx.form(
                            rx.hstack(
                                rx.input(
                                    name="label",
                                    placeholder="Name this version (optional)",
                                    max_length=200,
                                    size="1",
                                    flex="1",
                                    min_width="0",
                                    aria_label="Version name",
                                    data_testid="version-name",
                                ),
                                rx.button(
                                    rx.icon("bookmark-plus", size=14),
                                    "Save version",
                                    size="1",
                                    type="submit",
                                    data_testid="save-version",
                                ),
                                width="100%",
                                spacing="2",
                                align="center",
                            ),
                            on_submit=S.history.save_version,
                            reset_on_submit=True,
                            width="100%",
                        ),
                        rx.fragment(),
                    ),
                    rx.foreach(S.history.versions, lambda v: _version_row(S, v)),
                    spacing="2",
                    width="100%",
                    padding="1.25rem",
                    overflow_y="auto",
                    height="100%",
                ),
                top="0",
                right="0",
                height="100%",
                width="400px",
                max_width="95vw",
                left="auto",
                background=rx.color("gray", 1),
                z_index="50",
                position="fixed",
                box_shadow="var(--shadow-5)",
                data_testid="history-drawer",
            ),
        ),
        direction="right",
        open=S.history.history_open,
        on_open_change=S.history.set_history_open,
    )


def _version_viewer(S) -> rx.Component:
    structure = S.history.version_view.structure
    return rx.dialog.root(
        rx.dialog.content(
            rx.hstack(
                rx.dialog.title(
                    "Version " + S.history.version_view.version.to_string() + ": " + S.history.version_view.name
                ),
                rx.spacer(),
                rx.badge(rx.icon("lock", size=12), "read-only", variant="soft", color_scheme="gray"),
                width="100%",
                align="center",
            ),
            rx.text(
                "Saved ", rx.moment(S.history.version_view.created_at, from_now=True), size="1", color_scheme="gray"
            ),
            rx.box(
                rx.cond(
                    S.doc.is_troubleshooting,
                    flow_canvas(
                        structure=structure,
                        problems=[],
                        selected_id="",
                        read_only=True,
                        canvas_id="version-canvas",
                        file_base="version",
                    ),
                    rx.vstack(
                        rx.foreach(
                            S.history.version_view_steps,
                            lambda s: rx.hstack(
                                kind_badge(s.type), rx.text(s.title, size="2"), spacing="2", align="center"
                            ),
                        ),
                        spacing="1",
                        padding="1rem",
                        overflow_y="auto",
                        height="100%",
                    ),
                ),
                height="60vh",
                width="100%",
                margin_y="0.75rem",
                border=f"1px solid {rx.color('gray', 5)}",
                border_radius="var(--radius-3)",
                overflow="hidden",
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                rx.cond(
                    S.doc.editable,
                    rx.button(
                        rx.icon("rotate-ccw", size=14),
                        "Restore this version",
                        on_click=S.history.ask_restore(S.history.version_view.version),
                        data_testid="viewer-restore",
                    ),
                    rx.fragment(),
                ),
                justify="end",
                spacing="2",
                width="100%",
            ),
            max_width="min(1100px, 95vw)",
            data_testid="version-viewer",
        ),
        open=S.history.version_view_open,
        on_open_change=S.history.set_version_view_open,
    )


def _diff_row(row: dict) -> rx.Component:
    color = rx.match(row.status, ("added", "green"), ("removed", "red"), ("changed", "amber"), "gray")
    return rx.hstack(
        rx.badge(row.status, color_scheme=color, variant="solid", min_width="72px", justify_content="center"),
        rx.text(
            row.title,
            size="2",
            weight="medium",
            overflow_wrap="anywhere",
            min_width="0",
            flex="1",
            text_decoration=rx.cond(row.status == "removed", "line-through", "none"),
        ),
        rx.cond(row.fields != "", rx.text(row.fields, size="1", color_scheme="gray"), rx.fragment()),
        width="100%",
        align="center",
        spacing="2",
        padding="6px 8px",
        border_left="4px solid",
        border_left_color=rx.color(color, 9),
        background=rx.color(color, 2),
        border_radius="var(--radius-2)",
        data_testid="diff-row",
    )


def _diff_dialog(S) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Version " + S.history.diff_version + " → now"),
            rx.dialog.description(
                "What changed since that version, step by step. Moves on the canvas alone are listed as “moved”.",
                size="2",
            ),
            rx.vstack(
                rx.cond(
                    S.history.diff_rows.length() > 0,
                    rx.foreach(S.history.diff_rows, _diff_row),
                    rx.text("No differences.", size="2", color_scheme="gray"),
                ),
                spacing="1",
                width="100%",
                max_height="60vh",
                overflow_y="auto",
                padding_y="0.75rem",
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")), justify="end", width="100%"
            ),
            max_width="640px",
            data_testid="diff-dialog",
        ),
        open=S.history.diff_open,
        on_open_change=S.history.set_diff_open,
    )


def _forks_dialog(S) -> rx.Component:
    row = lambda f: rx.hstack(  # noqa: E731
        rx.link(f.name, href=routes.FLOWS + "/" + f.id, weight="medium"),
        kind_badge(f.status),
        rx.text("by ", f.author_name, size="1", color_scheme="gray"),
        rx.spacer(),
        rx.cond(
            f.reason != "",
            rx.text(f.reason, size="1", color_scheme="gray", max_width="240px", trim="both"),
            rx.fragment(),
        ),
        width="100%",
        align="center",
        spacing="2",
        padding_y="0.35rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        data_testid="fork-row",
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Forks of this flow"),
            rx.cond(
                S.publish.forks.length() > 0,
                rx.vstack(rx.foreach(S.publish.forks, row), spacing="0", width="100%"),
                rx.text("Nobody you can see has forked this flow yet.", size="2", color_scheme="gray"),
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                justify="end",
                padding_top="1rem",
            ),
            max_width="640px",
        ),
        open=S.publish.forks_open,
        on_open_change=S.publish.set_forks_open,
    )


def editor_body(S) -> rx.Component:
    """The whole editor page content."""
    return rx.cond(
        ~S.doc.loaded,
        rx.center(rx.spinner(size="3"), height="50vh"),
        rx.cond(
            S.doc.load_error != "",
            empty_state(
                "file-question",
                "Flow not found",
                S.doc.load_error,
                rx.link(rx.button("Back to flows"), href=routes.FLOWS),
            ),
            rx.vstack(
                header(S),
                rx.cond(S.doc.is_troubleshooting, tree_editor(S), procedure_editor(S)),
                _delete_dialog(S),
                _restore_dialog(S),
                _history_drawer(S),
                _version_viewer(S),
                _diff_dialog(S),
                _forks_dialog(S),
                spacing="0",
                width="100%",
            ),
        ),
    )
