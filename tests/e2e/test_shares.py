"""Browser: create a share link in the session's Share dialog, open it logged out, revoke it, see the not-found page."""

from __future__ import annotations

import uuid

import httpx

from tests.e2e.conftest import login, shot

PASSWORD = "a-long-password-1"
TREE = {
    "start_node_id": "q_power",
    "nodes": [
        {
            "id": "q_power",
            "type": "decision",
            "title": "Is the AP powered?",
            "options": [{"label": "Yes", "next": "a_reboot"}, {"label": "No", "next": "s_power"}],
        },
        {
            "id": "a_reboot",
            "type": "action",
            "title": "Reboot the AP",
            "description": "Hold reset 5 s",
            "next": "s_done",
        },
        {"id": "s_power", "type": "solution", "title": "Restore PoE power"},
        {"id": "s_done", "type": "solution", "title": "AP back online"},
    ],
}


def _setup(app_url: str) -> dict:
    """A fresh account with a completed session, built through the API."""
    api = httpx.Client(base_url=f"{app_url}/api/v1", timeout=30)
    email = f"sharer-{uuid.uuid4().hex[:8]}@example.com"
    reg = api.post(
        "/auth/register",
        json={"email": email, "password": PASSWORD, "name": "Sam Sharer", "account_name": "Share Test IT"},
    )
    assert reg.status_code == 201, reg.text
    h = {"Authorization": f"Bearer {reg.json()['access_token']}"}
    tree = api.post(
        "/trees", json={"name": "Wi-Fi AP offline", "tree_type": "troubleshooting", "tree_structure": TREE}, headers=h
    )
    assert tree.status_code == 201, tree.text
    tid = tree.json()["id"]
    assert api.put(f"/trees/{tid}", json={"status": "published"}, headers=h).status_code == 200
    s = api.post("/sessions", json={"tree_id": tid}, headers=h)
    assert s.status_code == 201, s.text
    sid = s.json()["id"]
    for body in (
        {"node_id": "q_power", "answer": "Yes", "notes": "LED is green"},
        {"node_id": "a_reboot", "notes": "Rebooted over SSH"},
    ):
        r = api.post(f"/sessions/{sid}/advance", json=body, headers=h)
        assert r.status_code == 200, r.text
    r = api.post(
        f"/sessions/{sid}/custom-steps",
        json={"type": "action", "content": "Check the Meraki dashboard", "notes": "AP was offline", "source": "ad-hoc"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    r = api.post(
        f"/sessions/{sid}/complete",
        json={"outcome": "resolved", "summary": "AP rebooted; clients reconnected."},
        headers=h,
    )
    assert r.status_code == 200, r.text
    return {"api": api, "headers": h, "email": email, "session_id": sid}


def test_share_link_lifecycle(page, browser, app_url) -> None:
    world = _setup(app_url)
    login(page, app_url, world["email"], PASSWORD)
    page.goto(f"{app_url}/sessions/{world['session_id']}")
    page.get_by_test_id("share-button").click()
    page.get_by_test_id("share-dialog").wait_for()
    page.get_by_test_id("share-name").fill("Customer escalation #1234")
    page.get_by_test_id("share-visibility-public").click()
    shot(page, "shares-dialog-form")
    page.get_by_test_id("share-create").click()
    url_box = page.get_by_test_id("share-url")
    url_box.wait_for()
    page.wait_for_function("() => document.querySelector('[data-testid=share-url]').value.includes('/share/')")
    link = url_box.input_value()
    shot(page, "shares-dialog-created")
    token = link.rsplit("/share/", 1)[1]
    assert len(token) >= 43

    # A fresh, logged-out browser context sees the read-only session.
    anon = browser.new_context(viewport={"width": 1000, "height": 900})
    viewer = anon.new_page()
    viewer.set_default_timeout(20000)
    resp = viewer.goto(f"{app_url}/share/{token}")
    assert resp.headers.get("referrer-policy") == "no-referrer"
    assert "noindex" in (resp.headers.get("x-robots-tag") or "")
    viewer.get_by_test_id("share-session").wait_for()
    assert viewer.get_by_test_id("share-tree-name").inner_text() == "Wi-Fi AP offline"
    text = viewer.get_by_test_id("share-session").inner_text()
    for expected in (
        "Sam Sharer",
        "Is the AP powered?",
        "LED is green",
        "Check the Meraki dashboard",
        "AP rebooted; clients reconnected.",
    ):
        assert expected in text
    assert viewer.get_by_test_id("user-menu").count() == 0
    assert viewer.get_by_test_id("nav-flows").count() == 0
    assert viewer.locator('meta[name="robots"]').first.get_attribute("content").startswith("noindex")
    shot(viewer, "shares-public-view")

    # The creator sees the view on the My shares page and revokes the link there.
    page.goto(f"{app_url}/shares")
    row = page.get_by_test_id("share-row").filter(has_text="Customer escalation #1234")
    row.wait_for()
    assert "active" in row.get_by_test_id("share-status").inner_text()
    row.get_by_test_id("share-views").click()
    page.get_by_test_id("share-view-log").wait_for()
    shot(page, "shares-view-log")
    page.keyboard.press("Escape")
    row.get_by_test_id("share-revoke").click()
    page.get_by_test_id("share-revoke-confirm").click()
    page.get_by_test_id("share-row").filter(has_text="Customer escalation #1234").get_by_test_id("share-status").filter(
        has_text="revoked"
    ).wait_for()
    shot(page, "shares-my-shares")

    # Revoked and unknown links show the same not-found page.
    viewer.goto(f"{app_url}/share/{token}")
    viewer.get_by_test_id("share-not-found").wait_for()
    revoked_text = viewer.get_by_test_id("share-not-found").inner_text()
    shot(viewer, "shares-revoked-not-found")
    viewer.goto(f"{app_url}/share/{uuid.uuid4().hex}{uuid.uuid4().hex}")
    viewer.get_by_test_id("share-not-found").wait_for()
    assert viewer.get_by_test_id("share-not-found").inner_text() == revoked_text
    anon.close()


def test_account_only_link_sends_anonymous_viewer_to_login(browser, app_url) -> None:
    world = _setup(app_url)
    r = world["api"].post(
        f"/sessions/{world['session_id']}/shares", json={"visibility": "account"}, headers=world["headers"]
    )
    assert r.status_code == 201, r.text
    token = r.json()["share_token"]
    ctx = browser.new_context(viewport={"width": 1000, "height": 800})
    pg = ctx.new_page()
    pg.set_default_timeout(20000)
    pg.goto(f"{app_url}/share/{token}")
    pg.wait_for_url("**/login?next=**")
    assert "%2Fshare%2F" in pg.url or "/share/" in pg.url
    login_fields = pg.get_by_test_id("login-email")
    login_fields.fill(world["email"])
    pg.get_by_test_id("login-password").fill(PASSWORD)
    pg.get_by_test_id("login-submit").click()
    pg.get_by_test_id("share-session").wait_for()
    shot(pg, "shares-account-view-after-login")
    ctx.close()


def test_past_expiry_rejected_and_unknown_link_not_found(browser, app_url) -> None:
    world = _setup(app_url)
    r = world["api"].post(
        f"/sessions/{world['session_id']}/shares",
        json={"visibility": "public", "expires_at": "2000-01-01T00:00:00Z"},
        headers=world["headers"],
    )
    assert r.status_code == 422
    ctx = browser.new_context()
    pg = ctx.new_page()
    pg.goto(f"{app_url}/share/not-a-real-token-{uuid.uuid4().hex}")
    pg.get_by_test_id("share-not-found").wait_for()
    shot(pg, "shares-unknown-not-found")
    ctx.close()


def test_owner_pauses_public_links_from_the_account_page(page, browser, app_url) -> None:
    """Public sharing off + "Pause existing public links": the link shows not-found at once and opens again when turned
    on."""
    world = _setup(app_url)
    created = world["api"].post(
        f"/sessions/{world['session_id']}/shares",
        json={"visibility": "public", "share_name": "Paused link"},
        headers=world["headers"],
    )
    assert created.status_code == 201, created.text
    token = created.json()["share_token"]
    login(page, app_url, world["email"], PASSWORD)
    page.goto(f"{app_url}/account")
    pause = page.get_by_test_id("pause-public-links")
    pause.wait_for()
    pause.click()
    page.get_by_test_id("pause-public-links-hint").filter(has_text="answer").wait_for()
    page.get_by_test_id("allow-public-shares").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=allow-public-shares]').getAttribute('aria-checked') === 'false'"
    )
    shot(page, "account-public-links-paused")

    anon = browser.new_context(viewport={"width": 1000, "height": 900})
    viewer = anon.new_page()
    viewer.set_default_timeout(20000)
    viewer.goto(f"{app_url}/share/{token}")
    viewer.get_by_test_id("share-not-found").wait_for()
    page.goto(f"{app_url}/shares")
    page.get_by_test_id("share-row").filter(has_text="Paused link").get_by_test_id("share-status").filter(
        has_text="paused"
    ).wait_for()

    page.goto(f"{app_url}/account")
    page.get_by_test_id("allow-public-shares").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=allow-public-shares]').getAttribute('aria-checked') === 'true'"
    )
    viewer.goto(f"{app_url}/share/{token}")
    viewer.get_by_test_id("share-session").wait_for()
    anon.close()
