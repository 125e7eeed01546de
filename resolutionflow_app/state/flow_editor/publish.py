"""PublishState: publishing and the flow-level actions (active, public, fork, forks list, delete, export)."""

from __future__ import annotations

import json

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.services import trees as trees_service
from resolutionflow_app.state.flow_editor.base import EditorState, editing
from resolutionflow_app.state.flow_editor.models import ForkRow


class PublishState(EditorState):
    """The header's actions on the whole flow and their dialogs."""

    fork_open: bool = False
    fork_error: str = ""
    delete_open: bool = False
    forks_open: bool = False
    forks: list[ForkRow] = []

    @rx.event
    def reset_view(self):
        """A flow was opened: close the dialogs of the previous one."""
        self.fork_open = self.delete_open = self.forks_open = False
        self.fork_error = ""

    @rx.event
    @editing
    def publish(self):
        """Publish (syncs the step library); problems are listed when refused."""
        self.publish_errors = []
        return self._commit(
            {"status": "published"}, "Published. Engineers can now run it and its steps are in the library."
        )

    @rx.event
    def dismiss_publish_errors(self):
        """Hide the publish problems callout."""
        self.publish_errors = []

    @rx.event
    @editing
    def unpublish(self):
        """Back to draft (library entries stay)."""
        return self._commit({"status": "draft"}, "Unpublished: the flow is a draft again.")

    @rx.event
    @editing
    def set_active(self, value: bool):
        """Deactivate or reactivate the flow."""
        return self._commit(
            {"is_active": value}, "Flow reactivated." if value else "Flow deactivated; its library steps are hidden."
        )

    @rx.event
    @editing
    def set_public(self, value: bool):
        """Share with every account (once published) or keep it to the team."""
        return self._commit(
            {"is_public": value}, "Visible to every account once published." if value else "Visible to your team only."
        )

    @rx.event
    def set_delete_open(self, value: bool):
        """Open or close the delete confirmation."""
        self.delete_open = value

    @rx.event
    @editing
    def delete_flow(self):
        """Delete the flow for good (forks keep working, orphaned)."""
        got = self.try_call(trees_service.delete_tree, tree_id=self.meta.id)
        if not got.ok:
            return self.refused(got)
        self._dirty, self.delete_open, self.loaded = [], False, False
        return [rx.toast.success("Flow deleted."), rx.redirect(routes.FLOWS)]

    @rx.event
    def set_fork_open(self, value: bool):
        """Open or close the fork dialog."""
        self.fork_open, self.fork_error = value, ""

    @rx.event
    def fork(self, form: dict):
        """Fork into a private draft and open it (any author may fork what they can see)."""
        failed = self._flush()
        if failed:
            self.fork_error = f"Your last edits were not saved: {failed}"
            return None
        got = self.try_call(
            trees_service.fork_tree, tree_id=self.meta.id, fork_reason=(form.get("fork_reason") or "").strip() or None
        )
        if not got.ok:
            self.fork_error = got.error
            return None
        self.fork_open = False
        return [rx.toast.success(f"Forked as “{got.value.name}”."), rx.redirect(routes.flow_url(str(got.value.id)))]

    @rx.event
    def set_forks_open(self, value: bool):
        """Open the forks list (loads it)."""
        self.forks_open = value
        if not value:
            return None
        got = self.try_call(trees_service.list_forks, tree_id=self.meta.id, limit=100)
        if not got.ok:
            self.forks_open = False
            return self.refused(got)
        items, _ = got.value
        self.forks = [
            ForkRow(
                id=str(t.id),
                name=t.name,
                author_name=t.author_name or "—",
                status=t.status,
                reason=t.fork_reason or "",
                created_at=t.created_at.isoformat(),
            )
            for t in items
        ]
        return None

    @rx.event
    def export_json(self):
        """Download the flow as a JSON export."""
        got = self.try_call(trees_service.export_tree, tree_id=self.meta.id)
        if not got.ok:
            return self.refused(got)
        return rx.download(
            data=json.dumps(got.value, indent=2, ensure_ascii=False),
            filename=f"{self.file_base}.json",
            mime_type="application/json",
        )
