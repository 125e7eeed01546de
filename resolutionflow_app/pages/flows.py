"""Flows list: search and filters, status/fork badges, pagination, new flow and JSON import."""

from __future__ import annotations

import dataclasses
import json

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.badges import kind_badge
from resolutionflow_app.components.forms import error_callout, field
from resolutionflow_app.components.layout import app_layout, empty_state, page_header
from resolutionflow_app.components.tables import clamped_text, data_table, name_cell
from resolutionflow_app.services import auth as auth_service
from resolutionflow_app.services import trees as trees_service
from resolutionflow_app.state.auth import AuthState
from resolutionflow_app.state.rows import Choice

PAGE_SIZE = 20
TYPE_LABELS = {"troubleshooting": "Troubleshooting", "procedural": "Procedure", "maintenance": "Maintenance"}
MAX_IMPORT_BYTES = 5_000_000


@dataclasses.dataclass
class FlowRow:
    """The few fields a list row shows (no structure: state stays small)."""

    id: str = ""
    name: str = ""
    description: str = ""
    tree_type: str = ""
    type_label: str = ""
    status: str = ""
    version: int = 0
    author_name: str = ""
    is_public: bool = False
    is_active: bool = True
    forked: bool = False
    parent_name: str = ""
    parent_updated: bool = False
    forks_count: int = 0
    problems: int = 0
    size: int = 0
    updated_at: str = ""


def flow_summary(dto) -> FlowRow:
    """A list row for TreeDTO `dto`."""
    structure = dto.tree_structure or {}
    items = structure.get("nodes") if dto.tree_type == "troubleshooting" else structure.get("steps")
    return FlowRow(
        id=str(dto.id),
        name=dto.name,
        description=dto.description or "",
        tree_type=dto.tree_type,
        type_label=TYPE_LABELS.get(dto.tree_type, dto.tree_type),
        status=dto.status,
        version=dto.version,
        author_name=dto.author_name or "—",
        is_public=bool(dto.is_public),
        is_active=bool(dto.is_active),
        forked=bool(dto.parent_tree_id),
        parent_name=dto.parent_name or "",
        parent_updated=bool(dto.has_parent_updates),
        forks_count=dto.forks_count,
        problems=len(dto.validation),
        size=len(items) if isinstance(items, list) else 0,
        updated_at=dto.updated_at.isoformat(),
    )


