"""Shares page (filled in by its own issue; until then a clear empty state)."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.layout import app_layout, empty_state, page_header
from resolutionflow_app.state.auth import AuthState


@rx.page(route=routes.SHARES, title="Shares · ResolutionFlow", on_load=AuthState.check_login)
def shares_page() -> rx.Component:
    """Shares."""
    return app_layout(page_header("Shares"), empty_state("link", "No share links yet", "Links you create from a session appear here."))
