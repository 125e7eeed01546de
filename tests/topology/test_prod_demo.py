"""`make prod-demo` as an operator runs it: PostgreSQL, Redis, 2 app backend workers, 2 automation workers.

A run started through the API is executed by an external worker; health reports the queue and Redis;
the browser logs in and moves between pages while its state lives in Redis; Ctrl+C stops everything.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.prod_topology import Topology, production_topology

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "demo-password-123"


@pytest.fixture(scope="module")
def topology() -> Iterator[Topology]:
    with production_topology("prod-demo-topology.log") as running:
        yield running


def test_health_runs_on_external_workers_and_the_browser_works(topology, browser) -> None:
    url = topology.url
    health = httpx.get(f"{url}/api/v1/health", timeout=10).json()
    assert health["database_backend"] == "postgresql"
    assert health["redis"] == "ok"
    assert health["queue"]["mode"] == "external"
    assert health["degraded"] == []
    token = httpx.post(f"{url}/api/v1/auth/login", json={"email": "author@example.com", "password": PASSWORD}).json()[
        "access_token"
    ]
    api = httpx.Client(base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    model_id = api.get("/models").json()["items"][0]["id"]
    auto = api.post(
        "/automations",
        json={
            "name": "Topology check",
            "steps": [
                {
                    "step_order": i,
                    "input_source": "flow_input" if i == 1 else "previous_step",
                    "assistant": {"prompt": f"Step {i}", "model_id": model_id},
                }
                for i in (1, 2, 3)
            ],
        },
    ).json()
    assert api.post(f"/automations/{auto['id']}/publish").status_code == 200
    started = [api.post(f"/automations/{auto['id']}/runs", json={"text": f"ticket {i}"}) for i in range(4)]
    assert all(r.status_code == 202 for r in started), [r.text for r in started]
    runs = [r.json()["id"] for r in started]
    deadline = time.time() + 120
    while True:
        statuses = [api.get(f"/automation-runs/{rid}").json()["status"] for rid in runs]
        if all(s in ("completed", "failed") for s in statuses) or time.time() > deadline:
            break
        time.sleep(1)
    assert statuses == ["completed"] * 4, statuses
    page = browser.new_page()
    page.goto(f"{url}/login")
    page.get_by_test_id("login-email").fill("engineer@example.com")
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("user-menu").wait_for(timeout=60_000)
    for path in ("/flows", "/automations", "/library", "/sessions"):
        page.goto(f"{url}{path}")
        page.get_by_test_id("user-menu").wait_for(
            timeout=60_000
        )  # still logged in: the state is in Redis, whichever worker answers
    page.close()
    logs = (topology.base / "logs" / "worker-1.log").read_text() + (topology.base / "logs" / "worker-2.log").read_text()
    assert '"level"' in logs
    assert token not in logs
    assert PASSWORD not in logs  # JSON lines, no secrets


def test_ctrl_c_stops_everything(topology) -> None:
    proc = topology.proc
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=90) == 0
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{topology.url}/api/v1/health", timeout=3)
