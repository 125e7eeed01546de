"""A 2xx means stored: SIGKILL the API the instant each kind of write is acknowledged, restart, and read it back.

The server is `create_api()` under uvicorn in its own process (the same FastAPI app, dependencies and
commit path that Reflex mounts, without compiling the web frontend), on the test database.
Also: concurrent re-ratings from many threads against the live server end with exact numbers.
"""

from __future__ import annotations

import concurrent.futures as cf
import uuid

import httpx
import pytest

from tests.factories import PASSWORD
from tests.live_api import LiveApi

TREE = {
    "start_node_id": "q",
    "nodes": [
        {
            "id": "q",
            "type": "decision",
            "title": "Powered?",
            "options": [{"label": "Yes", "next": "s1"}, {"label": "No", "next": "s2"}],
        },
        {"id": "s1", "type": "solution", "title": "Done"},
        {"id": "s2", "type": "solution", "title": "Plug it in"},
    ],
}


def _big_tree(n: int) -> dict:
    nodes = [
        {
            "id": "q",
            "type": "decision",
            "title": "Start",
            "options": [{"label": f"Option {i}", "next": f"s{i}"} for i in range(n)],
        }
    ]
    nodes += [{"id": f"s{i}", "type": "solution", "title": f"Solution {i}", "description": "x" * 200} for i in range(n)]
    return {"start_node_id": "q", "nodes": nodes}


@pytest.fixture
def live(engine, database_url):
    server = LiveApi(database_url).start()
    yield server
    server.stop()


def _ok(resp: httpx.Response, code: int) -> dict:
    assert resp.status_code == code, resp.text
    return resp.json() if resp.content else {}


def _login(live: LiveApi) -> dict:
    body = _ok(
        httpx.post(
            f"{live.url}/auth/register",
            json={
                "email": f"{uuid.uuid4().hex[:10]}@example.com",
                "password": PASSWORD,
                "name": "Kim",
                "account_name": "Acme",
            },
        ),
        201,
    )
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_every_acknowledged_write_survives_sigkill(live) -> None:
    h = _login(live)
    c = httpx.Client(base_url=live.url, headers=h, timeout=30)

    def acked_then_killed(method: str, path: str, code: int, **kw) -> dict:
        body = _ok(c.request(method, path, **kw), code)
        live.restart()  # SIGKILL the moment the answer arrived, then start again
        return body

    tree = acked_then_killed(
        "POST", "/trees", 201, json={"name": "Survives", "tree_type": "troubleshooting", "tree_structure": TREE}
    )
    assert _ok(c.get(f"/trees/{tree['id']}"), 200)["name"] == "Survives"
    updated = acked_then_killed(
        "PUT", f"/trees/{tree['id']}", 200, json={"tree_structure": _big_tree(400), "status": "published"}
    )
    assert updated["version"] == 2
    got = _ok(c.get(f"/trees/{tree['id']}"), 200)
    assert (got["version"], got["status"], len(got["tree_structure"]["nodes"])) == (2, "published", 401)

    step = acked_then_killed(
        "POST",
        "/steps",
        201,
        json={
            "title": "Flush DNS",
            "step_type": "action",
            "content": {"instructions": "ipconfig /flushdns"},
            "visibility": "team",
        },
    )
    assert _ok(c.get(f"/steps/{step['id']}"), 200)["title"] == "Flush DNS"
    acked_then_killed("PUT", f"/steps/{step['id']}/rating", 200, json={"rating": 4})
    assert _ok(c.get(f"/steps/{step['id']}"), 200)["rating_count"] == 1

    session = acked_then_killed("POST", "/sessions", 201, json={"tree_id": tree["id"]})
    assert _ok(c.get(f"/sessions/{session['id']}"), 200)["status"] == "in_progress"
    acked_then_killed("POST", f"/sessions/{session['id']}/advance", 200, json={"node_id": "q", "answer": "Option 3"})
    assert _ok(c.get(f"/sessions/{session['id']}"), 200)["current_node_id"] == "s3"
    share = acked_then_killed("POST", f"/sessions/{session['id']}/shares", 201, json={"visibility": "account"})
    assert _ok(c.get(f"/shares/by-token/{share['share_token']}"), 200)["share"]["visibility"] == "account"

    model = acked_then_killed(
        "POST", "/models", 201, json={"name": "Offline", "provider": "offline", "model": "offline", "security_level": 0}
    )
    auto = acked_then_killed(
        "POST",
        "/automations",
        201,
        json={
            "name": "Triage",
            "steps": [
                {
                    "step_order": 1,
                    "assistant": {"prompt": "Sort it", "model_id": model["id"]},
                    "input_source": "flow_input",
                }
            ],
        },
    )
    assert _ok(c.get(f"/automations/{auto['id']}"), 200)["name"] == "Triage"
    run = acked_then_killed("POST", f"/automations/{auto['id']}/runs", 202, json={"text": "printer on fire"})
    assert _ok(c.get(f"/automation-runs/{run['id']}"), 200)["status"] == "queued"
    acked_then_killed("DELETE", f"/automation-runs/{run['id']}", 202)
    assert _ok(c.get(f"/automation-runs/{run['id']}"), 200)["status"] == "cancelled"

    acked_then_killed("DELETE", f"/shares/{share['id']}", 204)
    assert c.get(f"/shares/by-token/{share['share_token']}").status_code == 404
    acked_then_killed("DELETE", f"/sessions/{session['id']}", 204)
    assert c.get(f"/sessions/{session['id']}").status_code == 404
    acked_then_killed("DELETE", f"/automations/{auto['id']}", 204)
    assert c.get(f"/automations/{auto['id']}").status_code == 404
    acked_then_killed("DELETE", f"/trees/{tree['id']}", 204)
    assert c.get(f"/trees/{tree['id']}").status_code == 404


