"""Pure session rules: custom step schema, walking, ticking, back, save-as-flow reconstruction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from resolutionflow_app.domain import session_rules as rules
from resolutionflow_app.domain.errors import Conflict, InvalidInput
from tests.library_helpers import PROC_STRUCTURE, TS_STRUCTURE

NOW = datetime(2026, 2, 7, 15, 30, tzinfo=UTC)


def test_old_custom_steps_get_seed_defaults() -> None:
    steps = rules.load_custom_steps(
        [{"type": "action", "content": "Check Meraki dashboard", "notes": "AP offline"}, "typed text", 42, None]
    )
    assert steps[0] == {
        "type": "action",
        "content": "Check Meraki dashboard",
        "notes": "AP offline",
        "source": "ad-hoc",
        "source_step_id": None,
        "inserted_at": None,
        "inserted_after_node_id": None,
    }
    assert steps[1]["content"] == "typed text"
    assert steps[1]["source"] == "ad-hoc"
    assert len(steps) == 2


def test_custom_step_keeps_new_fields_and_extras() -> None:
    raw = {
        "type": "action",
        "content": {"instructions": "Verify DNS"},
        "source": "step-library",
        "source_step_id": "123e4567-e89b-12d3-a456-426614174000",
        "inserted_at": NOW,
        "inserted_after_node_id": "n1",
        "title": "DNS",
    }
    step = rules.load_custom_steps([raw])[0]
    assert step["content"] == "Verify DNS"
    assert step["inserted_at"] == NOW.isoformat()
    assert step["title"] == "DNS"
    assert step["source_step_id"].startswith("123e4567")


def test_normalise_text_groups_variants() -> None:
    assert rules.normalise_text("  Check   Meraki dashboard. ") == rules.normalise_text("check meraki DASHBOARD")


def test_start_nodes() -> None:
    assert rules.start_node_id("troubleshooting", TS_STRUCTURE) == "q_power"
    assert rules.start_node_id("procedural", PROC_STRUCTURE) == "st_backup"
    assert rules.start_node_id("troubleshooting", {"nodes": [{"id": "x", "type": "solution"}]}) == "x"
    assert rules.start_node_id("troubleshooting", {}) is None


def test_decision_answers() -> None:
    assert rules.next_troubleshooting_node(TS_STRUCTURE, "q_power", "q_power", "yes") == ("Yes", "a_reboot")
    assert rules.next_troubleshooting_node(TS_STRUCTURE, "q_power", "q_power", "No") == ("No", "s_power")
    with pytest.raises(InvalidInput):
        rules.next_troubleshooting_node(TS_STRUCTURE, "q_power", "q_power", "Maybe")
    with pytest.raises(InvalidInput):
        rules.next_troubleshooting_node(TS_STRUCTURE, "q_power", "q_power", None)
    with pytest.raises(Conflict):
        rules.next_troubleshooting_node(TS_STRUCTURE, "q_power", "a_reboot", None)
    assert rules.next_troubleshooting_node(TS_STRUCTURE, "a_reboot", "a_reboot", None) == ("done", "s_done")
    with pytest.raises(Conflict):
        rules.next_troubleshooting_node(TS_STRUCTURE, "s_done", "s_done", None)


def test_ticking_order_free_and_first_unticked() -> None:
    assert rules.first_unticked(PROC_STRUCTURE, {"st_backup"}) == "st_notify"
    assert rules.first_unticked(PROC_STRUCTURE, {"st_notify"}) == "st_backup"
    assert rules.first_unticked(PROC_STRUCTURE, {"st_backup", "st_notify", "st_upgrade"}) is None


def test_back_target() -> None:
    hist = [{"node_id": "q_power"}, {"node_id": "a_reboot"}]
    assert rules.back_target(hist, None) == ([{"node_id": "q_power"}], "a_reboot")
    assert rules.back_target(hist, "q_power") == ([], "q_power")
    with pytest.raises(Conflict):
        rules.back_target([], None)
    with pytest.raises(Conflict):
        rules.back_target(hist, "s_power")


def _ids(structure: dict) -> list[str]:
    return [n["id"] for n in structure["nodes"]]


def test_save_as_flow_places_custom_steps_after_anchor() -> None:
    history = [{"node_id": "q_power", "answer": "Yes"}, {"node_id": "a_reboot", "answer": "done"}]
    customs = [
        {"type": "action", "content": "Check Meraki dashboard", "inserted_after_node_id": "q_power"},
        {"type": "action", "content": "Ping gateway", "notes": "ok", "inserted_after_node_id": "q_power"},
        {"type": "action", "content": "Tell user", "inserted_after_node_id": "s_done"},
        {"type": "action", "content": "Old step without anchor"},
    ]
    flow = rules.build_flow_from_session("troubleshooting", TS_STRUCTURE, history, "s_done", customs)
    nodes = {n["id"]: n for n in flow["nodes"]}
    order = _ids(flow)
    assert order[0] == "q_power"
    assert flow["start_node_id"] == "q_power"
    assert [nodes[i]["title"] for i in order] == [
        "Is the AP powered?",
        "Check Meraki dashboard",
        "Ping gateway",
        "Reboot the AP",
        "Tell user",
        "Old step without anchor",
        "AP back online",
    ]
    assert nodes["q_power"]["options"] == [{"label": "Yes", "next": order[1]}]
    assert nodes[order[1]]["next"] == order[2]
    assert nodes[order[2]]["next"] == "a_reboot"
    assert "Notes: ok" in nodes[order[2]]["description"]
    assert nodes["a_reboot"]["next"] == order[4]
    assert nodes["s_done"]["type"] == "solution"
    assert "next" not in nodes["s_done"]
    assert nodes["a_reboot"]["commands"][0]["code"] == "ssh ap1 reboot"
    assert "s_power" not in nodes  # only the path taken


def test_save_as_flow_unfinished_path_gets_an_end() -> None:
    flow = rules.build_flow_from_session(
        "troubleshooting", TS_STRUCTURE, [{"node_id": "q_power", "answer": "Yes"}], "a_reboot", []
    )
    assert [n["type"] for n in flow["nodes"]] == ["decision", "action", "solution"]


def test_save_as_flow_repeated_visit_gets_unique_ids() -> None:
    history = [{"node_id": "q_power", "answer": "Yes"}, {"node_id": "q_power", "answer": "No"}]
    flow = rules.build_flow_from_session("troubleshooting", TS_STRUCTURE, history, "s_power", [])
    ids = _ids(flow)
    assert len(ids) == len(set(ids)) == 3


def test_save_as_flow_procedure() -> None:
    customs = [
        {"type": "action", "content": "Check UPS", "inserted_after_node_id": "st_backup"},
        {"type": "action", "content": "Loose"},
    ]
    flow = rules.build_flow_from_session("procedural", PROC_STRUCTURE, [], None, customs)
    titles = [s["title"] for s in flow["steps"]]
    assert titles.index("Check UPS") == titles.index("Back up the config") + 1
    assert titles.index("Loose") == titles.index("Done") - 1
    assert all(s["type"] == "procedure_step" for s in flow["steps"] if s["title"] in ("Check UPS", "Loose"))
