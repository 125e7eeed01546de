"""Automations page (minimal): list automations, start a run from a JSON form, watch run status and step results."""

from __future__ import annotations

import asyncio
import json
import uuid

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.badges import kind_badge
from resolutionflow_app.components.forms import error_callout, field
from resolutionflow_app.components.layout import app_layout, empty_state, page_header
from resolutionflow_app.components.tables import data_table
from resolutionflow_app.db.engine import session_scope
from resolutionflow_app.domain.errors import ServiceError
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.services import automations as automations_service
from resolutionflow_app.services import files as files_service
from resolutionflow_app.state.auth import AuthState

TERMINAL = ("completed", "failed", "cancelled")


def _run_row(run) -> dict[str, str]:
    return {"id": str(run.id), "status": run.status, "created_at": run.created_at.isoformat() if run.created_at else "", "error": run.error_message or ""}


def _step_row(step) -> dict[str, str]:
    out = step.output_payload_json or {}
    return {
        "step_order": str(step.step_order), "status": step.status, "error": step.error_message or "",
        "output": (out.get("text") or "")[:2000], "tokens": f"{step.num_tokens_input or 0} in / {step.num_tokens_output or 0} out",
        "files": ",".join(out.get("generated_file_ids") or []),
    }


class AutomationsState(AuthState):
    """The automation list, the selected automation's run form, and the watched run."""

    automations: list[dict[str, str]] = []
    selected_id: str = ""
    selected_name: str = ""
    form_fields: str = ""
    run_text: str = ""
    run_form_json: str = "{}"
    form_error: str = ""
    runs: list[dict[str, str]] = []
    run_id: str = ""
    run_status: str = ""
    run_error: str = ""
    run_output: str = ""
    steps: list[dict[str, str]] = []
    loading: bool = False
    watching: bool = False

    @rx.event
    def load(self):
        """Load the account's automations (and the selected one's runs)."""
        with session_scope() as session:
            actor = self.actor(session)
            if actor is None:
                return
            items, _ = automations_service.list_automations(session=session, actor=actor, limit=100)
        self.automations = [{"id": str(a.id), "name": a.name, "description": a.description or "", "status": "published" if a.published else "draft", "steps": str(a.steps_count)} for a in items]
        if self.selected_id:
            return AutomationsState.refresh_runs

    @rx.event
    def select(self, automation_id: str):
        """Pick the automation to run."""
        with session_scope() as session:
            actor = self.actor(session)
            auto = automations_service.get_automation(session=session, actor=actor, automation_id=automation_id)
        self.selected_id, self.selected_name = str(auto.id), auto.name
        self.form_fields = ", ".join(f"{f.get('id')} ({f.get('type')}{', required' if f.get('required') else ''})" for f in auto.form_schema)
        self.run_form_json = json.dumps({f.get("id"): "" for f in auto.form_schema if f.get("type") in ("text", "number", "select")}, indent=2) if auto.form_schema else "{}"
        self.form_error, self.run_id, self.steps = "", "", []
        return AutomationsState.refresh_runs

    @rx.event
    def set_run_text(self, value: str):
        """Free-text input of the run."""
        self.run_text = value

    @rx.event
    def set_run_form_json(self, value: str):
        """Form values as JSON."""
        self.run_form_json = value

    @rx.event
    def refresh_runs(self):
        """Recent runs of the selected automation."""
        with session_scope() as session:
            actor = self.actor(session)
            items, _ = runs_service.list_runs(session=session, actor=actor, automation_id=self.selected_id, limit=10)
        self.runs = [_run_row(r) for r in items]

    def _show(self, run) -> None:
        self.run_id, self.run_status, self.run_error = str(run.id), run.status, run.error_message or ""
        self.run_output = ((run.output_payload_json or {}).get("text") or "")[:4000]
        self.steps = [_step_row(s) for s in run.step_results]

    @rx.event
    def start_run(self):
        """Queue a run with the text and JSON form values."""
        try:
            form_data = json.loads(self.run_form_json or "{}")
        except json.JSONDecodeError as exc:
            self.form_error = f"The form values are not valid JSON: {exc.msg}."
            return
        if not isinstance(form_data, dict):
            self.form_error = "The form values must be a JSON object."
            return
        try:
            with session_scope() as session:
                run = runs_service.start_run(session=session, actor=self.actor(session), automation_id=self.selected_id, text=self.run_text, form_data=form_data)
        except ServiceError as exc:
            self.form_error = exc.message
            return
        self.form_error = ""
        self._show(run)
        yield rx.toast.success("Run queued.")
        yield AutomationsState.refresh_runs
        yield AutomationsState.watch

    @rx.event
    def open_run(self, run_id: str):
        """Show one run and keep it fresh while it is unfinished."""
        with session_scope() as session:
            self._show(runs_service.get_run(session=session, actor=self.actor(session), run_id=run_id))
        if self.run_status not in TERMINAL:
            return AutomationsState.watch

    @rx.event
    def download_file(self, file_id: str):
        """Send a generated file (PDF/DOCX) of the watched run to the browser."""
        try:
            with session_scope() as session:
                row = files_service.get_file(session=session, actor=self.actor(session), file_id=uuid.UUID(file_id))
                data, name = row.data, row.name
        except (ServiceError, ValueError):
            return rx.toast.error("That file is no longer available.")
        return rx.download(data=data, filename=name)

    @rx.event
    def cancel_run(self):
        """Cancel the shown run."""
        try:
            with session_scope() as session:
                self._show(runs_service.cancel_run(session=session, actor=self.actor(session), run_id=self.run_id))
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        return rx.toast.info("Cancelling the run.")

    @rx.event(background=True)
    async def watch(self):
        """Poll the shown run once a second until it ends (the status refreshes by itself)."""
        async with self:
            if self.watching:
                return
            self.watching = True
        try:
            for _ in range(1800):
                await asyncio.sleep(1)
                async with self:
                    token, run_id = self.token, self.run_id
                if not run_id:
                    return
                run = await asyncio.to_thread(_fetch_run, token, run_id)
                if run is None:
                    return
                async with self:
                    if self.run_id != run_id:
                        return
                    self._show(run)
                if run.status in TERMINAL:
                    async with self:
                        self.runs = [dict(r, status=run.status) if r["id"] == run_id else r for r in self.runs]
                    return
        finally:
            async with self:
                self.watching = False


