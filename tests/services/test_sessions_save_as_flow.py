"""Save a completed session as a new draft flow (path taken + custom steps after their anchors)."""

from __future__ import annotations

import pytest

from resolutionflow_app.domain.errors import Forbidden
from resolutionflow_app.services import sessions as svc
from resolutionflow_app.services import trees as trees_service
from tests.factories import make_account, make_user
from tests.library_helpers import make_step, make_tree


def test_completed_troubleshooting_session_becomes_draft_flow(session) -> None:
    acct = make_account(session)
    author = make_user(session, acct, role="author")
    colleague = make_user(session, acct, role="author")
    tree = make_tree(session, author)
    step = make_step(session, author, title="Verify DNS", instructions="nslookup")
    s = svc.start_session(session=session, actor=author, tree_id=tree.id)
    svc.add_custom_step(session=session, actor=author, session_id=s.id, type="action", content="Check Meraki dashboard")
    s = svc.advance(session=session, actor=author, session_id=s.id, node_id="q_power", answer="Yes")
    svc.add_custom_step(
        session=session, actor=author, session_id=s.id, type="action", source="step-library", source_step_id=step.id
    )
    s = svc.advance(session=session, actor=author, session_id=s.id, node_id="a_reboot")
    # Contract tester: API.md sets no "completed" precondition; an unfinished session saves the path so far.
    unfinished = svc.save_as_flow(session=session, actor=author, session_id=s.id)
    assert unfinished.status == "draft"
    assert unfinished.tree_structure["nodes"][-1]["title"] == "AP back online"
    svc.complete_session(session=session, actor=author, session_id=s.id, outcome="resolved", summary="fixed")
    with pytest.raises(Forbidden):
        svc.save_as_flow(session=session, actor=colleague, session_id=s.id)
    flow = svc.save_as_flow(session=session, actor=author, session_id=s.id)
    assert flow.status == "draft"
    assert flow.id != tree.id
    assert flow.tree_type == "troubleshooting"
    nodes = flow.tree_structure["nodes"]
    assert [n["title"] for n in nodes] == [
        "Is the AP powered?",
        "Check Meraki dashboard",
        "Reboot the AP",
        "Verify DNS",
        "AP back online",
    ]
    by_id = {n["id"]: n for n in nodes}
    assert by_id["q_power"]["options"][0]["next"] == nodes[1]["id"]
    assert by_id[nodes[1]["id"]]["next"] == "a_reboot"
    assert by_id["a_reboot"]["next"] == nodes[3]["id"]
    assert trees_service.get_tree(session=session, actor=author, tree_id=flow.id).name.startswith("AP offline")
