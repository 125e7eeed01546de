"""Black-box contract tests for the Automations part of API.md, written from the contract and the seed's checklist."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
import uuid

import pytest

from resolutionflow_app.db.engine import get_engine
from resolutionflow_app.services.automation_worker import worker_loop
from resolutionflow_app.settings import get_settings
from tests.automation_helpers import ScriptedProvider, deps_for
from tests.conftest import API_TOPOLOGY, wait_until_the_topology_is_idle
from tests.factories import add_member, register
from tests.fakes.fake_llm import fake_llm_server
from tests.fakes.webhook_receiver import webhook_receiver

API = "/api/v1"


@pytest.fixture
def loopback(monkeypatch):
    monkeypatch.setenv("RF_ALLOWED_INTERNAL_CIDRS", "127.0.0.0/8")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def team(api):
    owner = register(api)
    author = add_member(api, owner, role="author")
    engineer = add_member(api, owner, role="engineer")
    return {"owner": owner["headers"], "author": author["headers"], "engineer": engineer["headers"]}


@pytest.fixture
def stranger(api):
    return register(api)["headers"]


def _model(api, team, **kw) -> dict:
    body = {"name": "Offline", "provider": "offline", "model": "offline", "security_level": 0, **kw}
    resp = api.post(f"{API}/models", json=body, headers=team["owner"])
    assert resp.status_code == 201, resp.text
    return resp.json()


def _step(order: int, model_id: str, prompt: str = "Be helpful.", **kw) -> dict:
    return {
        "step_order": order,
        "assistant": {"prompt": prompt, "model_id": model_id},
        "input_source": "flow_input" if order == 1 else "previous_step",
        **kw,
    }


def _create(api, headers, steps, **kw):
    return api.post(
        f"{API}/automations",
        json={"name": kw.pop("name", "Contract automation"), "steps": steps, **kw},
        headers=headers,
    )


def _work(n: int = 1, provider: ScriptedProvider | None = None) -> None:
    """Execute the queued runs: here with the runner, or on the production topology by its own workers."""
    if API_TOPOLOGY:
        if provider is not None:
            pytest.skip("a scripted model in this process; the topology's workers call real (fake-server) models")
        wait_until_the_topology_is_idle(get_engine())
        return
    deps = deps_for(provider) if provider is not None else None
    asyncio.run(worker_loop(worker_id="contract", poll_seconds=0.01, deps=deps, max_runs=n))


def _run(api, headers, run_id) -> dict:
    resp = api.get(f"{API}/automation-runs/{run_id}", headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


# ---------------------------------------------------------------- models


def test_models_crud_owner_only_and_api_key_never_returned(api, team, stranger, loopback) -> None:
    body = {
        "name": "GPT",
        "provider": "openai_compatible",
        "base_url": "http://127.0.0.1:9/v1",
        "model": "gpt-4o",
        "api_key": "sk-top-secret-123",
        "security_level": 2,
        "token_limit": 8000,
        "supports_vision": True,
        "supports_audio": False,
    }
    for role in ("author", "engineer"):
        assert api.post(f"{API}/models", json=body, headers=team[role]).status_code == 403
    created = api.post(f"{API}/models", json=body, headers=team["owner"])
    assert created.status_code == 201, created.text
    model = created.json()
    assert "sk-top-secret-123" not in created.text
    assert "api_key" not in model
    for key in ("name", "provider", "model", "security_level", "token_limit", "supports_vision", "supports_audio"):
        assert model[key] == body[key], key
    uuid.UUID(model["id"])
    got = api.get(f"{API}/models/{model['id']}", headers=team["engineer"])
    assert got.status_code == 200
    assert "sk-top-secret-123" not in got.text
    listed = api.get(f"{API}/models", params={"limit": 10, "offset": 0}, headers=team["author"])
    assert listed.status_code == 200
    assert listed.json()["total"] == 1
    assert "sk-top-secret-123" not in listed.text
    assert set(listed.json()) >= {"items", "total"}
    put = api.put(
        f"{API}/models/{model['id']}", json={"name": "GPT-4o", "api_key": "sk-new-secret-456"}, headers=team["owner"]
    )
    assert put.status_code == 200
    assert put.json()["name"] == "GPT-4o"
    assert "sk-new-secret-456" not in put.text
    assert "sk-top-secret" not in put.text
    assert api.put(f"{API}/models/{model['id']}", json={"name": "x"}, headers=team["author"]).status_code == 403
    # another account never sees it
    assert api.get(f"{API}/models/{model['id']}", headers=stranger).status_code == 404
    assert api.put(f"{API}/models/{model['id']}", json={"name": "x"}, headers=stranger).status_code == 404
    assert api.delete(f"{API}/models/{model['id']}", headers=stranger).status_code == 404
    assert api.get(f"{API}/models", headers=stranger).json()["total"] == 0
    assert api.delete(f"{API}/models/{model['id']}", headers=team["author"]).status_code == 403
    assert api.delete(f"{API}/models/{model['id']}", headers=team["owner"]).status_code == 204
    assert api.get(f"{API}/models/{model['id']}", headers=team["owner"]).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/",
        "http://10.0.0.1/",
        "http://192.168.0.10/v1",
        "http://[::1]/v1",
        "file:///etc/passwd",
        "http://user:pw@93.184.216.34/",
    ],
)
def test_model_base_url_refused_by_ssrf_guard_is_422(api, team, url) -> None:
    resp = api.post(
        f"{API}/models",
        json={"name": "bad", "provider": "openai_compatible", "base_url": url, "model": "m", "security_level": 0},
        headers=team["owner"],
    )
    assert resp.status_code == 422, resp.text
    assert isinstance(resp.json()["detail"], (str, list))
    assert api.get(f"{API}/models", headers=team["owner"]).json()["total"] == 0
    ok = _model(api, team)
    assert (
        api.put(
            f"{API}/models/{ok['id']}", json={"provider": "openai_compatible", "base_url": url}, headers=team["owner"]
        ).status_code
        == 422
    )


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "provider": "martian", "model": "m", "security_level": 0},
        {"name": "x", "provider": "offline", "model": "m", "security_level": "high"},
        {"name": "x", "provider": "offline", "model": "m", "security_level": 0, "token_limit": "lots"},
        {"provider": "offline", "model": "m", "security_level": 0},
        {"name": ["x"], "provider": "offline", "model": "m", "security_level": 0},
    ],
)
def test_model_bad_input_is_422(api, team, body) -> None:
    resp = api.post(f"{API}/models", json=body, headers=team["owner"])
    assert resp.status_code == 422, resp.text


# ---------------------------------------------------------------- assistants, MCP servers, files


def test_assistants_crud_hidden_not_listed_cross_account(api, team, stranger) -> None:
    model = _model(api, team)
    created = api.post(
        f"{API}/assistants",
        json={"name": "Helper", "prompt": "Be brief.", "model_id": model["id"]},
        headers=team["author"],
    )
    assert created.status_code == 201, created.text
    aid = created.json()["id"]
    got = api.get(f"{API}/assistants/{aid}", headers=team["engineer"])
    assert got.status_code == 200
    assert got.json()["prompt"] == "Be brief."
    put = api.put(f"{API}/assistants/{aid}", json={"name": "Helper 2", "prompt": "Be briefer."}, headers=team["author"])
    assert put.status_code == 200
    assert put.json()["prompt"] == "Be briefer."
    auto = _create(api, team["author"], [_step(1, model["id"])]).json()
    hidden_id = auto["steps"][0]["assistant_id"]
    listed = api.get(f"{API}/assistants", headers=team["author"]).json()
    assert listed["total"] == 1
    assert [a["id"] for a in listed["items"]] == [aid]
    assert api.get(f"{API}/assistants/{hidden_id}", headers=team["author"]).status_code == 200  # found by id
    assert api.get(f"{API}/assistants/{aid}", headers=stranger).status_code == 404
    assert api.put(f"{API}/assistants/{aid}", json={"name": "x"}, headers=stranger).status_code == 404
    assert api.delete(f"{API}/assistants/{aid}", headers=stranger).status_code == 404
    other_model = _model(api, {"owner": stranger})
    assert api.post(
        f"{API}/assistants", json={"name": "x", "prompt": "p", "model_id": other_model["id"]}, headers=team["author"]
    ).status_code in (404, 422)
    assert (
        api.post(
            f"{API}/assistants", json={"name": "x", "prompt": "p", "model_id": "not-a-uuid"}, headers=team["author"]
        ).status_code
        == 422
    )
    assert api.delete(f"{API}/assistants/{aid}", headers=team["author"]).status_code == 204
    assert api.get(f"{API}/assistants/{aid}", headers=team["author"]).status_code == 404


def test_mcp_servers_crud_secrets_hidden_and_ssrf(api, team, stranger) -> None:
    created = api.post(
        f"{API}/mcp-servers",
        json={"name": "Docs", "url": "https://93.184.216.34/mcp", "headers": {"Authorization": "Bearer hush-hush-9"}},
        headers=team["author"],
    )
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    assert "hush-hush-9" not in created.text
    got = api.get(f"{API}/mcp-servers/{sid}", headers=team["engineer"])
    assert got.status_code == 200
    assert "hush-hush-9" not in got.text
    put = api.put(f"{API}/mcp-servers/{sid}", json={"name": "Docs 2"}, headers=team["author"])
    assert put.status_code == 200
    assert put.json()["name"] == "Docs 2"
    assert api.get(f"{API}/mcp-servers", headers=team["author"]).json()["total"] == 1
    assert (
        api.post(
            f"{API}/mcp-servers", json={"name": "Meta", "url": "http://169.254.169.254/mcp"}, headers=team["author"]
        ).status_code
        == 422
    )
    assert api.get(f"{API}/mcp-servers/{sid}", headers=stranger).status_code == 404
    assert api.post(f"{API}/mcp-servers/{sid}/refresh-tools", headers=stranger).status_code == 404
    assert api.delete(f"{API}/mcp-servers/{sid}", headers=stranger).status_code == 404
    assert api.delete(f"{API}/mcp-servers/{sid}", headers=team["author"]).status_code == 204
    assert api.get(f"{API}/mcp-servers/{sid}", headers=team["author"]).status_code == 404


def test_files_upload_download_and_isolation(api, team, stranger) -> None:
    payload = bytes(range(256)) * 4
    up = api.post(
        f"{API}/files", files={"file": ("blob.bin", payload, "application/octet-stream")}, headers=team["engineer"]
    )
    assert up.status_code == 201, up.text
    body = up.json()
    assert body["name"] == "blob.bin"
    assert body["size"] == len(payload)
    assert body["content_type"] == "application/octet-stream"
    uuid.UUID(body["id"])
    got = api.get(f"{API}/files/{body['id']}", headers=team["author"])
    assert got.status_code == 200
    assert got.content == payload
    assert api.get(f"{API}/files/{body['id']}", headers=stranger).status_code == 404
    assert api.get(f"{API}/files/{uuid.uuid4()}", headers=team["author"]).status_code == 404
    assert (
        api.get(f"{API}/files/nope", headers=team["author"]).status_code == 404
    )  # API.md: a malformed id is not found
    assert api.post(f"{API}/files", headers=team["author"]).status_code == 422  # no file part


# ---------------------------------------------------------------- automations: definition rules


def test_create_returns_steps_with_assistant_and_engineer_cannot_create(api, team) -> None:
    model = _model(api, team)
    resp = _create(
        api,
        team["author"],
        [_step(1, model["id"], "A {{flow_input.namn}}"), _step(2, model["id"], "B")],
        description="d",
        form_schema=[{"id": "namn", "label": "Namn", "type": "text", "required": True}],
        data_retention_days=30,
    )
    assert resp.status_code == 201, resp.text
    auto = resp.json()
    assert auto["name"] == "Contract automation"
    assert auto["description"] == "d"
    assert [s["step_order"] for s in auto["steps"]] == [1, 2]
    for step, prompt in zip(auto["steps"], ("A {{flow_input.namn}}", "B"), strict=True):
        uuid.UUID(step["assistant_id"])
        assert step["assistant"]["prompt"] == prompt
        assert step["assistant"]["model_id"] == model["id"]
    assert _create(api, team["engineer"], [_step(1, model["id"])]).status_code == 403
    # an existing (visible) assistant can be referenced by id
    aid = api.post(
        f"{API}/assistants",
        json={"name": "Shared", "prompt": "Shared prompt", "model_id": model["id"]},
        headers=team["author"],
    ).json()["id"]
    by_id = _create(api, team["author"], [{"step_order": 1, "assistant_id": aid, "input_source": "flow_input"}])
    assert by_id.status_code == 201, by_id.text
    assert by_id.json()["steps"][0]["assistant_id"] == aid
    assert by_id.json()["steps"][0]["assistant"]["prompt"] == "Shared prompt"


def test_rule_violations_are_422_naming_the_step(api, team) -> None:
    low = _model(api, team, name="L0", security_level=0)
    high = _model(api, team, name="L2", security_level=2)
    cases = [
        ("Step 1", [_step(1, low["id"], input_source="previous_step")]),
        ("Step 1", [_step(1, low["id"], input_source="all_previous_steps")]),
        ("Step 2", [_step(1, low["id"]), _step(3, low["id"])]),  # non-contiguous orders
        ("Step 2", [_step(1, high["id"]), _step(2, low["id"])]),  # classification decreasing
        (
            "Step 1",
            [_step(1, high["id"], output_mode="http_post", output_config={"url": "https://93.184.216.34/hook"})],
        ),  # level 2 to external
        (
            "Step 2",
            [
                _step(1, low["id"]),
                _step(
                    2,
                    low["id"],
                    output_classification_override=3,
                    output_mode="http_post",
                    output_config={"url": "https://93.184.216.34/hook"},
                ),
            ],
        ),
    ]
    for needle, steps in cases:
        resp = _create(api, team["author"], steps)
        assert resp.status_code == 422, (steps, resp.text)
        assert needle in json.dumps(resp.json()["detail"]), (needle, resp.text)
    dup = _create(api, team["author"], [_step(1, low["id"]), _step(1, low["id"])])
    assert dup.status_code == 422
    assert api.get(f"{API}/automations", headers=team["author"]).json()["total"] == 0  # nothing half-saved
    assert api.get(f"{API}/assistants", headers=team["author"]).json()["total"] == 0


@pytest.mark.parametrize(
    "form_schema",
    [
        [{"id": "a", "label": "A", "type": "colour"}],
        [{"id": "a", "label": "A", "type": "select"}],  # select needs options
        [{"id": "a", "label": "A", "type": "text", "required": "maybe"}],
        ["not-an-object"],
    ],
)
def test_bad_form_schema_is_422(api, team, form_schema) -> None:
    model = _model(api, team)
    resp = _create(api, team["author"], [_step(1, model["id"])], form_schema=form_schema)
    assert resp.status_code == 422, resp.text


def test_all_form_field_types_are_accepted(api, team) -> None:
    model = _model(api, team)
    schema = [
        {"id": t, "label": t.title(), "type": t, "required": False}
        for t in ("text", "number", "image", "audio", "document", "file")
    ]
    schema.append({"id": "pick", "label": "Pick", "type": "select", "options": ["a", "b"], "required": True})
    resp = _create(api, team["author"], [_step(1, model["id"])], form_schema=schema)
    assert resp.status_code == 201, resp.text


@pytest.mark.parametrize(
    "raw",
    [
        "{not json",
        "[]",
        '{"name": 5, "steps": "x"}',
        '{"name": "x", "steps": [{"step_order": "one"}]}',
        '{"name": "x", "steps": [{"step_order": 1, "assistant": {"prompt": "p", "model_id": "nope"}}]}',
        '{"name": "x", "steps": [{"step_order": 1, "assistant_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"}]}',
        '{"name": "x", "steps": [{"step_order": 1, "assistant": {"prompt": "p", "model_id": '
        '"3fa85f64-5717-4562-b3fc-2c963f66afa6"}}]}',
        '{"name": "x", "steps": [{"step_order": 1, "assistant": "p", "input_source": "flow_input"}]}',
        '{"name": "x", "steps": [{"step_order": 1, "assistant": {"prompt": "p"}, "input_source": "carrier_pigeon"}]}',
        '{"name": "x", "steps": [null]}',
        '{"name": "x", "data_retention_days": "forever", "steps": []}',
    ],
)
def test_malformed_automation_bodies_never_500(api, team, raw) -> None:
    resp = api.post(f"{API}/automations", content=raw, headers={**team["author"], "Content-Type": "application/json"})
    assert resp.status_code in (400, 404, 422), resp.text
    assert "detail" in resp.json()


def test_put_replaces_definition_and_updates_hidden_assistant_in_place(api, team, stranger) -> None:
    model = _model(api, team)
    auto = _create(api, team["author"], [_step(1, model["id"], "Old"), _step(2, model["id"], "Two")]).json()
    hidden = auto["steps"][0]["assistant_id"]
    resp = api.put(
        f"{API}/automations/{auto['id']}",
        json={
            "name": "New name",
            "steps": [
                {
                    "step_order": 1,
                    "assistant_id": hidden,
                    "assistant": {"prompt": "New", "model_id": model["id"]},
                    "input_source": "flow_input",
                }
            ],
        },
        headers=team["author"],
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["name"] == "New name"
    assert len(body["steps"]) == 1
    assert body["steps"][0]["assistant_id"] == hidden
    assert body["steps"][0]["assistant"]["prompt"] == "New"
    assert api.get(f"{API}/assistants/{hidden}", headers=team["author"]).json()["prompt"] == "New"
    again = api.get(f"{API}/automations/{auto['id']}", headers=team["engineer"]).json()
    assert again["steps"][0]["assistant"]["prompt"] == "New"
    bad = api.put(
        f"{API}/automations/{auto['id']}",
        json={"steps": [_step(1, model["id"], input_source="previous_step")]},
        headers=team["author"],
    )
    assert bad.status_code == 422
    assert "Step 1" in json.dumps(bad.json()["detail"])
    assert (
        api.get(f"{API}/automations/{auto['id']}", headers=team["author"]).json()["steps"][0]["assistant"]["prompt"]
        == "New"
    )
    assert api.put(f"{API}/automations/{auto['id']}", json={"name": "x"}, headers=team["engineer"]).status_code == 403
    for call in (api.get, api.delete):
        assert call(f"{API}/automations/{auto['id']}", headers=stranger).status_code == 404
    assert api.put(f"{API}/automations/{auto['id']}", json={"name": "x"}, headers=stranger).status_code == 404
    for suffix in ("/export", "/graph"):
        assert api.get(f"{API}/automations/{auto['id']}{suffix}", headers=stranger).status_code == 404
    assert api.post(f"{API}/automations/{auto['id']}/publish", headers=stranger).status_code == 404
    assert api.post(f"{API}/automations/{auto['id']}/runs", json={}, headers=stranger).status_code == 404
    assert api.get(f"{API}/automations/{uuid.uuid4()}", headers=team["author"]).status_code == 404
    assert (
        api.get(f"{API}/automations/not-a-uuid", headers=team["author"]).status_code == 404
    )  # API.md: a malformed id is not found
    assert api.delete(f"{API}/automations/{auto['id']}", headers=team["author"]).status_code == 204
    assert api.get(f"{API}/automations/{auto['id']}", headers=team["author"]).status_code == 404


def test_export_has_no_secrets(api, team, loopback) -> None:
    model = _model(
        api,
        team,
        name="Keyed",
        provider="openai_compatible",
        base_url="http://127.0.0.1:9/v1",
        api_key="sk-export-secret-777",
        security_level=1,
    )
    auto = _create(
        api,
        team["author"],
        [
            {
                "step_order": 1,
                "assistant": {"prompt": "p", "model_id": model["id"]},
                "input_source": "http_get",
                "input_config": {
                    "url": "https://93.184.216.34/data",
                    "headers": {"Authorization": "Bearer in-header-secret-1"},
                },
            },
            {
                "step_order": 2,
                "assistant": {"prompt": "q", "model_id": model["id"]},
                "input_source": "previous_step",
                "output_mode": "http_post",
                "output_config": {"url": "https://93.184.216.34/hook", "headers": {"X-Api-Key": "out-header-secret-2"}},
            },
        ],
    )
    assert auto.status_code == 201, auto.text
    assert "in-header-secret-1" not in auto.text
    assert "out-header-secret-2" not in auto.text
    secret = api.get(f"{API}/automations/{auto.json()['id']}/webhook-secret", headers=team["author"]).json()[
        "webhook_secret"
    ]
    exported = api.get(f"{API}/automations/{auto.json()['id']}/export", headers=team["engineer"])
    assert exported.status_code == 200, exported.text
    for needle in ("sk-export-secret-777", "in-header-secret-1", "out-header-secret-2", secret):
        assert needle not in exported.text, needle
    text = exported.text
    assert "https://93.184.216.34/hook" in text
    assert '"p"' in text
    assert '"q"' in text  # a full definition
    got = api.get(f"{API}/automations/{auto.json()['id']}", headers=team["author"])
    assert "in-header-secret-1" not in got.text
    assert "out-header-secret-2" not in got.text


# ---------------------------------------------------------------- graph


def test_graph_nodes_and_edges_follow_the_seed(api, team) -> None:
    model = _model(api, team, name="Graph model", security_level=1)
    auto = _create(
        api,
        team["author"],
        [
            _step(1, model["id"], user_description="Collect"),
            _step(2, model["id"]),
            {
                "step_order": 3,
                "assistant": {"prompt": "Merge", "model_id": model["id"]},
                "input_source": "all_previous_steps",
                "output_classification_override": 2,
            },
        ],
        form_schema=[{"id": "namn", "label": "Namn", "type": "text"}],
    ).json()
    resp = api.get(f"{API}/automations/{auto['id']}/graph", headers=team["engineer"])
    assert resp.status_code == 200, resp.text
    graph = resp.json()
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert [n["id"] for n in graph["nodes"]] == ["input", "step_1", "step_2", "step_3", "output"]
    assert nodes["input"]["type"] == "input"
    assert nodes["input"]["fields"] == ["namn"]
    assert nodes["output"]["type"] == "output"
    assert nodes["step_1"]["label"] == "Collect"
    assert nodes["step_1"]["type"] == "llm"
    assert nodes["step_1"]["model"] == "Graph model"
    assert nodes["step_1"]["input_source"] == "flow_input"
    assert nodes["step_1"]["classification"] == 1
    assert nodes["step_3"]["classification"] == 2
    assert nodes["step_1"]["has_webhook"] is False
    assert nodes["step_1"]["has_http_input"] is False
    edges = {(e["source"], e["target"]): e for e in graph["edges"]}
    assert set(edges) == {
        ("input", "step_1"),
        ("step_1", "step_2"),
        ("step_1", "step_3"),
        ("step_2", "step_3"),
        ("input", "step_3"),
        ("step_3", "output"),
    }
    assert edges[("step_1", "step_3")].get("style") == "dashed"
    assert edges[("step_1", "step_3")].get("label") == "aggregated"
    assert edges[("input", "step_3")].get("style") == "dashed"
    assert edges[("step_1", "step_2")].get("style") in (None, "solid")
    assert (
        api.get(f"{API}/automations/{auto['id']}/graph", params={"run_id": "junk"}, headers=team["author"]).status_code
        == 422
    )


# ---------------------------------------------------------------- runs


def test_run_with_openai_compatible_model_records_usage_tokens_and_graph(api, team, loopback) -> None:
    with fake_llm_server() as llm:
        llm.script(
            {"content": '{"town": "Umea"}', "usage": {"prompt_tokens": 17, "completion_tokens": 5}},
            {"content": "final answer", "usage": {"prompt_tokens": 23, "completion_tokens": 2}},
        )
        model = _model(
            api,
            team,
            name="Fake",
            provider="openai_compatible",
            base_url=llm.base_url,
            model="fake-model",
            api_key="sk-fake",
            security_level=0,
        )
        auto = _create(
            api,
            team["author"],
            [
                _step(1, model["id"], "Extract for {{flow_input.namn}}", output_type="json"),
                _step(2, model["id"], "Town is {{step_1.output.town}}; missing {{flow_input.nothing}}"),
            ],
            form_schema=[{"id": "namn", "label": "Namn", "type": "text"}],
        ).json()
        started = api.post(
            f"{API}/automations/{auto['id']}/runs",
            json={"text": "ticket text", "form_data": {"namn": "Anna"}},
            headers=team["author"],
        )
        assert started.status_code == 202, started.text
        assert started.json()["status"] == "queued"
        rid = started.json()["id"]
        _work(1)
        run = _run(api, team["engineer"], rid)
        assert run["status"] == "completed", run
        assert run["id"] == rid
        assert run["automation_id"] == auto["id"]
        assert run["error_message"] is None
        assert isinstance(run["input_payload_json"], dict)
        assert run["output_payload_json"]["text"] == "final answer"
        steps = run["step_results"]
        assert [s["step_order"] for s in steps] == [1, 2]
        assert (steps[0]["num_tokens_input"], steps[0]["num_tokens_output"]) == (17, 5)
        assert (steps[1]["num_tokens_input"], steps[1]["num_tokens_output"]) == (23, 2)
        for s in steps:
            assert s["status"] == "completed"
            assert s["error_message"] is None
            assert len(s["execution_hash"]) == 64
            assert s["started_at"]
            assert s["finished_at"]
            assert s["input_payload_json"] is not None
            assert s["output_payload_json"] is not None
        assert llm.headers[0].get("authorization") == "Bearer sk-fake"
        systems = [next(m["content"] for m in r["messages"] if m["role"] == "system") for r in llm.requests]
        assert "Extract for Anna" in systems[0]
        assert "Town is Umea" in systems[1]
        assert "{{flow_input.nothing}}" in systems[1]
        users = [[m for m in r["messages"] if m["role"] == "user"][-1]["content"] for r in llm.requests]
        assert "ticket text" in json.dumps(users[0])
        assert "town" in json.dumps(users[1])
    graph = api.get(f"{API}/automations/{auto['id']}/graph", params={"run_id": rid}, headers=team["author"]).json()
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes["step_1"]["status"] == "completed"
    assert nodes["step_1"]["tokens_input"] == 17
    assert nodes["step_1"]["tokens_output"] == 5
    assert nodes["step_2"]["tokens_input"] == 23
    assert isinstance(nodes["step_2"]["duration_ms"], int)
    assert nodes["step_2"]["error"] is None
    listed = api.get(f"{API}/automation-runs", params={"automation_id": auto["id"], "limit": 5}, headers=team["author"])
    assert listed.status_code == 200
    assert listed.json()["total"] == 1
    assert listed.json()["items"][0]["id"] == rid


def test_failed_run_graph_and_error_then_resume_from_failed_step(api, team, loopback) -> None:
    with fake_llm_server() as llm:
        model = _model(
            api,
            team,
            name="Fake",
            provider="openai_compatible",
            base_url=llm.base_url,
            model="fake-model",
            security_level=0,
        )
        auto = _create(
            api,
            team["author"],
            [_step(1, model["id"], "one"), _step(2, model["id"], "two"), _step(3, model["id"], "three")],
        ).json()
        rid = api.post(f"{API}/automations/{auto['id']}/runs", json={"text": "go"}, headers=team["author"]).json()["id"]
        llm.script("first", {"status": 400, "content": "bad request from model"})
        _work(1)
        failed = _run(api, team["author"], rid)
        assert failed["status"] == "failed"
        assert failed["error_message"]
        by_order = {s["step_order"]: s for s in failed["step_results"]}
        assert by_order[1]["status"] == "completed"
        assert by_order[2]["status"] == "failed"
        assert by_order[2]["error_message"]
        assert 3 not in by_order or by_order[3]["status"] not in ("completed", "failed")
        graph = api.get(f"{API}/automations/{auto['id']}/graph", params={"run_id": rid}, headers=team["author"]).json()
        nodes = {n["id"]: n for n in graph["nodes"]}
        assert nodes["step_2"]["status"] == "failed"
        assert nodes["step_2"]["error"]
        calls_before = llm.call_count
        resumed = api.post(f"{API}/automation-runs/{rid}/resume", headers=team["author"])
        assert resumed.status_code == 202
        assert resumed.json()["status"] == "queued"
        _work(1)
        done = _run(api, team["author"], rid)
        assert done["status"] == "completed", done
        new_calls = llm.requests[calls_before:]
        assert len(new_calls) == 2  # steps 2 and 3 only; step 1 kept
        assert done["step_results"][0]["output_payload_json"] == by_order[1]["output_payload_json"]
        assert done["step_results"][0]["execution_hash"] == by_order[1]["execution_hash"]


def test_resume_after_prompt_change_reruns_from_step_one(api, team) -> None:
    model = _model(api, team)
    auto = _create(api, team["author"], [_step(1, model["id"], "one"), _step(2, model["id"], "two")]).json()
    rid = api.post(f"{API}/automations/{auto['id']}/runs", json={"text": "go"}, headers=team["author"]).json()["id"]
    state = {"n": 0}

    def flaky(call):
        state["n"] += 1
        if call["system_prompt"] == "two":
            raise RuntimeError("model down")
        return "ok"

    _work(1, ScriptedProvider(answer=flaky))
    failed = _run(api, team["author"], rid)
    assert failed["status"] == "failed"
    old_hash = failed["step_results"][0]["execution_hash"]
    # change step 1's prompt (in place, same hidden assistant) and step 2's so it works
    steps = auto["steps"]
    put = api.put(
        f"{API}/automations/{auto['id']}",
        json={
            "steps": [
                {
                    "step_order": 1,
                    "assistant_id": steps[0]["assistant_id"],
                    "assistant": {"prompt": "one v2", "model_id": model["id"]},
                    "input_source": "flow_input",
                },
                {
                    "step_order": 2,
                    "assistant_id": steps[1]["assistant_id"],
                    "assistant": {"prompt": "two v2", "model_id": model["id"]},
                    "input_source": "previous_step",
                },
            ]
        },
        headers=team["author"],
    )
    assert put.status_code == 200, put.text
    assert api.post(f"{API}/automation-runs/{rid}/resume", headers=team["author"]).status_code == 202
    provider = ScriptedProvider(answer="ok")
    _work(1, provider)
    assert [c["system_prompt"] for c in provider.calls] == ["one v2", "two v2"]  # full rerun from step 1
    done = _run(api, team["author"], rid)
    assert done["status"] == "completed"
    assert done["step_results"][0]["execution_hash"] != old_hash


def test_resume_after_cosmetic_change_keeps_completed_steps(api, team) -> None:
    model = _model(api, team)
    auto = _create(api, team["author"], [_step(1, model["id"], "one"), _step(2, model["id"], "two")]).json()
    rid = api.post(f"{API}/automations/{auto['id']}/runs", json={"text": "go"}, headers=team["author"]).json()["id"]
    _work(
        1,
        ScriptedProvider(
            answer=lambda c: (_ for _ in ()).throw(RuntimeError("down")) if c["system_prompt"] == "two" else "ok"
        ),
    )
    assert _run(api, team["author"], rid)["status"] == "failed"
    steps = auto["steps"]
    put = api.put(
        f"{API}/automations/{auto['id']}",
        json={
            "steps": [
                {
                    "step_order": 1,
                    "assistant_id": steps[0]["assistant_id"],
                    "assistant": {"prompt": "one", "model_id": model["id"]},
                    "input_source": "flow_input",
                    "user_description": "Typo fixed",
                },
                {
                    "step_order": 2,
                    "assistant_id": steps[1]["assistant_id"],
                    "assistant": {"prompt": "two", "model_id": model["id"]},
                    "input_source": "previous_step",
                },
            ]
        },
        headers=team["author"],
    )
    assert put.status_code == 200, put.text
    assert api.post(f"{API}/automation-runs/{rid}/resume", headers=team["author"]).status_code == 202
    provider = ScriptedProvider(answer="ok")
    _work(1, provider)
    assert [c["system_prompt"] for c in provider.calls] == ["two"]


def test_run_permissions_drafts_and_published(api, team) -> None:
    model = _model(api, team)
    auto = _create(api, team["author"], [_step(1, model["id"])]).json()
    assert api.post(
        f"{API}/automations/{auto['id']}/runs", json={"text": "x"}, headers=team["engineer"]
    ).status_code in (403, 404)
    assert (
        api.post(f"{API}/automations/{auto['id']}/runs", json={"text": "x"}, headers=team["author"]).status_code == 202
    )
    assert (
        api.post(f"{API}/automations/{auto['id']}/runs", json={"text": "x"}, headers=team["owner"]).status_code == 202
    )
    assert api.post(f"{API}/automations/{auto['id']}/publish", headers=team["engineer"]).status_code == 403
    pub = api.post(f"{API}/automations/{auto['id']}/publish", headers=team["author"])
    assert pub.status_code == 200, pub.text
    run = api.post(f"{API}/automations/{auto['id']}/runs", json={"text": "x"}, headers=team["engineer"])
    assert run.status_code == 202
    assert run.json()["status"] == "queued"
    assert (
        api.post(f"{API}/automations/{auto['id']}/runs", json={}, headers=team["engineer"]).status_code == 202
    )  # all fields optional
    assert api.post(f"{API}/automations/{uuid.uuid4()}/runs", json={}, headers=team["author"]).status_code == 404
    for body in (
        {"text": 5},
        {"form_data": "x"},
        {"file_ids": "x"},
        {"file_ids": ["not-a-uuid"]},
        {"file_ids": [str(uuid.uuid4())]},
    ):
        resp = api.post(f"{API}/automations/{auto['id']}/runs", json=body, headers=team["author"])
        assert resp.status_code in (404, 422), (body, resp.text)
    bad = api.post(
        f"{API}/automations/{auto['id']}/runs",
        content="{oops",
        headers={**team["author"], "Content-Type": "application/json"},
    )
    assert bad.status_code in (400, 422)


def test_run_with_uploaded_file(api, team) -> None:
    model = _model(api, team)
    auto = _create(api, team["author"], [_step(1, model["id"], input_type="document")]).json()
    fid = api.post(
        f"{API}/files", files={"file": ("notes.txt", b"the router is on fire", "text/plain")}, headers=team["author"]
    ).json()["id"]
    started = api.post(
        f"{API}/automations/{auto['id']}/runs", json={"text": "see file", "file_ids": [fid]}, headers=team["author"]
    )
    assert started.status_code == 202, started.text
    provider = ScriptedProvider(answer="seen")
    _work(1, provider)
    assert _run(api, team["author"], started.json()["id"])["status"] == "completed"
    assert "the router is on fire" in json.dumps(provider.calls[0]["file_texts"]) + provider.calls[0]["user_input"]
    other = register(api)
    other_model = _model(api, {"owner": other["headers"]})
    other_auto = _create(api, other["headers"], [_step(1, other_model["id"])]).json()
    stolen = api.post(f"{API}/automations/{other_auto['id']}/runs", json={"file_ids": [fid]}, headers=other["headers"])
    assert stolen.status_code in (404, 422)  # another account's file is not usable


@pytest.mark.in_process  # needs a run that stays queued: on the production topology a worker takes it at once
def test_cancel_queued_and_running_runs(api, team) -> None:
    model = _model(api, team)
    auto = _create(api, team["author"], [_step(1, model["id"], "one"), _step(2, model["id"], "two")]).json()
    queued = api.post(f"{API}/automations/{auto['id']}/runs", json={"text": "x"}, headers=team["author"]).json()
    cancel = api.delete(f"{API}/automation-runs/{queued['id']}", headers=team["author"])
    assert cancel.status_code == 202
    assert cancel.json()["status"] == "cancelled"
    assert _run(api, team["author"], queued["id"])["status"] == "cancelled"
    running = api.post(f"{API}/automations/{auto['id']}/runs", json={"text": "x"}, headers=team["author"]).json()
    provider = ScriptedProvider(answer="slow", delay=5.0)
    thread = threading.Thread(target=_work, args=(1, provider))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not provider.calls and time.monotonic() < deadline:  # the model call is in flight
            time.sleep(0.02)
        assert _run(api, team["author"], running["id"])["status"] == "running"
        resp = api.delete(f"{API}/automation-runs/{running['id']}", headers=team["author"])
        assert resp.status_code == 202, resp.text
    finally:
        thread.join(timeout=15)
    assert not thread.is_alive()
    final = _run(api, team["author"], running["id"])
    assert final["status"] == "cancelled"
    assert len(provider.calls) == 1
    other = register(api)
    assert api.delete(f"{API}/automation-runs/{running['id']}", headers=other["headers"]).status_code == 404
    assert api.post(f"{API}/automation-runs/{running['id']}/resume", headers=other["headers"]).status_code == 404
    assert (
        api.get(f"{API}/automation-runs", params={"automation_id": auto["id"]}, headers=other["headers"]).json()[
            "total"
        ]
        == 0
    )
    assert api.get(f"{API}/automation-runs/{uuid.uuid4()}", headers=team["author"]).status_code == 404
    assert (
        api.get(f"{API}/automation-runs/xyz", headers=team["author"]).status_code == 404
    )  # API.md: a malformed id is not found
    assert api.get(f"{API}/automation-runs", params={"automation_id": "xyz"}, headers=team["author"]).status_code == 422
    assert api.get(f"{API}/automation-runs", params={"limit": -1}, headers=team["author"]).status_code == 422


def test_run_list_limit_and_filter(api, team) -> None:
    model = _model(api, team)
    a = _create(api, team["author"], [_step(1, model["id"])]).json()
    b = _create(api, team["author"], [_step(1, model["id"])], name="Other").json()
    ids = [
        api.post(f"{API}/automations/{a['id']}/runs", json={"text": str(i)}, headers=team["author"]).json()["id"]
        for i in range(3)
    ]
    api.post(f"{API}/automations/{b['id']}/runs", json={}, headers=team["author"])
    listed = api.get(
        f"{API}/automation-runs", params={"automation_id": a["id"], "limit": 2}, headers=team["engineer"]
    ).json()
    assert listed["total"] == 3
    assert len(listed["items"]) == 2
    assert {i["id"] for i in listed["items"]} <= set(ids)
    assert all(i["automation_id"] == a["id"] for i in listed["items"])
    assert api.get(f"{API}/automation-runs", headers=team["author"]).json()["total"] == 4


def _verify_standard_webhook(secret: str, headers: dict, body: bytes) -> None:
    """Independent Standard Webhooks verification (not the implementation's helper)."""
    lower = {k.lower(): v for k, v in headers.items()}
    key = base64.b64decode(secret.removeprefix("whsec_")) if secret.startswith("whsec_") else secret.encode()
    signed = f"{lower['webhook-id']}.{lower['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    sigs = [part.split(",", 1)[1] for part in lower["webhook-signature"].split() if part.startswith("v1,")]
    assert expected in sigs, (lower["webhook-signature"], expected)
    assert abs(int(lower["webhook-timestamp"]) - time.time()) < 300


def test_webhook_output_headers_idempotency_key_and_signature(api, team, loopback) -> None:
    model = _model(api, team, security_level=1)
    with webhook_receiver() as hook:
        auto = _create(
            api,
            team["author"],
            [
                _step(1, model["id"], "one", output_mode="http_post", output_config={"url": hook.url}),
                _step(2, model["id"], "two"),
                _step(
                    3,
                    model["id"],
                    "three",
                    output_mode="http_post",
                    output_config={"url": hook.url, "headers": {"X-Tenant": "acme"}},
                ),
            ],
        ).json()
        secret = api.get(f"{API}/automations/{auto['id']}/webhook-secret", headers=team["author"]).json()[
            "webhook_secret"
        ]
        rid = api.post(f"{API}/automations/{auto['id']}/runs", json={"text": "x"}, headers=team["author"]).json()["id"]
        _work(1, ScriptedProvider(answer=lambda c: f'said "{c["system_prompt"]}"'))
        run = _run(api, team["author"], rid)
        assert run["status"] == "completed", run
        assert len(hook.requests) == 2
        canonical = str(uuid.UUID(rid))
        for req, order, text in zip(hook.requests, (1, 3), ('said "one"', 'said "three"'), strict=True):
            headers = {k.lower(): v for k, v in req.headers.items()}
            assert headers["idempotency-key"] == hashlib.sha256(f"{canonical}{order}".encode()).hexdigest()
            assert headers["webhook-signature"].startswith("v1,")
            _verify_standard_webhook(secret, headers, req.body)
            assert req.text == text  # the body is the step output
        assert {k.lower(): v for k, v in hook.requests[1].headers.items()}["x-tenant"] == "acme"


def test_webhook_to_blocked_address_fails_the_run_not_500(api, team) -> None:
    model = _model(api, team, security_level=1)
    auto = _create(
        api,
        team["author"],
        [_step(1, model["id"], output_mode="http_post", output_config={"url": "http://10.0.0.1/hook"})],
    )
    if auto.status_code == 422:  # refused at definition time is also fine
        return
    assert auto.status_code == 201, auto.text
    rid = api.post(f"{API}/automations/{auto.json()['id']}/runs", json={"text": "x"}, headers=team["author"]).json()[
        "id"
    ]
    _work(1, ScriptedProvider(answer="ok"))
    run = _run(api, team["author"], rid)
    assert run["status"] == "failed"
    assert run["error_message"]


# -------------------------------------------------------- out-of-range numbers and header injection (bugs found here)


def test_out_of_range_numbers_are_422_not_500(api, team) -> None:
    model = _model(api, team)
    big = _create(api, team["author"], [_step(1, model["id"], output_classification_override=2**70)])
    assert big.status_code == 422
    assert "Step 1" in json.dumps(big.json()["detail"])
    assert _create(api, team["author"], [_step(1, model["id"])], data_retention_days=10**12).status_code == 422
    assert _create(api, team["author"], [_step(2**70, model["id"])]).status_code == 422
    assert (
        api.post(
            f"{API}/models",
            json={"name": "x", "provider": "offline", "model": "m", "security_level": 0, "token_limit": 2**70},
            headers=team["owner"],
        ).status_code
        == 422
    )
    assert (
        api.post(
            f"{API}/models",
            json={"name": "x", "provider": "offline", "model": "m", "security_level": 2**70},
            headers=team["owner"],
        ).status_code
        == 422
    )
    resp = api.get(f"{API}/automation-runs", params={"offset": 10**20}, headers=team["author"])
    assert resp.status_code == 200
    assert resp.json()["items"] == []
    assert api.get(f"{API}/automations", headers=team["author"]).json()["total"] == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.example"},
        {"Content-Length": "5"},
        {"Transfer-Encoding": "chunked"},
        {"X-A": "a\r\nX-B: c"},
        {"Bad Name": "v"},
    ],
)
def test_header_injection_is_refused_when_saving(api, team, headers) -> None:
    model = _model(api, team, security_level=1)
    out = _create(
        api,
        team["author"],
        [
            _step(
                1,
                model["id"],
                output_mode="http_post",
                output_config={"url": "https://93.184.216.34/hook", "headers": headers},
            )
        ],
    )
    assert out.status_code == 422, out.text
    assert "Step 1" in json.dumps(out.json()["detail"]), out.text
    inp = _create(
        api,
        team["author"],
        [
            _step(
                1,
                model["id"],
                input_source="http_get",
                input_config={"url": "https://93.184.216.34/data", "headers": headers},
            )
        ],
    )
    assert inp.status_code == 422, inp.text
    mcp = api.post(
        f"{API}/mcp-servers",
        json={"name": "m", "url": "https://93.184.216.34/mcp", "headers": headers},
        headers=team["author"],
    )
    assert mcp.status_code == 422, mcp.text
    assert api.get(f"{API}/mcp-servers", headers=team["author"]).json()["total"] == 0


