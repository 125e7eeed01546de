"""Crash test: a `resolutionflow worker` process is SIGKILLed in the middle of a multi-step run; a new
worker resumes it without re-executing completed steps; webhooks are re-sent only when undelivered
and the receiver deduplicates the repeat by its idempotency key."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

from sqlmodel import Session, select

from resolutionflow_app.db.models import (
    AutomationRun,
    AutomationStepResult,
    CompletionModel,
)
from resolutionflow_app.integrations.webhooks import idempotency_key
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.services.automation_runner import RunnerDeps, execute_run
from resolutionflow_app.settings import PROJECT_ROOT
from tests.automation_helpers import make_automation, make_team
from tests.fakes.fake_llm import fake_llm_server
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.integrations.conftest import wait_until

STEPS = 4
ZOMBIE_HOURS = 0.0005  # 1.8 s without a heartbeat


class StallingReceiver(WebhookReceiver):
    """Accepts a delivery, then stalls before answering one chosen key (the worker dies meanwhile)."""

    stall_key: str | None = None

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.stalled = threading.Event()

    def _handle(self, req):
        answer = super()._handle(req)
        if self.stall_key and req.headers.get("idempotency-key") == self.stall_key and not self.stalled.is_set():
            self.stalled.set()
            time.sleep(5)
        return answer


def _env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        RF_DATABASE_URL=database_url,
        RF_ALLOWED_INTERNAL_CIDRS="127.0.0.0/8",
        RF_WORKER_POLL_SECONDS="0.1",
        RF_ZOMBIE_RUN_HOURS=str(ZOMBIE_HOURS),
        RF_SCHEDULER_ENABLED="false",
        RF_WORKER_MODE="external",
        RF_LOG_LEVEL="WARNING",
    )
    return env


def _cli(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "resolutionflow_app.cli", *args],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_killed_worker_is_resumed_without_redoing_completed_steps(engine, database_url, loopback) -> None:
    env = _env(database_url)
    receiver = StallingReceiver().start()
    worker = None
    try:
        with fake_llm_server(latency=0.2) as llm, Session(engine, expire_on_commit=False) as session:
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
                    "assistant": {"prompt": f"prompt-{i}", "model_id": str(model.id)},
                    "output_mode": "http_post",
                    "output_config": {"url": receiver.url},
                }
                for i in range(1, STEPS + 1)
            ]
            auto = make_automation(session, team.author, steps)
            run = runs_service.start_run(
                session=session, actor=team.author, automation_id=auto.id, text="the printer is on fire"
            )
            session.commit()
            receiver.stall_key = idempotency_key(run.id, 2)

            worker = _cli("worker", env=env)
            assert receiver.stalled.wait(60), "the worker never delivered step 2's webhook"
            os.kill(worker.pid, signal.SIGKILL)  # mid-run: step 2 delivered, not yet marked delivered
            worker.wait(10)

            def results() -> dict[int, AutomationStepResult]:
                session.expire_all()
                return {
                    r.step_order: r
                    for r in session.exec(
                        select(AutomationStepResult).where(AutomationStepResult.automation_run_id == run.id)
                    ).all()
                }

            before = results()
            assert set(before) == {1, 2}
            assert before[2].status == "completed"
            assert before[2].output_payload_json["webhook_delivered"] is False
            session.expire_all()
            assert session.get(AutomationRun, run.id).status == "running"

            time.sleep(ZOMBIE_HOURS * 3600 + 0.5)
            recover = _cli("cleanup-zombie-runs", env=env)
            out = recover.communicate(timeout=60)[0].decode()
            assert recover.returncode == 0, out
            assert "1 item(s)" in out, out
            session.expire_all()
            assert session.get(AutomationRun, run.id).status == "queued"

            worker = _cli("worker", env=env)
            wait_until(
                lambda: (session.expire_all(), session.get(AutomationRun, run.id).status)[1] == "completed",
                what="the resumed run",
            )
            worker.terminate()
            worker.wait(10)
            worker = None

            prompts = Counter(m["content"] for req in llm.requests for m in req["messages"] if m["role"] == "system")
            assert prompts == Counter({f"prompt-{i}": 1 for i in range(1, STEPS + 1)}), prompts  # nothing re-executed
            keys = [idempotency_key(run.id, i) for i in range(1, STEPS + 1)]
            assert receiver.unique_keys == keys
            assert receiver.keys.count(keys[1]) == 2
            assert receiver.duplicates == 1
            assert all(r.output_payload_json["webhook_delivered"] for r in results().values())

            # An uninterrupted run of the same input gives the same final output.
            calm = runs_service.start_run(
                session=session, actor=team.author, automation_id=auto.id, text="the printer is on fire"
            )
            session.commit()
            status = asyncio.run(execute_run(calm.id, deps=RunnerDeps(http_backoff=(0, 0, 0))))
            assert status == "completed"
            session.expire_all()
            assert (
                session.get(AutomationRun, calm.id).output_payload_json["text"]
                == session.get(AutomationRun, run.id).output_payload_json["text"]
            )
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
            worker.wait(10)
        receiver.stop()
