"""Sessions service: starting, walking, ticking, notes, custom steps (seed "Custom Steps Tests"), completion,
permissions."""

from __future__ import annotations

import functools

import pytest
from sqlmodel import Session, select

from resolutionflow_app.db.models import (
    LibraryStep,
    SessionShare,
    SessionShareView,
    StepUsageLog,
    SupportSession,
)
from resolutionflow_app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from resolutionflow_app.services import library as lib
from resolutionflow_app.services import sessions as svc
from tests.factories import make_account, make_user
from tests.library_helpers import make_step, make_tree, old_style_session
from tests.threads import run_concurrently


@pytest.fixture
def team(session):
    acct = make_account(session)
    author = make_user(session, acct, role="author")
    engineer = make_user(session, acct, role="engineer")
    colleague = make_user(session, acct, role="engineer")
    outsider = make_user(session, make_account(session, "Other"), role="owner")
    tree = make_tree(session, author)
    return author, engineer, colleague, outsider, tree


def test_start_only_published_visible_active(session, team) -> None:
    author, engineer, _, outsider, tree = team
    started = svc.start_session(session=session, actor=engineer, tree_id=tree.id)
    assert (started.status, started.current_node_id, started.history, started.custom_steps, started.outcome) == (
        "in_progress",
        "q_power",
        [],
        [],
        None,
    )
    assert started.current_node["title"] == "Is the AP powered?"
    assert started.can_edit
    draft = make_tree(session, author, status="draft")
    with pytest.raises(Conflict):
        svc.start_session(session=session, actor=engineer, tree_id=draft.id)
    inactive = make_tree(session, author, is_active=False)
    with pytest.raises(Conflict):
        svc.start_session(session=session, actor=engineer, tree_id=inactive.id)
    with pytest.raises(NotFound):
        svc.start_session(session=session, actor=outsider, tree_id=tree.id)
    public = make_tree(session, author, is_public=True)
    assert svc.start_session(session=session, actor=outsider, tree_id=public.id).tree_id == public.id
    with pytest.raises(NotFound):
        svc.start_session(session=session, actor=engineer, tree_id="nope")


def test_walk_to_solution_with_notes_back_and_complete(session, team) -> None:
    _, engineer, _, _, tree = team
    s = svc.start_session(session=session, actor=engineer, tree_id=tree.id)
    s = svc.set_notes(session=session, actor=engineer, session_id=s.id, node_id="q_power", notes="LED is green")
    assert s.current_notes == "LED is green"
    assert s.history == []
    s = svc.advance(session=session, actor=engineer, session_id=s.id, node_id="q_power", answer="Yes")
    assert s.current_node_id == "a_reboot"
    assert [(h["node_id"], h["answer"], h["notes"]) for h in s.history] == [("q_power", "Yes", "LED is green")]
    assert s.history[0]["at"]
    assert s.history[0]["title"] == "Is the AP powered?"
    with pytest.raises(Conflict):
        svc.advance(session=session, actor=engineer, session_id=s.id, node_id="q_power", answer="Yes")
    s = svc.advance(session=session, actor=engineer, session_id=s.id, node_id="a_reboot", notes="rebooted")
    assert s.current_node_id == "s_done"
    s = svc.back(session=session, actor=engineer, session_id=s.id)
    assert s.current_node_id == "a_reboot"
    assert len(s.history) == 1
    s = svc.back(session=session, actor=engineer, session_id=s.id, to_node_id="q_power")
    assert s.current_node_id == "q_power"
    assert s.history == []
    with pytest.raises(InvalidInput):
        svc.advance(session=session, actor=engineer, session_id=s.id, node_id="q_power", answer="Perhaps")
    s = svc.advance(session=session, actor=engineer, session_id=s.id, node_id="q_power", answer="No")
    assert s.current_node_id == "s_power"
    with pytest.raises(Conflict):
        svc.advance(session=session, actor=engineer, session_id=s.id, node_id="s_power")
    s = svc.complete_session(
        session=session, actor=engineer, session_id=s.id, outcome="resolved", summary="PoE injector replaced"
    )
    assert (s.status, s.outcome, s.summary) == ("completed", "resolved", "PoE injector replaced")
    assert s.completed_at
    with pytest.raises(Conflict):
        svc.back(session=session, actor=engineer, session_id=s.id)
    with pytest.raises(Conflict):
        svc.complete_session(session=session, actor=engineer, session_id=s.id, outcome="resolved")


