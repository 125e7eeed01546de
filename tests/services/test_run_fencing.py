"""Fencing and orphans: a stale worker's writes are refused, orphans are taken over or cancelled at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from resolutionflow_app.db.models import AutomationRun, AutomationStepResult
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.services import automation_worker as worker
from resolutionflow_app.services.automation_runner import execute_run
from tests.automation_helpers import (
    ScriptedProvider,
    deps_for,
    inline,
    make_automation,
    make_model,
    make_team,
)


def _setup(session, steps=2):
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(
        session, team.author, [{"step_order": i, "assistant": inline(model, f"p{i}")} for i in range(1, steps + 1)]
    )
    run = runs_service.start_run(session=session, actor=team.author, automation_id=auto.id, text="t")
    session.commit()
    return team, run


def test_a_stale_worker_cannot_write_after_its_run_was_taken_over(session, engine) -> None:
    _, run = _setup(session)
    with Session(engine) as s:
        claim = worker.claim_run(session=s, worker_id="w1")
        s.commit()

    async def answer(call):  # while worker 1 is in its model call, another worker takes the run over
        with Session(engine) as s:
            s.execute(sa.update(AutomationRun).where(AutomationRun.id == run.id).values(lease_token="other-lease"))
            s.commit()
        return "late"

    provider = ScriptedProvider(answer=answer)
    assert asyncio.run(execute_run(run.id, deps=deps_for(provider), lease=claim.lease)) == ""
    session.expire_all()
    row = session.get(AutomationRun, run.id)
    assert row.status == "running"
    assert row.lease_token == "other-lease"
    assert [
        r.status
        for r in session.exec(
            select(AutomationStepResult).where(AutomationStepResult.automation_run_id == run.id)
        ).all()
    ] == ["running"]


def test_an_orphan_is_taken_over_once_and_a_live_run_is_not(session, engine) -> None:
    _, run = _setup(session)
    _, live = _setup(session)
    old = utcnow() - timedelta(minutes=5)
    session.execute(
        sa.update(AutomationRun)
        .where(AutomationRun.id == run.id)
        .values(status="running", heartbeat_at=old, lease_token="dead", worker_id="elsewhere:1:x")
    )
    session.execute(
        sa.update(AutomationRun)
        .where(AutomationRun.id == live.id)
        .values(status="running", heartbeat_at=utcnow(), lease_token="alive", worker_id="elsewhere:2:y")
    )
    session.commit()
    with Session(engine) as a, Session(engine) as b:
        first = worker.claim_run(session=a, worker_id="w1")
        a.commit()
        second = worker.claim_run(session=b, worker_id="w2")
        b.commit()
    assert first is not None
    assert first.run_id == run.id
    assert second is None
    provider = ScriptedProvider()
    assert asyncio.run(execute_run(run.id, deps=deps_for(provider), lease=first.lease)) == "completed"
    session.expire_all()
    assert session.get(AutomationRun, live.id).lease_token == "alive"


def test_cancel_of_an_orphaned_run_takes_effect_at_once(session) -> None:
    team, run = _setup(session)
    old = utcnow() - timedelta(minutes=5)
    session.execute(
        sa.update(AutomationRun)
        .where(AutomationRun.id == run.id)
        .values(status="running", heartbeat_at=old, lease_token="dead", worker_id="elsewhere:1:x")
    )
    session.add(AutomationStepResult(automation_run_id=run.id, step_order=1, status="running"))
    session.commit()
    dto = runs_service.cancel_run(session=session, actor=team.author, run_id=run.id)
    session.commit()
    assert dto.status == "cancelled"
    assert session.exec(
        select(AutomationStepResult.status).where(AutomationStepResult.automation_run_id == run.id)
    ).all() == ["cancelled"]
