"""A destructive action behind a confirmation dialog (Escape or "Keep" cancels)."""

from __future__ import annotations

import reflex as rx


def confirm_action(
    trigger: rx.Component,
    title: str | rx.Var,
    description: str,
    confirm_label: str,
    on_confirm,
    confirm_testid: str | None = None,
) -> rx.Component:
    """`trigger` opens a dialog that runs `on_confirm` only after the red confirm button."""
    props = {"data_testid": confirm_testid} if confirm_testid else {}
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(confirm_label, color_scheme="red", on_click=on_confirm, **props)),
                justify="end",
                spacing="2",
                padding_top="1rem",
            ),
        ),
    )
