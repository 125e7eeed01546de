"""Badges with the kind colours used everywhere (DESIGN.md section 8)."""

from __future__ import annotations

import reflex as rx

# Node colours follow their kind in every view.
KIND_COLORS = {
    "decision": "blue",
    "action": "orange",
    "solution": "green",
    "section_header": "gray",
    "procedure_step": "orange",
    "procedure_end": "green",
    "troubleshooting": "blue",
    "procedural": "violet",
    "maintenance": "cyan",
    "draft": "amber",
    "published": "green",
    "in_progress": "blue",
    "completed": "green",
    "resolved": "green",
    "escalated": "orange",
    "abandoned": "gray",
    "queued": "gray",
    "running": "blue",
    "failed": "red",
    "cancelled": "gray",
    "public": "green",
    "team": "blue",
    "private": "gray",
    "account": "blue",
}


def kind_badge(kind: rx.Var | str) -> rx.Component:
    """A badge coloured by the kind/status it names."""
    color = (
        rx.match(kind, *list(KIND_COLORS.items()), "gray")
        if isinstance(kind, rx.Var)
        else KIND_COLORS.get(kind, "gray")
    )
    label = kind.to(str).replace("_", " ") if isinstance(kind, rx.Var) else kind.replace("_", " ")
    return rx.badge(label, color_scheme=color, variant="soft")
