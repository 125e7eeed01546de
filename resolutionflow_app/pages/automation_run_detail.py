"""Run detail page (/automation-runs/[run_id]): inputs, each step's input and output, tokens and times; live while
unfinished."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.automation_run_progress import (
    file_buttons,
    run_header,
    run_result,
    run_steps,
    text_block,
)
from resolutionflow_app.components.layout import app_layout
from resolutionflow_app.state.auth import AuthState
from resolutionflow_app.state.automation_run_progress import RunProgressState


class RunDetailState(RunProgressState):
    """Loads the run named in the URL into the shared run view."""

    @rx.event
    def load(self):
        """on_load: the run in the URL (kept fresh while it runs)."""
        self._clear_run()
        return RunProgressState.show_run(self._route_part())


S = RunProgressState


def _inputs() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Inputs", size="3"),
            rx.cond(
                S.run_input_fields.length() > 0,
                rx.el.dl(
                    rx.foreach(
                        S.run_input_fields,
                        lambda f: rx.box(
                            rx.el.dt(rx.text(f.label, size="1", color_scheme="gray", overflow_wrap="anywhere")),
                            rx.el.dd(
                                rx.text(
                                    rx.cond(f.value != "", f.value, "—"),
                                    size="2",
                                    white_space="pre-wrap",
                                    overflow_wrap="anywhere",
                                ),
                                margin="0",
                            ),
                            padding_y="0.25rem",
                        ),
                    ),
                    width="100%",
                    margin="0",
                    data_testid="run-inputs",
                ),
                rx.text("No form fields.", size="2", color_scheme="gray"),
            ),
            rx.cond(
                S.run_input_text != "",
                rx.vstack(
                    rx.text("Free text", size="1", color_scheme="gray"),
                    text_block(S.run_input_text, "run-input-text"),
                    spacing="1",
                    width="100%",
                ),
                rx.fragment(),
            ),
            rx.cond(S.run_input_files.length() > 0, file_buttons(S.run_input_files, "Download input"), rx.fragment()),
            spacing="2",
            width="100%",
        ),
        width="100%",
        data_testid="run-inputs-card",
    )


def _body() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.link(
                rx.hstack(rx.icon("arrow-left", size=14), rx.text("Run page", size="2"), spacing="1", align="center"),
                href=routes.AUTOMATIONS + "/" + S.run_automation_id + "/run",
                underline="none",
                data_testid="back-to-run-page",
            ),
            rx.text("·", color_scheme="gray"),
            rx.link(
                rx.text("Builder", size="2"), href=routes.AUTOMATIONS + "/" + S.run_automation_id, underline="none"
            ),
            rx.text("·", color_scheme="gray"),
            rx.link(rx.text("Automations", size="2"), href=routes.AUTOMATIONS, underline="none"),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.vstack(
            rx.heading(S.run_automation_name, size="6", overflow_wrap="anywhere"),
            rx.text(
                rx.cond(S.run_version > 0, "Published version " + S.run_version.to_string(), "Draft run"),
                size="2",
                color_scheme="gray",
            ),
            spacing="1",
            width="100%",
        ),
        rx.hstack(
            rx.text("Started ", size="2", color_scheme="gray"),
            rx.moment(S.run_created_at, format="YYYY-MM-DD HH:mm:ss", font_size="14px"),
            rx.cond(
                S.run_finished_at != "",
                rx.fragment(
                    rx.text(" · finished ", size="2", color_scheme="gray"),
                    rx.moment(S.run_finished_at, format="YYYY-MM-DD HH:mm:ss", font_size="14px"),
                ),
                rx.fragment(),
            ),
            spacing="1",
            align="center",
            wrap="wrap",
        ),
        rx.hstack(
            run_header(),
            rx.link(
                rx.button(rx.icon("workflow", size=14), "See on the diagram", variant="soft", size="2"),
                href=routes.AUTOMATIONS + "/" + S.run_automation_id + "/overview?run=" + S.watched_run_id,
                data_testid="run-on-diagram",
            ),
            width="100%",
            align="center",
            wrap="wrap",
            spacing="3",
        ),
        rx.grid(
            rx.vstack(_inputs(), width="100%", min_width="0"),
            rx.vstack(run_steps(show_input=True), run_result(), width="100%", min_width="0", spacing="3"),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


@rx.page(
    route="/automation-runs/[run_id]",
    title="Automation run · ResolutionFlow",
    on_load=[AuthState.check_login, RunDetailState.load],
)
def automation_run_detail_page() -> rx.Component:
    """One run: inputs, steps, outputs."""
    return app_layout(
        rx.cond(
            S.run_not_found != "",
            rx.callout(S.run_not_found, icon="circle-x", color_scheme="red", width="100%", data_testid="not-found"),
            rx.cond(S.watched_run_id != "", _body(), rx.center(rx.spinner(size="3"), padding="3rem")),
        ),
    )
