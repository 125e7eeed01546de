"""Run page (/automations/[automation_id]/run): the run form from form_schema, live progress, run history."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.automation_run_form import (
    file_slot,
    form_field,
    history_panel,
)
from resolutionflow_app.components.automation_run_progress import (
    run_header,
    run_result,
    run_steps,
)
from resolutionflow_app.components.automation_tabs import automation_tabs
from resolutionflow_app.components.forms import error_callout, field
from resolutionflow_app.components.layout import app_layout
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.services import files as files_service
from resolutionflow_app.state.auth import AuthState
from resolutionflow_app.state.automation_run_progress import RunProgressState, format_ms
from resolutionflow_app.state.paging import PagedListMixin

FILE_TYPES = ("image", "audio", "document", "file")
# Upload dropzones need ids fixed at compile time: one slot per file field, up to this many.
MAX_FILE_FIELDS = 8
# What each file field accepts (checked again when the upload arrives).
ACCEPT_PREFIX = {"image": ("image/",), "audio": ("audio/",)}
HISTORY_PAGE = 20


@dataclasses.dataclass
class FieldView:
    """A form field to render."""

    id: str = ""
    label: str = ""
    type: str = "text"
    required: bool = False
    options: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class HistoryRow:
    """A row of the run history."""

    id: str = ""
    status: str = ""
    created_at: str = ""
    duration: str = ""
    user_name: str = ""
    error: str = ""


def _number(value: str) -> int | float | str:
    """'3' -> 3, '2.5' -> 2.5; anything else stays text (the service names the field)."""
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number


class RunFormState(PagedListMixin, RunProgressState):
    """The run form of one automation, its latest started run and its run history."""

    PAGE_SIZE: ClassVar[int] = HISTORY_PAGE
    form_automation_id: str = ""
    form_name: str = ""
    form_description: str = ""
    form_published: bool = False
    form_version: int = 0
    can_run: bool = False
    blocked_reason: str = ""
    not_found: str = ""
    step_names: list[str] = []
    fields: list[FieldView] = []
    file_fields: list[FieldView] = []
    values: dict[str, str] = {}
    file_names: dict[str, str] = {}
    file_ids: dict[str, str] = {}
    run_text: str = ""
    form_error: str = ""
    starting: bool = False
    history: list[HistoryRow] = []
    history_total: int = 0
    history_error: str = ""
    status_filter: str = "all"
    date_from: str = ""
    date_to: str = ""

    @rx.var
    def page_label(self) -> str:
        """'41–60 of 500'."""
        if not self.history_total:
            return "No runs"
        return f"{self.offset + 1}–{min(self.offset + self.PAGE_SIZE, self.history_total)} of {self.history_total}"

    @rx.var
    def has_next(self) -> bool:
        """True when another page of history follows."""
        return self.offset + self.PAGE_SIZE < self.history_total

    @rx.event
    def load(self):
        """on_load: the automation's form (as this user would run it), then its history."""
        self._clear_run()
        self.form_automation_id, self.form_error, self.offset = self._route_part(2), "", 0
        outcome = self.try_call(runs_service.run_form, automation_id=self.form_automation_id)
        if outcome.error:
            self.not_found = outcome.error
            return None
        form = outcome.value
        self.not_found = ""
        self.form_name, self.form_description, self.form_published, self.form_version = (
            form.name,
            form.description,
            form.published,
            form.published_version,
        )
        self.can_run, self.blocked_reason = form.can_run, form.blocked_reason
        self.step_names = [f"{s['step_order']}. {s['name']}" for s in form.steps]
        views = [
            FieldView(
                id=str(f.get("id")),
                label=str(f.get("label") or f.get("id")),
                type=str(f.get("type")),
                required=bool(f.get("required")),
                options=[str(o) for o in f.get("options") or []],
            )
            for f in form.form_schema
        ]
        self.fields = [f for f in views if f.type not in FILE_TYPES]
        self.file_fields = [f for f in views if f.type in FILE_TYPES]
        self.values = {f.id: "" for f in self.fields}
        self.file_names, self.file_ids, self.run_text = {}, {}, ""
        return RunFormState.fetch

    @rx.event
    def fetch(self):
        """One page of the run history with the current filters."""
        outcome = self.try_call(
            runs_service.run_history,
            automation_id=self.form_automation_id,
            status=None if self.status_filter == "all" else self.status_filter,
            date_from=self.date_from or None,
            date_to=self.date_to or None,
            page_size=self.PAGE_SIZE,
            offset=self.offset,
        )
        if outcome.error:
            self.history_error = outcome.error
            return
        rows, self.history_total = outcome.value
        self.history_error = ""
        self.history = [
            HistoryRow(
                id=str(r.id),
                status=r.status,
                created_at=r.created_at.isoformat() if r.created_at else "",
                duration=format_ms(r.duration_ms),
                user_name=r.user_name,
                error=r.error_message[:160],
            )
            for r in rows
        ]

    @rx.event
    def set_value(self, field_id: str, value: str):
        """One form field's value."""
        self.values[field_id] = value

    @rx.event
    def set_run_text(self, value: str):
        """The free-text input."""
        self.run_text = value

    @rx.event
    async def upload_to_slot(self, files: list[rx.UploadFile], slot: int):
        """Store a dropped file through the files service and attach it to file field number `slot`."""
        if not 0 <= slot < len(self.file_fields) or not files:
            return None
        target, upload = self.file_fields[slot], files[0]
        data = await upload.read()
        ctype = (upload.content_type or "application/octet-stream").lower()
        wanted = ACCEPT_PREFIX.get(target.type)
        if wanted and not ctype.startswith(wanted):
            return [
                rx.clear_selected_files(f"run-file-{slot}"),
                rx.toast.error(
                    f"{target.label} needs a file of type {target.type}; {upload.name or 'that file'} is {ctype}."
                ),
            ]
        outcome = await self.try_call_async(
            files_service.upload, name=upload.name or "file", content_type=ctype, data=data
        )
        if outcome.error:
            return [rx.clear_selected_files(f"run-file-{slot}"), *self.refused(outcome)]
        self.file_ids[target.id], self.file_names[target.id] = str(outcome.value.id), outcome.value.name
        return [rx.clear_selected_files(f"run-file-{slot}"), rx.toast.success(f"Uploaded {outcome.value.name}.")]

    @rx.event
    def remove_file(self, field_id: str):
        """Detach the file of a file field."""
        self.file_ids.pop(field_id, None)
        self.file_names.pop(field_id, None)

    def _form_data(self) -> dict[str, object]:
        data: dict[str, object] = {}
        for f in self.fields:
            value = (self.values.get(f.id) or "").strip() if f.type != "text" else self.values.get(f.id) or ""
            if value != "":
                data[f.id] = _number(value) if f.type == "number" else value
        for f in self.file_fields:
            if self.file_ids.get(f.id):
                data[f.id] = self.file_ids[f.id]
        return data

    @rx.event
    def start(self):
        """Queue a run with the form's values and show its progress live."""
        if self.starting:
            return
        self.starting = True
        yield  # show the spinner while the run is queued
        outcome = self.try_call(
            runs_service.start_run,
            automation_id=self.form_automation_id,
            text=self.run_text,
            form_data=self._form_data(),
        )
        self.starting = False
        if outcome.error:
            self.form_error = outcome.error
            return
        self.form_error, self.offset = "", 0
        yield [RunProgressState.show_run(str(outcome.value.id)), RunFormState.fetch, rx.toast.success("Run started.")]

    @rx.event
    def reuse_last(self):
        """Fill the form from my most recent run of this automation."""
        outcome = self.try_call(runs_service.last_inputs, automation_id=self.form_automation_id)
        if outcome.error:
            return self.refused(outcome)
        last = outcome.value
        if last is None:
            return rx.toast.info("You have not run this automation yet, so there is no test data to reuse.")
        self.run_text = last.text
        self.values = {f.id: str(last.form_data.get(f.id, "")) for f in self.fields}
        self.file_ids = {k: v.id for k, v in last.files.items() if any(f.id == k for f in self.file_fields)}
        self.file_names = {k: v.name for k, v in last.files.items() if k in self.file_ids}
        self.form_error = ""
        if last.missing_files:
            labels = ", ".join(f.label for f in self.file_fields if f.id in last.missing_files) or ", ".join(
                last.missing_files
            )
            return rx.toast.warning(
                f"Filled in from your last run; its file for {labels} is no longer stored, please upload it again."
            )
        return rx.toast.success("Filled in from your last run.")


