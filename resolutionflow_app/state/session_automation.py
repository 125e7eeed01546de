"""Run the automation a flow step links to from inside a session: form pre-filled, progress inline, result attached."""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from resolutionflow_app import entry
from resolutionflow_app.domain.errors import ServiceError
from resolutionflow_app.domain.run_status import TERMINAL
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.services import session_automations as service
from resolutionflow_app.state.session_run import SessionRunState

POLL_SECONDS = 1.0
MAX_POLLS = 2100  # 35 minutes, as on the run page


@dataclasses.dataclass
class FieldValue:
    """A field of the linked automation's form, pre-filled from the session."""

    id: str = ""
    label: str = ""
    type: str = "text"
    required: bool = False
    options: list[str] = dataclasses.field(default_factory=list)
    value: str = ""


class SessionAutomationState(SessionRunState):
    """The run dialog and the inline progress of the automation started from the current step."""

    dialog_open: bool = False
    name: str = ""
    fields: list[FieldValue] = []
    error: str = ""
    starting: bool = False
    run_id: str = ""
    run_status: str = ""
    run_done: int = 0
    run_total: int = 0
    run_step: str = ""
    watching: bool = False

    @rx.event
    def open_dialog(self):
        """Open the run form of the current step's automation, pre-filled from the session."""
        out = self.try_call(service.node_automation, session_id=self.sid)
        if out.error:
            return self.refused(out)
        offer = out.value
        if offer is None:
            return rx.toast.error("This step does not run an automation.")
        if not offer.available:
            return rx.toast.error(offer.reason)
        self.name, self.error = offer.name, ""
        self.fields = [
            FieldValue(id=f.id, label=f.label, type=f.type, required=f.required, options=f.options, value=f.value)
            for f in offer.fields
        ]
        self.dialog_open = True
        return None

    @rx.event
    def set_dialog_open(self, value: bool):
        """Escape or Cancel closes the dialog."""
        self.dialog_open = value

    @rx.event
    def start(self, form: dict):
        """Start the run; its custom step is on the session at once, its result follows."""
        data = {f.id: str(form.get(f"field_{i}") or "").strip() for i, f in enumerate(self.fields)}
        self.starting = True
        out = self.try_call(
            service.run_from_session,
            session_id=self.sid,
            node_id=self.node.id,
            form_data={k: v for k, v in data.items() if v},
            text=str(form.get("text") or "").strip() or None,
        )
        self.starting = False
        if out.error:
            if out.status == 401:
                return self.refused(out)
            self.error = out.error
            return None
        dto, run_id = out.value
        self._apply(dto)
        self.dialog_open, self.run_id, self.run_status, self.run_done, self.run_total, self.run_step = (
            False,
            run_id,
            "queued",
            0,
            0,
            "",
        )
        return [
            rx.toast.info(f"“{self.name}” started; its result will be added to this session."),
            SessionAutomationState.watch,
        ]

    @rx.event(background=True)
    async def watch(self):
        """Follow the run (any worker process writes its tables) and attach its result when it ends."""
        async with self:
            if self.watching:
                return
            self.watching = True
            token, client, sid = self.token, self.client_ip(), self.sid
        try:
            for _ in range(MAX_POLLS):
                async with self:
                    run_id = self.run_id
                if not run_id:
                    return
                await asyncio.sleep(POLL_SECONDS)
                try:
                    run = await asyncio.to_thread(
                        entry.call, runs_service.run_progress, token=token or None, client=client, run_id=run_id
                    )
                except ServiceError as exc:
                    async with self:
                        self.run_status, self.run_step = "failed", f"Progress could not be read: {exc.message}"
                    return
                running = next((s for s in run.steps if s.status == "running"), None)
                async with self:
                    self.run_status, self.run_done, self.run_total = run.status, run.completed_steps, run.total_steps
                    self.run_step = running.name if running else ""
                if run.status in TERMINAL:
                    try:
                        dto = await asyncio.to_thread(
                            entry.call,
                            service.attach_result,
                            token=token or None,
                            client=client,
                            session_id=sid,
                            run_id=run_id,
                        )
                    except ServiceError as exc:
                        async with self:
                            self.run_step = f"The result could not be added to the session: {exc.message}"
                        return
                    async with self:
                        self._apply(dto)
                        self.run_id = ""
                    return
        finally:
            async with self:
                self.watching = False
