"""Public share page /share/<token>: a clean, printable, read-only view of a session."""

from __future__ import annotations

from datetime import datetime
from functools import partial

import reflex as rx

from resolutionflow_app import entry, routes
from resolutionflow_app.components.badges import kind_badge
from resolutionflow_app.services import shares as shares_service
from resolutionflow_app.state.auth import AuthState
from resolutionflow_app.state.rows import ChecklistRow, SharedCustomStep, SharedPathStep

ROUTE = "/share/[share_token]"
# The service's refusals (HTTP-like status) -> which message the page shows.
_VIEW_STATES = {404: "not_found", 400: "not_found", 410: "expired", 403: "forbidden", 401: "login", 429: "limited"}


def _fmt(value: str | None) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return value


SOURCE_LABELS = {
    "step-library": "Step library",
    "forked-tree": "Forked flow",
    "automation": "Automation result",
    "ad-hoc": "Ad-hoc",
}


class ShareViewState(AuthState):
    """Resolves the link once per page load; `outcome_state` drives which view shows."""

    view_state: str = "loading"  # loading, ok, not_found, expired, forbidden, login, limited
    share_name: str = ""
    share_visibility: str = ""
    share_expires: str = ""
    tree_name: str = ""
    tree_type: str = ""
    engineer: str = ""
    started: str = ""
    completed: str = ""
    status: str = ""
    outcome: str = ""
    summary: str = ""
    path: list[SharedPathStep] = []
    custom_steps: list[SharedCustomStep] = []
    checklist: list[ChecklistRow] = []
    problem: str = ""  # the sentence of a refusal without its own view (rate limit, database busy)

    def _token(self) -> str:
        path = self.router.url.path or ""
        return path.rsplit("/share/", 1)[-1].strip("/") if "/share/" in path else ""

    @rx.event
    def load(self):
        """Open the link with the logged-in user (if any), record the view, fill the page."""
        self.view_state, self.problem = "loading", ""
        token = self._token()
        # One budget with `GET /api/v1/shares/by-token/...` (RF_SHARE_LOOKUP_RATE_LIMIT per client IP).
        # `partial` binds the share token: `token=` of `call` is the visitor's login token.
        got = self.try_call(
            partial(shares_service.resolve_by_token, token=token),
            budget=entry.SHARE,
            login=False,
            actor_arg="viewer",
            ip=self.router.session.client_ip or None,
            user_agent=self.router.headers.user_agent,
        )
        if not got.ok:
            self.view_state, self.problem = _VIEW_STATES.get(got.status, "problem"), got.error
            if got.status == 401:
                return rx.redirect(routes.login_url(f"/share/{token}"))
            return
        got = got.value
        s = got.session.model_dump()
        self.share_name = got.share.get("share_name") or ""
        self.share_visibility = got.share.get("visibility") or ""
        self.share_expires = _fmt(got.share.get("expires_at"))
        self.tree_name, self.tree_type, self.engineer = s["tree_name"], s["tree_type"], s["engineer_name"]
        self.started, self.completed = _fmt(s["started_at"]), _fmt(s["completed_at"])
        self.status, self.outcome, self.summary = s["status"], s["outcome"] or "", s["summary"]
        self.path = [
            SharedPathStep(
                n=i + 1,
                title=h["title"],
                type=h["node_type"] or "step",
                answer=""
                if (h["node_type"] != "decision" and (h["answer"] or "").lower() in ("done", ""))
                else str(h["answer"] or ""),
                notes=str(h["notes"] or ""),
                at=_fmt(h["at"]),
            )
            for i, h in enumerate(s["history"])
        ]
        self.custom_steps = [
            SharedCustomStep(
                type=str(c["type"] or ""),
                content=c["content"],
                notes=str(c["notes"] or ""),
                source=SOURCE_LABELS.get(c["source"], "Ad-hoc"),
                after=str(c["inserted_after_title"] or ""),
            )
            for c in s["custom_steps"]
        ]
        self.checklist = [
            ChecklistRow(title=str(st["title"] or ""), type=str(st["type"] or ""), done=bool(st["done"]))
            for st in s["steps"]
            if st["type"] != "section_header"
        ]
        self.view_state = "ok"


