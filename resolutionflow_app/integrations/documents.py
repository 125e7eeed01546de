"""Markdown to PDF (fpdf2) and DOCX (python-docx) for automation outputs; no remote images are ever fetched."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

PDF_MIME = "application/pdf"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"), Path("/usr/local/share/fonts"))
_FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}
_MONO_FILE = "DejaVuSansMono.ttf"
# Characters XML 1.0 (DOCX) cannot hold.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _markdown() -> MarkdownIt:
    # Raw HTML off (no tag injection) and images off: a PDF renderer must never fetch a URL.
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"]).disable("image")


def markdown_to_html(md: str) -> str:
    """Safe HTML for a markdown text (no raw HTML, no images)."""
    return _markdown().render(md or "")


def _font_dir() -> Path | None:
    for folder in _FONT_DIRS:
        if all((folder / name).is_file() for name in _FONT_FILES.values()):
            return folder
    return None


def _latin1(text: str) -> str:
    replacements = {
        "\u2022": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
    }
    for src, dst in replacements.items():
        text = text.replace(src, dst)
    return text.encode("latin-1", errors="replace").decode("latin-1")


def markdown_to_pdf(md: str, title: str | None = None) -> bytes:
    """Render markdown (headings, emphasis, lists, code, quotes, tables, links) to a PDF.

    Args:
        md: the markdown text (a step's output).
        title: optional document title (metadata and a heading on page 1).

    Returns:
        The PDF bytes (starting with %PDF).
    """
    from fpdf import FPDF  # noqa: PLC0415
    from fpdf.fonts import FontFace  # noqa: PLC0415

    md = _XML_INVALID.sub("", md or "")
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_creator("ResolutionFlow")
    font_dir = _font_dir()
    if font_dir is not None:
        for style, name in _FONT_FILES.items():
            pdf.add_font("DejaVu", style=style, fname=str(font_dir / name))
        mono = "DejaVuMono" if (font_dir / _MONO_FILE).is_file() else "DejaVu"
        if mono == "DejaVuMono":
            pdf.add_font("DejaVuMono", fname=str(font_dir / _MONO_FILE))
        family, clean = "DejaVu", (lambda s: s)
    else:
        family, mono, clean = "helvetica", "courier", _latin1
    if title:
        pdf.set_title(clean(title))
    pdf.add_page()
    if title:
        pdf.set_font(family, style="B", size=18)
        pdf.multi_cell(0, 9, clean(title), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.set_font(family, size=11)
    html = markdown_to_html(clean(md))
    try:
        pdf.write_html(
            html,
            font_family=family,
            warn_on_tags_not_matching=False,
            tag_styles={"code": FontFace(family=mono), "pre": FontFace(family=mono, size_pt=9)},
        )
    except Exception:  # noqa: BLE001 - odd markup (e.g. ragged tables) falls back to plain text
        pdf = _plain_pdf(md, title, family, font_dir, clean)
    return bytes(pdf.output())


def _plain_pdf(md: str, title: str | None, family: str, font_dir: Path | None, clean: Any) -> Any:
    from fpdf import FPDF  # noqa: PLC0415

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    if font_dir is not None:
        for style, name in _FONT_FILES.items():
            pdf.add_font("DejaVu", style=style, fname=str(font_dir / name))
    pdf.add_page()
    if title:
        pdf.set_font(family, style="B", size=18)
        pdf.multi_cell(0, 9, clean(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=11)
    pdf.multi_cell(0, 6, clean(md), new_x="LMARGIN", new_y="NEXT")
    return pdf


# ---------------------------------------------------------------- DOCX


def _add_inline(paragraph: Any, children: list[Any], *, mono: bool = False) -> None:
    bold = italic = strike = 0
    link: str | None = None
    for tok in children or []:
        kind = tok.type
        if kind == "strong_open":
            bold += 1
        elif kind == "strong_close":
            bold -= 1
        elif kind == "em_open":
            italic += 1
        elif kind == "em_close":
            italic -= 1
        elif kind == "s_open":
            strike += 1
        elif kind == "s_close":
            strike -= 1
        elif kind == "link_open":
            link = str(tok.attrGet("href") or "")
        elif kind == "link_close":
            if link:
                paragraph.add_run(f" ({_XML_INVALID.sub('', link)})")
            link = None
        elif kind in ("softbreak",):
            paragraph.add_run(" ")
        elif kind == "hardbreak":
            paragraph.add_run().add_break()
        elif kind in ("text", "code_inline", "html_inline"):
            run = paragraph.add_run(_XML_INVALID.sub("", tok.content))
            run.bold = bold > 0 or None
            run.italic = italic > 0 or None
            if strike > 0:
                run.font.strike = True
            if kind == "code_inline" or mono:
                run.font.name = "Courier New"


def markdown_to_docx(md: str, title: str | None = None) -> bytes:
    """Render markdown (headings, emphasis, lists, code, quotes, tables, links) to a Word document.

    Args:
        md: the markdown text.
        title: optional title (core properties and a title heading).

    Returns:
        The DOCX bytes (a zip that python-docx and Word open).
    """
    from docx import Document  # noqa: PLC0415
    from docx.shared import Pt  # noqa: PLC0415

    doc = Document()
    if title:
        doc.core_properties.title = _XML_INVALID.sub("", title)
        doc.add_heading(_XML_INVALID.sub("", title), level=0)
    tokens = _markdown().parse(_XML_INVALID.sub("", md or ""))
    list_stack: list[str] = []
    quote_depth = 0
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        kind = tok.type
        if kind == "heading_open":
            level = min(int(tok.tag[1]), 9)
            para = doc.add_heading(level=level)
            _add_inline(para, tokens[i + 1].children)
            i += 3
            continue
        if kind in ("bullet_list_open", "ordered_list_open"):
            list_stack.append("List Bullet" if kind == "bullet_list_open" else "List Number")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            list_stack.pop()
        elif kind == "blockquote_open":
            quote_depth += 1
        elif kind == "blockquote_close":
            quote_depth -= 1
        elif kind == "paragraph_open":
            inline = tokens[i + 1]
            if list_stack:
                depth = len(list_stack)
                style = list_stack[-1] + (f" {depth}" if 1 < depth <= 3 else "")
                para = doc.add_paragraph(style=style)
            elif quote_depth:
                para = doc.add_paragraph(style="Quote")
            else:
                para = doc.add_paragraph()
            _add_inline(para, inline.children)
            i += 3
            continue
        elif kind in ("fence", "code_block"):
            para = doc.add_paragraph()
            run = para.add_run(tok.content.rstrip("\n"))
            run.font.name = "Courier New"
            run.font.size = Pt(9)
        elif kind == "hr":
            doc.add_paragraph("―" * 20)
        elif kind == "table_open":
            i = _add_table(doc, tokens, i)
            continue
        i += 1
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _add_table(doc: Any, tokens: list[Any], start: int) -> int:
    """Read table tokens from `start` (table_open); add the table; return the index after table_close."""
    rows: list[list[Any]] = []
    header_rows = 0
    in_head = False
    i = start + 1
    while i < len(tokens) and tokens[i].type != "table_close":
        kind = tokens[i].type
        if kind == "thead_open":
            in_head = True
        elif kind == "thead_close":
            in_head = False
        elif kind == "tr_open":
            rows.append([])
            if in_head:
                header_rows += 1
        elif kind == "inline" and rows:
            rows[-1].append(tokens[i])
        i += 1
    columns = max((len(r) for r in rows), default=0)
    if rows and columns:
        table = doc.add_table(rows=len(rows), cols=columns)
        table.style = "Table Grid"
        for r, row in enumerate(rows):
            for c, inline in enumerate(row):
                para = table.cell(r, c).paragraphs[0]
                _add_inline(para, inline.children)
                if r < header_rows:
                    for run in para.runs:
                        run.bold = True
    return i + 1
