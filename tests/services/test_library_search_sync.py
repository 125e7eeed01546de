"""The search index follows steps written by the flow sync (upserts) and survives a rebuild."""

from __future__ import annotations

import copy

from resolutionflow_app.services import library_search as search
from resolutionflow_app.services.library_sync import deactivate_synced, sync_tree
from tests.factories import make_account, make_user
from tests.library_helpers import TS_STRUCTURE, check_search_index, make_tree


def test_synced_steps_are_searchable_and_resync_updates_index(session) -> None:
    author = make_user(session, make_account(session), role="author")
    tree = make_tree(session, author, name="AP flow")
    sync_tree(session=session, tree=tree)
    session.flush()
    found, total = search.list_steps(session=session, actor=author, q="reboot")
    assert total == 1
    assert found[0].is_flow_synced
    assert found[0].source_tree_name == "AP flow"
    structure = copy.deepcopy(TS_STRUCTURE)
    structure["nodes"][1]["title"] = "Power-cycle the access point"
    structure["nodes"][1]["description"] = "Unplug the PoE cable"
    tree.tree_structure = structure
    session.add(tree)
    session.flush()
    sync_tree(session=session, tree=tree)
    session.flush()
    assert search.list_steps(session=session, actor=author, q="hold reset")[1] == 0
    assert search.list_steps(session=session, actor=author, q="poe cable")[1] == 1
    check_search_index(session)
    search.rebuild_search_index(session=session)
    assert search.list_steps(session=session, actor=author, q="power cycle")[1] == 1


def test_sync_upserts_keep_the_index_and_visibility_in_step(session) -> None:
    """Publishing public, unpublishing and publishing again (upserts that re-activate rows) leave the index exact."""
    author = make_user(session, make_account(session), role="author")
    outsider = make_user(session, make_account(session, "Other"), role="owner")
    tree = make_tree(session, author, name="AP flow", is_public=True)
    sync_tree(session=session, tree=tree)
    session.flush()
    check_search_index(session)
    assert search.list_steps(session=session, actor=outsider, q="reboot")[1] == 1  # a public flow's steps are public
    tree.is_public = False
    session.add(tree)
    sync_tree(session=session, tree=tree)
    session.flush()
    check_search_index(session)
    assert search.list_steps(session=session, actor=outsider, q="reboot")[1] == 0
    assert search.list_steps(session=session, actor=author, q="reboot")[1] == 1
    deactivate_synced(session=session, tree_id=tree.id)
    session.flush()
    check_search_index(session)
    assert search.list_steps(session=session, actor=author, q="reboot")[1] == 0
    sync_tree(session=session, tree=tree)
    session.flush()
    check_search_index(session)
    assert search.list_steps(session=session, actor=author, q="reboot")[1] == 1
