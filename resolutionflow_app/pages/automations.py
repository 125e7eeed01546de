"""Automations list: search, new, duplicate, delete, import and export JSON; each row opens the builder."""

from __future__ import annotations

import dataclasses
import json
from typing import ClassVar

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.badges import kind_badge
from resolutionflow_app.components.confirm import confirm_action
from resolutionflow_app.components.forms import error_callout, field
from resolutionflow_app.components.layout import app_layout, empty_state, page_header
from resolutionflow_app.components.library_widgets import pager
from resolutionflow_app.components.tables import data_table, name_cell
from resolutionflow_app.services import automation_builder as builder_service
from resolutionflow_app.services import automations as automations_service
from resolutionflow_app.state.auth import AuthState
from resolutionflow_app.state.paging import PagedListMixin

MAX_IMPORT_CHARS = 2_000_000


@dataclasses.dataclass
class AutomationRow:
    """One row of the list."""

    id: str = ""
    name: str = ""
    status: str = "draft"
    steps: int = 0
    last_run_status: str = ""
    last_run_at: str = ""
    created_by: str = ""


class AutomationsState(PagedListMixin, AuthState):
    """The account's automations, paged and searchable."""

    FILTERS: ClassVar[frozenset[str]] = frozenset({"q"})
    q: str = ""
    rows: list[AutomationRow] = []
    total: int = 0
    loaded: bool = False
    busy: bool = False
    import_text: str = ""
    import_error: str = ""
    import_open: bool = False

    @rx.event
    def fetch(self):
        """Load the current page."""
        out = self.try_call(builder_service.list_rows, q=self.q or None, limit=self.PAGE_SIZE, offset=self.offset)
        if out.error:
            return self.refused(out)
        items, self.total = out.value
        self.rows = [
            AutomationRow(
                id=r.id,
                name=r.name,
                status="published" if r.published else "draft",
                steps=r.steps_count,
                last_run_status=r.last_run_status,
                last_run_at=r.last_run_at.isoformat() if r.last_run_at else "",
                created_by=r.created_by,
            )
            for r in items
        ]
        self.loaded = True
        return None

    @rx.event
    def create(self):
        """A new draft, opened in the builder."""
        self.busy = True
        out = self.try_call(builder_service.new_automation)
        self.busy = False
        if out.error:
            return self.refused(out)
        return rx.redirect(routes.automation_url(str(out.value.id)))

    @rx.event
    def duplicate(self, automation_id: str):
        """A draft copy of a row."""
        out = self.try_call(builder_service.duplicate_automation, automation_id=automation_id)
        if out.error:
            return self.refused(out)
        yield rx.toast.success(f"Created “{out.value.name}”.")
        yield AutomationsState.fetch

    @rx.event
    def delete(self, automation_id: str):
        """Delete a row (after the confirmation dialog), its runs and their files."""
        out = self.try_call(automations_service.delete_automation, automation_id=automation_id)
        if out.error:
            return self.refused(out)
        yield rx.toast.success("Automation deleted.")
        yield AutomationsState.fetch

    @rx.event
    def export(self, automation_id: str):
        """Download the definition as JSON (no secrets; re-importable)."""
        out = self.try_call(automations_service.export_automation, automation_id=automation_id)
        if out.error:
            return self.refused(out)
        name = (
            "".join(ch if ch.isalnum() else "-" for ch in out.value["automation"]["name"])[:60].strip("-")
            or "automation"
        )
        return rx.download(data=json.dumps(out.value, indent=2, ensure_ascii=False), filename=f"{name}.automation.json")

    @rx.event
    def set_import_open(self, value: bool):
        """Open or close the import dialog."""
        self.import_open, self.import_error = bool(value), ""

    @rx.event
    def set_import_text(self, value: str):
        """The pasted export."""
        self.import_text = value[:MAX_IMPORT_CHARS]

    @rx.event
    def run_import(self):
        """Create a draft from the pasted export JSON."""
        try:
            document = json.loads(self.import_text or "")
        except json.JSONDecodeError as exc:
            self.import_error = f"This is not valid JSON ({exc.msg}, line {exc.lineno})."
            return None
        out = self.try_call(builder_service.import_automation, document=document)
        if out.error:
            self.import_error = out.error
            return None
        self.import_open, self.import_text, self.import_error = False, "", ""
        return rx.redirect(routes.automation_url(str(out.value.id)))


S = AutomationsState


