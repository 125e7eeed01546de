"""Sessions page: your and your account's sessions with filters, and the "Start session" flow picker."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time
from typing import ClassVar

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.badges import kind_badge
from resolutionflow_app.components.layout import app_layout, empty_state, page_header
from resolutionflow_app.components.library_widgets import (
    id_select,
    pager,
    static_select,
)
from resolutionflow_app.components.tables import clamp, data_table, name_cell
from resolutionflow_app.services import sessions as sessions_service
from resolutionflow_app.services import trees as trees_service
from resolutionflow_app.state.auth import AuthState
from resolutionflow_app.state.paging import PagedListMixin
from resolutionflow_app.state.rows import Choice, SessionRow

PAGE_SIZE = 25
SCOPES = [("mine", "My sessions"), ("account", "Whole account")]
OUTCOMES = [
    ("all", "Any outcome"),
    ("open", "In progress"),
    ("resolved", "Resolved"),
    ("escalated", "Escalated"),
    ("abandoned", "Abandoned"),
]


def _day(value: str, end: bool = False) -> datetime | None:
    """A yyyy-mm-dd input as the start (or end) of that UTC day."""
    try:
        return datetime.combine(date.fromisoformat(value), time.max if end else time.min, tzinfo=UTC)
    except ValueError:
        return None


@dataclasses.dataclass
class FlowChoice(Choice):
    """A published flow of the filter and the start-session picker."""

    tree_type: str = ""
    description: str = ""


def _row(s) -> SessionRow:
    d = s.model_dump(mode="json")
    return SessionRow(**{f.name: str(d.get(f.name) or "") for f in dataclasses.fields(SessionRow)})


class SessionsState(PagedListMixin, AuthState):
    """One page of sessions, the filters, and the start-session picker."""

    items: list[SessionRow] = []
    total: int = 0
    PAGE_SIZE: ClassVar[int] = PAGE_SIZE
    FILTERS: ClassVar[frozenset[str]] = frozenset({"scope", "q", "tree_id", "outcome", "date_from", "date_to"})
    scope: str = "mine"
    q: str = ""
    tree_id: str = "all"
    outcome: str = "all"
    date_from: str = ""
    date_to: str = ""
    flows: list[FlowChoice] = []
    picker_open: bool = False
    picker_q: str = ""
    starting: str = ""

    @rx.event
    def load(self):
        """on_load: the published flows (filter + picker), then the first page."""
        got = self.try_call(trees_service.list_trees, status="published", limit=500)
        if not got.ok:
            return self.refused(got)
        flows, _ = got.value
        self.flows = [
            FlowChoice(id=str(f.id), name=f.name, tree_type=f.tree_type, description=f.description or "") for f in flows
        ]
        self.offset = 0
        # `?new=1` (the desktop menu's "New session") opens the flow picker at once.
        self.picker_open = self.router.url.query_parameters.get("new") == "1"
        return SessionsState.fetch

    @rx.event
    def fetch(self):
        """Load the current page with the current filters."""
        status, outcome = (
            ("in_progress", None) if self.outcome == "open" else (None, None if self.outcome == "all" else self.outcome)
        )
        got = self.try_call(
            sessions_service.list_sessions,
            scope=self.scope,
            q=self.q,
            tree_id=None if self.tree_id == "all" else self.tree_id,
            outcome=outcome,
            status=status,
            date_from=_day(self.date_from),
            date_to=_day(self.date_to, end=True),
            limit=PAGE_SIZE,
            offset=self.offset,
        )
        if not got.ok:
            return self.refused(got)
        items, self.total = got.value
        self.items = [_row(s) for s in items]

    @rx.event
    def set_picker_open(self, value: bool):
        """Open/close the start-session picker."""
        self.picker_open, self.picker_q = value, ""

    @rx.event
    def set_picker_q(self, value: str):
        """Filter the picker's flows."""
        self.picker_q = value

    @rx.var
    def picker_flows(self) -> list[FlowChoice]:
        """Published flows matching the picker's search."""
        q = self.picker_q.strip().lower()
        return [f for f in self.flows if not q or q in f.name.lower() or q in f.description.lower()]

    @rx.event
    def start(self, tree_id: str):
        """Start a session on a flow and open the runner."""
        self.starting = tree_id
        got = self.try_call(sessions_service.start_session, tree_id=tree_id)
        if not got.ok:
            self.starting = ""
            return self.refused(got)
        started = got.value
        self.starting, self.picker_open = "", False
        return rx.redirect(routes.session_url(str(started.id)))


