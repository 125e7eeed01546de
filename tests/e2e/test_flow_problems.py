"""Browser: the problems list follows the current structure, names nodes by their titles, and selects a node on
click."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import login, shot
from tests.e2e.test_flow_editor import AUTHOR, _create_flow, _wait_saved


def _show_flow_details(page) -> None:
    """Deselect by clicking empty canvas: the side panel shows the flow's details and problems."""
    pane = page.locator(".react-flow__pane")
    box = pane.bounding_box()
    page.mouse.click(box["x"] + 8, box["y"] + box["height"] - 8)
    page.get_by_test_id("flow-description").wait_for()


def test_problems_follow_edits_and_name_nodes_by_title(page, app_url) -> None:
    login(page, app_url, *AUTHOR)
    _create_flow(page, app_url, f"Spooler stuck {uuid.uuid4().hex[:6]}")
    page.get_by_test_id("add-action").click()
    page.get_by_test_id("flow-node-a_1").wait_for()
    page.get_by_test_id("flow-node-a_1").click()
    page.get_by_test_id("node-title").fill("Restart the print spooler")
    expect(page.get_by_test_id("flow-node-a_1")).to_contain_text("Restart the print spooler")
    _wait_saved(page)

    # The list names the renamed node by its new title, never by its internal id.
    _show_flow_details(page)
    problems = page.get_by_test_id("flow-problems")
    expect(problems).to_contain_text("Restart the print spooler")
    assert "a_1" not in problems.inner_text()
    shot(page, "flow-problems-named")

    # A click on the problem selects that node for editing.
    problems.get_by_text("Restart the print spooler").first.click()
    expect(page.get_by_test_id("node-title")).to_have_value("Restart the print spooler")

    # "Then continue with" a solution: the problem about this node is gone at once, not one edit later.
    page.get_by_test_id("action-next").click()
    page.get_by_role("option").filter(has_not_text="nowhere").last.click()
    _wait_saved(page)
    _show_flow_details(page)
    expect(
        page.get_by_test_id("flow-problems")
        .filter(has_text="Restart the print spooler")
        .filter(has_text="does not lead")
    ).to_have_count(0)
    # What is left is the true remaining problem: nothing leads to the action yet.
    expect(page.get_by_test_id("flow-problems")).to_contain_text("Node 'Restart the print spooler' cannot be reached")
    shot(page, "flow-problems-after-fix")
