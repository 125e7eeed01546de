"""The app shell: sidebar navigation, header with user menu and colour-mode toggle."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.state.auth import AuthState

NAV_ITEMS = [
    ("Home", routes.HOME, "house"),
    ("Flows", routes.FLOWS, "git-fork"),
    ("Library", routes.LIBRARY, "library"),
    ("Sessions", routes.SESSIONS, "play"),
    ("Automations", routes.AUTOMATIONS, "bot"),
    ("Shares", routes.SHARES, "link"),
    ("Analytics", routes.ANALYTICS, "chart-column"),
    ("Account", routes.ACCOUNT, "users"),
]


def _nav_link(label: str, href: str, icon: str) -> rx.Component:
    path = AuthState.router.url.path
    active = (path == href) if href == "/" else path.startswith(href)
    return rx.link(
        rx.hstack(rx.icon(icon, size=16), rx.text(label, size="2", weight="medium"), spacing="2", align="center"),
        href=href,
        underline="none",
        padding_x="0.75rem",
        padding_y="0.5rem",
        border_radius="var(--radius-3)",
        width="100%",
        color=rx.cond(active, rx.color("accent", 11), rx.color("gray", 11)),
        background=rx.cond(active, rx.color("accent", 3), "transparent"),
        _hover={"background": rx.color("gray", 3)},
        data_testid=f"nav-{label.lower()}",
    )


def sidebar() -> rx.Component:
    """The left navigation column: full page height, its content sticky while the page scrolls."""
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.icon("route", size=22, color=rx.color("accent", 9)),
                rx.heading("ResolutionFlow", size="4", weight="bold"),
                align="center",
                spacing="2",
                padding_x="0.75rem",
                padding_bottom="1rem",
            ),
            *[_nav_link(*item) for item in NAV_ITEMS],
            rx.spacer(),
            rx.text(AuthState.account_name, size="1", color_scheme="gray", padding_x="0.75rem"),
            spacing="1",
            height="100vh",
            position="sticky",
            top="0",
            padding="1rem 0.5rem",
        ),
        width="220px",
        min_width="220px",
        min_height="100vh",
        align_self="stretch",
        border_right=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 2),
        class_name="no-print",
        # Phones get the navigation from the top bar's menu, and the page gets the whole width.
        display=rx.breakpoints(initial="none", md="block"),
    )


def mobile_nav() -> rx.Component:
    """The navigation as a menu in the top bar, on screens too narrow for the sidebar."""
    return rx.box(
        rx.menu.root(
            rx.menu.trigger(
                rx.icon_button(
                    rx.icon("menu", size=18), variant="ghost", aria_label="Open navigation", data_testid="mobile-nav"
                )
            ),
            rx.menu.content(
                *[
                    rx.menu.item(
                        rx.hstack(rx.icon(icon, size=14), rx.text(label), spacing="2", align="center"),
                        on_click=rx.redirect(href),
                    )
                    for label, href, icon in NAV_ITEMS
                ]
            ),
        ),
        display=rx.breakpoints(initial="block", md="none"),
    )


def user_menu() -> rx.Component:
    """Avatar with name, role and the logout action."""
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.avatar(fallback=AuthState.user_initials, size="1", radius="full"),
                rx.text(AuthState.user_name, size="2"),
                variant="ghost",
                data_testid="user-menu",
            )
        ),
        rx.menu.content(
            rx.menu.item(rx.text(AuthState.user_email, size="1"), disabled=True),
            rx.menu.item(rx.badge(AuthState.user_role), disabled=True),
            rx.menu.separator(),
            rx.menu.item("Account", on_click=rx.redirect(routes.ACCOUNT)),
            rx.menu.item("Sync with a server", on_click=rx.redirect(routes.ACCOUNT_SYNC), data_testid="menu-sync"),
            rx.menu.item("Log out", color="red", on_click=AuthState.logout, data_testid="logout"),
        ),
    )


def page_header(title: str | rx.Var, *actions: rx.Component, subtitle: str | rx.Var | None = None) -> rx.Component:
    """Title row of a page with its primary actions on the right."""
    return rx.hstack(
        rx.vstack(
            rx.heading(title, size="6"),
            rx.text(subtitle, color_scheme="gray", size="2") if subtitle is not None else rx.fragment(),
            spacing="1",
        ),
        rx.spacer(),
        rx.hstack(*actions, spacing="2", align="center", wrap="wrap", justify="end"),
        width="100%",
        align="center",
        wrap="wrap",
        padding_bottom="1rem",
    )


def app_layout(*children: rx.Component, max_width: str = "1200px") -> rx.Component:
    """Sidebar + header + content, shown only once the login check passed."""
    return rx.cond(
        AuthState.is_logged_in,
        rx.hstack(
            sidebar(),
            rx.vstack(
                rx.hstack(
                    mobile_nav(),
                    rx.spacer(),
                    rx.color_mode.button(variant="ghost", data_testid="color-mode"),
                    user_menu(),
                    width="100%",
                    padding="0.75rem 1.5rem",
                    border_bottom=f"1px solid {rx.color('gray', 4)}",
                    class_name="no-print",
                ),
                rx.box(
                    *children, padding=rx.breakpoints(initial="1rem", md="1.5rem"), width="100%", max_width=max_width
                ),
                width="100%",
                min_width="0",
                spacing="0",
                min_height="100vh",
            ),
            spacing="0",
            width="100%",
            align="start",
        ),
        rx.center(rx.spinner(size="3"), height="100vh"),
    )


def empty_state(icon: str, title: str, hint: str, *actions: rx.Component) -> rx.Component:
    """What a list shows when it has nothing yet, and what to do next."""
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=36, color=rx.color("gray", 8)),
            rx.heading(title, size="4"),
            rx.text(hint, color_scheme="gray", size="2", text_align="center", max_width="420px"),
            rx.hstack(*actions, spacing="2"),
            align="center",
            spacing="3",
        ),
        padding="3rem",
        width="100%",
        border=f"1px dashed {rx.color('gray', 6)}",
        border_radius="var(--radius-4)",
    )
