"""The builder's use cases and the typed definition: load, save (hidden assistants kept), new, duplicate, import, list
rows."""

from __future__ import annotations

import pytest

from resolutionflow_app.domain.automation_definition import (
    AutomationDefinition,
    FormField,
    field_id_from_label,
    variables_for_step,
)
from resolutionflow_app.domain.errors import BadRequest, Forbidden, InvalidInput
from resolutionflow_app.services import automation_builder as builder
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.services import automations as automations_service
from tests.automation_helpers import inline, make_automation, make_model, make_team


def test_load_and_save_round_trip_keeps_hidden_assistants(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id, level=2, name="Vision")
    auto = make_automation(
        session, team.author, [{"step_order": 1, "assistant": inline(model, "First"), "input_source": "flow_input"}]
    )
    view = builder.load_builder(session=session, actor=team.author, automation_id=auto.id)
    assert view.can_edit
    assert [m.name for m in view.models] == ["Vision"]
    assert view.models[0].security_level == 2
    doc = view.definition
    assistant_id = doc.steps[0].assistant_id
    doc.form_schema.append(FormField(id="Namn på brukare", label="Namn på brukare"))
    doc.steps[0] = doc.steps[0].model_copy(update={"prompt": "Hej {{Namn på brukare}}", "user_description": "Greet"})
    saved = builder.save_builder(session=session, actor=team.author, automation_id=auto.id, definition=doc)
    assert saved.steps[0].assistant["prompt"] == "Hej {{Namn på brukare}}"
    assert str(saved.steps[0].assistant_id) == assistant_id
    again = builder.load_builder(session=session, actor=team.author, automation_id=auto.id).definition
    assert again.form_schema[0].id == "Namn på brukare"
    assert again.steps[0].user_description == "Greet"
    automations_service.publish_automation(session=session, actor=team.author, automation_id=auto.id)
    engineer_view = builder.load_builder(session=session, actor=team.engineer, automation_id=auto.id)
    assert not engineer_view.can_edit
    assert engineer_view.published


