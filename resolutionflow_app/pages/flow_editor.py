"""Flow editor (/flows/[tree_id]): the page layout; its states live in state/flow_editor/."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components import flow_panels as panels
from resolutionflow_app.components.layout import app_layout
from resolutionflow_app.state.auth import AuthState
from resolutionflow_app.state.flow_editor import EDITOR, EditorKeysState, EditorState


@rx.page(
    route=routes.FLOWS + "/[tree_id]",
    title="Flow editor · ResolutionFlow",
    on_load=[AuthState.check_login, EditorState.load, EditorKeysState.install],
)
def flow_editor_page() -> rx.Component:
    """Edit (or read) one flow."""
    return app_layout(panels.editor_body(EDITOR), max_width="100%")
