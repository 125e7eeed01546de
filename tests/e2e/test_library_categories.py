"""Browser: a fork's unchanged steps show once ("used in 2 flows"); owners manage categories and file steps."""

from __future__ import annotations

import uuid

import httpx

from tests.e2e.conftest import login, shot

PASSWORD = "demo-password-123"


def test_fork_without_duplicates_and_categories(page, app_url) -> None:
    word = f"zeb{uuid.uuid4().hex[:6]}"
    token = httpx.post(
        f"{app_url}/api/v1/auth/login", json={"email": "author@example.com", "password": PASSWORD}
    ).json()["access_token"]
    api = httpx.Client(base_url=f"{app_url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    tree = {
        "start_node_id": "q",
        "nodes": [
            {
                "id": "q",
                "type": "decision",
                "title": f"Is the {word} lit?",
                "options": [{"label": "Yes", "next": "a"}, {"label": "No", "next": "s"}],
            },
            {"id": "a", "type": "action", "title": f"Restart the {word} service", "next": "s"},
            {"id": "s", "type": "solution", "title": f"The {word} works"},
        ],
    }
    parent = api.post(
        "/trees", json={"name": f"Parent {word}", "tree_type": "troubleshooting", "tree_structure": tree}
    ).json()
    assert api.put(f"/trees/{parent['id']}", json={"status": "published"}).status_code == 200
    fork = api.post(f"/trees/{parent['id']}/fork", json={"fork_reason": "our site"}).json()
    assert api.put(f"/trees/{fork['id']}", json={"status": "published"}).status_code == 200
    assert api.get("/steps", params={"q": f"Restart the {word}"}).json()["total"] == 2  # the API keeps both entries

    login(page, app_url, "owner@example.com", PASSWORD)
    page.goto(f"{app_url}/library")
    page.get_by_test_id("library-search").fill(f"restart {word}")
    item = page.get_by_test_id("library-item").filter(has_text=f"Restart the {word} service")
    item.first.wait_for()
    assert item.count() == 1
    assert "used in 2 flows" in item.inner_text()

    # Categories: add two, rename one, delete the other.
    page.get_by_test_id("manage-categories").click()
    page.get_by_test_id("category-new-name").fill(f"Net {word}")
    page.get_by_test_id("category-add").click()
    page.get_by_test_id("category-new-name").fill(f"Printers {word}")
    page.get_by_test_id("category-add").click()
    rows = page.get_by_test_id("category-row")
    rows.filter(has=page.locator(f'input[value="Printers {word}"]')).wait_for()
    net = page.locator(f'input[value="Net {word}"]')
    net.fill(f"Network & Wi-Fi {word}")
    net.blur()
    page.get_by_text("Category renamed.").wait_for()
    rows.filter(has=page.locator(f'input[value="Printers {word}"]')).get_by_test_id("category-delete").click()
    page.get_by_test_id("category-delete-confirm").click()
    page.get_by_text("Category deleted.").first.wait_for()
    shot(page, "library-categories")
    page.keyboard.press("Escape")

    # File the synced step and filter by the category.
    item.click()
    page.get_by_test_id("step-category").click()
    page.get_by_role("option", name=f"Network & Wi-Fi {word}").click()
    page.get_by_text(f"Filed under “Network & Wi-Fi {word}”.").wait_for()
    assert item.get_by_text(f"Network & Wi-Fi {word}").count() == 1
    cats = {c["name"]: c["id"] for c in api.get("/step-categories").json()["items"]}
    assert f"Printers {word}" not in cats
    listed = api.get("/steps", params={"category_id": cats[f"Network & Wi-Fi {word}"]}).json()["items"]
    assert [s["title"] for s in listed] == [f"Restart the {word} service"]
    shot(page, "library-filed-step")