def parse_import(raw: bytes) -> dict:
    """Decode an uploaded export file, with a sentence the author can act on when it is not JSON."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValueError("The file is larger than 5 MB; a flow export is much smaller.")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ValueError(
            "The file is not UTF-8 text; choose the .json file you exported from ResolutionFlow."
        ) from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"The file is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).") from None
    if not isinstance(data, dict):
        raise ValueError("The file must contain a JSON object exported from ResolutionFlow.")
    return data


class FlowsState(AuthState):
    """One page of visible flows plus the filters, the new-flow and import dialogs."""

    flows: list[FlowRow] = []
    total: int = 0
    page: int = 1
    q: str = ""
    type_filter: str = "all"
    status_filter: str = "all"
    author_filter: str = "all"
    show_inactive: bool = False
    authors: list[Choice] = []
    loading: bool = False
    new_open: bool = False
    new_error: str = ""
    import_open: bool = False
    import_error: str = ""

    @rx.var
    def page_count(self) -> int:
        """Number of pages for the current filters."""
        return max(1, (self.total + PAGE_SIZE - 1) // PAGE_SIZE)

    @rx.var
    def filtered(self) -> bool:
        """True when any search or filter is set."""
        return bool(self.q) or self.type_filter != "all" or self.status_filter != "all" or self.author_filter != "all"

    @rx.event
    def load(self):
        """Fetch the current page with the current filters."""
        self.loading = True
        out = self.try_call(
            trees_service.list_trees,
            q=self.q or None,
            tree_type=None if self.type_filter == "all" else self.type_filter,
            status=None if self.status_filter == "all" else self.status_filter,
            author_id=None if self.author_filter == "all" else self.author_filter,
            include_inactive=self.show_inactive,
            limit=PAGE_SIZE,
            offset=(self.page - 1) * PAGE_SIZE,
        )
        self.loading = False
        if out.error:
            return self.refused(out)
        items, self.total = out.value
        self.flows = [flow_summary(t) for t in items]
        return None

    @rx.event
    def load_authors(self):
        """The account's members, for the author filter."""
        out = self.try_call(auth_service.list_members, limit=200)
        if out.error:
            return self.refused(out)
        members, _ = out.value
        self.authors = [Choice(id=str(m.id), name=m.name) for m in members]

    def _refilter(self):
        self.page = 1
        return FlowsState.load

    @rx.event
    def set_q(self, value: str):
        """Search by name."""
        self.q = value.strip()
        return self._refilter()

    @rx.event
    def set_type_filter(self, value: str):
        """Filter by flow type."""
        self.type_filter = value
        return self._refilter()

    @rx.event
    def set_status_filter(self, value: str):
        """Filter by status."""
        self.status_filter = value
        return self._refilter()

    @rx.event
    def set_author_filter(self, value: str):
        """Filter by author."""
        self.author_filter = value
        return self._refilter()

    @rx.event
    def set_show_inactive(self, value: bool):
        """Include the account's deactivated flows."""
        self.show_inactive = value
        return self._refilter()

    @rx.event
    def clear_filters(self):
        """Back to every visible flow."""
        self.q, self.type_filter, self.status_filter, self.author_filter = "", "all", "all", "all"
        return self._refilter()

    @rx.event
    def go_page(self, delta: int):
        """Previous/next page."""
        self.page = min(max(1, self.page + delta), self.page_count)
        return FlowsState.load

    @rx.event
    def set_new_open(self, value: bool):
        """Open or close the new-flow dialog."""
        self.new_open, self.new_error = value, ""

    @rx.event
    def set_import_open(self, value: bool):
        """Open or close the import dialog."""
        self.import_open, self.import_error = value, ""

    @rx.event
    def create_flow(self, form: dict):
        """Create a draft from the dialog and open it in the editor."""
        out = self.try_call(
            trees_service.create_tree,
            name=form.get("name", ""),
            tree_type=form.get("tree_type", "troubleshooting"),
            description=form.get("description") or None,
        )
        if out.error:
            self.new_error = out.error
            return
        dto = out.value
        self.new_open = False
        return [rx.toast.success("Flow created."), rx.redirect(routes.flow_url(str(dto.id)))]

    @rx.event
    async def import_flow(self, files: list[rx.UploadFile]):
        """Import an exported JSON file as a new draft and open it."""
        self.import_error = ""
        if not files:
            self.import_error = "Choose a .json file exported from ResolutionFlow."
            return
        try:
            data = parse_import(await files[0].read())
        except ValueError as exc:
            self.import_error = str(exc)
            return
        got = await self.try_call_async(trees_service.import_tree, data=data)
        if not got.ok:
            self.import_error = got.error
            return
        dto = got.value
        self.import_open = False
        return [rx.toast.success(f"Imported “{dto.name}” as a draft."), rx.redirect(routes.flow_url(str(dto.id)))]


def _badges(flow: FlowRow) -> rx.Component:
    return rx.hstack(
        kind_badge(flow.status),
        rx.cond(
            flow.is_public,
            rx.badge(rx.icon("globe", size=12), "public", color_scheme="green", variant="outline"),
            rx.fragment(),
        ),
        rx.cond(
            flow.forked,
            rx.tooltip(
                rx.badge(rx.icon("git-fork", size=12), "forked", color_scheme="violet", variant="soft"),
                content="Forked from " + rx.cond(flow.parent_name != "", flow.parent_name, "a flow that was deleted"),
            ),
            rx.fragment(),
        ),
        rx.cond(
            flow.parent_updated,
            rx.badge(
                rx.icon("bell-dot", size=12),
                "Parent updated",
                color_scheme="amber",
                variant="solid",
                data_testid="parent-updated-badge",
            ),
            rx.fragment(),
        ),
        rx.cond(~flow.is_active, rx.badge("inactive", color_scheme="gray", variant="solid"), rx.fragment()),
        rx.cond(
            flow.problems > 0,
            rx.tooltip(
                rx.badge(
                    rx.icon("triangle-alert", size=12), flow.problems.to_string(), color_scheme="red", variant="soft"
                ),
                content="Validation problems to fix before publishing",
            ),
            rx.fragment(),
        ),
        spacing="1",
        wrap="wrap",
    )


