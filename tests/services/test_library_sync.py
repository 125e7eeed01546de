"""Publishing syncs the step library (flow-to-library-step-sync.md), on SQLite and PostgreSQL."""

import pytest
from sqlmodel import select

from resolutionflow_app.db.models import LibraryStep, Tree
from resolutionflow_app.domain.errors import InvalidInput
from resolutionflow_app.services import library_sync
from resolutionflow_app.services import trees as ts
from tests.factories import make_user
from tests.tree_helpers import big_procedure, procedure, troubleshooting


@pytest.fixture
def author(session):
    return make_user(session, role="author")


def _rows(session, tree_id, *, active=None):
    session.expire_all()
    rows = session.exec(select(LibraryStep).where(LibraryStep.source_tree_id == tree_id)).all()
    if active is not None:
        rows = [r for r in rows if r.is_active == active]
    return {r.source_node_id: r for r in rows}


def _publish(session, actor, tree_id, **changes):
    return ts.update_tree(session=session, actor=actor, tree_id=tree_id, changes={"status": "published", **changes})


def _proc(session, author, **kw):
    return ts.create_tree(
        session=session, actor=author, name="Switch upgrade", tree_type="procedural", tree_structure=procedure(), **kw
    )


def test_draft_has_no_library_entries(session, author):
    t = _proc(session, author)
    assert _rows(session, t.id) == {}


def test_first_publish_procedure(session, author):
    t = _proc(session, author)
    _publish(session, author, t.id)
    rows = _rows(session, t.id)
    assert set(rows) == {"st_backup", "st_notify", "st_upgrade"}
    r = rows["st_backup"]
    assert (r.title, r.step_type, r.visibility, r.is_flow_synced, r.is_active) == (
        "Back up the config",
        "action",
        "public",
        True,
        True,
    )
    assert r.created_by == author.id
    assert r.account_id == author.account_id
    assert r.last_synced_at is not None
    assert r.content == {
        "instructions": "Copy the running config",
        "help_text": "Backup file exists",
        "commands": [{"label": "", "command": "copy run tftp:", "command_type": None}],
        "group_label": "Preparation",
    }
    assert rows["st_notify"].visibility == "team"
    assert rows["st_upgrade"].content["group_label"] == "Upgrade"


def test_first_publish_troubleshooting(session, author):
    t = ts.create_tree(
        session=session,
        actor=author,
        name="AP",
        tree_type="troubleshooting",
        tree_structure=troubleshooting(),
        is_public=True,
    )
    _publish(session, author, t.id)
    rows = _rows(session, t.id)
    assert {k: (v.step_type, v.visibility) for k, v in rows.items()} == {
        "a_reboot": ("action", "public"),
        "s_power": ("solution", "public"),
        "s_done": ("solution", "public"),
    }


def test_publish_with_problems_writes_nothing(session, author):
    s = procedure()
    s["steps"].pop()  # no end
    t = ts.create_tree(session=session, actor=author, name="Broken", tree_type="procedural", tree_structure=s)
    with pytest.raises(InvalidInput):
        _publish(session, author, t.id)
    assert _rows(session, t.id) == {}


def test_sync_shares_the_status_change_transaction(session, author):
    t = _proc(session, author)
    session.commit()
    _publish(session, author, t.id)
    session.rollback()
    assert _rows(session, t.id) == {}
    assert session.get(Tree, t.id).status == "draft"


def test_republish_keeps_usage_and_ratings_and_updates_content(session, author):
    t = _proc(session, author)
    _publish(session, author, t.id)
    rows = _rows(session, t.id)
    ids = {k: v.id for k, v in rows.items()}
    for r in rows.values():
        r.usage_count, r.rating_sum, r.rating_count = 7, 9, 2
        session.add(r)
    session.flush()
    ts.update_tree(session=session, actor=author, tree_id=t.id, changes={"status": "draft"})
    assert len(_rows(session, t.id, active=True)) == 3  # unpublish keeps entries
    s = procedure()
    s["steps"][2]["title"] = "Notify the customer by phone"
    _publish(session, author, t.id, tree_structure=s)
    rows = _rows(session, t.id)
    assert {k: v.id for k, v in rows.items()} == ids
    assert all((r.usage_count, r.rating_sum, r.rating_count) == (7, 9, 2) for r in rows.values())
    assert rows["st_notify"].title == "Notify the customer by phone"


def test_put_on_published_tree_syncs_structure_and_visibility(session, author):
    t = _proc(session, author)
    _publish(session, author, t.id)
    s = procedure()
    s["steps"][4]["title"] = "Upgrade IOS"
    ts.update_tree(session=session, actor=author, tree_id=t.id, changes={"tree_structure": s})
    assert _rows(session, t.id)["st_upgrade"].title == "Upgrade IOS"
    ts.update_tree(session=session, actor=author, tree_id=t.id, changes={"is_public": True})
    rows = _rows(session, t.id)
    assert (rows["st_notify"].visibility, rows["st_upgrade"].visibility) == ("public", "public")


def test_node_removed_is_soft_deleted_and_reactivated_when_back(session, author):
    t = _proc(session, author)
    _publish(session, author, t.id)
    s = procedure()
    del s["steps"][2]  # st_notify
    _publish(session, author, t.id, tree_structure=s)
    rows = _rows(session, t.id)
    assert rows["st_notify"].is_active is False
    assert rows["st_backup"].is_active is True
    old_id = rows["st_notify"].id
    _publish(session, author, t.id, tree_structure=procedure())
    rows = _rows(session, t.id)
    assert rows["st_notify"].is_active is True
    assert rows["st_notify"].id == old_id


