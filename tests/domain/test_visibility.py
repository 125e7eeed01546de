"""Visibility and edit rules for flows and library steps."""

from __future__ import annotations

from resolutionflow_app.domain.visibility import (
    Viewer,
    can_edit_tree,
    can_see_step,
    can_see_tree,
)

ME = Viewer(user_id="u1", account_id="a1", role="author")
ENGINEER = Viewer(user_id="u2", account_id="a1", role="engineer")


def test_trees_visible_to_own_account_or_public_published() -> None:
    assert can_see_tree(ME, account_id="a1", is_public=False, status="draft")
    assert not can_see_tree(ME, account_id="a2", is_public=False, status="published")
    assert not can_see_tree(ME, account_id="a2", is_public=True, status="draft")
    assert can_see_tree(ME, account_id="a2", is_public=True, status="published")


def test_only_owners_and_authors_of_the_account_edit() -> None:
    assert can_edit_tree(ME, account_id="a1", author_id="someone-else")
    assert not can_edit_tree(ENGINEER, account_id="a1", author_id="u2")
    assert not can_edit_tree(ME, account_id="a2", author_id="u1")


def test_step_visibility_levels() -> None:
    assert can_see_step(ME, visibility="public", account_id="a9", created_by="x")
    assert can_see_step(ME, visibility="team", account_id="a1", created_by="x")
    assert not can_see_step(ME, visibility="team", account_id="a2", created_by="u1")
    assert can_see_step(ME, visibility="private", account_id="a1", created_by="u1")
    assert not can_see_step(ENGINEER, visibility="private", account_id="a1", created_by="u1")
