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
_SELECT = {
    "padding": "6px",
    "border_radius": "6px",
    "border": "1px solid var(--gray-6)",
    "background": "var(--color-panel-solid)",
    "font_size": "14px",
    "max_width": "100%",
}


def _check_line(line) -> rx.Component:
    color = rx.match(line.status, ("red", "red"), ("amber", "amber"), "green")
    return rx.hstack(
        rx.match(
            line.status,
            ("red", rx.icon("circle-x", size=16, color=rx.color("red", 10))),
            ("amber", rx.icon("triangle-alert", size=16, color=rx.color("amber", 10))),
            rx.icon("circle-check", size=16, color=rx.color("green", 10)),
        ),
        rx.text(line.step, size="1", color_scheme="gray", min_width="64px"),
        rx.text(line.message, size="2", overflow_wrap="anywhere", min_width="0", flex="1"),
        width="100%",
        align="start",
        spacing="2",
        padding="6px 8px",
        border_left="3px solid",
        border_left_color=rx.color(color, 9),
        background=rx.color(color, 2),
        border_radius="var(--radius-2)",
        data_testid="dry-run-line",
        data_status=line.status,
    )


def _checklist() -> rx.Component:
    return rx.cond(
        S.checking | (S.checks.length() > 0),
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text("Test automation", weight="bold", size="3"),
                    rx.cond(
                        S.checking,
                        rx.hstack(
                            rx.spinner(size="1"),
                            rx.text(
                                "Checking models, variables and URLs… (no model is called)",
                                size="2",
                                color_scheme="gray",
                            ),
                            spacing="2",
                            align="center",
                        ),
                        rx.badge(
                            S.checks_summary,
                            color_scheme=rx.match(S.checks_status, ("red", "red"), ("amber", "amber"), "green"),
                            data_testid="dry-run-summary",
                        ),
                    ),
                    width="100%",
                    align="center",
                    wrap="wrap",
                    spacing="3",
                ),
                rx.foreach(S.checks, _check_line),
                spacing="2",
                width="100%",
            ),
            width="100%",
            data_testid="dry-run-card",
        ),
        rx.fragment(),
    )


def _legend() -> rx.Component:
    def item(color: str, text: str, dashed: bool = False) -> rx.Component:
        line = {"width": "22px", "height": "0", "border_top": f"2px {'dashed' if dashed else 'solid'} {color}"}
        return rx.hstack(rx.box(style=line), rx.text(text, size="1", color_scheme="gray"), spacing="1", align="center")

    def swatch(color: str, text: str) -> rx.Component:
        return rx.hstack(
            rx.box(width="12px", height="12px", border_radius="3px", border=f"2px solid {color}"),
            rx.text(text, size="1", color_scheme="gray"),
            spacing="1",
            align="center",
        )

    return rx.hstack(
        swatch("#16a34a", "Run form"),
        swatch("#ea580c", "Step"),
        swatch("#ca8a04", "Result"),
        item("#64748b", "direct input"),
        item("#9ca3af", "aggregated (all previous steps)", dashed=True),
        spacing="4",
        wrap="wrap",
    )


def _toolbar() -> rx.Component:
    return rx.hstack(
        rx.el.label(
            rx.text("Show a run", size="1", color_scheme="gray"),
            rx.el.select(
                rx.el.option("Draft — no run", value=""),
                rx.foreach(S.runs, lambda r: rx.el.option(r.label, value=r.id)),
                value=S.run_id,
                on_change=S.select_run,
                data_testid="overlay-run",
                style=_SELECT,
            ),
            style={"display": "flex", "flex_direction": "column", "gap": "2px", "min_width": "0"},
        ),
        rx.cond(
            S.run_id != "",
            rx.hstack(
                rx.badge(
                    S.run_status,
                    color_scheme=rx.match(
                        S.run_status, ("completed", "green"), ("failed", "red"), ("running", "blue"), "gray"
                    ),
                    data_testid="overlay-status",
                ),
                rx.cond(
                    S.watching,
                    rx.hstack(
                        rx.spinner(size="1"),
                        rx.text("live", size="1", color_scheme="gray"),
                        spacing="1",
                        align="center",
                    ),
                    rx.fragment(),
                ),
                rx.link(rx.text("Open run", size="2"), href=routes.AUTOMATION_RUNS + "/" + S.run_id),
                spacing="2",
                align="center",
            ),
            rx.fragment(),
        ),
        rx.spacer(),
        rx.button(
            rx.icon("list-checks", size=14),
            "Test automation",
            variant="soft",
            color_scheme="gray",
            on_click=S.start_dry_run,
            loading=S.checking,
            data_testid="dry-run",
        ),
        rx.menu.root(
            rx.menu.trigger(
                rx.button(rx.icon("download", size=14), "Export", variant="soft", data_testid="export-menu")
            ),
            rx.menu.content(
                rx.menu.item("Download definition (JSON)", on_select=S.download_definition, data_testid="export-json"),
                rx.menu.item(
                    "Download diagram (PNG)", on_select=export_diagram("png", CANVAS_ID), data_testid="export-png"
                ),
                rx.menu.item(
                    "Download diagram (SVG)", on_select=export_diagram("svg", CANVAS_ID), data_testid="export-svg"
                ),
                rx.menu.separator(),
                rx.menu.item(
                    rx.cond(S.run_id != "", "Audit report with this run (PDF)", "Audit report (PDF)"),
                    on_select=S.download_audit,
                    data_testid="export-audit",
                ),
            ),
        ),
        width="100%",
        align="end",
        wrap="wrap",
        spacing="3",
    )


@rx.page(
    route=routes.AUTOMATIONS + "/[automation_id]/overview",
    title="Automation overview · ResolutionFlow",
    on_load=[AuthState.check_login, OverviewState.load],
)
def automation_overview_page() -> rx.Component:
    """The picture of an automation, and of any of its runs."""
    return app_layout(
        rx.cond(
            S.load_error != "",
            rx.callout(S.load_error, icon="triangle-alert", color_scheme="red", width="100%"),
            rx.vstack(
                rx.link(
                    rx.hstack(
                        rx.icon("arrow-left", size=14), rx.text("Automations", size="2"), spacing="1", align="center"
                    ),
                    href=routes.AUTOMATIONS,
                    underline="none",
                ),
                rx.heading(S.name, size="5", overflow_wrap="anywhere", data_testid="overview-name"),
                automation_tabs(S.automation_id, "overview"),
                _toolbar(),
                rx.box(
                    automation_graph(graph=S.graph, canvas_id=CANVAS_ID, file_base=S.name),
                    width="100%",
                    height=["480px", "560px"],
                    border="1px solid var(--gray-5)",
                    border_radius="8px",
                    overflow="hidden",
                ),
                _legend(),
                _checklist(),
                width="100%",
                spacing="3",
            ),
        ),
    )
