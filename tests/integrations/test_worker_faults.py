"""Fault tests: worker processes SIGKILLed at random points in 30 multi-step runs, and the embedded
app (in-process worker) SIGKILLed mid-run and restarted. Every run must finish with the outputs of
an uninterrupted run, no completed step may reach the model again, and every webhook repeat must
carry the idempotency key of its first delivery (so the receiver can deduplicate it)."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict

from sqlalchemy import select as sa_select
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from resolutionflow_app.db.models import (
    AutomationRun,
    AutomationStepResult,
    CompletionModel,
)
from resolutionflow_app.integrations.webhooks import idempotency_key
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.settings import PROJECT_ROOT
from tests.automation_helpers import make_automation, make_team
from tests.fakes.fake_llm import default_reply, fake_llm_server
from tests.fakes.webhook_receiver import WebhookReceiver

STEPS = 3
MARK = re.compile(r"run-(\d+)")


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "RF_DATABASE_URL": database_url,
            "RF_ALLOWED_INTERNAL_CIDRS": "127.0.0.0/8",
            "RF_WORKER_POLL_SECONDS": "0.1",
            "RF_SCHEDULER_ENABLED": "false",
            "RF_WORKER_MODE": "external",
            "RF_LOG_LEVEL": "WARNING",
            **extra,
        }
    )
    return env


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *args], cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _kill_all(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


class Scenario:
    """N runs of a 3-step automation (webhook after steps 1 and 3) on the fake model; records every
    model call that arrives for a step already completed in the database (a re-execution)."""

    def __init__(self, engine, session: Session, llm, receiver: WebhookReceiver, n_runs: int) -> None:
        self.engine, self.session, self.llm, self.receiver = engine, session, llm, receiver
        self.reexecuted: list[tuple[int, int]] = []
        self.calls: dict[tuple[int, int], int] = defaultdict(int)
        self._lock = threading.Lock()
        team = make_team(session)
        model = CompletionModel(
            account_id=team.account_id,
            name="Fake",
            provider="openai_compatible",
            base_url=llm.base_url,
            model="fake-model",
            security_level=1,
        )
        session.add(model)
        session.flush()
        steps = [
            {
                "step_order": i,
                "assistant": {"prompt": f"step-{i}", "model_id": str(model.id)},
                **({"output_mode": "http_post", "output_config": {"url": receiver.url}} if i in (1, STEPS) else {}),
            }
            for i in range(1, STEPS + 1)
        ]
        auto = make_automation(session, team.author, steps)
        self.runs = [
            runs_service.start_run(session=session, actor=team.author, automation_id=auto.id, text=f"ticket run-{k}")
            for k in range(n_runs)
        ]
        session.commit()
        self.run_ids = [r.id for r in self.runs]
        llm.default = self.reply

    def reply(self, body: dict) -> str:
        system = next(m["content"] for m in body["messages"] if m["role"] == "system")
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        order, k = int(system.split("-")[1]), int(MARK.search(user).group(1))
        status = self._step_status(k, order)
        with self._lock:
            self.calls[(k, order)] += 1
            if status == "completed":
                self.reexecuted.append((k, order))
        return default_reply(body)

    def _step_status(self, k: int, order: int) -> str | None:
        """Is this step already completed? Then this call re-executes it. (Retried while the database restarts.)"""
        deadline = time.monotonic() + 30
        while True:
            try:
                with Session(self.engine) as s:
                    return s.execute(
                        sa_select(AutomationStepResult.status).where(
                            AutomationStepResult.automation_run_id == self.run_ids[k],
                            AutomationStepResult.step_order == order,
                        )
                    ).scalar()
            except OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def statuses(self) -> dict[str, int]:
        self.session.expire_all()
        out: dict[str, int] = defaultdict(int)
        for status in self.session.exec(select(AutomationRun.status).where(AutomationRun.id.in_(self.run_ids))).all():
            out[status] += 1
        return dict(out)

    def wait_all_completed(self, timeout: float) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.statuses().get("completed", 0) == len(self.run_ids):
                return time.monotonic() - started
            time.sleep(0.2)
        raise AssertionError(f"runs did not all complete within {timeout:.0f} s: {self.statuses()}")

    def check_outcome(self) -> None:
        self.session.expire_all()
        for k, run_id in enumerate(self.run_ids):
            run = self.session.get(AutomationRun, run_id)
            assert run.status == "completed", (k, run.status, run.error_message)
            # What an uninterrupted run gives: each step echoes its input.
            assert run.output_payload_json["text"] == "echo: " * STEPS + f"ticket run-{k}", (k, run.output_payload_json)
            results = self.session.exec(
                select(AutomationStepResult)
                .where(AutomationStepResult.automation_run_id == run_id)
                .order_by(AutomationStepResult.step_order)
            ).all()
            assert [r.status for r in results] == ["completed"] * STEPS
            assert all(r.output_payload_json["webhook_delivered"] for r in results if r.step_order in (1, STEPS))
        assert self.reexecuted == [], f"completed steps reached the model again: {self.reexecuted}"
        # Webhooks: every expected key arrived, nothing else did, and a repeat carries the same key and body.
        expected = {idempotency_key(run_id, order) for run_id in self.run_ids for order in (1, STEPS)}
        assert set(self.receiver.unique_keys) == expected
        assert set(self.receiver.keys) <= expected
        bodies: dict[str, set[bytes]] = defaultdict(set)
        for req in self.receiver.requests:
            bodies[req.headers.get("idempotency-key")].add(req.body)
        differing = {key: sorted(b) for key, b in bodies.items() if len(b) > 1}
        assert differing == {}, "a repeated delivery differs from the first one"


def test_workers_sigkilled_at_random_points_lose_and_repeat_nothing(engine, database_url, session, loopback) -> None:
    rng = random.Random(int(os.environ.get("RF_FAULT_SEED", "1313")))
    env = _env(database_url, RF_RUN_HEARTBEAT_TIMEOUT_SECONDS="2", RF_WORKER_CONCURRENCY="4")
    receiver = WebhookReceiver().start()
    workers: list[subprocess.Popen] = []
    kills = 0
    try:
        with fake_llm_server(latency=0.15) as llm:
            scenario = Scenario(engine, session, llm, receiver, n_runs=30)
            workers = [_spawn(["-m", "resolutionflow_app.cli", "worker"], env) for _ in range(2)]
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and kills < 8:
                time.sleep(rng.uniform(0.3, 1.5))
                if scenario.statuses().get("completed", 0) == 30:
                    break
                # Kill only while runs are in flight: on a busy machine a kill during a worker's
                # start-up would interrupt nothing and prove nothing.
                started = time.monotonic()
                while scenario.statuses().get("running", 0) == 0 and time.monotonic() - started < 30:
                    time.sleep(0.05)
                victim = rng.randrange(len(workers))
                os.kill(workers[victim].pid, signal.SIGKILL)
                workers[victim].wait(10)
                kills += 1
                workers[victim] = _spawn(["-m", "resolutionflow_app.cli", "worker"], env)
            scenario.wait_all_completed(timeout=max(10.0, deadline - time.monotonic()))
            assert kills >= 3, "the scenario ended before the workers were killed often enough to mean anything"
            scenario.check_outcome()
            session.expire_all()
            rows = session.exec(select(AutomationRun).where(AutomationRun.id.in_(scenario.run_ids))).all()
            taken_over = [r for r in rows if (r.definition or {}).get("_recovery")]
            assert taken_over, "no run was ever interrupted: the kills missed every run"
            assert_queue_carried_runs(rows, database_url)
    finally:
        _kill_all(workers)
        receiver.stop()


def assert_queue_carried_runs(rows: list[AutomationRun], database_url: str) -> None:
    """On PostgreSQL (RF_QUEUE=auto) procrastinate jobs ran the runs: their worker ids name the job."""
    if database_url.startswith("postgresql"):
        assert all(":job" in (r.worker_id or "") for r in rows), [r.worker_id for r in rows][:5]
    else:
        assert not any(":job" in (r.worker_id or "") for r in rows)


EMBEDDED_APP = (
    "import asyncio; from resolutionflow_app.background import background_lifespan; asyncio.run(background_lifespan())"
)


def test_embedded_app_sigkilled_mid_run_completes_its_runs_after_restart(
    engine, database_url, session, loopback
) -> None:
    """The embedded default (in-process worker, default heartbeat timeout): after a SIGKILL and a
    restart the interrupted runs complete within a minute (the dead process is recognised on this
    host; elsewhere the heartbeat timeout, 30 s by default, applies)."""
    env = _env(database_url, RF_WORKER_MODE="inprocess")
    env.pop("RF_RUN_HEARTBEAT_TIMEOUT_SECONDS", None)
    env.pop("RF_ZOMBIE_RUN_HOURS", None)
    receiver = WebhookReceiver().start()
    app = None
    try:
        with fake_llm_server(latency=0.4) as llm:
            scenario = Scenario(engine, session, llm, receiver, n_runs=4)
            app = _spawn(["-c", EMBEDDED_APP], env)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and sum(scenario.calls.values()) < 6:
                time.sleep(0.05)
            assert scenario.statuses().get("running", 0) >= 1, scenario.statuses()
            os.kill(app.pid, signal.SIGKILL)
            app.wait(10)
            app = _spawn(["-c", EMBEDDED_APP], env)
            scenario.wait_all_completed(timeout=60)
            scenario.check_outcome()
            session.expire_all()
            assert_queue_carried_runs(
                session.exec(select(AutomationRun).where(AutomationRun.id.in_(scenario.run_ids))).all(), database_url
            )
    finally:
        if app is not None:
            _kill_all([app])
        receiver.stop()
