"""SyncState: the team-server connection, pull/push with progress, conflicts and bundle files."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import reflex as rx

from resolutionflow_app import entry
from resolutionflow_app.domain.errors import ServiceError
from resolutionflow_app.services import sync as sync_service
from resolutionflow_app.services import sync_client
from resolutionflow_app.state.auth import AuthState
from resolutionflow_app.state.rows import ConflictRow


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def _toast(run: sync_client.SyncRunDTO) -> Any:
    """A warning when the run found conflicts or refusals, else a success toast."""
    c = run.counts
    return (rx.toast.warning if c.get("conflict") or c.get("conflicts") or c.get("rejected") else rx.toast.success)(
        run.message
    )


def _conflict_row(c: sync_client.ConflictDTO) -> ConflictRow:
    changes = ", ".join(f"{n} {k}" for k, n in c.changes.items() if n)
    diffs = "; ".join(
        f"{d.get('title')}: {d.get('status')}" + (f" ({', '.join(d.get('fields') or [])})" if d.get("fields") else "")
        for d in c.differences[:8]
    )
    # The versions line only where the message does not already say them.
    versions = (
        f"pulled version {c.pulled_version}, server version {c.server_version}"
        if c.server_version is not None and "version" not in c.message
        else ""
    )
    return ConflictRow(
        id=str(c.id),
        item_id=str(c.item_id),
        kind=c.kind,
        reason=c.reason,
        title=c.title,
        message=c.message,
        versions=versions,
        changes=changes,
        differences=diffs,
    )


class SyncState(AuthState):
    """The sync page: thin handlers over services.sync_client (network calls run in a thread, off the state lock)."""

    server_url: str = ""
    remote_email: str = ""
    signed_in: bool = False
    has_bundle_key: bool = False
    last_pull: str = "never"
    last_push: str = "never"
    flows: int = 0
    steps: int = 0
    pushed: int = 0
    pending: int = 0
    conflicts: list[ConflictRow] = []
    rejected: list[ConflictRow] = []
    busy: str = ""
    result: str = ""
    error: str = ""
    import_error: str = ""
    import_result: str = ""
    own_key: str = ""

    def _apply(self, st: sync_client.SyncStatusDTO) -> None:
        self.server_url, self.remote_email = st.server_url, st.remote_email or ""
        self.signed_in, self.has_bundle_key = st.signed_in, st.has_bundle_key
        self.last_pull, self.last_push = _when(st.last_pull_at), _when(st.last_push_at)
        self.flows, self.steps, self.pushed, self.pending = st.flows, st.steps, st.sessions_pushed, st.sessions_pending
        self.conflicts = [_conflict_row(c) for c in st.conflicts]
        self.rejected = [_conflict_row(c) for c in st.rejected]

    def _refresh(self) -> Any:
        out = self.try_call(sync_client.status)
        if not out.ok:
            return self.refused(out)
        self._apply(out.value)
        return None

    @rx.event
    def load(self):
        """Read the connection, counts and conflicts."""
        return self._refresh()

    async def _remote(self, label: str, fn: Any, **kwargs: Any) -> Any:
        """Run a service that talks to the server in a thread (state lock released), then refresh the page."""
        async with self:
            if self.busy:
                return None
            self.busy, self.error, self.result = label, "", ""
            token, client = self.token or None, self.client_ip()
        try:
            value = await asyncio.to_thread(entry.call, fn, token=token, client=client, **kwargs)
            st = await asyncio.to_thread(entry.call, sync_client.status, token=token, client=client)
        except ServiceError as exc:
            async with self:
                self.busy, self.error = "", exc.message
            return None
        async with self:
            self.busy = ""
            self._apply(st)
            if isinstance(value, sync_client.SyncRunDTO):
                self.result = value.message
        return value

    @rx.event(background=True)
    async def sign_in(self, form: dict):
        """Sign in to the server once (the password is not kept)."""
        value = await self._remote(
            "sign_in",
            sync_client.sign_in,
            server_url=form.get("server_url", ""),
            email=form.get("email", ""),
            password=form.get("password", ""),
        )
        if value is not None:
            yield rx.toast.success("Signed in to the server.")

    @rx.event(background=True)
    async def pull_now(self):
        """Pull published flows and library steps now."""
        value = await self._remote("pull", sync_client.pull_now)
        if value is not None:
            yield _toast(value)

    @rx.event(background=True)
    async def push_now(self):
        """Push sessions run offline now."""
        value = await self._remote("push", sync_client.push_now)
        if value is not None:
            yield _toast(value)

    @rx.event(background=True)
    async def push_anyway(self, conflict_id: str):
        """Store a conflicting session on the copy of the flow it ran on (the user's explicit choice)."""
        value = await self._remote("push", sync_client.push_anyway, conflict_id=conflict_id)
        if value is not None:
            yield rx.toast.success(value.message)

    @rx.event
    def dismiss(self, conflict_id: str):
        """Keep the desktop's copy (flows) or forget the answer (sessions: sent again on the next push)."""
        out = self.try_call(sync_client.dismiss, conflict_id=conflict_id)
        if not out.ok:
            return self.refused(out)
        self._apply(out.value)
        return rx.toast.success("Conflict dismissed.")

    @rx.event(background=True)
    async def sign_out(self):
        """Revoke the server token (when the server is reachable) and forget it."""
        value = await self._remote("sign_out", sync_client.sign_out)
        if value is not None:
            yield rx.toast.success("Signed out of the server.")

    @rx.event
    def set_bundle_key(self, form: dict):
        """Store the bundle key the server shows (for bundles without any network)."""
        out = self.try_call(sync_client.set_bundle_key, bundle_key=form.get("bundle_key", ""))
        if not out.ok:
            self.import_error = out.error
            return
        self.import_error = ""
        self._apply(out.value)
        return rx.toast.success("Bundle key saved.")

    @rx.event
    def show_own_key(self):
        """This installation's bundle key of the logged-in user (to paste on a desktop)."""
        out = self.try_call(sync_service.bundle_key)
        if not out.ok:
            return self.refused(out)
        self.own_key = out.value

    @rx.event
    def export_push_bundle(self):
        """Download the sessions the server does not have yet, as a signed bundle file."""
        out = self.try_call(sync_client.export_bundle)
        if not out.ok:
            self.import_error = out.error
            return
        return rx.download(
            data=out.value,
            filename=f"resolutionflow-sessions-{datetime.now():%Y%m%d-%H%M}.rfsync.json",
            mime_type="application/json",
        )

    @rx.event
    def export_pull_bundle(self):
        """Download this installation's published flows and visible steps as a signed bundle (for a desktop)."""
        out = self.try_call(sync_service.export_pull_bundle)
        if not out.ok:
            return self.refused(out)
        return rx.download(
            data=out.value,
            filename=f"resolutionflow-flows-{datetime.now():%Y%m%d-%H%M}.rfsync.json",
            mime_type="application/json",
        )

    @rx.event
    async def import_bundle(self, files: list[rx.UploadFile]):
        """Import a bundle file: flows for this desktop, or sessions for this server. A tampered file is refused."""
        self.import_error, self.import_result = "", ""
        if not files:
            self.import_error = "Choose a bundle file (.rfsync.json) first."
            return
        out = await self.try_call_async(sync_client.import_bundle, data=await files[0].read())
        if not out.ok:
            self.import_error = out.error
            return
        self.import_result = out.value.message
        await asyncio.to_thread(self._refresh)
        return [rx.clear_selected_files("sync-bundle"), _toast(out.value)]
