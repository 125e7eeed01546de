"""Browser: an author links an automation to an action node; the engineer runs it in a session; the result is on the
share page."""

from __future__ import annotations

import uuid

import httpx

from tests.e2e.conftest import api_client, login, shot

PASSWORD = "demo-password-123"
TREE = {
    "start_node_id": "q_power",
    "nodes": [
        {
            "id": "q_power",
            "type": "decision",
            "title": "Is the AP powered?",
            "options": [{"label": "Yes", "next": "a_ticket"}, {"label": "No", "next": "s_power"}],
        },
        {"id": "a_ticket", "type": "action", "title": "Open a vendor ticket", "next": "s_done"},
        {"id": "s_power", "type": "solution", "title": "Restore PoE power"},
        {"id": "s_done", "type": "solution", "title": "Vendor ticket opened"},
    ],
}


def test_link_run_attach_and_share_an_automation_result(page, browser, app_url) -> None:
    author = api_client(app_url, "author@example.com")
    model_id = author.get("/models").json()["items"][0]["id"]
    name = f"Vendor ticket {uuid.uuid4().hex[:6]}"
    auto = author.post(
        "/automations",
        json={
            "name": name,
            "form_schema": [
                {"id": "Flow name", "label": "Flow name", "type": "text"},
                {"id": "Is the AP powered?", "label": "Is the AP powered?", "type": "select", "options": ["Yes", "No"]},
                {"id": "Serial", "label": "Serial", "type": "text", "required": True},
            ],
            "steps": [
                {
                    "step_order": 1,
                    "user_description": "Draft",
                    "input_source": "flow_input",
                    "assistant": {"prompt": "PRIVATE PROMPT {{flow_input.Serial}}", "model_id": model_id},
                }
            ],
        },
    ).json()
    assert author.post(f"/automations/{auto['id']}/publish").status_code == 200
    tree = author.post(
        "/trees",
        json={"name": f"AP down {uuid.uuid4().hex[:6]}", "tree_type": "troubleshooting", "tree_structure": TREE},
    ).json()

    # The author links it in the flow editor's side panel.
    login(page, app_url, "author@example.com", PASSWORD)
    page.goto(f"{app_url}/flows/{tree['id']}")
    page.get_by_test_id("flow-node-a_ticket").click()
    page.get_by_test_id("node-automation").click()
    page.get_by_role("option", name=name).click()
    for _ in range(40):
        node = next(
            n for n in author.get(f"/trees/{tree['id']}").json()["tree_structure"]["nodes"] if n["id"] == "a_ticket"
        )
        if node.get("automation_id") == auto["id"]:
            break
        page.wait_for_timeout(250)
    assert node.get("automation_id") == auto["id"]
    assert author.put(f"/trees/{tree['id']}", json={"status": "published"}).status_code == 200

    # The engineer (another browser context) runs it from the session: the form is pre-filled from the session.
    engineer = api_client(app_url, "engineer@example.com")
    sid = engineer.post("/sessions", json={"tree_id": tree["id"]}).json()["id"]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, app_url, "engineer@example.com", PASSWORD)
    page.goto(f"{app_url}/sessions/{sid}")
    page.get_by_role("button", name="Yes").first.click()
    panel = page.get_by_test_id("node-automation-panel")
    panel.wait_for()
    assert name in panel.inner_text()
    panel.get_by_test_id("run-node-automation").click()
    fields = page.get_by_test_id("automation-field")
    fields.first.wait_for()
    assert fields.nth(0).locator("input").input_value() == tree["name"]
    assert fields.nth(1).locator("select").input_value() == "Yes"
    assert fields.nth(2).locator("input").input_value() == ""  # nothing in the session matches "Serial"
    fields.nth(2).locator("input").fill("SN-4711")
    page.get_by_test_id("confirm-run-automation").click()
    result = page.get_by_test_id("custom-step").filter(has=page.get_by_test_id("source-automation"))
    result.get_by_test_id("custom-step-body").wait_for(timeout=90_000)
    assert "SN-4711" in result.inner_text()
    shot(page, "session-automation-result")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "session-automation-result-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    # The share page shows the result, never the prompt.
    share = engineer.post(f"/sessions/{sid}/shares", json={"visibility": "public"})
    assert share.status_code == 201, share.text
    token = share.json()["url"].rsplit("/share/", 1)[1]
    viewer = browser.new_page()
    viewer.goto(f"{app_url}/share/{token}")
    viewer.get_by_test_id("share-custom-steps").wait_for()
    text = viewer.get_by_test_id("share-custom-steps").inner_text()
    assert "SN-4711" in text
    assert "Automation result" in text
    # Outputs only: the shared session carries the run's result, never the automation's definition.
    shared = httpx.get(f"{app_url}/api/v1/shares/by-token/{token}").json()["session"]
    step = next(c for c in shared["custom_steps"] if c["source"] == "automation")
    assert set(step) >= {"content", "automation_run_id"}
    assert not {
        "prompt",
        "assistant",
        "definition",
        "input_config",
    } & set(step)
    assert '"prompt"' not in str(shared)
    assert "webhook_secret" not in str(shared)
    shot(viewer, "share-automation-result")
    viewer.close()


def test_an_unpublished_automation_is_said_on_the_step(page, app_url) -> None:
    author = api_client(app_url, "author@example.com")
    model_id = author.get("/models").json()["items"][0]["id"]
    auto = author.post(
        "/automations",
        json={
            "name": "Draft only",
            "steps": [
                {"step_order": 1, "input_source": "flow_input", "assistant": {"prompt": "x", "model_id": model_id}}
            ],
        },
    ).json()
    structure = {**TREE, "nodes": [dict(n) for n in TREE["nodes"]]}
    structure["nodes"][1]["automation_id"] = auto["id"]
    tree = author.post(
        "/trees", json={"name": "Linked to a draft", "tree_type": "troubleshooting", "tree_structure": structure}
    ).json()
    assert author.put(f"/trees/{tree['id']}", json={"status": "published"}).status_code == 200
    engineer = api_client(app_url, "engineer@example.com")
    sid = engineer.post("/sessions", json={"tree_id": tree["id"]}).json()["id"]
    engineer.post(f"/sessions/{sid}/advance", json={"node_id": "q_power", "answer": "Yes"})
    login(page, app_url, "engineer@example.com", PASSWORD)
    page.goto(f"{app_url}/sessions/{sid}")
    page.get_by_test_id("automation-unavailable").filter(has_text="not published").wait_for()
    assert page.get_by_test_id("run-node-automation").count() == 0
    assert page.get_by_test_id("done-continue").is_visible()  # the session carries on
