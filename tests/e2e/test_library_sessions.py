"""Browser: the demo engineer runs "Wi-Fi AP offline" live, inserts steps, resolves it; browses the library."""

from __future__ import annotations

import re

from tests.e2e.conftest import login, shot

ENGINEER = ("engineer@example.com", "demo-password-123")


def test_troubleshooting_session_to_resolution(page, app_url) -> None:
    login(page, app_url, *ENGINEER)
    page.goto(f"{app_url}/sessions")
    page.get_by_test_id("start-session").click()
    page.get_by_test_id("picker-search").fill("Wi-Fi")
    shot(page, "sessions-start-picker")
    page.get_by_test_id("start-flow-Wi-Fi AP offline").click()
    page.wait_for_url("**/sessions/*")
    title = page.get_by_test_id("current-node-title")
    try:
        title.wait_for()
    except Exception:
        shot(page, "debug-session-start")
        raise
    assert "How many access points" in title.inner_text()
    shot(page, "session-decision")

    # Key 1 answers the first option ("Just one AP").
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("1")
    page.get_by_text("Does the AP have power").first.wait_for()
    page.get_by_role("button", name="Yes, LED is lit").click()
    page.get_by_text("Reboot the AP from the controller").first.wait_for()
    page.get_by_test_id("copy-command").first.wait_for()

    page.get_by_test_id("node-notes").fill("Lobby AP, LED solid white")
    page.get_by_test_id("save-note").click()
    page.get_by_text("Note saved.").wait_for()

    # Ad-hoc step.
    page.get_by_test_id("insert-step").click()
    page.get_by_test_id("ad-hoc-content").fill("Checked the Meraki dashboard for AP status")
    page.get_by_test_id("ad-hoc-submit").click()
    page.get_by_text("Checked the Meraki dashboard for AP status").wait_for()

    # Library step via the search picker.
    page.get_by_test_id("insert-step").click()
    page.get_by_test_id("tab-library").click()
    page.get_by_test_id("library-picker-search").fill("PoE")
    page.get_by_test_id("library-picker-search").press("Enter")
    page.get_by_test_id("insert-library-step").first.wait_for()
    shot(page, "session-insert-library-picker")
    page.get_by_test_id("insert-library-step").first.click()
    page.get_by_text("Library step added to the session.").wait_for()
    assert page.get_by_test_id("custom-step").count() == 2
    page.get_by_text("From step library").first.wait_for()

    page.get_by_test_id("done-continue").click()
    page.get_by_text("Did the AP come back online").first.wait_for()
    page.get_by_role("button", name="Yes").click()
    page.get_by_test_id("resolved").wait_for()
    assert "AP back online" in page.get_by_test_id("current-node-title").inner_text()
    shot(page, "session-solution")
    page.get_by_test_id("resolved").click()
    page.get_by_test_id("complete-summary").fill("Rebooted the lobby AP; it re-adopted.")
    page.get_by_test_id("complete-submit").click()
    page.get_by_test_id("session-completed").wait_for()
    assert "Rebooted the lobby AP" in page.get_by_test_id("session-completed").inner_text()
    page.get_by_test_id("save-as-flow").wait_for()
    history = page.get_by_test_id("history").inner_text()
    assert "Lobby AP, LED solid white" in history
    assert "Just one AP" in history
    shot(page, "session-completed")

    page.goto(f"{app_url}/sessions")
    page.get_by_test_id("sessions-table").wait_for()
    assert "Wi-Fi AP offline" in page.get_by_test_id("sessions-table").inner_text()
    shot(page, "sessions-list")


def test_library_browse_search_and_synced_lock(page, app_url) -> None:
    login(page, app_url, *ENGINEER)
    page.goto(f"{app_url}/library")
    page.get_by_test_id("library-item").first.wait_for()
    shot(page, "library-list")
    page.get_by_test_id("library-search").fill("PoE")
    page.get_by_test_id("library-search").press("Enter")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=library-item]')].every(e => /poe/i.test(e.innerText))"
    )
    page.get_by_test_id("library-item").first.click()
    page.get_by_test_id("step-detail").wait_for()
    page.get_by_test_id("synced-lock").wait_for()
    assert "Managed by source flow" in page.get_by_test_id("synced-lock").inner_text()
    assert page.get_by_test_id("step-edit").count() == 0
    assert "Sourced from" in page.get_by_test_id("step-detail").inner_text()
    shot(page, "library-synced-detail")


