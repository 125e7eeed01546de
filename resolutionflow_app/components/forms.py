"""Small form helpers: labelled inputs and inline error callouts."""

from __future__ import annotations

import reflex as rx


def field(label: str, control: rx.Component, hint: str | None = None) -> rx.Component:
    """A label above a control, with an optional hint below."""
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        control,
        rx.text(hint, size="1", color_scheme="gray") if hint else rx.fragment(),
        spacing="1",
        width="100%",
    )


def error_callout(message: rx.Var) -> rx.Component:
    """A red callout shown only when `message` is non-empty."""
    return rx.cond(
        message != "",
        rx.callout(
            message, icon="triangle-alert", color_scheme="red", size="1", width="100%", data_testid="form-error"
        ),
        rx.fragment(),
    )


def char_counter(value: rx.Var, limit: int) -> rx.Component:
    """ "n / limit" under a text input, red at the limit: the limit is visible before anything is cut."""
    length = value.to(str).length()
    return rx.text(
        length.to_string() + " / " + str(limit),
        size="1",
        color_scheme=rx.cond(length >= limit, "red", "gray"),
        white_space="nowrap",
        data_testid="char-counter",
    )
