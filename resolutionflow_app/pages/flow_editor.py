"""Flow editor (/flows/[tree_id]): canvas or procedure list, autosave, publish, versions, forks, export."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import reflex as rx

from resolutionflow_app import entry, routes
from resolutionflow_app.components import flow_panels as panels
from resolutionflow_app.components.flow_forms import NO_AUTOMATION
from resolutionflow_app.components.layout import app_layout
from resolutionflow_app.domain import flow_editing as ops
from resolutionflow_app.domain.errors import ServiceError, Unauthorized
from resolutionflow_app.domain.tree_validation import validate_structure
from resolutionflow_app.services import automations as automations_service
from resolutionflow_app.services import trees as trees_service
from resolutionflow_app.state.auth import AuthState

AUTOSAVE_SECONDS = 1.0
UNDO_LIMIT = 50
FIELD_LABELS = {"title": "title", "description": "description", "help_text": "help text", "options": "answers", "next": "next step", "commands": "commands",
                "type": "kind", "expected_outcome": "expected outcome", "automation_id": "automation", "library_visibility": "library visibility", "start_node_id": "start"}


def _plain(structure: Any) -> dict[str, Any]:
    """A detached copy of a state var's value (the state's own dict is a proxy that must not be kept elsewhere)."""
    return json.loads(json.dumps(structure))


def _version_kind(v: Any) -> str:
    """How the history names a version's origin."""
    if v.published:
        return "Published"
    return {"autosave": "Working draft (autosaved)", "restore": "Restored", "create": "Created", "save": "Saved"}.get(v.kind, "Saved")
KIND_LABELS = {"decision": "Decision", "action": "Action", "solution": "Solution", "section_header": "Section",
               "procedure_step": "Step", "procedure_end": "End"}


def _save(token: str, tree_id: str, changes: dict[str, Any]):
    """Write pending changes for the autosave task (runs in a worker thread, through the entry point).

    Autosaves fold into one working-draft version; publish, restore and "Save version" make versions.
    """
    return entry.call(trees_service.autosave_tree, token=token or None, tree_id=tree_id, changes=changes)


def _problem_lines(exc: ServiceError) -> list[str]:
    """Publish problems as lines (each message already names its node)."""
    return [str(p.get("message") if isinstance(p, dict) else p) for p in exc.problems or []] or [exc.message]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", (name or "flow").lower()).strip("-")[:60] or "flow"


