"""`POST /automations/{id}/dry-run`: every member may test an automation; nothing is called, queued or stored."""

from __future__ import annotations

import uuid

import pytest

from resolutionflow_app.settings import get_settings
from tests.factories import add_member, register
from tests.fakes.fake_llm import fake_llm_server

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


def test_dry_run_for_every_role_with_sample_overrides_and_no_model_call(api, team, loopback) -> None:
    with fake_llm_server() as llm:
        model = api.post(
            f"{API}/models",
            json={
                "name": "Local LLM",
                "provider": "openai_compatible",
                "base_url": llm.base_url,
                "model": "fake-model",
                "security_level": 0,
            },
            headers=team["owner"],
        )
        assert model.status_code == 201, model.text
        created = api.post(
            f"{API}/automations",
            json={
                "name": "Triage",
                "form_schema": [{"id": "namn", "label": "Namn", "type": "text", "required": True}],
                "steps": [
                    {
                        "step_order": 1,
                        "assistant": {
                            "prompt": "Hello {{flow_input.namn}}, {{flow_input.nope}}",
                            "model_id": model.json()["id"],
                        },
                    }
                ],
            },
            headers=team["author"],
        )
        assert created.status_code == 201, created.text
        auto = created.json()

        answers = {
            role: api.post(f"{API}/automations/{auto['id']}/dry-run", headers=headers) for role, headers in team.items()
        }
        custom = api.post(
            f"{API}/automations/{auto['id']}/dry-run",
            json={"form_data": {"namn": "Anna"}, "text": "printer jams"},
            headers=team["engineer"],
        )
        assert llm.call_count == 0

    assert {role: r.status_code for role, r in answers.items()} == {"owner": 200, "author": 200, "engineer": 200}
    report = answers["engineer"].json()
    assert set(report) >= {"automation_id", "automation_name", "status", "counts", "sample", "lines"}
    assert report["automation_id"] == auto["id"]
    assert report["status"] == "red"
    assert all(set(line) == {"step_order", "check", "status", "message"} for line in report["lines"])
    assert report["sample"] == {"text": "Sample text", "form_data": {"namn": "Sample Namn"}}
    by_check = {(ln["step_order"], ln["check"], ln["status"]) for ln in report["lines"]}
    assert (1, "model_endpoint", "green") in by_check
    assert (1, "api_key", "amber") in by_check
    assert (1, "variable", "red") in by_check

    assert custom.status_code == 200
    body = custom.json()
    assert body["sample"] == {"text": "printer jams", "form_data": {"namn": "Anna"}}
    assert any(
        ln["message"] == "In the prompt, {{flow_input.namn}} becomes “Anna” with the sample input."
        for ln in body["lines"]
    )

    # Nothing was queued or stored by the dry runs.
    runs = api.get(f"{API}/automation-runs", params={"automation_id": auto["id"]}, headers=team["author"])
    assert runs.status_code == 200
    assert runs.json()["total"] == 0


def test_dry_run_not_found_and_bad_bodies(api, team) -> None:
    model = api.post(
        f"{API}/models",
        json={"name": "Offline", "provider": "offline", "model": "offline", "security_level": 0},
        headers=team["owner"],
    ).json()
    auto = api.post(
        f"{API}/automations",
        json={"name": "A", "steps": [{"step_order": 1, "assistant": {"prompt": "Hi", "model_id": model["id"]}}]},
        headers=team["author"],
    ).json()
    ok = api.post(f"{API}/automations/{auto['id']}/dry-run", json={}, headers=team["author"])
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "green", ok.text

    other = register(api, account_name="Other IT")
    assert api.post(f"{API}/automations/{auto['id']}/dry-run", headers=other["headers"]).status_code == 404
    assert api.post(f"{API}/automations/{uuid.uuid4()}/dry-run", headers=team["author"]).status_code == 404
    assert api.post(f"{API}/automations/not-a-uuid/dry-run", headers=team["author"]).status_code == 404
    assert api.post(f"{API}/automations/{auto['id']}/dry-run").status_code == 401
    bad = api.post(f"{API}/automations/{auto['id']}/dry-run", json={"form_data": "nope"}, headers=team["author"])
    assert bad.status_code == 422
    assert "detail" in bad.json()
