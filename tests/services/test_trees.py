"""Flows service: create, list, edit rules, publish validation, versions, restore, import/export."""

import pytest
from sqlmodel import select

from resolutionflow_app.db.models import TreeVersion
from resolutionflow_app.domain.errors import (
    BadRequest,
    Forbidden,
    InvalidInput,
    NotFound,
)
from resolutionflow_app.services import trees as ts
from tests.factories import make_account, make_user
from tests.tree_helpers import procedure, troubleshooting


@pytest.fixture
def author(session):
    return make_user(session, role="author")


def _tree(session, actor, **kw):
    kw.setdefault("name", "Wi-Fi AP offline")
    kw.setdefault("tree_type", "troubleshooting")
    kw.setdefault("tree_structure", troubleshooting())
    return ts.create_tree(session=session, actor=actor, **kw)


def test_create_is_draft_v1_with_version_row(session, author):
    t = _tree(session, author)
    assert (t.status, t.version, t.is_public, t.author_id, t.account_id) == (
        "draft",
        1,
        False,
        author.id,
        author.account_id,
    )
    assert t.validation == []
    assert t.can_edit
    assert t.author_name == author.name
    rows = session.exec(select(TreeVersion).where(TreeVersion.tree_id == t.id)).all()
    assert [r.version for r in rows] == [1]


def test_create_skeleton_and_bad_input(session, author):
    t = ts.create_tree(session=session, actor=author, name="P", tree_type="maintenance")
    assert t.tree_structure["steps"]
    assert t.validation == []
    with pytest.raises(InvalidInput):
        ts.create_tree(session=session, actor=author, name=" ", tree_type="procedural")
    with pytest.raises(InvalidInput):
        ts.create_tree(session=session, actor=author, name="x", tree_type="flowchart")
    with pytest.raises(InvalidInput):
        ts.create_tree(
            session=session, actor=author, name="x", tree_type="troubleshooting", tree_structure={"nodes": "junk"}
        )


def test_engineer_cannot_create(session, author):
    eng = make_user(session, _account(session, author), role="engineer")
    with pytest.raises(Forbidden):
        _tree(session, eng)


def test_draft_saved_with_problems_but_publish_refused(session, author):
    s = troubleshooting()
    s["nodes"][0]["options"][0]["next"] = "ghost"
    t = _tree(session, author, tree_structure=s)
    assert any(p.node_id == "q_power" for p in t.validation)
    with pytest.raises(InvalidInput) as exc:
        ts.update_tree(session=session, actor=author, tree_id=t.id, changes={"status": "published"})
    assert any(p["node_id"] == "q_power" for p in exc.value.problems)
    assert ts.get_tree(session=session, actor=author, tree_id=t.id).status == "draft"


def test_structure_change_makes_new_version_other_changes_do_not(session, author):
    t = _tree(session, author)
    t = ts.update_tree(session=session, actor=author, tree_id=t.id, changes={"name": "Renamed", "description": "d"})
    assert t.version == 1
    assert t.name == "Renamed"
    s = troubleshooting()
    s["nodes"][2]["title"] = "Restore power"
    t = ts.update_tree(session=session, actor=author, tree_id=t.id, changes={"tree_structure": s})
    assert t.version == 2
    t = ts.update_tree(session=session, actor=author, tree_id=t.id, changes={"tree_structure": s})
    assert t.version == 2  # identical structure: no new version
    items, total = ts.list_versions(session=session, actor=author, tree_id=t.id)
    assert total == 2
    assert [v.version for v in items] == [2, 1]
    assert items[0].created_by_name == author.name
    v1 = ts.get_version(session=session, actor=author, tree_id=t.id, version=1)
    assert v1.tree_structure == troubleshooting()
    with pytest.raises(NotFound):
        ts.get_version(session=session, actor=author, tree_id=t.id, version=9)


def test_restore_makes_new_version(session, author):
    t = _tree(session, author)
    s = troubleshooting()
    s["nodes"][2]["title"] = "Changed"
    ts.update_tree(session=session, actor=author, tree_id=t.id, changes={"tree_structure": s})
    r = ts.restore_version(session=session, actor=author, tree_id=t.id, version=1)
    assert r.version == 3
    assert r.tree_structure == troubleshooting()
    assert ts.list_versions(session=session, actor=author, tree_id=t.id)[1] == 3


def test_visibility_and_edit_rules(session, author):
    own = _tree(session, author)
    eng = make_user(session, make_account(session, "Elsewhere"), role="engineer")
    colleague_eng = make_user(session, _account(session, author), role="engineer")
    colleague_author = make_user(session, _account(session, author), role="author")
    outsider = make_user(session, make_account(session, "Other"), role="owner")
    # Engineers of the account see but cannot edit; other authors of the account can edit.
    assert ts.get_tree(session=session, actor=colleague_eng, tree_id=own.id).can_edit is False
    with pytest.raises(Forbidden):
        ts.update_tree(session=session, actor=colleague_eng, tree_id=own.id, changes={"name": "x"})
    assert (
        ts.update_tree(session=session, actor=colleague_author, tree_id=own.id, changes={"name": "by colleague"}).name
        == "by colleague"
    )
    # Another account: invisible (404) until public and published; then readable, but changes answer 404 (API.md: other
    # accounts' things).
    for actor in (outsider, eng):
        with pytest.raises(NotFound):
            ts.get_tree(session=session, actor=actor, tree_id=own.id)
        with pytest.raises(NotFound):
            ts.update_tree(session=session, actor=actor, tree_id=own.id, changes={"name": "x"})
    ts.update_tree(session=session, actor=author, tree_id=own.id, changes={"is_public": True, "status": "published"})
    seen = ts.get_tree(session=session, actor=outsider, tree_id=own.id)
    assert seen.can_edit is False
    with pytest.raises(NotFound):
        ts.update_tree(session=session, actor=outsider, tree_id=own.id, changes={"name": "x"})
    with pytest.raises(NotFound):
        ts.delete_tree(session=session, actor=outsider, tree_id=own.id)
    with pytest.raises(NotFound):
        ts.get_tree(session=session, actor=outsider, tree_id="not-a-uuid")