class FlowEditorState(AuthState):
    """The open flow: its metadata, its structure (the one big var), selection and save status."""

    meta: dict[str, str] = {}
    tree_type: str = ""
    version: int = 0
    is_public: bool = False
    is_active: bool = True
    can_edit: bool = False
    has_parent_updates: bool = False
    forks_count: int = 0
    structure: dict[str, Any] = {}
    loaded: bool = False
    load_error: str = ""
    selected_id: str = ""
    save_state: str = "saved"
    save_error: str = ""
    edit_seq: int = 0
    publish_errors: list[str] = []
    fork_open: bool = False
    fork_error: str = ""
    delete_open: bool = False
    history_open: bool = False
    versions: list[dict[str, str]] = []
    versions_total: int = 0
    version_view: dict[str, Any] = {}
    version_view_open: bool = False
    restore_target: int = 0
    forks_open: bool = False
    forks: list[dict[str, str]] = []
    automation_choices: list[dict[str, str]] = []
    diff_rows: list[dict[str, str]] = []
    diff_version: str = ""
    diff_open: bool = False
    can_undo: bool = False
    can_redo: bool = False
    _undo: list[dict[str, Any]] = []
    _redo: list[dict[str, Any]] = []
    _dirty: list[str] = []
    _autosaving: bool = False

    # ------------------------------------------------------------------ derived (no DB)

    @rx.var
    def is_troubleshooting(self) -> bool:
        """True for decision trees (canvas editor)."""
        return self.tree_type == "troubleshooting"

    @rx.var
    def editable(self) -> bool:
        """True when the user may change this flow (authors of the account, owners)."""
        return self.can_edit and self.loaded and not self.load_error

    @rx.var
    def problems(self) -> list[dict[str, str]]:
        """Live validation of the structure being edited (the same rules as publishing)."""
        if not self.tree_type or not self.structure:
            return []
        found = validate_structure(self.tree_type, self.structure)
        return [{"node_id": p.node_id or "", "message": p.message, "title": ((ops.find(self.structure, p.node_id) or {}).get("title") or p.node_id) if p.node_id else "Flow"} for p in found]

    @rx.var
    def sel(self) -> dict[str, str]:
        """The selected node's text fields."""
        node = ops.find(self.structure, self.selected_id) if self.selected_id else None
        if node is None:
            return {}
        out = {k: str(node.get(k) or "") for k in ("id", "type", "title", "description", "help_text", "expected_outcome", "next")}
        out["kind_label"] = KIND_LABELS.get(out["type"], out["type"] or "Node")
        out["library_visibility"] = node.get("library_visibility") or "inherit"
        out["automation_id"] = str(node.get("automation_id") or "") or NO_AUTOMATION
        out["is_start"] = "1" if self.structure.get("start_node_id") == node.get("id") else ""
        return out

    @rx.var
    def sel_options(self) -> list[dict[str, str]]:
        """Answer options of the selected decision."""
        node = ops.find(self.structure, self.selected_id) if self.selected_id else None
        options = (node or {}).get("options") or []
        return [{"index": str(i), "label": str(o.get("label") or ""), "next": str(o.get("next") or "") or "__none__"} for i, o in enumerate(options) if isinstance(o, dict)]

    @rx.var
    def sel_commands(self) -> list[dict[str, str]]:
        """Commands of the selected node as editable rows."""
        node = ops.find(self.structure, self.selected_id) if self.selected_id else None
        return [{"index": str(i), **row} for i, row in enumerate(ops.command_list(node))]

    @rx.var
    def sel_problems(self) -> list[str]:
        """Problems of the selected node."""
        return [p["message"] for p in self.problems if p["node_id"] and p["node_id"] == self.selected_id]

    @rx.var
    def node_choices(self) -> list[dict[str, str]]:
        """Nodes a link can point to: `{id, label}` (excluding the selected one)."""
        return [{"id": n["id"], "label": f"{KIND_LABELS.get(n.get('type'), '?')}: {n.get('title') or n['id']}"} for n in ops.items(self.structure) if isinstance(n.get("id"), str) and n["id"] and n["id"] != self.selected_id]

    @rx.var
    def steps(self) -> list[dict[str, str]]:
        """Procedure rows: id, type, title, number, visibility, problem count, first/last flags."""
        rows, number, items = [], 0, ops.items(self.structure)
        bad = {p["node_id"] for p in self.problems if p["node_id"]}
        for i, s in enumerate(items):
            number += s.get("type") == "procedure_step"
            rows.append({"id": str(s.get("id") or ""), "type": str(s.get("type") or ""), "title": str(s.get("title") or ""),
                         "number": str(number) if s.get("type") == "procedure_step" else "", "visibility": str(s.get("library_visibility") or ""),
                         "bad": "1" if s.get("id") in bad else "", "first": "1" if i == 0 else "", "last": "1" if i == len(items) - 1 else "",
                         "commands": str(len(ops.command_list(s)))})
        return rows

    @rx.var
    def save_label(self) -> str:
        """What the save indicator says."""
        return {"saved": "Saved", "saving": "Saving…", "dirty": "Not saved", "error": "Not saved — retry"}.get(self.save_state, "Saved")

    @rx.var
    def file_base(self) -> str:
        """Download name for exports."""
        return _slug(self.meta.get("name", "flow"))

    @rx.var
    def version_view_steps(self) -> list[dict[str, str]]:
        """Rows of the version being viewed (procedures)."""
        return [{"type": str(s.get("type") or ""), "title": str(s.get("title") or "")} for s in ops.items(self.version_view.get("structure") or {})]

    # ------------------------------------------------------------------ loading

    def _set_tree(self, dto) -> None:
        """Copy a TreeDTO's metadata; only changed vars are assigned, so nothing re-renders needlessly."""
        meta = {k: str(getattr(dto, k) or "") for k in ("id", "name", "description", "tree_type", "status", "author_name", "parent_tree_id", "parent_name", "fork_reason", "account_id")}
        for key in set(self._dirty) & {"name", "description"}:  # typed while the save was on its way
            meta[key] = self.meta.get(key, "")
        values = {"meta": {**meta, "updated_at": dto.updated_at.isoformat()}, "tree_type": dto.tree_type, "version": dto.version,
                  "is_public": dto.is_public, "is_active": dto.is_active, "can_edit": dto.can_edit,
                  "has_parent_updates": dto.has_parent_updates, "forks_count": dto.forks_count}
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def _route_id(self) -> str:
        return (self.router.url.path or "").rstrip("/").rsplit("/", 1)[-1]

    def _flush(self) -> str:
        """Save what is still pending before another flow or version replaces it.

        Returns the refusal's sentence ("" when saved); on failure the edits stay pending and
        the indicator says "Not saved — retry", so nothing is lost without a word.
        """
        if self._dirty and self.meta.get("id"):
            try:
                dto = _save(self.token, self.meta["id"], self._pending())
            except ServiceError as exc:
                self.save_state, self.save_error = "error", exc.message
                return exc.message
            self._set_tree(dto)
        self._dirty = []
        return ""

    @rx.event
    def load(self):
        """on_load: fetch the flow named in the URL (first saving what the open flow still had pending)."""
        previous = self.meta.get("id", "")
        if previous and previous != self._route_id():
            failed = self._flush()
            if failed:  # keep the unsaved edits on screen: go back to them instead of dropping them
                return [rx.toast.error(f"Your last edits were not saved: {failed} Retry before leaving."), rx.redirect(routes.flow_url(previous))]
        elif previous == self._route_id() and self._dirty:
            self.loaded = True
            return None
        self.loaded, self.load_error, self.selected_id, self.publish_errors, self.save_state, self.save_error = False, "", "", [], "saved", ""
        self._undo, self._redo, self.can_undo, self.can_redo = [], [], False, False
        self.history_open = self.forks_open = self.fork_open = self.delete_open = self.version_view_open = False
        try:
            dto = self.call(trees_service.get_tree, tree_id=self._route_id())
        except Unauthorized:
            return
        except ServiceError as exc:
            self.load_error, self.loaded = exc.message, True
            return
        self._set_tree(dto)
        self.structure, self.loaded = dto.tree_structure, True
        if dto.can_edit:
            linked = self.try_call(automations_service.list_automations, limit=200)
            # A failed list leaves the picker empty, and says so: links already made still show by id.
            self.automation_choices = [{"id": str(a.id), "label": a.name if a.published else f"{a.name} (not published)"} for a in linked.value[0]] if linked.ok else []
            if not linked.ok:
                return rx.toast.error(f"Automations could not be listed: {linked.error}")

    # ------------------------------------------------------------------ autosave

    def _pending(self) -> dict[str, Any]:
        values = {"tree_structure": self.structure, "name": self.meta.get("name", ""), "description": self.meta.get("description") or None}
        return {k: values[k] for k in self._dirty}

    def _changed(self, *keys: str):
        """Mark fields dirty and (re)start the debounced autosave."""
        if not self.can_edit:
            return None
        self._dirty = sorted(set(self._dirty) | set(keys))
        self.edit_seq += 1
        self.save_state, self.save_error = "dirty", ""
        return FlowEditorState.autosave

    @rx.event(background=True)
    async def autosave(self):
        """Debounced autosave: waits until edits pause for ~1 s, then writes them with update_tree."""
        async with self:
            if self._autosaving:
                return
            self._autosaving = True
        try:
            await self._autosave_loop()
        finally:
            async with self:
                self._autosaving = False

    async def _autosave_loop(self) -> None:
        while True:
            async with self:
                seq = self.edit_seq
            await asyncio.sleep(AUTOSAVE_SECONDS)
            async with self:
                if self.edit_seq != seq:
                    continue
                if not self._dirty or not self.meta.get("id"):
                    return
                token, tree_id, changes = self.token, self.meta["id"], self._pending()
                self._dirty, self.save_state = [], "saving"
            try:
                dto, error = await asyncio.to_thread(_save, token, tree_id, changes), None
            except ServiceError as exc:
                dto, error = None, exc
            async with self:
                if self.meta.get("id") != tree_id:
                    return
                if error is not None:
                    self._dirty = sorted(set(self._dirty) | set(changes))
                    self.save_state, self.save_error = "error", error.message
                    return
                self._set_tree(dto)
                self.save_state = "dirty" if self._dirty else "saved"
                if not self._dirty:
                    return

    @rx.event
    def save_now(self):
        """Write pending changes immediately (the indicator's retry)."""
        return self._commit({})

    def _commit(self, extra: dict[str, Any], success: str = ""):
        """Write pending edits plus `extra` (status, flags) in one update_tree call."""
        changes = {**self._pending(), **extra}
        if not changes:
            return None
        try:
            # Plain saves fold into the working draft like autosaves; status and flags go through update_tree.
            fn = trees_service.update_tree if extra else trees_service.autosave_tree
            dto = self.call(fn, tree_id=self.meta.get("id"), changes=changes)
        except ServiceError as exc:
            if exc.problems:
                self.publish_errors = _problem_lines(exc)
            if self._dirty:  # the pending edits were part of the refused write: they stay, visibly unsaved
                self.save_state, self.save_error = "error", exc.message
            return rx.toast.error(exc.message)
        self._set_tree(dto)
        self._dirty, self.save_state, self.save_error, self.publish_errors = [], "saved", "", []
        return rx.toast.success(success) if success else None

    # ------------------------------------------------------------------ flow-level actions

    @rx.event
    def set_name(self, value: str):
        """Rename the flow (autosaved)."""
        self.meta = {**self.meta, "name": value}
        return self._changed("name")

    @rx.event
    def set_description(self, value: str):
        """Change the flow description (autosaved)."""
        self.meta = {**self.meta, "description": value}
        return self._changed("description")

    @rx.event
    def publish(self):
        """Publish (syncs the step library); problems are listed when refused."""
        self.publish_errors = []
        return self._commit({"status": "published"}, "Published. Engineers can now run it and its steps are in the library.")

    @rx.event
    def dismiss_publish_errors(self):
        """Hide the publish problems callout."""
        self.publish_errors = []

    @rx.event
    def unpublish(self):
        """Back to draft (library entries stay)."""
        return self._commit({"status": "draft"}, "Unpublished: the flow is a draft again.")

    @rx.event
    def set_active(self, value: bool):
        """Deactivate or reactivate the flow."""
        return self._commit({"is_active": value}, "Flow reactivated." if value else "Flow deactivated; its library steps are hidden.")

    @rx.event
    def set_public(self, value: bool):
        """Share with every account (once published) or keep it to the team."""
        return self._commit({"is_public": value}, "Visible to every account once published." if value else "Visible to your team only.")

    @rx.event
    def set_delete_open(self, value: bool):
        """Open or close the delete confirmation."""
        self.delete_open = value

    @rx.event
    def delete_flow(self):
        """Delete the flow for good (forks keep working, orphaned)."""
        try:
            self.call(trees_service.delete_tree, tree_id=self.meta.get("id"))
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        self._dirty, self.delete_open, self.loaded = [], False, False
        return [rx.toast.success("Flow deleted."), rx.redirect(routes.FLOWS)]

    @rx.event
    def set_fork_open(self, value: bool):
        """Open or close the fork dialog."""
        self.fork_open, self.fork_error = value, ""

    @rx.event
    def fork(self, form: dict):
        """Fork into a private draft and open it."""
        failed = self._flush()
        if failed:
            self.fork_error = f"Your last edits were not saved: {failed}"
            return
        try:
            dto = self.call(trees_service.fork_tree, tree_id=self.meta.get("id"), fork_reason=(form.get("fork_reason") or "").strip() or None)
        except ServiceError as exc:
            self.fork_error = exc.message
            return
        self.fork_open = False
        return [rx.toast.success(f"Forked as “{dto.name}”."), rx.redirect(routes.flow_url(str(dto.id)))]

    @rx.event
    def set_forks_open(self, value: bool):
        """Open the forks list (loads it)."""
        self.forks_open = value
        if not value:
            return None
        got = self.try_call(trees_service.list_forks, tree_id=self.meta.get("id"), limit=100)
        if got.error:
            self.forks_open = False
            return rx.toast.error(got.error)
        items, _ = got.value
        self.forks = [{"id": str(t.id), "name": t.name, "author_name": t.author_name or "—", "status": t.status, "reason": t.fork_reason or "", "created_at": t.created_at.isoformat()} for t in items]

    @rx.event
    def set_history_open(self, value: bool):
        """Open the version history drawer (loads it)."""
        self.history_open = value
        if not value:
            return None
        got = self.try_call(trees_service.list_versions, tree_id=self.meta.get("id"), limit=100)
        if got.error:
            self.history_open = False
            return rx.toast.error(got.error)
        items, self.versions_total = got.value
        self.versions = [{"version": str(v.version), "created_at": v.created_at.isoformat(), "by": v.created_by_name or "—", "label": v.label or "",
                          "kind": _version_kind(v), "summary": v.summary_text} for v in items]
        return None

    @rx.event
    def save_version(self, form: dict):
        """Keep the current structure as a version, with the name typed (optional)."""
        failed = self._flush()
        if failed:
            return rx.toast.error(f"Save the pending edits first: {failed}")
        got = self.try_call(trees_service.save_version, tree_id=self.meta.get("id"), label=str(form.get("label") or ""))
        if got.error:
            return self.refused(got)
        self.version = got.value.version
        name = f"“{got.value.label}”" if got.value.label else f"version {got.value.version}"
        return [rx.toast.success(f"Saved {name}."), FlowEditorState.set_history_open(True)]

    @rx.event
    def compare_version(self, version: str):
        """Step-by-step differences between a saved version and the current structure."""
        failed = self._flush()
        if failed:
            return rx.toast.error(f"Save the pending edits first: {failed}")
        got = self.try_call(trees_service.compare_versions, tree_id=self.meta.get("id"), older=version)
        if got.error:
            return self.refused(got)
        self.diff_rows = [{"title": r.title, "status": r.status, "fields": ", ".join(FIELD_LABELS.get(f, f) for f in r.fields)} for r in got.value if r.status != "same"]
        self.diff_version, self.diff_open, self.history_open = version, True, False
        return None

    @rx.event
    def set_diff_open(self, value: bool):
        """Close the comparison."""
        self.diff_open = value

    @rx.event
    def view_version(self, version: str):
        """Show one saved version read-only."""
        try:
            v = self.call(trees_service.get_version, tree_id=self.meta.get("id"), version=version)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        self.version_view = {"version": v.version, "name": v.name, "created_at": v.created_at.isoformat(), "structure": v.tree_structure}
        self.version_view_open, self.history_open = True, False

    @rx.event
    def set_version_view_open(self, value: bool):
        """Close the version viewer."""
        self.version_view_open = value

    @rx.event
    def ask_restore(self, version: str):
        """Ask before restoring `version` (0 closes the question)."""
        self.restore_target = int(version or 0)

    @rx.event
    def restore(self):
        """Make the chosen version current again (a new version)."""
        failed = self._flush()
        if failed:
            return rx.toast.error(f"Your last edits were not saved: {failed} Retry before restoring.")
        try:
            dto = self.call(trees_service.restore_version, tree_id=self.meta.get("id"), version=self.restore_target)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        restored, self.restore_target, self.version_view_open, self.history_open = self.restore_target, 0, False, False
        self._set_tree(dto)
        self.structure, self.selected_id, self.save_state = dto.tree_structure, "", "saved"
        self._undo, self._redo, self.can_undo, self.can_redo = [], [], False, False
        return rx.toast.success(f"Version {restored} restored as version {dto.version}.")

    @rx.event
    def export_json(self):
        """Download the flow as a JSON export."""
        try:
            data = self.call(trees_service.export_tree, tree_id=self.meta.get("id"))
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        return rx.download(data=json.dumps(data, indent=2, ensure_ascii=False), filename=f"{self.file_base}.json", mime_type="application/json")

    # ------------------------------------------------------------------ node editing (pure ops + autosave)

    def _edit(self, structure: dict[str, Any], *, record: bool = True):
        if record and structure != self.structure:
            # Undo history of structure edits in this editor (text typed into fields included, once saved).
            self._undo = [*self._undo[-(UNDO_LIMIT - 1):], _plain(self.structure)]
            self._redo = []
        self.can_undo, self.can_redo = bool(self._undo), bool(self._redo)
        self.structure = structure
        if self.publish_errors and not validate_structure(self.tree_type, structure):
            self.publish_errors = []  # every refusal reason is fixed: the banner goes away
        return self._changed("tree_structure")

    @rx.event
    def undo(self):
        """Ctrl+Z: the structure before the last edit (saved like any edit)."""
        if not self.can_edit or not self._undo:
            return None
        previous = self._undo[-1]
        self._undo, self._redo = self._undo[:-1], [*self._redo, _plain(self.structure)]
        if self.selected_id and not ops.find(previous, self.selected_id):
            self.selected_id = ""
        return self._edit(previous, record=False)

    @rx.event
    def redo(self):
        """Ctrl+Shift+Z: the edit undone last."""
        if not self.can_edit or not self._redo:
            return None
        following = self._redo[-1]
        self._redo, self._undo = self._redo[:-1], [*self._undo, _plain(self.structure)]
        if self.selected_id and not ops.find(following, self.selected_id):
            self.selected_id = ""
        return self._edit(following, record=False)

    @rx.event
    def select_node(self, node_id: str):
        """Select a node (from the canvas or the list); "" clears."""
        self.selected_id = node_id or ""

    @rx.event
    def add_node(self, payload: dict):
        """Canvas toolbar: add a node at the given position and select it."""
        if not self.can_edit:
            return None
        structure, self.selected_id = ops.add_node(self.structure, payload.get("kind", "action"), {"x": payload.get("x"), "y": payload.get("y")}, payload.get("positions"))
        return self._edit(structure)

    @rx.event
    def move_nodes(self, positions: dict):
        """Canvas: nodes were dragged (or auto-laid out); save their positions.

        Positions are layout, not content: they are saved but do not enter the undo history, so the
        canvas settling after an undo never wipes the redo history.
        """
        return self._edit(ops.move_nodes(self.structure, positions), record=False) if self.can_edit else None

    @rx.event
    def connect_nodes(self, payload: dict):
        """Canvas: a handle was connected to a node."""
        if not self.can_edit:
            return None
        return self._edit(ops.connect(self.structure, payload.get("source", ""), payload.get("sourceHandle", ""), payload.get("target", "")))

    @rx.event
    def delete_edges(self, edges: list):
        """Canvas: edges were deleted with the keyboard."""
        structure = self.structure
        for e in edges if self.can_edit else []:
            structure = ops.disconnect(structure, e.get("source", ""), e.get("sourceHandle", ""))
        return self._edit(structure) if self.can_edit else None

    @rx.event
    def delete_nodes(self, node_ids: list):
        """Delete nodes (canvas keyboard or the panel's delete button)."""
        if not self.can_edit or not node_ids:
            return None
        if self.selected_id in node_ids:
            self.selected_id = ""
        return self._edit(ops.delete_nodes(self.structure, node_ids))

    @rx.event
    def delete_selected(self):
        """Delete the selected node or step."""
        return FlowEditorState.delete_nodes([self.selected_id])

    @rx.event
    def set_node_field(self, field: str, value: str):
        """Edit title / description / help_text / expected_outcome of the selected node."""
        return self._edit(ops.set_field(self.structure, self.selected_id, field, value)) if self.can_edit else None

    @rx.event
    def set_node_kind(self, kind: str):
        """Turn the selected node into a decision, action or solution."""
        return self._edit(ops.set_kind(self.structure, self.selected_id, kind)) if self.can_edit else None

    @rx.event
    def make_start(self):
        """Make the selected node the start of the tree."""
        return self._edit(ops.set_start(self.structure, self.selected_id)) if self.can_edit else None

    @rx.event
    def set_next(self, target: str):
        """Set the action's next node ("__none__" clears it)."""
        return self._edit(ops.set_next(self.structure, self.selected_id, "" if target == "__none__" else target)) if self.can_edit else None

    @rx.event
    def add_option(self):
        """Add an answer to the selected decision."""
        return self._edit(ops.add_option(self.structure, self.selected_id)) if self.can_edit else None

    @rx.event
    def set_option_label(self, index: str, label: str):
        """Rename an answer."""
        return self._edit(ops.set_option(self.structure, self.selected_id, int(index), label=label)) if self.can_edit else None

    @rx.event
    def set_option_target(self, index: str, target: str):
        """Point an answer at a node ("__none__" clears it)."""
        return self._edit(ops.set_option(self.structure, self.selected_id, int(index), target="" if target == "__none__" else target)) if self.can_edit else None

    @rx.event
    def remove_option(self, index: str):
        """Delete an answer."""
        return self._edit(ops.remove_option(self.structure, self.selected_id, int(index))) if self.can_edit else None

    @rx.event
    def add_command(self):
        """Add a command to the selected node."""
        return self._edit(ops.add_command(self.structure, self.selected_id)) if self.can_edit else None

    @rx.event
    def set_command(self, index: str, field: str, value: str):
        """Edit a command's label, language or code."""
        return self._edit(ops.set_command(self.structure, self.selected_id, int(index), field, value)) if self.can_edit else None

    @rx.event
    def remove_command(self, index: str):
        """Delete a command."""
        return self._edit(ops.remove_command(self.structure, self.selected_id, int(index))) if self.can_edit else None

    @rx.event
    def add_step(self, kind: str):
        """Procedure: insert a section / step / end after the selected row and select it."""
        if not self.can_edit:
            return None
        structure, self.selected_id = ops.add_step(self.structure, kind, self.selected_id)
        return self._edit(structure)

    @rx.event
    def move_step(self, step_id: str, delta: int):
        """Procedure: move a row up or down."""
        return self._edit(ops.move_step(self.structure, step_id, delta)) if self.can_edit else None

    @rx.event
    def set_node_automation(self, value: str):
        """Link the selected action node / procedure step to an automation (or none)."""
        return self._edit(ops.set_automation(self.structure, self.selected_id, "" if value == NO_AUTOMATION else value)) if self.can_edit else None

    @rx.event
    def set_library_visibility(self, value: str):
        """Procedure step: Inherit from flow / Team only / Public."""
        return self._edit(ops.set_library_visibility(self.structure, self.selected_id, value)) if self.can_edit else None