def _fetch_run(token: str, run_id: str):
    from resolutionflow_app.services import auth as auth_service  # noqa: PLC0415

    with session_scope() as session:
        actor = auth_service.user_for_token(session=session, token=token)
        if actor is None:
            return None
        try:
            return runs_service.get_run(session=session, actor=actor, run_id=run_id)
        except ServiceError:
            return None


def _automation_row(item: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(item["name"], on_click=AutomationsState.select(item["id"]), cursor="pointer", data_testid="automation-name")),
        rx.table.cell(kind_badge(item["status"])),
        rx.table.cell(item["steps"]),
        rx.table.cell(rx.button(rx.icon("play", size=14), "Run", size="1", variant="soft", on_click=AutomationsState.select(item["id"]), data_testid="select-automation")),
        bg=rx.cond(AutomationsState.selected_id == item["id"], rx.color("accent", 3), "transparent"),
    )


def _run_item(item: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(rx.moment(item["created_at"], from_now=True), on_click=AutomationsState.open_run(item["id"]), cursor="pointer")),
        rx.table.cell(kind_badge(item["status"])),
        rx.table.cell(rx.text(item["error"], size="1", color_scheme="red", trim="both")),
    )


def _step_card(step: dict) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(rx.text("Step " + step["step_order"], weight="bold"), kind_badge(step["status"]), rx.spacer(), rx.text(step["tokens"], size="1", color_scheme="gray"), width="100%", align="center"),
            rx.cond(step["error"] != "", rx.callout(step["error"], icon="triangle-alert", color_scheme="red", size="1"), rx.fragment()),
            rx.cond(step["output"] != "", rx.code_block(step["output"], language="markdown", wrap_long_lines=True, width="100%"), rx.fragment()),
            rx.cond(
                step["files"] != "",
                rx.hstack(
                    rx.text("Generated files:", size="1", color_scheme="gray"),
                    rx.foreach(
                        step["files"].to(str).split(","),
                        lambda fid: rx.button(rx.icon("download", size=14), "Download", size="1", variant="soft", on_click=AutomationsState.download_file(fid), data_testid="download-file"),
                    ),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.fragment(),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        data_testid="step-result",
    )


def _run_panel() -> rx.Component:
    return rx.cond(
        AutomationsState.run_id != "",
        rx.vstack(
            rx.hstack(
                rx.heading("Run", size="4"), kind_badge(AutomationsState.run_status),
                rx.cond(AutomationsState.watching, rx.spinner(size="2"), rx.fragment()),
                rx.spacer(),
                rx.cond(
                    (AutomationsState.run_status == "queued") | (AutomationsState.run_status == "running"),
                    rx.alert_dialog.root(
                        rx.alert_dialog.trigger(rx.button(rx.icon("square", size=14), "Cancel run", color_scheme="red", variant="soft", size="1", data_testid="cancel-run")),
                        rx.alert_dialog.content(
                            rx.alert_dialog.title("Cancel this run?"),
                            rx.alert_dialog.description("The run stops at the current step; finished steps are kept."),
                            rx.hstack(rx.alert_dialog.cancel(rx.button("Keep running", variant="soft", color_scheme="gray")), rx.alert_dialog.action(rx.button("Cancel run", color_scheme="red", on_click=AutomationsState.cancel_run)), justify="end", spacing="2", padding_top="1rem"),
                        ),
                    ),
                    rx.fragment(),
                ),
                width="100%", align="center", data_testid="run-status",
            ),
            rx.cond(AutomationsState.run_error != "", rx.callout(AutomationsState.run_error, icon="triangle-alert", color_scheme="red", size="1", width="100%"), rx.fragment()),
            rx.foreach(AutomationsState.steps, _step_card),
            spacing="3",
            width="100%",
        ),
        rx.fragment(),
    )


def _run_form() -> rx.Component:
    return rx.cond(
        AutomationsState.selected_id != "",
        rx.card(
            rx.vstack(
                rx.heading("Run “" + AutomationsState.selected_name + "”", size="4"),
                rx.cond(AutomationsState.form_fields != "", rx.text("Form fields: " + AutomationsState.form_fields, size="1", color_scheme="gray"), rx.fragment()),
                field("Text input", rx.text_area(value=AutomationsState.run_text, on_change=AutomationsState.set_run_text, placeholder="Free text the first step receives", width="100%", data_testid="run-text")),
                field("Form values (JSON)", rx.text_area(value=AutomationsState.run_form_json, on_change=AutomationsState.set_run_form_json, rows="5", font_family="monospace", width="100%", data_testid="run-form-json")),
                error_callout(AutomationsState.form_error),
                rx.hstack(rx.button(rx.icon("play", size=16), "Start run", on_click=AutomationsState.start_run, data_testid="start-run"), justify="end", width="100%"),
                rx.cond(
                    AutomationsState.runs.length() > 0,
                    rx.vstack(
                        rx.text("Recent runs", weight="medium", size="2"),
                        rx.table.root(rx.table.body(rx.foreach(AutomationsState.runs, _run_item)), width="100%", size="1", data_testid="recent-runs"),
                        width="100%",
                        spacing="1",
                    ),
                    rx.fragment(),
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
        rx.callout("Pick an automation to run it.", icon="info", size="1", width="100%"),
    )


@rx.page(route=routes.AUTOMATIONS, title="Automations · ResolutionFlow", on_load=[AuthState.check_login, AutomationsState.load])
def automations_page() -> rx.Component:
    """Automations: list, run form, run status."""
    return app_layout(
        page_header("Automations", subtitle="AI pipelines that run in the background. Start a run and watch each step."),
        rx.cond(
            AutomationsState.automations.length() > 0,
            rx.grid(
                rx.vstack(
                    data_table(("Automation", "Status", "Steps", ""), AutomationsState.automations, _automation_row, "automation-list"),
                    width="100%",
                ),
                rx.vstack(_run_form(), _run_panel(), width="100%", spacing="4"),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="4",
                width="100%",
            ),
            empty_state("bot", "No automations yet", "Automations are built through the API for now (POST /api/v1/automations); the demo data includes one that uses the offline model."),
        ),
    )
