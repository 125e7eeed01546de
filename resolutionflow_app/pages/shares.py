"""My shares: every link I created, with status and views; revoke; per-link view log and chart."""

from __future__ import annotations

import dataclasses
import uuid

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.badges import kind_badge
from resolutionflow_app.components.layout import app_layout, empty_state, page_header
from resolutionflow_app.components.tables import data_table
from resolutionflow_app.services import shares as shares_service
from resolutionflow_app.state.auth import AuthState

PAGE_SIZE = 25


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


@dataclasses.dataclass
class ShareRow:
    """One of my share links."""

    id: str = ""
    session_id: str = ""
    session: str = ""
    name: str = ""
    visibility: str = ""
    created: str = ""
    expires: str = ""
    status: str = ""
    views: int = 0
    last_viewed: str = ""


@dataclasses.dataclass
class ViewRow:
    """One opening of a share link."""

    when: str = ""
    who: str = ""
    ip: str = ""
    agent: str = ""


class SharesState(AuthState):
    """The list, the revoke confirmation and the selected link's view log."""

    items: list[ShareRow] = []
    total: int = 0
    offset: int = 0
    loading: bool = True
    revoke_id: str = ""
    revoke_label: str = ""
    selected_id: str = ""
    selected_label: str = ""
    views: list[ViewRow] = []
    views_total: int = 0
    chart: list[dict] = []

    @rx.event
    def load(self):
        """Load one page of my links."""
        self.loading = True
        got = self.try_call(shares_service.list_my_shares, limit=PAGE_SIZE, offset=self.offset)
        if not got.ok:
            self.loading = False
            return self.refused(got)
        items, self.total = got.value
        self.items = [
            ShareRow(
                id=str(i.id),
                session_id=str(i.session_id),
                session=i.session_name or "Session",
                name=i.share_name or "—",
                visibility=i.visibility,
                created=_when(i.created_at),
                expires=_when(i.expires_at) or "Never",
                status=i.status,
                views=i.view_count or 0,
                last_viewed=_when(i.last_viewed_at) or "—",
            )
            for i in items
        ]
        self.loading = False

    @rx.event
    def next_page(self):
        """Next page."""
        if self.offset + PAGE_SIZE < self.total:
            self.offset += PAGE_SIZE
            return SharesState.load

    @rx.event
    def prev_page(self):
        """Previous page."""
        if self.offset > 0:
            self.offset = max(0, self.offset - PAGE_SIZE)
            return SharesState.load

    @rx.event
    def ask_revoke(self, share_id: str, label: str):
        """Open the confirmation for revoking a link."""
        self.revoke_id, self.revoke_label = share_id, label

    @rx.event
    def cancel_revoke(self, _open: bool = False):
        """Close the confirmation."""
        self.revoke_id = ""

    @rx.event
    def confirm_revoke(self):
        """Revoke the link; it stops working at once."""
        share_id, self.revoke_id = _uuid(self.revoke_id), ""
        if share_id is None:
            return rx.toast.error("That link no longer exists.")
        got = self.try_call(shares_service.revoke_share, share_id=share_id)
        if not got.ok:
            return self.refused(got)
        return [SharesState.load, rx.toast.success("Link revoked. It no longer opens.")]

    @rx.event
    def show_views(self, share_id: str, label: str):
        """Load the view log and views-per-day chart of one link."""
        sid = _uuid(share_id)
        if sid is None:
            return rx.toast.error("That link no longer exists.")
        views = self.try_call(shares_service.list_views, share_id=sid, limit=100)
        per_day = self.try_call(shares_service.views_per_day, share_id=sid, days=30) if views.ok else views
        if not per_day.ok:
            return self.refused(per_day)
        views, self.views_total = views.value
        per_day = per_day.value
        self.selected_id, self.selected_label = share_id, label
        self.views = [
            ViewRow(
                when=_when(v.viewed_at),
                who=v.viewer_name or ("Anonymous" if v.viewer_id is None else "Former member"),
                ip=v.viewer_ip or "—",
                agent=v.viewer_user_agent or "—",
            )
            for v in views
        ]
        self.chart = [{"day": d["day"][5:], "views": d["views"]} for d in per_day]

    @rx.event
    def close_views(self, _open: bool = False):
        """Close the view log."""
        self.selected_id = ""


def _status_badge(status: rx.Var) -> rx.Component:
    return rx.badge(
        status,
        color_scheme=rx.match(status, ("active", "green"), ("expired", "amber"), ("paused", "gray"), "red"),
        variant="soft",
        data_testid="share-status",
    )


