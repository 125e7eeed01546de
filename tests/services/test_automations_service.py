"""Automation CRUD, hidden assistants, validation, publish/pinning, export, graph, models, files."""

from __future__ import annotations

import pytest
from sqlmodel import select

from resolutionflow_app.db.models import (
    Assistant,
    Automation,
    AutomationRun,
    AutomationStep,
    MCPServerTool,
)
from resolutionflow_app.domain.errors import Forbidden, InvalidInput, NotFound
from resolutionflow_app.services import assistants as assistants_service
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.services import automations as service
from resolutionflow_app.services import completion_models, mcp_servers
from resolutionflow_app.services import files as files_service
from tests.automation_helpers import inline, make_automation, make_model, make_team


def test_inline_steps_create_hidden_assistants_found_by_id_but_not_listed(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(
        session,
        team.author,
        [{"step_order": 1, "assistant": inline(model, "Summarise {{flow_input.text}}"), "input_source": "flow_input"}],
    )
    step = auto.steps[0]
    assert step.assistant["prompt"] == "Summarise {{flow_input.text}}"
    assert step.assistant["model_id"] == str(model.id)
    hidden = session.get(Assistant, step.assistant_id)
    assert hidden.hidden is True
    items, total = assistants_service.list_assistants(session=session, actor=team.author)
    assert total == 0
    assert items == []
    assert assistants_service.get_assistant(session=session, actor=team.author, assistant_id=step.assistant_id).hidden


def test_step_one_defaults_to_flow_input(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(
        session,
        team.author,
        [{"step_order": 1, "assistant": inline(model)}, {"step_order": 2, "assistant": inline(model)}],
    )
    assert [s.input_source for s in auto.steps] == ["flow_input", "previous_step"]


def test_put_with_assistant_id_and_inline_updates_the_hidden_assistant_in_place(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(session, team.author, [{"step_order": 1, "assistant": inline(model, "v1")}])
    aid = auto.steps[0].assistant_id
    updated = service.update_automation(
        session=session,
        actor=team.author,
        automation_id=auto.id,
        data={"steps": [{"step_order": 1, "assistant_id": str(aid), "assistant": inline(model, "v2")}]},
    )
    assert updated.steps[0].assistant_id == aid
    assert updated.steps[0].assistant["prompt"] == "v2"
    assert session.get(Assistant, aid).prompt == "v2"
    assert len(session.exec(select(Assistant).where(Assistant.account_id == team.account_id)).all()) == 1


def test_shared_assistant_can_be_linked_but_not_edited_inline(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    shared = assistants_service.create_assistant(
        session=session, actor=team.author, data={"name": "Shared", "prompt": "S", "model_id": model.id}
    )
    auto = make_automation(session, team.author, [{"step_order": 1, "assistant_id": str(shared.id)}])
    assert auto.steps[0].assistant["prompt"] == "S"
    with pytest.raises(InvalidInput, match="Step 1"):
        service.update_automation(
            session=session,
            actor=team.author,
            automation_id=auto.id,
            data={"steps": [{"step_order": 1, "assistant_id": str(shared.id), "assistant": inline(model, "x")}]},
        )


@pytest.mark.parametrize(
    "steps, fragment",
    [
        ([{"step_order": 1, "input_source": "previous_step"}], "Step 1"),
        ([{"step_order": 1}, {"step_order": 3}], "Step 2"),
        ([{"step_order": 1}, {"step_order": 1}], "Step 1"),
        ([{"step_order": 1, "output_type": "mp3"}], "Step 1"),
    ],
)
def test_rule_violations_name_the_step_and_save_nothing(session, steps, fragment) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    for s in steps:
        s["assistant"] = inline(model)
    with pytest.raises(InvalidInput) as err:
        make_automation(session, team.author, steps)
    assert fragment in err.value.message


def test_classification_rules_apply_at_create_time(session) -> None:
    team = make_team(session)
    low, high = make_model(session, team.account_id, level=0), make_model(session, team.account_id, level=2)
    with pytest.raises(InvalidInput, match="Step 2"):
        make_automation(
            session,
            team.author,
            [{"step_order": 1, "assistant": inline(high)}, {"step_order": 2, "assistant": inline(low)}],
        )
    with pytest.raises(InvalidInput, match="Step 1: cannot post level 2"):
        make_automation(
            session,
            team.author,
            [
                {
                    "step_order": 1,
                    "assistant": inline(high),
                    "output_mode": "http_post",
                    "output_config": {"url": "https://example.com/h"},
                }
            ],
        )


def test_engineers_cannot_write_and_other_accounts_see_nothing(session) -> None:
    team, other = make_team(session), make_team(session)
    model = make_model(session, team.account_id)
    with pytest.raises(Forbidden):
        make_automation(session, team.engineer, [{"step_order": 1, "assistant": inline(model)}])
    auto = make_automation(session, team.author, [{"step_order": 1, "assistant": inline(model)}])
    with pytest.raises(NotFound):
        service.get_automation(session=session, actor=other.owner, automation_id=auto.id)
    with pytest.raises(InvalidInput, match="model"):
        make_automation(session, other.owner, [{"step_order": 1, "assistant": inline(model)}])


def test_publish_pins_runs_and_edits_make_a_new_draft(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(session, team.author, [{"step_order": 1, "assistant": inline(model, "published prompt")}])
    with pytest.raises(Forbidden):
        runs_service.start_run(session=session, actor=team.engineer, automation_id=auto.id, text="x")
    pub = service.publish_automation(session=session, actor=team.author, automation_id=auto.id)
    assert pub.published
    assert pub.published_version == 1
    assert len(pub.published_checksum) == 64
    assert not pub.has_unpublished_changes
    aid = pub.steps[0].assistant_id
    draft = service.update_automation(
        session=session,
        actor=team.author,
        automation_id=auto.id,
        data={"steps": [{"step_order": 1, "assistant_id": str(aid), "assistant": inline(model, "draft prompt")}]},
    )
    assert draft.has_unpublished_changes
    assert draft.published_version == 1
    row = session.get(Automation, auto.id)
    assert row.published_definition["steps"][0]["assistant"]["prompt"] == "published prompt"
    eng_run = runs_service.start_run(session=session, actor=team.engineer, automation_id=auto.id, text="x")
    author_run = runs_service.start_run(session=session, actor=team.author, automation_id=auto.id, text="x")
    assert eng_run.status == "queued"
    assert eng_run.definition_version == 1
    assert session.get(AutomationRun, eng_run.id).definition["steps"][0]["assistant"]["prompt"] == "published prompt"
    assert session.get(AutomationRun, author_run.id).definition["steps"][0]["assistant"]["prompt"] == "draft prompt"
    assert author_run.definition_version == 0
    again = service.publish_automation(session=session, actor=team.author, automation_id=auto.id)
    assert again.published_version == 2
    assert again.published_checksum != pub.published_checksum
    assert service.publish_automation(session=session, actor=team.author, automation_id=auto.id).published_version == 2


def test_headers_are_encrypted_redacted_and_absent_from_export(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(
        session,
        team.author,
        [
            {
                "step_order": 1,
                "assistant": inline(model),
                "input_source": "http_get",
                "input_config": {
                    "url": "https://example.com/data",
                    "headers": {"Authorization": "Bearer supersecret-token"},
                },
            }
        ],
    )
    stored = session.exec(select(AutomationStep).where(AutomationStep.automation_id == auto.id)).one()
    assert "supersecret" not in str(stored.input_config)
    assert stored.input_config["headers_encrypted"]
    shown = auto.steps[0].input_config["headers"]["Authorization"]
    assert "supersecret" not in shown
    assert shown.startswith("••••")
    exported = service.export_automation(session=session, actor=team.author, automation_id=auto.id)
    text = str(exported)
    assert "supersecret" not in text
    assert "headers_encrypted" not in text
    assert "whsec_" not in text
    assert exported["automation"]["steps"][0]["input_config"]["header_names"] == ["Authorization"]
    assert exported["graph"]["nodes"][1]["has_http_input"] is True
    # Sending the redacted value back keeps the stored secret.
    before = stored.input_config["headers_fingerprint"]
    service.update_automation(
        session=session,
        actor=team.author,
        automation_id=auto.id,
        data={
            "steps": [
                {
                    "step_order": 1,
                    "assistant_id": str(auto.steps[0].assistant_id),
                    "input_source": "http_get",
                    "input_config": {"url": "https://example.com/data", "headers": {"Authorization": shown}},
                }
            ]
        },
    )
    again = session.exec(select(AutomationStep).where(AutomationStep.automation_id == auto.id)).one()
    assert again.input_config["headers_fingerprint"] == before


def test_graph_of_the_draft(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id, level=1, name="GPT")
    auto = make_automation(
        session,
        team.author,
        [
            {"step_order": 1, "assistant": inline(model)},
            {
                "step_order": 2,
                "assistant": inline(model),
                "input_source": "all_previous_steps",
                "user_description": "Merge",
            },
        ],
        form_schema=[{"id": "namn", "label": "Namn", "type": "text"}],
    )
    g = service.graph(session=session, actor=team.engineer, automation_id=auto.id)
    assert [n["id"] for n in g["nodes"]] == ["input", "step_1", "step_2", "output"]
    assert g["nodes"][2]["label"] == "Merge"
    assert g["nodes"][1]["model"] == "GPT"
    assert g["nodes"][1]["classification"] == 1


def test_models_are_owner_only_and_never_show_the_key(session) -> None:
    team = make_team(session)
    with pytest.raises(Forbidden):
        completion_models.create_model(
            session=session, actor=team.author, data={"name": "x", "provider": "offline", "model": "m"}
        )
    dto = completion_models.create_model(
        session=session,
        actor=team.owner,
        data={
            "name": "GPT",
            "provider": "openai_compatible",
            "base_url": "https://93.184.216.34/v1",
            "model": "gpt",
            "api_key": "sk-secret",
            "security_level": 1,
        },
    )
    assert dto.has_api_key
    assert "sk-secret" not in dto.model_dump_json()
    for bad in (
        "http://127.0.0.1:11434/v1",
        "http://169.254.169.254/",
        "file:///etc/passwd",
        "http://user:pw@93.184.216.34/",
    ):
        with pytest.raises(InvalidInput):
            completion_models.create_model(
                session=session,
                actor=team.owner,
                data={"name": "x", "provider": "openai_compatible", "base_url": bad, "model": "m"},
            )


def test_mcp_tools_sync_keeps_ids_and_restricted_policy_needs_allowlist(session) -> None:
    team = make_team(session)
    server = mcp_servers.create_server(
        session=session,
        actor=team.author,
        data={
            "name": "Tools",
            "url": "https://93.184.216.34/mcp",
            "headers": {"X-Key": "k-123456"},
            "tools": [{"name": "a"}, {"name": "b"}],
        },
    )
    assert "k-123456" not in server.model_dump_json()
    row = mcp_servers.get_row(session=session, account_id=team.account_id, server_id=server.id)

    async def fake_list(url, headers):
        assert headers == {"X-Key": "k-123456"}
        return [{"name": "a", "description": "A"}, {"name": "c"}]

    refreshed = mcp_servers.refresh_tools(session=session, actor=team.author, server_id=row.id, list_tools=fake_list)
    names = {t.name: t.id for t in refreshed.tools}
    assert set(names) == {"a", "c"}
    assert names["a"] == {t.name: t.id for t in server.tools}["a"]
    model = make_model(session, team.account_id)
    with pytest.raises(InvalidInput, match="Step 1"):
        make_automation(
            session, team.author, [{"step_order": 1, "assistant": inline(model), "mcp_policy": "restricted"}]
        )
    auto = make_automation(
        session,
        team.author,
        [{"step_order": 1, "assistant": inline(model), "mcp_policy": "restricted", "mcp_tool_ids": [str(names["a"])]}],
    )
    assert auto.steps[0].mcp_tool_ids == [names["a"]]
    assert session.get(MCPServerTool, names["c"]).is_enabled_by_default is True


def test_files_upload_and_account_scoping(session) -> None:
    team, other = make_team(session), make_team(session)
    f = files_service.upload(
        session=session, actor=team.engineer, name="../../notes.txt", content_type="text/plain", data=b"hello"
    )
    assert f.name == "notes.txt"
    assert f.size == 5
    assert files_service.get_file(session=session, actor=team.owner, file_id=f.id).data == b"hello"
    with pytest.raises(NotFound):
        files_service.get_file(session=session, actor=other.owner, file_id=f.id)


def test_run_input_is_checked_against_the_form_schema(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(
        session,
        team.author,
        [{"step_order": 1, "assistant": inline(model)}],
        form_schema=[
            {"id": "namn", "label": "Namn", "type": "text", "required": True},
            {"id": "bild", "label": "Bild", "type": "image"},
        ],
    )
    with pytest.raises(InvalidInput, match="Namn is required"):
        runs_service.start_run(session=session, actor=team.author, automation_id=auto.id, form_data={})
    with pytest.raises(InvalidInput, match="not found"):
        runs_service.start_run(
            session=session,
            actor=team.author,
            automation_id=auto.id,
            form_data={"namn": "A", "bild": "00000000-0000-0000-0000-000000000000"},
        )
    run = runs_service.start_run(session=session, actor=team.author, automation_id=auto.id, form_data={"namn": "Anna"})
    assert run.status == "queued"
    assert run.input_payload_json["form_data"] == {"namn": "Anna"}


def test_hidden_assistant_cleanup_deletes_only_orphans(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(session, team.author, [{"step_order": 1, "assistant": inline(model)}])
    used = auto.steps[0].assistant_id
    orphan = Assistant(account_id=team.account_id, name="orphan", prompt="", completion_model_id=model.id, hidden=True)
    visible = Assistant(
        account_id=team.account_id, name="visible", prompt="", completion_model_id=model.id, hidden=False
    )
    session.add_all([orphan, visible])
    session.flush()
    assert assistants_service.cleanup_hidden_assistants(session=session) == 1
    assert session.get(Assistant, used) is not None
    assert session.get(Assistant, visible.id) is not None
    session.expire_all()
    assert session.get(Assistant, orphan.id) is None
