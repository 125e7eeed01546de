"""Sync page: sign in to a team server, pull and push, conflicts, and bundle files for offline transfer."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.forms import error_callout, field
from resolutionflow_app.components.layout import app_layout, page_header
from resolutionflow_app.state.auth import AuthState
from resolutionflow_app.state.sync import SyncState

BUNDLE_UPLOAD = "sync-bundle"


def _stat(label: str, value: rx.Var, testid: str) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray"),
        rx.text(value, size="3", weight="bold", data_testid=testid),
        spacing="0",
    )


def _sign_in_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text(
                "Sign in once; the server's token and bundle key are kept encrypted, the password is not.",
                size="2",
                color_scheme="gray",
            ),
            field(
                "Server URL",
                rx.input(
                    name="server_url",
                    placeholder="https://resolutionflow.example.com",
                    default_value=SyncState.server_url,
                    required=True,
                    width="100%",
                    data_testid="sync-server-url",
                ),
            ),
            field(
                "Email on the server",
                rx.input(
                    name="email",
                    type="email",
                    default_value=SyncState.remote_email,
                    required=True,
                    width="100%",
                    data_testid="sync-email",
                ),
            ),
            field(
                "Password",
                rx.input(name="password", type="password", required=True, width="100%", data_testid="sync-password"),
            ),
            rx.button(
                rx.icon("log-in", size=16),
                "Sign in",
                type="submit",
                loading=SyncState.busy == "sign_in",
                data_testid="sync-sign-in",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=SyncState.sign_in,
        reset_on_submit=False,
        width="100%",
    )


def _connected() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.badge(rx.icon("circle-check", size=12), "Signed in", color_scheme="green", variant="soft"),
            rx.text(SyncState.remote_email, size="2"),
            rx.text("at", size="2", color_scheme="gray"),
            rx.code(SyncState.server_url, data_testid="sync-connected-url"),
            wrap="wrap",
            align="center",
            spacing="2",
        ),
        rx.hstack(
            rx.button(
                rx.icon("download", size=16),
                "Pull now",
                on_click=SyncState.pull_now,
                loading=SyncState.busy == "pull",
                disabled=SyncState.busy != "",
                data_testid="sync-pull",
            ),
            rx.button(
                rx.icon("upload", size=16),
                "Push now",
                on_click=SyncState.push_now,
                loading=SyncState.busy == "push",
                disabled=SyncState.busy != "",
                data_testid="sync-push",
            ),
            rx.button(
                "Sign out",
                variant="soft",
                color_scheme="gray",
                on_click=SyncState.sign_out,
                loading=SyncState.busy == "sign_out",
                disabled=SyncState.busy != "",
                data_testid="sync-sign-out",
            ),
            wrap="wrap",
            spacing="2",
        ),
        spacing="3",
        width="100%",
    )


def _server_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Team server", size="4"),
            error_callout(SyncState.error),
            rx.cond(
                SyncState.result != "",
                rx.callout(
                    SyncState.result,
                    icon="info",
                    color_scheme="blue",
                    size="1",
                    width="100%",
                    data_testid="sync-result",
                ),
                rx.fragment(),
            ),
            rx.cond(SyncState.signed_in, _connected(), _sign_in_form()),
            rx.grid(
                _stat("Last pull", SyncState.last_pull, "sync-last-pull"),
                _stat("Last push", SyncState.last_push, "sync-last-push"),
                _stat("Flows pulled", SyncState.flows, "sync-flows"),
                _stat("Library steps", SyncState.steps, "sync-steps"),
                _stat("Sessions pushed", SyncState.pushed, "sync-pushed"),
                _stat("Waiting to push", SyncState.pending, "sync-pending"),
                columns=rx.breakpoints(initial="2", sm="3"),
                spacing="3",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _conflict(row: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(row.kind, color_scheme="amber"),
                rx.text(row.title, weight="medium", size="2"),
                wrap="wrap",
                align="center",
            ),
            rx.text(row.message, size="2"),
            rx.cond(row.versions != "", rx.text(row.versions, size="1", color_scheme="gray"), rx.fragment()),
            rx.cond(row.changes != "", rx.text("What differs: " + row.changes, size="1"), rx.fragment()),
            rx.cond(row.differences != "", rx.text(row.differences, size="1", color_scheme="gray"), rx.fragment()),
            rx.hstack(
                rx.cond(
                    (row.kind == "session") & (row.reason != "session_changed_on_server"),
                    rx.button(
                        "Push anyway (keep its copy of the flow)",
                        size="1",
                        on_click=SyncState.push_anyway(row.id),
                        loading=SyncState.busy == "push",
                        data_testid="sync-push-anyway",
                    ),
                    rx.fragment(),
                ),
                rx.button(
                    rx.cond(row.kind == "flow", "Keep the desktop's copy", "Dismiss"),
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    on_click=SyncState.dismiss(row.id),
                ),
                spacing="2",
                wrap="wrap",
            ),
            spacing="1",
            width="100%",
        ),
        width="100%",
        data_testid="sync-conflict",
    )


def _conflicts_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Conflicts", size="4"),
            rx.text(
                "Nothing is overwritten silently: a session whose flow changed on the server, or a flow edited here "
                "and there, waits here for your choice.",
                size="1",
                color_scheme="gray",
            ),
            rx.cond(
                SyncState.conflicts.length() > 0,
                rx.vstack(rx.foreach(SyncState.conflicts, _conflict), spacing="2", width="100%"),
                rx.text(
                    "No conflicts. Pull and push as often as you like: pushing the same sessions again creates "
                    "nothing new.",
                    size="2",
                    color_scheme="gray",
                    data_testid="sync-no-conflicts",
                ),
            ),
            rx.cond(
                SyncState.rejected.length() > 0,
                rx.vstack(
                    rx.heading("Refused by the server", size="2"),
                    rx.foreach(SyncState.rejected, _conflict),
                    spacing="2",
                    width="100%",
                ),
                rx.fragment(),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _bundle_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Bundles (no network)", size="4"),
            rx.text(
                "A bundle is a signed file carried by hand: sessions from this desktop to the server, or flows and "
                "steps from the server to a desktop. "
                "Both sides sign with your bundle key; a changed file is refused.",
                size="1",
                color_scheme="gray",
            ),
            error_callout(SyncState.import_error),
            rx.cond(
                SyncState.import_result != "",
                rx.callout(
                    SyncState.import_result,
                    icon="circle-check",
                    color_scheme="green",
                    size="1",
                    width="100%",
                    data_testid="sync-import-result",
                ),
                rx.fragment(),
            ),
            rx.hstack(
                rx.button(
                    rx.icon("file-output", size=16),
                    "Export sessions bundle",
                    variant="soft",
                    on_click=SyncState.export_push_bundle,
                    data_testid="sync-export-push",
                ),
                rx.button(
                    rx.icon("file-output", size=16),
                    "Export flows bundle",
                    variant="soft",
                    on_click=SyncState.export_pull_bundle,
                    data_testid="sync-export-pull",
                ),
                wrap="wrap",
                spacing="2",
            ),
            rx.upload.root(
                rx.vstack(
                    rx.icon("file-input", size=24, color=rx.color("gray", 9)),
                    rx.text("Drop a bundle here or click to choose", size="2"),
                    rx.foreach(rx.selected_files(BUNDLE_UPLOAD), lambda f: rx.badge(f, variant="soft")),
                    align="center",
                    spacing="1",
                ),
                id=BUNDLE_UPLOAD,
                accept={"application/json": [".json"]},
                max_files=1,
                multiple=False,
                border=f"1px dashed {rx.color('gray', 7)}",
                border_radius="var(--radius-3)",
                padding="1rem",
                width="100%",
                data_testid="sync-bundle-drop",
            ),
            rx.button(
                rx.icon("file-input", size=16),
                "Import bundle",
                on_click=SyncState.import_bundle(rx.upload_files(upload_id=BUNDLE_UPLOAD)),
                data_testid="sync-import",
            ),
            rx.divider(),
            rx.cond(
                SyncState.has_bundle_key,
                rx.text(
                    "A bundle key for the server is stored.", size="1", color_scheme="green", data_testid="sync-has-key"
                ),
                rx.form(
                    rx.hstack(
                        rx.input(
                            name="bundle_key",
                            placeholder="Bundle key shown by the server",
                            width="100%",
                            data_testid="sync-bundle-key-input",
                        ),
                        rx.button("Save key", type="submit", variant="soft"),
                        width="100%",
                    ),
                    on_submit=SyncState.set_bundle_key,
                    width="100%",
                ),
            ),
            rx.hstack(
                rx.button(
                    "Show my bundle key on this installation",
                    size="1",
                    variant="ghost",
                    on_click=SyncState.show_own_key,
                    data_testid="sync-show-key",
                ),
                rx.cond(
                    SyncState.own_key != "",
                    rx.code(SyncState.own_key, data_testid="sync-own-key", word_break="break-all"),
                    rx.fragment(),
                ),
                wrap="wrap",
                align="center",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


@rx.page(route=routes.ACCOUNT_SYNC, title="Sync · ResolutionFlow", on_load=[AuthState.check_login, SyncState.load])
def sync_page() -> rx.Component:
    """Server sign-in, pull/push with progress, conflicts, bundle export/import."""
    return app_layout(
        page_header(
            "Sync with a team server",
            rx.link(rx.button("Back to account", variant="soft", color_scheme="gray"), href=routes.ACCOUNT),
            subtitle="Take published flows and library steps offline; push sessions run offline later.",
        ),
        rx.grid(
            rx.vstack(_server_card(), _conflicts_card(), spacing="4", width="100%"),
            _bundle_card(),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
    )
