"""RunProgressState: one watched automation run, refreshed from the run tables while it is unfinished."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime

import reflex as rx

from resolutionflow_app import entry
from resolutionflow_app.domain.errors import ServiceError
from resolutionflow_app.domain.run_status import TERMINAL
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.state.auth import AuthState

POLL_SECONDS = 0.7
# A run ends after 30 minutes at the latest (worker timeout); stop polling a little after that.
MAX_POLLS = int(35 * 60 / POLL_SECONDS)


@dataclasses.dataclass
class FileView:
    """A downloadable file."""

    id: str = ""
    name: str = ""


@dataclasses.dataclass
class InputFieldView:
    """One form field the run was started with."""

    label: str = ""
    value: str = ""


@dataclasses.dataclass
class StepView:
    """One step of the watched run, formatted for display."""

    order: int = 0
    name: str = ""
    status: str = "pending"
    timing: str = ""
    started_at: str = ""
    tokens: str = ""
    error: str = ""
    input_text: str = ""
    output_text: str = ""
    output_json: str = ""
    truncated: bool = False
    files: list[FileView] = dataclasses.field(default_factory=list)


def format_ms(ms: int | None) -> str:
    """850 ms / 3.2 s / 2 min 05 s."""
    if ms is None:
        return ""
    if ms < 1000:
        return f"{ms} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    minutes, seconds = divmod(ms // 1000, 60)
    return f"{minutes} min {seconds:02d} s"


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _timing(step: runs_service.StepProgressDTO) -> str:
    if step.status == "running":
        return "running"  # the elapsed time ticks in the browser (see components), not over the websocket
    if step.status in TERMINAL and step.duration_ms is not None:
        return f"took {format_ms(step.duration_ms)}"
    return ""


def _tokens(step: runs_service.StepProgressDTO) -> str:
    if step.tokens_input is None and step.tokens_output is None:
        return ""
    return f"{step.tokens_input or 0} tokens in · {step.tokens_output or 0} out"


def step_view(step: runs_service.StepProgressDTO) -> StepView:
    """The display form of one step's progress."""
    return StepView(
        order=step.step_order,
        name=step.name,
        status=step.status,
        timing=_timing(step),
        started_at=_iso(step.started_at),
        tokens=_tokens(step),
        error=step.error,
        input_text=step.input_text,
        output_text=step.output_text,
        output_json=step.output_json,
        truncated=step.output_truncated or step.input_truncated,
        files=[FileView(id=f.id, name=f.name) for f in step.files],
    )


def _fetch(token: str, client: str, run_id: str) -> runs_service.RunProgressDTO:
    return entry.call(runs_service.run_progress, token=token or None, client=client, run_id=run_id)