def _account(session, user):
    from resolutionflow_app.db.models import Account

    return session.get(Account, user.account_id)


def test_list_filters_and_paging(session, author):
    a = _tree(session, author, name="Wi-Fi AP offline")
    b = _tree(session, author, name="VPN sign-in", tree_type="procedural", tree_structure=procedure())
    other_author = make_user(session, _account(session, author), role="author")
    c = _tree(session, other_author, name="Printer jam")
    ts.update_tree(session=session, actor=author, tree_id=b.id, changes={"status": "published"})
    outsider = make_user(session, make_account(session, "Other"), role="owner")
    _tree(session, outsider, name="Hidden wifi")

    def names(**kw):
        items, total = ts.list_trees(session=session, actor=author, **kw)
        return sorted(t.name for t in items), total

    assert names() == (sorted(["Wi-Fi AP offline", "VPN sign-in", "Printer jam"]), 3)
    assert names(q="wi-fi") == (["Wi-Fi AP offline"], 1)
    assert names(tree_type="procedural") == (["VPN sign-in"], 1)
    assert names(status="published") == (["VPN sign-in"], 1)
    assert names(author_id=str(other_author.id)) == (["Printer jam"], 1)
    items, total = ts.list_trees(session=session, actor=author, limit=2, offset=0)
    rest, _ = ts.list_trees(session=session, actor=author, limit=2, offset=2)
    assert total == 3
    assert len(items) == 2
    assert len(rest) == 1
    ts.update_tree(session=session, actor=author, tree_id=a.id, changes={"is_active": False})
    assert names()[1] == 2
    assert names(include_inactive=True)[1] == 3
    with pytest.raises(InvalidInput):
        ts.list_trees(session=session, actor=author, status="weird")
    del c


def test_delete(session, author):
    t = _tree(session, author)
    ts.delete_tree(session=session, actor=author, tree_id=t.id)
    with pytest.raises(NotFound):
        ts.get_tree(session=session, actor=author, tree_id=t.id)
    assert session.exec(select(TreeVersion).where(TreeVersion.tree_id == t.id)).all() == []


def test_export_import_round_trip(session, author):
    t = _tree(session, author, description="desc", is_public=True)
    data = ts.export_tree(session=session, actor=author, tree_id=t.id)
    assert data["format"] == "resolutionflow.tree"
    assert data["format_version"] == 1
    assert data["tree"] == {
        "name": t.name,
        "description": "desc",
        "tree_type": "troubleshooting",
        "tree_structure": troubleshooting(),
    }
    other = make_user(session, make_account(session, "Other"), role="author")
    imp = ts.import_tree(session=session, actor=other, data=data)
    assert (imp.status, imp.version, imp.is_public, imp.author_id, imp.account_id) == (
        "draft",
        1,
        False,
        other.id,
        other.account_id,
    )
    assert imp.tree_structure == troubleshooting()
    assert imp.id != t.id


@pytest.mark.parametrize(
    "data,exc",
    [
        ("junk", BadRequest),
        ([], BadRequest),
        ({"format": "other"}, BadRequest),
        ({"format": "resolutionflow.tree", "format_version": 2, "tree": {}}, BadRequest),
        ({"format": "resolutionflow.tree", "format_version": 1}, InvalidInput),
        (
            {
                "format": "resolutionflow.tree",
                "format_version": 1,
                "tree": {"name": "x", "tree_type": "troubleshooting"},
            },
            InvalidInput,
        ),
        (
            {
                "format": "resolutionflow.tree",
                "format_version": 1,
                "tree": {"name": "x", "tree_type": "bogus", "tree_structure": {"nodes": []}},
            },
            InvalidInput,
        ),
        (
            {
                "format": "resolutionflow.tree",
                "format_version": 1,
                "tree": {"name": "x", "tree_type": "procedural", "tree_structure": {"steps": 3}},
            },
            InvalidInput,
        ),
        (
            {
                "format": "resolutionflow.tree",
                "format_version": 1,
                "tree": {"name": "", "tree_type": "procedural", "tree_structure": {"steps": []}},
            },
            InvalidInput,
        ),
    ],
)
def test_import_rejects_junk(session, author, data, exc):
    with pytest.raises(exc):
        ts.import_tree(session=session, actor=author, data=data)
    assert ts.list_trees(session=session, actor=author)[1] == 0
