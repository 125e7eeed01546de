"""Browser: autosaves make one working draft, a named version, compare with now, undo/redo with the keyboard."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.e2e.conftest import login, shot

PASSWORD = "demo-password-123"
TREE = {
    "start_node_id": "q",
    "nodes": [
        {
            "id": "q",
            "type": "decision",
            "title": "Is the printer on?",
            "options": [{"label": "Yes", "next": "a"}, {"label": "No", "next": "s"}],
        },
        {"id": "a", "type": "action", "title": "Print a test page", "next": "s"},
        {"id": "s", "type": "solution", "title": "Printing works"},
    ],
}


def _saved(page) -> None:
    page.wait_for_timeout(1500)
    expect(page.get_by_test_id("save-status")).to_have_text("Saved", timeout=20_000)


def test_versions_coalesce_name_compare_and_undo_redo(page, app_url) -> None:
    token = httpx.post(
        f"{app_url}/api/v1/auth/login", json={"email": "author@example.com", "password": PASSWORD}
    ).json()["access_token"]
    api = httpx.Client(base_url=f"{app_url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    tree = api.post(
        "/trees", json={"name": "Printer check", "tree_type": "troubleshooting", "tree_structure": TREE}
    ).json()
    login(page, app_url, "author@example.com", PASSWORD)
    page.goto(f"{app_url}/flows/{tree['id']}")
    page.get_by_test_id("flow-node-a").click()
    title = page.get_by_test_id("node-title")
    for text in ("Print a test page now", "Print a test page from the panel", "Print a config page"):
        title.fill(text)
        _saved(page)
    # Three autosaves: one working draft on top of the created version.
    versions = api.get(f"/trees/{tree['id']}/versions").json()
    assert versions["total"] == 2
    assert versions["items"][0]["kind"] == "autosave"
    assert versions["items"][0]["summary_text"] == "1 changed"

    # Undo and redo with the keyboard (focus on the canvas, not in a text field).
    expect(page.get_by_test_id("undo")).to_be_enabled()
    # Focus out of the text field (there the browser's own text undo applies): click the empty canvas.
    page.locator(".react-flow__pane").click(position={"x": 12, "y": 220})
    expect(page.get_by_test_id("node-title")).to_have_count(0)
    assert page.evaluate("window.__rfUndoKeys === true && window.__rfUnsavedGuard === true")
    page.keyboard.press("Control+z")
    expect(page.get_by_test_id("flow-node-a")).to_contain_text("Print a test page from the panel")
    page.keyboard.press("Control+z")
    expect(page.get_by_test_id("flow-node-a")).to_contain_text("Print a test page now")
    page.keyboard.press("Control+Shift+z")
    expect(page.get_by_test_id("flow-node-a")).to_contain_text("Print a test page from the panel")
    page.get_by_test_id("redo").click()
    expect(page.get_by_test_id("flow-node-a")).to_contain_text("Print a config page")
    _saved(page)
    assert (
        next(n for n in api.get(f"/trees/{tree['id']}").json()["tree_structure"]["nodes"] if n["id"] == "a")["title"]
        == "Print a config page"
    )

    # Name a version; the history shows who, name, kind and what changed; compare v1 with now.
    page.get_by_test_id("flow-menu").click()
    page.get_by_test_id("open-history").click()
    page.get_by_test_id("version-name").fill("Before the vendor call")
    page.get_by_test_id("save-version").click()
    page.get_by_test_id("version-label").filter(has_text="Before the vendor call").wait_for()
    rows = page.get_by_test_id("version-row")
    assert rows.count() == 2
    assert "1 changed" in rows.first.inner_text()
    shot(page, "flow-history-named")
    rows.nth(1).get_by_test_id("compare-version").click()
    diff = page.get_by_test_id("diff-row")
    diff.first.wait_for()
    assert diff.count() == 1
    assert "Print a config page" in diff.first.inner_text()
    assert "changed" in diff.first.inner_text()
    shot(page, "flow-compare-versions")
    page.keyboard.press("Escape")
    # After a named version, the next edit starts a new working draft.
    page.get_by_test_id("flow-node-s").click()
    page.get_by_test_id("node-title").fill("Printing works again")
    _saved(page)
    assert api.get(f"/trees/{tree['id']}/versions").json()["total"] == 3
