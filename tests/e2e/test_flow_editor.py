"""Browser: build a troubleshooting tree by clicking, autosave, publish, fork, export PNG; procedures; read-only."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login, shot

AUTHOR = ("author@example.com", "demo-password-123")
ENGINEER = ("engineer@example.com", "demo-password-123")


def _create_flow(page, app_url: str, name: str, tree_type_label: str | None = None) -> str:
    page.goto(f"{app_url}/flows")
    page.get_by_test_id("new-flow").click()
    page.get_by_test_id("new-flow-name").fill(name)
    if tree_type_label:
        page.get_by_test_id("new-flow-type").click()
        page.get_by_role("option", name=tree_type_label).click()
    page.get_by_test_id("new-flow-description").fill("Made by the browser test.")
    shot(page, "flow-new-dialog")
    page.get_by_test_id("new-flow-submit").click()
    page.wait_for_url(re.compile(r".*/flows/[0-9a-f-]{36}$"))
    return page.url.rsplit("/", 1)[-1]


def _handle(page, node_id: str, handle_id: str | None = None):
    if handle_id is None:
        return page.locator(f'.react-flow__handle.target[data-nodeid="{node_id}"]')
    return page.locator(f'.react-flow__handle[data-nodeid="{node_id}"][data-handleid="{handle_id}"]')


def _settled_box(page, locator) -> dict:
    """The element's box once the canvas stopped moving (fitView animates after adding a node)."""
    box = locator.bounding_box()
    for _ in range(30):
        page.wait_for_timeout(100)
        again = locator.bounding_box()
        if again == box:
            return box
        box = again
    return box


def _drag(page, source, target) -> None:
    """Drag a connection line from one handle to another with the mouse, like a user."""
    s, t = _settled_box(page, source), _settled_box(page, target)
    page.mouse.move(s["x"] + s["width"] / 2, s["y"] + s["height"] / 2)
    page.mouse.down()
    page.mouse.move(s["x"] + 20, s["y"] + 40, steps=5)
    page.mouse.move(t["x"] + t["width"] / 2, t["y"] + t["height"] / 2, steps=15)
    page.mouse.up()


@pytest.fixture(autouse=True)
def _screenshot_on_failure(request, page):
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed > failed_before:
        shot(page, f"flow-failure-{request.node.name}")


def _menu_item(page, testid: str):
    """Open the flow's "More" menu (again, if a closing animation swallowed the click) and return an item."""
    item = page.get_by_test_id(testid)
    for _ in range(5):
        page.keyboard.press("Escape")
        page.get_by_test_id("flow-menu").click()
        try:
            item.wait_for(timeout=2000)
            return item
        except Exception:  # noqa: BLE001 - retry the click
            continue
    return item


def _wait_saved(page) -> None:
    expect(page.get_by_test_id("save-status")).to_have_text("Saved", timeout=15000)


