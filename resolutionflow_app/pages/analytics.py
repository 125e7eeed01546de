"""Analytics page (filled in by its own issue; until then a clear empty state)."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.layout import app_layout, empty_state, page_header
from resolutionflow_app.state.auth import AuthState


@rx.page(route=routes.ANALYTICS, title="Analytics · ResolutionFlow", on_load=AuthState.check_login)
def analytics_page() -> rx.Component:
    """Analytics."""
    return app_layout(page_header("Analytics"), empty_state("chart-column", "Nothing to analyse yet", "Library usage and popular ad-hoc steps appear here once sessions run."))