def _seed_hash(step: dict) -> str:
    """The seed's build_step_execution_hash, written from the seed, over a step as GET /automations shows it."""

    def canonical(value):
        return json.dumps(value or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    tools = sorted(str(t) for t in (step.get("mcp_tool_ids") or [])) if step.get("mcp_policy") == "restricted" else []
    payload = {
        "assistant_id": str(step["assistant_id"]),
        "prompt": step["assistant"]["prompt"] or "",
        "completion_model_id": str(step["assistant"]["model_id"]),
        "mcp_policy": step["mcp_policy"],
        "mcp_tool_allowlist": tools,
        "input_source": step["input_source"],
        "input_config": canonical(step.get("input_config")),
        "output_mode": step["output_mode"],
        "output_type": step["output_type"],
        "output_config": canonical(step.get("output_config")),
        "output_classification_override": step.get("output_classification_override"),
    }
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    ).hexdigest()


def test_step_result_execution_hash_is_the_seed_formula(api, team) -> None:
    model = _model(api, team)
    auto = _create(
        api,
        team["author"],
        [
            _step(1, model["id"], "one", user_description="First"),
            _step(2, model["id"], "two", output_type="json", output_classification_override=1),
        ],
    ).json()
    rid = api.post(f"{API}/automations/{auto['id']}/runs", json={"text": "x"}, headers=team["author"]).json()["id"]
    _work(1, ScriptedProvider(answer='{"a": 1}'))
    run = _run(api, team["author"], rid)
    assert run["status"] == "completed", run
    steps = api.get(f"{API}/automations/{auto['id']}", headers=team["author"]).json()["steps"]
    assert [r["execution_hash"] for r in run["step_results"]] == [_seed_hash(s) for s in steps]


