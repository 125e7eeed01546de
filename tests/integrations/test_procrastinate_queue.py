"""procrastinate on PostgreSQL (RF_QUEUE=auto): a run's job is written in the run's transaction, one
waiting job per run (queueing lock), cancel aborts the job, periodic tasks recover orphaned runs, and
`resolutionflow worker` processes survive a PostgreSQL restart with no queued run lost."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from resolutionflow_app.db.engine import make_engine
from resolutionflow_app.db.models import AutomationRun, CompletionModel
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.settings import PROJECT_ROOT, get_settings
from tests.automation_helpers import make_automation, make_model, make_team
from tests.fakes.fake_llm import fake_llm_server
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.integrations.conftest import wait_until
from tests.integrations.test_worker_faults import Scenario

pytestmark = pytest.mark.skipif(
    os.environ.get("RF_TEST_DB", "sqlite") != "postgresql",
    reason="procrastinate is the PostgreSQL queue (run with RF_TEST_DB=postgresql)",
)


def _jobs(engine, run_id) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT task_name, status, queue_name FROM procrastinate_jobs WHERE queueing_lock = :lock ORDER BY id"
            ),
            {"lock": str(run_id)},
        ).all()
    return [tuple(r) for r in rows]


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "RF_DATABASE_URL": database_url,
            "RF_ALLOWED_INTERNAL_CIDRS": "127.0.0.0/8",
            "RF_WORKER_POLL_SECONDS": "0.1",
            "RF_WORKER_MODE": "external",
            "RF_QUEUE": "procrastinate",
            "RF_LOG_LEVEL": "WARNING",
            **extra,
        }
    )
    return env


def _worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "resolutionflow_app.cli", "worker"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def _offline_automation(session: Session):
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(
        session, team.author, [{"step_order": 1, "assistant": {"prompt": "p", "model_id": str(model.id)}}]
    )
    return team, auto


def test_the_job_exists_only_if_the_run_is_committed_and_once_per_run(engine, session) -> None:
    assert get_settings().queue_backend == "procrastinate"
    team, auto = _offline_automation(session)
    session.commit()
    rolled_back = runs_service.start_run(session=session, actor=team.author, automation_id=auto.id, text="x")
    assert _jobs(engine, rolled_back.id) == []  # not visible to others before the commit
    session.rollback()
    assert _jobs(engine, rolled_back.id) == []  # and gone with the rollback
    run = runs_service.start_run(session=session, actor=team.author, automation_id=auto.id, text="y")
    session.commit()
    assert _jobs(engine, run.id) == [("rf.run_automation", "todo", "automation_runs")]
    # Queuing the same run again (e.g. the orphan sweep) while its job waits adds no second job,
    # and leaves the caller's transaction usable (the refusal happens in a savepoint).
    from resolutionflow_app.services.automation_worker import get_dispatcher

    get_dispatcher().enqueue(run.id, session=session)
    assert session.exec(select(AutomationRun.status).where(AutomationRun.id == run.id)).one() == "queued"
    session.commit()
    assert _jobs(engine, run.id) == [("rf.run_automation", "todo", "automation_runs")]


def test_cancelling_a_queued_run_cancels_its_job(engine, session) -> None:
    team, auto = _offline_automation(session)
    run = runs_service.start_run(session=session, actor=team.author, automation_id=auto.id, text="x")
    session.commit()
    runs_service.cancel_run(session=session, actor=team.author, run_id=run.id)
    session.commit()
    assert _jobs(engine, run.id) == [("rf.run_automation", "cancelled", "automation_runs")]


def test_worker_runs_jobs_and_a_cancel_aborts_the_running_job(engine, database_url, session, loopback) -> None:
    worker = None
    with fake_llm_server(latency=30) as llm:  # a model call that would take 30 s: only an abort ends it early
        team = make_team(session)
        model = CompletionModel(
            account_id=team.account_id,
            name="Slow",
            provider="openai_compatible",
            base_url=llm.base_url,
            model="fake-model",
            security_level=1,
        )
        session.add(model)
        session.flush()
        auto = make_automation(
            session, team.author, [{"step_order": 1, "assistant": {"prompt": "p", "model_id": str(model.id)}}]
        )
        run = runs_service.start_run(session=session, actor=team.author, automation_id=auto.id, text="slow")
        session.commit()
        try:
            worker = _worker(_env(database_url))
            wait_until(lambda: len(llm.requests) == 1, 60, "the model call to start")
            assert _jobs(engine, run.id)[0][1] == "doing"
            started = time.monotonic()
            runs_service.cancel_run(session=session, actor=team.author, run_id=run.id)
            session.commit()

            def ended() -> bool:
                session.expire_all()
                return session.get(AutomationRun, run.id).status == "cancelled"

            wait_until(ended, 20, "the run to end cancelled")
            assert time.monotonic() - started < 20
            # The job ends aborted (not retried: a user's cancel is final).
            wait_until(
                lambda: _jobs(engine, run.id)[0][1] in ("aborted", "cancelled"),
                20,
                f"the job to end aborted: {_jobs(engine, run.id)}",
            )
            time.sleep(1.0)
            assert [j[1] for j in _jobs(engine, run.id)] in (["aborted"], ["cancelled"])
            assert len(llm.requests) == 1
        finally:
            if worker is not None:
                _stop([worker])


def test_a_run_whose_worker_died_is_queued_again_by_the_periodic_task_and_completed(
    engine, database_url, session, loopback
) -> None:
    """A run left `running` by a dead worker on another host (so only its heartbeat tells) and whose
    job is gone: the periodic `cleanup-zombie-runs` task of a procrastinate worker requeues it with a
    new job, and the worker completes it from its persisted state."""
    team, auto = _offline_automation(session)
    run = runs_service.start_run(session=session, actor=team.author, automation_id=auto.id, text="orphan")
    session.commit()
    with engine.begin() as conn:  # the dead worker's claim, its heartbeat 10 minutes old; its job gone
        conn.execute(sa.text("DELETE FROM procrastinate_jobs WHERE queueing_lock = :lock"), {"lock": str(run.id)})
        stale = utcnow() - timedelta(minutes=10)
        conn.execute(
            sa.update(AutomationRun)
            .where(AutomationRun.id == run.id)
            .values(
                status="running",
                worker_id="elsewhere:1:job999",
                lease_token="dead",
                heartbeat_at=stale,
                started_at=stale,
            )
        )
    worker = _worker(_env(database_url, RF_RUN_HEARTBEAT_TIMEOUT_SECONDS="2"))
    try:

        def completed() -> bool:
            session.expire_all()
            return session.get(AutomationRun, run.id).status == "completed"

        wait_until(completed, 45, "the orphaned run to be recovered and completed")  # the task fires every 15 s
        session.expire_all()
        done = session.get(AutomationRun, run.id)
        assert done.definition["_recovery"]["count"] == 1
        assert ":job" in done.worker_id
        assert done.worker_id != "elsewhere:1:job999"
    finally:
        _stop([worker])


def test_postgres_restart_while_runs_are_queued_loses_none(loopback) -> None:
    """20 runs queued, 2 workers, PostgreSQL restarted (fast shutdown: every connection dropped) while
    some run and the rest wait: every run completes with the outputs of an uninterrupted run, no
    completed step reaches the model again, webhook repeats carry their first delivery's key."""
    from tests.pg_cluster import _run, start_cluster

    cluster = start_cluster("rf_restart")
    engine = None
    workers: list[subprocess.Popen] = []
    receiver = WebhookReceiver().start()
    try:
        from resolutionflow_app.cli import migrate

        migrate("head", url=cluster.url)
        engine = make_engine(cluster.url)
        with Session(engine, expire_on_commit=False) as session, fake_llm_server(latency=0.1) as llm:
            scenario = Scenario(engine, session, llm, receiver, n_runs=20)
            env = _env(cluster.url, RF_RUN_HEARTBEAT_TIMEOUT_SECONDS="3", RF_WORKER_CONCURRENCY="3")
            workers = [_worker(env) for _ in range(2)]
            wait_until(lambda: scenario.statuses().get("completed", 0) >= 2, 90, "the first runs to complete")
            assert scenario.statuses().get("queued", 0) > 0, (
                "every run had started: the restart would prove nothing about queued runs"
            )
            opts = (
                f"-c listen_addresses=127.0.0.1 -p {cluster.port} -k {cluster.data_dir} -c fsync=off -c "
                "max_connections=200"
            )
            _run(
                [
                    "pg_ctl",
                    "-D",
                    cluster.data_dir,
                    "-l",
                    os.path.join(cluster.data_dir, "log"),
                    "-m",
                    "fast",
                    "-w",
                    "-o",
                    opts,
                    "restart",
                ],
                cluster._as_postgres,
            )
            engine.dispose()  # the test's own pooled connections died with the server

            def statuses() -> dict[str, int]:
                try:
                    return scenario.statuses()
                except sa.exc.OperationalError:
                    session.rollback()
                    return {}

            deadline = time.monotonic() + 150
            while time.monotonic() < deadline and statuses().get("completed", 0) < 20:
                time.sleep(0.3)
            assert statuses().get("completed", 0) == 20, statuses()
            assert all(w.poll() is None for w in workers), "a worker process died with the database"
            scenario.check_outcome()
    finally:
        _stop(workers)
        receiver.stop()
        if engine is not None:
            engine.dispose()
        cluster.stop()
