"""The Automations part of API.md: models, assistants, MCP servers, files, automations, runs, graph."""

from __future__ import annotations

import asyncio
import hashlib
import uuid

import pytest

from resolutionflow_app.services.automation_worker import worker_loop
from tests.automation_helpers import ScriptedProvider, deps_for
from tests.factories import add_member, register


@pytest.fixture
def team(api):
    owner = register(api)
    author = add_member(api, owner, role="author")
    engineer = add_member(api, owner, role="engineer")
    return {"owner": owner["headers"], "author": author["headers"], "engineer": engineer["headers"]}


def _model(api, team, **kw) -> dict:
    body = {"name": "Offline model", "provider": "offline", "model": "offline", "security_level": 0, **kw}
    resp = api.post("/api/v1/models", json=body, headers=team["owner"])
    assert resp.status_code == 201, resp.text
    return resp.json()


def _automation(api, team, model_id, **kw) -> dict:
    body = {
        "name": "Triage",
        "form_schema": [{"id": "namn", "label": "Namn", "type": "text", "required": True}],
        "steps": [
            {
                "step_order": 1,
                "assistant": {"prompt": "Hello {{flow_input.namn}}", "model_id": model_id},
                "input_source": "flow_input",
            },
            {
                "step_order": 2,
                "assistant": {"prompt": "Summarise", "model_id": model_id},
                "input_source": "previous_step",
                "user_description": "Summary",
            },
        ],
        **kw,
    }
    resp = api.post("/api/v1/automations", json=body, headers=team["author"])
    assert resp.status_code == 201, resp.text
    return resp.json()


def _work(n: int = 1, provider: ScriptedProvider | None = None) -> ScriptedProvider:
    provider = provider or ScriptedProvider()
    asyncio.run(worker_loop(worker_id="api-test", poll_seconds=0.01, deps=deps_for(provider), max_runs=n))
    return provider


def test_models_crud_owner_only_key_never_returned_and_ssrf_422(api, team) -> None:
    resp = api.post(
        "/api/v1/models",
        json={"name": "x", "provider": "offline", "model": "m", "security_level": 0},
        headers=team["author"],
    )
    assert resp.status_code == 403
    created = api.post(
        "/api/v1/models",
        json={
            "name": "GPT",
            "provider": "openai_compatible",
            "base_url": "https://93.184.216.34/v1",
            "model": "gpt-4o",
            "api_key": "sk-very-secret",
            "security_level": 2,
            "token_limit": 8000,
        },
        headers=team["owner"],
    )
    assert created.status_code == 201
    assert "api_key" not in created.json()
    assert "sk-very-secret" not in created.text
    mid = created.json()["id"]
    listed = api.get("/api/v1/models", headers=team["engineer"]).json()
    assert listed["total"] == 1
    assert "sk-very-secret" not in str(listed)
    for bad in (
        "http://127.0.0.1:8080/v1",
        "http://10.0.0.5/v1",
        "http://[::ffff:127.0.0.1]/v1",
        "http://0x7f000001/",
        "ftp://93.184.216.34/",
    ):
        resp = api.post(
            "/api/v1/models",
            json={"name": "bad", "provider": "openai_compatible", "base_url": bad, "model": "m", "security_level": 0},
            headers=team["owner"],
        )
        assert resp.status_code == 422, (bad, resp.text)
    assert (
        api.put(
            f"/api/v1/models/{mid}", json={"base_url": "http://169.254.169.254/"}, headers=team["owner"]
        ).status_code
        == 422
    )
    upd = api.put(f"/api/v1/models/{mid}", json={"name": "GPT-4o"}, headers=team["owner"])
    assert upd.status_code == 200
    assert upd.json()["name"] == "GPT-4o"
    assert upd.json()["has_api_key"]
    assert api.delete(f"/api/v1/models/{mid}", headers=team["author"]).status_code == 403
    assert api.delete(f"/api/v1/models/{mid}", headers=team["owner"]).status_code == 204
    assert api.get(f"/api/v1/models/{mid}", headers=team["owner"]).status_code == 404


