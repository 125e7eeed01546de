"""The editor's pure structure operations: add/move/connect/delete nodes, options, commands, procedure rows."""

from __future__ import annotations

import copy

import pytest

from resolutionflow_app.domain import flow_editing as ops
from resolutionflow_app.domain.tree_schema import default_structure, normalize_commands
from resolutionflow_app.domain.tree_validation import validate_structure


def tree() -> dict:
    return default_structure("troubleshooting")


def procedure() -> dict:
    return {
        "steps": [
            {"id": "sec_1", "type": "section_header", "title": "Prep"},
            {"id": "step_1", "type": "procedure_step", "title": "Back up", "library_visibility": "public"},
            {"id": "end", "type": "procedure_end", "title": "Done"},
        ]
    }


def test_operations_never_mutate_their_input() -> None:
    original = tree()
    before = copy.deepcopy(original)
    ops.add_node(original, "action", {"x": 1, "y": 2})
    ops.connect(original, "start", "opt-new", "solved")
    ops.delete_nodes(original, ["solved"])
    ops.set_field(original, "start", "title", "x")
    assert original == before


def test_add_node_gets_fresh_id_position_and_freezes_auto_placed_positions() -> None:
    s, first = ops.add_node(
        tree(), "action", {"x": 10, "y": 20}, positions={"start": {"x": 5, "y": 6}, "solved": {"x": 7, "y": 8}}
    )
    s, second = ops.add_node(s, "action", {"x": 300, "y": 20})
    assert (first, second) == ("a_1", "a_2")
    assert ops.find(s, "a_1")["position"] == {"x": 10.0, "y": 20.0}
    assert ops.find(s, "start")["position"] == {"x": 5.0, "y": 6.0}
    s, q = ops.add_node(s, "decision")
    assert q == "q_1"
    assert ops.find(s, "q_1")["options"] == []
    assert "position" not in ops.find(s, "q_1")
    with pytest.raises(ValueError):
        ops.add_node(s, "bogus")


def test_first_node_of_an_empty_tree_becomes_the_start() -> None:
    s, node_id = ops.add_node({"start_node_id": "", "nodes": []}, "decision")
    assert s["start_node_id"] == node_id


def test_move_nodes_only_missing_keeps_saved_positions() -> None:
    s = ops.move_nodes(tree(), {"start": {"x": 1, "y": 1}})
    s = ops.move_nodes(s, {"start": {"x": 9, "y": 9}, "solved": {"x": 2, "y": 2}}, only_missing=True)
    assert ops.find(s, "start")["position"] == {"x": 1.0, "y": 1.0}
    assert ops.find(s, "solved")["position"] == {"x": 2.0, "y": 2.0}
    assert ops.move_nodes(s, {"start": {"x": "bad"}}) == s


def test_connect_sets_option_adds_option_and_sets_action_next() -> None:
    s, a = ops.add_node(tree(), "action")
    s = ops.connect(s, "start", "opt-new", a)
    assert ops.find(s, "start")["options"][1] == {"label": "Option 2", "next": a}
    s = ops.connect(s, "start", "opt-0", a)
    assert ops.find(s, "start")["options"][0]["next"] == a
    s = ops.connect(s, a, "next", "solved")
    assert ops.find(s, a)["next"] == "solved"
    assert ops.connect(s, a, "next", a) == s  # no self loops
    assert ops.connect(s, a, "next", "ghost") == s  # unknown target
    s = ops.connect(s, "solved", "next", a)  # solutions have no outgoing links
    assert "next" not in ops.find(s, "solved")


def test_disconnect_and_delete_clear_references() -> None:
    s, a = ops.add_node(tree(), "action")
    s = ops.connect(s, "start", "opt-new", a)
    s = ops.connect(s, a, "next", "solved")
    s2 = ops.disconnect(s, "start", "opt-1")
    assert ops.find(s2, "start")["options"][1] == {"label": "Option 2"}
    s2 = ops.disconnect(s, a, "next")
    assert "next" not in ops.find(s2, a)
    s3 = ops.delete_nodes(s, ["solved"])
    assert ops.find(s3, "solved") is None
    assert "next" not in ops.find(s3, "start")["options"][0]
    assert "next" not in ops.find(s3, a)
    s4 = ops.delete_nodes(s, ["start"])
    assert s4["start_node_id"] == "solved"


