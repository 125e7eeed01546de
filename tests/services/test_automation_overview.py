"""The overview tab's use cases: graph with or without a run, recent runs, the definition file."""

from __future__ import annotations

import json

import pytest

from resolutionflow_app.domain.errors import NotFound
from resolutionflow_app.services import automation_builder as builder
from resolutionflow_app.services import automation_overview as overview_service
from resolutionflow_app.services import automation_runs as runs_service
from tests.automation_helpers import inline, make_automation, make_model, make_team


def test_overview_with_and_without_a_run(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id, name="Offline")
    auto = make_automation(
        session,
        team.author,
        [
            {
                "step_order": 1,
                "assistant": inline(model),
                "input_source": "flow_input",
                "user_description": "Summarise",
            },
            {"step_order": 2, "assistant": inline(model), "input_source": "all_previous_steps"},
        ],
    )
    view = overview_service.overview(session=session, actor=team.engineer, automation_id=auto.id)
    assert [n["type"] for n in view.graph["nodes"]] == ["input", "llm", "llm", "output"]
    assert any(e.get("style") == "dashed" for e in view.graph["edges"])
    assert view.runs == []
    assert view.run_id == ""
    run = runs_service.start_run(session=session, actor=team.author, automation_id=auto.id, text="hi")
    with_run = overview_service.overview(session=session, actor=team.author, automation_id=auto.id, run_id=str(run.id))
    assert with_run.run_status == "queued"
    assert [r.id for r in with_run.runs] == [str(run.id)]
    assert {n.get("status") for n in with_run.graph["nodes"] if n["type"] == "llm"} == {"pending"}
    for bad in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(NotFound):
            overview_service.overview(session=session, actor=team.author, automation_id=auto.id, run_id=bad)
    other = make_team(session)
    with pytest.raises(NotFound):
        overview_service.overview(session=session, actor=other.author, automation_id=auto.id)


def test_definition_file_is_named_after_the_automation_and_reimports(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(
        session,
        team.author,
        [{"step_order": 1, "assistant": inline(model), "input_source": "flow_input"}],
        name="Nätverk / triage <x>",
    )
    filename, text = overview_service.definition_file(session=session, actor=team.author, automation_id=auto.id)
    assert filename == "Nätverk-triage-x.automation.json"
    copy = builder.import_automation(session=session, actor=team.author, document=json.loads(text))
    assert copy.name == "Nätverk / triage <x>"
    assert len(copy.steps) == 1
