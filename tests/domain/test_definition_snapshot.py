"""DefinitionSnapshot keeps the stored JSON (checksum and hashes of it); RecoveryMark reads and writes `_recovery`."""

from __future__ import annotations

import copy

from resolutionflow_app.domain.automation_definition import DefinitionSnapshot, RecoveryMark
from resolutionflow_app.domain.execution_hash import definition_checksum, definition_hashes

STORED = {
    "name": "Triage",
    "description": None,
    "form_schema": [{"id": "Host", "label": "Host", "type": "text", "required": True, "extra": 1}],
    "data_retention_days": None,
    "steps": [
        {
            "step_order": 2,
            "user_description": None,
            "assistant_id": "a2",
            "assistant": {"prompt": None, "model_id": "m1", "name": "Shared", "hidden": False},
            "input_source": "previous_step",
            "input_type": "any",
            "output_mode": None,
            "output_type": "",
            "mcp_policy": "inherit",
            "mcp_tool_ids": [],
        },
        {
            "step_order": 1,
            "user_description": "Look up",
            "assistant_id": "a1",
            "assistant": {"prompt": "Find {{Host}}", "model_id": "m1"},
            "input_source": "flow_input",
            "input_type": "any",
            "output_mode": "pass_through",
            "output_type": "json",
            "mcp_policy": "inherit",
            "mcp_tool_ids": [],
        },
    ],
}


def test_snapshot_keeps_the_stored_json_and_its_checksum() -> None:
    stored = copy.deepcopy(STORED)
    snap = DefinitionSnapshot.parse(stored)
    assert snap.to_json() == STORED
    assert snap.to_json() is not snap.to_json()  # a copy each time: writing it never aliases the row's JSON
    assert snap.checksum == definition_checksum(STORED)
    assert snap.hashes == definition_hashes(STORED)
    assert [s.step_order for s in snap.steps] == [1, 2]
    second = snap.steps[1]
    assert (second.assistant.prompt, second.output_mode, second.output_type) == ("", "pass_through", "text")
    assert (second.assistant.name, second.assistant.hidden) == ("Shared", False)
    assert snap.model_ids() == ["m1"]
    assert snap.form_schema == STORED["form_schema"]


def test_empty_definition() -> None:
    snap = DefinitionSnapshot.parse(None)
    assert (snap.steps, snap.form_schema, snap.to_json(), snap.model_ids()) == ([], [], {}, [])


def test_recovery_mark_rides_in_the_run_definition() -> None:
    assert RecoveryMark.of(None).count == 0
    assert RecoveryMark.of(STORED).count == 0
    marked = RecoveryMark(count=1, at="2026-01-01T00:00:00").onto(STORED)
    assert marked["_recovery"] == {"count": 1, "at": "2026-01-01T00:00:00"}
    assert "_recovery" not in STORED
    assert RecoveryMark.of(marked).count == 1
    snap = DefinitionSnapshot.parse(marked)  # a taken-over run still parses; the mark is not a step
    assert snap.to_json()["_recovery"]["count"] == 1
    assert len(snap.steps) == 2
    assert snap.hashes == DefinitionSnapshot.parse(STORED).hashes
