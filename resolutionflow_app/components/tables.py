"""The list table used across pages: a header row and one row per item."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import reflex as rx


def data_table(headers: Sequence[str], items: rx.Var, row: Callable[[rx.Var], rx.Component], testid: str | None = None) -> rx.Component:
    """A full-width surface table with `headers` and `row(item)` for each of `items`."""
    props = {"data_testid": testid} if testid else {}
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
        rx.table.body(rx.foreach(items, row)),
        width="100%",
        variant="surface",
        **props,
    )
