"""Automations inside troubleshooting sessions: link, pre-fill, run, attach, share, analytics, library sync,
unpublished."""

from __future__ import annotations

import pytest

from resolutionflow_app.domain.errors import Conflict, InvalidInput
from resolutionflow_app.domain.session_automation import prefill_form, result_text
from resolutionflow_app.services import analytics as analytics_service
from resolutionflow_app.services import automations as automations_service
from resolutionflow_app.services import library_search
from resolutionflow_app.services import session_automations as service
from resolutionflow_app.services import sessions as sessions_service
from resolutionflow_app.services import shares as shares_service
from resolutionflow_app.services import trees as trees_service
from tests.automation_helpers import (
    ScriptedProvider,
    deps_for,
    inline,
    make_automation,
    make_model,
    make_team,
    run_now,
)
from tests.tree_helpers import troubleshooting

FORM = [
    {"id": "Flow name", "label": "Flow name", "type": "text"},
    {"id": "Is the AP powered?", "label": "Is the AP powered?", "type": "select", "options": ["Yes", "No"]},
    {"id": "Ticket", "label": "Ticket", "type": "text", "required": True},
]


def _setup(session, *, publish: bool = True):
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(
        session,
        team.author,
        [
            {
                "step_order": 1,
                "assistant": inline(model, "Secret prompt {{flow_input.Ticket}}"),
                "input_source": "flow_input",
            }
        ],
        form_schema=FORM,
        name="Open a ticket",
    )
    if publish:
        automations_service.publish_automation(session=session, actor=team.author, automation_id=auto.id)
    structure = troubleshooting()
    structure["nodes"][1]["automation_id"] = str(auto.id)
    tree = trees_service.create_tree(
        session=session, actor=team.author, name="Wi-Fi AP down", tree_type="troubleshooting", tree_structure=structure
    )
    trees_service.update_tree(session=session, actor=team.author, tree_id=tree.id, changes={"status": "published"})
    live = sessions_service.start_session(session=session, actor=team.engineer, tree_id=tree.id)
    live = sessions_service.advance(
        session=session, actor=team.engineer, session_id=live.id, node_id="q_power", answer="Yes"
    )
    return team, auto, tree, live


def test_prefill_matches_ids_and_labels_without_case_or_spacing() -> None:
    values = prefill_form(
        FORM + [{"id": "photo", "type": "image"}, {"id": "Count", "type": "number"}],
        {"flow_name": "Wi-Fi", "answers": {"Is the AP powered?": "Yes", "Count": "many"}, "notes": "n"},
    )
    assert values == {"Flow name": "Wi-Fi", "Is the AP powered?": "Yes"}
    assert result_text("failed", None, "boom").startswith("The automation failed: boom")
    assert result_text("running", None, None) == ""


def test_run_from_a_session_attaches_the_result_and_the_share_shows_outputs_only(session) -> None:
    team, auto, _tree, live = _setup(session)
    assert live.current_automation == {
        "automation_id": str(auto.id),
        "name": "Open a ticket",
        "available": True,
        "reason": "",
    }
    offer = service.node_automation(session=session, actor=team.engineer, session_id=live.id)
    assert {f.id: f.value for f in offer.fields} == {
        "Flow name": "Wi-Fi AP down",
        "Is the AP powered?": "Yes",
        "Ticket": "",
    }
    with pytest.raises(InvalidInput, match="Ticket is required"):
        service.run_from_session(
            session=session, actor=team.engineer, session_id=live.id, node_id="a_reboot", form_data={"Flow name": "x"}
        )
    with pytest.raises(InvalidInput, match="does not link"):
        service.run_from_session(
            session=session, actor=team.engineer, session_id=live.id, node_id="q_power", form_data={"Ticket": "T-1"}
        )
    dto, run_id = service.run_from_session(
        session=session, actor=team.engineer, session_id=live.id, node_id="a_reboot", form_data={"Ticket": "T-42"}
    )
    step = dto.custom_steps[-1]
    assert step["source"] == "automation"
    assert step["automation_run_id"] == run_id
    assert step["inserted_after_node_id"] == "a_reboot"
    assert dto.current_node_id == "a_reboot"
    # Still running: attaching is a no-op and the view says it runs.
    assert (
        service.attach_result(session=session, actor=team.engineer, session_id=live.id, run_id=run_id).custom_steps[-1][
            "content"
        ]
        == ""
    )
    session.commit()  # the runner works in its own transactions
    assert run_now(run_id, deps_for(ScriptedProvider(answer="Ticket T-42 opened for the AP"))) == "completed"
    session.expire_all()
    # Before anyone attaches it, every view already reads the finished run.
    assert (
        sessions_service.get_session(session=session, actor=team.engineer, session_id=live.id).custom_steps[-1][
            "content"
        ]
        == "Ticket T-42 opened for the AP"
    )
    attached = service.attach_result(session=session, actor=team.engineer, session_id=live.id, run_id=run_id)
    assert attached.custom_steps[-1]["content"] == "Ticket T-42 opened for the AP"
    assert attached.custom_steps[-1]["run_status"] == "completed"
    row = sessions_service.readable_row(session=session, actor=team.engineer, session_id=live.id)
    shared = shares_service.session_view(row, "Eve", session=session)
    assert shared["custom_steps"][-1]["content"] == "Ticket T-42 opened for the AP"
    assert shared["custom_steps"][-1]["source"] == "automation"
    assert "Secret prompt" not in str(shared)
    stats = analytics_service.automations_in_sessions(session=session, actor=team.owner)
    assert stats == [
        {"automation_id": str(auto.id), "name": "Open a ticket", "runs": 1, "completed": 1, "failed": 0, "sessions": 1}
    ]


def test_an_unpublished_automation_is_said_clearly_and_cannot_run(session) -> None:
    team, auto, _tree, live = _setup(session)
    automations_service.unpublish_automation(session=session, actor=team.author, automation_id=auto.id)
    again = sessions_service.get_session(session=session, actor=team.engineer, session_id=live.id)
    assert again.current_automation["available"] is False
    assert "not published" in again.current_automation["reason"]
    with pytest.raises(Conflict, match="not published"):
        service.run_from_session(
            session=session, actor=team.engineer, session_id=live.id, node_id="a_reboot", form_data={"Ticket": "T-1"}
        )
    automations_service.delete_automation(session=session, actor=team.author, automation_id=auto.id)
    gone = sessions_service.get_session(session=session, actor=team.engineer, session_id=live.id)
    assert "no longer exists" in gone.current_automation["reason"]


def test_links_are_checked_where_flows_are_stored_and_the_library_carries_them(session) -> None:
    team, auto, tree, _live = _setup(session)
    other = make_team(session)
    structure = troubleshooting()
    structure["nodes"][1]["automation_id"] = str(auto.id)
    with pytest.raises(InvalidInput, match="Reboot the AP.*not found"):
        trees_service.create_tree(
            session=session, actor=other.author, name="Copy", tree_type="troubleshooting", tree_structure=structure
        )
    steps, _ = library_search.list_steps(session=session, actor=team.engineer, source_tree_id=tree.id)
    reboot = next(s for s in steps if s.source_node_id == "a_reboot")
    assert reboot.content["automation_id"] == str(auto.id)
    assert "automation_id" not in next(s for s in steps if s.source_node_id == "s_done").content
    trees_service.update_tree(session=session, actor=team.author, tree_id=tree.id, changes={"is_public": True})
    fork = trees_service.fork_tree(session=session, actor=other.author, tree_id=tree.id)
    assert all(
        "automation_id" not in n for n in fork.tree_structure["nodes"]
    )  # another account's automation is not linked