def test_set_field_kind_start_next() -> None:
    s = ops.set_field(tree(), "start", "description", "Ask the user")
    assert ops.find(s, "start")["description"] == "Ask the user"
    s = ops.set_field(s, "start", "description", "")
    assert "description" not in ops.find(s, "start")
    with pytest.raises(ValueError):
        ops.set_field(s, "start", "id", "x")
    s = ops.set_kind(s, "start", "action")
    node = ops.find(s, "start")
    assert node["type"] == "action"
    assert node["next"] == "solved"
    assert "options" not in node
    s = ops.set_kind(s, "start", "decision")
    assert ops.find(s, "start")["options"] == [{"label": "Yes", "next": "solved"}]
    assert "next" not in ops.find(s, "start")
    s, a = ops.add_node(s, "action")
    s = ops.set_start(s, a)
    assert s["start_node_id"] == a
    s = ops.set_next(s, a, "solved")
    assert ops.find(s, a)["next"] == "solved"
    s = ops.set_next(s, a, "")
    assert "next" not in ops.find(s, a)


def test_options_add_rename_retarget_remove() -> None:
    s = ops.add_option(tree(), "start")
    s = ops.set_option(s, "start", 1, label="Paper jam", target="solved")
    assert ops.find(s, "start")["options"][1] == {"label": "Paper jam", "next": "solved"}
    s = ops.set_option(s, "start", 1, target="")
    assert "next" not in ops.find(s, "start")["options"][1]
    s = ops.remove_option(s, "start", 0)
    assert [o["label"] for o in ops.find(s, "start")["options"]] == ["Paper jam"]
    assert ops.remove_option(s, "start", 7) == s


def test_commands_edit_to_list_form_that_normalises() -> None:
    s = ops.set_field(tree(), "solved", "title", "Fixed")
    node = ops.find(s, "solved")
    node["commands"] = "ipconfig /all"
    assert ops.command_list(node) == [{"label": "", "language": "", "code": "ipconfig /all"}]
    s = ops.add_command(s, "solved")
    s = ops.set_command(s, "solved", 1, "code", "ping 8.8.8.8")
    s = ops.set_command(s, "solved", 1, "label", "Ping")
    commands = ops.find(s, "solved")["commands"]
    assert commands == [{"code": "ipconfig /all"}, {"label": "Ping", "language": "bash", "code": "ping 8.8.8.8"}]
    assert [c["command"] for c in normalize_commands(commands)] == ["ipconfig /all", "ping 8.8.8.8"]
    s = ops.remove_command(ops.remove_command(s, "solved", 0), "solved", 0)
    assert "commands" not in ops.find(s, "solved")


def test_edited_tree_validates_clean() -> None:
    s, a = ops.add_node(tree(), "action")
    s, sol = ops.add_node(s, "solution")
    assert validate_structure("troubleshooting", s)  # unconnected: problems
    s = ops.connect(s, "start", "opt-new", a)
    s = ops.connect(s, a, "next", sol)
    assert validate_structure("troubleshooting", s) == []


def test_procedure_add_before_end_after_selected_and_move() -> None:
    s, new = ops.add_step(procedure(), "procedure_step")
    assert [x["id"] for x in s["steps"]] == ["sec_1", "step_1", new, "end"]
    s, sec = ops.add_step(s, "section_header", after_id="sec_1")
    assert [x["id"] for x in s["steps"]][:2] == ["sec_1", sec]
    s = ops.move_step(s, new, -1)
    assert [x["id"] for x in s["steps"]].index(new) == 2
    assert ops.move_step(s, "sec_1", -1) == s
    assert ops.move_step(s, "end", 1) == s
    s = ops.delete_nodes(s, [sec])
    assert sec not in [x["id"] for x in s["steps"]]


def test_library_visibility_select_writes_or_removes_the_key() -> None:
    s = ops.set_library_visibility(procedure(), "step_1", "team")
    assert ops.find(s, "step_1")["library_visibility"] == "team"
    s = ops.set_library_visibility(s, "step_1", "inherit")
    assert "library_visibility" not in ops.find(s, "step_1")
    s = ops.set_library_visibility(s, "sec_1", "public")  # only procedure steps carry the override
    assert "library_visibility" not in ops.find(s, "sec_1")
    with pytest.raises(ValueError):
        ops.set_library_visibility(s, "step_1", "private")