def _meta_line(icon: str, label: str, value: rx.Var) -> rx.Component:
    return rx.cond(
        value != "",
        rx.hstack(
            rx.icon(icon, size=14, color=rx.color("gray", 10)),
            rx.text(label, size="2", color_scheme="gray"),
            rx.text(value, size="2", weight="medium"),
            spacing="2",
            align="center",
        ),
        rx.fragment(),
    )


def _path_item(item: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.center(
            rx.text(item.n.to_string(), size="1", weight="bold"),
            width="1.6rem",
            height="1.6rem",
            min_width="1.6rem",
            border_radius="50%",
            background=rx.color("accent", 3),
            color=rx.color("accent", 11),
        ),
        rx.vstack(
            rx.hstack(
                rx.text(item.title, weight="medium", size="3"),
                kind_badge(item.type),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.cond(item.answer != "", rx.text(rx.text.strong("Answer: "), item.answer, size="2"), rx.fragment()),
            rx.cond(
                item.notes != "",
                rx.text(item.notes, size="2", color_scheme="gray", white_space="pre-wrap", font_style="italic"),
                rx.fragment(),
            ),
            spacing="1",
            width="100%",
        ),
        rx.text(item.at, size="1", color_scheme="gray", white_space="nowrap"),
        spacing="3",
        width="100%",
        padding_y="0.6rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        break_inside="avoid",
    )


def _custom_item(item: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                kind_badge(item.type),
                rx.badge(
                    item.source,
                    variant="outline",
                    color_scheme=rx.cond(item.source == "Step library", "violet", "gray"),
                ),
                rx.cond(
                    item.after != "",
                    rx.text("after “", item.after, "”", size="1", color_scheme="gray"),
                    rx.fragment(),
                ),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.text(item.content, size="2", white_space="pre-wrap"),
            rx.cond(
                item.notes != "",
                rx.text(item.notes, size="2", color_scheme="gray", font_style="italic"),
                rx.fragment(),
            ),
            spacing="2",
        ),
        width="100%",
        variant="surface",
        break_inside="avoid",
    )


def _check_item(item: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.cond(
            item.done,
            rx.icon("square-check", size=16, color=rx.color("green", 9)),
            rx.icon("square", size=16, color=rx.color("gray", 8)),
        ),
        rx.text(item.title, size="2"),
        spacing="2",
        align="center",
    )


def _section(title: str, *children: rx.Component) -> rx.Component:
    return rx.vstack(rx.heading(title, size="4", padding_top="1.25rem"), *children, spacing="2", width="100%")