def test_concurrent_re_ratings_never_lose_or_invent_a_vote(live) -> None:
    h = _login(live)
    step = _ok(
        httpx.post(
            f"{live.url}/steps",
            headers=h,
            json={
                "title": "Reboot",
                "step_type": "action",
                "content": {"instructions": "reboot"},
                "visibility": "team",
            },
        ),
        201,
    )
    url = f"{live.url}/steps/{step['id']}/rating"
    # One user, 30 parallel re-ratings alternating 5 and 1: one vote, worth whichever landed last.
    with cf.ThreadPoolExecutor(max_workers=30) as pool:
        codes = list(
            pool.map(
                lambda i: httpx.put(url, headers=h, json={"rating": 5 if i % 2 else 1}, timeout=60).status_code,
                range(30),
            )
        )
    assert codes == [200] * 30
    got = _ok(httpx.get(f"{live.url}/steps/{step['id']}", headers=h), 200)
    assert got["rating_count"] == 1
    assert got["rating_avg"] in (1.0, 5.0)
    # Twelve users of the account, each rating once in parallel (plus the first user's vote).
    members = []
    for i in range(12):
        email = f"m{i}-{uuid.uuid4().hex[:6]}@example.com"
        _ok(
            httpx.post(
                f"{live.url}/account/members",
                headers=h,
                json={"email": email, "name": f"M{i}", "role": "engineer", "password": PASSWORD},
            ),
            201,
        )
        token = _ok(httpx.post(f"{live.url}/auth/login", json={"email": email, "password": PASSWORD}), 200)[
            "access_token"
        ]
        members.append(({"Authorization": f"Bearer {token}"}, 1 + i % 5))
    with cf.ThreadPoolExecutor(max_workers=12) as pool:
        codes = list(
            pool.map(lambda m: httpx.put(url, headers=m[0], json={"rating": m[1]}, timeout=60).status_code, members)
        )
    assert codes == [200] * 12
    got = _ok(httpx.get(f"{live.url}/steps/{step['id']}", headers=h), 200)
    others = sum(r for _, r in members)
    assert got["rating_count"] == 13
    assert any(abs(got["rating_avg"] - (others + first) / 13) < 0.006 for first in (1, 5)), got["rating_avg"]
