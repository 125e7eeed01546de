"""Browser: the demo automation runs on the offline model from the Automations page; status refreshes by itself."""

from __future__ import annotations

import json

from tests.e2e.conftest import login, shot


def test_run_the_demo_automation_and_watch_it_complete(page, app_url) -> None:
    login(page, app_url, "engineer@example.com", "demo-password-123")
    page.goto(f"{app_url}/automations")
    page.get_by_test_id("automation-list").wait_for()
    shot(page, "automations-list")
    page.get_by_test_id("select-automation").first.click()
    page.get_by_test_id("start-run").wait_for()
    page.get_by_test_id("run-text").fill("The printer on floor 3 prints blank pages.")
    page.get_by_test_id("run-form-json").fill(json.dumps({"requester": "Anna", "priority": "high"}))
    page.get_by_test_id("start-run").click()
    page.get_by_test_id("run-status").wait_for()
    page.get_by_test_id("run-status").get_by_text("completed").wait_for(timeout=60000)
    assert page.get_by_test_id("step-result").count() == 3
    assert page.get_by_text("[offline model]").first.is_visible()
    page.get_by_test_id("recent-runs").get_by_text("completed").first.wait_for()
    assert page.get_by_text("An error occurred").count() == 0
    shot(page, "automations-run-completed")
    # The demo's last step renders a PDF: it downloads from the page.
    with page.expect_download() as download:
        page.get_by_test_id("download-file").first.click()
    path = download.value.path()
    assert download.value.suggested_filename.endswith(".pdf")
    with open(path, "rb") as fh:
        assert fh.read(5) == b"%PDF-"


def test_bad_form_json_shows_an_inline_error(page, app_url) -> None:
    login(page, app_url, "author@example.com", "demo-password-123")
    page.goto(f"{app_url}/automations")
    page.get_by_test_id("select-automation").first.click()
    page.get_by_test_id("run-form-json").fill("{not json")
    page.get_by_test_id("start-run").click()
    page.get_by_test_id("form-error").wait_for()
    assert "not valid JSON" in page.get_by_test_id("form-error").inner_text()
