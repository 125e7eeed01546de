"""EditorState: the open flow shared by the editor's substates, its editable guard, validation and autosave."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from resolutionflow_app import entry, routes
from resolutionflow_app.domain import flow_editing as ops
from resolutionflow_app.domain.errors import ServiceError, Unauthorized
from resolutionflow_app.domain.tree_validation import validate_structure
from resolutionflow_app.services import trees as trees_service
from resolutionflow_app.state.auth import AuthState
from resolutionflow_app.state.flow_editor.models import FlowMeta, Problem

AUTOSAVE_SECONDS = 1.0
UNDO_LIMIT = 50
KIND_LABELS = {
    "decision": "Decision",
    "action": "Action",
    "solution": "Solution",
    "section_header": "Section",
    "procedure_step": "Step",
    "procedure_end": "End",
}
# What the canvas draws of a node (assets/flow_canvas.jsx); descriptions, help and commands stay on the server.
CANVAS_NODE_FIELDS = ("id", "type", "title", "position", "next")

F = TypeVar("F", bound=Callable[..., Any])


def editing(handler: F) -> F:
    """The editable guard: the handler does nothing unless the user may change the open flow.

    Every handler that changes the flow wears it (tests/state/test_flow_editor_state.py walks them all),
    so a read-only viewer's browser cannot mutate through any substate, whatever it sends.
    """

    @functools.wraps(handler)
    def guarded(self, *args: Any, **kwargs: Any) -> Any:
        if not self._may_edit():
            return None
        return handler(self, *args, **kwargs)

    guarded.__rf_editing__ = True  # type: ignore[attr-defined]
    return guarded  # type: ignore[return-value]


def plain(structure: Any) -> dict[str, Any]:
    """A detached copy of a state value (the state's own dict is a proxy that must not be kept elsewhere)."""
    return json.loads(json.dumps(structure))


def slug(name: str) -> str:
    """A download file name for `name`."""
    return re.sub(r"[^a-z0-9]+", "-", (name or "flow").lower()).strip("-")[:60] or "flow"


def problem_lines(exc: ServiceError) -> list[str]:
    """Publish problems as lines (each message already names its node)."""
    return [str(p.get("message") if isinstance(p, dict) else p) for p in exc.problems or []] or [exc.message]


def canvas_view(structure: dict[str, Any]) -> dict[str, Any]:
    """The part of a structure the canvas draws: start, and per node its id, kind, title, position and links."""
    nodes = []
    for node in ops.items(structure):
        slim = {k: node[k] for k in CANVAS_NODE_FIELDS if k in node}
        if isinstance(node.get("options"), list):
            slim["options"] = [
                {"label": o.get("label"), "next": o.get("next")} if isinstance(o, dict) else o for o in node["options"]
            ]
        nodes.append(slim)
    return {"start_node_id": structure.get("start_node_id"), "nodes": nodes}


def _save(token: str, tree_id: str, changes: dict[str, Any]):
    """Write pending changes for the autosave task (runs in a worker thread, through the entry point).

    Autosaves fold into one working-draft version; publish, restore and "Save version" make versions.
    """
    return entry.call(trees_service.autosave_tree, token=token or None, tree_id=tree_id, changes=changes)


class EditorState(AuthState):
    """The open flow: metadata, the structure (server side), its problems, selection, undo stacks and save status.

    Substates (canvas, panel, history, publish) hold the handlers and their own dialogs; they read and
    write these vars through Reflex's inheritance. The structure itself is a backend var: the browser gets
    `canvas` (what the canvas draws), `problems` and each substate's small derived vars instead.
    """

    meta: FlowMeta = FlowMeta()
    tree_type: str = ""
    version: int = 0
    is_public: bool = False
    is_active: bool = True
    can_edit: bool = False
    has_parent_updates: bool = False
    forks_count: int = 0
    loaded: bool = False
    load_error: str = ""
    selected_id: str = ""
    save_state: str = "saved"
    save_error: str = ""
    edit_seq: int = 0
    publish_errors: list[str] = []
    problems: list[Problem] = []
    canvas: dict[str, Any] = {}
    can_undo: bool = False
    can_redo: bool = False
    _structure: dict[str, Any] = {}
    _undo: list[dict[str, Any]] = []
    _redo: list[dict[str, Any]] = []
    _dirty: list[str] = []
    _autosaving: bool = False

    # ------------------------------------------------------------------ derived (cheap, no DB)

    @rx.var
    def is_troubleshooting(self) -> bool:
        """True for decision trees (canvas editor)."""
        return self.tree_type == "troubleshooting"

    @rx.var
    def editable(self) -> bool:
        """True when the user may change this flow (authors of the account, owners)."""
        return self.can_edit and self.loaded and not self.load_error

    @rx.var
    def save_label(self) -> str:
        """What the save indicator says."""
        return {"saved": "Saved", "saving": "Saving…", "dirty": "Not saved", "error": "Not saved — retry"}.get(
            self.save_state, "Saved"
        )

    @rx.var
    def file_base(self) -> str:
        """Download name for exports."""
        return slug(self.meta.name or "flow")

    def _may_edit(self) -> bool:
        """The editable guard's test (the same as `editable`, on the server side)."""
        return bool(self.can_edit and self.loaded and not self.load_error)

    # ------------------------------------------------------------------ structure: one validation per change

    def _set_structure(self, structure: dict[str, Any]) -> None:
        """Adopt `structure`: validate it once, and send the browser only what changed of problems and canvas."""
        self._structure = structure
        found = validate_structure(self.tree_type, structure) if self.tree_type and structure else []
        problems = [
            Problem(
                node_id=p.node_id or "",
                message=p.message,
                title=((ops.find(structure, p.node_id) or {}).get("title") or p.node_id) if p.node_id else "Flow",
            )
            for p in found
        ]
        if problems != self.problems:
            self.problems = problems
        if not problems and self.publish_errors:
            self.publish_errors = []  # every refusal reason is fixed: the banner goes away
        view = canvas_view(structure)
        if view != self.canvas:  # text edits in the panel leave the canvas as it is: nothing is re-sent
            self.canvas = view

    def _edit(self, structure: dict[str, Any], *, record: bool = True):
        """Apply an edit (recorded for undo unless `record` is False) and start the autosave."""
        if record and structure != self._structure:
            # Undo history of structure edits in this editor (text typed into fields included, once saved).
            self._undo = [*self._undo[-(UNDO_LIMIT - 1) :], plain(self._structure)]
            self._redo = []
        self.can_undo, self.can_redo = bool(self._undo), bool(self._redo)
        self._set_structure(structure)
        return self._changed("tree_structure")

    def _forget_history(self) -> None:
        self._undo, self._redo, self.can_undo, self.can_redo = [], [], False, False

    # ------------------------------------------------------------------ loading

    def _set_tree(self, dto) -> None:
        """Copy a TreeDTO's metadata; only changed vars are assigned, so nothing re-renders needlessly."""
        meta = FlowMeta(
            **{
                k: str(getattr(dto, k) or "")
                for k in (
                    "id",
                    "name",
                    "description",
                    "tree_type",
                    "status",
                    "author_name",
                    "parent_tree_id",
                    "parent_name",
                    "fork_reason",
                    "account_id",
                )
            },
            updated_at=dto.updated_at.isoformat(),
        )
        for key in set(self._dirty) & {"name", "description"}:  # typed while the save was on its way
            setattr(meta, key, getattr(self.meta, key))
        values = {
            "meta": meta,
            "tree_type": dto.tree_type,
            "version": dto.version,
            "is_public": dto.is_public,
            "is_active": dto.is_active,
            "can_edit": dto.can_edit,
            "has_parent_updates": dto.has_parent_updates,
            "forks_count": dto.forks_count,
        }
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def _flush(self) -> str:
        """Save what is still pending before another flow or version replaces it.

        Returns the refusal's sentence ("" when saved); on failure the edits stay pending and
        the indicator says "Not saved — retry", so nothing is lost without a word.
        """
        if self._dirty and self.meta.id:
            try:
                dto = _save(self.token, self.meta.id, self._pending())
            except ServiceError as exc:
                self.save_state, self.save_error = "error", exc.message
                return exc.message
            self._set_tree(dto)
        self._dirty = []
        return ""

    @rx.event
    def load(self):
        """on_load: fetch the flow named in the URL (first saving what the open flow still had pending)."""
        previous = self.meta.id
        if previous and previous != self._route_part():
            failed = self._flush()
            if failed:  # keep the unsaved edits on screen: go back to them instead of dropping them
                return [
                    rx.toast.error(f"Your last edits were not saved: {failed} Retry before leaving."),
                    rx.redirect(routes.flow_url(previous)),
                ]
        elif previous == self._route_part() and self._dirty:
            self.loaded = True
            return None
        self.loaded, self.load_error, self.selected_id, self.publish_errors, self.save_state, self.save_error = (
            False,
            "",
            "",
            [],
            "saved",
            "",
        )
        self._forget_history()
        # Each substate closes its dialogs and drops what it listed for the previous flow.
        resets = [
            sub.reset_view
            for sub in sorted(type(self).get_substates(), key=lambda s: s.get_name())
            if "reset_view" in sub.event_handlers
        ]
        try:
            dto = self.call(trees_service.get_tree, tree_id=self._route_part())
        except Unauthorized:
            return resets
        except ServiceError as exc:
            self.load_error, self.loaded = exc.message, True
            return resets
        self._set_tree(dto)
        self._set_structure(dto.tree_structure)
        self.loaded = True
        return resets

    # ------------------------------------------------------------------ autosave

    def _pending(self) -> dict[str, Any]:
        values = {
            "tree_structure": self._structure,
            "name": self.meta.name,
            "description": self.meta.description or None,
        }
        return {k: values[k] for k in self._dirty}

    def _changed(self, *keys: str):
        """Mark fields dirty and (re)start the debounced autosave."""
        if not self.can_edit:
            return None
        self._dirty = sorted(set(self._dirty) | set(keys))
        self.edit_seq += 1
        self.save_state, self.save_error = "dirty", ""
        return EditorState.autosave

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
                if not self._dirty or not self.meta.id:
                    return
                token, tree_id, changes = self.token, self.meta.id, self._pending()
                self._dirty, self.save_state = [], "saving"
            try:
                dto, error = await asyncio.to_thread(_save, token, tree_id, changes), None
            except ServiceError as exc:
                dto, error = None, exc
            async with self:
                if self.meta.id != tree_id:
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
            dto = self.call(fn, tree_id=self.meta.id, changes=changes)
        except ServiceError as exc:
            if exc.problems:
                self.publish_errors = problem_lines(exc)
            if self._dirty:  # the pending edits were part of the refused write: they stay, visibly unsaved
                self.save_state, self.save_error = "error", exc.message
            return rx.toast.error(exc.message)
        self._set_tree(dto)
        self._dirty, self.save_state, self.save_error, self.publish_errors = [], "saved", "", []
        return rx.toast.success(success) if success else None

    # ------------------------------------------------------------------ flow name and description (autosaved)

    @rx.event
    @editing
    def set_name(self, value: str):
        """Rename the flow (autosaved)."""
        self.meta = dataclasses.replace(self.meta, name=value)
        return self._changed("name")

    @rx.event
    @editing
    def set_description(self, value: str):
        """Change the flow description (autosaved)."""
        self.meta = dataclasses.replace(self.meta, description=value)
        return self._changed("description")
