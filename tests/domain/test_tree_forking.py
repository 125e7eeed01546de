"""has_parent_updates and the fork reason rule."""

from datetime import UTC, datetime, timedelta

import pytest

from resolutionflow_app.domain.forking import clean_fork_reason, has_parent_updates

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_has_parent_updates():
    assert (
        has_parent_updates(
            parent_tree_id="p", parent_updated_at=T0, parent_current_updated_at=T0 + timedelta(seconds=1)
        )
        is True
    )
    assert has_parent_updates(parent_tree_id="p", parent_updated_at=T0, parent_current_updated_at=T0) is False
    assert (
        has_parent_updates(parent_tree_id=None, parent_updated_at=T0, parent_current_updated_at=T0 + timedelta(1))
        is False
    )
    assert has_parent_updates(parent_tree_id="p", parent_updated_at=None, parent_current_updated_at=T0) is False
    assert has_parent_updates(parent_tree_id="p", parent_updated_at=T0, parent_current_updated_at=None) is False
    assert (
        has_parent_updates(
            parent_tree_id="p",
            parent_updated_at=T0,
            parent_current_updated_at=T0 + timedelta(1),
            parent_is_active=False,
        )
        is False
    )


def test_fork_reason():
    assert clean_fork_reason("  Added Meraki steps ") == "Added Meraki steps"
    assert clean_fork_reason("   ") is None
    assert clean_fork_reason("x" * 255) == "x" * 255
    with pytest.raises(ValueError):
        clean_fork_reason("x" * 256)