class RunProgressState(AuthState):
    """The run shown on the run page and the run detail page; a background task keeps it fresh."""

    watched_run_id: str = ""
    run_status: str = ""
    run_error: str = ""
    run_automation_id: str = ""
    run_automation_name: str = ""
    run_created_at: str = ""
    run_finished_at: str = ""
    run_version: int = 0
    cancel_requested: bool = False
    run_input_text: str = ""
    run_input_fields: list[InputFieldView] = []
    run_input_files: list[FileView] = []
    run_steps: list[StepView] = []
    run_output_text: str = ""
    run_output_json: str = ""
    run_files: list[FileView] = []
    completed_steps: int = 0
    total_steps: int = 0
    run_not_found: str = ""
    watch_problem: str = ""
    watching: bool = False

    @rx.var
    def progress_percent(self) -> int:
        """Share of steps completed (100 once the run completed)."""
        if self.run_status == "completed":
            return 100
        return int(100 * self.completed_steps / self.total_steps) if self.total_steps else 0

    @rx.var
    def run_active(self) -> bool:
        """True while the run is queued or running."""
        return self.run_status in ("queued", "running")

    @rx.var
    def can_resume(self) -> bool:
        """Failed and cancelled runs can be resumed."""
        return self.run_status in ("failed", "cancelled")

    def _apply_run(self, run: runs_service.RunProgressDTO) -> None:
        """Show a run's progress (called under the state lock in the watcher).

        Only vars whose value changed are assigned: an assignment re-sends the whole var to the
        browser, and a 50-step run polled every 0.7 s must not resend every output each time.
        """
        self._assign(**self._view_of(run))
        self.run_not_found = ""

    def _assign(self, **values) -> None:
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    @staticmethod
    def _view_of(run: runs_service.RunProgressDTO) -> dict:
        return {
            "watched_run_id": str(run.id),
            "run_status": run.status,
            "run_error": run.error_message,
            "run_automation_id": str(run.automation_id),
            "run_automation_name": run.automation_name,
            "run_created_at": _iso(run.created_at),
            "run_finished_at": _iso(run.finished_at),
            "run_version": run.definition_version,
            "cancel_requested": run.cancel_requested,
            "run_input_text": run.input_text,
            "run_input_fields": [
                InputFieldView(label=str(f.get("label") or ""), value=str(f.get("value") or ""))
                for f in run.input_fields
            ],
            "run_input_files": [FileView(id=f.id, name=f.name) for f in run.input_files],
            "run_steps": [step_view(s) for s in run.steps],
            "run_output_text": run.output_text,
            "run_output_json": run.output_json,
            "run_files": [FileView(id=f.id, name=f.name) for f in run.files],
            "completed_steps": run.completed_steps,
            "total_steps": run.total_steps,
        }

    def _clear_run(self) -> None:
        """Forget the watched run (a new page, or a new run about to start)."""
        self.watched_run_id = self.run_status = self.run_error = ""
        self.run_steps, self.run_files, self.run_input_fields, self.run_input_files = [], [], [], []
        self.run_output_text = self.run_output_json = self.run_input_text = self.watch_problem = ""
        self.completed_steps = self.total_steps = 0

    @rx.event
    def show_run(self, run_id: str):
        """Load one run and, while it is unfinished, keep it fresh."""
        outcome = self.try_call(runs_service.run_progress, run_id=run_id)
        if outcome.error:
            self._clear_run()
            self.run_not_found = outcome.error
            return None
        self._apply_run(outcome.value)
        return None if self.run_status in TERMINAL else RunProgressState.watch

    @rx.event(background=True)
    async def watch(self):
        """Poll the run tables (any worker process writes there) and push each change to the page."""
        async with self:
            if self.watching:
                return None  # the running loop follows `watched_run_id`, whichever run that is now
            self.watching, self.watch_problem = True, ""
            token, client = self.token, self.client_ip()
        last_id = ""
        try:
            last_id = await self._follow(token, client)
        finally:
            async with self:
                self.watching = False
                # A run started between the loop's last look and here would otherwise go unwatched.
                switched = (
                    bool(self.watched_run_id) and self.watched_run_id != last_id and self.run_status not in TERMINAL
                )
        return RunProgressState.watch if switched else None

    async def _follow(self, token: str, client: str) -> str:
        """The polling loop of `watch`; returns the id of the run it looked at last."""
        run_id = ""
        for _ in range(MAX_POLLS):
            async with self:
                run_id, status = self.watched_run_id, self.run_status
            if not run_id or status in TERMINAL:
                return run_id
            await asyncio.sleep(POLL_SECONDS)
            try:
                # I/O outside the lock: the page stays responsive while the database answers.
                run = await asyncio.to_thread(_fetch, token, client, run_id)
            except ServiceError as exc:
                async with self:
                    self.watch_problem = f"Live updates stopped: {exc.message}"
                return run_id
            except Exception:  # noqa: BLE001 - a dropped DB connection must not leave the page silently stale
                async with self:
                    self.watch_problem = (
                        "Live updates stopped because the server could not read the run. Reload the page to try again."
                    )
                return run_id
            async with self:
                if self.watched_run_id == run_id:
                    self._apply_run(run)
        async with self:
            self.watch_problem = "Live updates stopped after 35 minutes. Reload the page to see the latest state."
        return run_id

    @rx.event
    def cancel_run(self):
        """Ask the watched run to stop (at once when queued, at the step boundary when running)."""
        outcome = self.try_call(runs_service.cancel_run, run_id=self.watched_run_id)
        if outcome.error:
            return self.refused(outcome)
        return [RunProgressState.show_run(self.watched_run_id), rx.toast.info("Cancelling the run…")]

    @rx.event
    def resume_run(self):
        """Queue a failed or cancelled run again; completed steps with unchanged settings are kept."""
        outcome = self.try_call(runs_service.resume_run, run_id=self.watched_run_id)
        if outcome.error:
            return self.refused(outcome)
        return [RunProgressState.show_run(self.watched_run_id), rx.toast.success("Run resumed.")]

    @rx.event
    def download_file(self, file_id: str):
        """Send a stored file (generated PDF/DOCX or an input upload) to the browser."""
        outcome = self.try_call(runs_service.file_download, file_id=file_id)
        if outcome.error:
            return self.refused(outcome)
        return rx.download(data=outcome.value.data, filename=outcome.value.name)