def test_visibility_override(session, author):
    s = procedure()
    s["steps"][2]["library_visibility"] = "team"
    t = ts.create_tree(
        session=session, actor=author, name="Pub", tree_type="maintenance", tree_structure=s, is_public=True
    )
    _publish(session, author, t.id)
    rows = _rows(session, t.id)
    assert {k: v.visibility for k, v in rows.items()} == {
        "st_backup": "public",
        "st_notify": "team",
        "st_upgrade": "public",
    }
    s["steps"][2].pop("library_visibility")  # back to "Inherit from flow"
    ts.update_tree(session=session, actor=author, tree_id=t.id, changes={"tree_structure": s})
    assert _rows(session, t.id)["st_notify"].visibility == "public"


def test_deactivate_and_reactivate(session, author):
    t = _proc(session, author)
    _publish(session, author, t.id)
    manual = LibraryStep(
        account_id=author.account_id, created_by=author.id, title="Forked copy", content={}, is_flow_synced=False
    )
    session.add(manual)
    session.flush()
    ts.update_tree(session=session, actor=author, tree_id=t.id, changes={"is_active": False})
    assert _rows(session, t.id, active=True) == {}
    assert session.get(LibraryStep, manual.id).is_active is True  # forked copies untouched
    ts.update_tree(session=session, actor=author, tree_id=t.id, changes={"is_active": True})
    assert len(_rows(session, t.id, active=True)) == 3


def test_delete_soft_deletes_entries(session, author):
    t = _proc(session, author)
    _publish(session, author, t.id)
    ids = [r.id for r in _rows(session, t.id).values()]
    ts.delete_tree(session=session, actor=author, tree_id=t.id)
    session.expire_all()
    rows = [session.get(LibraryStep, i) for i in ids]
    assert all(r is not None and r.is_active is False and r.source_tree_id is None for r in rows)


def test_republish_writes_only_changed_rows(session, author):
    t = ts.create_tree(
        session=session, actor=author, name="Big", tree_type="procedural", tree_structure=big_procedure(200)
    )
    tree = session.get(Tree, t.id)
    tree.status = "published"
    first = library_sync.sync_tree(session=session, tree=tree)
    assert (first.created, first.updated, first.unchanged) == (200, 0, 0)
    before = {k: v.updated_at for k, v in _rows(session, t.id).items()}
    s = big_procedure(200)
    for i in (3, 50, 199):
        s["steps"][i]["description"] = "changed"
    del s["steps"][10]
    tree = session.get(Tree, t.id)
    tree.tree_structure = s
    again = library_sync.sync_tree(session=session, tree=tree)
    assert (again.created, again.updated, again.deactivated, again.unchanged) == (0, 3, 1, 196)
    after = {k: v.updated_at for k, v in _rows(session, t.id).items()}
    assert sum(1 for k in before if before[k] != after[k]) == 4
    assert library_sync.sync_tree(session=session, tree=tree).written == 0


def test_demo_data_publishes_four_flows_with_synced_steps(session):
    from resolutionflow_app.services.demo_data import load_demo_data

    load_demo_data(session=session, password="demo-password-123")
    trees = session.exec(select(Tree)).all()
    assert len(trees) == 4
    assert all(t.status == "published" and t.version == 1 for t in trees)
    for tree in trees:
        rows = _rows(session, tree.id, active=True)
        assert rows, tree.name
        assert all(r.is_flow_synced and r.created_by == tree.author_id for r in rows.values())


def test_republish_edit_touches_only_changed_nodes_and_keeps_the_library_exact(session) -> None:
    """Fast path (published -> published): the result equals a full sync, section renames included."""
    from sqlmodel import select

    from resolutionflow_app.db.models import LibraryStep, Tree
    from resolutionflow_app.services import library_sync
    from resolutionflow_app.services import trees as ts
    from tests.factories import make_user

    author = make_user(session, role="author")
    structure = {
        "steps": [
            {"id": "h1", "type": "section_header", "title": "Prep"},
            {"id": "a", "type": "procedure_step", "title": "A", "description": "do a"},
            {"id": "b", "type": "procedure_step", "title": "B", "description": "do b"},
            {"id": "h2", "type": "section_header", "title": "Work"},
            {"id": "c", "type": "procedure_step", "title": "C", "description": "do c"},
            {"id": "end", "type": "procedure_end", "title": "Done"},
        ]
    }
    tree = ts.create_tree(session=session, actor=author, name="P", tree_type="procedural", tree_structure=structure)
    ts.update_tree(session=session, actor=author, tree_id=tree.id, changes={"status": "published"})
    edited = {"steps": [dict(n) for n in structure["steps"] if n["id"] != "b"]}
    edited["steps"][1]["description"] = "do a better"
    edited["steps"][2]["title"] = "Doing"
    edited["steps"].insert(4, {"id": "d", "type": "procedure_step", "title": "D", "description": "do d"})
    ts.update_tree(session=session, actor=author, tree_id=tree.id, changes={"tree_structure": edited})

    def snapshot() -> dict:
        rows = session.exec(select(LibraryStep).where(LibraryStep.source_tree_id == tree.id)).all()
        return {r.source_node_id: (r.title, r.content, r.visibility, r.is_active) for r in rows}

    fast = snapshot()
    assert fast["a"][1]["instructions"] == "do a better"
    assert fast["c"][1]["group_label"] == "Doing"
    assert fast["b"][3] is False
    assert fast["d"][3] is True
    result = library_sync.sync_tree(
        session=session, tree=session.get(Tree, tree.id)
    )  # a full sync changes nothing more
    assert result.written == 0
    assert snapshot() == fast