def test_assistants_hidden_are_not_listed_and_mcp_servers_crud(api, team) -> None:
    model = _model(api, team)
    a = api.post(
        "/api/v1/assistants", json={"name": "Helper", "prompt": "p", "model_id": model["id"]}, headers=team["author"]
    )
    assert a.status_code == 201
    auto = _automation(api, team, model["id"])
    hidden_id = auto["steps"][0]["assistant_id"]
    listed = api.get("/api/v1/assistants", headers=team["author"]).json()
    assert listed["total"] == 1
    assert listed["items"][0]["name"] == "Helper"
    assert api.get(f"/api/v1/assistants/{hidden_id}", headers=team["author"]).json()["hidden"] is True
    s = api.post(
        "/api/v1/mcp-servers",
        json={"name": "Docs", "url": "https://93.184.216.34/mcp", "headers": {"Authorization": "Bearer abcdef123"}},
        headers=team["author"],
    )
    assert s.status_code == 201
    assert "abcdef123" not in s.text
    assert (
        api.post(
            "/api/v1/mcp-servers", json={"name": "Bad", "url": "http://192.168.1.1/mcp"}, headers=team["author"]
        ).status_code
        == 422
    )
    assert api.get("/api/v1/mcp-servers", headers=team["engineer"]).json()["total"] == 1
    assert api.delete(f"/api/v1/mcp-servers/{s.json()['id']}", headers=team["author"]).status_code == 204


def test_files_upload_and_download(api, team) -> None:
    up = api.post(
        "/api/v1/files", files={"file": ("report.txt", b"hello world", "text/plain")}, headers=team["engineer"]
    )
    assert up.status_code == 201
    assert up.json()["size"] == 11
    assert up.json()["name"] == "report.txt"
    got = api.get(f"/api/v1/files/{up.json()['id']}", headers=team["owner"])
    assert got.status_code == 200
    assert got.content == b"hello world"
    other = register(api)
    assert api.get(f"/api/v1/files/{up.json()['id']}", headers=other["headers"]).status_code == 404
    assert api.get(f"/api/v1/files/{up.json()['id']}").status_code == 401


def test_automation_crud_validation_and_cross_account_404(api, team) -> None:
    model = _model(api, team)
    auto = _automation(api, team, model["id"])
    assert auto["published"] is False
    assert [s["step_order"] for s in auto["steps"]] == [1, 2]
    assert auto["steps"][0]["assistant"]["model_id"] == model["id"]
    assert auto["steps"][0]["assistant_id"]
    bad = api.post(
        "/api/v1/automations",
        json={
            "name": "x",
            "steps": [
                {
                    "step_order": 1,
                    "assistant": {"prompt": "p", "model_id": model["id"]},
                    "input_source": "previous_step",
                }
            ],
        },
        headers=team["author"],
    )
    assert bad.status_code == 422
    assert "Step 1" in bad.json()["detail"]
    gap = api.post(
        "/api/v1/automations",
        json={
            "name": "x",
            "steps": [
                {"step_order": 1, "assistant": {"prompt": "p", "model_id": model["id"]}},
                {"step_order": 3, "assistant": {"prompt": "p", "model_id": model["id"]}},
            ],
        },
        headers=team["author"],
    )
    assert gap.status_code == 422
    assert "Step 2" in gap.json()["detail"]
    form = api.post(
        "/api/v1/automations",
        json={"name": "x", "form_schema": [{"id": "c", "type": "select"}], "steps": []},
        headers=team["author"],
    )
    assert form.status_code == 422
    assert api.post("/api/v1/automations", json={"name": "x", "steps": []}, headers=team["engineer"]).status_code == 403
    assert api.get("/api/v1/automations", headers=team["author"]).json()["total"] == 1
    other = register(api)
    assert api.get(f"/api/v1/automations/{auto['id']}", headers=other["headers"]).status_code == 404
    assert api.put(f"/api/v1/automations/{auto['id']}", json={"name": "y"}, headers=other["headers"]).status_code == 404
    put = api.put(
        f"/api/v1/automations/{auto['id']}",
        json={
            "name": "Renamed",
            "steps": [
                {
                    "step_order": 1,
                    "assistant_id": auto["steps"][0]["assistant_id"],
                    "assistant": {"prompt": "New {{flow_input.namn}}", "model_id": model["id"]},
                }
            ],
        },
        headers=team["author"],
    )
    assert put.status_code == 200
    assert put.json()["name"] == "Renamed"
    assert len(put.json()["steps"]) == 1
    assert put.json()["steps"][0]["assistant_id"] == auto["steps"][0]["assistant_id"]
    assert put.json()["steps"][0]["assistant"]["prompt"] == "New {{flow_input.namn}}"
    bad_put = api.put(
        f"/api/v1/automations/{auto['id']}",
        json={"steps": [{"step_order": 2, "assistant": {"prompt": "p", "model_id": model["id"]}}]},
        headers=team["author"],
    )
    assert bad_put.status_code == 422
    assert (
        len(api.get(f"/api/v1/automations/{auto['id']}", headers=team["author"]).json()["steps"]) == 1
    )  # nothing half-saved
    assert api.delete(f"/api/v1/automations/{auto['id']}", headers=team["author"]).status_code == 204
    assert api.get(f"/api/v1/automations/{auto['id']}", headers=team["author"]).status_code == 404


