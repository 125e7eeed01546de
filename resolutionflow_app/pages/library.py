"""Library page (filled in by its own issue; until then a clear empty state)."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.layout import app_layout, empty_state, page_header
from resolutionflow_app.state.auth import AuthState


@rx.page(route=routes.LIBRARY, title="Library · ResolutionFlow", on_load=AuthState.check_login)
def library_page() -> rx.Component:
    """Library."""
    return app_layout(page_header("Library"), empty_state("library", "The step library is empty", "Steps from published flows and hand-written steps appear here."))
