"""Browser: the Sync page — a refused sign-in says why, a tampered bundle is refused, a signed one is imported."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import httpx

from resolutionflow_app.domain import sync_rules
from tests.e2e.conftest import login, menu_item, shot

PASSWORD = "a-long-password-1"
TREE = {
    "start_node_id": "q",
    "nodes": [
        {
            "id": "q",
            "type": "decision",
            "title": "Is the AP powered?",
            "options": [{"label": "Yes", "next": "s1"}, {"label": "No", "next": "s2"}],
        },
        {"id": "s1", "type": "solution", "title": "AP back online"},
        {"id": "s2", "type": "solution", "title": "Restore PoE power"},
    ],
}


def _world(app_url: str) -> dict:
    api = httpx.Client(base_url=f"{app_url}/api/v1", timeout=30)
    email = f"sync-{uuid.uuid4().hex[:8]}@example.com"
    reg = api.post(
        "/auth/register", json={"email": email, "password": PASSWORD, "name": "Dana Desk", "account_name": "Sync IT"}
    )
    assert reg.status_code == 201, reg.text
    api.headers["Authorization"] = f"Bearer {reg.json()['access_token']}"
    tree = api.post(
        "/trees", json={"name": "AP offline", "tree_type": "troubleshooting", "tree_structure": TREE}
    ).json()
    tree = api.put(f"/trees/{tree['id']}", json={"status": "published"}).json()
    key = api.get("/sync/bundle-key").json()["bundle_key"]
    now = datetime.now(UTC).isoformat()
    item = {
        "id": str(uuid.uuid4()),
        "flow_id": tree["id"],
        "flow_version": tree["version"],
        "tree_name": "AP offline",
        "tree_type": "troubleshooting",
        "tree_snapshot": TREE,
        "status": "completed",
        "current_node_id": None,
        "history": [{"node_id": "q", "title": "Is the AP powered?", "answer": "Yes", "notes": "LED green", "at": now}],
        "custom_steps": [
            {
                "type": "action",
                "content": "Reseat the uplink",
                "source": "ad-hoc",
                "inserted_at": now,
                "inserted_after_node_id": "q",
            }
        ],
        "outcome": "resolved",
        "summary": "Done offline",
        "started_at": now,
        "completed_at": now,
    }
    good = sync_rules.sign_bundle("push", {"sessions": [item]}, key=key, created_at=now)
    bad = json.loads(good)
    bad["payload"]["sessions"][0]["summary"] = "changed in transit"
    return {"api": api, "email": email, "session_id": item["id"], "good": good, "bad": json.dumps(bad).encode()}


def test_sync_page(page, app_url, tmp_path) -> None:
    world = _world(app_url)
    login(page, app_url, world["email"], PASSWORD)
    menu_item(page, "user-menu", "menu-sync").click()
    page.get_by_test_id("sync-server-url").wait_for()
    page.get_by_test_id("sync-no-conflicts").wait_for()
    shot(page, "sync-page-1280")

    # A server that cannot be reached (or is refused by the outbound guard) is said in a sentence.
    page.get_by_test_id("sync-server-url").fill("http://127.0.0.1:9")
    page.get_by_test_id("sync-email").fill(world["email"])
    page.get_by_test_id("sync-password").fill(PASSWORD)
    page.get_by_test_id("sync-sign-in").click()
    page.get_by_text("RF_ALLOWED_INTERNAL_CIDRS").or_(page.get_by_text("Could not reach the server")).first.wait_for()

    # This installation's bundle key, shown on demand.
    page.get_by_test_id("sync-show-key").click()
    assert len(page.get_by_test_id("sync-own-key").inner_text()) == 43

    drop = page.locator('[data-testid="sync-bundle-drop"] input[type=file]')
    bad, good = tmp_path / "bad.rfsync.json", tmp_path / "good.rfsync.json"
    bad.write_bytes(world["bad"])
    good.write_bytes(world["good"])
    drop.set_input_files(str(bad))
    page.get_by_test_id("sync-import").click()
    page.get_by_text("signature does not match").first.wait_for()
    assert world["api"].get(f"/sessions/{world['session_id']}").status_code == 404

    drop.set_input_files(str(good))
    page.get_by_test_id("sync-import").click()
    page.get_by_test_id("sync-import-result").get_by_text("1 stored").wait_for()
    stored = world["api"].get(f"/sessions/{world['session_id']}").json()
    assert (stored["summary"], stored["custom_steps"][0]["content"]) == ("Done offline", "Reseat the uplink")
    shot(page, "sync-page-imported-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_test_id("sync-import").scroll_into_view_if_needed()
    shot(page, "sync-page-390")


def test_sync_page_shows_a_flow_edited_on_both_sides(page, app_url, tmp_path) -> None:
    """No network between the two: pull bundles from a second backend; a flow edited on both sides shows as a
    conflict."""
    from resolutionflow_app.cli import migrate
    from tests.live_api import LiveApi

    url = f"sqlite:///{tmp_path / 'team-server.db'}"
    migrate("head", url=url)
    team = LiveApi(url, RF_SECRET_KEY="team-server-secret-key-0123456789-abcdefghijkl").start()
    try:
        remote = _world(team.url.removesuffix("/api/v1"))["api"]
        desktop = _world(app_url)
        flow = remote.get("/trees").json()["items"][0]
        bundle = tmp_path / "flows.rfsync.json"
        bundle.write_bytes(remote.get("/sync/bundle").content)

        login(page, app_url, desktop["email"], PASSWORD)
        page.goto(f"{app_url}/account/sync")
        page.get_by_test_id("sync-bundle-key-input").fill(remote.get("/sync/bundle-key").json()["bundle_key"])
        page.get_by_role("button", name="Save key").click()
        page.get_by_test_id("sync-has-key").wait_for()
        drop = page.locator('[data-testid="sync-bundle-drop"] input[type=file]')
        drop.set_input_files(str(bundle))
        page.get_by_test_id("sync-import").click()
        page.get_by_test_id("sync-import-result").get_by_text("Pulled 1 flow(s)").wait_for()
        assert page.get_by_test_id("sync-flows").inner_text() == "1"

        # Edited on the desktop and on the server; the next pull bundle must not overwrite the desktop's copy.
        mine = {**TREE, "nodes": [*TREE["nodes"][:2], {**TREE["nodes"][2], "title": "Replace the PoE injector"}]}
        assert desktop["api"].put(f"/trees/{flow['id']}", json={"tree_structure": mine}).status_code == 200
        theirs = {
            **TREE,
            "nodes": [TREE["nodes"][0], {**TREE["nodes"][1], "title": "AP online again"}, TREE["nodes"][2]],
        }
        assert remote.put(f"/trees/{flow['id']}", json={"tree_structure": theirs}).status_code == 200
        second = tmp_path / "flows-2.rfsync.json"
        second.write_bytes(remote.get("/sync/bundle").content)
        drop.set_input_files(str(second))
        page.get_by_test_id("sync-import").click()
        page.get_by_test_id("sync-import-result").get_by_text("1 conflict(s)").wait_for()
        conflict = page.get_by_test_id("sync-conflict")
        conflict.get_by_text("edited here and on the server").wait_for()
        assert "changed" in conflict.inner_text()
        assert (
            desktop["api"].get(f"/trees/{flow['id']}").json()["tree_structure"]["nodes"][2]["title"]
            == "Replace the PoE injector"
        )
        shot(page, "sync-page-conflict-1280")
        page.set_viewport_size({"width": 390, "height": 844})
        conflict.scroll_into_view_if_needed()
        shot(page, "sync-page-conflict-390")
        conflict.get_by_role("button", name="Keep the desktop's copy").click()
        page.get_by_test_id("sync-no-conflicts").wait_for()
    finally:
        team.stop()
