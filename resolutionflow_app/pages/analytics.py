"""Analytics page: most-used library steps and popular ad-hoc steps with one-click "Promote to library"."""

from __future__ import annotations

import dataclasses

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.badges import kind_badge
from resolutionflow_app.components.layout import app_layout, empty_state, page_header
from resolutionflow_app.components.library_widgets import pager, rating_text
from resolutionflow_app.components.tables import data_table
from resolutionflow_app.services import analytics as analytics_service
from resolutionflow_app.state.auth import AuthState

PAGE_SIZE = 20


@dataclasses.dataclass
class TopStep:
    """A most-used library step (rating fields as the shared rating widget shows them)."""

    id: str = ""
    title: str = ""
    step_type: str = ""
    usage_count: int = 0
    rating_avg: str = "0"
    rating_count: str = "0"
    source_tree_name: str = ""


@dataclasses.dataclass
class AdHocRow:
    """An ad-hoc step typed in several sessions."""

    content: str = ""
    sessions_count: int = 0
    last_used_at: str = ""


@dataclasses.dataclass
class AutomationUse:
    """An automation run from sessions."""

    automation_id: str = ""
    name: str = ""
    runs: int = 0
    completed: int = 0
    failed: int = 0
    sessions: int = 0


class AnalyticsState(AuthState):
    """Top library steps and one page of popular ad-hoc steps."""

    top_steps: list[TopStep] = []
    ad_hoc: list[AdHocRow] = []
    ad_hoc_total: int = 0
    offset: int = 0
    promoting: str = ""
    automations: list[AutomationUse] = []

    @rx.event
    def load(self):
        """on_load: both lists."""
        got = self.try_call(analytics_service.most_used_steps, limit=10)
        if not got.ok:
            return self.refused(got)
        top = got.value
        self.top_steps = [
            TopStep(
                id=str(s.id),
                title=s.title,
                step_type=s.step_type,
                usage_count=s.usage_count or 0,
                rating_avg=f"{s.rating_avg:.1f}" if s.rating_avg else "0",
                rating_count=str(s.rating_count or 0),
                source_tree_name=s.source_tree_name or "",
            )
            for s in top
        ]
        self.offset = 0
        runs = self.try_call(analytics_service.automations_in_sessions)
        if not runs.ok:
            return self.refused(runs)
        self.automations = [
            AutomationUse(
                automation_id=str(a.automation_id),
                name=str(a.get("name") or ""),
                runs=int(a.get("runs") or 0),
                completed=int(a.get("completed") or 0),
                failed=int(a.get("failed") or 0),
                sessions=int(a.get("sessions") or 0),
            )
            for a in runs.value
        ]
        return AnalyticsState.fetch_ad_hoc

    @rx.event
    def fetch_ad_hoc(self):
        """One page of ad-hoc steps typed in several sessions."""
        got = self.try_call(analytics_service.popular_ad_hoc_steps, limit=PAGE_SIZE, offset=self.offset)
        if not got.ok:
            return self.refused(got)
        items, self.ad_hoc_total = got.value
        self.ad_hoc = [
            AdHocRow(
                content=str(i.get("content") or ""),
                sessions_count=int(i.get("sessions_count") or 0),
                last_used_at=str(i.get("last_used_at") or ""),
            )
            for i in (x if isinstance(x, dict) else x.model_dump(mode="json") for x in items)
        ]

    @rx.event
    def page_by(self, delta: int):
        """Previous/next page of ad-hoc steps."""
        self.offset = max(0, self.offset + delta * PAGE_SIZE)
        return AnalyticsState.fetch_ad_hoc

    @rx.event
    def promote(self, content: str):
        """Create a manual library step from an ad-hoc step's text."""
        self.promoting = content
        got = self.try_call(analytics_service.promote_ad_hoc_step, content=content)
        self.promoting = ""
        if not got.ok:
            return self.refused(got)
        step = got.value
        return [AnalyticsState.load, rx.toast.success(f"“{step.title}” added to the library.")]


