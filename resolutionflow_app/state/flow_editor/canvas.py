"""CanvasState: selection and the canvas's (or procedure list's) structural edits."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app.domain import flow_editing as ops
from resolutionflow_app.state.flow_editor.base import EditorState, editing
from resolutionflow_app.state.flow_editor.models import StepRow


class CanvasState(EditorState):
    """What the canvas (troubleshooting) or the step list (procedures) sends: select, add, move, link, delete."""

    @rx.var
    def steps(self) -> list[StepRow]:
        """Procedure rows: numbering, visibility, problem flag, first/last, command count."""
        rows, number, items = [], 0, ops.items(self._structure)
        bad = {p.node_id for p in self.problems if p.node_id}
        for i, s in enumerate(items):
            number += s.get("type") == "procedure_step"
            rows.append(
                StepRow(
                    id=str(s.get("id") or ""),
                    type=str(s.get("type") or ""),
                    title=str(s.get("title") or ""),
                    number=str(number) if s.get("type") == "procedure_step" else "",
                    visibility=str(s.get("library_visibility") or ""),
                    bad=s.get("id") in bad,
                    first=i == 0,
                    last=i == len(items) - 1,
                    commands=len(ops.command_list(s)),
                )
            )
        return rows

    @rx.event
    def select_node(self, node_id: str):
        """Select a node (from the canvas or the list); "" clears. Viewers may select too: it changes nothing."""
        self.selected_id = node_id or ""

    @rx.event
    @editing
    def add_node(self, payload: dict):
        """Canvas toolbar: add a node at the given position and select it."""
        structure, self.selected_id = ops.add_node(
            self._structure,
            payload.get("kind", "action"),
            {"x": payload.get("x"), "y": payload.get("y")},
            payload.get("positions"),
        )
        return self._edit(structure)

    @rx.event
    @editing
    def move_nodes(self, positions: dict):
        """Canvas: nodes were dragged (or auto-laid out); save their positions.

        Positions are layout, not content: they are saved but do not enter the undo history, so the
        canvas settling after an undo never wipes the redo history.
        """
        return self._edit(ops.move_nodes(self._structure, positions), record=False)

    @rx.event
    @editing
    def connect_nodes(self, payload: dict):
        """Canvas: a handle was connected to a node."""
        return self._edit(
            ops.connect(
                self._structure, payload.get("source", ""), payload.get("sourceHandle", ""), payload.get("target", "")
            )
        )

    @rx.event
    @editing
    def delete_edges(self, edges: list):
        """Canvas: edges were deleted with the keyboard."""
        structure = self._structure
        for e in edges:
            structure = ops.disconnect(structure, e.get("source", ""), e.get("sourceHandle", ""))
        return self._edit(structure)

    @rx.event
    @editing
    def delete_nodes(self, node_ids: list):
        """Delete nodes (canvas keyboard, the step list or the panel's delete button)."""
        if not node_ids:
            return None
        if self.selected_id in node_ids:
            self.selected_id = ""
        return self._edit(ops.delete_nodes(self._structure, node_ids))

    @rx.event
    @editing
    def add_step(self, kind: str):
        """Procedure: insert a section / step / end after the selected row and select it."""
        structure, self.selected_id = ops.add_step(self._structure, kind, self.selected_id)
        return self._edit(structure)

    @rx.event
    @editing
    def move_step(self, step_id: str, delta: int):
        """Procedure: move a row up or down."""
        return self._edit(ops.move_step(self._structure, step_id, delta))
