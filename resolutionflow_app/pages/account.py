"""Account page: members, account policy, and changing your password."""

from __future__ import annotations

import dataclasses

import reflex as rx

from resolutionflow_app import entry, routes
from resolutionflow_app.components.forms import error_callout, field
from resolutionflow_app.components.layout import app_layout, page_header
from resolutionflow_app.components.tables import data_table
from resolutionflow_app.services import auth as auth_service
from resolutionflow_app.state.auth import AuthState


@dataclasses.dataclass
class MemberRow:
    """A member of the account."""

    id: str = ""
    name: str = ""
    email: str = ""
    role: str = ""
    created_at: str = ""


class AccountState(AuthState):
    """Members list, policy toggle, member and password forms."""

    members: list[MemberRow] = []
    allow_public_shares: bool = True
    pause_public_links: bool = False
    member_error: str = ""
    member_dialog_open: bool = False
    password_error: str = ""

    @rx.event
    def load(self):
        """Load members and account settings."""
        members = self.try_call(auth_service.list_members, limit=500)
        account = self.try_call(auth_service.get_account) if members.ok else members
        if not account.ok:
            return self.refused(account)
        self.members = [
            MemberRow(
                id=str(m.id),
                name=m.name,
                email=m.email,
                role=m.role,
                created_at=m.created_at.isoformat() if m.created_at else "",
            )
            for m in members.value[0]
        ]
        self.allow_public_shares = account.value.allow_public_shares
        self.pause_public_links = account.value.pause_public_links_when_off

    @rx.event
    def set_member_dialog_open(self, value: bool):
        """Open or close the add-member dialog."""
        self.member_dialog_open, self.member_error = value, ""

    @rx.event
    def add_member(self, form: dict):
        """Create a member with an initial password (owners only)."""
        got = self.try_call(
            auth_service.add_member,
            email=form.get("email", ""),
            name=form.get("name", ""),
            role=form.get("role", "engineer"),
            password=form.get("password", ""),
        )
        if not got.ok:
            self.member_error = got.error
            return
        self.member_dialog_open = False
        yield AccountState.load
        yield rx.toast.success("Member added.")

    @rx.event
    def set_allow_public_shares(self, value: bool):
        """Toggle the public-share policy (owners only)."""
        got = self.try_call(auth_service.update_account_settings, allow_public_shares=value)
        if not got.ok:
            return self.refused(got)
        self.allow_public_shares = got.value.allow_public_shares
        if value:
            return rx.toast.success(
                "Public share links allowed." + (" Paused links open again." if self.pause_public_links else "")
            )
        return rx.toast.success(
            "Public share links off: "
            + (
                "existing public links are paused."
                if self.pause_public_links
                else "no new ones; existing links keep working."
            )
        )

    @rx.event
    def set_pause_public_links(self, value: bool):
        """Choose whether existing public links stop working while public sharing is off (owners only)."""
        got = self.try_call(auth_service.update_account_settings, pause_public_links_when_off=value)
        if not got.ok:
            return self.refused(got)
        self.pause_public_links = got.value.pause_public_links_when_off
        if self.allow_public_shares:
            return rx.toast.success(
                "Saved: existing public links "
                + ("will pause" if value else "will keep working")
                + " if public sharing is turned off."
            )
        return rx.toast.success(
            "Existing public links " + ('are paused (they answer "not found").' if value else "work again.")
        )

    @rx.event
    def change_password(self, form: dict):
        """Change the logged-in user's password (charges the shared RF_AUTH_RATE_LIMIT budget, like the API)."""
        self.password_error = ""
        if form.get("new_password") != form.get("confirm_password"):
            self.password_error = "The new passwords do not match."
            return
        got = self.try_call(
            auth_service.change_password,
            budget=entry.AUTH,
            actor_arg="user",
            current_password=form.get("current_password", ""),
            new_password=form.get("new_password", ""),
            keep_token=self.token,
        )
        if not got.ok:
            self.password_error = got.error
            return
        return rx.toast.success("Password changed.")


def _member_row(member: MemberRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(member.name),
        rx.table.cell(member.email),
        rx.table.cell(rx.badge(member.role)),
        rx.table.cell(rx.moment(member.created_at, format="YYYY-MM-DD")),
    )


