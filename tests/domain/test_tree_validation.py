"""Author-actionable structure problems, each naming its node."""

from resolutionflow_app.domain.tree_validation import validate_structure
from tests.tree_helpers import procedure, troubleshooting


def _problems(tree_type, structure):
    return [(p.node_id, p.message) for p in validate_structure(tree_type, structure)]


def _ids(tree_type, structure):
    return {p.node_id for p in validate_structure(tree_type, structure)}


def test_valid_trees_have_no_problems():
    assert validate_structure("troubleshooting", troubleshooting()) == []
    assert validate_structure("procedural", procedure()) == []


def test_duplicate_and_missing_ids():
    s = troubleshooting()
    s["nodes"].append({"id": "s_done", "type": "solution", "title": "Dup"})
    s["nodes"].append({"type": "solution", "title": "No id"})
    probs = _problems("troubleshooting", s)
    assert any(nid == "s_done" and "more than one" in msg for nid, msg in probs)
    assert any(nid is None and "has no id" in msg and "No id" in msg for nid, msg in probs)


def test_edge_to_unknown_node():
    s = troubleshooting()
    s["nodes"][0]["options"][0]["next"] = "ghost"
    probs = _problems("troubleshooting", s)
    assert any(nid == "q_power" and "ghost" in msg for nid, msg in probs)
    s = troubleshooting()
    s["nodes"][1]["next"] = "ghost"
    assert any(nid == "a_reboot" and "ghost" in msg for nid, msg in _problems("troubleshooting", s))


def test_unreachable_node():
    s = troubleshooting()
    s["nodes"].append({"id": "s_orphan", "type": "solution", "title": "Orphan"})
    probs = _problems("troubleshooting", s)
    assert ("s_orphan", "Node 'Orphan' cannot be reached from the start node.") in probs


def test_cycle():
    s = troubleshooting()
    s["nodes"][1]["next"] = "q_power"
    ids = {nid for nid, msg in _problems("troubleshooting", s) if "loop" in msg}
    assert ids == {"q_power", "a_reboot"}


def test_decision_without_options_and_path_without_solution():
    s = troubleshooting()
    s["nodes"][0]["options"] = []
    assert any(nid == "q_power" and "no answer options" in msg for nid, msg in _problems("troubleshooting", s))
    s = troubleshooting()
    del s["nodes"][1]["next"]
    assert any(nid == "a_reboot" and "solution" in msg for nid, msg in _problems("troubleshooting", s))


def test_empty_title_and_unknown_type_and_start():
    s = troubleshooting()
    s["nodes"][2]["title"] = "  "
    s["nodes"][3]["type"] = "banana"
    assert {"s_power", "s_done"} <= _ids("troubleshooting", s)
    s = troubleshooting()
    s["start_node_id"] = "nope"
    assert any("start node" in msg for _, msg in _problems("troubleshooting", s))


def test_procedure_problems():
    s = procedure()
    s["steps"][2]["title"] = ""
    s["steps"].insert(0, {"id": "st_backup", "type": "procedure_step", "title": "Dup"})
    probs = _problems("procedural", s)
    assert any(nid == "st_notify" and "title" in msg for nid, msg in probs)
    assert any(nid == "st_backup" and "more than one" in msg for nid, msg in probs)


def test_procedure_needs_exactly_one_end_last():
    s = procedure()
    s["steps"].pop()
    assert any("end step" in msg for _, msg in _problems("maintenance", s))
    s = procedure()
    s["steps"].append({"id": "end2", "type": "procedure_end", "title": "Again"})
    assert any(nid == "end2" and "more than one end" in msg for nid, msg in _problems("procedural", s))
    s = procedure()
    s["steps"].insert(0, s["steps"].pop())
    assert any(nid == "end" and "last" in msg for nid, msg in _problems("procedural", s))
    assert _problems("procedural", {"steps": []})
