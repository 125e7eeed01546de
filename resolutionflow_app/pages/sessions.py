"""Sessions page (filled in by its own issue; until then a clear empty state)."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.layout import app_layout, empty_state, page_header
from resolutionflow_app.state.auth import AuthState


@rx.page(route=routes.SESSIONS, title="Sessions · ResolutionFlow", on_load=AuthState.check_login)
def sessions_page() -> rx.Component:
    """Sessions."""
    return app_layout(page_header("Sessions"), empty_state("play", "No sessions yet", "Start a session from a published flow to troubleshoot live."))
