"""Execution hash (cosmetic vs execution changes), resume plans and the graph builder."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from resolutionflow_app.domain.automation_graph import build_graph
from resolutionflow_app.domain.execution_hash import (
    definition_checksum,
    definition_hashes,
    step_execution_hash,
)
from resolutionflow_app.domain.resume import plan_resume

STEP = {
    "step_order": 1,
    "user_description": "Analyse",
    "assistant_id": "a1",
    "assistant": {"prompt": "Summarise", "model_id": "m1"},
    "input_source": "flow_input",
    "input_type": "any",
    "output_mode": "pass_through",
    "output_type": "text",
    "input_config": None,
    "output_config": None,
    "output_classification_override": None,
    "mcp_policy": "inherit",
    "mcp_tool_ids": [],
}


def changed(**kw) -> dict:
    s = copy.deepcopy(STEP)
    for k, v in kw.items():
        if k in ("prompt", "model_id"):
            s["assistant"][k] = v
        else:
            s[k] = v
    return s


def test_cosmetic_edits_keep_the_hash() -> None:
    assert step_execution_hash(changed(user_description="Analyse (fixed typo)")) == step_execution_hash(STEP)
    assert step_execution_hash(changed(input_config={"headers_encrypted": "random-ciphertext"})) == step_execution_hash(
        changed(input_config={"headers_encrypted": "other"})
    )


def test_execution_changes_change_the_hash() -> None:
    base = step_execution_hash(STEP)
    for kw in (
        {"prompt": "Other"},
        {"model_id": "m2"},
        {"input_config": {"url": "https://x"}},
        {"output_mode": "http_post"},
        {"output_type": "json"},
        {"output_classification_override": 1},
        {"assistant_id": "a2"},
        {"input_source": "http_get"},
    ):
        assert step_execution_hash(changed(**kw)) != base, kw


def test_restricted_allowlist_is_part_of_the_hash_order_independent() -> None:
    a = changed(mcp_policy="restricted", mcp_tool_ids=["t1", "t2"])
    b = changed(mcp_policy="restricted", mcp_tool_ids=["t2", "t1"])
    c = changed(mcp_policy="restricted", mcp_tool_ids=["t1"])
    assert step_execution_hash(a) == step_execution_hash(b) != step_execution_hash(c)


def test_checksum_ignores_ciphertext_but_sees_edits() -> None:
    d1 = {"name": "x", "steps": [changed(input_config={"url": "u", "headers_encrypted": "c1"})]}
    d2 = {"name": "x", "steps": [changed(input_config={"url": "u", "headers_encrypted": "c2"})]}
    assert definition_checksum(d1) == definition_checksum(d2)
    assert definition_checksum(d1) != definition_checksum({**d1, "name": "y"})


def _defn(n: int) -> dict:
    return {"steps": [changed(step_order=i, prompt=f"p{i}") for i in range(1, n + 1)]}


def test_resume_from_first_failed_step_when_upstream_unchanged() -> None:
    hashes = definition_hashes(_defn(3))
    plan = plan_resume([1, 2, 3], hashes, {1: ("completed", hashes[1]), 2: ("failed", hashes[2])})
    assert plan.start_step == 2
    assert plan.keep == (1,)


def test_resume_from_step_one_when_upstream_hash_changed() -> None:
    old = definition_hashes(_defn(3))
    new = {**old, 1: "different"}
    assert plan_resume([1, 2, 3], new, {1: ("completed", old[1]), 2: ("failed", old[2])}).start_step == 1


def test_change_downstream_of_the_failure_keeps_the_resume_point() -> None:
    old = definition_hashes(_defn(3))
    new = {**old, 3: "different"}
    assert plan_resume([1, 2, 3], new, {1: ("completed", old[1]), 2: ("failed", old[2])}).start_step == 2


def test_topology_change_restarts_from_step_one() -> None:
    old = definition_hashes(_defn(2))
    new = definition_hashes(_defn(3))
    assert plan_resume([1, 2], new, {1: ("completed", old[1]), 2: ("failed", old[2])}).start_step == 1


def test_graph_nodes_edges_and_run_enrichment() -> None:
    d = {
        "name": "Intake",
        "form_schema": [{"id": "namn", "type": "text"}],
        "steps": [
            changed(step_order=1),
            changed(step_order=2, input_source="previous_step", output_mode="http_post", user_description="Send"),
            changed(step_order=3, input_source="all_previous_steps", model_id="m2"),
        ],
    }
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    g = build_graph(
        d,
        model_names={"m1": "GPT", "m2": "Local"},
        model_levels={"m1": 1, "m2": 2},
        results={
            1: {
                "status": "completed",
                "started_at": t0,
                "finished_at": t0 + timedelta(milliseconds=2300),
                "num_tokens_input": 10,
                "num_tokens_output": 5,
                "error_message": None,
            },
            2: {"status": "failed", "started_at": t0, "finished_at": t0, "error_message": "boom"},
        },
        run_status="failed",
    )
    nodes = {n["id"]: n for n in g["nodes"]}
    assert list(nodes) == ["input", "step_1", "step_2", "step_3", "output"]
    assert nodes["input"]["fields"] == ["namn"]
    assert nodes["step_1"]["model"] == "GPT"
    assert nodes["step_1"]["classification"] == 1
    assert nodes["step_1"]["duration_ms"] == 2300
    assert nodes["step_1"]["tokens_input"] == 10
    assert nodes["step_1"]["tokens_output"] == 5
    assert nodes["step_1"]["status"] == "completed"
    assert nodes["step_2"]["label"] == "Send"
    assert nodes["step_2"]["has_webhook"]
    assert nodes["step_2"]["error"] == "boom"
    assert nodes["step_3"]["status"] == "skipped"
    edges = {(e["source"], e["target"]): e for e in g["edges"]}
    assert ("input", "step_1") in edges
    assert ("step_1", "step_2") in edges
    assert edges[("step_1", "step_3")]["style"] == "dashed"
    assert ("step_2", "step_3") in edges
    assert ("input", "step_3") in edges
    assert ("step_3", "output") in edges
