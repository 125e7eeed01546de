"""Automation builder page: run form, step cards, autosave status, publish/unpublish, webhook signing secret."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.automation_step_card import step_card
from resolutionflow_app.components.automation_tabs import automation_tabs
from resolutionflow_app.components.badges import kind_badge
from resolutionflow_app.components.confirm import confirm_action
from resolutionflow_app.components.forms import char_counter
from resolutionflow_app.components.layout import app_layout
from resolutionflow_app.domain.automation_rules import FORM_FIELD_TYPES
from resolutionflow_app.state.auth import AuthState
from resolutionflow_app.state.automation_builder import BuilderState, FieldRow

S = BuilderState


def _status_line() -> rx.Component:
    return rx.match(
        S.save_status,
        (
            "saving",
            rx.hstack(
                rx.spinner(size="1"),
                rx.text("Saving…", size="2", color_scheme="gray"),
                align="center",
                data_testid="save-status",
            ),
        ),
        (
            "error",
            rx.hstack(
                rx.icon("circle-alert", size=16, color=rx.color("red", 10)),
                rx.text("Not saved", size="2", color_scheme="red", weight="medium"),
                rx.button(
                    "Retry",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=S.retry_save,
                    data_testid="retry-save",
                ),
                align="center",
                data_testid="save-status",
            ),
        ),
        rx.hstack(
            rx.icon("check", size=16, color=rx.color("green", 10)),
            rx.text("Saved", size="2", color_scheme="gray"),
            align="center",
            data_testid="save-status",
        ),
    )


def _field_row(row: FieldRow) -> rx.Component:
    return rx.hstack(
        rx.input(
            value=row.label,
            on_change=lambda v: S.set_field(row.index, "label", v),
            debounce_timeout=600,
            placeholder="Label, e.g. Namn på brukare",
            disabled=~S.can_edit,
            flex="2 1 200px",
            min_width="0",
            aria_label="Field label",
            data_testid="field-label",
        ),
        rx.el.select(
            *[rx.el.option(t, value=t) for t in FORM_FIELD_TYPES],
            value=row.type,
            on_change=lambda v: S.set_field(row.index, "type", v),
            disabled=~S.can_edit,
            aria_label="Field type",
            data_testid="field-type",
            style={
                "padding": "6px",
                "border_radius": "6px",
                "border": "1px solid var(--gray-6)",
                "background": "var(--color-panel-solid)",
            },
        ),
        rx.cond(
            row.type == "select",
            rx.input(
                value=row.options,
                on_change=lambda v: S.set_field(row.index, "options", v),
                debounce_timeout=800,
                placeholder="Options, comma-separated",
                disabled=~S.can_edit,
                flex="2 1 180px",
                min_width="0",
                aria_label="Options",
                data_testid="field-options",
            ),
            rx.fragment(),
        ),
        rx.el.label(
            rx.checkbox(
                checked=row.required,
                on_change=lambda v: S.toggle_required(row.index, v),
                disabled=~S.can_edit,
                data_testid="field-required",
            ),
            rx.text("Required", size="2"),
            style={"display": "flex", "gap": "4px", "align_items": "center"},
        ),
        rx.code(
            "{{" + row.id + "}}",
            size="1",
            color_scheme="gray",
            max_width="220px",
            overflow="hidden",
            text_overflow="ellipsis",
            white_space="nowrap",
            title=row.id,
        ),
        rx.icon_button(
            rx.icon("arrow-up", size=14),
            size="1",
            variant="ghost",
            on_click=S.move_field(row.index, -1),
            disabled=~S.can_edit,
            aria_label="Move field up",
        ),
        rx.icon_button(
            rx.icon("arrow-down", size=14),
            size="1",
            variant="ghost",
            on_click=S.move_field(row.index, 1),
            disabled=~S.can_edit,
            aria_label="Move field down",
        ),
        rx.icon_button(
            rx.icon("x", size=14),
            size="1",
            variant="ghost",
            color_scheme="red",
            on_click=S.delete_field(row.index),
            disabled=~S.can_edit,
            aria_label="Remove field",
        ),
        width="100%",
        wrap="wrap",
        align="center",
        spacing="2",
        data_testid="form-field",
    )


def _publish_buttons() -> rx.Component:
    return rx.cond(
        S.can_edit,
        rx.hstack(
            rx.cond(
                S.published,
                confirm_action(
                    rx.button(
                        rx.icon("eye-off", size=14),
                        "Unpublish",
                        variant="soft",
                        color_scheme="gray",
                        data_testid="unpublish-automation",
                    ),
                    "Unpublish this automation?",
                    "Engineers can no longer start it. Runs already queued finish; publishing again restores the "
                    "same version.",
                    "Unpublish",
                    S.unpublish,
                    confirm_testid="confirm-unpublish",
                ),
                rx.fragment(),
            ),
            rx.button(
                rx.icon("rocket", size=14),
                rx.cond(S.published, "Publish changes", "Publish"),
                on_click=S.publish,
                disabled=(S.save_status != "saved") | (S.published & ~S.has_unpublished_changes),
                data_testid="publish-automation",
            ),
            spacing="2",
        ),
        rx.fragment(),
    )


def _header() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.link(
                rx.hstack(
                    rx.icon("arrow-left", size=14), rx.text("Automations", size="2"), spacing="1", align="center"
                ),
                href=routes.AUTOMATIONS,
                underline="none",
            ),
            rx.spacer(),
            rx.cond(
                S.can_edit,
                _status_line(),
                rx.badge("Read-only: engineers can run automations but not change them", color_scheme="gray"),
            ),
            width="100%",
            align="center",
        ),
        rx.hstack(
            rx.input(
                value=S.name,
                on_change=S.set_name,
                debounce_timeout=600,
                size="3",
                variant="soft",
                font_weight="bold",
                max_length=200,
                disabled=~S.can_edit,
                flex="1 1 240px",
                min_width="0",
                aria_label="Automation name",
                data_testid="automation-name-input",
            ),
            rx.cond(S.can_edit, char_counter(S.name, 200), rx.fragment()),
            rx.cond(S.published, kind_badge("published"), kind_badge("draft")),
            rx.cond(
                S.published_version > 0,
                rx.badge(
                    "Pinned: version " + S.published_version.to_string(),
                    color_scheme=rx.cond(S.published, "green", "gray"),
                    data_testid="pinned-version",
                ),
                rx.fragment(),
            ),
            rx.cond(
                S.has_unpublished_changes & S.published,
                rx.badge("Unpublished changes", color_scheme="amber"),
                rx.fragment(),
            ),
            width="100%",
            align="center",
            wrap="wrap",
            spacing="2",
        ),
        automation_tabs(S.automation_id, "build"),
        rx.cond(
            S.save_error != "",
            rx.callout(
                "Not saved — " + S.save_error,
                icon="triangle-alert",
                color_scheme="red",
                size="1",
                width="100%",
                data_testid="save-error",
            ),
            rx.fragment(),
        ),
        rx.hstack(
            rx.link(
                rx.button(rx.icon("play", size=14), "Run", variant="soft"),
                href=routes.AUTOMATIONS + "/" + S.automation_id + "/run",
                data_testid="run-link",
            ),
            _publish_buttons(),
            spacing="2",
            justify="end",
            width="100%",
            wrap="wrap",
        ),
        width="100%",
        spacing="3",
    )


def _webhook_signing() -> rx.Component:
    return rx.cond(
        S.has_webhook & S.can_edit,
        rx.card(
            rx.hstack(
                rx.vstack(
                    rx.text("Webhook signing", size="3", weight="bold"),
                    rx.text(
                        "Receivers check each delivery's webhook-signature header with this automation's signing "
                        "secret. "
                        "A new secret is shown once; deliveries after that are signed with it.",
                        size="2",
                        color_scheme="gray",
                    ),
                    spacing="1",
                    flex="1",
                    min_width="0",
                ),
                confirm_action(
                    rx.button(
                        rx.icon("key-round", size=14),
                        "New signing secret",
                        variant="soft",
                        data_testid="new-webhook-secret",
                    ),
                    "Make a new signing secret?",
                    "Receivers still using the old secret will reject deliveries until they are updated with the new "
                    "one.",
                    "Make new secret",
                    S.new_webhook_secret,
                    confirm_testid="confirm-new-secret",
                ),
                width="100%",
                align="center",
                wrap="wrap",
                spacing="3",
            ),
            width="100%",
        ),
        rx.fragment(),
    )


def _secret_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Your new signing secret"),
            rx.dialog.description(
                "Copy it into the webhook receiver now. It is not shown again; make a new one if it is lost.", size="2"
            ),
            rx.hstack(
                rx.code(
                    S.shown_secret,
                    size="2",
                    overflow_wrap="anywhere",
                    word_break="break-all",
                    flex="1",
                    min_width="0",
                    data_testid="shown-secret",
                ),
                rx.button(rx.icon("copy", size=14), "Copy", on_click=S.copy_secret, data_testid="copy-secret"),
                width="100%",
                align="center",
                spacing="2",
                padding_y="12px",
            ),
            rx.hstack(rx.dialog.close(rx.button("Done", variant="soft")), justify="end"),
        ),
        open=S.shown_secret != "",
        on_open_change=S.close_secret,
    )


def _share_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Share this step's assistant"),
            rx.dialog.description(
                "Other steps and automations can then use it with “Use existing assistant”. Changing it later "
                "changes it everywhere.",
                size="2",
            ),
            rx.form(
                rx.vstack(
                    rx.input(
                        name="name",
                        placeholder="Assistant name, e.g. Ticket summariser",
                        max_length=200,
                        required=True,
                        auto_focus=True,
                        width="100%",
                        aria_label="Assistant name",
                        data_testid="share-assistant-name",
                    ),
                    rx.hstack(
                        rx.button(
                            "Cancel",
                            type="button",
                            variant="soft",
                            color_scheme="gray",
                            on_click=S.cancel_share_assistant,
                        ),
                        rx.button("Share", type="submit", data_testid="confirm-share-assistant"),
                        justify="end",
                        width="100%",
                        spacing="2",
                    ),
                    spacing="3",
                    width="100%",
                    padding_top="12px",
                ),
                on_submit=S.share_assistant,
                reset_on_submit=True,
            ),
        ),
        open=S.share_step > 0,
        on_open_change=S.share_dialog_changed,
    )


@rx.page(
    route=routes.AUTOMATIONS + "/[automation_id]",
    title="Automation builder · ResolutionFlow",
    on_load=[AuthState.check_login, BuilderState.load],
)
def automation_builder_page() -> rx.Component:
    """One automation: its run form, its ordered steps, publish."""
    return app_layout(
        rx.cond(
            S.load_error != "",
            rx.callout(S.load_error, icon="triangle-alert", color_scheme="red", width="100%"),
            rx.vstack(
                _header(),
                rx.card(
                    rx.vstack(
                        rx.hstack(
                            rx.heading("Run form", size="4"),
                            rx.spacer(),
                            rx.button(
                                rx.icon("plus", size=14),
                                "Add field",
                                size="1",
                                variant="soft",
                                on_click=S.add_form_field,
                                disabled=~S.can_edit,
                                data_testid="add-field",
                            ),
                            width="100%",
                            align="center",
                        ),
                        rx.text(
                            "What a person fills in to start a run. Field names can be any label; steps use them as "
                            "variables.",
                            size="2",
                            color_scheme="gray",
                        ),
                        rx.cond(
                            S.fields.length() > 0,
                            rx.vstack(rx.foreach(S.fields, _field_row), width="100%", spacing="2"),
                            rx.text("No fields: runs take free text only.", size="2", color_scheme="gray"),
                        ),
                        width="100%",
                        spacing="2",
                    ),
                    width="100%",
                ),
                _webhook_signing(),
                rx.foreach(S.steps, step_card),
                rx.cond(
                    S.can_edit,
                    rx.button(
                        rx.icon("plus", size=16),
                        "Add step",
                        variant="outline",
                        on_click=S.add_step,
                        width="100%",
                        data_testid="add-step",
                    ),
                    rx.fragment(),
                ),
                _secret_dialog(),
                _share_dialog(),
                width="100%",
                spacing="4",
                max_width="960px",
            ),
        ),
    )
