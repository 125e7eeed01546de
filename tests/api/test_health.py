"""GET /health reports the database, the automation queue and Redis; a stalled queue is named, not hidden."""

from __future__ import annotations

from datetime import timedelta

from resolutionflow_app.db.models import AutomationRun
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.settings import get_settings
from tests.automation_helpers import inline, make_automation, make_model, make_team


def test_health_reports_queue_and_redis(api, session, monkeypatch) -> None:
    body = api.get("/api/v1/health").json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["redis"] == "not configured"
    assert {"queued", "running", "stale_running", "oldest_queued_seconds", "mode"} <= set(body["queue"])
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(
        session, team.author, [{"step_order": 1, "assistant": inline(model), "input_source": "flow_input"}]
    )
    old = utcnow() - timedelta(minutes=10)
    session.add(
        AutomationRun(
            automation_id=auto.id,
            account_id=team.account_id,
            status="queued",
            created_at=old,
            input_payload_json={},
            definition={},
        )
    )
    session.add(
        AutomationRun(
            automation_id=auto.id,
            account_id=team.account_id,
            status="running",
            created_at=old,
            heartbeat_at=old,
            input_payload_json={},
            definition={},
        )
    )
    session.commit()
    body = api.get("/api/v1/health").json()
    assert body["status"] == "ok"
    assert body["queue"]["status"] == "degraded"
    assert "queue" in body["degraded"]
    assert body["queue"]["queued"] >= 1
    assert body["queue"]["stale_running"] >= 1
    assert body["queue"]["oldest_queued_seconds"] >= 590
    monkeypatch.setenv("RF_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    get_settings.cache_clear()
    try:
        body = api.get("/api/v1/health").json()
        assert body["redis"] not in ("ok", "not configured")
        assert "redis" in body["degraded"]
        assert body["status"] == "ok"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