def _row(item: AutomationRow) -> rx.Component:
    return rx.table.row(
        name_cell(item.name, routes.AUTOMATIONS + "/" + item.id, testid="automation-name", weight="medium"),
        rx.table.cell(kind_badge(item.status)),
        rx.table.cell(item.steps),
        rx.table.cell(
            rx.cond(
                item.last_run_status != "",
                rx.hstack(
                    kind_badge(item.last_run_status),
                    rx.moment(item.last_run_at, from_now=True, font_size="12px"),
                    spacing="2",
                    align="center",
                ),
                rx.text("never run", size="1", color_scheme="gray"),
            )
        ),
        rx.table.cell(rx.text(item.created_by, size="2", trim="both")),
        rx.table.cell(
            rx.hstack(
                rx.link(
                    rx.button(rx.icon("play", size=14), "Run", size="1", variant="soft"),
                    href=routes.AUTOMATIONS + "/" + item.id + "/run",
                    data_testid="run-automation",
                ),
                rx.cond(
                    S.can_author,
                    rx.menu.root(
                        rx.menu.trigger(
                            rx.icon_button(
                                rx.icon("ellipsis", size=14),
                                size="1",
                                variant="ghost",
                                aria_label="More actions",
                                data_testid="automation-actions",
                            )
                        ),
                        rx.menu.content(
                            rx.menu.item(
                                rx.icon("copy", size=14),
                                "Duplicate",
                                on_select=S.duplicate(item.id),
                                data_testid="duplicate-automation",
                            ),
                            rx.menu.item(
                                rx.icon("download", size=14),
                                "Export JSON",
                                on_select=S.export(item.id),
                                data_testid="export-automation",
                            ),
                        ),
                    ),
                    rx.fragment(),
                ),
                rx.cond(
                    S.can_author,
                    confirm_action(
                        rx.icon_button(
                            rx.icon("trash-2", size=14),
                            size="1",
                            variant="ghost",
                            color_scheme="red",
                            aria_label="Delete automation",
                            data_testid="delete-automation",
                        ),
                        "Delete “" + item.name + "”?",
                        "The automation, all its runs and the files they generated are deleted. This cannot be undone.",
                        "Delete",
                        S.delete(item.id),
                        "confirm-delete",
                    ),
                    rx.fragment(),
                ),
                spacing="1",
                align="center",
            )
        ),
    )


def _import_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(rx.icon("upload", size=14), "Import", variant="soft", data_testid="import-automation")
        ),
        rx.dialog.content(
            rx.dialog.title("Import an automation"),
            rx.dialog.description(
                "Paste an exported automation (JSON). It becomes a new draft in your account; header secrets are not "
                "part of exports."
            ),
            rx.vstack(
                field(
                    "Export JSON",
                    rx.text_area(
                        value=S.import_text,
                        on_change=S.set_import_text,
                        rows="10",
                        width="100%",
                        font_family="monospace",
                        data_testid="import-json",
                    ),
                ),
                error_callout(S.import_error),
                rx.hstack(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                    rx.button("Import", on_click=S.run_import, data_testid="confirm-import"),
                    justify="end",
                    spacing="2",
                    width="100%",
                ),
                spacing="3",
                width="100%",
                padding_top="0.5rem",
            ),
        ),
        open=S.import_open,
        on_open_change=S.set_import_open,
    )


@rx.page(
    route=routes.AUTOMATIONS,
    title="Automations · ResolutionFlow",
    on_load=[AuthState.check_login, AutomationsState.fetch],
)
def automations_page() -> rx.Component:
    """Automations: the list and its actions."""
    actions = rx.cond(
        S.can_author,
        rx.hstack(
            _import_dialog(),
            rx.button(
                rx.icon("plus", size=16),
                "New automation",
                on_click=S.create,
                loading=S.busy,
                data_testid="new-automation",
            ),
            spacing="2",
        ),
        rx.fragment(),
    )
    return app_layout(
        page_header(
            "Automations",
            actions,
            subtitle=(
                "AI pipelines that run in the background: build the steps, then run them from a form and watch each "
                "step."
            ),
        ),
        rx.input(
            rx.input.slot(rx.icon("search", size=16)),
            value=S.q,
            on_change=lambda v: S.set_filter("q", v),
            debounce_timeout=300,
            placeholder="Search automations",
            width="100%",
            max_width="420px",
            margin_bottom="0.75rem",
            aria_label="Search automations",
            data_testid="automation-search",
        ),
        rx.cond(
            S.rows.length() > 0,
            rx.vstack(
                data_table(
                    ("Automation", "Status", "Steps", "Last run", "Created by", ""),
                    S.rows,
                    _row,
                    "automation-list",
                    phone_hidden=(2, 3, 4),
                ),
                pager(S.offset, AutomationsState.PAGE_SIZE, S.total, S.page_by(-1), S.page_by(1)),
                width="100%",
                spacing="3",
            ),
            rx.cond(
                S.loaded & (S.q != ""),
                empty_state("search-x", "No automation matches", "Try another word, or clear the search."),
                rx.cond(
                    S.loaded,
                    empty_state(
                        "bot",
                        "No automations yet",
                        "Create one with New automation (authors and owners), or import an exported one. The first "
                        "step runs on one of your account's models.",
                    ),
                    rx.spinner(),
                ),
            ),
        ),
    )
