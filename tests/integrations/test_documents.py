"""Markdown to PDF and DOCX: valid files that contain the text; images never fetched."""

from __future__ import annotations

import io
import re
import zlib

import docx
import pytest

from resolutionflow_app.integrations import documents

SAMPLE = """# Incident summary

The **printer** on floor 3 *jams* when printing `duplex`. Åsa följde upp — “klart”.

## Steps taken

1. Cleared the tray
2. Updated the driver
   - version 4.2
- unordered item

> Customer confirmed the fix.

```
$ lpstat -p
printer ready
```

| Step | Result |
|------|--------|
| Tray | OK     |
| Driver | Updated |

See [the runbook](https://example.com/runbook).

---

![tracking pixel](http://169.254.169.254/latest/meta-data/)
"""


def _pdf_text(pdf: bytes) -> str:
    """Rough text of a PDF: inflate every stream (enough to find words written with a TTF font)."""
    out = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            out.append(zlib.decompress(match.group(1)).decode("latin-1"))
        except zlib.error:
            out.append(match.group(1).decode("latin-1"))
    return "\n".join(out)


def test_pdf_is_a_pdf() -> None:
    pdf = documents.markdown_to_pdf(SAMPLE, title="Ticket T-1")
    assert pdf.startswith(b"%PDF")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert len(pdf) > 1000


def test_pdf_contains_the_text_with_core_fonts(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without TTF fonts the PDF uses core fonts, whose text is stored literally.
    monkeypatch.setattr(documents, "_font_dir", lambda: None)
    pdf = documents.markdown_to_pdf("Hello **bold** world — Åsa", title="Report")
    text = _pdf_text(pdf)
    assert "Hello" in text
    assert "bold" in text
    assert "Report" in text


def test_pdf_handles_empty_and_odd_input() -> None:
    assert documents.markdown_to_pdf("").startswith(b"%PDF")
    assert documents.markdown_to_pdf("| a |\n|---|---|\n| 1 | 2 | 3 |\n\x00\x07 emoji 🙂").startswith(b"%PDF")
    assert documents.markdown_to_pdf("<script>alert(1)</script><img src='http://10.0.0.1/x'>").startswith(b"%PDF")


def test_html_has_no_images_or_raw_html() -> None:
    html = documents.markdown_to_html(SAMPLE + "\n<img src='http://10.0.0.1/'>")
    assert "<img" not in html
    assert "<table>" in html
    assert "<strong>printer</strong>" in html


def test_docx_opens_and_contains_the_text() -> None:
    data = documents.markdown_to_docx(SAMPLE, title="Ticket T-1")
    assert data[:2] == b"PK"
    document = docx.Document(io.BytesIO(data))
    paragraphs = [p.text for p in document.paragraphs]
    full = "\n".join(paragraphs)
    assert document.core_properties.title == "Ticket T-1"
    assert "Incident summary" in full
    assert "Steps taken" in full
    assert "The printer on floor 3 jams when printing duplex." in full
    assert "Åsa följde upp" in full
    assert "Cleared the tray" in full
    assert "version 4.2" in full
    assert "Customer confirmed the fix." in full
    assert "printer ready" in full
    assert "https://example.com/runbook" in full
    styles = {p.text: p.style.name for p in document.paragraphs}
    assert styles["Incident summary"] == "Heading 1"
    assert styles["Cleared the tray"] == "List Number"
    assert styles["Customer confirmed the fix."] == "Quote"
    bold_runs = [r.text for p in document.paragraphs for r in p.runs if r.bold]
    assert "printer" in bold_runs
    [table] = document.tables
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["Step", "Result"],
        ["Tray", "OK"],
        ["Driver", "Updated"],
    ]


def test_docx_strips_characters_xml_cannot_hold() -> None:
    data = documents.markdown_to_docx("bad \x00\x01 chars\x0b here", title="t\x02")
    assert "bad  chars here" in "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