def _flow_option(f: FlowChoice) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.hstack(
                rx.text(f.name, weight="medium", style=clamp(2), title=f.name),
                kind_badge(f.tree_type),
                spacing="2",
                align="center",
                max_width="100%",
            ),
            rx.text(f.description, size="1", color_scheme="gray", style=clamp(2)),
            spacing="1",
            align="start",
            min_width="0",
        ),
        rx.spacer(),
        rx.button(
            rx.icon("play", size=14),
            "Start",
            size="2",
            loading=SessionsState.starting == f.id,
            on_click=SessionsState.start(f.id),
            data_testid="start-flow-" + f.name,
        ),
        width="100%",
        align="center",
        padding="0.5rem 0.25rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def _picker() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("play", size=16), "Start session", data_testid="start-session")),
        rx.dialog.content(
            rx.dialog.title("Start a session"),
            rx.dialog.description("Pick a published flow to work through live.", size="2", color_scheme="gray"),
            rx.input(
                rx.input.slot(rx.icon("search", size=16)),
                placeholder="Find a flow…",
                value=SessionsState.picker_q,
                on_change=SessionsState.set_picker_q,
                margin_y="0.75rem",
                data_testid="picker-search",
            ),
            rx.scroll_area(
                rx.cond(
                    SessionsState.picker_flows.length() > 0,
                    rx.vstack(rx.foreach(SessionsState.picker_flows, _flow_option), spacing="0", width="100%"),
                    rx.text(
                        "No published flows match. Publish a flow first on the Flows page.",
                        size="2",
                        color_scheme="gray",
                    ),
                ),
                max_height="360px",
                type="auto",
            ),
            max_width="560px",
        ),
        open=SessionsState.picker_open,
        on_open_change=SessionsState.set_picker_open,
    )


def _session_row(item: SessionRow) -> rx.Component:
    return rx.table.row(
        name_cell(item.tree_name, routes.SESSIONS + "/" + item.id, testid="session-link"),
        rx.table.cell(kind_badge(item.tree_type)),
        rx.table.cell(item.user_name),
        rx.table.cell(kind_badge(item.status)),
        rx.table.cell(rx.cond(item.outcome != "", kind_badge(item.outcome), rx.text("—", color_scheme="gray"))),
        rx.table.cell(rx.moment(item.started_at, from_now=True)),
    )


@rx.page(route=routes.SESSIONS, title="Sessions · ResolutionFlow", on_load=[AuthState.check_login, SessionsState.load])
def sessions_page() -> rx.Component:
    """Sessions list and the start picker."""
    return app_layout(
        page_header("Sessions", _picker(), subtitle="Live troubleshooting and checklists, with the full path taken."),
        rx.flex(
            rx.input(
                rx.input.slot(rx.icon("search", size=14)),
                placeholder="Search flow name or summary",
                value=SessionsState.q,
                on_change=lambda v: SessionsState.set_filter("q", v),
                debounce_timeout=350,
                width="240px",
                data_testid="sessions-search",
            ),
            rx.segmented_control.root(
                *[rx.segmented_control.item(label, value=v) for v, label in SCOPES],
                value=SessionsState.scope,
                on_change=lambda v: SessionsState.set_filter("scope", v),
                data_testid="filter-scope",
            ),
            id_select(
                SessionsState.tree_id,
                lambda v: SessionsState.set_filter("tree_id", v),
                SessionsState.flows,
                "All flows",
                "filter-flow",
                "200px",
            ),
            static_select(
                SessionsState.outcome,
                lambda v: SessionsState.set_filter("outcome", v),
                OUTCOMES,
                "filter-outcome",
                "150px",
            ),
            rx.hstack(
                rx.text("From", size="2", color_scheme="gray"),
                rx.input(
                    type="date",
                    value=SessionsState.date_from,
                    on_change=lambda v: SessionsState.set_filter("date_from", v),
                    data_testid="filter-from",
                ),
                rx.text("to", size="2", color_scheme="gray"),
                rx.input(
                    type="date",
                    value=SessionsState.date_to,
                    on_change=lambda v: SessionsState.set_filter("date_to", v),
                    data_testid="filter-to",
                ),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            wrap="wrap",
            spacing="3",
            align="center",
            padding_bottom="1rem",
        ),
        rx.cond(
            SessionsState.items.length() > 0,
            data_table(
                ("Flow", "Type", "Engineer", "Status", "Outcome", "Started"),
                SessionsState.items,
                _session_row,
                "sessions-table",
                phone_hidden=(1, 2, 5),
            ),
            empty_state(
                "play",
                "No sessions here",
                "Start a session from a published flow to troubleshoot a ticket live, or widen the filters.",
                rx.button("Start session", on_click=SessionsState.set_picker_open(True)),
            ),
        ),
        pager(
            SessionsState.offset,
            PAGE_SIZE,
            SessionsState.total,
            SessionsState.page_by(-1),
            SessionsState.page_by(1),
            "sessions-pager",
        ),
    )
