"""The desktop sign-in page: redeems the launcher's one-time code in desktop mode, refuses it on a web server."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from resolutionflow_app import entry, routes
from resolutionflow_app.pages.desktop_login import DesktopLoginState
from resolutionflow_app.services import auth
from resolutionflow_app.services import desktop_login as dl
from resolutionflow_app.settings import get_settings
from tests.state.helpers import make_state


@pytest.fixture
def desktop_mode(monkeypatch, tmp_path: Path):
    """Settings as `resolutionflow desktop` gives its server (or web mode when called with None)."""

    def configure(code_file: Path | None) -> None:
        if code_file is None:
            monkeypatch.delenv("RF_DESKTOP_LOGIN_FILE", raising=False)
        else:
            monkeypatch.setenv("RF_DESKTOP_LOGIN_FILE", str(code_file))
        get_settings.cache_clear()
        entry.reset_limits()

    yield configure
    monkeypatch.undo()
    get_settings.cache_clear()


def _code(engine, code_file: Path) -> tuple[str, str]:
    with Session(engine) as s:
        user = dl.ensure_local_owner(session=s, name="Robin")
        s.commit()
    return str(user.id), dl.issue_login_code(user_id=str(user.id), code_file=code_file)


def test_the_window_signs_in_with_the_code_and_opens_the_page(engine, desktop_mode, tmp_path: Path) -> None:
    code_file = tmp_path / "login-code.json"
    desktop_mode(code_file)
    user_id, code = _code(engine, code_file)
    state = make_state(DesktopLoginState, ip="127.0.0.1", path=routes.desktop_login_url(code, routes.LIBRARY))
    state.redeem()
    assert state.error == ""
    assert state.token
    with Session(engine) as s:
        assert str(auth.user_for_token(session=s, token=state.token).id) == user_id
    again = make_state(DesktopLoginState, ip="127.0.0.1", path=routes.desktop_login_url(code))
    again.redeem()
    assert again.token == ""
    assert again.error == dl.INVALID_CODE


@pytest.mark.parametrize(("mode", "ip"), [("web", "127.0.0.1"), ("desktop", "203.0.113.9")])
def test_web_servers_and_remote_browsers_are_refused(engine, desktop_mode, tmp_path: Path, mode: str, ip: str) -> None:
    code_file = tmp_path / "login-code.json"
    desktop_mode(code_file if mode == "desktop" else None)
    _, code = _code(engine, code_file)
    state = make_state(DesktopLoginState, ip=ip, path=routes.desktop_login_url(code))
    state.redeem()
    assert state.token == ""
    assert state.error == dl.NOT_DESKTOP
    assert code_file.exists()