def _row(flow: FlowRow) -> rx.Component:
    return rx.table.row(
        name_cell(
            flow.name,
            routes.FLOWS + "/" + flow.id,
            rx.cond(
                flow.description != "",
                clamped_text(flow.description, size="1", color_scheme="gray", line_height="1.5"),
                rx.fragment(),
            ),
            testid="flow-link",
            weight="medium",
        ),
        rx.table.cell(kind_badge(flow.tree_type)),
        rx.table.cell(_badges(flow)),
        rx.table.cell(rx.text(flow.author_name, size="2")),
        rx.table.cell(rx.text("v" + flow.version.to_string(), size="2", color_scheme="gray")),
        rx.table.cell(rx.moment(flow.updated_at, from_now=True, size="2")),
        data_testid="flow-row",
    )


def _new_flow_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("plus"), "New flow", data_testid="new-flow")),
        rx.dialog.content(
            rx.dialog.title("New flow"),
            rx.dialog.description(
                "A troubleshooting tree asks questions and branches; a procedure is an ordered checklist.", size="2"
            ),
            rx.form(
                rx.vstack(
                    error_callout(FlowsState.new_error),
                    field(
                        "Name",
                        rx.input(
                            name="name",
                            required=True,
                            max_length=200,
                            width="100%",
                            placeholder="e.g. Printer offline",
                            data_testid="new-flow-name",
                            auto_focus=True,
                        ),
                        hint="Up to 200 characters.",
                    ),
                    field(
                        "Type",
                        rx.select.root(
                            rx.select.trigger(width="100%", data_testid="new-flow-type"),
                            rx.select.content(
                                *[rx.select.item(label, value=value) for value, label in TYPE_LABELS.items()]
                            ),
                            name="tree_type",
                            default_value="troubleshooting",
                        ),
                    ),
                    field(
                        "Description",
                        rx.text_area(
                            name="description",
                            width="100%",
                            rows="3",
                            placeholder="When to use this flow (optional)",
                            data_testid="new-flow-description",
                        ),
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Create flow", type="submit", data_testid="new-flow-submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=FlowsState.create_flow,
                reset_on_submit=False,
            ),
        ),
        open=FlowsState.new_open,
        on_open_change=FlowsState.set_new_open,
    )


def _import_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("upload"), "Import JSON", variant="soft", data_testid="import-flow")),
        rx.dialog.content(
            rx.dialog.title("Import a flow"),
            rx.dialog.description(
                "Choose a .json file made with “Export JSON”. It becomes a new draft owned by you.", size="2"
            ),
            rx.vstack(
                error_callout(FlowsState.import_error),
                rx.upload.root(
                    rx.vstack(
                        rx.icon("file-json", size=28, color=rx.color("gray", 9)),
                        rx.text("Drop the file here or click to choose", size="2"),
                        rx.foreach(rx.selected_files("flow-import"), lambda f: rx.badge(f, variant="soft")),
                        align="center",
                        spacing="2",
                    ),
                    id="flow-import",
                    accept={"application/json": [".json"]},
                    max_files=1,
                    multiple=False,
                    border=f"1px dashed {rx.color('gray', 7)}",
                    border_radius="var(--radius-3)",
                    padding="1.5rem",
                    width="100%",
                    data_testid="import-drop",
                ),
                rx.hstack(
                    rx.dialog.close(
                        rx.button(
                            "Cancel",
                            variant="soft",
                            color_scheme="gray",
                            on_click=rx.clear_selected_files("flow-import"),
                        )
                    ),
                    rx.button(
                        "Import",
                        on_click=FlowsState.import_flow(rx.upload_files(upload_id="flow-import")),
                        data_testid="import-submit",
                    ),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
            ),
        ),
        open=FlowsState.import_open,
        on_open_change=FlowsState.set_import_open,
    )


