"""The list table used across pages: a header row and one row per item, with a name column that
wraps and clamps so a long name never pushes the other columns off-screen."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import reflex as rx

# Below this width (Radix's `sm` breakpoint) the columns listed in `phone_hidden` are left out.
PHONE_MEDIA = "@media (max-width: 767px)"


def clamp(lines: int = 2) -> dict[str, str]:
    """Style that breaks long words anywhere and cuts the text after `lines` lines with an ellipsis."""
    return {
        "overflowWrap": "anywhere",
        "display": "-webkit-box",
        "WebkitLineClamp": str(lines),
        "WebkitBoxOrient": "vertical",
        "overflow": "hidden",
    }


def name_cell(
    name: rx.Var, href: rx.Var | str, *below: rx.Component, testid: str | None = None, **link_props
) -> rx.Component:
    """The first cell of a row: `name` as a link, at most two lines, the full name as the cell's tooltip.

    `below` are shown under the name (a description, say). The text is always text: markup in a
    name is escaped by React, never rendered.
    """
    props = {"data_testid": testid} if testid else {}
    link = rx.link(name, href=href, style=clamp(2), **props, **link_props)
    return rx.table.cell(
        rx.vstack(link, *below, spacing="0", min_width="0") if below else link,
        title=name,
        min_width="7rem",
    )


def data_table(
    headers: Sequence[str],
    items: rx.Var,
    row: Callable[[rx.Var], rx.Component],
    testid: str | None = None,
    *,
    phone_hidden: Sequence[int] = (),
) -> rx.Component:
    """A full-width surface table with `headers` and `row(item)` for each of `items`.

    The first column is the name (use `name_cell`): it takes the room the other columns leave and
    wraps inside it; the other columns keep their short contents on one line. `phone_hidden` are
    the 0-based indexes of columns left out on phones, so the rest still fits a 390 px screen.
    """
    # *-of-type, not *-child: a row holds only td or only th cells, so they select the same cells,
    # and Emotion warns (console.error in development) that *-child is unsafe with server rendering.
    style: dict = {
        "& td:not(:first-of-type), & th": {"whiteSpace": "nowrap"},
        "& td:first-of-type, & th:first-of-type": {"width": "100%"},
    }
    if phone_hidden:
        cells = ", ".join(f"& th:nth-of-type({i + 1}), & td:nth-of-type({i + 1})" for i in phone_hidden)
        style[PHONE_MEDIA] = {cells: {"display": "none"}}
    props = {"data_testid": testid} if testid else {}
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
        rx.table.body(rx.foreach(items, row)),
        width="100%",
        variant="surface",
        style=style,
        **props,
    )


def clamped_text(text: rx.Var, lines: int = 1, **props) -> rx.Component:
    """Secondary text under a name: wraps anywhere, cut after `lines` lines, full text as tooltip."""
    return rx.text(text, style=clamp(lines), title=text, **props)