def _row(item: ShareRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(item.session, href=routes.SESSIONS + "/" + item.session_id)),
        rx.table.cell(item.name),
        rx.table.cell(kind_badge(item.visibility)),
        rx.table.cell(rx.text(item.created, size="1")),
        rx.table.cell(rx.text(item.expires, size="1")),
        rx.table.cell(_status_badge(item.status)),
        rx.table.cell(item.views.to_string()),
        rx.table.cell(rx.text(item.last_viewed, size="1")),
        rx.table.cell(
            rx.hstack(
                rx.tooltip(
                    rx.icon_button(
                        rx.icon("chart-column", size=14),
                        variant="ghost",
                        on_click=SharesState.show_views(item.id, item.name),
                        data_testid="share-views",
                    ),
                    content="View log",
                ),
                rx.cond(
                    item.status == "revoked",
                    rx.fragment(),
                    rx.tooltip(
                        rx.icon_button(
                            rx.icon("ban", size=14),
                            variant="ghost",
                            color_scheme="red",
                            on_click=SharesState.ask_revoke(item.id, item.name),
                            data_testid="share-revoke",
                        ),
                        content="Revoke",
                    ),
                ),
                spacing="2",
            )
        ),
        data_testid="share-row",
    )


def _revoke_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Revoke this link?"),
            rx.alert_dialog.description(
                rx.text(
                    "Anyone opening “",
                    SharesState.revoke_label,
                    "” will see “not found”. This cannot be undone; you can create a new link later.",
                )
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Revoke link",
                        color_scheme="red",
                        on_click=SharesState.confirm_revoke,
                        data_testid="share-revoke-confirm",
                    )
                ),
                justify="end",
                spacing="2",
                padding_top="1rem",
            ),
        ),
        open=SharesState.revoke_id != "",
        on_open_change=SharesState.cancel_revoke,
    )


def _views_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Views of “", SharesState.selected_label, "”"),
            rx.dialog.description(
                SharesState.views_total.to_string()
                + rx.cond(SharesState.views_total == 1, " view", " views")
                + " in total; the chart shows the last 30 days.",
                size="2",
            ),
            rx.recharts.bar_chart(
                rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
                rx.recharts.bar(
                    data_key="views", fill=rx.color("accent", 9), radius=[3, 3, 0, 0], is_animation_active=False
                ),
                rx.recharts.x_axis(data_key="day", font_size=10, interval="preserveStartEnd"),
                rx.recharts.y_axis(allow_decimals=False, width=30, font_size=10),
                rx.recharts.graphing_tooltip(),
                data=SharesState.chart,
                height=180,
                width="100%",
            ),
            rx.cond(
                SharesState.views.length() > 0,
                rx.scroll_area(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(*[rx.table.column_header_cell(h) for h in ("When", "Who", "IP", "Browser")])
                        ),
                        rx.table.body(
                            rx.foreach(
                                SharesState.views,
                                lambda v: rx.table.row(
                                    rx.table.cell(rx.text(v.when, size="1", white_space="nowrap")),
                                    rx.table.cell(rx.text(v.who, size="1")),
                                    rx.table.cell(rx.text(v.ip, size="1")),
                                    rx.table.cell(
                                        rx.text(
                                            v.agent,
                                            size="1",
                                            max_width="260px",
                                            overflow="hidden",
                                            text_overflow="ellipsis",
                                            white_space="nowrap",
                                            title=v.agent,
                                        )
                                    ),
                                ),
                            )
                        ),
                        size="1",
                        width="100%",
                        data_testid="share-view-log",
                    ),
                    max_height="300px",
                ),
                rx.text("Nobody has opened this link yet.", size="2", color_scheme="gray", padding_y="1rem"),
            ),
            rx.hstack(rx.dialog.close(rx.button("Close", variant="soft")), justify="end", padding_top="1rem"),
            max_width="760px",
        ),
        open=SharesState.selected_id != "",
        on_open_change=SharesState.close_views,
    )


@rx.page(route=routes.SHARES, title="Shares · ResolutionFlow", on_load=[AuthState.check_login, SharesState.load])
def shares_page() -> rx.Component:
    """My share links."""
    return app_layout(
        page_header(
            "My shares", subtitle="Read-only links you created from your sessions. Revoked links stop working at once."
        ),
        rx.cond(
            SharesState.loading,
            rx.center(rx.spinner(size="3"), padding="3rem"),
            rx.cond(
                SharesState.total == 0,
                empty_state(
                    "link",
                    "No share links yet",
                    "Open one of your sessions and press “Share” to create a read-only link.",
                    rx.link(rx.button("Go to sessions", variant="soft"), href=routes.SESSIONS),
                ),
                rx.vstack(
                    data_table(
                        ("Session", "Name", "Visibility", "Created", "Expires", "Status", "Views", "Last viewed", ""),
                        SharesState.items,
                        _row,
                        "shares-table",
                    ),
                    rx.hstack(
                        rx.text(
                            SharesState.total.to_string() + rx.cond(SharesState.total == 1, " link", " links"),
                            size="1",
                            color_scheme="gray",
                        ),
                        rx.spacer(),
                        rx.button(
                            rx.icon("chevron-left", size=14),
                            "Previous",
                            size="1",
                            variant="soft",
                            on_click=SharesState.prev_page,
                            disabled=SharesState.offset == 0,
                        ),
                        rx.button(
                            "Next",
                            rx.icon("chevron-right", size=14),
                            size="1",
                            variant="soft",
                            on_click=SharesState.next_page,
                            disabled=SharesState.offset + 25 >= SharesState.total,
                        ),
                        width="100%",
                        align="center",
                    ),
                    width="100%",
                ),
            ),
        ),
        _revoke_dialog(),
        _views_dialog(),
    )
