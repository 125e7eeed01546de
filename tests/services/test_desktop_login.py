"""The desktop's local owner and one-time sign-in codes: created once, one use, loopback and desktop mode only."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from resolutionflow_app.domain.errors import Conflict, NotFound, Unauthorized
from resolutionflow_app.services import auth
from resolutionflow_app.services import desktop_login as dl
from tests.factories import make_account


def test_first_start_creates_the_local_owner_once(session) -> None:
    user = dl.ensure_local_owner(session=session, name="Robin")
    assert (user.role, user.email, user.name) == ("owner", dl.LOCAL_EMAIL, "Robin")
    assert auth.get_account(session=session, actor=_row(session, user.id)).name == dl.LOCAL_ACCOUNT_NAME
    again = dl.ensure_local_owner(session=session, name="Someone else")
    assert again.id == user.id
    assert again.name == "Robin"


def test_a_database_with_other_accounts_gets_no_local_owner(session) -> None:
    make_account(session)
    with pytest.raises(Conflict):
        dl.ensure_local_owner(session=session, name="Robin")


def test_a_code_signs_in_once(session, tmp_path: Path) -> None:
    user = dl.ensure_local_owner(session=session, name="Robin")
    code_file = tmp_path / "login-code.json"
    code = dl.issue_login_code(user_id=str(user.id), code_file=code_file)
    stored = code_file.read_text()
    assert code not in stored
    assert json.loads(stored)["user_id"] == str(user.id)
    assert code_file.stat().st_mode & 0o077 == 0
    token = dl.redeem_login_code(session=session, code=code, code_file=str(code_file), client="127.0.0.1", ttl_hours=1)
    assert auth.user_for_token(session=session, token=token).id == user.id
    assert not code_file.exists()
    with pytest.raises(Unauthorized):
        dl.redeem_login_code(session=session, code=code, code_file=str(code_file), client="127.0.0.1", ttl_hours=1)


@pytest.mark.parametrize("wrong", ["", "not-the-code"])
def test_a_wrong_code_is_refused_and_burns_the_code(session, tmp_path: Path, wrong: str) -> None:
    user = dl.ensure_local_owner(session=session, name="Robin")
    code_file = tmp_path / "login-code.json"
    code = dl.issue_login_code(user_id=str(user.id), code_file=code_file)
    with pytest.raises(Unauthorized):
        dl.redeem_login_code(session=session, code=wrong, code_file=str(code_file), client="::1", ttl_hours=1)
    with pytest.raises(Unauthorized):  # guessing cannot go on: the real code is gone too
        dl.redeem_login_code(session=session, code=code, code_file=str(code_file), client="::1", ttl_hours=1)


def test_an_expired_code_is_refused(session, tmp_path: Path) -> None:
    user = dl.ensure_local_owner(session=session, name="Robin")
    code_file = tmp_path / "login-code.json"
    code = dl.issue_login_code(user_id=str(user.id), code_file=code_file, ttl_seconds=-1)
    assert json.loads(code_file.read_text())["expires"] < time.time()
    with pytest.raises(Unauthorized):
        dl.redeem_login_code(session=session, code=code, code_file=str(code_file), client="127.0.0.1", ttl_hours=1)


def test_web_mode_and_remote_callers_get_404(session, tmp_path: Path) -> None:
    user = dl.ensure_local_owner(session=session, name="Robin")
    code_file = tmp_path / "login-code.json"
    code = dl.issue_login_code(user_id=str(user.id), code_file=code_file)
    with pytest.raises(NotFound):  # RF_DESKTOP_LOGIN_FILE unset: the server is not the desktop app
        dl.redeem_login_code(session=session, code=code, code_file="", client="127.0.0.1", ttl_hours=1)
    for client in ("192.168.1.20", "10.0.0.1", "unknown", ""):
        with pytest.raises(NotFound):
            dl.redeem_login_code(session=session, code=code, code_file=str(code_file), client=client, ttl_hours=1)
    assert code_file.exists()  # refused callers never touch the code
    assert dl.redeem_login_code(session=session, code=code, code_file=str(code_file), client="127.0.0.1", ttl_hours=1)


def _row(session, user_id):
    from resolutionflow_app.db.models import User

    return session.get(User, user_id)
