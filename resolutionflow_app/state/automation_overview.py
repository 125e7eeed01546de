"""State of the automation overview tab: the graph, a run overlaid on it (live while it runs), exports."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import reflex as rx

from resolutionflow_app import entry
from resolutionflow_app.domain.errors import ServiceError
from resolutionflow_app.domain.run_status import TERMINAL
from resolutionflow_app.services import automation_audit as audit_service
from resolutionflow_app.services import automation_dry_run as dry_run_service
from resolutionflow_app.services import automation_overview as overview_service
from resolutionflow_app.state.auth import AuthState

POLL_SECONDS = 1.0
MAX_POLLS = 2100  # 35 minutes of live updates, as on the run page


@dataclasses.dataclass
class CheckLine:
    """One line of the dry run's checklist."""

    step: str = ""
    check: str = ""
    status: str = "green"
    message: str = ""


@dataclasses.dataclass
class RunOption:
    """A run in the overlay picker."""

    id: str = ""
    label: str = ""


class OverviewState(AuthState):
    """The graph of the automation in the URL and the run shown on it."""

    automation_id: str = ""
    name: str = ""
    graph: dict[str, Any] = {}
    runs: list[RunOption] = []
    run_id: str = ""
    run_status: str = ""
    load_error: str = ""
    loading: bool = False
    watching: bool = False
    checking: bool = False
    checks: list[CheckLine] = []
    checks_status: str = ""
    checks_summary: str = ""

    def _apply(self, view: overview_service.OverviewDTO) -> None:
        self.name, self.graph, self.run_id, self.run_status = view.name, view.graph, view.run_id, view.run_status
        self.runs = [
            RunOption(id=r.id, label=f"{r.created_at:%Y-%m-%d %H:%M} · {r.status}" if r.created_at else r.status)
            for r in view.runs
        ]

    @rx.event
    def load(self):
        """on_load: the automation's draft graph, or `?run=` overlaid."""
        self.automation_id = self._route_part(2)
        run = str(self.router.url.query_parameters.get("run") or "")
        return self._show(run)

    def _show(self, run_id: str):
        out = self.try_call(overview_service.overview, automation_id=self.automation_id, run_id=run_id or None)
        if out.error:
            if out.status == 401:
                return self.refused(out)
            if run_id:  # a stale ?run= link: show the automation without it, and say so
                self._show("")
                return rx.toast.error(out.error)
            self.load_error = out.error
            return None
        self.load_error = ""
        self._apply(out.value)
        return OverviewState.watch if self.run_id and self.run_status not in TERMINAL else None

    @rx.event
    def select_run(self, run_id: str):
        """Overlay run `run_id` ("" = the draft without a run)."""
        return self._show(run_id)

    @rx.event(background=True)
    async def watch(self):
        """While the overlaid run is unfinished, re-read its results (any worker process writes them) and redraw."""
        async with self:
            if self.watching:
                return
            self.watching = True
            token, client = self.token, self.client_ip()
        try:
            for _ in range(MAX_POLLS):
                async with self:
                    run_id, status, automation_id = self.run_id, self.run_status, self.automation_id
                if not run_id or status in TERMINAL:
                    return
                await asyncio.sleep(POLL_SECONDS)
                try:
                    # I/O in a thread, outside the state lock: the page stays responsive.
                    view = await asyncio.to_thread(
                        entry.call,
                        overview_service.overview,
                        token=token or None,
                        client=client,
                        automation_id=automation_id,
                        run_id=run_id,
                    )
                except ServiceError as exc:
                    # The overlay would silently freeze: say why it stopped following the run.
                    yield rx.toast.error(f"Live updates stopped: {exc.message}")
                    return
                async with self:
                    if self.run_id == run_id:
                        self._apply(view)
        finally:
            async with self:
                self.watching = False

    @rx.event
    def download_definition(self):
        """The definition as JSON (no secrets), re-importable on the Automations page."""
        out = self.try_call(overview_service.definition_file, automation_id=self.automation_id)
        if out.error:
            return self.refused(out)
        filename, text = out.value
        return rx.download(data=text, filename=filename)

    @rx.event
    def download_audit(self):
        """The audit report (PDF, A4): the definition and diagram, and the overlaid run's record when one is shown."""
        out = self.try_call(
            audit_service.audit_report_download, automation_id=self.automation_id, run_id=self.run_id or None
        )
        if out.error:
            return self.refused(out)
        filename, pdf = out.value
        return rx.download(data=pdf, filename=filename)

    @rx.event
    def start_dry_run(self):
        """Show the spinner at once; the checks (a few seconds of network probes) follow."""
        self.checking, self.checks, self.checks_status = True, [], ""
        return OverviewState.dry_run

    @rx.event(background=True)
    async def dry_run(self):
        """“Test automation”: a checklist of models, data flow, variables and URLs, without calling any model."""
        async with self:
            token, client, automation_id = self.token, self.client_ip(), self.automation_id
        try:
            # Probes run in a thread, outside the state lock: the page stays responsive meanwhile.
            report = await asyncio.to_thread(
                entry.call, dry_run_service.dry_run, token=token or None, client=client, automation_id=automation_id
            )
        except ServiceError as exc:
            async with self:
                self.checking = False
            yield rx.toast.error(exc.message)
            return
        async with self:
            self.checking = False
            self.checks_status = report.status
            self.checks_summary = (
                f"{report.counts.get('green', 0)} fine, {report.counts.get('amber', 0)} to look at, "
                f"{report.counts.get('red', 0)} blocking"
            )
            self.checks = [
                CheckLine(
                    step=f"Step {line.step_order}" if line.step_order else "Automation",
                    check=line.check,
                    status=line.status,
                    message=line.message,
                )
                for line in report.lines
            ]
