"""A worker builds one guarded HTTP client per model endpoint and key, not one per model call."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from resolutionflow_app.db.models import AutomationRun, CompletionModel
from resolutionflow_app.integrations import llm
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.services.automation_worker import worker_loop
from resolutionflow_app.settings import get_settings
from tests.automation_helpers import make_automation, make_team


def test_runs_of_one_worker_share_one_client_per_model(session, fake_llm, monkeypatch) -> None:
    monkeypatch.setenv("RF_ALLOWED_INTERNAL_CIDRS", "127.0.0.0/8")
    get_settings.cache_clear()
    made = []
    real = llm.make_client
    monkeypatch.setattr(llm, "make_client", lambda **kw: made.append(kw) or real(**kw))
    try:
        team = make_team(session)
        model = CompletionModel(
            account_id=team.account_id,
            name="Fake",
            provider="openai_compatible",
            base_url=fake_llm.base_url,
            model="fake-model",
            security_level=1,
        )
        session.add(model)
        session.flush()
        auto = make_automation(
            session,
            team.author,
            [{"step_order": i, "assistant": {"prompt": f"step {i}", "model_id": str(model.id)}} for i in (1, 2, 3)],
        )
        runs = [
            runs_service.start_run(session=session, actor=team.author, automation_id=auto.id, text=f"ticket {k}")
            for k in range(3)
        ]
        session.commit()
        asyncio.run(worker_loop(worker_id="shared", poll_seconds=0.01, max_runs=3))
        session.expire_all()
        assert [
            r.status
            for r in session.exec(select(AutomationRun).where(AutomationRun.id.in_([r.id for r in runs]))).all()
        ] == ["completed"] * 3
        assert len(fake_llm.requests) == 9
        assert len(made) == 1, f"{len(made)} clients for 9 model calls"
    finally:
        get_settings.cache_clear()