def _top_row(s: TopStep) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.hstack(kind_badge(s.step_type), rx.text(s.title), spacing="2", align="center")),
        rx.table.cell(
            rx.cond(
                s.source_tree_name != "",
                rx.text(s.source_tree_name, size="2"),
                rx.text("Manual", size="2", color_scheme="gray"),
            )
        ),
        rx.table.cell(rx.text(s.usage_count.to_string(), weight="bold")),
        rx.table.cell(rating_text(s.rating_avg, s.rating_count)),
    )


def _ad_hoc_row(a: AdHocRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(a.content, size="2", white_space="pre-wrap")),
        rx.table.cell(rx.text(a.sessions_count.to_string(), weight="bold")),
        rx.table.cell(rx.cond(a.last_used_at != "", rx.moment(a.last_used_at, from_now=True), rx.text("—"))),
        rx.table.cell(
            rx.button(
                rx.icon("arrow-up-from-line", size=14),
                "Promote to library",
                size="1",
                variant="soft",
                loading=AnalyticsState.promoting == a.content,
                on_click=AnalyticsState.promote(a.content),
                data_testid="promote",
            ),
        ),
    )


def _automation_row(a: AutomationUse) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link(
                rx.text(a.name, size="2", overflow_wrap="anywhere"),
                href=routes.AUTOMATIONS + "/" + a.automation_id + "/overview",
            )
        ),
        rx.table.cell(rx.text(a.runs.to_string(), weight="bold")),
        rx.table.cell(rx.text(a.completed.to_string(), color_scheme="green")),
        rx.table.cell(rx.text(a.failed.to_string(), color_scheme="red")),
        rx.table.cell(rx.text(a.sessions.to_string())),
    )


@rx.page(
    route=routes.ANALYTICS, title="Analytics · ResolutionFlow", on_load=[AuthState.check_login, AnalyticsState.load]
)
def analytics_page() -> rx.Component:
    """Library usage and ad-hoc step analytics."""
    return app_layout(
        page_header("Analytics", subtitle="What your engineers actually use, and what they keep typing by hand."),
        rx.heading("Most-used library steps", size="4", padding_bottom="0.5rem"),
        rx.cond(
            AnalyticsState.top_steps.length() > 0,
            data_table(("Step", "Source", "Uses", "Rating"), AnalyticsState.top_steps, _top_row, "top-steps"),
            empty_state(
                "library",
                "No library steps used yet",
                "Insert library steps into live sessions and they are counted here.",
                rx.link(rx.button("Open the library"), href=routes.LIBRARY),
            ),
        ),
        rx.heading("Automations run in sessions", size="4", padding_top="1.5rem", padding_bottom="0.5rem"),
        rx.cond(
            AnalyticsState.automations.length() > 0,
            data_table(
                ("Automation", "Runs", "Completed", "Failed", "Sessions"),
                AnalyticsState.automations,
                _automation_row,
                "session-automations",
            ),
            rx.text(
                "None yet. Link an automation to a flow step (flow editor, side panel) and engineers can run it "
                "during a session.",
                size="2",
                color_scheme="gray",
            ),
        ),
        rx.heading("Popular ad-hoc steps", size="4", padding_top="1.5rem", padding_bottom="0.25rem"),
        rx.text(
            "Steps engineers typed by hand in more than one session. Promote one to make it reusable.",
            size="2",
            color_scheme="gray",
            padding_bottom="0.5rem",
        ),
        rx.cond(
            AnalyticsState.ad_hoc.length() > 0,
            rx.vstack(
                data_table(
                    ("Step text", "Sessions", "Last used", ""), AnalyticsState.ad_hoc, _ad_hoc_row, "ad-hoc-steps"
                ),
                pager(
                    AnalyticsState.offset,
                    PAGE_SIZE,
                    AnalyticsState.ad_hoc_total,
                    AnalyticsState.page_by(-1),
                    AnalyticsState.page_by(1),
                    "ad-hoc-pager",
                ),
                width="100%",
            ),
            empty_state(
                "pencil-line",
                "No repeated ad-hoc steps yet",
                "When the same typed step shows up in several sessions it appears here.",
            ),
        ),
    )
