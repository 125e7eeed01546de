"""The search index follows steps written by the flow sync (upserts) and survives a rebuild."""

from __future__ import annotations

import copy

from resolutionflow_app.services import library_search as search
from resolutionflow_app.services.library_sync import sync_tree
from tests.factories import make_account, make_user
from tests.library_helpers import TS_STRUCTURE, make_tree


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
    search.rebuild_search_index(session=session)
    assert search.list_steps(session=session, actor=author, q="power cycle")[1] == 1
