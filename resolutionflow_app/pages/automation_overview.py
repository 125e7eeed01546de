"""Automation overview tab: the visualizer with a run overlay, exports (JSON, PNG, SVG)."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.automation_graph import automation_graph
from resolutionflow_app.components.automation_tabs import automation_tabs
from resolutionflow_app.components.flow_canvas import export_diagram
from resolutionflow_app.components.layout import app_layout
from resolutionflow_app.state.auth import AuthState
from resolutionflow_app.state.automation_overview import OverviewState

S = OverviewState
CANVAS_ID = "automation-graph"
_SELECT = {"padding": "6px", "border_radius": "6px", "border": "1px solid var(--gray-6)", "background": "var(--color-panel-solid)", "font_size": "14px", "max_width": "100%"}


def _legend() -> rx.Component:
    def item(color: str, text: str, dashed: bool = False) -> rx.Component:
        line = {"width": "22px", "height": "0", "border_top": f"2px {'dashed' if dashed else 'solid'} {color}"}
        return rx.hstack(rx.box(style=line), rx.text(text, size="1", color_scheme="gray"), spacing="1", align="center")

    def swatch(color: str, text: str) -> rx.Component:
        return rx.hstack(rx.box(width="12px", height="12px", border_radius="3px", border=f"2px solid {color}"), rx.text(text, size="1", color_scheme="gray"), spacing="1", align="center")

    return rx.hstack(
        swatch("#16a34a", "Run form"), swatch("#ea580c", "Step"), swatch("#ca8a04", "Result"),
        item("#64748b", "direct input"), item("#9ca3af", "aggregated (all previous steps)", dashed=True),
        spacing="4", wrap="wrap",
    )


def _toolbar() -> rx.Component:
    return rx.hstack(
        rx.el.label(
            rx.text("Show a run", size="1", color_scheme="gray"),
            rx.el.select(
                rx.el.option("Draft — no run", value=""),
                rx.foreach(S.runs, lambda r: rx.el.option(r.label, value=r.id)),
                value=S.run_id, on_change=S.select_run, data_testid="overlay-run", style=_SELECT,
            ),
            style={"display": "flex", "flex_direction": "column", "gap": "2px", "min_width": "0"},
        ),
        rx.cond(S.run_id != "", rx.hstack(
            rx.badge(S.run_status, color_scheme=rx.match(S.run_status, ("completed", "green"), ("failed", "red"), ("running", "blue"), "gray"), data_testid="overlay-status"),
            rx.cond(S.watching, rx.hstack(rx.spinner(size="1"), rx.text("live", size="1", color_scheme="gray"), spacing="1", align="center"), rx.fragment()),
            rx.link(rx.text("Open run", size="2"), href=routes.AUTOMATION_RUNS + "/" + S.run_id),
            spacing="2", align="center",
        ), rx.fragment()),
        rx.spacer(),
        rx.menu.root(
            rx.menu.trigger(rx.button(rx.icon("download", size=14), "Export", variant="soft", data_testid="export-menu")),
            rx.menu.content(
                rx.menu.item("Download definition (JSON)", on_select=S.download_definition, data_testid="export-json"),
                rx.menu.item("Download diagram (PNG)", on_select=export_diagram("png", CANVAS_ID), data_testid="export-png"),
                rx.menu.item("Download diagram (SVG)", on_select=export_diagram("svg", CANVAS_ID), data_testid="export-svg"),
                rx.menu.separator(),
                rx.menu.item(rx.cond(S.run_id != "", "Audit report with this run (PDF)", "Audit report (PDF)"), on_select=S.download_audit, data_testid="export-audit"),
            ),
        ),
        width="100%", align="end", wrap="wrap", spacing="3",
    )


@rx.page(route=routes.AUTOMATIONS + "/[automation_id]/overview", title="Automation overview · ResolutionFlow", on_load=[AuthState.check_login, OverviewState.load])
def automation_overview_page() -> rx.Component:
    """The picture of an automation, and of any of its runs."""
    return app_layout(
        rx.cond(
            S.load_error != "",
            rx.callout(S.load_error, icon="triangle-alert", color_scheme="red", width="100%"),
            rx.vstack(
                rx.link(rx.hstack(rx.icon("arrow-left", size=14), rx.text("Automations", size="2"), spacing="1", align="center"), href=routes.AUTOMATIONS, underline="none"),
                rx.heading(S.name, size="5", overflow_wrap="anywhere", data_testid="overview-name"),
                automation_tabs(S.automation_id, "overview"),
                _toolbar(),
                rx.box(
                    automation_graph(graph=S.graph, canvas_id=CANVAS_ID, file_base=S.name),
                    width="100%", height=["480px", "560px"], border="1px solid var(--gray-5)", border_radius="8px", overflow="hidden",
                ),
                _legend(),
                width="100%", spacing="3",
            ),
        ),
    )
