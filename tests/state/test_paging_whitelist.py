"""PagedListMixin.set_filter sets only whitelisted filter vars, whatever name the browser sends."""

from __future__ import annotations

import pytest

from resolutionflow_app.pages.library import LibraryState
from resolutionflow_app.pages.sessions import SessionsState
from resolutionflow_app.state.paging import MAX_FILTER_LENGTH
from tests.state.helpers import make_state


@pytest.mark.parametrize(
    "name",
    [
        "token",
        "user_id",
        "user_role",
        "account_id",
        "offset",
        "items",
        "total",
        "starting",
        "__class__",
        "router",
        "PAGE_SIZE",
        "FILTERS",
    ],
)
def test_set_filter_refuses_names_outside_the_whitelist(name: str) -> None:
    state = make_state(SessionsState, path="/sessions", token="my-token")
    state.user_role = "engineer"
    before = {k: getattr(state, k) for k in ("token", "user_role", "offset", "total")}
    result = state.set_filter(name, "owner")
    assert result is not None
    assert "cannot be filtered" in str(result)
    assert {k: getattr(state, k) for k in before} == before
    assert SessionsState.PAGE_SIZE == 25


def test_set_filter_sets_a_whitelisted_filter_resets_the_offset_and_caps_the_length() -> None:
    state = make_state(SessionsState, path="/sessions")
    state.offset = 50
    assert state.set_filter("q", "x" * 5000) is SessionsState.fetch
    assert state.q == "x" * MAX_FILTER_LENGTH
    assert state.offset == 0


def test_a_state_without_an_explicit_whitelist_gets_only_its_own_str_vars() -> None:
    names = LibraryState.filter_names()
    assert {"q", "sort", "step_type"} <= names
    assert not names & {"token", "user_id", "user_role", "account_id", "offset"}


def test_page_by_moves_one_page_at_most() -> None:
    state = make_state(SessionsState, path="/sessions")
    state.page_by(1000)
    assert state.offset == SessionsState.PAGE_SIZE
    state.page_by(-7)
    assert state.offset == 0
    assert "cannot be paged" in str(state.page_by("abc"))
