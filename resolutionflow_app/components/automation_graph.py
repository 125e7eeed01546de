"""The automation visualizer: a local React module (assets/automation_graph.jsx) around @xyflow/react."""

from __future__ import annotations

from typing import Any

import reflex as rx

from resolutionflow_app.components.flow_canvas import DAGRE, HTML_TO_IMAGE, XYFLOW


class AutomationGraph(rx.NoSSRComponent):
    """Read-only graph of an automation: input, step and output nodes, routed edges, run overlay, export."""

    library = "$/public/automation_graph.jsx"
    tag = "AutomationGraph"
    lib_dependencies: list[str] = [XYFLOW, DAGRE, HTML_TO_IMAGE]

    graph: rx.Var[dict[str, Any]]
    canvas_id: rx.Var[str]
    file_base: rx.Var[str]


automation_graph = AutomationGraph.create