def test_build_publish_fork_export_troubleshooting_flow(page, app_url) -> None:
    login(page, app_url, *AUTHOR)
    name = f"Printer offline {uuid.uuid4().hex[:6]}"
    _create_flow(page, app_url, name)
    canvas = page.get_by_test_id("flow-canvas")
    canvas.wait_for()
    # The default skeleton: a start question and a solution, laid out automatically.
    page.get_by_test_id("flow-node-start").wait_for()
    page.get_by_test_id("flow-node-solved").wait_for()
    shot(page, "flow-editor-new-tree")

    # Add an action and a solution by clicking the canvas toolbar.
    page.get_by_test_id("add-action").click()
    page.get_by_test_id("flow-node-a_1").wait_for()
    page.get_by_test_id("add-solution").click()
    page.get_by_test_id("flow-node-s_1").wait_for()
    # New, unconnected nodes are flagged on the canvas.
    page.get_by_test_id("node-problem-s_1").wait_for()
    shot(page, "flow-editor-added-nodes")

    # Connect: drag from the question's "+" handle to the action (adds an answer), then action -> solution.
    _drag(page, _handle(page, "start", "opt-new"), _handle(page, "a_1"))
    _handle(page, "start", "opt-1").wait_for()
    _drag(page, _handle(page, "a_1", "next"), _handle(page, "s_1"))
    expect(page.locator('.react-flow__edge[data-id="a_1|next"], [data-testid="rf__edge-a_1|next"]')).to_have_count(1)

    # Edit the action in the side panel; autosave says "Saved".
    page.get_by_test_id("flow-node-a_1").click()
    page.get_by_test_id("node-title").fill("Power-cycle the printer")
    page.get_by_test_id("node-description").fill("Switch it off for 30 seconds, then on again.")
    page.get_by_test_id("add-command").click()
    page.get_by_test_id("command-code").fill("lpstat -p")
    expect(page.get_by_test_id("flow-node-a_1")).to_contain_text("Power-cycle the printer")
    page.get_by_test_id("flow-node-s_1").click()
    page.get_by_test_id("node-title").fill("Printer prints again")
    page.get_by_test_id("flow-node-start").click()
    page.get_by_test_id("option-label").nth(1).fill("Still offline")
    _wait_saved(page)
    expect(page.get_by_test_id("node-problem-s_1")).to_have_count(0)
    shot(page, "flow-editor-built-tree")

    # Reload: everything was saved (positions included).
    page.reload()
    expect(page.get_by_test_id("flow-node-a_1")).to_contain_text("Power-cycle the printer")
    expect(page.get_by_test_id("flow-node-start")).to_contain_text("Still offline")
    expect(page.get_by_test_id("flow-version")).not_to_have_text("v1")

    # Publish.
    page.get_by_test_id("publish").click()
    page.get_by_test_id("unpublish").wait_for()
    expect(page.get_by_test_id("publish-errors")).to_have_count(0)
    shot(page, "flow-editor-published")

    # Fork with a reason: lands on the fork, which links back to its parent.
    page.get_by_test_id("fork").click()
    page.get_by_test_id("fork-reason").fill("Our office uses different printers")
    page.get_by_test_id("fork-submit").click()
    expect(page.get_by_test_id("forked-from")).to_have_text(name)
    expect(page.get_by_test_id("flow-name")).to_have_value(f"{name} (fork)")
    page.get_by_test_id("flow-node-a_1").wait_for()
    shot(page, "flow-editor-fork")

    # Export the diagram as PNG: a real download of a PNG file.
    export_png = _menu_item(page, "export-png")
    with page.expect_download() as info:
        export_png.click()
    download = info.value
    assert download.suggested_filename.endswith(".png")
    with open(download.path(), "rb") as fh:
        data = fh.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 2000


def test_publish_refused_lists_problems(page, app_url) -> None:
    login(page, app_url, *AUTHOR)
    _create_flow(page, app_url, f"Broken flow {uuid.uuid4().hex[:6]}")
    page.get_by_test_id("flow-node-start").wait_for()
    page.get_by_test_id("add-decision").click()
    page.get_by_test_id("flow-node-q_1").wait_for()
    _wait_saved(page)
    page.get_by_test_id("publish").click()
    errors = page.get_by_test_id("publish-errors")
    errors.wait_for()
    assert "New question" in errors.inner_text()
    page.get_by_test_id("publish").wait_for()
    shot(page, "flow-editor-publish-refused")
    # a click on a problem selects its node; the banner follows the structure as it is edited
    errors.get_by_test_id("publish-problem").filter(has_text="New question").first.click()
    expect(page.get_by_test_id("node-title")).to_have_value("New question")
    page.get_by_test_id("node-title").fill("Renamed question")
    expect(errors).to_contain_text("Renamed question", timeout=10000)
    expect(errors).not_to_contain_text("New question")