def test_bad_outcome_rejected(session, team) -> None:
    _, engineer, _, _, tree = team
    s = svc.start_session(session=session, actor=engineer, tree_id=tree.id)
    with pytest.raises(InvalidInput):
        svc.complete_session(session=session, actor=engineer, session_id=s.id, outcome="meh")
    assert svc.get_session(session=session, actor=engineer, session_id=s.id).status == "in_progress"


def test_procedure_ticking(session, team) -> None:
    author, engineer, _, _, _ = team
    proc = make_tree(session, author, tree_type="procedural", name="Firmware upgrade")
    s = svc.start_session(session=session, actor=engineer, tree_id=proc.id)
    assert s.current_node_id == "st_backup"
    assert s.progress == {"done": 0, "total": 3}
    assert [st["section"] for st in s.steps if st["type"] == "procedure_step"] == [
        "Preparation",
        "Preparation",
        "Upgrade",
    ]
    s = svc.advance(session=session, actor=engineer, session_id=s.id, node_id="st_notify")
    assert s.current_node_id == "st_backup"
    assert s.progress["done"] == 1
    with pytest.raises(InvalidInput):
        svc.advance(session=session, actor=engineer, session_id=s.id, node_id="sec_prep")
    s = svc.advance(session=session, actor=engineer, session_id=s.id, node_id="st_backup", notes="saved")
    s = svc.advance(session=session, actor=engineer, session_id=s.id, node_id="st_backup")  # idempotent
    assert s.progress["done"] == 2
    assert s.current_node_id == "st_upgrade"
    s = svc.advance(session=session, actor=engineer, session_id=s.id, node_id="st_upgrade")
    assert s.current_node_id is None
    assert s.progress == {"done": 3, "total": 3}
    assert all(st["done"] for st in s.steps if st["type"] == "procedure_step")
    s = svc.back(session=session, actor=engineer, session_id=s.id)
    assert s.current_node_id == "st_upgrade"
    assert s.progress["done"] == 2


def test_permissions_members_read_only_starter_changes(session, team) -> None:
    _, engineer, colleague, outsider, tree = team
    s = svc.start_session(session=session, actor=engineer, tree_id=tree.id)
    seen = svc.get_session(session=session, actor=colleague, session_id=s.id)
    assert seen.id == s.id
    assert seen.can_edit is False
    calls = [
        lambda a: svc.advance(session=session, actor=a, session_id=s.id, node_id="q_power", answer="Yes"),
        lambda a: svc.back(session=session, actor=a, session_id=s.id),
        lambda a: svc.add_custom_step(session=session, actor=a, session_id=s.id, type="action", content="x"),
        lambda a: svc.complete_session(session=session, actor=a, session_id=s.id, outcome="resolved"),
        lambda a: svc.set_notes(session=session, actor=a, session_id=s.id, node_id="q_power", notes="x"),
        lambda a: svc.delete_session(session=session, actor=a, session_id=s.id),
    ]
    for call in calls:
        with pytest.raises(Forbidden):
            call(colleague)
        with pytest.raises(NotFound):
            call(outsider)
    with pytest.raises(NotFound):
        svc.get_session(session=session, actor=outsider, session_id=s.id)


def test_list_sessions_filters(session, team) -> None:
    author, engineer, colleague, outsider, tree = team
    a = svc.start_session(session=session, actor=engineer, tree_id=tree.id)
    svc.start_session(session=session, actor=colleague, tree_id=tree.id)
    svc.start_session(session=session, actor=outsider, tree_id=make_tree(session, outsider).id)
    svc.complete_session(session=session, actor=engineer, session_id=a.id, outcome="escalated")
    assert svc.list_sessions(session=session, actor=engineer)[1] == 1
    assert svc.list_sessions(session=session, actor=engineer, scope="account")[1] == 2
    assert svc.list_sessions(session=session, actor=engineer, scope="account", outcome="escalated")[1] == 1
    assert svc.list_sessions(session=session, actor=engineer, scope="account", status="in_progress")[1] == 1
    assert svc.list_sessions(session=session, actor=engineer, scope="account", tree_id=str(tree.id))[1] == 2
    assert (
        svc.list_sessions(
            session=session, actor=engineer, scope="account", date_from="2000-01-01", date_to="2000-01-02"
        )[1]
        == 0
    )
    assert svc.list_sessions(session=session, actor=engineer, scope="account", date_from="2000-01-01")[1] == 2
    with pytest.raises(InvalidInput):
        svc.list_sessions(session=session, actor=engineer, date_from="yesterday")


