"""Worker: atomic claims, the loop, zombie recovery, retention, job registration."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from resolutionflow_app.db.models import AutomationRun, AutomationStepResult, StoredFile
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.services import automation_worker as worker
from resolutionflow_app.services import automations as automations_service
from resolutionflow_app.services.files import store_file
from tests.automation_helpers import (
    ScriptedProvider,
    deps_for,
    inline,
    make_automation,
    make_model,
    make_team,
)


def _setup(session, n_runs=1, steps=2):
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(
        session,
        team.author,
        [{"step_order": i, "assistant": inline(model, f"p{i}")} for i in range(1, steps + 1)],
        data_retention_days=7,
    )
    runs = [
        runs_service.start_run(session=session, actor=team.author, automation_id=auto.id, text=f"t{i}")
        for i in range(n_runs)
    ]
    session.commit()
    return team, auto, runs


def test_a_queued_run_is_claimed_exactly_once(session, engine) -> None:
    _, _, (run,) = _setup(session)
    with Session(engine) as a, Session(engine) as b:
        first = worker.claim_next_run(session=a, worker_id="w1")
        a.commit()
        second = worker.claim_next_run(session=b, worker_id="w2")
        b.commit()
    assert first == run.id
    assert second is None
    session.expire_all()
    row = session.get(AutomationRun, run.id)
    assert row.status == "running"
    assert row.worker_id == "w1"
    assert row.heartbeat_at is not None


def test_racing_workers_claim_each_queued_run_exactly_once(session, engine) -> None:
    """Eight threads, each its own connection, released together; on PostgreSQL too (RF_TEST_DB)."""
    _, _, runs = _setup(session, n_runs=12)
    barrier = threading.Barrier(8)
    claims: list[tuple[str, object]] = []
    lock = threading.Lock()

    def claim_all(name: str) -> None:
        barrier.wait()
        while True:
            with Session(engine) as own:
                got = worker.claim_next_run(session=own, worker_id=name)
                own.commit()
            if got is None:
                return
            with lock:
                claims.append((name, got))

    threads = [threading.Thread(target=claim_all, args=(f"w{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [rid for _, rid in claims]
    assert sorted(map(str, claimed)) == sorted(str(r.id) for r in runs)
    assert len(set(claimed)) == len(claimed) == 12
    session.expire_all()
    owners = {
        str(r.id): r.worker_id
        for r in session.exec(select(AutomationRun).where(AutomationRun.id.in_([r.id for r in runs]))).all()
    }
    assert all(owners[str(rid)] == name for name, rid in claims)


def test_worker_loop_executes_queued_runs(session) -> None:
    _, _, runs = _setup(session, n_runs=3)
    provider = ScriptedProvider()
    count = asyncio.run(
        worker.worker_loop(worker_id="w", concurrency=2, poll_seconds=0.01, deps=deps_for(provider), max_runs=3)
    )
    assert count == 3
    assert len(provider.calls) == 6
    session.expire_all()
    assert {session.get(AutomationRun, r.id).status for r in runs} == {"completed"}


def test_zombie_runs_are_requeued_then_failed(session, monkeypatch) -> None:
    _, _, (run,) = _setup(session)
    old = utcnow() - timedelta(hours=3)
    session.execute(
        sa.update(AutomationRun)
        .where(AutomationRun.id == run.id)
        .values(status="running", heartbeat_at=old, worker_id="dead")
    )
    session.add(AutomationStepResult(automation_run_id=run.id, step_order=1, status="running"))
    session.commit()
    fresh_team, _, (fresh,) = _setup(session)
    session.execute(
        sa.update(AutomationRun).where(AutomationRun.id == fresh.id).values(status="running", heartbeat_at=utcnow())
    )
    session.commit()
    assert worker.cleanup_zombie_runs(session=session) == 1
    session.commit()
    session.expire_all()
    row = session.get(AutomationRun, run.id)
    assert row.status == "queued"
    assert row.worker_id is None
    assert row.definition["_recovery"]["count"] == 1
    assert session.get(AutomationRun, fresh.id).status == "running"
    for _ in range(worker.MAX_RECOVERIES):
        session.execute(
            sa.update(AutomationRun).where(AutomationRun.id == run.id).values(status="running", heartbeat_at=old)
        )
        session.commit()
        worker.cleanup_zombie_runs(session=session)
        session.commit()
    session.expire_all()
    row = session.get(AutomationRun, run.id)
    assert row.status == "failed"
    assert "stopped responding" in row.error_message
    assert session.exec(
        select(AutomationStepResult.status).where(AutomationStepResult.automation_run_id == run.id)
    ).all() == ["failed"]


def test_retention_deletes_old_runs_and_their_generated_files(session) -> None:
    team, auto, (old_run, new_run) = _setup(session, n_runs=2)
    f_old = store_file(
        session=session,
        account_id=team.account_id,
        name="a.pdf",
        content_type="application/pdf",
        data=b"%PDF",
        automation_run_id=old_run.id,
    )
    f_new = store_file(
        session=session,
        account_id=team.account_id,
        name="b.pdf",
        content_type="application/pdf",
        data=b"%PDF",
        automation_run_id=new_run.id,
    )
    session.execute(sa.update(AutomationRun).values(status="completed"))
    session.execute(
        sa.update(AutomationRun).where(AutomationRun.id == old_run.id).values(created_at=utcnow() - timedelta(days=8))
    )
    session.add(AutomationStepResult(automation_run_id=old_run.id, step_order=1, status="completed"))
    session.commit()
    assert worker.cleanup_retention(session=session) == 1
    session.commit()
    session.expire_all()
    assert session.get(AutomationRun, old_run.id) is None
    assert session.get(StoredFile, f_old.id) is None
    assert session.get(AutomationRun, new_run.id) is not None
    assert session.get(StoredFile, f_new.id) is not None


def test_deleting_an_automation_removes_runs_and_files(session) -> None:
    team, auto, (run,) = _setup(session)
    f = store_file(
        session=session,
        account_id=team.account_id,
        name="a.pdf",
        content_type="application/pdf",
        data=b"%PDF",
        automation_run_id=run.id,
    )
    automations_service.delete_automation(session=session, actor=team.author, automation_id=auto.id)
    session.commit()
    session.expire_all()
    assert session.get(AutomationRun, run.id) is None
    assert session.get(StoredFile, f.id) is None
