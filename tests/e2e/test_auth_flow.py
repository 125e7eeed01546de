"""Browser: redirect to login, sign up, log out, log in, see the home page with demo data."""

from __future__ import annotations

import uuid

from tests.e2e.conftest import login, shot


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
    assert "Wi-Fi AP offline" in text and "User can't sign in to VPN" in text
    shot(page, "auth-home-demo")