# --- seed "Custom Steps Tests" ------------------------------------------------------------


def test_old_session_loads_without_error(session, team) -> None:
    _, engineer, colleague, _, tree = team
    row = old_style_session(
        session,
        engineer,
        tree,
        [{"type": "action", "content": "Check Meraki dashboard for AP status", "notes": "Found AP offline"}],
    )
    got = svc.get_session(session=session, actor=colleague, session_id=row.id)
    step = got.custom_steps[0]
    assert step["content"] == "Check Meraki dashboard for AP status"
    assert step["source"] == "ad-hoc"
    assert step["source_step_id"] is None
    assert step["inserted_at"] is None
    assert step["inserted_after_node_id"] is None
    s = svc.add_custom_step(session=session, actor=engineer, session_id=row.id, type="action", content="New one")
    assert len(s.custom_steps) == 2


def test_library_insert_populates_source_logs_and_counts(session, team) -> None:
    author, engineer, _, _, tree = team
    step = make_step(session, author, title="Verify DNS configuration", instructions="nslookup dc01")
    s = svc.start_session(session=session, actor=engineer, tree_id=tree.id)
    s = svc.add_custom_step(
        session=session,
        actor=engineer,
        session_id=s.id,
        type="action",
        source="step-library",
        source_step_id=str(step.id),
        notes="DNS ok",
    )
    custom = s.custom_steps[0]
    assert custom["source"] == "step-library"
    assert custom["source_step_id"] == str(step.id)
    assert custom["content"] == "nslookup dc01"
    assert custom["notes"] == "DNS ok"
    assert custom["title"] == "Verify DNS configuration"
    assert custom["inserted_after_node_id"] == "q_power"
    assert custom["inserted_at"]
    assert custom["source_available"] is True
    logs = session.exec(select(StepUsageLog).where(StepUsageLog.step_id == step.id)).all()
    assert len(logs) == 1
    assert logs[0].session_id == s.id
    assert logs[0].user_id == engineer.id
    session.refresh(step)
    assert step.usage_count == 1


def test_same_step_twice_two_logs_count_plus_two(session, team) -> None:
    author, engineer, _, _, tree = team
    step = make_step(session, author, usage_count=3)
    s = svc.start_session(session=session, actor=engineer, tree_id=tree.id)
    for _ in range(2):
        s = svc.add_custom_step(
            session=session,
            actor=engineer,
            session_id=s.id,
            type="action",
            source="step-library",
            source_step_id=step.id,
            inserted_after_node_id="a_reboot",
        )
    assert len(s.custom_steps) == 2
    assert all(c["inserted_after_node_id"] == "a_reboot" for c in s.custom_steps)
    assert len(session.exec(select(StepUsageLog).where(StepUsageLog.step_id == step.id)).all()) == 2
    session.refresh(step)
    assert step.usage_count == 5


def test_deleted_step_reference_stays_orphaned(session, team) -> None:
    author, engineer, colleague, _, tree = team
    step = lib.create_step(
        session=session, actor=author, title="Temp", step_type="action", content={"instructions": "temp"}
    )
    s = svc.start_session(session=session, actor=engineer, tree_id=tree.id)
    svc.add_custom_step(
        session=session,
        actor=engineer,
        session_id=s.id,
        type="action",
        source="step-library",
        source_step_id=str(step.id),
    )
    lib.delete_step(session=session, actor=author, step_id=step.id)
    got = svc.get_session(session=session, actor=colleague, session_id=s.id)
    assert got.custom_steps[0]["source_step_id"] == str(step.id)
    assert got.custom_steps[0]["source_available"] is False
    with pytest.raises(Conflict):
        svc.add_custom_step(
            session=session,
            actor=engineer,
            session_id=s.id,
            type="action",
            source="step-library",
            source_step_id=str(step.id),
        )
    # Even a hard delete keeps the orphaned id in the session JSON.
    session.delete(session.get(LibraryStep, step.id))
    session.flush()
    got = svc.get_session(session=session, actor=engineer, session_id=s.id)
    assert got.custom_steps[0]["source_step_id"] == str(step.id)
    assert got.custom_steps[0]["source_available"] is False


