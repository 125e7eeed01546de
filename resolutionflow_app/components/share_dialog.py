"""The "Share" button and dialog for a session: name, visibility, expiry; the new link shown once."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app.components.badges import kind_badge
from resolutionflow_app.components.forms import error_callout, field
from resolutionflow_app.state.share_dialog import ShareDialogState as S

_EXPIRY_ITEMS = [
    ("24h", "24 hours"),
    ("7d", "7 days"),
    ("30d", "30 days"),
    ("custom", "Custom date"),
    ("never", "Never"),
]


def _visibility_picker() -> rx.Component:
    return rx.vstack(
        rx.radio_group.root(
            rx.vstack(
                rx.hstack(
                    rx.radio_group.item(
                        value="public", disabled=~S.allow_public, data_testid="share-visibility-public"
                    ),
                    rx.text(
                        "Public: anyone with the link",
                        size="2",
                        color=rx.cond(S.allow_public, rx.color("gray", 12), rx.color("gray", 8)),
                    ),
                    align="center",
                ),
                rx.hstack(
                    rx.radio_group.item(value="account", data_testid="share-visibility-account"),
                    rx.text("Account only: members who log in", size="2"),
                    align="center",
                ),
                spacing="2",
            ),
            value=S.share_visibility,
            on_change=S.set_share_visibility,
        ),
        rx.cond(
            S.allow_public,
            rx.fragment(),
            rx.callout(
                "Your organization does not allow public session sharing. Use account-only visibility.",
                icon="lock",
                color_scheme="amber",
                size="1",
                data_testid="share-public-disabled",
            ),
        ),
        spacing="2",
        width="100%",
    )


def _form() -> rx.Component:
    return rx.vstack(
        error_callout(S.share_error),
        field(
            "Name (optional)",
            rx.input(
                value=S.share_name,
                on_change=S.set_share_name,
                placeholder="Customer escalation #1234",
                max_length=100,
                width="100%",
                data_testid="share-name",
            ),
        ),
        field("Who can open it", _visibility_picker()),
        field(
            "Expires",
            rx.hstack(
                rx.select.root(
                    rx.select.trigger(data_testid="share-expiry"),
                    rx.select.content(*[rx.select.item(label, value=value) for value, label in _EXPIRY_ITEMS]),
                    value=S.share_expiry,
                    on_change=S.set_share_expiry,
                ),
                rx.cond(
                    S.share_expiry == "custom",
                    rx.input(
                        type="date",
                        value=S.share_custom_date,
                        on_change=S.set_share_custom_date,
                        data_testid="share-custom-date",
                    ),
                    rx.fragment(),
                ),
                spacing="2",
            ),
        ),
        rx.hstack(
            rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
            rx.button(
                rx.icon("link", size=16),
                "Create link",
                on_click=S.create_link,
                loading=S.share_busy,
                data_testid="share-create",
            ),
            justify="end",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def _created() -> rx.Component:
    return rx.vstack(
        rx.callout(
            "Copy this link now: for security it is shown only once.",
            icon="info",
            color_scheme="blue",
            size="1",
            width="100%",
        ),
        rx.hstack(
            rx.input(value=S.created_url, read_only=True, width="100%", data_testid="share-url"),
            rx.button(rx.icon("copy", size=16), "Copy", on_click=S.copy_link, data_testid="share-copy"),
            width="100%",
        ),
        rx.hstack(
            rx.button(rx.icon("plus", size=16), "Another link", variant="soft", on_click=S.new_link),
            rx.dialog.close(rx.button("Done", type="button")),
            justify="end",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def _existing_links() -> rx.Component:
    return rx.cond(
        S.session_links.length() > 0,
        rx.vstack(
            rx.separator(size="4"),
            rx.text("Links to this session", size="2", weight="medium"),
            rx.foreach(
                S.session_links,
                lambda link: rx.hstack(
                    rx.text(link.name, size="1", weight="medium"),
                    kind_badge(link.visibility),
                    rx.badge(
                        link.status,
                        color_scheme=rx.match(link.status, ("active", "green"), ("expired", "amber"), "red"),
                        variant="outline",
                    ),
                    rx.spacer(),
                    rx.text(
                        "expires ", link.expires, " · ", link.views.to_string(), " views", size="1", color_scheme="gray"
                    ),
                    width="100%",
                    align="center",
                ),
            ),
            rx.link("Manage all links", href="/shares", size="1"),
            spacing="2",
            padding_top="1rem",
            width="100%",
        ),
        rx.fragment(),
    )


def share_button(session_id: str | rx.Var) -> rx.Component:
    """A "Share" button that opens the share dialog for `session_id` (render once per session page)."""
    return rx.fragment(
        rx.button(
            rx.icon("share-2", size=16),
            "Share",
            variant="soft",
            on_click=S.open_share(session_id),
            data_testid="share-button",
        ),
        rx.dialog.root(
            rx.dialog.content(
                rx.dialog.title("Share a read-only link"),
                rx.dialog.description(
                    "People with the link see this session read-only: the path, answers, notes and outcome.", size="2"
                ),
                rx.box(rx.cond(S.created_url != "", _created(), _form()), padding_top="0.75rem"),
                _existing_links(),
                max_width="520px",
                data_testid="share-dialog",
            ),
            open=S.share_open,
            on_open_change=S.set_share_open,
        ),
    )
