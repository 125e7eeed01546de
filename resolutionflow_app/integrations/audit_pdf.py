"""The automation audit report as an A4 PDF (fpdf2): cover data, a vector diagram, form, steps, run.

The caller (services/automation_audit.py) hands over plain, already formatted data without
secrets; this module only draws. The diagram's geometry comes from domain/audit_layout.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from resolutionflow_app.domain.audit_layout import Box, DiagramLayout, layout_diagram

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
)
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
MONO_FILE = "DejaVuSansMono.ttf"

INK = (33, 37, 41)
MUTED = (100, 108, 117)
RULE = (206, 212, 218)
ACCENT = (31, 78, 121)
PAPER = (248, 249, 250)
NODE_COLOURS = {  # fill, border (DESIGN.md: automation input green, step orange, output gold)
    "input": ((200, 230, 201), (56, 142, 60)),
    "llm": ((255, 204, 128), (230, 124, 0)),
    "output": ((255, 224, 130), (214, 160, 0)),
}
LEVEL_COLOURS = {
    0: ((233, 236, 239), (73, 80, 87)),
    1: ((208, 235, 255), (24, 100, 171)),
    2: ((255, 243, 191), (153, 102, 0)),
    3: ((255, 201, 201), (176, 0, 32)),
}
STATUS_COLOURS = {
    "passed": (43, 138, 62),
    "completed": (43, 138, 62),
    "failed": (201, 42, 42),
    "cancelled": (134, 142, 150),
    "skipped": (134, 142, 150),
    "running": (24, 100, 171),
    "pending": (134, 142, 150),
    "queued": (134, 142, 150),
}
STATUS_MARKS = {
    "passed": "✓",
    "completed": "✓",
    "failed": "✗",
    "cancelled": "–",
    "skipped": "–",
    "running": "…",
    "pending": "…",
    "queued": "…",
}

MAX_FIELDS_IN_NODE = 10


class FontMissing(RuntimeError):
    """The Unicode TTF font the report needs is not installed."""


def font_dir() -> Path:
    """The folder holding DejaVu Sans (regular, bold, mono).

    Raises:
        FontMissing: none of the known folders has all three files.
    """
    needed = [*FONT_FILES.values(), MONO_FILE]
    for folder in FONT_DIRS:
        if all((folder / name).is_file() for name in needed):
            return folder
    raise FontMissing(
        "The PDF font DejaVu Sans is not installed on the server (Debian package fonts-dejavu-core; `make setup` "
        "installs it)."
    )


def _level_colours(level: int) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    return LEVEL_COLOURS[max(0, min(3, int(level)))]


def _report_class() -> type:
    from fpdf import FPDF  # noqa: PLC0415

    class Report(FPDF):
        footer_title = ""

        def footer(self) -> None:
            self.set_y(-13)
            self.set_draw_color(*RULE)
            self.set_line_width(0.2)
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
            self.set_y(-11)
            self.set_font("DejaVu", size=7.5)
            self.set_text_color(*MUTED)
            page = f"Page {self.page_no()} of {{nb}}"
            right_w = 30
            self.cell(
                self.epw - right_w,
                5,
                _fit(self, f"{self.footer_title} · Audit report", self.epw - right_w - 4),
                align="L",
            )
            self.cell(right_w, 5, page, align="R")

    return Report


def _fit(pdf: Any, text: str, width: float) -> str:
    """`text` cut with an ellipsis so it fits `width` in the current font."""
    text = " ".join(str(text or "").split())
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


class _Writer:
    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        folder = font_dir()
        pdf = _report_class()(orientation="portrait", unit="mm", format="A4")
        for style, name in FONT_FILES.items():
            pdf.add_font("DejaVu", style=style, fname=str(folder / name))
        pdf.add_font("DejaVuMono", fname=str(folder / MONO_FILE))
        pdf.set_margins(16, 16, 16)
        pdf.set_auto_page_break(auto=True, margin=18)
        pdf.footer_title = data["name"]
        pdf.set_title(f"Audit report: {data['name']}")
        pdf.set_subject("Automation audit report")
        pdf.set_creator("ResolutionFlow")
        pdf.set_author("ResolutionFlow")
        pdf.set_lang("en")
        self.pdf = pdf
        self.form_done = False

    # ------------------------------------------------------------ text helpers

    def font(self, size: float, style: str = "", colour: tuple[int, int, int] = INK, family: str = "DejaVu") -> None:
        self.pdf.set_font(family, style=style, size=size)
        self.pdf.set_text_color(*colour)

    def room(self) -> float:
        return self.pdf.page_break_trigger - self.pdf.get_y()

    def need(self, height: float) -> None:
        if self.room() < height:
            self.pdf.add_page()

    def heading(self, text: str) -> None:
        pdf = self.pdf
        self.need(22)
        pdf.ln(4)
        self.font(13, "B", ACCENT)
        pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(*ACCENT)
        pdf.set_line_width(0.4)
        pdf.line(pdf.l_margin + pdf.c_margin, pdf.get_y() + 0.5, pdf.l_margin + pdf.c_margin + 18, pdf.get_y() + 0.5)
        pdf.ln(3.5)

    def paragraph(self, text: str, size: float = 9.5, colour: tuple[int, int, int] = INK) -> None:
        self.font(size, "", colour)
        self.pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")

    def kv_table(self, rows: Sequence[tuple[str, str]], label_width: float = 0.28) -> None:
        from fpdf.fonts import FontFace  # noqa: PLC0415

        if not rows:
            return
        pdf = self.pdf
        self.font(9)
        pdf.set_fill_color(255, 255, 255)  # fpdf2 tables start from the current fill colour
        pdf.set_draw_color(*RULE)
        pdf.set_line_width(0.2)
        with pdf.table(
            col_widths=(label_width, 1 - label_width),
            first_row_as_headings=False,
            borders_layout="HORIZONTAL_LINES",
            line_height=5,
            padding=(1.2, 2, 1.2, 0),
            text_align=("LEFT", "LEFT"),
            v_align="TOP",
        ) as table:
            for label, value in rows:
                row = table.row()
                row.cell(label, style=FontFace(family="DejaVu", emphasis="BOLD", color=MUTED, size_pt=8.5))
                row.cell(str(value) if value not in (None, "") else "—")
        pdf.ln(2)

    def grid(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[Any]],
        widths: Sequence[float],
        styles: Sequence[Sequence[Any]] | None = None,
    ) -> None:
        from fpdf.fonts import FontFace  # noqa: PLC0415

        pdf = self.pdf
        self.font(8.5)
        pdf.set_fill_color(255, 255, 255)  # fpdf2 tables start from the current fill colour
        pdf.set_draw_color(*RULE)
        pdf.set_line_width(0.2)
        head = FontFace(family="DejaVu", emphasis="BOLD", color=(255, 255, 255), fill_color=ACCENT, size_pt=8.5)
        with pdf.table(
            col_widths=tuple(widths),
            headings_style=head,
            borders_layout="SINGLE_TOP_LINE",
            line_height=4.8,
            padding=(1.2, 1.8, 1.2, 1.8),
            cell_fill_color=PAPER,
            cell_fill_mode="ROWS",
            text_align="LEFT",
            v_align="TOP",
            repeat_headings=1,
        ) as table:
            hrow = table.row()
            for text in headings:
                hrow.cell(text)
            for r, values in enumerate(rows):
                row = table.row()
                for c, value in enumerate(values):
                    style = styles[r][c] if styles and styles[r] and c < len(styles[r]) else None
                    row.cell(str(value) if value not in (None, "") else "—", style=style)
        pdf.ln(2)

    def chip(
        self,
        x: float,
        y: float,
        text: str,
        fill: tuple[int, int, int],
        ink: tuple[int, int, int],
        size: float = 6.5,
        border: tuple[int, int, int] | None = None,
    ) -> float:
        """Draw a rounded chip with its top-left at (x, y); returns its width."""
        pdf = self.pdf
        self.font(size, "B", ink)
        w = pdf.get_string_width(text) + 3
        h = size * 0.55
        pdf.set_fill_color(*fill)
        pdf.set_draw_color(*(border or ink))
        pdf.set_line_width(0.15)
        pdf.rect(x, y, w, h, style="DF", round_corners=True, corner_radius=h / 2.5)
        pdf.set_xy(x, y)
        pdf.cell(w, h, text, align="C")
        return w

    # ------------------------------------------------------------ sections

    def cover(self) -> None:
        pdf, data = self.pdf, self.data
        pdf.add_page()
        pdf.set_fill_color(*ACCENT)
        pdf.rect(0, 0, pdf.w, 4, style="F")
        self.font(8, "B", ACCENT)
        pdf.cell(0, 5, "AUTOMATION AUDIT REPORT", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        self.font(19, "B")
        pdf.multi_cell(0, 8.5, data["name"], new_x="LMARGIN", new_y="NEXT", align="L")
        if data.get("description"):
            pdf.ln(1)
            self.paragraph(data["description"], 9.5, MUTED)
        pdf.ln(2)
        self.font(8, "", MUTED)
        pdf.multi_cell(0, 4, data.get("subtitle", ""), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        self.meta_grid(data["meta"])

    def meta_grid(self, rows: Sequence[tuple[str, str]]) -> None:
        """Short facts two to a line; long values (ids, sentences) get a whole line."""
        from fpdf.fonts import FontFace  # noqa: PLC0415

        pdf = self.pdf
        self.font(9)
        pdf.set_fill_color(255, 255, 255)
        pdf.set_draw_color(*RULE)
        pdf.set_line_width(0.2)
        label_style = FontFace(family="DejaVu", emphasis="BOLD", color=MUTED, size_pt=8.5)
        short = [(k, v) for k, v in rows if len(str(v)) <= 26]
        wide = [(k, v) for k, v in rows if len(str(v)) > 26]
        with pdf.table(
            col_widths=(0.2, 0.3, 0.2, 0.3),
            first_row_as_headings=False,
            borders_layout="HORIZONTAL_LINES",
            line_height=5,
            padding=(1.2, 2, 1.2, 0),
            text_align="LEFT",
            v_align="TOP",
        ) as table:
            for i in range(0, len(short), 2):
                row = table.row()
                for label, value in short[i : i + 2]:
                    row.cell(label, style=label_style)
                    row.cell(str(value) if value not in (None, "") else "—")
                if len(short[i : i + 2]) == 1:
                    row.cell("", colspan=2)
            for label, value in wide:
                row = table.row()
                row.cell(label, style=label_style)
                row.cell(str(value), colspan=3)
        pdf.ln(2)

    def diagram(self) -> None:
        pdf, data = self.pdf, self.data
        graph = data["graph"]
        nodes = list(graph["nodes"])
        index = {node["id"]: i for i, node in enumerate(nodes)}
        edges = [
            (index[e["source"]], index[e["target"]], e.get("style") == "dashed")
            for e in graph["edges"]
            if e["source"] in index and e["target"] in index
        ]
        with_run = any("status" in node for node in nodes)
        heights = [self._node_height(node, with_run) for node in nodes]
        column = sum(heights) + 9.0 * (len(heights) - 1)
        if self.room() < column + 30 and pdf.get_y() > pdf.t_margin + 1:
            # A diagram is never cut when it fits one page: it starts on a fresh one, and the
            # (short) form schema fills page 1 first when it fits there.
            if not self.form_done and self.room() > 24 + 10 * (len(self.data.get("form_fields") or []) + 1):
                self.form()
            pdf.add_page()
        self.heading("Diagram")
        self.legend()
        top = pdf.get_y() + 2
        continued_head = 8.0
        layout = layout_diagram(
            heights,
            edges,
            width=pdf.epw,
            first_page_height=pdf.page_break_trigger - top - 2,
            page_height=pdf.page_break_trigger - pdf.t_margin - continued_head - 2,
        )
        pdf.set_auto_page_break(False)
        origin_y = top
        for page in range(layout.pages):
            if page > 0:
                pdf.add_page()
                self.font(9, "B", MUTED)
                pdf.set_xy(pdf.l_margin, pdf.t_margin)
                pdf.cell(0, 5, "Diagram (continued)")
                origin_y = pdf.t_margin + continued_head
            self._draw_page(layout, page, nodes, pdf.l_margin, origin_y)
        pdf.set_auto_page_break(True, margin=18)
        pdf.set_xy(pdf.l_margin, origin_y + layout.used_height[-1] + 4)

    def legend(self) -> None:
        """One line of samples: arrow styles and chips, each with its meaning."""
        pdf = self.pdf
        x, y = pdf.l_margin, pdf.get_y()
        self.font(7.5, "", MUTED)

        def label(text: str) -> None:
            nonlocal x
            self.font(7.5, "", MUTED)
            pdf.set_xy(x, y - 0.2)
            w = pdf.get_string_width(text) + 1
            pdf.cell(w, 4, text)
            x += w + 4

        for dashed, text in ((False, "direct input"), (True, "aggregated (all previous steps)")):
            self._line(x, y + 1.8, x + 8, y + 1.8, dashed=dashed, arrow=True, colour=MUTED)
            x += 9.5
            label(text)
        for text, fill, ink, what in (
            ("K2", *_level_colours(2), "output classification"),
            ("→ webhook", (255, 255, 255), INK, ""),
            ("← HTTP", (255, 255, 255), INK, "HTTP input"),
        ):
            x += self.chip(x, y + 0.2, text, fill, ink) + (1.2 if what else 4)
            if what:
                label(what)
        pdf.set_xy(pdf.l_margin, y + 6)

    def _node_height(self, node: Mapping[str, Any], with_run: bool) -> float:
        if node["type"] == "input":
            fields = len(node.get("fields") or [])
            lines = min(fields, MAX_FIELDS_IN_NODE) + (1 if fields > MAX_FIELDS_IN_NODE else 0)
            return 11 + max(1, lines) * 4.1
        if node["type"] == "output":
            return 11.0
        return 22.5 if with_run else 18.5

    def _draw_page(
        self, layout: DiagramLayout, page: int, nodes: Sequence[Mapping[str, Any]], ox: float, oy: float
    ) -> None:
        for seg in layout.segments:
            if seg.page == page:
                self._line(
                    ox + seg.x1,
                    oy + seg.y1,
                    ox + seg.x2,
                    oy + seg.y2,
                    dashed=seg.dashed,
                    arrow=seg.arrow,
                    colour=(85, 92, 100),
                )
        self.pdf.set_fill_color(85, 92, 100)
        for dot in layout.dots:
            if dot.page == page:
                self.pdf.circle(ox + dot.x, oy + dot.y, 0.7, style="F")
        for box in layout.boxes:
            if box.page == page:
                self._draw_node(nodes[box.node], box, ox, oy)

    def _line(
        self, x1: float, y1: float, x2: float, y2: float, *, dashed: bool, arrow: bool, colour: tuple[int, int, int]
    ) -> None:
        pdf = self.pdf
        pdf.set_draw_color(*colour)
        pdf.set_fill_color(*colour)
        pdf.set_line_width(0.35)
        length = math.hypot(x2 - x1, y2 - y1)
        head, half = 2.0, 1.05
        ex, ey = x2, y2
        if arrow and length > 0:
            ux, uy = (x2 - x1) / length, (y2 - y1) / length
            ex, ey = x2 - ux * head * 0.9, y2 - uy * head * 0.9
        if dashed:
            pdf.set_dash_pattern(dash=1.3, gap=0.9)
        pdf.line(x1, y1, ex, ey)
        if dashed:
            pdf.set_dash_pattern()
        if arrow and length > 0:
            bx, by = x2 - ux * head, y2 - uy * head
            pdf.set_line_width(0.1)
            pdf.polygon([(x2, y2), (bx - uy * half, by + ux * half), (bx + uy * half, by - ux * half)], style="DF")

    def _draw_node(self, node: Mapping[str, Any], box: Box, ox: float, oy: float) -> None:
        pdf = self.pdf
        x, y, w, h = ox + box.x, oy + box.y, box.w, box.h
        fill, border = NODE_COLOURS.get(node["type"], NODE_COLOURS["llm"])
        status = node.get("status")
        if status in ("failed",):
            border = STATUS_COLOURS["failed"]
        pdf.set_fill_color(*fill)
        pdf.set_draw_color(*border)
        pdf.set_line_width(0.5 if status == "failed" else 0.35)
        pdf.rect(x, y, w, h, style="DF", round_corners=True, corner_radius=2.2)
        if node["type"] == "input":
            self._input_node(node, x, y, w)
        elif node["type"] == "output":
            self.font(10, "B")
            pdf.set_xy(x, y + 1.5)
            pdf.cell(w, 5, node.get("label") or "Result", align="C")
            self.font(7.5, "", MUTED)
            pdf.set_xy(x, y + 6)
            pdf.cell(w, 4, "output of the last step is the run's result", align="C")
        else:
            self._step_node(node, x, y, w)

    def _input_node(self, node: Mapping[str, Any], x: float, y: float, w: float) -> None:
        pdf = self.pdf
        fields = list(node.get("fields") or [])
        types = self.data.get("field_types") or {}
        self.font(9.5, "B")
        pdf.set_xy(x + 3, y + 2)
        pdf.cell(w - 30, 5, "Input form")
        self.font(7.5, "", MUTED)
        pdf.set_xy(x + w - 33, y + 2)
        pdf.cell(30, 5, f"{len(fields)} field{'s' if len(fields) != 1 else ''}", align="R")
        pdf.set_draw_color(*NODE_COLOURS["input"][1])
        pdf.set_line_width(0.15)
        pdf.line(x + 3, y + 8, x + w - 3, y + 8)
        cy = y + 9.3
        if not fields:
            self.font(8, "", MUTED)
            pdf.set_xy(x + 3, cy)
            pdf.cell(w - 6, 4, "No form fields: free text and files only")
            return
        for fid in fields[:MAX_FIELDS_IN_NODE]:
            self.font(8.5)
            pdf.set_xy(x + 4, cy)
            kind = types.get(fid, "")
            kind_w = pdf.get_string_width(kind) + 4 if kind else 0
            pdf.cell(w - 10 - kind_w, 4, _fit(pdf, f"•  {fid}", w - 12 - kind_w))
            if kind:
                self.font(7.5, "", MUTED)
                pdf.set_xy(x + w - 4 - kind_w, cy)
                pdf.cell(kind_w, 4, kind, align="R")
            cy += 4.1
        if len(fields) > MAX_FIELDS_IN_NODE:
            self.font(7.5, "", MUTED)
            pdf.set_xy(x + 4, cy)
            pdf.cell(w - 8, 4, f"+ {len(fields) - MAX_FIELDS_IN_NODE} more (see Form schema)")

    def _step_node(self, node: Mapping[str, Any], x: float, y: float, w: float) -> None:
        pdf = self.pdf
        order = node.get("step_order")
        # number badge
        pdf.set_fill_color(255, 255, 255)
        pdf.set_draw_color(*NODE_COLOURS["llm"][1])
        pdf.set_line_width(0.3)
        pdf.circle(x + 6, y + 5.5, 3.2, style="DF")
        self.font(8, "B", NODE_COLOURS["llm"][1])
        pdf.set_xy(x + 2.8, y + 3.3)
        pdf.cell(6.4, 4.4, str(order), align="C")
        # chips, right to left
        chips: list[tuple[str, tuple[int, int, int], tuple[int, int, int]]] = []
        level = node.get("classification")
        if level is not None:
            chips.append((f"K{level}", *_level_colours(level)))
        if node.get("has_webhook"):
            chips.append(("→ webhook", (255, 255, 255), INK))
        if node.get("has_http_input"):
            method = "POST" if node.get("input_source") == "http_post" else "GET"
            chips.append((f"← HTTP {method}", (255, 255, 255), INK))
        cx = x + w - 3
        for text, fill, ink in chips:
            self.font(6.5, "B")
            cw = pdf.get_string_width(text) + 3
            cx -= cw
            self.chip(cx, y + 3.2, text, fill, ink)
            cx -= 1.5
        self.font(9.5, "B")
        pdf.set_xy(x + 11, y + 2.9)
        pdf.cell(cx - x - 12, 5, _fit(pdf, node.get("label") or f"Step {order}", cx - x - 13))
        self.font(8, "", INK)
        pdf.set_xy(x + 11, y + 8.4)
        pdf.cell(w - 14, 4, _fit(pdf, f"Model: {node.get('model') or 'unknown'}", w - 15))
        source = {
            "flow_input": "form input",
            "previous_step": "previous step",
            "all_previous_steps": "all previous steps (aggregated)",
            "http_get": "HTTP GET",
            "http_post": "HTTP POST",
        }.get(node.get("input_source") or "", node.get("input_source") or "")
        self.font(7.5, "", MUTED)
        pdf.set_xy(x + 11, y + 12.6)
        pdf.cell(
            w - 14,
            4,
            _fit(
                pdf,
                f"In: {node.get('input_type') or 'any'} from {source}   ·   Out: {node.get('output_type') or 'text'}",
                w - 15,
            ),
        )
        status = node.get("status")
        if status:
            colour = STATUS_COLOURS.get(status, MUTED)
            parts = [f"{STATUS_MARKS.get(status, '')} {'passed' if status == 'completed' else status}".strip()]
            if node.get("duration_ms") is not None:
                parts.append(_seconds(node["duration_ms"]))
            tokens = (node.get("tokens_input") or 0) + (node.get("tokens_output") or 0)
            if node.get("tokens_input") is not None or node.get("tokens_output") is not None:
                parts.append(f"{tokens:,} tokens".replace(",", " "))
            self.font(7.5, "B", colour)
            pdf.set_xy(x + 11, y + 16.9)
            pdf.cell(w - 14, 4, _fit(pdf, "   ·   ".join(parts), w - 15))

    def form(self) -> None:
        if self.form_done:
            return
        self.form_done = True
        self.need(40)  # the heading never stands alone at the foot of a page
        self.heading("Form schema")
        fields = self.data.get("form_fields") or []
        if not fields:
            self.paragraph("This automation has no form fields; a run takes free text and files only.", 9.5, MUTED)
            return
        self.grid(
            ("Field", "Label", "Type", "Required", "Options"),
            [
                (
                    f["id"],
                    f.get("label") or "",
                    f.get("type") or "",
                    "yes" if f.get("required") else "no",
                    ", ".join(f.get("options") or []),
                )
                for f in fields
            ],
            (30, 30, 14, 13, 33),
        )

    def steps(self) -> None:
        pdf = self.pdf
        self.heading("Steps")
        steps = self.data.get("steps") or []
        if not steps:
            self.paragraph("This automation has no steps yet.", 9.5, MUTED)
        for step in steps:
            self.need(45)
            pdf.ln(1.5)
            y = pdf.get_y()
            pdf.set_fill_color(*NODE_COLOURS["llm"][0])
            pdf.rect(pdf.l_margin, y, pdf.epw, 7.5, style="F")
            pdf.set_fill_color(*NODE_COLOURS["llm"][1])
            pdf.rect(pdf.l_margin, y, 1.4, 7.5, style="F")
            self.font(10.5, "B")
            pdf.set_xy(pdf.l_margin + 3.5, y + 1.2)
            pdf.cell(pdf.epw - 6, 5, _fit(pdf, f"Step {step['order']}  ·  {step['name']}", pdf.epw - 8))
            pdf.set_xy(pdf.l_margin, y + 9.5)
            self.kv_table(step["rows"])
            self.need(16)
            self.font(8.5, "B", MUTED)
            pdf.cell(0, 5, "Prompt (full text)", new_x="LMARGIN", new_y="NEXT")
            self.font(8.3, "", INK, family="DejaVuMono")
            pdf.set_fill_color(*PAPER)
            pdf.set_draw_color(*RULE)
            prompt = step.get("prompt") or "(empty)"
            pdf.multi_cell(
                0,
                4.1,
                prompt,
                fill=True,
                border=1,
                padding=2.2,
                new_x="LMARGIN",
                new_y="NEXT",
                align="L",
                wrapmode="CHAR" if _has_long_word(prompt) else "WORD",
            )
            pdf.ln(4)

    def run(self) -> None:
        run = self.data.get("run")
        if not run:
            return
        pdf = self.pdf
        self.need(60)
        self.heading("Run")
        self.kv_table(run["meta"])
        self.need(20)
        rows, styles = [], []
        from fpdf.fonts import FontFace  # noqa: PLC0415

        for r in run["steps"]:
            rows.append(
                (
                    r["order"],
                    r["name"],
                    f"{STATUS_MARKS.get(r['status'], '')} {r['status']}".strip(),
                    r["started"],
                    r["duration"],
                    r["tokens_in"],
                    r["tokens_out"],
                )
            )
            styles.append(
                (
                    None,
                    None,
                    FontFace(family="DejaVu", emphasis="BOLD", color=STATUS_COLOURS.get(r["status"], INK)),
                    None,
                    None,
                    None,
                    None,
                )
            )
        self.grid(
            ("#", "Step", "Status", "Started (UTC)", "Duration", "Tokens in", "Tokens out"),
            rows,
            (6, 38, 19, 28, 15, 17, 17),
            styles,
        )
        errors = [r for r in run["steps"] if r.get("error")]
        if errors:
            self.need(14)
            self.font(9, "B", STATUS_COLOURS["failed"])
            pdf.cell(0, 6, "Errors", new_x="LMARGIN", new_y="NEXT")
            for r in errors:
                prefix = f"Step {r['order']}: "
                self.paragraph(r["error"] if str(r["error"]).startswith(prefix) else prefix + str(r["error"]), 8.5, INK)
                pdf.ln(1)

    def output(self) -> bytes:
        self.cover()
        self.diagram()
        self.form()
        self.steps()
        self.run()
        return bytes(self.pdf.output())


def _has_long_word(text: str, limit: int = 70) -> bool:
    return any(len(word) > limit for word in text.split())


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.1f} s" if ms < 60_000 else f"{ms // 60_000} min {ms % 60_000 / 1000:.0f} s"


def render_audit_pdf(data: Mapping[str, Any]) -> bytes:
    """Draw the report.

    Args:
        data: `{name, description, subtitle, meta: [(label, value)], graph: {nodes, edges},
            field_types: {field_id: type}, form_fields: [...], steps: [{order, name, rows: [(label,
            value)], prompt}], run: None or {meta, steps: [{order, name, status, started, duration,
            tokens_in, tokens_out, error}]}}`; every text already formatted and free of secrets.

    Returns:
        The PDF bytes (A4 portrait).

    Raises:
        FontMissing: DejaVu Sans is not installed.
    """
    return _Writer(data).output()


def format_duration(ms: int | None) -> str:
    """`1.2 s`, `3 min 4 s`, or an em dash."""
    return "—" if ms is None else _seconds(ms)
