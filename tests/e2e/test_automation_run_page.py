"""Browser: the run page (form from form_schema, live progress, reuse last test data, history, detail page)
and a failing HTTP input step that turns red and completes after resume."""

from __future__ import annotations

import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import expect

# The HTTP-input test calls a server on 127.0.0.1: the app (started by the session fixture, which
# copies this environment) may reach loopback only with this setting.
os.environ.setdefault("RF_ALLOWED_INTERNAL_CIDRS", "127.0.0.0/8")

from tests.e2e.conftest import ARTIFACTS, api_client, login, shot

PASSWORD = "demo-password-123"
HOSTILE = "Åsa <script>alert('x')</script> " + "Ω" * 30 + " " + "x" * 400


def _automation_id(api: httpx.Client, name: str) -> str:
    items = api.get("/automations", params={"q": name}).json()["items"]
    return next(a["id"] for a in items if a["name"] == name)


def _wait_status(page, status: str, timeout: int = 90_000) -> None:
    page.locator(f'[data-testid="run-status"][data-status="{status}"]').wait_for(timeout=timeout)


def test_run_the_demo_form_watch_progress_reuse_last_data_and_open_the_run(page, app_url) -> None:
    api = api_client(app_url, "author@example.com")
    auto_id = _automation_id(api, "Ticket triage")
    login(page, app_url, "author@example.com", PASSWORD)
    page.goto(f"{app_url}/automations/{auto_id}/run")
    page.get_by_test_id("start-run").wait_for()
    assert page.locator("[data-field]").count() == 2
    page.get_by_label("Requester").fill(HOSTILE)
    page.get_by_label("Priority").click()
    page.get_by_role("option", name="high").click()
    page.get_by_test_id("run-text").fill("The printer on floor 3 prints blank pages.\n" + "y" * 3000)
    page.get_by_test_id("start-run").click()
    # Progress arrives by itself: no reload between start and completion.
    page.get_by_test_id("live-run").wait_for()
    _wait_status(page, "completed")
    cards = page.get_by_test_id("step-card")
    assert cards.count() == 3
    assert page.locator('[data-testid="step-card"][data-status="completed"]').count() == 3
    timing = page.get_by_test_id("step-timing").first.inner_text()
    assert "took" in timing
    assert "tokens in" in timing
    assert page.get_by_test_id("run-progress-label").inner_text().startswith("3 of 3")
    assert page.get_by_text("[offline model]").first.is_visible()
    assert page.locator("script:has-text(\"alert('x')\")").count() == 0
    shot(page, "run-page-completed-1280")
    with page.expect_download() as download:
        page.get_by_test_id("run-result").get_by_test_id("download-file").first.click()
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "run-page-completed-390")
    page.get_by_test_id("step-output").first.scroll_into_view_if_needed()
    page.get_by_test_id("step-output").first.screenshot(path=str(ARTIFACTS / "run-page-step-output-390.png"))
    assert page.evaluate(
        "() => document.querySelector('[data-testid=live-run]').scrollWidth <= "
        "document.querySelector('[data-testid=live-run]').clientWidth + 1"
    )
    page.set_viewport_size({"width": 1280, "height": 860})

    # A fresh page: "Reuse last test data" fills the form from my latest run.
    page.reload()
    page.get_by_test_id("reuse-last").click()
    page.get_by_label("Requester").wait_for()
    page.wait_for_function(
        "() => document.querySelector('#run-field-0') && document.querySelector('#run-field-0').value.startsWith('Åsa')"
    )
    assert page.get_by_label("Requester").input_value() == HOSTILE
    assert "high" in page.get_by_label("Priority").inner_text()
    assert page.get_by_test_id("run-text").input_value().startswith("The printer on floor 3")

    # History: the run is listed; a status filter with no match says so; the row opens the detail page.
    page.get_by_test_id("history-row").first.wait_for()
    page.get_by_label("Status", exact=True).click()
    page.get_by_role("option", name="failed").click()
    page.get_by_test_id("history-empty").wait_for()
    assert "No runs match" in page.get_by_test_id("history-empty").inner_text()
    page.get_by_label("Status", exact=True).click()
    page.get_by_role("option", name="all").click()
    page.get_by_test_id("history-link").first.click()
    page.get_by_test_id("run-inputs").wait_for()
    assert "Åsa" in page.get_by_test_id("run-inputs").inner_text()
    assert page.get_by_test_id("step-card").count() == 3
    page.get_by_text("Step input").first.click()
    page.get_by_test_id("step-input").first.wait_for()
    shot(page, "run-detail-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "run-detail-390")
    page.set_viewport_size({"width": 1280, "height": 860})
    page.get_by_test_id("back-to-run-page").click()
    page.get_by_test_id("start-run").wait_for()


class _Flaky(BaseHTTPRequestHandler):
    fail = True
    delay = 0.0

    def do_GET(self) -> None:
        time.sleep(_Flaky.delay)
        body = b"upstream exploded" if _Flaky.fail else b"Ticket 4711: VPN drops every 10 minutes."
        self.send_response(500 if _Flaky.fail else 200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture
def flaky_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    _Flaky.fail, _Flaky.delay = True, 0.0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ticket"
    server.shutdown()


def test_a_failing_http_input_step_turns_red_and_resume_completes_it(page, app_url, flaky_server) -> None:
    owner = api_client(app_url, "owner@example.com")
    model_id = next(m["id"] for m in owner.get("/models").json()["items"] if m["provider"] == "offline")
    created = owner.post(
        "/automations",
        json={
            "name": "Fetch ticket ‹HTTP›",
            "form_schema": [
                {"id": "customer", "label": "Customer", "type": "text", "required": True},
                {"id": "count", "label": "Seats", "type": "number"},
            ],
            "steps": [
                {
                    "step_order": 1,
                    "user_description": "Greet",
                    "input_source": "flow_input",
                    "assistant": {"prompt": "Hello {{flow_input.customer}}", "model_id": model_id},
                },
                {
                    "step_order": 2,
                    "user_description": "Fetch the ticket",
                    "input_source": "http_get",
                    "input_config": {"url": flaky_server},
                    "assistant": {"prompt": "Summarise", "model_id": model_id},
                },
                {
                    "step_order": 3,
                    "user_description": "Reply",
                    "input_source": "previous_step",
                    "assistant": {"prompt": "Reply politely", "model_id": model_id},
                },
            ],
        },
    )
    assert created.status_code == 201, created.text
    login(page, app_url, "owner@example.com", PASSWORD)
    page.goto(f"{app_url}/automations/{created.json()['id']}/run")
    page.get_by_label("Customer").fill("Contoso")
    page.get_by_label("Seats").fill("12")
    page.get_by_test_id("start-run").click()
    _wait_status(page, "failed")
    failed = page.locator('[data-testid="step-card"][data-status="failed"]')
    assert failed.count() == 1
    assert "Fetch the ticket" in failed.inner_text()
    assert "500" in failed.get_by_test_id("step-error").inner_text()
    assert page.locator('[data-testid="step-card"][data-status="completed"]').count() == 1
    assert page.locator('[data-testid="step-card"][data-status="pending"]').count() == 1
    shot(page, "run-page-http-failed")

    _Flaky.fail, _Flaky.delay = False, 3.0  # the upstream is fixed (and slow: the running state is visible)
    page.get_by_test_id("resume-run").click()
    running = page.locator('[data-testid="step-card"][data-status="running"]')
    running.wait_for(timeout=30_000)
    assert "Fetch the ticket" in running.inner_text()
    page.wait_for_function(
        "() => /running for [1-9][0-9]* "
        "s/.test(document.querySelector('[data-testid=step-card][data-status=running]')?.innerText || '')"
    )
    shot(page, "run-page-step-running")
    _wait_status(page, "completed")
    assert page.locator('[data-testid="step-card"][data-status="completed"]').count() == 3
    page.get_by_test_id("open-run").click()
    page.get_by_test_id("run-inputs").wait_for()
    assert "VPN drops" in page.get_by_test_id("run-steps").inner_text()
    shot(page, "run-detail-after-resume")


def test_unknown_run_and_automation_show_a_message(page, app_url) -> None:
    login(page, app_url, "engineer@example.com", PASSWORD)
    page.goto(f"{app_url}/automation-runs/00000000-0000-0000-0000-000000000000")
    page.get_by_test_id("not-found").wait_for()
    assert "Run not found" in page.get_by_test_id("not-found").inner_text()
    page.goto(f"{app_url}/automations/nope/run")
    page.get_by_test_id("not-found").wait_for()


def test_file_fields_upload_through_dropzones_and_are_reused(page, app_url) -> None:
    owner = api_client(app_url, "owner@example.com")
    model_id = next(m["id"] for m in owner.get("/models").json()["items"] if m["provider"] == "offline")
    created = owner.post(
        "/automations",
        json={
            "name": "Read the attachments",
            "form_schema": [
                {"id": "ritning", "label": "Ritning", "type": "image", "required": True},
                {"id": "notes", "label": "Notes document", "type": "document"},
            ],
            "steps": [
                {
                    "step_order": 1,
                    "user_description": "Read",
                    "input_source": "flow_input",
                    "input_type": "document",
                    "assistant": {"prompt": "Read the notes", "model_id": model_id},
                }
            ],
        },
    )
    assert created.status_code == 201, created.text
    login(page, app_url, "owner@example.com", PASSWORD)
    page.goto(f"{app_url}/automations/{created.json()['id']}/run")
    zones = page.get_by_test_id("run-dropzone")
    zones.first.wait_for()
    assert zones.count() == 2
    assert zones.first.get_attribute("tabindex") == "0"  # reachable by keyboard (Enter/Space opens the picker)
    # A text file is refused by the image field, with a message.
    zones.nth(0).locator("input[type=file]").set_input_files(
        files=[{"name": "not-an-image.txt", "mimeType": "text/plain", "buffer": b"hello"}]
    )
    page.get_by_text("needs a file of type image").wait_for()
    zones.nth(0).locator("input[type=file]").set_input_files(
        files=[{"name": "ritning ä.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\nfake"}]
    )
    page.get_by_test_id("attached-file").filter(has_text="ritning ä.png").wait_for()
    page.get_by_test_id("run-dropzone").locator("input[type=file]").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": "Serial number 12345-Ω".encode()}]
    )
    page.get_by_test_id("attached-file").filter(has_text="notes.txt").wait_for()
    shot(page, "run-page-uploads")
    page.get_by_test_id("start-run").click()
    _wait_status(page, "completed")
    assert "Serial number 12345-Ω" in page.get_by_test_id("run-steps").inner_text()
    page.reload()
    page.get_by_test_id("reuse-last").click()
    page.get_by_test_id("attached-file").filter(has_text="ritning ä.png").wait_for()
    page.get_by_test_id("attached-file").filter(has_text="notes.txt").wait_for()
    page.get_by_test_id("history-link").first.click()
    page.get_by_test_id("run-inputs").wait_for()
    assert "ritning ä.png" in page.get_by_test_id("run-inputs").inner_text()


def _offline_model(api: httpx.Client) -> str:
    return next(m["id"] for m in api.get("/models").json()["items"] if m["provider"] == "offline")


def test_cancel_a_running_run_then_resume_it(page, app_url, flaky_server) -> None:
    owner = api_client(app_url, "owner@example.com")
    model_id = _offline_model(owner)
    created = owner.post(
        "/automations",
        json={
            "name": "Slow fetch",
            "steps": [
                {
                    "step_order": 1,
                    "user_description": "Fetch slowly",
                    "input_source": "http_get",
                    "input_config": {"url": flaky_server},
                    "assistant": {"prompt": "Summarise", "model_id": model_id},
                },
                {
                    "step_order": 2,
                    "user_description": "Reply",
                    "input_source": "previous_step",
                    "assistant": {"prompt": "Reply", "model_id": model_id},
                },
            ],
        },
    )
    assert created.status_code == 201, created.text
    _Flaky.fail, _Flaky.delay = False, 6.0
    login(page, app_url, "owner@example.com", PASSWORD)
    page.goto(f"{app_url}/automations/{created.json()['id']}/run")
    page.get_by_test_id("run-placeholder").wait_for()
    assert "1. Fetch slowly" in page.get_by_test_id("run-placeholder").inner_text()
    page.get_by_test_id("start-run").click()
    page.locator('[data-testid="step-card"][data-status="running"]').wait_for(timeout=30_000)
    page.get_by_test_id("cancel-run").click()
    page.get_by_test_id("confirm-cancel").click()
    _wait_status(page, "cancelled", timeout=30_000)
    assert page.locator('[data-testid="step-card"][data-status="completed"]').count() == 0
    _Flaky.delay = 0.0
    page.get_by_test_id("resume-run").click()
    _wait_status(page, "completed")
    assert page.locator('[data-testid="step-card"][data-status="completed"]').count() == 2


def test_fifty_steps_render_and_complete(page, app_url) -> None:
    owner = api_client(app_url, "owner@example.com")
    model_id = _offline_model(owner)
    steps = [
        {
            "step_order": 1,
            "user_description": "Step one",
            "input_source": "flow_input",
            "assistant": {"prompt": "Start", "model_id": model_id},
        }
    ]
    steps += [
        {
            "step_order": n,
            "user_description": f"Step {n} " + "långt namn " * 5,
            "input_source": "previous_step",
            "assistant": {"prompt": f"Step {n}", "model_id": model_id},
        }
        for n in range(2, 51)
    ]
    created = owner.post("/automations", json={"name": "Fifty steps", "steps": steps})
    assert created.status_code == 201, created.text
    login(page, app_url, "owner@example.com", PASSWORD)
    page.goto(f"{app_url}/automations/{created.json()['id']}/run")
    page.get_by_test_id("run-text").fill("go")
    page.get_by_test_id("start-run").click()
    _wait_status(page, "completed", timeout=180_000)
    assert page.locator('[data-testid="step-card"][data-status="completed"]').count() == 50
    assert page.get_by_test_id("run-progress-label").inner_text().startswith("50 of 50")
    page.get_by_test_id("open-run").click()
    # The detail page loads the run after it opens (its on_load): wait for the cards, then read them.
    expect(page.get_by_test_id("step-card")).to_have_count(50)
    assert "go" in page.get_by_test_id("run-inputs-card").inner_text()
    shot(page, "run-detail-fifty-steps")
