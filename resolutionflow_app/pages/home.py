"""Home page: counts and recent flows and sessions."""

from __future__ import annotations

import dataclasses

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.badges import kind_badge
from resolutionflow_app.components.layout import app_layout, empty_state, page_header
from resolutionflow_app.components.tables import data_table, name_cell
from resolutionflow_app.services.dashboard import home_dashboard
from resolutionflow_app.state.auth import AuthState


@dataclasses.dataclass
class RecentFlow:
    """A recently changed flow."""

    id: str = ""
    name: str = ""
    tree_type: str = ""
    status: str = ""
    updated_at: str = ""


@dataclasses.dataclass
class RecentSession:
    """One of the user's recent sessions."""

    id: str = ""
    tree_name: str = ""
    status: str = ""
    outcome: str = ""
    started_at: str = ""


def _typed(cls, row: dict):
    """Row `row` (JSON values) as dataclass `cls`, missing and null values as ""."""
    return cls(**{f.name: str(row.get(f.name) or "") for f in dataclasses.fields(cls)})


class HomeState(AuthState):
    """Dashboard numbers and recent items."""

    stats: dict[str, int] = {}
    recent_flows: list[RecentFlow] = []
    recent_sessions: list[RecentSession] = []
    loaded: bool = False

    @rx.event
    def load(self):
        """Fetch the dashboard for the logged-in user."""
        got = self.try_call(home_dashboard)
        if not got.ok:
            return self.refused(got)
        board = got.value.model_dump(mode="json")
        self.recent_flows = [_typed(RecentFlow, f) for f in board.pop("recent_flows")]
        self.recent_sessions = [_typed(RecentSession, s) for s in board.pop("recent_sessions")]
        self.stats = board
        self.loaded = True


def _stat(label: str, key: str, icon: str, href: str) -> rx.Component:
    return rx.link(
        rx.card(
            rx.hstack(
                rx.icon(icon, size=22, color=rx.color("accent", 9)),
                rx.vstack(
                    rx.text(label, size="2", color_scheme="gray"),
                    rx.heading(HomeState.stats[key].to_string(), size="6"),
                    spacing="0",
                ),
                align="center",
                spacing="3",
            ),
            width="100%",
        ),
        href=href,
        underline="none",
        width="100%",
    )


def _flow_row(flow: RecentFlow) -> rx.Component:
    return rx.table.row(
        name_cell(flow.name, routes.FLOWS + "/" + flow.id),
        rx.table.cell(kind_badge(flow.tree_type)),
        rx.table.cell(kind_badge(flow.status)),
        rx.table.cell(rx.moment(flow.updated_at, from_now=True)),
    )


def _session_row(item: RecentSession) -> rx.Component:
    return rx.table.row(
        name_cell(item.tree_name, routes.SESSIONS + "/" + item.id),
        rx.table.cell(kind_badge(item.status)),
        rx.table.cell(rx.cond(item.outcome != "", kind_badge(item.outcome), rx.text("—"))),
        rx.table.cell(rx.moment(item.started_at, from_now=True)),
    )


@rx.page(route=routes.HOME, title="Home · ResolutionFlow", on_load=[AuthState.check_login, HomeState.load])
def home_page() -> rx.Component:
    """The signed-in landing page."""
    return app_layout(
        page_header(
            "Welcome back, " + HomeState.user_name,
            rx.link(rx.button(rx.icon("play", size=16), "Start a session"), href=routes.SESSIONS),
            subtitle="Pick a flow to troubleshoot, or keep building your team's playbook.",
        ),
        rx.grid(
            _stat("Flows", "flows_total", "git-fork", routes.FLOWS),
            _stat("Published", "flows_published", "circle-check", routes.FLOWS),
            _stat("Library steps", "library_steps", "library", routes.LIBRARY),
            _stat("Open sessions", "sessions_open", "play", routes.SESSIONS),
            _stat("Automations", "automations", "bot", routes.AUTOMATIONS),
            columns=rx.breakpoints(initial="2", sm="3", lg="5"),
            spacing="3",
            width="100%",
        ),
        rx.heading("Recently changed flows", size="4", padding_top="1.5rem", padding_bottom="0.5rem"),
        rx.cond(
            HomeState.recent_flows.length() > 0,
            data_table(
                ("Flow", "Type", "Status", "Updated"),
                HomeState.recent_flows,
                _flow_row,
                "recent-flows",
                phone_hidden=(1,),
            ),
            empty_state(
                "git-fork",
                "No flows yet",
                "Create your first troubleshooting flow or procedure.",
                rx.link(rx.button("Go to Flows"), href=routes.FLOWS),
            ),
        ),
        rx.heading("Your recent sessions", size="4", padding_top="1.5rem", padding_bottom="0.5rem"),
        rx.cond(
            HomeState.recent_sessions.length() > 0,
            data_table(
                ("Flow", "Status", "Outcome", "Started"),
                HomeState.recent_sessions,
                _session_row,
                "recent-sessions",
                phone_hidden=(3,),
            ),
            empty_state(
                "play",
                "No sessions yet",
                "Start a session from a published flow to troubleshoot a ticket live.",
                rx.link(rx.button(rx.icon("play", size=16), "Start a session"), href=routes.SESSIONS),
            ),
        ),
    )
