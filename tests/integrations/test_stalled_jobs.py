"""A procrastinate worker SIGKILLed mid-run: the run completes on another worker with no step repeated, and the
periodic `rf.end_stalled_jobs` task ends the dead worker's jobs (`failed`, none left `doing`) and prunes it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from resolutionflow_app.db.models import AutomationRun
from resolutionflow_app.settings import PROJECT_ROOT
from tests.fakes.fake_llm import fake_llm_server
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.integrations.conftest import wait_until
from tests.integrations.test_procrastinate_queue import _env, _stop
from tests.integrations.test_worker_faults import Scenario

pytestmark = pytest.mark.skipif(
    os.environ.get("RF_TEST_DB", "sqlite") != "postgresql",
    reason="procrastinate is the PostgreSQL queue (run with RF_TEST_DB=postgresql)",
)


def _worker(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with log_path.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "resolutionflow_app.cli", "worker"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _scalar(engine: sa.Engine, sql: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def _doing_jobs(engine: sa.Engine) -> list[tuple[int, str, int | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, task_name, worker_id FROM procrastinate_jobs WHERE status = 'doing' ORDER BY id")
        ).all()
    return [tuple(r) for r in rows]


def _live_workers(engine: sa.Engine) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(sa.text("SELECT id FROM procrastinate_workers")).scalars())


def _log_events(path: Path, action: str) -> list[dict]:
    events = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            if event.get("action") == action:
                events.append(event)
    return events


def test_a_sigkilled_workers_job_is_ended_and_the_worker_pruned_while_its_run_completes_elsewhere(
    engine, database_url, session, loopback, tmp_path
) -> None:
    # A 2 s run heartbeat timeout: the run is taken over at the next `cleanup-zombie-runs` (every 15 s).
    # procrastinate workers count as dead after the 10 s floor (they beat every 3.3 s), swept every 10 s.
    env = _env(database_url, RF_RUN_HEARTBEAT_TIMEOUT_SECONDS="2", RF_LOG_FORMAT="json")
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    receiver = WebhookReceiver().start()
    workers: list[subprocess.Popen] = []
    try:
        with fake_llm_server(latency=1.5) as llm:
            scenario = Scenario(engine, session, llm, receiver, n_runs=1)
            run_id = scenario.run_ids[0]
            workers = [_worker(env, path) for path in logs]

            def step_2_in_flight() -> bool:
                return any(m.get("content") == "step-2" for body in llm.requests for m in body["messages"])

            # Kill the worker running the run once step 1 is completed and step 2's model call is in flight.
            wait_until(step_2_in_flight, 90, "step 2's model call")
            session.expire_all()
            holder = session.get(AutomationRun, run_id).worker_id  # host:pid:job<procrastinate job id>
            pid, job_id = int(holder.split(":")[1]), int(holder.rsplit(":job", 1)[1])
            victim = next(i for i, w in enumerate(workers) if w.pid == pid)
            survivor = workers[1 - victim]
            dead_worker = _scalar(engine, "SELECT worker_id FROM procrastinate_jobs WHERE id = :id", id=job_id)
            assert _scalar(engine, "SELECT status FROM procrastinate_jobs WHERE id = :id", id=job_id) == "doing"
            assert dead_worker in _live_workers(engine)
            os.kill(pid, signal.SIGKILL)
            workers[victim].wait(10)

            # The run is resumed from its persisted state on the other worker, under a new job.
            scenario.wait_all_completed(timeout=120)
            scenario.check_outcome()  # no completed step reached the model again, outputs as uninterrupted
            assert scenario.calls[(0, 1)] == 1
            session.expire_all()
            done = session.get(AutomationRun, run_id)
            assert done.definition["_recovery"]["count"] == 1
            assert int(done.worker_id.split(":")[1]) == survivor.pid
            assert int(done.worker_id.rsplit(":job", 1)[1]) != job_id

            # procrastinate's side: the dead worker's job ended failed (not retried), the worker is gone.
            def swept() -> bool:
                status = _scalar(engine, "SELECT status FROM procrastinate_jobs WHERE id = :id", id=job_id)
                return status == "failed" and dead_worker not in _live_workers(engine)

            wait_until(swept, 60, "the dead worker's job to end failed and the worker to be pruned")
            survivor.send_signal(signal.SIGTERM)  # a graceful stop ends the survivor's own jobs too
            assert survivor.wait(60) == 0
            assert _doing_jobs(engine) == []
            events = _log_events(logs[1 - victim], "stalled_job_failed")
            assert any(e["procrastinate_job_id"] == job_id and e["queueing_lock"] == str(run_id) for e in events), [
                e["message"] for e in events
            ]
    finally:
        _stop(workers)
        receiver.stop()
