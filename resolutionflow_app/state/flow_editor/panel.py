"""PanelState: the side panel's view of the selected node and its field edits."""

from __future__ import annotations

from typing import Any

import reflex as rx

from resolutionflow_app.components.flow_forms import NO_AUTOMATION
from resolutionflow_app.domain import flow_editing as ops
from resolutionflow_app.services import automations as automations_service
from resolutionflow_app.state.flow_editor.base import KIND_LABELS, EditorState, editing
from resolutionflow_app.state.flow_editor.canvas import CanvasState
from resolutionflow_app.state.flow_editor.models import CommandRow, NodeForm, OptionRow
from resolutionflow_app.state.rows import Option

NONE = "__none__"  # a select's "leads nowhere" item (Radix select items cannot have an empty value)


class PanelState(EditorState):
    """The selected node's form (troubleshooting panel or procedure step form) and the automations it may link."""

    automation_choices: list[Option] = []

    def _node(self) -> dict[str, Any] | None:
        return ops.find(self._structure, self.selected_id) if self.selected_id else None

    @rx.var
    def sel(self) -> NodeForm:
        """The selected node's fields (empty `id` when nothing is selected)."""
        node = self._node()
        if node is None:
            return NodeForm()
        kind = str(node.get("type") or "")
        return NodeForm(
            **{
                k: str(node.get(k) or "")
                for k in ("id", "title", "description", "help_text", "expected_outcome", "next")
            },
            type=kind,
            kind_label=KIND_LABELS.get(kind, kind or "Node"),
            library_visibility=node.get("library_visibility") or "inherit",
            automation_id=str(node.get("automation_id") or "") or NO_AUTOMATION,
            is_start=self._structure.get("start_node_id") == node.get("id"),
        )

    @rx.var
    def sel_options(self) -> list[OptionRow]:
        """Answer options of the selected decision."""
        options = (self._node() or {}).get("options") or []
        return [
            OptionRow(index=i, label=str(o.get("label") or ""), next=str(o.get("next") or "") or NONE)
            for i, o in enumerate(options)
            if isinstance(o, dict)
        ]

    @rx.var
    def sel_commands(self) -> list[CommandRow]:
        """Commands of the selected node as editable rows."""
        return [CommandRow(index=i, **row) for i, row in enumerate(ops.command_list(self._node()))]

    @rx.var
    def sel_problems(self) -> list[str]:
        """Problems of the selected node (from the stored validation, never a second run of it)."""
        return [p.message for p in self.problems if p.node_id and p.node_id == self.selected_id]

    @rx.var
    def node_choices(self) -> list[Option]:
        """Nodes a link can point to (excluding the selected one)."""
        return [
            Option(id=n["id"], label=f"{KIND_LABELS.get(n.get('type'), '?')}: {n.get('title') or n['id']}")
            for n in ops.items(self._structure)
            if isinstance(n.get("id"), str) and n["id"] and n["id"] != self.selected_id
        ]

    @rx.event
    def reset_view(self):
        """A flow was opened: list the automations its steps may link (authors only)."""
        self.automation_choices = []
        if not self._may_edit():
            return None
        linked = self.try_call(automations_service.list_automations, limit=200)
        if not linked.ok:
            # The picker stays empty, and says so: links already made still show by id.
            return rx.toast.error(f"Automations could not be listed: {linked.error}")
        self.automation_choices = [
            Option(id=str(a.id), label=a.name if a.published else f"{a.name} (not published)") for a in linked.value[0]
        ]
        return None

    @rx.event
    @editing
    def delete_selected(self):
        """Delete the selected node or step."""
        return CanvasState.delete_nodes([self.selected_id])

    @rx.event
    @editing
    def set_node_field(self, field: str, value: str):
        """Edit title / description / help_text / expected_outcome of the selected node."""
        return self._edit(ops.set_field(self._structure, self.selected_id, field, value))

    @rx.event
    @editing
    def set_node_kind(self, kind: str):
        """Turn the selected node into a decision, action or solution."""
        return self._edit(ops.set_kind(self._structure, self.selected_id, kind))

    @rx.event
    @editing
    def make_start(self):
        """Make the selected node the start of the tree."""
        return self._edit(ops.set_start(self._structure, self.selected_id))

    @rx.event
    @editing
    def set_next(self, target: str):
        """Set the action's next node ("__none__" clears it)."""
        return self._edit(ops.set_next(self._structure, self.selected_id, "" if target == NONE else target))

    @rx.event
    @editing
    def add_option(self):
        """Add an answer to the selected decision."""
        return self._edit(ops.add_option(self._structure, self.selected_id))

    @rx.event
    @editing
    def set_option_label(self, index: int, label: str):
        """Rename an answer."""
        return self._edit(ops.set_option(self._structure, self.selected_id, int(index), label=label))

    @rx.event
    @editing
    def set_option_target(self, index: int, target: str):
        """Point an answer at a node ("__none__" clears it)."""
        return self._edit(
            ops.set_option(self._structure, self.selected_id, int(index), target="" if target == NONE else target)
        )

    @rx.event
    @editing
    def remove_option(self, index: int):
        """Delete an answer."""
        return self._edit(ops.remove_option(self._structure, self.selected_id, int(index)))

    @rx.event
    @editing
    def add_command(self):
        """Add a command to the selected node."""
        return self._edit(ops.add_command(self._structure, self.selected_id))

    @rx.event
    @editing
    def set_command(self, index: int, field: str, value: str):
        """Edit a command's label, language or code."""
        return self._edit(ops.set_command(self._structure, self.selected_id, int(index), field, value))

    @rx.event
    @editing
    def remove_command(self, index: int):
        """Delete a command."""
        return self._edit(ops.remove_command(self._structure, self.selected_id, int(index)))

    @rx.event
    @editing
    def set_node_automation(self, value: str):
        """Link the selected action node / procedure step to an automation (or none)."""
        return self._edit(
            ops.set_automation(self._structure, self.selected_id, "" if value == NO_AUTOMATION else value)
        )

    @rx.event
    @editing
    def set_library_visibility(self, value: str):
        """Procedure step: Inherit from flow / Team only / Public."""
        return self._edit(ops.set_library_visibility(self._structure, self.selected_id, value))
