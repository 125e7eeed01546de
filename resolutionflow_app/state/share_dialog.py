"""State of the "Share" dialog on a session: create links and show the new link once."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, time, timedelta

import reflex as rx

from resolutionflow_app.services import auth as auth_service
from resolutionflow_app.services import shares as shares_service
from resolutionflow_app.state.auth import AuthState

EXPIRY_CHOICES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}


def expiry_from_choice(choice: str, custom_date: str, now: datetime | None = None) -> datetime | None:
    """The expiry for a dialog choice: 24h / 7d / 30d from now, the end of a custom day (UTC), or None."""
    now = now or datetime.now(UTC)
    if choice in EXPIRY_CHOICES:
        return now + EXPIRY_CHOICES[choice]
    if choice == "custom":
        day = datetime.fromisoformat(custom_date).date() if custom_date else None
        if day is None:
            raise ValueError("Pick a date for the link to expire.")
        return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
    return None


@dataclasses.dataclass
class SessionLink:
    """A share link of the session in the dialog."""

    id: str = ""
    name: str = ""
    visibility: str = ""
    status: str = ""
    expires: str = ""
    views: int = 0


class ShareDialogState(AuthState):
    """Open/close, the form, the link just created, and this session's existing links."""

    share_open: bool = False
    share_session_id: str = ""
    share_name: str = ""
    share_visibility: str = "account"
    share_expiry: str = "7d"
    share_custom_date: str = ""
    share_error: str = ""
    share_busy: bool = False
    allow_public: bool = True
    created_url: str = ""
    session_links: list[SessionLink] = []

    def _session_uuid(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(self.share_session_id)
        except ValueError:
            return None

    def _load_links(self):
        """Refresh this session's links; returns the refusal's events, or None."""
        got = self.try_call(shares_service.list_my_shares, session_id=self._session_uuid(), limit=20)
        if not got.ok:
            return self.refused(got)
        items, _ = got.value
        self.session_links = [
            SessionLink(
                id=str(i.id),
                name=i.share_name or "Untitled link",
                visibility=i.visibility,
                status=i.status,
                expires=i.expires_at.strftime("%Y-%m-%d %H:%M UTC") if i.expires_at else "Never",
                views=i.view_count or 0,
            )
            for i in items
        ]
        return None

    @rx.event
    def open_share(self, session_id: str):
        """Open the dialog for a session: reset the form, load policy and existing links."""
        self.share_session_id, self.share_name, self.share_error, self.created_url = str(session_id), "", "", ""
        self.share_expiry, self.share_custom_date = "7d", ""
        if self._session_uuid() is None:
            return rx.toast.error("This session cannot be shared: its address is not valid.")
        account = self.try_call(auth_service.get_account)
        if not account.ok:
            return self.refused(account)
        self.allow_public = account.value.allow_public_shares
        self.session_links = []
        refused = self._load_links()
        if refused:
            return refused
        self.share_visibility = "public" if self.allow_public else "account"
        self.share_open = True

    @rx.event
    def set_share_open(self, value: bool):
        """Open or close the dialog (closing forgets the link shown once)."""
        self.share_open = value
        if not value:
            self.created_url = ""

    @rx.event
    def set_share_name(self, value: str):
        """Update the optional name."""
        self.share_name = value[:100]

    @rx.event
    def set_share_visibility(self, value: str):
        """Public or account-only."""
        self.share_visibility = value

    @rx.event
    def set_share_expiry(self, value: str):
        """24h, 7d, 30d, custom or never."""
        self.share_expiry = value

    @rx.event
    def set_share_custom_date(self, value: str):
        """The custom expiry day (YYYY-MM-DD)."""
        self.share_custom_date = value

    @rx.event
    def create_link(self):
        """Create the link and show it once."""
        self.share_error = ""
        try:
            expires_at = expiry_from_choice(self.share_expiry, self.share_custom_date)
        except ValueError as exc:
            self.share_error = str(exc) if "date" in str(exc).lower() else "Enter a valid date."
            return
        if self._session_uuid() is None:
            self.share_error = "This session cannot be shared: its address is not valid."
            return
        got = self.try_call(
            shares_service.create_share,
            session_id=self._session_uuid(),
            visibility=self.share_visibility,
            share_name=self.share_name,
            expires_at=expires_at,
        )
        self.share_busy = False
        if not got.ok:
            self.share_error = got.error
            return None if got.status != 401 else self.refused(got)
        self.created_url = got.value.url
        # The link exists and is shown; a failed refresh of the list below is told, not hidden.
        refused = self._load_links()
        if refused:
            return refused
        return rx.toast.success("Share link created. Copy it now: it is shown only once.")

    @rx.event
    def new_link(self):
        """Back to the form for another link."""
        self.created_url, self.share_name, self.share_error = "", "", ""

    @rx.event
    def copy_link(self):
        """Copy the link just created."""
        return [rx.set_clipboard(self.created_url), rx.toast.success("Link copied.")]