def test_procedure_steps_and_library_visibility(page, app_url) -> None:
    login(page, app_url, *AUTHOR)
    _create_flow(page, app_url, f"Onboarding {uuid.uuid4().hex[:6]}", "Procedure")
    page.get_by_test_id("step-list").wait_for()
    page.get_by_test_id("add-section").click()
    page.get_by_test_id("node-title").fill("Accounts")
    page.get_by_test_id("add-step").click()
    page.get_by_test_id("node-title").fill("Create the AD account")
    page.get_by_test_id("node-expected-outcome").fill("The user can sign in")
    page.get_by_test_id("more-options").get_by_text("More options").click()
    page.get_by_test_id("library-visibility").click()
    page.get_by_role("option", name="Team only").click()
    _wait_saved(page)
    rows = page.get_by_test_id("step-row")
    titles = [rows.nth(i).inner_text() for i in range(rows.count())]
    assert [t for t in titles if "Accounts" in t or "Create the AD account" in t]
    assert any("team" in t for t in titles)
    # Move the new step up above the section header, then reload: order and visibility were saved.
    step = rows.filter(has_text="Create the AD account")
    step.get_by_test_id("step-up").click()
    # The move must be on screen before "Saved" is awaited: otherwise the old "Saved" passes before the edit arrives.
    expect(rows.nth(1)).to_contain_text("Create the AD account")
    _wait_saved(page)
    shot(page, "flow-procedure-editor")
    page.reload()
    page.get_by_test_id("step-list").wait_for()
    rows = page.get_by_test_id("step-row")
    order = [rows.nth(i).inner_text() for i in range(rows.count())]
    assert order.index(next(t for t in order if "Create the AD account" in t)) < order.index(
        next(t for t in order if "Accounts" in t)
    )
    assert any("team" in t for t in order)
    # Inherit from flow removes the override.
    rows.filter(has_text="Create the AD account").click()
    page.get_by_test_id("more-options").get_by_text("More options").click()
    page.get_by_test_id("library-visibility").click()
    page.get_by_role("option", name="Inherit from flow").click()
    _wait_saved(page)
    expect(rows.filter(has_text="Create the AD account")).not_to_contain_text("team")


def test_engineer_sees_flows_read_only(page, app_url) -> None:
    login(page, app_url, *ENGINEER)
    page.goto(f"{app_url}/flows")
    page.get_by_test_id("flows-table").wait_for()
    expect(page.get_by_test_id("new-flow")).to_have_count(0)
    page.get_by_test_id("flow-search").fill("Wi-Fi")
    expect(page.get_by_test_id("flow-row")).to_have_count(1)
    page.get_by_test_id("flow-link").first.click()
    page.get_by_test_id("read-only-badge").wait_for()
    page.get_by_test_id("flow-node-q_scope").wait_for()
    expect(page.get_by_test_id("publish")).to_have_count(0)
    expect(page.get_by_test_id("add-decision")).to_have_count(0)
    expect(page.get_by_test_id("flow-name")).to_have_count(0)
    page.get_by_test_id("flow-node-q_scope").click()
    expect(page.get_by_test_id("node-panel")).to_contain_text("How many access points are offline?")
    expect(page.get_by_test_id("node-title")).to_have_count(0)
    shot(page, "flow-editor-read-only")


