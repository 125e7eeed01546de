"""Issue 9: bad input gets a clear 4xx, outbound URLs are checked where saved, safe defaults."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from starlette.middleware.cors import CORSMiddleware

from resolutionflow_app.api.app import create_api
from resolutionflow_app.domain.automation_variables import build_context, interpolate
from resolutionflow_app.settings import Settings, get_settings
from tests.factories import register

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


@pytest.fixture
def owner(api):
    return register(api)


def _model(api, owner, **kw):
    return api.post(
        f"{API}/models",
        json={"name": "M", "provider": "openai_compatible", "model": "gpt", "security_level": 0, **kw},
        headers=owner["headers"],
    )


@pytest.mark.parametrize(
    "url", ["http://no-such-host.invalid/v1", "https://api.openai.com/v1", "https://llm.example.com:8443/v1"]
)
def test_saving_a_model_or_mcp_server_never_needs_dns(api, owner, url) -> None:
    created = _model(api, owner, base_url=url)
    assert created.status_code == 201, created.text
    assert (
        api.put(f"{API}/models/{created.json()['id']}", json={"base_url": url}, headers=owner["headers"]).status_code
        == 200
    )
    mcp = api.post(f"{API}/mcp-servers", json={"name": "Tools", "url": url}, headers=owner["headers"])
    assert mcp.status_code in (201, 200), mcp.text


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.5/",
        "http://0x0a000005/",
        "http://2130706433/",
        "http://user:pw@example.com/",
        "ftp://example.com/",
        "http://[::ffff:10.0.0.5]/",
        "http://100.64.0.1/",
        "http://localhost:8080/",
    ],
)
def test_private_or_malformed_urls_are_refused_at_save_with_422(api, owner, url) -> None:
    resp = _model(api, owner, base_url=url)
    assert resp.status_code == 422
    assert isinstance(resp.json()["detail"], str)
    mcp = api.post(f"{API}/mcp-servers", json={"name": "Tools", "url": url}, headers=owner["headers"])
    assert mcp.status_code == 422
    offline = api.post(
        f"{API}/models",
        json={"name": "Offline", "provider": "offline", "model": "offline", "security_level": 0},
        headers=owner["headers"],
    ).json()
    for key, mode in (("input_config", {"input_source": "http_get"}), ("output_config", {"output_mode": "http_post"})):
        step = {
            "step_order": 1,
            "assistant": {"prompt": "p", "model_id": offline["id"]},
            "input_source": "flow_input",
            **mode,
            key: {"url": url},
        }
        resp = api.post(f"{API}/automations", json={"name": "A", "steps": [step]}, headers=owner["headers"])
        assert resp.status_code == 422, resp.text
        assert "Step 1" in resp.json()["detail"]
        assert "URL" in resp.json()["detail"]


def test_templated_automation_urls_are_checked_where_fixed(api, owner) -> None:
    offline = api.post(
        f"{API}/models",
        json={"name": "Offline", "provider": "offline", "model": "offline", "security_level": 0},
        headers=owner["headers"],
    ).json()

    def save(url):
        step = {
            "step_order": 1,
            "assistant": {"prompt": "p", "model_id": offline["id"]},
            "input_source": "http_get",
            "input_config": {"url": url},
        }
        return api.post(f"{API}/automations", json={"name": "A", "steps": [step]}, headers=owner["headers"]).status_code

    assert save("https://tickets.example.com/api/{{flow_input.id}}") == 201
    assert save("{{flow_input.url}}") == 201  # the host comes from the run: checked by the run-time guard
    assert save("http://10.1.2.3/api/{{flow_input.id}}") == 422


def test_bodies_over_the_limit_are_refused_before_parsing(api, owner) -> None:
    limit = get_settings().max_body_bytes
    big = json.dumps(
        {
            "name": "Big",
            "tree_type": "troubleshooting",
            "tree_structure": {"start_node_id": "q", "nodes": [], "pad": "x" * (limit + 10)},
        }
    )
    resp = api.post(f"{API}/trees", content=big, headers={**owner["headers"], "content-type": "application/json"})
    assert resp.status_code == 413
    assert "too large" in resp.json()["detail"]
    # Anonymous, before authentication and rate limiting; chunked (no Content-Length) too.
    assert (
        api.post(
            f"{API}/auth/login", content=b"{" + b" " * (limit + 10) + b"}", headers={"content-type": "application/json"}
        ).status_code
        == 413
    )

    def chunks():
        for _ in range((limit // 65536) + 2):
            yield b" " * 65536

    assert (
        api.post(f"{API}/auth/login", content=chunks(), headers={"content-type": "application/json"}).status_code == 413
    )
    assert (
        api.post(
            f"{API}/trees",
            json={"name": "Small", "tree_type": "troubleshooting", "tree_structure": TREE},
            headers=owner["headers"],
        ).status_code
        == 201
    )


def test_tree_lists_carry_summaries(api, owner) -> None:
    tree = api.post(
        f"{API}/trees",
        json={"name": "Listed", "tree_type": "troubleshooting", "tree_structure": TREE},
        headers=owner["headers"],
    ).json()
    items = api.get(f"{API}/trees", headers=owner["headers"]).json()["items"]
    assert items
    assert all("tree_structure" not in i for i in items)
    assert items[0]["node_count"] == 3
    assert items[0]["id"] == tree["id"]
    assert (
        api.get(f"{API}/trees/{tree['id']}", headers=owner["headers"]).json()["tree_structure"]["start_node_id"] == "q"
    )


def test_cors_allows_only_configured_origins() -> None:
    settings = Settings(public_base_url="https://rf.example.com/app", cors_origins="https://tools.example.com, null, *")
    origins = settings.cors_allowed_origins()
    assert "https://rf.example.com" in origins
    assert "https://tools.example.com" in origins
    assert "*" not in origins
    assert "null" not in origins
    app = create_api()
    app.add_middleware(
        CORSMiddleware, allow_credentials=True, allow_methods=["*"], allow_headers=["*"], allow_origins=origins
    )  # as Reflex adds it
    with TestClient(app) as client:
        for evil in ("https://evil.example", "null"):
            resp = client.get(f"{API}/health", headers={"Origin": evil})
            assert resp.headers.get("access-control-allow-origin") is None
        ok = client.get(f"{API}/health", headers={"Origin": "https://rf.example.com"})
        assert ok.headers.get("access-control-allow-origin") == "https://rf.example.com"
    import rxconfig

    assert "*" not in rxconfig.config.cors_allowed_origins


def test_form_field_ids_are_human_labels(api, owner) -> None:
    offline = api.post(
        f"{API}/models",
        json={"name": "Offline", "provider": "offline", "model": "offline", "security_level": 0},
        headers=owner["headers"],
    ).json()
    step = {
        "step_order": 1,
        "assistant": {"prompt": "Hej {{flow_input.Namn på brukare}} / {{Personnummer}}", "model_id": offline["id"]},
        "input_source": "flow_input",
    }
    form = [
        {"id": " Namn på brukare ", "label": "Namn på brukare", "type": "text", "required": True},
        {"id": "Personnummer", "label": "Personnummer", "type": "text"},
    ]
    created = api.post(
        f"{API}/automations", json={"name": "Svenska", "form_schema": form, "steps": [step]}, headers=owner["headers"]
    )
    assert created.status_code == 201, created.text
    assert [f["id"] for f in created.json()["form_schema"]] == ["Namn på brukare", "Personnummer"]
    for bad in ("a.b", "{{x}}", "", "x" * 101):
        resp = api.post(
            f"{API}/automations",
            json={"name": "Bad", "form_schema": [{"id": bad, "label": "L", "type": "text"}], "steps": [step]},
            headers=owner["headers"],
        )
        assert resp.status_code == 422, bad


def test_variables_resolve_labels_with_spaces_and_top_level_aliases() -> None:
    ctx = build_context(
        "free text",
        {"Namn på brukare": "Åsa", "Personnummer": "19121212-1212", "flow_input": "shadow"},
        [{"step_order": 1, "output_payload_json": {"text": "one"}}],
    )
    assert (
        interpolate("{{flow_input.Namn på brukare}}|{{ Namn på brukare }}|{{Personnummer}}", ctx)
        == "Åsa|Åsa|19121212-1212"
    )
    assert (
        interpolate("{{step_1.output}}|{{flow_input.text}}|{{unknown thing}}", ctx) == "one|free text|{{unknown thing}}"
    )
    assert interpolate("{{flow_input.flow_input}}", ctx) == "shadow"  # reserved names keep priority at the top level


def test_guard_errors_are_never_500(api, owner, monkeypatch) -> None:
    created = _model(api, owner, base_url="http://no-such-host.invalid/v1").json()
    mcp = api.post(
        f"{API}/mcp-servers", json={"name": "Tools", "url": "http://no-such-host.invalid/mcp"}, headers=owner["headers"]
    ).json()
    resp = api.post(f"{API}/mcp-servers/{mcp['id']}/refresh-tools", headers=owner["headers"])
    assert 400 <= resp.status_code < 500, resp.text
    assert created["base_url"] == "http://no-such-host.invalid/v1"


def test_secret_key_is_generated_once_for_the_embedded_default_and_required_in_production(
    tmp_path, monkeypatch
) -> None:
    from resolutionflow_app.settings import DEV_SECRET_KEY

    monkeypatch.delenv("RF_SECRET_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'rf.db'}"
    first = Settings(database_url=url).secret_key
    assert first != DEV_SECRET_KEY
    assert len(first) >= 40
    assert Settings(database_url=url).secret_key == first  # stable across restarts
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # only the owner may read it
    with pytest.raises(ValueError, match="RF_SECRET_KEY"):
        Settings(database_url="postgresql+psycopg://rf@127.0.0.1/rf")
    with pytest.raises(ValueError, match="built-in"):
        Settings(database_url="postgresql+psycopg://rf@127.0.0.1/rf", secret_key=DEV_SECRET_KEY)
    monkeypatch.setenv("REFLEX_ENV_MODE", "prod")
    with pytest.raises(ValueError, match="built-in"):
        Settings(database_url=url, secret_key=DEV_SECRET_KEY)


def test_unknown_keys_in_a_structure_are_dropped_not_stored(api, owner) -> None:
    structure = {
        "start_node_id": "q",
        "junk": "x" * 100,
        "nodes": [
            {
                "id": "q",
                "type": "decision",
                "title": "Powered?",
                "evil": {"deep": [1, 2, 3]},
                "position": {"x": 10, "y": 20, "z": 5},
                "options": [{"label": "Yes", "next": "s1", "color": "red"}, {"label": "No", "next": "s2"}],
            },
            {
                "id": "s1",
                "type": "solution",
                "title": "Done",
                "commands": [{"language": "bash", "code": "reboot", "label": "Reboot", "extra": 1}],
            },
            {"id": "s2", "type": "solution", "title": "Plug it in", "automation_id": None},
        ],
    }
    tree = api.post(
        f"{API}/trees",
        json={"name": "Keys", "tree_type": "troubleshooting", "tree_structure": structure},
        headers=owner["headers"],
    ).json()
    stored = api.get(f"{API}/trees/{tree['id']}", headers=owner["headers"]).json()["tree_structure"]
    assert "junk" not in stored
    assert "evil" not in stored["nodes"][0]
    assert "z" not in stored["nodes"][0]["position"]
    assert stored["nodes"][0]["options"][0] == {"label": "Yes", "next": "s1"}
    assert stored["nodes"][1]["commands"] == [{"language": "bash", "code": "reboot", "label": "Reboot"}]
    assert stored["nodes"][2] == {
        "id": "s2",
        "type": "solution",
        "title": "Plug it in",
    }  # a null automation link is no link
    procedure = {
        "steps": [
            {
                "id": "a",
                "type": "procedure_step",
                "title": "Back up",
                "expected_outcome": "File exists",
                "commands": "copy run tftp:",
                "library_visibility": "public",
                "x": 1,
            },
            {"id": "end", "type": "procedure_end", "title": "Done"},
        ]
    }
    proc = api.post(
        f"{API}/trees",
        json={"name": "Proc", "tree_type": "procedural", "tree_structure": procedure},
        headers=owner["headers"],
    ).json()
    assert proc["tree_structure"]["steps"][0] == {k: v for k, v in procedure["steps"][0].items() if k != "x"}


def test_secrets_stored_under_the_old_built_in_key_stay_readable_on_sqlite(database_url) -> None:
    from cryptography.fernet import Fernet, InvalidToken

    from resolutionflow_app.integrations import crypto
    from resolutionflow_app.settings import DEV_SECRET_KEY

    old = Fernet(crypto.derive_key(DEV_SECRET_KEY)).encrypt(b"sk-stored-before-the-upgrade").decode()
    if database_url.startswith("sqlite"):  # an embedded install upgraded from the built-in key
        assert crypto.decrypt_str(old) == "sk-stored-before-the-upgrade"
    else:  # production never trusts the built-in key, not even to decrypt
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt_str(old)
    fresh = crypto.encrypt_str("sk-new")
    with pytest.raises(InvalidToken):
        Fernet(crypto.derive_key(DEV_SECRET_KEY)).decrypt(fresh.encode())  # new secrets use the install's own key
