"""The browser path and the API draw from one rate-limit budget per client (login, password, share links)."""

from __future__ import annotations

import re
import threading

import pytest

from resolutionflow_app import entry
from resolutionflow_app.pages.account import AccountState
from resolutionflow_app.pages.login import LoginState
from resolutionflow_app.pages.share_view import ShareViewState
from resolutionflow_app.settings import get_settings
from tests.factories import PASSWORD, register
from tests.state.helpers import make_state

B = "/api/v1"
WAIT = re.compile(r"try again in (\d+) s\.")


@pytest.fixture
def limits(monkeypatch):
    """Set rate limits for one test (fresh budgets before and after)."""

    def set_limits(**env: str) -> None:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        entry.reset_limits()

    yield set_limits
    monkeypatch.undo()
    get_settings.cache_clear()
    entry.reset_limits()


def _page_login(password: str, email: str = "nobody@example.com", ip: str = "testclient") -> LoginState:
    state = make_state(LoginState, ip=ip, path="/login")
    state.login({"email": email, "password": password})
    return state


def test_login_page_and_api_login_share_the_auth_budget(api, limits) -> None:
    limits(RF_AUTH_RATE_LIMIT="4/minute")
    for i in range(2):
        error = _page_login(f"wrong-password-{i}").error
        assert error
        assert "Too many" not in error
    for _ in range(2):
        assert (
            api.post(f"{B}/auth/login", json={"email": "nobody@example.com", "password": "wrong-password"}).status_code
            == 401
        )
    # Budget of 4 spent half on the page, half on the API: both paths are refused now.
    page = _page_login("wrong-password-5")
    wait = WAIT.search(page.error)
    assert page.error.startswith("Too many attempts, try again in "), page.error
    assert wait, page.error
    assert page.token == ""
    resp = api.post(f"{B}/auth/login", json={"email": "nobody@example.com", "password": "wrong-password"})
    assert resp.status_code == 429
    assert resp.json()["detail"].startswith("Too many attempts, try again in ")
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    assert abs(int(resp.headers["Retry-After"]) - int(wait.group(1))) <= 1
    # Another client has its own budget.
    assert "Too many" not in _page_login("wrong-password", ip="10.9.8.7").error


def test_a_successful_page_login_keeps_the_token_and_check_login_knows_the_user(api, limits) -> None:
    limits(RF_AUTH_RATE_LIMIT="30/minute")
    owner = register(api, email="owner@example.com", account_name="Acme <b>IT</b>")
    state = _page_login(PASSWORD, email="OWNER@example.com")
    assert state.error == ""
    assert state.token
    state.check_login()
    assert state.user_email == "owner@example.com"
    assert state.user_role == "owner"
    assert state.account_name == "Acme <b>IT</b>"
    assert state.user_id == owner["user"]["id"]
    state.logout()
    assert state.token == ""
    assert state.user_id == ""
    anonymous = make_state(LoginState, path="/flows")
    anonymous.check_login()
    assert anonymous.user_id == ""


def test_password_change_on_the_account_page_charges_the_auth_budget(api, limits) -> None:
    limits(RF_AUTH_RATE_LIMIT="30/minute")
    owner = register(api, email="pw@example.com")
    limits(RF_AUTH_RATE_LIMIT="2/minute")
    state = make_state(AccountState, path="/account", token=owner["access_token"])
    form = {
        "current_password": "not-my-password",
        "new_password": "another-password-123",
        "confirm_password": "another-password-123",
    }
    state.change_password(form)
    assert state.password_error
    assert "Too many" not in state.password_error
    resp = api.post(
        f"{B}/auth/password",
        headers={"Authorization": f"Bearer {owner['access_token']}"},
        json={"current_password": "not-my-password", "new_password": "another-password-123"},
    )
    assert resp.status_code != 429
    state.change_password(form)
    assert WAIT.search(state.password_error), state.password_error
    resp = api.post(
        f"{B}/auth/password",
        headers={"Authorization": f"Bearer {owner['access_token']}"},
        json={"current_password": PASSWORD, "new_password": "another-password-123"},
    )
    assert resp.status_code == 429
    assert resp.headers["Retry-After"].isdigit()


def _page_share(token: str) -> ShareViewState:
    state = make_state(ShareViewState, path=f"/share/{token}")
    state.load()
    return state


def test_share_page_and_api_lookups_share_one_budget(api, limits) -> None:
    limits(RF_SHARE_LOOKUP_RATE_LIMIT="4/minute")
    for i in range(2):
        assert _page_share(f"unknown-{i}").view_state == "not_found"
        assert api.get(f"{B}/shares/by-token/unknown-{i}").status_code == 404
    page = _page_share("unknown-page")
    assert page.view_state == "limited", page.problem
    assert WAIT.search(page.problem), page.problem
    resp = api.get(f"{B}/shares/by-token/unknown-api")
    assert resp.status_code == 429
    assert resp.headers["Retry-After"].isdigit()
    assert resp.json()["detail"].startswith("Too many share-link lookups, try again in ")


def test_api_lookups_alone_exhaust_the_share_page(api, limits) -> None:
    limits(RF_SHARE_LOOKUP_RATE_LIMIT="3/minute")
    for i in range(3):
        assert api.get(f"{B}/shares/by-token/x{i}").status_code == 404
    assert _page_share("x").view_state == "limited"


def test_racing_page_and_api_lookups_never_exceed_the_budget(api, limits) -> None:
    """Threads hit the budget from both paths at once: exactly `limit` lookups get through."""
    limits(RF_SHARE_LOOKUP_RATE_LIMIT="10/minute")
    results: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    # States are built here: Reflex registers them in a context of the main thread.
    pages = {i: make_state(ShareViewState, path=f"/share/race-page-{i}") for i in range(1, 16, 2)}

    def by_page(i: int) -> None:
        state = pages[i]
        start.wait()
        state.load()
        with lock:
            results.append("limited" if state.view_state == "limited" else "passed")

    def by_api(i: int) -> None:
        start.wait()
        code = api.get(f"{B}/shares/by-token/race-api-{i}").status_code
        with lock:
            results.append("limited" if code == 429 else "passed")

    threads = [threading.Thread(target=by_page if i % 2 else by_api, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 16
    assert results.count("passed") == 10
    assert results.count("limited") == 6