def test_engineers_cannot_save_and_a_rule_names_the_step(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(
        session, team.author, [{"step_order": 1, "assistant": inline(model), "input_source": "flow_input"}]
    )
    doc = builder.load_builder(session=session, actor=team.author, automation_id=auto.id).definition
    with pytest.raises(Forbidden):
        builder.save_builder(session=session, actor=team.engineer, automation_id=auto.id, definition=doc)
    doc.steps.append(
        doc.steps[0].model_copy(
            update={"assistant_id": None, "input_source": "http_get", "input_config": {"url": "http://10.0.0.5/"}}
        )
    )
    with pytest.raises(InvalidInput, match=r"^Step 2: the HTTP input URL is not allowed"):
        builder.save_builder(session=session, actor=team.author, automation_id=auto.id, definition=doc)


def test_new_duplicate_import_and_list(session) -> None:
    team = make_team(session)
    with pytest.raises(InvalidInput, match="Add a model first"):
        builder.new_automation(session=session, actor=team.author)
    make_model(session, team.account_id)
    created = builder.new_automation(session=session, actor=team.author)
    assert created.name == "Untitled automation"
    assert len(created.steps) == 1
    copy = builder.duplicate_automation(session=session, actor=team.author, automation_id=created.id)
    assert copy.name == "Copy of Untitled automation"
    assert copy.steps[0].assistant_id != created.steps[0].assistant_id
    exported = automations_service.export_automation(session=session, actor=team.author, automation_id=created.id)
    exported["automation"]["steps"][0]["assistant"]["model_id"] = (
        "00000000-0000-0000-0000-000000000000"  # another team's model
    )
    imported = builder.import_automation(session=session, actor=team.author, document=exported)
    assert imported.steps[0].assistant["model_id"] == created.steps[0].assistant["model_id"]
    with pytest.raises(BadRequest):
        builder.import_automation(session=session, actor=team.author, document={"hello": "world"})
    runs_service.start_run(session=session, actor=team.author, automation_id=created.id, text="x")
    rows, total = builder.list_rows(session=session, actor=team.author)
    assert total == 3
    by_id = {r.id: r for r in rows}
    assert by_id[str(created.id)].last_run_status == "queued"
    assert by_id[str(copy.id)].last_run_status == ""
    assert by_id[str(created.id)].created_by == team.author.name
    assert by_id[str(created.id)].steps_count == 1


def test_typed_definition_helpers() -> None:
    doc = AutomationDefinition.from_api(
        {
            "name": "A",
            "form_schema": [{"id": "Personnummer", "type": "text"}, {"id": "step_1", "type": "text"}],
            "steps": [{"step_order": 2, "assistant": {"prompt": "b"}}, {"step_order": 1, "assistant": {"prompt": "a"}}],
        }
    )
    assert [s.prompt for s in doc.steps] == ["a", "b"]
    assert [s["step_order"] for s in doc.to_api()["steps"]] == [1, 2]
    tags = [t for t, _ in variables_for_step(doc, 1, {1: {"priority": "high", "a.b": 1}})]
    assert "{{Personnummer}}" in tags
    assert "{{step_1}}" not in tags
    assert "{{step_1.output.priority}}" in tags
    assert "{{step_1.output.a.b}}" not in tags
    assert variables_for_step(doc, 0)[-1][0] == "{{flow_input.step_1}}"
    assert field_id_from_label("  Namn.på {brukare} ", {"Namn på brukare"}) == "Namn på brukare 2"


def _server_with_tools(session, account_id, *names: str):
    from resolutionflow_app.db.models import MCPServer
    from resolutionflow_app.services import mcp_servers

    server = MCPServer(account_id=account_id, name="Ticket tools", url="https://93.184.216.34/mcp")
    session.add(server)
    session.flush()
    mcp_servers.sync_tools(session=session, row=server, tools=[{"name": n, "description": f"{n} tool"} for n in names])
    return server


def test_a_step_picks_mcp_servers_and_ticks_tools(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    server = _server_with_tools(session, team.account_id, "lookup", "delete_all")
    auto = make_automation(
        session, team.author, [{"step_order": 1, "assistant": inline(model), "input_source": "flow_input"}]
    )
    view = builder.load_builder(session=session, actor=team.author, automation_id=auto.id)
    assert [(s.name, [t.name for t in s.tools]) for s in view.mcp_servers] == [
        ("Ticket tools", ["delete_all", "lookup"])
    ]
    lookup = next(t.id for t in view.mcp_servers[0].tools if t.name == "lookup")
    doc = view.definition
    doc.steps[0] = doc.steps[0].model_copy(
        update={"mcp_server_ids": [str(server.id)], "mcp_policy": "restricted", "mcp_tool_ids": [lookup]}
    )
    builder.save_builder(session=session, actor=team.author, automation_id=auto.id, definition=doc)
    again = builder.load_builder(session=session, actor=team.author, automation_id=auto.id).definition.steps[0]
    assert again.mcp_server_ids == [str(server.id)]
    assert again.mcp_tool_ids == [lookup]
    assert again.mcp_policy == "restricted"
    # The runner offers exactly the ticked tool of the picked server.
    from resolutionflow_app.services.automation_runner import AutomationRunner

    definition = automations_service.current_definition(
        session, automations_service.get_row(session=session, account_id=team.account_id, automation_id=auto.id)
    )
    assert [t["name"] for t in AutomationRunner._load_tools(session, team.account_id, definition.steps[0])] == [
        "lookup"
    ]
    other = make_team(session)
    doc.steps[0] = doc.steps[0].model_copy(
        update={"mcp_server_ids": [str(_server_with_tools(session, other.account_id, "x").id)]}
    )
    with pytest.raises(InvalidInput, match=r"^Step 1: MCP server .* was not found"):
        builder.save_builder(session=session, actor=team.author, automation_id=auto.id, definition=doc)


def test_share_a_steps_assistant_and_use_it_in_another_automation(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id, name="Model A")
    auto = make_automation(
        session,
        team.author,
        [{"step_order": 1, "assistant": inline(model, "Summarise {{flow_input.text}}"), "input_source": "flow_input"}],
    )
    with pytest.raises(InvalidInput, match="name"):
        builder.share_step_assistant(session=session, actor=team.author, automation_id=auto.id, step_order=1, name="  ")
    with pytest.raises(Forbidden):
        builder.share_step_assistant(
            session=session, actor=team.engineer, automation_id=auto.id, step_order=1, name="Summariser"
        )
    shared = builder.share_step_assistant(
        session=session, actor=team.author, automation_id=auto.id, step_order=1, name="Summariser"
    )
    assert shared.name == "Summariser"
    assert shared.model_name == "Model A"
    assert shared.prompt.startswith("Summarise")
    first = builder.load_builder(session=session, actor=team.author, automation_id=auto.id).definition.steps[0]
    assert first.assistant_shared
    assert first.assistant_id == shared.id
    second = make_automation(
        session, team.author, [{"step_order": 1, "assistant": inline(model, "Other"), "input_source": "flow_input"}]
    )
    view = builder.load_builder(session=session, actor=team.author, automation_id=second.id)
    assert [a.name for a in view.assistants] == ["Summariser"]
    doc = view.definition
    doc.steps[0] = doc.steps[0].model_copy(
        update={"assistant_id": shared.id, "assistant_shared": True, "prompt": "ignored: edited on the assistant"}
    )
    saved = builder.save_builder(session=session, actor=team.author, automation_id=second.id, definition=doc)
    assert str(saved.steps[0].assistant_id) == shared.id
    assert saved.steps[0].assistant["prompt"].startswith("Summarise")
    # Duplicating keeps the shared assistant shared; the first automation still uses it too.
    copy = builder.duplicate_automation(session=session, actor=team.author, automation_id=second.id)
    assert str(copy.steps[0].assistant_id) == shared.id


def test_reordering_steps_keeps_each_steps_masked_header_values(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    steps = [
        {
            "step_order": i,
            "assistant": inline(model, f"p{i}"),
            "input_source": "http_get",
            "input_config": {
                "url": f"https://93.184.216.34/{i}",
                "headers": {"Authorization": f"Bearer secret-token-{i}"},
            },
        }
        for i in (1, 2)
    ]
    auto = make_automation(session, team.author, steps)
    doc = builder.load_builder(session=session, actor=team.author, automation_id=auto.id).definition
    assert doc.steps[0].input_config["headers"]["Authorization"].startswith("••••")
    assert "secret-token" not in doc.model_dump_json()
    doc.steps.reverse()
    builder.save_builder(session=session, actor=team.author, automation_id=auto.id, definition=doc)
    from resolutionflow_app.services import secrets_box

    rows = automations_service.step_rows(session, auto.id)
    assert [(r.input_config["url"][-1], secrets_box.open_headers(r.input_config)["Authorization"]) for r in rows] == [
        ("2", "Bearer secret-token-2"),
        ("1", "Bearer secret-token-1"),
    ]


def test_unpublish_and_a_new_webhook_secret(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(
        session, team.author, [{"step_order": 1, "assistant": inline(model), "input_source": "flow_input"}]
    )
    automations_service.publish_automation(session=session, actor=team.author, automation_id=auto.id)
    with pytest.raises(Forbidden):
        automations_service.unpublish_automation(session=session, actor=team.engineer, automation_id=auto.id)
    off = automations_service.unpublish_automation(session=session, actor=team.author, automation_id=auto.id)
    assert not off.published
    assert off.published_version == 1
    with pytest.raises(Forbidden):
        runs_service.start_run(session=session, actor=team.engineer, automation_id=auto.id, text="hi")
    again = automations_service.publish_automation(session=session, actor=team.author, automation_id=auto.id)
    assert again.published
    assert again.published_version == 1
    old = automations_service.webhook_secret(session=session, actor=team.author, automation_id=auto.id)
    with pytest.raises(Forbidden):
        automations_service.rotate_webhook_secret(session=session, actor=team.engineer, automation_id=auto.id)
    new = automations_service.rotate_webhook_secret(session=session, actor=team.author, automation_id=auto.id)
    assert new != old
    assert len(new) >= 24
    assert automations_service.webhook_secret(session=session, actor=team.author, automation_id=auto.id) == new
