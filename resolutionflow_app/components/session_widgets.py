"""Pieces of the live session runner: kind-coloured node card, path breadcrumb, custom-step cards, answer-key script."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app.components.badges import kind_badge

KIND_ACCENT = {
    "decision": "blue",
    "action": "orange",
    "solution": "green",
    "section_header": "gray",
    "procedure_step": "orange",
    "procedure_end": "green",
}

# Keys 1–9 click the matching answer button unless the user is typing in a field.
ANSWER_KEYS_JS = """
if (!window.__rfAnswerKeys) {
  window.__rfAnswerKeys = true;
  document.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target; var tag = (t && t.tagName || '').toLowerCase();
    if (tag === 'input' || tag === 'textarea' || tag === 'select' || (t && t.isContentEditable)) return;
    if (document.querySelector('[role="dialog"]')) return;
    if (!/^[1-9]$/.test(e.key)) return;
    var b = document.querySelector('[data-answer-key="' + e.key + '"]');
    if (b && !b.disabled) { e.preventDefault(); b.click(); }
  });
}
"""


def kind_border(kind: rx.Var) -> rx.Var:
    """A 4px left border in the node kind's colour."""
    return rx.match(
        kind, *[(k, f"4px solid {rx.color(v, 9)}") for k, v in KIND_ACCENT.items()], f"4px solid {rx.color('gray', 9)}"
    )


def node_card(kind: rx.Var, title: rx.Var, *children: rx.Component, testid: str = "current-node") -> rx.Component:
    """A large card with a coloured left border for the node being worked on."""
    return rx.card(
        rx.vstack(
            rx.hstack(kind_badge(kind), align="center"),
            rx.heading(title, size="6", data_testid=f"{testid}-title"),
            *children,
            spacing="3",
            width="100%",
            align="start",
        ),
        width="100%",
        size="3",
        border_left=kind_border(kind),
        data_testid=testid,
    )


def source_label(step: rx.Var) -> rx.Component:
    """Where an inserted step (a `state.rows.CustomStep`) came from, including deleted library steps."""
    return rx.cond(
        step.source == "step-library",
        rx.cond(
            step.source_available,
            rx.badge(rx.icon("library", size=12), "From step library", color_scheme="violet", variant="soft"),
            rx.badge(
                rx.icon("library", size=12),
                "From step library (no longer available)",
                color_scheme="gray",
                variant="soft",
                data_testid="source-unavailable",
            ),
        ),
        rx.match(
            step.source,
            (
                "forked-tree",
                rx.badge(rx.icon("git-fork", size=12), "From a forked flow", color_scheme="gray", variant="soft"),
            ),
            (
                "automation",
                rx.badge(
                    rx.icon("bot", size=12),
                    "Automation result",
                    color_scheme="indigo",
                    variant="soft",
                    data_testid="source-automation",
                ),
            ),
            rx.badge(rx.icon("pencil-line", size=12), "Ad-hoc", color_scheme="amber", variant="soft"),
        ),
    )


def custom_step_card(step: rx.Var) -> rx.Component:
    """One step the engineer inserted mid-session."""
    return rx.box(
        rx.vstack(
            rx.hstack(
                kind_badge(step.type),
                source_label(step),
                rx.spacer(),
                rx.text("after " + step.after_title, size="1", color_scheme="gray"),
                width="100%",
                align="center",
                spacing="2",
            ),
            rx.text(step.title, weight="medium", size="2"),
            rx.cond(
                step.body != "",
                rx.text(
                    step.body,
                    size="2",
                    color_scheme="gray",
                    white_space="pre-wrap",
                    overflow_wrap="anywhere",
                    data_testid="custom-step-body",
                ),
                rx.cond(
                    (step.source == "automation") & ((step.run_status == "queued") | (step.run_status == "running")),
                    rx.hstack(
                        rx.spinner(size="1"),
                        rx.text("Running… the result appears here when it finishes.", size="1", color_scheme="gray"),
                        spacing="2",
                        align="center",
                    ),
                    rx.fragment(),
                ),
            ),
            rx.cond(
                step.notes != "",
                rx.text(rx.icon("notebook-pen", size=12), " " + step.notes, size="1", color_scheme="gray"),
                rx.fragment(),
            ),
            spacing="1",
            width="100%",
            align="start",
        ),
        padding="0.6rem 0.75rem",
        border=f"1px dashed {rx.color('gray', 7)}",
        border_radius="var(--radius-3)",
        width="100%",
        data_testid="custom-step",
    )