_UNSAVED_GUARD = """
if (!window.__rfUnsavedGuard) {
  window.__rfUnsavedGuard = true;
  window.addEventListener('beforeunload', function (e) {
    var el = document.querySelector('[data-unsaved="1"]');
    if (el) { e.preventDefault(); e.returnValue = ''; return ''; }
  });
}
if (!window.__rfUndoKeys) {
  window.__rfUndoKeys = true;
  // Ctrl/Cmd+Z undoes the last structure edit, Ctrl/Cmd+Shift+Z (or Ctrl+Y) redoes it; inside a text field the
  // browser's own text undo applies.
  window.addEventListener('keydown', function (e) {
    if (!(e.ctrlKey || e.metaKey)) return;
    var key = (e.key || '').toLowerCase();
    if (key !== 'z' && key !== 'y') return;
    var t = e.target;
    if (t && (t.isContentEditable || /^(input|textarea|select)$/i.test(t.tagName))) return;
    var id = (key === 'y' || e.shiftKey) ? 'redo' : 'undo';
    var button = document.querySelector('[data-testid="' + id + '"]');
    if (button && !button.disabled) { e.preventDefault(); button.click(); }
  });
}
"""


class EditorKeysState(AuthState):
    """Installs the editor's page-wide listeners (leave guard, undo keys) once the page runs."""

    @rx.event
    def install(self):
        """Run the listeners' script once the page is live (each listener guards against a second install)."""
        return rx.call_script(_UNSAVED_GUARD)


@rx.page(route=routes.FLOWS + "/[tree_id]", title="Flow editor · ResolutionFlow", on_load=[AuthState.check_login, FlowEditorState.load, EditorKeysState.install])
def flow_editor_page() -> rx.Component:
    """Edit (or read) one flow."""
    return app_layout(panels.editor_body(FlowEditorState), max_width="100%")
