"""Live progress of one automation run: progress bar, per-step cards, outputs, cancel/resume."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app.components.badges import kind_badge
from resolutionflow_app.state.automation_run_progress import RunProgressState as S

FOCUS_RING = {"outline": f"2px solid {rx.color('accent', 8)}", "outline_offset": "2px"}
# Long unbroken output (URLs, base64, hostile text) wraps instead of widening the page.
WRAP = {"white_space": "pre-wrap", "overflow_wrap": "anywhere", "word_break": "break-word"}


def text_block(text: rx.Var, testid: str) -> rx.Component:
    """Plain text output, wrapped and scrollable when long."""
    return rx.box(
        rx.text(text, size="2", **WRAP),
        max_height="24rem",
        overflow_y="auto",
        width="100%",
        padding="0.5rem 0.75rem",
        border_radius="var(--radius-2)",
        background=rx.color("gray", 2),
        border=f"1px solid {rx.color('gray', 4)}",
        tab_index=0,
        aria_label="Output text",
        _focus_visible=FOCUS_RING,
        data_testid=testid,
    )


def json_block(pretty: rx.Var, label: str, testid: str) -> rx.Component:
    """JSON output, pretty-printed inside a native <details> (keyboard-collapsible)."""
    return rx.el.details(
        rx.el.summary(
            rx.text(label, as_="span", size="2", weight="medium"),
            cursor="pointer",
            padding_y="0.25rem",
            _focus_visible=FOCUS_RING,
        ),
        rx.el.pre(
            pretty,
            font_family="var(--code-font-family, monospace)",
            font_size="12px",
            margin="0",
            padding="0.5rem 0.75rem",
            max_height="24rem",
            overflow="auto",
            background=rx.color("gray", 2),
            border_radius="var(--radius-2)",
            **WRAP,
        ),
        open=True,
        width="100%",
        data_testid=testid,
    )


def output_view(text: rx.Var, pretty_json: rx.Var, testid: str) -> rx.Component:
    """JSON (pretty, collapsible) when the output parsed as JSON, else text."""
    return rx.cond(
        pretty_json != "",
        json_block(pretty_json, "JSON output", testid + "-json"),
        rx.cond(text != "", text_block(text, testid), rx.fragment()),
    )


def file_buttons(files: rx.Var, label: str = "Download") -> rx.Component:
    """One download button per file (generated PDF/DOCX or uploaded input)."""
    return rx.hstack(
        rx.foreach(
            files,
            lambda f: rx.button(
                rx.icon("download", size=14),
                rx.text(label + " " + f.name, as_="span", overflow_wrap="anywhere"),
                size="1",
                variant="soft",
                max_width="100%",
                height="auto",
                min_height="var(--space-5)",
                on_click=S.download_file(f.id),
                aria_label=label + " " + f.name,
                data_testid="download-file",
            ),
        ),
        spacing="2",
        wrap="wrap",
        width="100%",
    )


def _status_icon(status: rx.Var) -> rx.Component:
    return rx.match(
        status,
        ("running", rx.spinner(size="2", aria_label="running")),
        ("completed", rx.icon("circle-check", size=18, color=rx.color("green", 10), aria_label="completed")),
        ("failed", rx.icon("circle-x", size=18, color=rx.color("red", 10), aria_label="failed")),
        ("cancelled", rx.icon("circle-slash", size=18, color=rx.color("gray", 10), aria_label="cancelled")),
        rx.icon("clock", size=18, color=rx.color("gray", 9), aria_label="pending"),
    )


def step_card(step: rx.Var, show_input: bool = False) -> rx.Component:
    """One step: status, name, timing and tokens, error, input (collapsed) and output."""
    failed = step.status == "failed"
    return rx.card(
        rx.vstack(
            rx.hstack(
                _status_icon(step.status),
                rx.text(
                    "Step " + step.order.to_string() + " · ", as_="span", size="2", color_scheme="gray", flex_shrink="0"
                ),
                rx.text(step.name, as_="span", size="2", weight="bold", overflow_wrap="anywhere", min_width="0"),
                rx.spacer(),
                kind_badge(step.status),
                width="100%",
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            rx.cond(
                (step.timing != "") | (step.tokens != ""),
                rx.text(
                    rx.cond(
                        step.status == "running",
                        # Elapsed time ticks in the browser; the server only sends status changes.
                        rx.fragment(
                            "running for ",
                            rx.moment(step.started_at, duration_from_now=True, interval=1000, format="s [s]"),
                        ),
                        step.timing,
                    ),
                    rx.cond((step.timing != "") & (step.tokens != ""), " · ", ""),
                    step.tokens,
                    size="1",
                    color_scheme="gray",
                    data_testid="step-timing",
                ),
                rx.fragment(),
            ),
            rx.cond(
                failed,
                rx.callout(
                    step.error,
                    icon="triangle-alert",
                    color_scheme="red",
                    size="1",
                    width="100%",
                    overflow_wrap="anywhere",
                    data_testid="step-error",
                ),
                rx.fragment(),
            ),
            rx.cond(
                step.input_text != "",
                rx.el.details(
                    rx.el.summary(
                        rx.text("Step input", as_="span", size="2", weight="medium"),
                        cursor="pointer",
                        _focus_visible=FOCUS_RING,
                    ),
                    text_block(step.input_text, "step-input"),
                    width="100%",
                ),
                rx.fragment(),
            )
            if show_input
            else rx.fragment(),
            rx.cond(
                (step.output_text != "") & (step.input_text != ""),
                rx.text("Output", size="1", color_scheme="gray"),
                rx.fragment(),
            )
            if show_input
            else rx.fragment(),
            output_view(step.output_text, step.output_json, "step-output"),
            rx.cond(
                step.truncated,
                rx.text("Long text is cut here; the API returns it in full.", size="1", color_scheme="gray"),
                rx.fragment(),
            ),
            rx.cond(step.files.length() > 0, file_buttons(step.files), rx.fragment()),
            spacing="2",
            width="100%",
        ),
        width="100%",
        border=rx.cond(failed, f"2px solid {rx.color('red', 9)}", f"1px solid {rx.color('gray', 5)}"),
        background=rx.cond(failed, rx.color("red", 2), "transparent"),
        data_testid="step-card",
        data_status=step.status,
    )


def _confirm_cancel() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                rx.icon("square", size=14),
                "Cancel run",
                color_scheme="red",
                variant="soft",
                size="2",
                disabled=S.cancel_requested,
                data_testid="cancel-run",
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Cancel this run?"),
            rx.alert_dialog.description(
                "A queued run stops at once; a running one stops after its current call. Finished steps are kept and "
                "the run can be resumed."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep running", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button("Cancel run", color_scheme="red", on_click=S.cancel_run, data_testid="confirm-cancel")
                ),
                justify="end",
                spacing="2",
                padding_top="1rem",
            ),
        ),
    )


def run_header(extra: rx.Component | None = None) -> rx.Component:
    """Status, progress bar and the cancel/resume actions of the watched run."""
    return rx.vstack(
        rx.hstack(
            rx.heading("Run", size="4"),
            kind_badge(S.run_status),
            rx.text(
                S.completed_steps.to_string() + " of " + S.total_steps.to_string() + " steps completed",
                size="2",
                color_scheme="gray",
                data_testid="run-progress-label",
            ),
            rx.spacer(),
            rx.cond(S.run_active, _confirm_cancel(), rx.fragment()),
            rx.cond(
                S.can_resume,
                rx.button(
                    rx.icon("rotate-cw", size=14),
                    "Resume run",
                    size="2",
                    on_click=S.resume_run,
                    data_testid="resume-run",
                ),
                rx.fragment(),
            ),
            extra if extra is not None else rx.fragment(),
            width="100%",
            align="center",
            spacing="2",
            wrap="wrap",
            data_testid="run-status",
            data_status=S.run_status,
        ),
        rx.progress(
            value=S.progress_percent,
            max=100,
            width="100%",
            color_scheme=rx.match(
                S.run_status, ("failed", "red"), ("cancelled", "gray"), ("completed", "green"), "blue"
            ),
            aria_label="Run progress",
            data_testid="run-progress",
        ),
        rx.cond(
            S.cancel_requested & S.run_active,
            rx.text("Cancelling after the current step…", size="1", color_scheme="gray"),
            rx.fragment(),
        ),
        rx.cond(
            S.run_error != "",
            rx.callout(
                S.run_error,
                icon="triangle-alert",
                color_scheme="red",
                size="1",
                width="100%",
                overflow_wrap="anywhere",
                data_testid="run-error",
            ),
            rx.fragment(),
        ),
        rx.cond(
            S.watch_problem != "",
            rx.callout(S.watch_problem, icon="wifi-off", color_scheme="amber", size="1", width="100%", role="alert"),
            rx.fragment(),
        ),
        spacing="2",
        width="100%",
    )


def run_steps(show_input: bool = False) -> rx.Component:
    """Every step of the watched run, pending ones included."""
    return rx.vstack(
        rx.foreach(S.run_steps, lambda s: step_card(s, show_input)),
        spacing="2",
        width="100%",
        aria_live="polite",
        data_testid="run-steps",
    )


def run_result() -> rx.Component:
    """The run's final output (and its documents) once it completed."""
    return rx.cond(
        (S.run_status == "completed") & ((S.run_output_text != "") | (S.run_files.length() > 0)),
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.icon("flag", size=16, color=rx.color("amber", 10)),
                    rx.heading("Result", size="3"),
                    align="center",
                    spacing="2",
                ),
                rx.cond(S.run_files.length() > 0, file_buttons(S.run_files), rx.fragment()),
                output_view(S.run_output_text, S.run_output_json, "run-output"),
                spacing="2",
                width="100%",
            ),
            width="100%",
            data_testid="run-result",
        ),
        rx.fragment(),
    )
