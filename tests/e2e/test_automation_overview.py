"""Browser: the overview tab draws an automation (all nodes, both edge kinds), overlays a failed run, exports
PNG/SVG/JSON."""

from __future__ import annotations

import os
import struct
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pypdfium2

os.environ.setdefault("RF_ALLOWED_INTERNAL_CIDRS", "127.0.0.0/8")  # the failing HTTP input listens on loopback

from tests.e2e.conftest import login, menu_item, shot

PASSWORD = "demo-password-123"


class _Down(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(503)
        self.send_header("Content-Length", "4")
        self.end_headers()
        self.wfile.write(b"down")

    def log_message(self, *_args) -> None:
        pass


def _png_has_content(path: Path) -> bool:
    """True when a PNG is not one flat colour (decoded with zlib: no imaging library needed)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    return len(set(raw)) > 16


def _failed_run(app_url: str) -> tuple[str, str]:
    token = httpx.post(
        f"{app_url}/api/v1/auth/login", json={"email": "author@example.com", "password": PASSWORD}
    ).json()["access_token"]
    api = httpx.Client(base_url=f"{app_url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    model_id = api.get("/models").json()["items"][0]["id"]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Down)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    created = api.post(
        "/automations",
        json={
            "name": "Overview ‹three steps›",
            "form_schema": [
                {"id": "Namn på brukare", "label": "Namn på brukare", "type": "text"},
                {"id": "Ticket", "label": "Ticket", "type": "text"},
            ],
            "steps": [
                {
                    "step_order": 1,
                    "user_description": "Summarise",
                    "input_source": "flow_input",
                    "assistant": {"prompt": "Sum {{flow_input.text}}", "model_id": model_id},
                },
                {
                    "step_order": 2,
                    "user_description": "Fetch the ticket",
                    "input_source": "http_get",
                    "input_config": {"url": f"http://127.0.0.1:{server.server_address[1]}/t"},
                    "assistant": {"prompt": "Read", "model_id": model_id},
                },
                {
                    "step_order": 3,
                    "user_description": "Reply",
                    "input_source": "all_previous_steps",
                    "output_mode": "http_post",
                    "output_config": {"url": "https://93.184.216.34/hook"},
                    "assistant": {"prompt": "Reply", "model_id": model_id},
                },
            ],
        },
    )
    assert created.status_code == 201, created.text
    auto_id = created.json()["id"]
    run = api.post(
        f"/automations/{auto_id}/runs", json={"text": "printer", "form_data": {"Namn på brukare": "Åsa"}}
    ).json()
    deadline = time.time() + 90
    while api.get(f"/automation-runs/{run['id']}").json()["status"] != "failed":
        assert time.time() < deadline, "the run did not fail in time"
        time.sleep(0.5)
    server.shutdown()
    return auto_id, run["id"]


def test_overview_draws_overlays_and_exports(page, app_url, tmp_path) -> None:
    auto_id, run_id = _failed_run(app_url)
    login(page, app_url, "author@example.com", PASSWORD)
    page.goto(f"{app_url}/automations/{auto_id}")
    page.get_by_test_id("tab-overview").click()
    nodes = page.get_by_test_id("graph-node")
    page.wait_for_function("document.querySelectorAll('[data-testid=graph-node]').length === 5")
    assert [nodes.nth(i).get_attribute("data-kind") for i in range(5)].count("llm") == 3
    assert page.locator('[data-kind="input"]').get_by_text("Namn på brukare").is_visible()
    assert page.locator(".rf-edge-aggregated").count() >= 2
    assert page.locator(".rf-edge-direct").count() >= 2
    assert page.get_by_test_id("edge-label").filter(has_text="aggregated").count() >= 1
    assert page.locator('[data-testid="badge-http"]').count() == 1
    assert page.locator('[data-testid="badge-webhook"]').count() == 1
    page.wait_for_timeout(500)  # fit-view settles
    # No text below 12 px at the default zoom, and the minimap covers no node.
    smallest = page.evaluate("""() => {
        const zoom = (() => {
          const m = getComputedStyle(document.querySelector('.react-flow__viewport'))
            .transform.match(/matrix\\(([^,]+)/);
          return m ? parseFloat(m[1]) : 1;
        })();
        let min = 99;
        document.querySelectorAll('[data-testid=graph-node] *').forEach(el => {
          if (el.childNodes.length && [...el.childNodes].some(c => c.nodeType === 3 &&
            c.textContent.trim())) min = Math.min(min, parseFloat(getComputedStyle(el).fontSize) * zoom);
        });
        return min; }""")
    assert smallest >= 12, smallest
    overlap = page.evaluate("""() => {
        const m = document.querySelector('.react-flow__minimap').getBoundingClientRect();
        return [...document.querySelectorAll('[data-testid=graph-node]')].some(n => {
          const r = n.getBoundingClientRect();
          return r.left < m.right && r.right > m.left && r.top < m.bottom && r.bottom > m.top; }); }""")
    assert not overlap
    shot(page, "overview-1280")

    # Overlay the failed run: the HTTP step is red with its error, the later step grey.
    page.get_by_test_id("overlay-run").select_option(run_id)
    failed = page.locator('[data-testid="graph-node"][data-status="failed"]')
    failed.wait_for()
    assert "Fetch the ticket" in failed.inner_text()
    assert failed.get_by_test_id("node-error").inner_text().strip()
    assert page.locator('[data-testid="graph-node"][data-status="completed"]').count() == 1
    assert page.locator('[data-testid="graph-node"][data-status="skipped"]').count() == 1
    shot(page, "overview-failed-run")

    # Exports: PNG (not blank), SVG, and the JSON re-imports.
    item = menu_item(page, "export-menu", "export-png")
    with page.expect_download() as png:
        item.click()
    png_path = tmp_path / "diagram.png"
    png.value.save_as(png_path)
    assert _png_has_content(png_path)
    width, height = struct.unpack(">II", png_path.read_bytes()[16:24])
    assert width >= 1200, (width, height)
    assert height >= 300, (width, height)
    item = menu_item(page, "export-menu", "export-svg")
    with page.expect_download() as svg:
        item.click()
    assert "<svg" in Path(svg.value.path()).read_text()[:500]
    item = menu_item(page, "export-menu", "export-json")
    with page.expect_download() as js:
        item.click()
    exported = Path(js.value.path()).read_text()
    assert '"resolutionflow.automation"' in exported
    assert "Fetch the ticket" in exported
    # The audit report of the overlaid run: a PDF whose first page has the name and is not blank.
    item = menu_item(page, "export-menu", "export-audit")
    with page.expect_download() as audit:
        item.click()
    pdf = pypdfium2.PdfDocument(audit.value.path())
    first = pdf[0]
    assert "Overview ‹three steps›" in first.get_textpage().get_text_range()
    assert "failed" in "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    bitmap = first.render(scale=1)
    pixels = bytes(bitmap.buffer)
    assert len(set(pixels[:: max(1, len(pixels) // 20000)])) > 8  # not a blank page
    page.goto(f"{app_url}/automations")
    page.get_by_test_id("import-automation").click()
    page.get_by_test_id("import-json").fill(exported)
    page.get_by_test_id("confirm-import").click()
    page.get_by_test_id("step-card").nth(2).wait_for()

    # Dry run: the HTTP input's server is gone now, so its line is red; no model is called.
    page.goto(f"{app_url}/automations/{auto_id}/overview")
    page.get_by_test_id("graph-node").first.wait_for()
    page.get_by_test_id("dry-run").click()
    page.get_by_test_id("dry-run-summary").wait_for(timeout=30_000)
    red = page.locator('[data-testid="dry-run-line"][data-status="red"]').filter(has_text="Could not reach")
    assert red.count() >= 1
    assert "127.0.0.1" in red.first.inner_text()
    assert page.locator('[data-testid="dry-run-line"][data-status="green"]').count() >= 1
    shot(page, "overview-dry-run")

    # The run detail page links to the same picture; a phone width still shows every node.
    page.goto(f"{app_url}/automation-runs/{run_id}")
    page.get_by_test_id("run-on-diagram").click()
    page.locator('[data-testid="graph-node"][data-status="failed"]').wait_for()
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(600)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "overview-390")