R = RunFormState


def _form_card() -> rx.Component:
    return rx.card(
        rx.el.form(
            rx.vstack(
                rx.hstack(
                    rx.heading("Run input", size="4"),
                    rx.spacer(),
                    rx.button(
                        rx.icon("history", size=14),
                        "Reuse last test data",
                        type="button",
                        variant="ghost",
                        size="2",
                        on_click=R.reuse_last,
                        data_testid="reuse-last",
                    ),
                    width="100%",
                    align="center",
                    wrap="wrap",
                ),
                rx.foreach(R.fields, lambda f, i: form_field(f, i, R.values, R.set_value)),
                *[
                    rx.cond(
                        R.file_fields.length() > i,
                        file_slot(R.file_fields[i], i, R.file_names, R.upload_to_slot, R.remove_file),
                        rx.fragment(),
                    )
                    for i in range(MAX_FILE_FIELDS)
                ],
                rx.cond(
                    R.file_fields.length() > MAX_FILE_FIELDS,
                    rx.callout(
                        f"This form has more than {MAX_FILE_FIELDS} file fields; the rest can be sent through the "
                        f"API (POST /api/v1/automations/{{id}}/runs).",
                        icon="info",
                        size="1",
                        width="100%",
                    ),
                    rx.fragment(),
                ),
                field(
                    "Free text",
                    rx.text_area(
                        value=R.run_text,
                        on_change=R.set_run_text,
                        placeholder="Text the first step receives (optional)",
                        rows="4",
                        width="100%",
                        id="run-text",
                        aria_label="Free text",
                        data_testid="run-text",
                    ),
                ),
                error_callout(R.form_error),
                rx.hstack(
                    rx.button(
                        rx.cond(R.starting, rx.spinner(size="2"), rx.icon("play", size=16)),
                        "Start run",
                        type="submit",
                        size="3",
                        disabled=R.starting | R.run_active,
                        data_testid="start-run",
                    ),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=lambda _form: R.start(),
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


def _run_panel() -> rx.Component:
    return rx.cond(
        R.watched_run_id != "",
        rx.vstack(
            run_header(
                rx.link(
                    rx.button(rx.icon("external-link", size=14), "Open run", variant="soft", size="2"),
                    href="/automation-runs/" + R.watched_run_id,
                    data_testid="open-run",
                )
            ),
            run_steps(),
            run_result(),
            spacing="3",
            width="100%",
            data_testid="live-run",
        ),
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.icon("activity", size=16, color=rx.color("gray", 10)),
                    rx.heading("Progress", size="3"),
                    spacing="2",
                    align="center",
                ),
                rx.text(
                    "Start a run to watch each step here as it happens: pending, running, completed or failed.",
                    size="2",
                    color_scheme="gray",
                ),
                rx.el.ol(
                    rx.foreach(
                        R.step_names,
                        lambda n: rx.el.li(
                            rx.text(n, size="2", overflow_wrap="anywhere"), list_style="none", padding_y="0.125rem"
                        ),
                    ),
                    margin="0",
                    padding="0",
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
            data_testid="run-placeholder",
        ),
    )


def _body() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.link(
                rx.hstack(
                    rx.icon("arrow-left", size=14), rx.text("Automations", size="2"), spacing="1", align="center"
                ),
                href=routes.AUTOMATIONS,
                underline="none",
            ),
            rx.text("·", color_scheme="gray"),
            rx.link(
                rx.hstack(
                    rx.icon("pencil-ruler", size=14),
                    rx.text(rx.cond(R.can_author, "Edit in builder", "View in builder"), size="2"),
                    spacing="1",
                    align="center",
                ),
                href=routes.AUTOMATIONS + "/" + R.form_automation_id,
                underline="none",
                data_testid="builder-link",
            ),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.vstack(
            rx.hstack(
                rx.heading(R.form_name, size="6", overflow_wrap="anywhere", min_width="0"),
                rx.cond(
                    R.form_published,
                    rx.badge("published v" + R.form_version.to_string(), color_scheme="green", variant="soft"),
                    rx.badge("draft", color_scheme="amber", variant="soft"),
                ),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.cond(
                R.form_description != "",
                rx.text(R.form_description, size="2", color_scheme="gray", overflow_wrap="anywhere"),
                rx.fragment(),
            ),
            spacing="1",
            width="100%",
        ),
        automation_tabs(R.form_automation_id, "run"),
        rx.cond(
            R.can_run,
            rx.grid(
                rx.vstack(_form_card(), width="100%", min_width="0"),
                rx.vstack(_run_panel(), width="100%", min_width="0"),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="4",
                width="100%",
            ),
            rx.callout(R.blocked_reason, icon="lock", color_scheme="amber", width="100%", data_testid="run-blocked"),
        ),
        history_panel(R),
        spacing="4",
        width="100%",
    )


@rx.page(
    route=routes.AUTOMATIONS + "/[automation_id]/run",
    title="Run automation · ResolutionFlow",
    on_load=[AuthState.check_login, RunFormState.load],
)
def automation_run_page() -> rx.Component:
    """Run an automation: form, live progress, history."""
    return app_layout(
        rx.cond(
            R.not_found != "",
            rx.callout(R.not_found, icon="circle-x", color_scheme="red", width="100%", data_testid="not-found"),
            _body(),
        ),
    )
