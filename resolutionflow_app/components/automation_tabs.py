"""Tabs shared by an automation's pages: Build, Overview, Run."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app import routes

TABS = (
    ("build", "Build", "", "pencil-ruler"),
    ("overview", "Overview", "/overview", "workflow"),
    ("run", "Run", "/run", "play"),
)


def automation_tabs(automation_id: rx.Var | str, active: str) -> rx.Component:
    """Links styled as tabs; the active one is marked for screen readers too."""
    return rx.hstack(
        *[
            rx.link(
                rx.hstack(
                    rx.icon(icon, size=14), rx.text(label, size="2", weight="medium"), spacing="1", align="center"
                ),
                href=routes.AUTOMATIONS + "/" + automation_id + suffix,
                underline="none",
                aria_current="page" if key == active else None,
                color_scheme="gray" if key != active else None,
                padding="6px 12px",
                border_bottom=f"2px solid {'var(--accent-9)' if key == active else 'transparent'}",
                data_testid=f"tab-{key}",
            )
            for key, label, suffix, icon in TABS
        ],
        spacing="1",
        border_bottom="1px solid var(--gray-5)",
        width="100%",
        role="navigation",
        aria_label="Automation sections",
    )