def _add_member_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("user-plus", size=16), "Add member", data_testid="add-member")),
        rx.dialog.content(
            rx.dialog.title("Add a member"),
            rx.dialog.description("They log in with this email and the initial password you set.", size="2"),
            rx.form(
                rx.vstack(
                    error_callout(AccountState.member_error),
                    field("Name", rx.input(name="name", required=True, width="100%")),
                    field("Email", rx.input(name="email", type="email", required=True, width="100%")),
                    field(
                        "Role",
                        rx.select(["engineer", "author", "owner"], name="role", default_value="engineer", width="100%"),
                    ),
                    field(
                        "Initial password",
                        rx.input(name="password", type="password", required=True, width="100%"),
                        hint="At least 10 characters.",
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Add member", type="submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=AccountState.add_member,
                reset_on_submit=False,
            ),
        ),
        open=AccountState.member_dialog_open,
        on_open_change=AccountState.set_member_dialog_open,
    )


@rx.page(route=routes.ACCOUNT, title="Account · ResolutionFlow", on_load=[AuthState.check_login, AccountState.load])
def account_page() -> rx.Component:
    """Members, policy and password."""
    return app_layout(
        page_header(
            AuthState.account_name,
            rx.link(
                rx.button(rx.icon("cpu", size=16), "AI models and tools", variant="soft"),
                href=routes.ACCOUNT_AI,
                data_testid="ai-connections-link",
            ),
            rx.link(
                rx.button(rx.icon("refresh-cw", size=16), "Sync", variant="soft"),
                href=routes.ACCOUNT_SYNC,
                data_testid="sync-link",
            ),
            rx.cond(AuthState.is_owner, _add_member_dialog(), rx.fragment()),
            subtitle="Members, sharing policy and your password.",
        ),
        data_table(("Name", "Email", "Role", "Joined"), AccountState.members, _member_row, "members"),
        rx.grid(
            rx.card(
                rx.vstack(
                    rx.heading("Sharing policy", size="4"),
                    rx.hstack(
                        rx.switch(
                            checked=AccountState.allow_public_shares,
                            on_change=AccountState.set_allow_public_shares,
                            disabled=~AuthState.is_owner,
                            data_testid="allow-public-shares",
                        ),
                        rx.text("Allow public share links", size="2"),
                        align="center",
                    ),
                    rx.text("When off, engineers can only create account-only links.", size="1", color_scheme="gray"),
                    rx.hstack(
                        rx.switch(
                            checked=AccountState.pause_public_links,
                            on_change=AccountState.set_pause_public_links,
                            disabled=~AuthState.is_owner,
                            data_testid="pause-public-links",
                        ),
                        rx.text("Pause existing public links while public sharing is off", size="2"),
                        align="center",
                    ),
                    rx.text(
                        rx.cond(
                            AccountState.pause_public_links,
                            'While public sharing is off, existing public links answer "not found", like revoked '
                            "ones; they open again when it is turned back on (until they expire).",
                            "Existing public links keep working until they are revoked or expire.",
                        ),
                        size="1",
                        color_scheme="gray",
                        data_testid="pause-public-links-hint",
                    ),
                    rx.cond(
                        ~AuthState.is_owner,
                        rx.text("Only account owners can change this.", size="1", color_scheme="amber"),
                        rx.fragment(),
                    ),
                    spacing="2",
                ),
            ),
            rx.card(
                rx.form(
                    rx.vstack(
                        rx.heading("Change your password", size="4"),
                        error_callout(AccountState.password_error),
                        field(
                            "Current password",
                            rx.input(name="current_password", type="password", required=True, width="100%"),
                        ),
                        field(
                            "New password",
                            rx.input(name="new_password", type="password", required=True, width="100%"),
                            hint="At least 10 characters.",
                        ),
                        field(
                            "Repeat new password",
                            rx.input(name="confirm_password", type="password", required=True, width="100%"),
                        ),
                        rx.button("Change password", type="submit"),
                        spacing="2",
                    ),
                    on_submit=AccountState.change_password,
                    reset_on_submit=True,
                ),
            ),
            columns=rx.breakpoints(initial="1", md="2"),  # one column on a phone
            spacing="4",
            padding_top="1.5rem",
            width="100%",
        ),
    )