def test_runs_of_published_automation_use_the_published_version(api, team) -> None:
    model = _model(api, team)
    auto = _create(api, team["author"], [_step(1, model["id"], "v1 prompt")]).json()
    assert api.post(f"{API}/automations/{auto['id']}/publish", headers=team["author"]).status_code == 200
    step = auto["steps"][0]
    edit = api.put(
        f"{API}/automations/{auto['id']}",
        json={
            "steps": [
                {
                    "step_order": 1,
                    "assistant_id": step["assistant_id"],
                    "assistant": {"prompt": "v2 draft", "model_id": model["id"]},
                    "input_source": "flow_input",
                }
            ]
        },
        headers=team["author"],
    )
    assert edit.status_code == 200
    assert edit.json()["steps"][0]["assistant"]["prompt"] == "v2 draft"
    rid = api.post(f"{API}/automations/{auto['id']}/runs", json={"text": "x"}, headers=team["engineer"]).json()["id"]
    provider = ScriptedProvider(answer="ok")
    _work(1, provider)
    assert _run(api, team["engineer"], rid)["status"] == "completed"
    assert [c["system_prompt"] for c in provider.calls] == ["v1 prompt"]


def test_model_in_use_cannot_be_deleted_until_the_automation_is_gone(api, team) -> None:
    model = _model(api, team)
    automation = _create(api, team["owner"], [_step(1, model["id"])]).json()
    refused = api.delete(f"{API}/models/{model['id']}", headers=team["owner"])
    assert refused.status_code == 409
    assert "still used" in refused.json()["detail"]
    assert api.get(f"{API}/models/{model['id']}", headers=team["owner"]).status_code == 200
    assert api.delete(f"{API}/automations/{automation['id']}", headers=team["owner"]).status_code == 204
    assert api.delete(f"{API}/models/{model['id']}", headers=team["owner"]).status_code == 204
