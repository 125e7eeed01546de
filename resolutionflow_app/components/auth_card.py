"""The centred card used by the login and sign-up pages."""

from __future__ import annotations

import reflex as rx


def auth_card(title: str, subtitle: str, *children: rx.Component) -> rx.Component:
    """The centred card used by login and sign-up."""
    return rx.center(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.icon("route", size=28, color=rx.color("accent", 9)),
                    rx.heading("ResolutionFlow", size="6"),
                    align="center",
                ),
                rx.heading(title, size="5"),
                rx.text(subtitle, color_scheme="gray", size="2"),
                *children,
                spacing="4",
                width="100%",
            ),
            size="4",
            width="100%",
            max_width="420px",
        ),
        min_height="100vh",
        padding="1rem",
        background=rx.color("gray", 2),
    )
