"""HistoryState: undo/redo of structure edits and the saved versions (list, view, compare, restore)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from resolutionflow_app.domain import flow_editing as ops
from resolutionflow_app.services import trees as trees_service
from resolutionflow_app.state.flow_editor.base import EditorState, canvas_view, editing, plain
from resolutionflow_app.state.flow_editor.models import DiffRow, KindTitle, VersionRow, VersionView

FIELD_LABELS = {
    "title": "title",
    "description": "description",
    "help_text": "help text",
    "options": "answers",
    "next": "next step",
    "commands": "commands",
    "type": "kind",
    "expected_outcome": "expected outcome",
    "automation_id": "automation",
    "library_visibility": "library visibility",
    "start_node_id": "start",
}


def _version_kind(v: Any) -> str:
    """How the history names a version's origin."""
    if v.published:
        return "Published"
    return {"autosave": "Working draft (autosaved)", "restore": "Restored", "create": "Created", "save": "Saved"}.get(
        v.kind, "Saved"
    )


class HistoryState(EditorState):
    """Undo/redo (the stacks are the base's backend vars `_undo`/`_redo`) and the version drawer and dialogs."""

    history_open: bool = False
    versions: list[VersionRow] = []
    versions_total: int = 0
    version_view: VersionView = VersionView()
    version_view_open: bool = False
    restore_target: int = 0
    diff_rows: list[DiffRow] = []
    diff_version: str = ""
    diff_open: bool = False

    @rx.var
    def version_view_steps(self) -> list[KindTitle]:
        """Rows of the version being viewed (procedures)."""
        return [
            KindTitle(type=str(s.get("type") or ""), title=str(s.get("title") or ""))
            for s in ops.items(self.version_view.structure or {})
        ]

    @rx.event
    def reset_view(self):
        """A flow was opened: close the drawer and dialogs of the previous one."""
        self.history_open = self.version_view_open = self.diff_open = False
        self.restore_target = 0

    # ------------------------------------------------------------------ undo / redo

    def _step(self, taken: list[dict[str, Any]], other: list[dict[str, Any]]) -> tuple[dict[str, Any], list, list]:
        target = taken[-1]
        if self.selected_id and not ops.find(target, self.selected_id):
            self.selected_id = ""
        return target, taken[:-1], [*other, plain(self._structure)]

    @rx.event
    @editing
    def undo(self):
        """Ctrl+Z: the structure before the last edit (saved like any edit)."""
        if not self._undo:
            return None
        previous, self._undo, self._redo = self._step(self._undo, self._redo)
        return self._edit(previous, record=False)

    @rx.event
    @editing
    def redo(self):
        """Ctrl+Shift+Z: the edit undone last."""
        if not self._redo:
            return None
        following, self._redo, self._undo = self._step(self._redo, self._undo)
        return self._edit(following, record=False)

    # ------------------------------------------------------------------ versions

    @rx.event
    def set_history_open(self, value: bool):
        """Open the version history drawer (loads it)."""
        self.history_open = value
        if not value:
            return None
        got = self.try_call(trees_service.list_versions, tree_id=self.meta.id, limit=100)
        if not got.ok:
            self.history_open = False
            return self.refused(got)
        items, self.versions_total = got.value
        self.versions = [
            VersionRow(
                version=v.version,
                created_at=v.created_at.isoformat(),
                by=v.created_by_name or "—",
                label=v.label or "",
                kind=_version_kind(v),
                summary=v.summary_text,
            )
            for v in items
        ]
        return None

    @rx.event
    @editing
    def save_version(self, form: dict):
        """Keep the current structure as a version, with the name typed (optional)."""
        failed = self._flush()
        if failed:
            return rx.toast.error(f"Save the pending edits first: {failed}")
        got = self.try_call(trees_service.save_version, tree_id=self.meta.id, label=str(form.get("label") or ""))
        if not got.ok:
            return self.refused(got)
        self.version = got.value.version
        name = f"“{got.value.label}”" if got.value.label else f"version {got.value.version}"
        return [rx.toast.success(f"Saved {name}."), HistoryState.set_history_open(True)]

    @rx.event
    def compare_version(self, version: int):
        """Step-by-step differences between a saved version and the current structure."""
        failed = self._flush()
        if failed:
            return rx.toast.error(f"Save the pending edits first: {failed}")
        got = self.try_call(trees_service.compare_versions, tree_id=self.meta.id, older=version)
        if not got.ok:
            return self.refused(got)
        self.diff_rows = [
            DiffRow(title=r.title, status=r.status, fields=", ".join(FIELD_LABELS.get(f, f) for f in r.fields))
            for r in got.value
            if r.status != "same"
        ]
        self.diff_version, self.diff_open, self.history_open = str(version), True, False
        return None

    @rx.event
    def set_diff_open(self, value: bool):
        """Close the comparison."""
        self.diff_open = value

    @rx.event
    def view_version(self, version: int):
        """Show one saved version read-only (only what its canvas or step list draws goes to the browser)."""
        got = self.try_call(trees_service.get_version, tree_id=self.meta.id, version=version)
        if not got.ok:
            return self.refused(got)
        v = got.value
        self.version_view = VersionView(
            version=v.version,
            name=v.name,
            created_at=v.created_at.isoformat(),
            structure=canvas_view(v.tree_structure or {}),
        )
        self.version_view_open, self.history_open = True, False
        return None

    @rx.event
    def set_version_view_open(self, value: bool):
        """Close the version viewer."""
        self.version_view_open = value

    @rx.event
    @editing
    def ask_restore(self, version: int):
        """Ask before restoring `version` (0 closes the question)."""
        self.restore_target = int(version or 0)

    @rx.event
    @editing
    def restore(self):
        """Make the chosen version current again (a new version)."""
        failed = self._flush()
        if failed:
            return rx.toast.error(f"Your last edits were not saved: {failed} Retry before restoring.")
        got = self.try_call(trees_service.restore_version, tree_id=self.meta.id, version=self.restore_target)
        if not got.ok:
            return self.refused(got)
        restored, self.restore_target, self.version_view_open, self.history_open = self.restore_target, 0, False, False
        self._set_tree(got.value)
        self._set_structure(got.value.tree_structure)
        self.selected_id, self.save_state = "", "saved"
        self._forget_history()
        return rx.toast.success(f"Version {restored} restored as version {got.value.version}.")
