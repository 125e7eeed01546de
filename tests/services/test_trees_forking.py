"""The seed's "Tree Forking Tests" list, on the service layer (SQLite and PostgreSQL)."""

import pytest
from sqlmodel import select

from resolutionflow_app.db.models import Account, LibraryStep, Tree
from resolutionflow_app.domain.errors import Forbidden, InvalidInput, NotFound
from resolutionflow_app.services import trees as ts
from tests.factories import make_account, make_user
from tests.tree_helpers import procedure, troubleshooting


@pytest.fixture
def parent_setup(session):
    author = make_user(session, role="author")
    parent = ts.create_tree(
        session=session,
        actor=author,
        name="VPN",
        tree_type="troubleshooting",
        tree_structure=troubleshooting(),
        is_public=True,
    )
    parent = ts.update_tree(session=session, actor=author, tree_id=parent.id, changes={"status": "published"})
    forker = make_user(session, make_account(session, "MSP Two"), role="author")
    return author, parent, forker


def test_fork_sets_parent_and_the_eight_steps(session, parent_setup):
    author, parent, forker = parent_setup
    # bump the parent's version so "version reset to 1" is observable
    s = troubleshooting()
    s["nodes"][2]["title"] = "Restore power"
    parent = ts.update_tree(session=session, actor=author, tree_id=parent.id, changes={"tree_structure": s})
    assert parent.version == 2
    fork = ts.fork_tree(
        session=session, actor=forker, tree_id=parent.id, fork_reason="Added Cisco Meraki steps for our network"
    )
    assert fork.tree_structure == parent.tree_structure
    assert fork.parent_tree_id == parent.id
    assert fork.fork_reason == "Added Cisco Meraki steps for our network"
    assert fork.parent_updated_at == parent.updated_at
    assert fork.author_id == forker.id
    assert fork.account_id == forker.account_id
    assert fork.is_public is False
    assert fork.version == 1
    assert fork.status == "draft"
    assert fork.parent_name == "VPN"
    assert fork.has_parent_updates is False
    # the copy is deep: editing the fork leaves the parent alone
    assert (
        ts.get_tree(session=session, actor=author, tree_id=parent.id).forks_count == 0
    )  # other account's fork is private
    assert ts.get_tree(session=session, actor=forker, tree_id=parent.id).forks_count == 1


def test_update_parent_leaves_fork_unaffected(session, parent_setup):
    author, parent, forker = parent_setup
    fork = ts.fork_tree(session=session, actor=forker, tree_id=parent.id)
    s = troubleshooting()
    s["nodes"][3]["title"] = "Parent changed"
    ts.update_tree(session=session, actor=author, tree_id=parent.id, changes={"tree_structure": s, "name": "VPN v2"})
    again = ts.get_tree(session=session, actor=forker, tree_id=fork.id)
    assert again.tree_structure == troubleshooting()
    assert again.version == 1
    assert again.parent_updated_at == fork.parent_updated_at


def test_edit_fork_leaves_parent_unaffected(session, parent_setup):
    author, parent, forker = parent_setup
    fork = ts.fork_tree(session=session, actor=forker, tree_id=parent.id)
    s = troubleshooting()
    s["nodes"][3]["title"] = "Fork changed"
    fork2 = ts.update_tree(session=session, actor=forker, tree_id=fork.id, changes={"tree_structure": s})
    assert fork2.version == 2
    assert fork2.parent_updated_at == fork.parent_updated_at
    p = ts.get_tree(session=session, actor=author, tree_id=parent.id)
    assert p.tree_structure == troubleshooting()
    assert p.updated_at == parent.updated_at


def test_hard_delete_parent_orphans_fork(session, parent_setup):
    author, parent, forker = parent_setup
    fork = ts.fork_tree(session=session, actor=forker, tree_id=parent.id)
    session.commit()
    ts.delete_tree(session=session, actor=author, tree_id=parent.id)
    session.commit()
    row = session.get(Tree, fork.id)
    session.refresh(row)
    assert row.parent_tree_id is None
    dto = ts.get_tree(session=session, actor=forker, tree_id=fork.id)
    assert dto.parent_tree_id is None
    assert dto.has_parent_updates is False


