"""Browser: pages run under the Content-Security-Policy without violations; headers as issue 9 asks."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import login, shot


def test_pages_work_under_the_csp_without_violations(page, app_url) -> None:
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text or "Refused to" in m.text else None,
    )
    login(page, app_url, "author@example.com", "demo-password-123")
    page.get_by_test_id("recent-flows").wait_for()
    for path in ("/flows", "/library", "/automations"):
        page.goto(f"{app_url}{path}")
        page.wait_for_load_state("networkidle")
    shot(page, "csp-automations")
    assert problems == []
    headers = httpx.get(f"{app_url}/login", timeout=10).headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    api = httpx.post(
        f"{app_url}/api/v1/auth/login",
        json={"email": "author@example.com", "password": "demo-password-123"},
        timeout=10,
    )
    assert api.status_code == 200
    assert api.headers["cache-control"] == "no-store"
    evil = httpx.get(f"{app_url}/api/v1/health", headers={"Origin": "https://evil.example"}, timeout=10)
    assert "access-control-allow-origin" not in evil.headers