def test_history_restore_export_json_and_delete(page, app_url) -> None:
    login(page, app_url, *AUTHOR)
    name = f"History flow {uuid.uuid4().hex[:6]}"
    _create_flow(page, app_url, name)
    page.get_by_test_id("flow-node-solved").click()
    page.get_by_test_id("node-title").fill("Printer works")
    _wait_saved(page)
    expect(page.get_by_test_id("flow-version")).to_have_text("v2")

    _menu_item(page, "open-history").click()
    expect(page.get_by_test_id("version-row")).to_have_count(2)
    shot(page, "flow-history-drawer")
    page.get_by_test_id("version-row").nth(1).get_by_test_id("view-version").click()
    viewer = page.get_by_test_id("version-viewer")
    expect(viewer.get_by_test_id("flow-node-solved")).to_contain_text("Problem solved")
    expect(viewer.get_by_test_id("add-action")).to_have_count(0)
    shot(page, "flow-version-viewer")
    page.get_by_test_id("viewer-restore").click()
    page.get_by_test_id("confirm-restore").click()
    expect(page.get_by_test_id("flow-version")).to_have_text("v3")
    expect(page.get_by_test_id("version-viewer")).to_have_count(0)
    expect(page.get_by_test_id("flow-canvas").get_by_test_id("flow-node-solved")).to_contain_text("Problem solved")

    export_json = _menu_item(page, "export-json")
    with page.expect_download() as info:
        export_json.click()
    with open(info.value.path(), encoding="utf-8") as fh:
        exported = json.load(fh)
    assert exported["format"] == "resolutionflow.tree"
    assert exported["tree"]["name"] == name

    _menu_item(page, "delete-flow").click()
    shot(page, "flow-delete-confirm")
    page.get_by_test_id("confirm-delete").click()
    page.wait_for_url(re.compile(r".*/flows$"))
    page.get_by_test_id("flow-search").fill(name)
    expect(page.get_by_test_id("flow-row")).to_have_count(0)


def test_import_json_with_clear_errors(page, app_url, tmp_path) -> None:
    login(page, app_url, *AUTHOR)
    page.goto(f"{app_url}/flows")
    page.get_by_test_id("import-flow").click()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    page.locator('[data-testid="import-drop"] input[type=file]').set_input_files(str(bad))
    page.get_by_test_id("import-submit").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("not valid JSON")
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"hello": "world"}))
    page.locator('[data-testid="import-drop"] input[type=file]').set_input_files(str(wrong))
    page.get_by_test_id("import-submit").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("not a ResolutionFlow flow export")
    shot(page, "flow-import-error")
    name = f"Imported {uuid.uuid4().hex[:6]}"
    good = tmp_path / "good.json"
    good.write_text(
        json.dumps(
            {
                "format": "resolutionflow.tree",
                "format_version": 1,
                "tree": {
                    "name": name,
                    "description": "",
                    "tree_type": "procedural",
                    "tree_structure": {
                        "steps": [
                            {"id": "s1", "type": "procedure_step", "title": "Plug it in"},
                            {"id": "end", "type": "procedure_end", "title": "Done"},
                        ]
                    },
                },
            }
        )
    )
    page.locator('[data-testid="import-drop"] input[type=file]').set_input_files(str(good))
    page.get_by_test_id("import-submit").click()
    page.wait_for_url(re.compile(r".*/flows/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("flow-name")).to_have_value(name)
    expect(page.get_by_test_id("step-row").first).to_contain_text("Plug it in")


def test_failed_save_is_shown_and_kept_until_retry(page, app_url) -> None:
    """An edit the server refuses says "Not saved — retry", stays on screen, and saves once fixed."""
    login(page, app_url, *AUTHOR)
    tree_id = _create_flow(page, app_url, f"Failed save {uuid.uuid4().hex[:6]}")
    _wait_saved(page)
    page.get_by_test_id("flow-name").fill("")  # an empty name is refused by the service
    expect(page.get_by_test_id("save-status")).to_have_text("Not saved — retry", timeout=15000)
    expect(page.get_by_test_id("save-retry")).to_be_visible()
    assert page.locator('[data-unsaved="1"]').count() == 1  # the beforeunload guard would ask
    shot(page, "flow-failed-save")
    page.get_by_test_id("save-retry").click()  # still refused: still visible, nothing dropped
    expect(page.get_by_test_id("save-status")).to_have_text("Not saved — retry")
    page.get_by_test_id("flow-name").fill("Fixed name")
    _wait_saved(page)
    page.goto(f"{app_url}/flows/{tree_id}")
    expect(page.get_by_test_id("flow-name")).to_have_value("Fixed name", timeout=15000)
