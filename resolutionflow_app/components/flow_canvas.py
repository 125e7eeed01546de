"""The troubleshooting-tree canvas: a local React module (assets/flow_canvas.jsx) around @xyflow/react."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import passthrough_event_spec

XYFLOW = "@xyflow/react@12.12.1"
DAGRE = "@dagrejs/dagre@1.1.4"
HTML_TO_IMAGE = "html-to-image@1.11.11"


class FlowCanvas(rx.NoSSRComponent):
    """Editable decision-tree canvas: coloured nodes, handles, dagre layout, minimap, PNG/SVG export.

    The module lives in assets/ (copied to .web/public at build) and imports xyflow, dagre and
    html-to-image, which bun installs from `lib_dependencies`.
    """

    library = "$/public/flow_canvas.jsx"
    tag = "FlowCanvas"
    lib_dependencies: list[str] = [XYFLOW, DAGRE, HTML_TO_IMAGE]

    structure: rx.Var[dict[str, Any]]
    problems: rx.Var[list[Any]]  # [{node_id, message, ...}]: dicts or the editor's typed Problem rows
    selected_id: rx.Var[str]
    read_only: rx.Var[bool]
    canvas_id: rx.Var[str]
    file_base: rx.Var[str]

    on_select_node: rx.EventHandler[passthrough_event_spec(str)]
    on_move_nodes: rx.EventHandler[passthrough_event_spec(dict)]
    on_connect_nodes: rx.EventHandler[passthrough_event_spec(dict)]
    on_delete_nodes: rx.EventHandler[passthrough_event_spec(list)]
    on_delete_edges: rx.EventHandler[passthrough_event_spec(list)]
    on_add_node: rx.EventHandler[passthrough_event_spec(dict)]


flow_canvas = FlowCanvas.create


def export_diagram(fmt: str, canvas_id: str = "flow-canvas") -> rx.event.EventSpec:
    """Client-side event: download canvas `canvas_id` as `fmt` ("png" or "svg") via html-to-image."""
    return rx.call_script(f"window.rfExportDiagram && window.rfExportDiagram({canvas_id!r}, {fmt!r})")
