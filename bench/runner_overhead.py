"""Automation runner overhead: a 10-step automation against the loopback fake model (50 ms latency).

Prints (no asserts):
- one run: total run time / sum of model-call times (goal: at most 1.05), measured client-side
  around each provider call, plus the server-side model time for reference;
- 50 concurrent runs on a DB pool of 5 (max_overflow 0): runs/second and the number of pool timeouts.
Uses a throwaway SQLite database (RF_BENCH_POSTGRES_URL=postgresql+psycopg://... to use PostgreSQL).
"""

from __future__ import annotations

import asyncio
import functools
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("RF_SCHEDULER_ENABLED", "false")
os.environ.setdefault("RF_WORKER_MODE", "external")
os.environ["RF_ALLOWED_INTERNAL_CIDRS"] = "127.0.0.0/8"
URL = os.environ.get("RF_BENCH_POSTGRES_URL") or f"sqlite:///{Path(tempfile.mkdtemp(prefix='rf-bench-')) / 'bench.db'}"
os.environ["RF_DATABASE_URL"] = URL

import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session  # noqa: E402

from resolutionflow_app.cli import migrate  # noqa: E402
from resolutionflow_app.db.engine import _sqlite_pragmas, get_engine, session_scope_for  # noqa: E402
from resolutionflow_app.db.models import Account, CompletionModel, User  # noqa: E402
from resolutionflow_app.integrations import llm  # noqa: E402
from resolutionflow_app.services import automation_runs, automations  # noqa: E402
from resolutionflow_app.services.automation_runner import RunnerDeps, execute_run  # noqa: E402
from tests.fakes.fake_llm import fake_llm_server  # noqa: E402

STEPS, LATENCY, CONCURRENT, POOL = 10, 0.05, 50, 5


def pooled_engine() -> sa.Engine:
    if URL.startswith("sqlite"):
        engine = sa.create_engine(
            URL,
            pool_size=POOL,
            max_overflow=0,
            pool_timeout=10,
            connect_args={"check_same_thread": False, "timeout": 15},
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(URL, pool_size=POOL, max_overflow=0, pool_timeout=10)


def factory_for(engine: sa.Engine):
    """A runner session factory on the bench's own pooled engine."""
    return functools.partial(session_scope_for, engine)


@dataclass
class TimedDeps(RunnerDeps):
    """Real OpenAI-compatible provider; records the wall time of every model call."""

    call_seconds: list[float] = field(default_factory=list)

    def provider(self, model):
        inner = llm.provider_for(model.provider, model.base_url, model.api_key, allowed_cidrs=["127.0.0.0/8"])
        times = self.call_seconds

        class Timed:
            async def complete(self, **kw):
                t0 = time.perf_counter()
                try:
                    return await inner.complete(**kw)
                finally:
                    times.append(time.perf_counter() - t0)

            async def aclose(self):
                await inner.aclose()

        return Timed()


def main() -> None:
    migrate("head", url=URL)
    with fake_llm_server(latency=LATENCY) as fake, Session(get_engine(), expire_on_commit=False) as session:
        account = Account(name="Bench")
        session.add(account)
        session.flush()
        author = User(account_id=account.id, email="bench@example.com", name="Bench", role="author", password_hash="x")
        model = CompletionModel(
            account_id=account.id,
            name="Fake",
            provider="openai_compatible",
            base_url=fake.base_url,
            model="fake-model",
            security_level=0,
        )
        session.add_all([author, model])
        session.flush()
        auto = automations.create_automation(
            session=session,
            actor=author,
            data={
                "name": "Bench",
                "steps": [
                    {"step_order": i, "assistant": {"prompt": f"Step {i}: rewrite", "model_id": str(model.id)}}
                    for i in range(1, STEPS + 1)
                ],
            },
        )
        session.commit()

        def new_run() -> str:
            run = automation_runs.start_run(
                session=session, actor=author, automation_id=auto.id, text="short input text"
            )
            session.commit()
            return run.id

        engine = pooled_engine()
        factory = factory_for(engine)

        # Warm-up (imports, first connections), then one measured run.
        asyncio.run(execute_run(new_run(), session_factory=factory, deps=TimedDeps(call_seconds=[])))
        deps = TimedDeps(call_seconds=[])
        fake.model_call_seconds.clear()
        run_id = new_run()
        t0 = time.perf_counter()
        status = asyncio.run(execute_run(run_id, session_factory=factory, deps=deps))
        total = time.perf_counter() - t0
        model_sum = sum(deps.call_seconds)
        print(f"single run ({STEPS} steps, {int(LATENCY * 1000)} ms model latency, {engine.dialect.name}): {status}")
        print(f"  total run time        {total * 1000:8.1f} ms")
        print(
            f"  sum of model calls    {model_sum * 1000:8.1f} ms (client side; server side "
            f"{sum(fake.model_call_seconds) * 1000:.1f} ms)"
        )
        print(f"  ratio total/model     {total / model_sum:8.3f}   (goal <= 1.05)")

        ids = [new_run() for _ in range(CONCURRENT)]
        deps = TimedDeps(call_seconds=[])
        timeouts = 0

        async def many():
            return await asyncio.gather(
                *(execute_run(r, session_factory=factory, deps=deps) for r in ids), return_exceptions=True
            )

        t0 = time.perf_counter()
        outcomes = asyncio.run(many())
        elapsed = time.perf_counter() - t0
        for o in outcomes:
            if isinstance(o, Exception) and "QueuePool limit" in str(o):
                timeouts += 1
        completed = sum(1 for o in outcomes if o == "completed")
        print(f"{CONCURRENT} concurrent runs, DB pool {POOL} (max_overflow 0):")
        print(
            f"  completed {completed}/{CONCURRENT} in {elapsed:.2f} s -> {completed / elapsed:.2f} runs/s "
            f"({completed * STEPS / elapsed:.1f} steps/s)"
        )
        print(
            f"  pool timeouts {timeouts}; other errors "
            f"{sum(1 for o in outcomes if isinstance(o, Exception)) - timeouts}"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
