"""AuthState.try_call + refused: every refused service call reaches the user (a toast, or the login page)."""

from __future__ import annotations

import pytest

from resolutionflow_app.domain.errors import NotFound, ServiceError
from resolutionflow_app.pages import flows as flows_page
from resolutionflow_app.pages import library as library_page
from resolutionflow_app.pages.flows import FlowsState
from resolutionflow_app.pages.library import LibraryState
from resolutionflow_app.state.auth import AuthState
from tests.factories import register
from tests.state.helpers import make_state


def _missing(*, session) -> None:
    raise NotFound("That flow does not exist.")


def _events(result) -> str:
    return repr(result)


def test_a_refused_call_comes_back_as_a_sentence_and_shows_a_toast(engine) -> None:
    state = make_state(AuthState, path="/flows/x")
    got = state.try_call(_missing, login=False, actor_arg="")
    assert not got.ok
    assert got.status == 404
    assert got.error == "That flow does not exist."
    shown = state.refused(got)
    assert isinstance(shown, list)
    assert len(shown) == 1
    assert "That flow does not exist." in _events(shown)


def test_a_logged_out_caller_is_sent_to_the_login_page_and_an_expired_login_is_told_why(engine) -> None:
    anonymous = make_state(AuthState, path="/flows")
    got = anonymous.try_call(_missing)
    assert got.status == 401
    assert "login" in _events(anonymous.refused(got))
    assert "toast" not in _events(anonymous.refused(got)).lower()
    expired = make_state(AuthState, path="/flows", token="no-longer-valid")
    got = expired.try_call(_missing)
    shown = _events(expired.refused(got))
    assert got.status == 401
    assert "login" in shown
    assert got.error in shown


@pytest.mark.parametrize(
    ("cls", "module", "service", "handler"),
    [
        (LibraryState, library_page, "_filter_options", "load"),
        (FlowsState, flows_page.auth_service, "list_members", "load_authors"),
    ],
)
def test_page_loads_that_used_to_fail_silently_now_say_so(api, monkeypatch, cls, module, service, handler) -> None:
    owner = register(api)

    def broken(**_kwargs):
        raise ServiceError("The database is not answering.")

    monkeypatch.setattr(module, service, broken)
    state = make_state(cls, path="/", token=owner["access_token"])
    shown = getattr(state, handler)()
    assert shown
    assert "The database is not answering." in _events(shown)


def test_service_helpers_are_not_browser_callable_event_handlers() -> None:
    """Reflex makes every public state method an event handler the browser can invoke; the service helpers
    live in a plain base class so they are not (only the real handlers are)."""
    from resolutionflow_app.state.auth import AuthState

    for name in ("call", "try_call", "refused", "actor", "client_ip"):
        assert name not in AuthState.event_handlers, name
    assert {"check_login", "logout"} <= set(AuthState.event_handlers)