def test_db_level_set_null_on_parent_delete(session, parent_setup):
    """The FK itself orphans forks (PRAGMA foreign_keys=ON on SQLite), even without the service."""
    author, parent, forker = parent_setup
    fork = ts.fork_tree(session=session, actor=forker, tree_id=parent.id)
    session.commit()
    session.execute(Tree.__table__.delete().where(Tree.__table__.c.id == parent.id))
    session.commit()
    session.expire_all()
    assert session.get(Tree, fork.id).parent_tree_id is None


def test_soft_delete_parent_keeps_link(session, parent_setup):
    author, parent, forker = parent_setup
    fork = ts.fork_tree(session=session, actor=forker, tree_id=parent.id)
    ts.update_tree(session=session, actor=author, tree_id=parent.id, changes={"is_active": False})
    dto = ts.get_tree(session=session, actor=forker, tree_id=fork.id)
    assert dto.parent_tree_id == parent.id
    assert dto.has_parent_updates is False  # seed: soft-deleted parent => False


def test_has_parent_updates_true_after_parent_updated(session, parent_setup):
    author, parent, forker = parent_setup
    fork = ts.fork_tree(session=session, actor=forker, tree_id=parent.id)
    assert ts.get_tree(session=session, actor=forker, tree_id=fork.id).has_parent_updates is False
    ts.update_tree(session=session, actor=author, tree_id=parent.id, changes={"description": "now with more steps"})
    assert ts.get_tree(session=session, actor=forker, tree_id=fork.id).has_parent_updates is True
    listed = ts.list_trees(session=session, actor=forker)[0]
    assert [t.has_parent_updates for t in listed if t.id == fork.id] == [True]


def test_has_parent_updates_false_if_parent_unchanged(session, parent_setup):
    author, parent, forker = parent_setup
    fork = ts.fork_tree(session=session, actor=forker, tree_id=parent.id)
    ts.update_tree(session=session, actor=forker, tree_id=fork.id, changes={"name": "My copy"})
    assert ts.get_tree(session=session, actor=forker, tree_id=fork.id).has_parent_updates is False


def test_fork_reason_stored_and_retrieved(session, parent_setup):
    author, parent, forker = parent_setup
    fork = ts.fork_tree(session=session, actor=forker, tree_id=parent.id, fork_reason="x" * 255)
    session.commit()
    session.expire_all()
    assert ts.get_tree(session=session, actor=forker, tree_id=fork.id).fork_reason == "x" * 255
    assert session.get(Tree, fork.id).fork_reason == "x" * 255
    with pytest.raises(InvalidInput):
        ts.fork_tree(session=session, actor=forker, tree_id=parent.id, fork_reason="x" * 256)
    no_reason = ts.fork_tree(session=session, actor=forker, tree_id=parent.id)
    assert no_reason.fork_reason is None


def test_fork_permissions(session, parent_setup):
    author, parent, forker = parent_setup
    engineer = make_user(session, session.get(Account, forker.account_id), role="engineer")
    with pytest.raises(Forbidden):
        ts.fork_tree(session=session, actor=engineer, tree_id=parent.id)
    draft = ts.create_tree(
        session=session, actor=author, name="Private", tree_type="procedural", tree_structure=procedure()
    )
    with pytest.raises(NotFound):
        ts.fork_tree(session=session, actor=forker, tree_id=draft.id)


def test_list_forks(session, parent_setup):
    author, parent, forker = parent_setup
    own_fork = ts.fork_tree(session=session, actor=author, tree_id=parent.id, fork_reason="team copy")
    ts.fork_tree(session=session, actor=forker, tree_id=parent.id)
    items, total = ts.list_forks(session=session, actor=author, tree_id=parent.id)
    assert total == 1
    assert items[0].id == own_fork.id
    assert ts.list_forks(session=session, actor=forker, tree_id=parent.id)[1] == 1


def test_forks_library_untouched_by_parent_sync(session, parent_setup):
    author, parent, forker = parent_setup
    fork = ts.fork_tree(session=session, actor=forker, tree_id=parent.id)
    ts.update_tree(session=session, actor=forker, tree_id=fork.id, changes={"status": "published"})
    fork_rows = session.exec(select(LibraryStep).where(LibraryStep.source_tree_id == fork.id)).all()
    ts.update_tree(session=session, actor=author, tree_id=parent.id, changes={"is_active": False})
    session.expire_all()
    fork_rows = session.exec(select(LibraryStep).where(LibraryStep.source_tree_id == fork.id)).all()
    assert len(fork_rows) == 3
    assert all(r.is_active for r in fork_rows)
