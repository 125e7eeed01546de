"""Issue 16: commit errors are not 2xx, drafts stay in their account, password changes are limited, answers are
consistent."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlmodel import Session
from starlette.responses import PlainTextResponse

from resolutionflow_app.api.app import create_api
from tests.factories import PASSWORD, add_member, register

API = "/api/v1"
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


def _tree(api, headers, **kw) -> dict:
    resp = api.post(
        f"{API}/trees",
        json={"name": "AP offline", "tree_type": "troubleshooting", "tree_structure": TREE, **kw},
        headers=headers,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_a_failed_commit_answers_503_and_stores_nothing(api, monkeypatch) -> None:
    owner = register(api)
    real_commit = Session.commit

    def failing_commit(self):
        raise OperationalError("COMMIT", {}, Exception("database is locked"))

    monkeypatch.setattr(Session, "commit", failing_commit)
    resp = api.post(
        f"{API}/trees",
        json={"name": "Never stored", "tree_type": "troubleshooting", "tree_structure": TREE},
        headers=owner["headers"],
    )
    monkeypatch.setattr(Session, "commit", real_commit)
    assert resp.status_code == 503, resp.text
    assert "retry" in resp.json()["detail"].lower()
    assert api.get(f"{API}/trees", params={"q": "Never stored"}, headers=owner["headers"]).json()["total"] == 0


def test_read_your_writes_for_create_update_delete(api) -> None:
    owner = register(api)
    h = owner["headers"]
    for _ in range(5):
        tree = _tree(api, h)
        assert api.get(f"{API}/trees/{tree['id']}", headers=h).status_code == 200
        changed = api.put(
            f"{API}/trees/{tree['id']}",
            json={
                "name": "Renamed",
                "tree_structure": {
                    **TREE,
                    "nodes": TREE["nodes"][:1] + [{**TREE["nodes"][1], "title": "Fixed"}] + TREE["nodes"][2:],
                },
            },
            headers=h,
        )
        assert changed.status_code == 200
        assert changed.json()["version"] == 2
        got = api.get(f"{API}/trees/{tree['id']}", headers=h).json()
        assert (got["name"], got["version"]) == ("Renamed", 2)
        assert api.delete(f"{API}/trees/{tree['id']}", headers=h).status_code == 204
        assert api.get(f"{API}/trees/{tree['id']}", headers=h).status_code == 404
    step = api.post(
        f"{API}/steps",
        json={
            "title": "Flush DNS",
            "step_type": "action",
            "content": {"instructions": "ipconfig /flushdns"},
            "visibility": "team",
        },
        headers=h,
    )
    assert step.status_code == 201
    assert api.get(f"{API}/steps/{step.json()['id']}", headers=h).json()["title"] == "Flush DNS"
    assert (
        api.put(f"{API}/steps/{step.json()['id']}", json={"title": "Flush the DNS cache"}, headers=h).status_code == 200
    )
    assert api.get(f"{API}/steps/{step.json()['id']}", headers=h).json()["title"] == "Flush the DNS cache"
    assert api.delete(f"{API}/steps/{step.json()['id']}", headers=h).status_code == 204
    assert api.get(f"{API}/steps/{step.json()['id']}", headers=h).json()["is_active"] is False


def test_other_accounts_see_published_versions_only(api) -> None:
    owner, stranger = register(api), register(api)
    secret = {
        **TREE,
        "nodes": TREE["nodes"][:2] + [{**TREE["nodes"][2], "description": "INTERNAL NOTE: admin pw is hunter2"}],
    }
    tid = _tree(api, owner["headers"], is_public=True, tree_structure=secret)["id"]  # v1: a draft with a secret
    published = api.put(
        f"{API}/trees/{tid}", json={"status": "published", "tree_structure": TREE}, headers=owner["headers"]
    )
    assert published.json()["version"] == 2
    # The owner's account sees both versions, the draft included.
    assert [v["version"] for v in api.get(f"{API}/trees/{tid}/versions", headers=owner["headers"]).json()["items"]] == [
        2,
        1,
    ]
    assert "hunter2" in api.get(f"{API}/trees/{tid}/versions/1", headers=owner["headers"]).text
    # Another account reads the public flow, but the never-published draft does not exist for it.
    listed = api.get(f"{API}/trees/{tid}/versions", headers=stranger["headers"]).json()
    assert [v["version"] for v in listed["items"]] == [2]
    assert listed["total"] == 1
    leak = api.get(f"{API}/trees/{tid}/versions/1", headers=stranger["headers"])
    assert leak.status_code == 404
    assert "hunter2" not in leak.text
    assert api.get(f"{API}/trees/{tid}/versions/2", headers=stranger["headers"]).status_code == 200
    # A later published edit shows; the draft in between stays hidden.
    assert (
        api.put(
            f"{API}/trees/{tid}", json={"status": "draft", "tree_structure": secret}, headers=owner["headers"]
        ).json()["version"]
        == 3
    )
    assert (
        api.put(
            f"{API}/trees/{tid}", json={"status": "published", "tree_structure": TREE}, headers=owner["headers"]
        ).json()["version"]
        == 4
    )
    assert [
        v["version"] for v in api.get(f"{API}/trees/{tid}/versions", headers=stranger["headers"]).json()["items"]
    ] == [4, 2]


def test_password_change_is_rate_limited(api, monkeypatch) -> None:
    from resolutionflow_app.settings import get_settings

    owner = register(api)
    monkeypatch.setenv("RF_AUTH_RATE_LIMIT", "5/minute")
    get_settings.cache_clear()
    try:
        codes = [
            api.post(
                f"{API}/auth/password",
                json={"current_password": "wrong-password-x", "new_password": "another-good-one-7"},
                headers=owner["headers"],
            ).status_code
            for _ in range(7)
        ]
    finally:
        monkeypatch.delenv("RF_AUTH_RATE_LIMIT")
        get_settings.cache_clear()
    assert codes[:5] == [422] * 5
    assert codes[5:] == [429, 429]


@pytest.mark.parametrize("weak", ["password12", "1234567890", "aaaaaaaaaa", "QWERTYUIOP", "Password123"])
def test_weak_passwords_are_refused_everywhere(api, weak) -> None:
    resp = api.post(
        f"{API}/auth/register",
        json={"email": f"{uuid.uuid4().hex[:8]}@example.com", "password": weak, "name": "W", "account_name": "W"},
    )
    assert resp.status_code == 422
    assert "password" in resp.json()["detail"].lower()
    owner = register(api)
    member = api.post(
        f"{API}/account/members",
        json={"email": f"{uuid.uuid4().hex[:8]}@example.com", "name": "M", "role": "engineer", "password": weak},
        headers=owner["headers"],
    )
    assert member.status_code == 422
    change = api.post(
        f"{API}/auth/password", json={"current_password": PASSWORD, "new_password": weak}, headers=owner["headers"]
    )
    assert change.status_code == 422
    assert "password" in change.json()["detail"].lower()


MALFORMED = [
    "/trees/x",
    "/trees/x/versions",
    "/steps/not-an-id",
    "/sessions/1",
    "/shares/zz/views",
    "/automations/not-a-uuid",
    "/automations/not-a-uuid/graph",
    "/automation-runs/xyz",
    "/models/1",
    "/assistants/x",
    "/mcp-servers/x",
    "/files/x",
]


@pytest.mark.parametrize("path", MALFORMED)
def test_a_malformed_id_is_not_found(api, path) -> None:
    owner = register(api)
    resp = api.get(f"{API}{path}", headers=owner["headers"])
    assert resp.status_code == 404
    assert isinstance(resp.json()["detail"], str)


def test_unknown_api_paths_answer_json_even_behind_the_web_app() -> None:
    app = create_api()

    async def web_app(scope, receive, send):  # what Reflex's production backend answers: its static files route
        status, text = (404, b"Not Found") if scope["method"] == "GET" else (405, b"Method Not Allowed")
        await PlainTextResponse(text.decode(), status_code=status)(scope, receive, send)

    app.mount("", web_app)  # as Reflex mounts itself behind the API (api_transformer), after the API's routes
    with TestClient(app, raise_server_exceptions=False) as client:
        for method in ("GET", "POST", "DELETE"):
            resp = client.request(method, f"{API}/no/such/thing")
            assert resp.status_code == 404
            assert resp.json() == {"detail": "Not found."}
        # A real API path with a method it does not serve reaches the web app too: still the API's JSON 405.
        for method, path in (("PATCH", "/trees"), ("DELETE", "/auth/me")):
            resp = client.request(method, f"{API}{path}")
            assert resp.status_code == 405, (method, path)
            assert resp.json() == {"detail": "Method not allowed."}
        # A trailing slash is not redirected behind the web app: the empty share token is still the API's 404.
        assert client.get(f"{API}/shares/by-token/").json() == {"detail": "Share not found or has been revoked"}
        assert client.get("/elsewhere").text == "Not Found"  # pages keep the web app's answer


@pytest.mark.parametrize(("status", "method"), [(404, "GET"), (405, "DELETE")])
def test_the_production_web_apps_html_404_page_and_405_become_a_json_404(tmp_path, status, method) -> None:
    """Reflex's production server answers an unknown path with its HTML 404 page as a file (granian sends it
    itself: `http.response.pathsend`) and other methods with a plain-text 405; the API path gets JSON instead."""
    import asyncio

    from resolutionflow_app.api.json_not_found import JsonNotFoundMiddleware

    page = tmp_path / "404.html"
    page.write_text("<!DOCTYPE html><html lang='en'><body>Page not found</body></html>")

    async def web_app(scope, receive, send):
        if status == 404:
            headers = [(b"content-type", b"text/html"), (b"content-length", str(page.stat().st_size).encode())]
            headers += [(b"etag", b'"x"'), (b"content-encoding", b"gzip")]  # as sent to a client that takes gzip
            await send({"type": "http.response.start", "status": 404, "headers": headers})
            await send({"type": "http.response.pathsend", "path": str(page)})
        else:
            await send({"type": "http.response.start", "status": 405, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"Method Not Allowed", "more_body": False})

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "path": f"{API}/no/such/thing", "method": method, "headers": []}
    scope["extensions"] = {"http.response.pathsend": {}}
    asyncio.run(JsonNotFoundMiddleware(web_app, prefix=API)(scope, receive, send))

    start, *bodies = sent
    headers = dict(start["headers"])
    assert start["status"] == 404
    assert headers[b"content-type"] == b"application/json"
    assert b"etag" not in headers
    assert b"content-encoding" not in headers
    assert [m["type"] for m in bodies] == ["http.response.body"]
    assert json.loads(bodies[0]["body"]) == {"detail": "Not found."}
    assert headers[b"content-length"] == str(len(bodies[0]["body"])).encode()


@pytest.mark.parametrize(
    "query",
    [
        "/automation-runs?status=zzz",
        "/trees?status=zzz",
        "/trees?tree_type=zz",
        "/steps?sort=zz",
        "/steps?visibility=zz",
        "/sessions?status=zz",
        "/sessions?outcome=zz",
    ],
)
def test_unknown_filter_values_are_422(api, query) -> None:
    owner = register(api)
    assert api.get(f"{API}{query}", headers=owner["headers"]).status_code == 422


def test_only_the_starter_authors_and_owners_cancel_a_run(api) -> None:
    owner = register(api)
    author = add_member(api, owner, role="author")
    eng1, eng2 = add_member(api, owner, role="engineer"), add_member(api, owner, role="engineer")
    model = api.post(
        f"{API}/models",
        json={"name": "Offline", "provider": "offline", "model": "offline", "security_level": 0},
        headers=owner["headers"],
    ).json()
    auto = api.post(
        f"{API}/automations",
        json={
            "name": "A",
            "steps": [
                {"step_order": 1, "assistant": {"prompt": "p", "model_id": model["id"]}, "input_source": "flow_input"}
            ],
        },
        headers=author["headers"],
    ).json()
    assert api.post(f"{API}/automations/{auto['id']}/publish", headers=author["headers"]).status_code == 200

    def start(headers) -> str:
        resp = api.post(f"{API}/automations/{auto['id']}/runs", json={"text": "x"}, headers=headers)
        assert resp.status_code == 202, resp.text
        return resp.json()["id"]

    run = start(eng1["headers"])
    refused = api.delete(f"{API}/automation-runs/{run}", headers=eng2["headers"])
    assert refused.status_code == 403
    assert "started" in refused.json()["detail"]
    assert api.get(f"{API}/automation-runs/{run}", headers=eng1["headers"]).json()["status"] == "queued"
    assert api.delete(f"{API}/automation-runs/{run}", headers=eng1["headers"]).json()["status"] == "cancelled"
    for who in (author, owner):
        assert (
            api.delete(f"{API}/automation-runs/{start(eng1['headers'])}", headers=who["headers"]).json()["status"]
            == "cancelled"
        )


def test_cancel_marks_the_in_flight_step_cancelled(api) -> None:
    import asyncio
    import time

    from resolutionflow_app.services.automation_worker import worker_loop
    from tests.automation_helpers import ScriptedProvider, deps_for

    owner = register(api)
    model = api.post(
        f"{API}/models",
        json={"name": "Offline", "provider": "offline", "model": "offline", "security_level": 0},
        headers=owner["headers"],
    ).json()
    steps = [
        {
            "step_order": i,
            "assistant": {"prompt": "p", "model_id": model["id"]},
            "input_source": "flow_input" if i == 1 else "previous_step",
        }
        for i in (1, 2)
    ]
    auto = api.post(f"{API}/automations", json={"name": "Slow", "steps": steps}, headers=owner["headers"]).json()
    run = api.post(f"{API}/automations/{auto['id']}/runs", json={"text": "x"}, headers=owner["headers"]).json()
    provider = ScriptedProvider(answer="slow", delay=5.0)
    worker = threading.Thread(
        target=lambda: asyncio.run(worker_loop(worker_id="t", poll_seconds=0.01, deps=deps_for(provider), max_runs=1))
    )
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while not provider.calls and time.monotonic() < deadline:
            time.sleep(0.02)
        assert api.delete(f"{API}/automation-runs/{run['id']}", headers=owner["headers"]).status_code == 202
    finally:
        worker.join(timeout=15)
    final = api.get(f"{API}/automation-runs/{run['id']}", headers=owner["headers"]).json()
    assert final["status"] == "cancelled"
    assert [s["status"] for s in final["step_results"] if s["status"] == "running"] == []
    assert final["step_results"][0]["status"] == "cancelled"
