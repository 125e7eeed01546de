"""Browser: login rate limit shared with the API, redirect to login, sign up, log out, log in, demo home."""

from __future__ import annotations

import re
import time
import uuid

import httpx

from tests.e2e.conftest import login, shot

AUTH_BUDGET = 30  # RF_AUTH_RATE_LIMIT default: 30/minute per client IP
# The app trusts one proxy (RF_TRUSTED_PROXY_HOPS=1, tests/e2e/conftest.py): this client address is the test's own.
CLIENT = {"X-Forwarded-For": "198.51.100.7"}


def test_31st_wrong_password_is_rate_limited_on_the_page_and_the_api(browser, app_url) -> None:
    """30 wrong passwords are refused as such, the 31st shows the wait, and the API answers 429 for the same
    client at that point (one budget). The browser comes through "the load balancer" as its own client address,
    so the other tests' logins (from 127.0.0.1) neither spend nor feel this budget."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, extra_http_headers=CLIENT)
    page = context.new_page()
    page.set_default_timeout(20000)
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    page.goto(f"{app_url}/login")
    deadline = time.monotonic() + 30
    while not any("login_state" in f for f in frames) and time.monotonic() < deadline:
        page.wait_for_timeout(50)  # the page's initial state has arrived: later frames are answers
    page.get_by_test_id("login-email").fill("engineer@example.com")
    errors = []
    try:
        for attempt in range(1, AUTH_BUDGET + 2):
            page.get_by_test_id("login-password").fill(f"wrong-password-{attempt}")
            seen = sum("login_state" in f for f in frames)
            page.get_by_test_id("login-submit").click()
            # Each answer is a state update over the websocket: wait for this attempt's one.
            deadline = time.monotonic() + 20
            while sum("login_state" in f for f in frames) <= seen and time.monotonic() < deadline:
                page.wait_for_timeout(25)
            if attempt > AUTH_BUDGET:
                page.get_by_text(re.compile("Too many attempts")).wait_for(timeout=5000)
            page.wait_for_timeout(50)  # let React render the update
            errors.append(page.get_by_test_id("form-error").inner_text())
        assert all("Invalid email or password" in e for e in errors[:AUTH_BUDGET]), errors
        limited = re.fullmatch(r"Too many attempts, try again in (\d+) s\.", errors[AUTH_BUDGET].strip())
        assert limited, errors[AUTH_BUDGET]
        shot(page, "auth-login-rate-limited-1280")
        page.set_viewport_size({"width": 390, "height": 800})
        shot(page, "auth-login-rate-limited-390")
        resp = httpx.post(
            f"{app_url}/api/v1/auth/login",
            json={"email": "engineer@example.com", "password": "demo-password-123"},
            headers=CLIENT,
            timeout=20,
        )
        assert resp.status_code == 429, resp.text
        assert resp.json()["detail"].startswith("Too many attempts, try again in ")
        assert abs(int(resp.headers["Retry-After"]) - int(limited.group(1))) <= 2
        # The right password does not get through either while the budget is spent.
        page.get_by_test_id("login-password").fill("demo-password-123")
        page.get_by_test_id("login-submit").click()
        page.get_by_text(re.compile("Too many attempts, try again in")).wait_for()
        assert "/login" in page.url
        # Every other client still logs in: the spent budget is this address's alone.
        other = httpx.post(
            f"{app_url}/api/v1/auth/login",
            json={"email": "engineer@example.com", "password": "demo-password-123"},
            timeout=20,
        )
        assert other.status_code == 200, other.text
    finally:
        context.close()


def test_private_pages_redirect_to_login(page, app_url) -> None:
    page.goto(f"{app_url}/flows")
    page.wait_for_url("**/login**")
    assert "next=" in page.url
    shot(page, "auth-redirect-login")


def test_signup_logout_login_home(page, app_url) -> None:
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    page.goto(f"{app_url}/signup")
    page.get_by_test_id("signup-account").fill("Contoso Support")
    page.get_by_test_id("signup-name").fill("Casey Contoso")
    page.get_by_test_id("signup-email").fill(email)
    page.get_by_test_id("signup-password").fill("a-long-password-1")
    page.get_by_test_id("signup-submit").click()
    page.get_by_text("Welcome back, Casey Contoso").wait_for()
    shot(page, "auth-home-after-signup")
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/login")
    page.goto(f"{app_url}/")
    page.wait_for_url("**/login**")
    page.get_by_test_id("login-email").fill(email)
    page.get_by_test_id("login-password").fill("wrong-password-x")
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("form-error").wait_for()
    assert "Invalid email or password" in page.get_by_test_id("form-error").inner_text()
    login(page, app_url, email, "a-long-password-1")
    page.get_by_text("Welcome back, Casey Contoso").wait_for()


def test_demo_engineer_sees_demo_flows(page, app_url) -> None:
    login(page, app_url, "engineer@example.com", "demo-password-123")
    page.get_by_test_id("recent-flows").wait_for()
    text = page.get_by_test_id("recent-flows").inner_text()
    assert "Wi-Fi AP offline" in text
    assert "User can't sign in to VPN" in text
    shot(page, "auth-home-demo")