def test_publish_export_and_run_permissions(api, team) -> None:
    model = _model(api, team)
    auto = _automation(api, team, model["id"])
    run_body = {"text": "hi", "form_data": {"namn": "Anna"}}
    assert (
        api.post(f"/api/v1/automations/{auto['id']}/runs", json=run_body, headers=team["engineer"]).status_code == 403
    )
    assert api.post(f"/api/v1/automations/{auto['id']}/runs", json=run_body, headers=team["author"]).status_code == 202
    pub = api.post(f"/api/v1/automations/{auto['id']}/publish", headers=team["author"])
    assert pub.status_code == 200
    assert pub.json()["published"]
    assert pub.json()["published_version"] == 1
    run = api.post(f"/api/v1/automations/{auto['id']}/runs", json=run_body, headers=team["engineer"])
    assert run.status_code == 202
    assert run.json()["status"] == "queued"
    missing = api.post(f"/api/v1/automations/{auto['id']}/runs", json={"form_data": {}}, headers=team["engineer"])
    assert missing.status_code == 422
    assert "Namn" in missing.json()["detail"]
    exported = api.get(f"/api/v1/automations/{auto['id']}/export", headers=team["engineer"])
    assert exported.status_code == 200
    assert len(exported.json()["automation"]["steps"]) == 2
    assert "whsec_" not in exported.text
    secret = api.get(f"/api/v1/automations/{auto['id']}/webhook-secret", headers=team["author"])
    assert secret.json()["webhook_secret"].startswith("whsec_")
    assert api.get(f"/api/v1/automations/{auto['id']}/webhook-secret", headers=team["engineer"]).status_code == 403


def test_run_lifecycle_step_results_graph_and_list(api, team) -> None:
    model = _model(api, team)
    auto = _automation(api, team, model["id"])
    run = api.post(
        f"/api/v1/automations/{auto['id']}/runs",
        json={"text": "hi", "form_data": {"namn": "Anna"}},
        headers=team["author"],
    ).json()
    _work(1)
    got = api.get(f"/api/v1/automation-runs/{run['id']}", headers=team["engineer"])
    body = got.json()
    assert got.status_code == 200
    assert body["status"] == "completed"
    assert body["automation_id"] == auto["id"]
    steps = body["step_results"]
    assert [s["step_order"] for s in steps] == [1, 2]
    assert all(s["status"] == "completed" for s in steps)
    for key in (
        "input_payload_json",
        "output_payload_json",
        "num_tokens_input",
        "num_tokens_output",
        "error_message",
        "execution_hash",
        "started_at",
        "finished_at",
    ):
        assert key in steps[0]
    assert body["output_payload_json"]["text"] == steps[1]["output_payload_json"]["text"]
    graph = api.get(
        f"/api/v1/automations/{auto['id']}/graph", params={"run_id": run["id"]}, headers=team["author"]
    ).json()
    node = {n["id"]: n for n in graph["nodes"]}["step_1"]
    for key in ("status", "duration_ms", "tokens_input", "tokens_output", "error"):
        assert key in node
    assert node["status"] == "completed"
    assert node["tokens_input"] == steps[0]["num_tokens_input"]
    assert (
        api.get(
            f"/api/v1/automations/{auto['id']}/graph", params={"run_id": str(uuid.uuid4())}, headers=team["author"]
        ).status_code
        == 404
    )
    listed = api.get(
        "/api/v1/automation-runs", params={"automation_id": auto["id"], "limit": 1}, headers=team["author"]
    ).json()
    assert listed["total"] == 1
    assert listed["items"][0]["id"] == run["id"]
    assert api.delete(f"/api/v1/automation-runs/{run['id']}", headers=team["author"]).status_code == 409
    assert api.post(f"/api/v1/automation-runs/{run['id']}/resume", headers=team["author"]).status_code == 409
    other = register(api)
    assert api.get(f"/api/v1/automation-runs/{run['id']}", headers=other["headers"]).status_code == 404