def test_procedure_checklist_ticks(page, app_url) -> None:
    login(page, app_url, "author@example.com", "demo-password-123")
    page.goto(f"{app_url}/sessions")
    page.get_by_test_id("start-session").click()
    page.get_by_test_id("picker-search").fill("laptop")
    buttons = page.get_by_test_id("start-flow-New laptop setup")
    buttons.wait_for()  # the demo procedure is published for the demo account
    buttons.click()
    page.wait_for_url("**/sessions/*")
    page.get_by_test_id("progress").wait_for()
    before = page.get_by_test_id("progress").inner_text()
    page.get_by_test_id("tick").first.click()
    page.wait_for_function("(b) => document.querySelector('[data-testid=progress]').innerText !== b", arg=before)
    assert page.get_by_test_id("progress").inner_text().startswith("1 of")
    shot(page, "session-procedure")
    page.get_by_test_id("back").click()  # "Undo last tick"
    page.wait_for_function("() => document.querySelector('[data-testid=progress]').innerText.startsWith('0 of')")


def test_manual_step_create_edit_delete(page, app_url) -> None:
    login(page, app_url, "author@example.com", "demo-password-123")
    page.goto(f"{app_url}/library")
    page.get_by_test_id("library-new").click()
    page.get_by_test_id("editor-title").fill("Clear the DNS cache")
    page.get_by_test_id("editor-instructions").fill("Flush the resolver cache on the client and retry.")
    page.locator("textarea[name=commands_text]").fill("Flush | ipconfig /flushdns")
    shot(page, "library-editor")
    page.get_by_test_id("editor-save").click()
    page.get_by_text("Step saved.").wait_for()
    detail = page.get_by_test_id("step-detail")
    assert "Clear the DNS cache" in detail.inner_text()
    assert "ipconfig /flushdns" in detail.inner_text()
    page.get_by_test_id("rate-4").click()
    page.get_by_text("Rated 4 of 5.").wait_for()
    page.get_by_test_id("step-edit").click()
    page.get_by_test_id("editor-title").fill("Clear the DNS cache (Windows)")
    page.get_by_test_id("editor-save").click()
    page.get_by_test_id("step-detail-title").filter(has_text="(Windows)").wait_for()
    shot(page, "library-manual-detail")
    page.get_by_test_id("step-delete").click()
    page.get_by_test_id("step-delete-confirm").click()
    page.get_by_text("Step deleted.").wait_for()
    assert page.get_by_test_id("step-detail").count() == 0


def test_other_members_session_is_read_only(page, app_url) -> None:
    login(page, app_url, *ENGINEER)
    page.goto(f"{app_url}/sessions")
    page.get_by_test_id("start-session").click()
    page.get_by_test_id("start-flow-User can't sign in to VPN").click()
    page.wait_for_url("**/sessions/*")
    page.get_by_test_id("current-node-title").wait_for()
    url = page.url
    page.context.clear_cookies()
    page.evaluate("() => localStorage.clear()")
    login(page, app_url, "owner@example.com", "demo-password-123")
    page.goto(url)
    page.get_by_test_id("read-only").wait_for()
    assert page.get_by_test_id("answer-1").count() == 0
    assert page.get_by_test_id("insert-step").count() == 0
    shot(page, "session-read-only")


def test_promote_repeated_ad_hoc_step(page, app_url) -> None:
    login(page, app_url, *ENGINEER)
    text = "Power-cycled the PoE injector in the comms cabinet"
    for _ in range(2):
        page.goto(f"{app_url}/sessions")
        page.get_by_test_id("start-session").click()
        page.get_by_test_id("start-flow-Wi-Fi AP offline").click()
        page.wait_for_url("**/sessions/*")
        page.get_by_test_id("insert-step").click()
        page.get_by_test_id("ad-hoc-content").fill(text)
        page.get_by_test_id("ad-hoc-submit").click()
        page.get_by_test_id("custom-step").first.wait_for()
    page.goto(f"{app_url}/analytics")
    row = page.get_by_test_id("ad-hoc-steps").get_by_role("row").filter(has_text=text)
    row.wait_for()
    shot(page, "analytics-ad-hoc")
    row.get_by_test_id("promote").click()
    page.get_by_text("added to the library.").wait_for()
    page.goto(f"{app_url}/library")
    page.get_by_test_id("library-search").fill("comms cabinet")
    page.get_by_test_id("library-search").press("Enter")
    page.get_by_test_id("library-item").filter(has_text="comms cabinet").first.wait_for()


def test_library_pages_through_the_demo_steps(page, app_url) -> None:
    login(page, app_url, "engineer@example.com", "demo-password-123")
    page.goto(f"{app_url}/library")
    page.get_by_text(re.compile(r"^1–20 of \d+$")).wait_for()  # the demo flows sync 25 steps: two pages
    page.get_by_test_id("library-pager-next").click()
    page.get_by_text(re.compile(r"^21–\d+ of \d+$")).wait_for()
    page.get_by_test_id("library-pager-prev").click()
    page.get_by_text(re.compile(r"^1–20 of \d+$")).wait_for()
