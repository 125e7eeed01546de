"""Flows page (filled in by its own issue; until then a clear empty state)."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.layout import app_layout, empty_state, page_header
from resolutionflow_app.state.auth import AuthState


@rx.page(route=routes.FLOWS, title="Flows · ResolutionFlow", on_load=AuthState.check_login)
def flows_page() -> rx.Component:
    """Flows."""
    return app_layout(page_header("Flows"), empty_state("git-fork", "No flows to show yet", "Troubleshooting trees and procedures appear here once the flow editor lands."))
