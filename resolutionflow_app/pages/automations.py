"""Automations page (filled in by its own issue; until then a clear empty state)."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.layout import app_layout, empty_state, page_header
from resolutionflow_app.state.auth import AuthState


@rx.page(route=routes.AUTOMATIONS, title="Automations · ResolutionFlow", on_load=AuthState.check_login)
def automations_page() -> rx.Component:
    """Automations."""
    return app_layout(page_header("Automations"), empty_state("bot", "No automations yet", "AI automations you build and their runs appear here."))
