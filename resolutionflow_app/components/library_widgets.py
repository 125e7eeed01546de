"""Small widgets shared by the library, session and analytics pages: id selects, command rows, stars, pager."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app.components.badges import kind_badge


def id_select(
    value: rx.Var, on_change, options: rx.Var, all_label: str, testid: str, width: str = "180px"
) -> rx.Component:
    """A select over `[{id, name}]` options plus an "all" entry (value "all")."""
    return rx.select.root(
        rx.select.trigger(placeholder=all_label, width=width, data_testid=testid),
        rx.select.content(
            rx.select.item(all_label, value="all"),
            rx.foreach(options, lambda o: rx.select.item(o["name"], value=o["id"])),
        ),
        value=value,
        on_change=on_change,
        size="2",
    )


def static_select(
    value: rx.Var, on_change, options: list[tuple[str, str]], testid: str, width: str = "160px"
) -> rx.Component:
    """A select over fixed `(value, label)` pairs."""
    return rx.select.root(
        rx.select.trigger(width=width, data_testid=testid),
        rx.select.content(*[rx.select.item(label, value=v) for v, label in options]),
        value=value,
        on_change=on_change,
        size="2",
    )


def command_row(cmd: rx.Var) -> rx.Component:
    """One command in a code block with a copy button (`cmd` is a `state.rows.CommandLine`)."""
    return rx.vstack(
        rx.cond(cmd.label != "", rx.text(cmd.label, size="1", color_scheme="gray", weight="medium"), rx.fragment()),
        rx.hstack(
            rx.code_block(
                cmd.command,
                language="bash",
                wrap_long_lines=True,
                width="100%",
                custom_style={"margin": "0", "fontSize": "13px"},
            ),
            rx.tooltip(
                rx.icon_button(
                    rx.icon("copy", size=14),
                    variant="soft",
                    size="1",
                    on_click=[rx.set_clipboard(cmd.command), rx.toast.success("Command copied to the clipboard.")],
                    data_testid="copy-command",
                    aria_label="Copy command",
                ),
                content="Copy",
            ),
            width="100%",
            align="start",
            spacing="2",
        ),
        spacing="1",
        width="100%",
    )


def rating_text(avg: rx.Var, count: rx.Var) -> rx.Component:
    """ "★ 4.2 (5)" or "No ratings"."""
    return rx.cond(
        count != "0",
        rx.hstack(
            rx.icon("star", size=14, color=rx.color("amber", 9), fill=rx.color("amber", 9)),
            rx.text(avg + " (" + count + ")", size="1"),
            spacing="1",
            align="center",
        ),
        rx.text("No ratings", size="1", color_scheme="gray"),
    )


def star_picker(current: rx.Var, on_rate, disabled: rx.Var | bool = False) -> rx.Component:
    """Five clickable stars; `current` is the user's rating as an int var (0 = none)."""
    return rx.hstack(
        *[
            rx.icon_button(
                rx.icon(
                    "star",
                    size=16,
                    fill=rx.cond(current >= n, rx.color("amber", 9), "none"),
                    color=rx.color("amber", 9),
                ),
                variant="ghost",
                size="1",
                on_click=on_rate(n),
                disabled=disabled,
                data_testid=f"rate-{n}",
                aria_label=f"Rate {n} of 5",
            )
            for n in range(1, 6)
        ],
        spacing="1",
    )


def pager(
    offset: rx.Var,
    limit: int,
    total: rx.Var,
    on_prev,
    on_next,
    testid: str = "pager",
    capped: rx.Var | bool = False,
    total_text: rx.Var | None = None,
) -> rx.Component:
    """ "a–b of n" with previous/next buttons (server-side pagination).

    `capped` (a bool var): `total` is a lower bound; Next stays enabled past it. `total_text`: how
    to write n (e.g. "1,000+"), default the plain number.
    """
    capped = rx.Var.create(capped)
    of_total = total.to_string() if total_text is None else total_text
    return rx.hstack(
        rx.text(
            rx.cond(
                total > 0,
                (offset + 1).to_string()
                + "–"
                + rx.cond((offset + limit < total) | capped, offset + limit, total).to_string()
                + " of "
                + of_total,
                "0 results",
            ),
            size="2",
            color_scheme="gray",
        ),
        rx.spacer(),
        rx.button(
            rx.icon("chevron-left", size=14),
            "Previous",
            variant="soft",
            size="1",
            disabled=offset <= 0,
            on_click=on_prev,
            data_testid=f"{testid}-prev",
        ),
        rx.button(
            "Next",
            rx.icon("chevron-right", size=14),
            variant="soft",
            size="1",
            disabled=(offset + limit >= total) & ~capped,
            on_click=on_next,
            data_testid=f"{testid}-next",
        ),
        width="100%",
        align="center",
        padding_top="0.75rem",
    )


def chip(icon: str, text: rx.Var | str, **badge_props) -> rx.Component:
    """A badge with an icon whose text ends in an ellipsis when it is wider than its row (full text as tooltip)."""
    return rx.badge(
        rx.icon(icon, size=12, flex_shrink="0"),
        rx.text(text, as_="span", overflow="hidden", text_overflow="ellipsis", white_space="nowrap", min_width="0"),
        title=text,
        max_width="100%",
        **badge_props,
    )


def highlighted(segments: rx.Var, **props) -> rx.Component:
    """Text from `state.rows.TextSegment`s (domain.search_text.highlight_segments) with the hits marked.

    Every part is rendered as a text node (React escapes it); nothing is ever injected as HTML.
    """
    return rx.text(
        rx.foreach(
            segments,
            lambda seg: rx.cond(
                seg.hit,
                rx.el.mark(
                    seg.text,
                    style={
                        "background": rx.color("amber", 5),
                        "color": "inherit",
                        "borderRadius": "2px",
                        "padding": "0 1px",
                    },
                    data_testid="search-hit",
                ),
                rx.text.span(seg.text),
            ),
        ),
        **props,
    )


def type_badge(kind: rx.Var) -> rx.Component:
    """The kind-coloured step type badge."""
    return kind_badge(kind)