def test_cancel_queued_run_and_resume_after_failure(api, team) -> None:
    model = _model(api, team)
    auto = _automation(api, team, model["id"])
    run = api.post(
        f"/api/v1/automations/{auto['id']}/runs", json={"form_data": {"namn": "A"}}, headers=team["author"]
    ).json()
    cancel = api.delete(f"/api/v1/automation-runs/{run['id']}", headers=team["author"])
    assert cancel.status_code == 202
    assert cancel.json()["status"] == "cancelled"
    run2 = api.post(
        f"/api/v1/automations/{auto['id']}/runs", json={"form_data": {"namn": "B"}}, headers=team["author"]
    ).json()
    state = {"n": 0}

    def flaky(call):
        state["n"] += 1
        if state["n"] == 2:
            raise RuntimeError("upstream timeout")
        return "fine"

    _work(1, ScriptedProvider(answer=flaky))
    failed = api.get(f"/api/v1/automation-runs/{run2['id']}", headers=team["author"]).json()
    assert failed["status"] == "failed"
    assert failed["error_message"] == "Step 2: upstream timeout"
    assert [s["status"] for s in failed["step_results"]] == ["completed", "failed"]
    resumed = api.post(f"/api/v1/automation-runs/{run2['id']}/resume", headers=team["author"])
    assert resumed.status_code == 202
    assert resumed.json()["status"] == "queued"
    provider = _work(1)
    assert len(provider.calls) == 1  # only step 2 ran again
    done = api.get(f"/api/v1/automation-runs/{run2['id']}", headers=team["author"]).json()
    assert done["status"] == "completed"
    assert done["step_results"][0]["execution_hash"] == failed["step_results"][0]["execution_hash"]


def test_offline_model_runs_end_to_end(api, team) -> None:
    model = _model(api, team)
    auto = _automation(api, team, model["id"])
    run = api.post(
        f"/api/v1/automations/{auto['id']}/runs",
        json={"text": "printer jams", "form_data": {"namn": "Anna"}},
        headers=team["author"],
    ).json()
    asyncio.run(worker_loop(worker_id="offline", poll_seconds=0.01, max_runs=1))
    body = api.get(f"/api/v1/automation-runs/{run['id']}", headers=team["author"]).json()
    assert body["status"] == "completed", body
    first = body["step_results"][0]["output_payload_json"]["text"]
    assert "[offline model]" in first
    assert "Hello Anna" in first


def test_idempotency_key_formula() -> None:
    from resolutionflow_app.integrations.webhooks import idempotency_key

    rid = uuid.uuid4()
    assert idempotency_key(rid, 3) == hashlib.sha256(f"{rid}3".encode()).hexdigest()


def test_audit_report_pdf_download_with_run_and_access_rules(api, team) -> None:
    import pypdfium2 as pdfium

    model = _model(api, team)
    auto = _automation(
        api,
        team,
        model["id"],
        name="Granskning: Namn på brukare / Ω",
        form_schema=[{"id": "namn", "label": "Namn på brukare", "type": "text", "required": True}],
    )
    url = f"/api/v1/automations/{auto['id']}/audit-report"
    resp = api.get(url, headers=team["engineer"])
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/pdf"
    assert resp.headers["content-disposition"] == 'attachment; filename="Granskning-Namn-pa-brukare-audit.pdf"'
    doc = pdfium.PdfDocument(resp.content)
    page1 = doc[0].get_textpage().get_text_range()
    doc.close()
    assert "Granskning: Namn på brukare / Ω" in page1
    assert "namn" in page1
    run = api.post(
        f"/api/v1/automations/{auto['id']}/runs",
        json={"text": "hi", "form_data": {"namn": "Åsa"}},
        headers=team["author"],
    ).json()
    _work()
    with_run = api.get(url, params={"run_id": run["id"]}, headers=team["author"])
    assert with_run.status_code == 200
    doc = pdfium.PdfDocument(with_run.content)
    text = " ".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    doc.close()
    assert run["id"] in text
    assert "✓ passed" in text
    other = register(api)
    assert api.get(url, headers=other["headers"]).status_code == 404
    assert api.get(url).status_code == 401
    second = _automation(api, team, model["id"], name="Second")
    assert (
        api.get(
            f"/api/v1/automations/{second['id']}/audit-report", params={"run_id": run["id"]}, headers=team["author"]
        ).status_code
        == 404
    )
    assert (
        api.get(url, params={"run_id": "00000000-0000-0000-0000-000000000000"}, headers=team["author"]).status_code
        == 404
    )
    assert api.get("/api/v1/automations/not-an-id/audit-report", headers=team["author"]).status_code == 404
