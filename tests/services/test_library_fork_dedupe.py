"""The Library shows each distinct step once: a fork's unchanged copies fold into the parent's entry ("used in N
flows")."""

from __future__ import annotations

import copy

from resolutionflow_app.services import library_search
from resolutionflow_app.services import trees as trees_service
from tests.factories import make_account, make_user
from tests.tree_helpers import troubleshooting


def test_fork_copies_fold_into_the_parent_and_changed_steps_stay(session) -> None:
    account = make_account(session)
    author = make_user(session, account, role="author")
    parent = trees_service.create_tree(
        session=session, actor=author, name="Wi-Fi", tree_type="troubleshooting", tree_structure=troubleshooting()
    )
    trees_service.update_tree(session=session, actor=author, tree_id=parent.id, changes={"status": "published"})
    fork = trees_service.fork_tree(session=session, actor=author, tree_id=parent.id)
    trees_service.update_tree(session=session, actor=author, tree_id=fork.id, changes={"status": "published"})
    every = library_search.search_steps(session=session, actor=author, limit=100, total_cap=None)
    distinct = library_search.search_steps(session=session, actor=author, limit=100, total_cap=None, distinct=True)
    assert (
        every.total == 2 * distinct.total == 6
    )  # the API keeps both flows' entries (sync seed); the page shows one each
    assert {s.source_tree_id for s in distinct.items} == {parent.id}
    assert {s.used_in_flows for s in distinct.items} == {2}
    # A step the fork changed is its own entry; the others still fold.
    changed = copy.deepcopy(fork.tree_structure)
    changed["nodes"][1]["title"] = "Reboot the AP twice"
    trees_service.update_tree(session=session, actor=author, tree_id=fork.id, changes={"tree_structure": changed})
    distinct = library_search.search_steps(session=session, actor=author, limit=100, total_cap=None, distinct=True)
    titles = sorted((s.title, s.used_in_flows) for s in distinct.items)
    assert ("Reboot the AP twice", 1) in titles
    assert ("Reboot the AP", 1) in titles
    assert distinct.total == 4
    # Search and relevance go through the same rule.
    found = library_search.search_steps(session=session, actor=author, q="power", distinct=True, total_cap=None)
    assert [(s.source_tree_id, s.used_in_flows) for s in found.items] == [(parent.id, 2)]