def _filters() -> rx.Component:
    return rx.hstack(
        rx.input(
            rx.input.slot(rx.icon("search", size=16)),
            placeholder="Search flows by name…",
            value=FlowsState.q,
            on_change=FlowsState.set_q,
            debounce_timeout=350,
            width="280px",
            data_testid="flow-search",
        ),
        rx.select.root(
            rx.select.trigger(placeholder="Type", data_testid="filter-type"),
            rx.select.content(
                rx.select.item("All types", value="all"),
                *[rx.select.item(label, value=value) for value, label in TYPE_LABELS.items()],
            ),
            value=FlowsState.type_filter,
            on_change=FlowsState.set_type_filter,
        ),
        rx.select.root(
            rx.select.trigger(placeholder="Status", data_testid="filter-status"),
            rx.select.content(
                rx.select.item("Any status", value="all"),
                rx.select.item("Draft", value="draft"),
                rx.select.item("Published", value="published"),
            ),
            value=FlowsState.status_filter,
            on_change=FlowsState.set_status_filter,
        ),
        rx.select.root(
            rx.select.trigger(placeholder="Author", data_testid="filter-author"),
            rx.select.content(
                rx.select.item("Any author", value="all"),
                rx.foreach(FlowsState.authors, lambda a: rx.select.item(a.name, value=a.id)),
            ),
            value=FlowsState.author_filter,
            on_change=FlowsState.set_author_filter,
        ),
        rx.cond(
            AuthState.can_author,
            rx.hstack(
                rx.switch(checked=FlowsState.show_inactive, on_change=FlowsState.set_show_inactive, size="1"),
                rx.text("Show inactive", size="2"),
                align="center",
                spacing="2",
            ),
            rx.fragment(),
        ),
        rx.spacer(),
        rx.cond(FlowsState.loading, rx.spinner(size="2"), rx.fragment()),
        rx.text(FlowsState.total.to_string() + " flows", size="2", color_scheme="gray", data_testid="flow-total"),
        width="100%",
        align="center",
        spacing="2",
        wrap="wrap",
        padding_bottom="1rem",
    )


def _pager() -> rx.Component:
    return rx.hstack(
        rx.button(
            rx.icon("chevron-left", size=16),
            "Previous",
            variant="soft",
            size="1",
            disabled=FlowsState.page <= 1,
            on_click=FlowsState.go_page(-1),
        ),
        rx.text("Page " + FlowsState.page.to_string() + " of " + FlowsState.page_count.to_string(), size="2"),
        rx.button(
            "Next",
            rx.icon("chevron-right", size=16),
            variant="soft",
            size="1",
            disabled=FlowsState.page >= FlowsState.page_count,
            on_click=FlowsState.go_page(1),
        ),
        justify="end",
        align="center",
        width="100%",
        padding_top="0.75rem",
        spacing="3",
    )


@rx.page(
    route=routes.FLOWS,
    title="Flows · ResolutionFlow",
    on_load=[AuthState.check_login, FlowsState.load, FlowsState.load_authors],
)
def flows_page() -> rx.Component:
    """Every flow the user may see."""
    return app_layout(
        page_header(
            "Flows",
            rx.cond(AuthState.can_author, rx.hstack(_import_dialog(), _new_flow_dialog(), spacing="2"), rx.fragment()),
            subtitle="Troubleshooting trees and procedures your team runs in sessions.",
        ),
        _filters(),
        rx.cond(
            FlowsState.flows.length() > 0,
            rx.fragment(
                data_table(
                    ("Flow", "Type", "Status", "Author", "Version", "Updated"),
                    FlowsState.flows,
                    _row,
                    "flows-table",
                    phone_hidden=(1, 3, 4),
                ),
                rx.cond(FlowsState.page_count > 1, _pager(), rx.fragment()),
            ),
            rx.cond(
                FlowsState.filtered,
                empty_state(
                    "search-x",
                    "No flows match",
                    "Try another name or clear the filters.",
                    rx.button("Clear filters", variant="soft", on_click=FlowsState.clear_filters),
                ),
                empty_state(
                    "git-fork",
                    "No flows yet",
                    "Create a troubleshooting tree or a procedure, or import one exported from another ResolutionFlow.",
                ),
            ),
        ),
    )