def test_ad_hoc_step_source_and_validation(session, team) -> None:
    author, engineer, _, outsider, tree = team
    s = svc.start_session(session=session, actor=engineer, tree_id=tree.id)
    s = svc.add_custom_step(
        session=session,
        actor=engineer,
        session_id=s.id,
        type="action",
        content="Check Meraki dashboard",
        notes="AP offline",
    )
    c = s.custom_steps[0]
    assert (c["source"], c["source_step_id"], c["inserted_after_node_id"], c["content"]) == (
        "ad-hoc",
        None,
        "q_power",
        "Check Meraki dashboard",
    )
    for kwargs in (
        {"type": "banana", "content": "x"},
        {"type": "action", "content": "  "},
        {"type": "action", "content": "x", "source": "elsewhere"},
        {"type": "action", "content": "x", "inserted_after_node_id": "no_such_node"},
        {"type": "action", "source": "step-library"},
    ):
        with pytest.raises(InvalidInput):
            svc.add_custom_step(session=session, actor=engineer, session_id=s.id, **kwargs)
    private = make_step(session, outsider, visibility="private")
    with pytest.raises(NotFound):
        svc.add_custom_step(
            session=session,
            actor=engineer,
            session_id=s.id,
            type="action",
            source="step-library",
            source_step_id=private.id,
        )
    session.refresh(private)
    assert private.usage_count == 0
    assert len(svc.get_session(session=session, actor=engineer, session_id=s.id).custom_steps) == 1


def test_delete_session_cascades_shares(session, team) -> None:
    _, engineer, _, _, tree = team
    s = svc.start_session(session=session, actor=engineer, tree_id=tree.id)
    share = SessionShare(session_id=s.id, share_token="a" * 64, created_by=engineer.id)
    session.add(share)
    session.flush()
    session.add(SessionShareView(share_id=share.id))
    session.flush()
    svc.delete_session(session=session, actor=engineer, session_id=s.id)
    session.expire_all()
    assert session.get(SupportSession, s.id) is None
    assert session.exec(select(SessionShare)).all() == []
    assert session.exec(select(SessionShareView)).all() == []


def test_session_view_is_read_only(session, team) -> None:
    _, engineer, _, _, tree = team
    s = svc.start_session(session=session, actor=engineer, tree_id=tree.id)
    svc.add_custom_step(session=session, actor=engineer, session_id=s.id, type="action", content="typed")
    view = svc.read_only_view(session.get(SupportSession, s.id), session=session).model_dump(mode="json")
    assert "can_edit" not in view
    assert "account_id" not in view
    assert view["user_id"] == str(engineer.id)  # API.md's session fields, as the share answer carries them
    assert view["custom_steps"][0]["content"] == "typed"
    assert view["tree_name"] == "AP offline"
    assert isinstance(view["started_at"], str)


def test_concurrent_library_inserts_count_every_one(session, team, engine) -> None:
    author, engineer, _, _, tree = team
    step = make_step(session, author)
    sessions = [svc.start_session(session=session, actor=engineer, tree_id=tree.id) for _ in range(4)]
    session.commit()
    per_thread = 5

    def worker(target_id) -> None:
        for _ in range(per_thread):
            with Session(engine, expire_on_commit=False) as db:
                svc.add_custom_step(
                    session=db,
                    actor=engineer,
                    session_id=target_id,
                    type="action",
                    source="step-library",
                    source_step_id=step.id,
                )
                db.commit()

    # Two threads per session: the session row and the counter are both contended.
    workers = [functools.partial(worker, s.id) for s in sessions for _ in range(2)]
    assert run_concurrently(workers) == []
    session.expire_all()
    expected = len(workers) * per_thread
    assert session.get(LibraryStep, step.id).usage_count == expected
    assert len(session.exec(select(StepUsageLog).where(StepUsageLog.step_id == step.id)).all()) == expected
    assert sum(len(session.get(SupportSession, s.id).custom_steps) for s in sessions) == expected