def _session_view() -> rx.Component:
    S = ShareViewState
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.text(
                    "Read-only session",
                    size="1",
                    color_scheme="gray",
                    weight="medium",
                    text_transform="uppercase",
                    letter_spacing="0.06em",
                ),
                rx.heading(S.tree_name, size="7", data_testid="share-tree-name"),
                rx.cond(S.share_name != "", rx.text(S.share_name, size="2", color_scheme="gray"), rx.fragment()),
                spacing="1",
            ),
            rx.spacer(),
            rx.hstack(
                rx.cond(S.outcome != "", kind_badge(S.outcome), kind_badge(S.status)),
                rx.button(
                    rx.icon("printer", size=14),
                    "Print",
                    variant="soft",
                    size="1",
                    on_click=rx.call_script("window.print()"),
                    class_name="no-print",
                ),
                spacing="2",
                align="center",
            ),
            width="100%",
            align="start",
        ),
        rx.flex(
            _meta_line("user", "Engineer", S.engineer),
            _meta_line("play", "Started", S.started),
            _meta_line("flag", "Completed", S.completed),
            _meta_line("clock", "Link expires", S.share_expires),
            wrap="wrap",
            spacing="5",
            padding_y="0.75rem",
            border_top=f"1px solid {rx.color('gray', 5)}",
            border_bottom=f"1px solid {rx.color('gray', 5)}",
            width="100%",
        ),
        rx.cond(
            S.summary != "",
            _section("Summary", rx.text(S.summary, size="3", white_space="pre-wrap", data_testid="share-summary")),
            rx.fragment(),
        ),
        rx.cond(
            S.checklist.length() > 0,
            _section("Checklist", rx.foreach(S.checklist, _check_item)),
            rx.fragment(),
        ),
        _section(
            "Path taken",
            rx.cond(
                S.path.length() > 0,
                rx.vstack(rx.foreach(S.path, _path_item), spacing="0", width="100%", data_testid="share-path"),
                rx.text("No steps were recorded.", size="2", color_scheme="gray"),
            ),
        ),
        rx.cond(
            S.custom_steps.length() > 0,
            _section(
                "Custom steps",
                rx.vstack(
                    rx.foreach(S.custom_steps, _custom_item),
                    spacing="2",
                    width="100%",
                    data_testid="share-custom-steps",
                ),
            ),
            rx.fragment(),
        ),
        rx.text("Shared from ResolutionFlow · read-only", size="1", color_scheme="gray", padding_top="2rem"),
        spacing="3",
        width="100%",
        data_testid="share-session",
    )


def _message(icon: str, title: str, text: str, testid: str, *extra: rx.Component) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=40, color=rx.color("gray", 9)),
            rx.heading(title, size="5"),
            rx.text(text, size="2", color_scheme="gray", text_align="center", max_width="380px"),
            *extra,
            align="center",
            spacing="3",
        ),
        padding_y="6rem",
        width="100%",
        data_testid=testid,
    )


@rx.page(
    route=ROUTE,
    title="Shared session · ResolutionFlow",
    on_load=ShareViewState.load,
    meta=[{"name": "robots", "content": "noindex, nofollow"}, {"name": "referrer", "content": "no-referrer"}],
)
def share_view_page() -> rx.Component:
    """A read-only session behind a share link; no app chrome, no edit controls."""
    S = ShareViewState
    return rx.box(
        rx.hstack(
            rx.icon("route", size=18, color=rx.color("accent", 9)),
            rx.text("ResolutionFlow", weight="bold", size="2"),
            spacing="2",
            align="center",
            padding_bottom="1.25rem",
            class_name="no-print",
        ),
        rx.match(
            S.view_state,
            ("ok", _session_view()),
            (
                "not_found",
                _message(
                    "link-2-off",
                    "Link not found",
                    "This share link does not exist or is no longer available. Ask the person who sent it for a new "
                    "one.",
                    "share-not-found",
                ),
            ),
            (
                "expired",
                _message(
                    "clock-alert",
                    "This link has expired",
                    "Ask the person who shared it for a new link.",
                    "share-expired",
                ),
            ),
            (
                "forbidden",
                _message(
                    "lock",
                    "You don't have access to this session",
                    "This link is limited to members of another account.",
                    "share-forbidden",
                ),
            ),
            (
                "login",
                _message(
                    "log-in",
                    "Log in to view this session",
                    "This link is limited to members of the account.",
                    "share-login",
                    rx.link(rx.button("Log in"), href=routes.LOGIN),
                ),
            ),
            ("limited", _message("timer", "Too many requests", S.problem, "share-limited")),
            ("problem", _message("circle-alert", "This link cannot be opened right now", S.problem, "share-problem")),
            rx.center(rx.spinner(size="3"), padding_y="6rem"),
        ),
        max_width="820px",
        margin="0 auto",
        padding="2rem 1.5rem",
        width="100%",
    )
