"""Versions as authors meet them: autosaves fold into one working draft; publish, restore and Save version keep
versions."""

from __future__ import annotations

import copy

import pytest

from resolutionflow_app.domain.errors import InvalidInput
from resolutionflow_app.domain.flow_diff import describe, diff_structures, summarise
from resolutionflow_app.services import trees as trees_service
from tests.factories import make_account, make_user
from tests.tree_helpers import troubleshooting


def _edit(structure: dict, title: str) -> dict:
    out = copy.deepcopy(structure)
    out["nodes"][1]["title"] = title
    return out


def test_diff_names_added_removed_changed_and_moved() -> None:
    old = troubleshooting()
    new = copy.deepcopy(old)
    new["nodes"][0]["position"] = {"x": 5, "y": 5}
    new["nodes"][1]["title"] = "Reboot it"
    new["nodes"].pop(2)
    new["nodes"].append({"id": "a_new", "type": "action", "title": "Call the vendor"})
    rows = {r["id"]: (r["status"], r["fields"]) for r in diff_structures("troubleshooting", old, new)}
    assert rows == {
        "q_power": ("moved", []),
        "a_reboot": ("changed", ["title"]),
        "s_done": ("same", []),
        "a_new": ("added", []),
        "s_power": ("removed", []),
    }
    assert describe(summarise(diff_structures("troubleshooting", old, new))) == "1 added, 1 removed, 1 changed"
    assert describe({"added": 0, "removed": 0, "changed": 0, "moved": 2}) == "Layout only"


def test_autosaves_coalesce_and_explicit_points_keep_versions(session) -> None:
    account = make_account(session)
    author, other = make_user(session, account, role="author"), make_user(session, account, role="author")
    tree = trees_service.create_tree(
        session=session, actor=author, name="Printer", tree_type="troubleshooting", tree_structure=troubleshooting()
    )
    structure = tree.tree_structure
    for i in range(5):  # typing and dragging: one working draft
        structure = _edit(structure, f"Reboot #{i}")
        tree = trees_service.autosave_tree(
            session=session, actor=author, tree_id=tree.id, changes={"tree_structure": structure}
        )
    assert tree.version == 2
    items, total = trees_service.list_versions(session=session, actor=author, tree_id=tree.id)
    assert total == 2
    assert [(v.version, v.kind, v.summary_text) for v in items] == [
        (2, "autosave", "1 changed"),
        (1, "create", ""),
    ]
    # Publishing freezes the working draft; the next edit starts a new one.
    trees_service.update_tree(session=session, actor=author, tree_id=tree.id, changes={"status": "published"})
    tree = trees_service.autosave_tree(
        session=session, actor=author, tree_id=tree.id, changes={"tree_structure": _edit(structure, "After publish")}
    )
    assert tree.version == 3
    # Another author's edit does not fold into my draft.
    tree = trees_service.autosave_tree(
        session=session, actor=other, tree_id=tree.id, changes={"tree_structure": _edit(structure, "Theirs")}
    )
    assert tree.version == 4
    named = trees_service.save_version(session=session, actor=other, tree_id=tree.id, label="  Before the VPN rewrite ")
    assert (named.version, named.label, named.kind) == (4, "Before the VPN rewrite", "save")
    tree = trees_service.autosave_tree(
        session=session, actor=other, tree_id=tree.id, changes={"tree_structure": _edit(structure, "Next")}
    )
    assert tree.version == 5  # a named version does not coalesce
    diff = trees_service.compare_versions(session=session, actor=author, tree_id=tree.id, older=1)
    assert [(r.id, r.status) for r in diff if r.status != "same"] == [("a_reboot", "changed")]
    with pytest.raises(InvalidInput, match="Autosave"):
        trees_service.autosave_tree(session=session, actor=author, tree_id=tree.id, changes={"status": "draft"})
    with pytest.raises(InvalidInput, match="200"):
        trees_service.save_version(session=session, actor=author, tree_id=tree.id, label="x" * 201)
    # The API path (PUT) keeps a version per structural change, as API.md says.
    api_tree = trees_service.update_tree(
        session=session, actor=author, tree_id=tree.id, changes={"tree_structure": _edit(structure, "PUT 1")}
    )
    assert (
        trees_service.update_tree(
            session=session, actor=author, tree_id=tree.id, changes={"tree_structure": _edit(structure, "PUT 2")}
        ).version
        == api_tree.version + 1
    )


def test_save_version_over_the_api_and_the_diff_endpoint(api) -> None:
    from tests.factories import register

    owner = register(api)
    tree = api.post(
        "/api/v1/trees",
        headers=owner["headers"],
        json={"name": "T", "tree_type": "troubleshooting", "tree_structure": troubleshooting()},
    ).json()
    saved = api.post(f"/api/v1/trees/{tree['id']}/versions", headers=owner["headers"], json={"name": "Baseline"})
    assert saved.status_code == 201
    assert saved.json()["label"] == "Baseline"
    assert saved.json()["version"] == 1
    api.put(
        f"/api/v1/trees/{tree['id']}",
        headers=owner["headers"],
        json={"tree_structure": _edit(troubleshooting(), "Changed")},
    )
    diff = api.get(f"/api/v1/trees/{tree['id']}/versions/1/diff", headers=owner["headers"])
    assert diff.status_code == 200
    assert {r["id"]: r["status"] for r in diff.json()}["a_reboot"] == "changed"
    assert api.get(f"/api/v1/trees/{tree['id']}/versions/99/diff", headers=owner["headers"]).status_code == 404
    listed = api.get(f"/api/v1/trees/{tree['id']}/versions", headers=owner["headers"]).json()["items"]
    assert {"version", "created_at", "created_by"} <= set(listed[0])
    assert listed[1]["label"] == "Baseline"
