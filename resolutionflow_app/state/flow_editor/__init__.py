"""The flow editor's states: a shared base (the open flow) and one substate per part of the page."""

from __future__ import annotations

from dataclasses import dataclass

from resolutionflow_app.state.flow_editor.base import EditorState
from resolutionflow_app.state.flow_editor.canvas import CanvasState
from resolutionflow_app.state.flow_editor.history import HistoryState
from resolutionflow_app.state.flow_editor.keys import EditorKeysState
from resolutionflow_app.state.flow_editor.panel import PanelState
from resolutionflow_app.state.flow_editor.publish import PublishState


@dataclass(frozen=True)
class Editor:
    """The states the editor's components read, by part (components take one and never import pages)."""

    doc: type[EditorState] = EditorState
    canvas: type[CanvasState] = CanvasState
    panel: type[PanelState] = PanelState
    history: type[HistoryState] = HistoryState
    publish: type[PublishState] = PublishState


EDITOR = Editor()

__all__ = [
    "EDITOR",
    "CanvasState",
    "Editor",
    "EditorKeysState",
    "EditorState",
    "HistoryState",
    "PanelState",
    "PublishState",
]
