"""/api/v1/sync: who sees what in a pull, push refusals and conflicts, bundle upload checks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tests.factories import register

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


def _flow(api, owner, *, publish: bool = True, name: str = "Flow") -> dict:
    tree = api.post(
        "/api/v1/trees",
        headers=owner["headers"],
        json={"name": name, "tree_type": "troubleshooting", "tree_structure": TREE},
    ).json()
    if publish:
        tree = api.put(f"/api/v1/trees/{tree['id']}", headers=owner["headers"], json={"status": "published"}).json()
    return tree


def _item(tree: dict, **over) -> dict:
    now = datetime.now(UTC).isoformat()
    return {
        "id": str(uuid.uuid4()),
        "flow_id": tree["id"],
        "flow_version": tree["version"],
        "tree_type": "troubleshooting",
        "tree_snapshot": TREE,
        "status": "in_progress",
        "current_node_id": "q",
        "history": [],
        "custom_steps": [],
        "started_at": now,
        **over,
    }


def test_sync_needs_a_login(api) -> None:
    for method, path in (
        ("GET", "/sync/pull"),
        ("POST", "/sync/push"),
        ("GET", "/sync/bundle-key"),
        ("GET", "/sync/bundle"),
        ("POST", "/sync/token"),
    ):
        assert api.request(method, f"/api/v1{path}", json={"sessions": []}).status_code == 401


def test_pull_has_the_accounts_published_flows_and_visible_steps_only(api) -> None:
    owner, other = register(api), register(api, account_name="Other")
    published, draft = _flow(api, owner, name="Published"), _flow(api, owner, publish=False, name="Draft")
    _flow(api, other, name="Not mine")
    private = api.post(
        "/api/v1/steps",
        headers=other["headers"],
        json={"title": "Theirs", "step_type": "action", "content": {"instructions": "x"}, "visibility": "team"},
    ).json()
    body = api.get("/api/v1/sync/pull", headers=owner["headers"]).json()
    assert [(f["id"], f["version"]) for f in body["flows"]] == [(published["id"], published["version"])]
    assert draft["id"] not in str(body)
    assert private["id"] not in {s["id"] for s in body["steps"]}
    assert body["steps"]
    assert all(s["version"] and s["source_tree_id"] == published["id"] for s in body["steps"])
    assert body["user"]["email"] == owner["email"]
    assert body["receipts"] == []


def test_push_answers_conflicts_and_refusals_per_item(api) -> None:
    owner, other = register(api), register(api, account_name="Other")
    tree = _flow(api, owner)
    theirs = _flow(api, other)
    mine = _item(tree)
    stolen = api.post("/api/v1/sessions", headers=other["headers"], json={"tree_id": theirs["id"]}).json()
    answer = api.post(
        "/api/v1/sync/push",
        headers=owner["headers"],
        json={
            "sessions": [
                mine,
                _item(theirs),
                _item(tree, id=stolen["id"]),
                _item(tree, flow_version=tree["version"] + 5),
            ]
        },
    ).json()
    statuses = [(i["status"], i.get("reason")) for i in answer["items"]]
    assert statuses == [
        ("created", None),
        ("conflict", "flow_missing"),
        ("rejected", None),
        ("conflict", "flow_changed_on_server"),
    ]
    assert answer["counts"] == {"created": 1, "conflict": 2, "rejected": 1}
    assert (
        api.get(f"/api/v1/sessions/{stolen['id']}", headers=other["headers"]).json()["user_id"] == other["user"]["id"]
    )
    # The same item again: unchanged; the same id twice in one push: refused as a whole.
    again = api.post("/api/v1/sync/push", headers=owner["headers"], json={"sessions": [mine]}).json()
    assert again["items"][0]["status"] == "unchanged"
    dup = api.post("/api/v1/sync/push", headers=owner["headers"], json={"sessions": [mine, mine]})
    assert dup.status_code == 422
    assert "twice" in dup.json()["detail"]
    bad = api.post("/api/v1/sync/push", headers=owner["headers"], json={"sessions": [{**mine, "status": "archived"}]})
    assert bad.status_code == 422
    total = api.get("/api/v1/sessions", headers=owner["headers"]).json()["total"]
    assert total == 1


def test_bundle_upload_refuses_what_is_not_a_signed_push_bundle(api) -> None:
    owner = register(api)
    _flow(api, owner)
    not_json = api.post(
        "/api/v1/sync/bundle", headers=owner["headers"], files={"file": ("x.json", b"\x89PNG", "application/json")}
    )
    assert not_json.status_code == 422
    assert "not JSON" in not_json.json()["detail"]
    pull = api.get("/api/v1/sync/bundle", headers=owner["headers"])
    assert pull.status_code == 200
    assert pull.json()["kind"] == "pull"
    wrong_side = api.post(
        "/api/v1/sync/bundle", headers=owner["headers"], files={"file": ("p.json", pull.content, "application/json")}
    )
    assert wrong_side.status_code == 422
    assert "import it on the desktop" in wrong_side.json()["detail"]
    other = register(api, account_name="Other")
    foreign = api.post(
        "/api/v1/sync/bundle", headers=other["headers"], files={"file": ("p.json", pull.content, "application/json")}
    )
    assert foreign.status_code == 422
    assert "signature does not match" in foreign.json()["detail"]


def test_hostile_session_items_never_cause_a_5xx(api) -> None:
    """Well-formed pushes with odd snapshots, custom steps and history: refused or stored, and stored ones read back."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.api.test_hostile_input import JSON_VALUES

    owner = register(api)
    tree = _flow(api, owner)

    @settings(
        max_examples=80,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        snapshot=st.one_of(JSON_VALUES, st.just(TREE)),
        step=st.dictionaries(
            st.sampled_from(["type", "content", "commands", "source", "source_step_id", "inserted_at", "title"]),
            JSON_VALUES,
            max_size=5,
        ),
        accept=st.booleans(),
        version=st.integers(min_value=1, max_value=3),
    )
    def check(snapshot, step, accept, version) -> None:
        item = _item(
            tree,
            tree_snapshot=snapshot,
            custom_steps=[step],
            accept_flow_change=accept,
            flow_version=version,
            history=[{"node_id": "q", "answer": "Yes", "notes": "n", "at": "not a date"}],
        )
        resp = api.post("/api/v1/sync/push", headers=owner["headers"], json={"sessions": [item]})
        assert resp.status_code < 500, resp.text[:300]
        if resp.status_code == 200 and resp.json()["items"][0]["status"] == "created":
            got = api.get(f"/api/v1/sessions/{item['id']}", headers=owner["headers"])
            assert got.status_code == 200, got.text[:300]

    check()


def test_sync_token_lives_long_and_dies_with_a_password_change(api, session) -> None:
    from sqlmodel import select

    from resolutionflow_app.db.models import AuthToken
    from resolutionflow_app.services.auth import token_hash

    owner = register(api)
    got = api.post("/api/v1/sync/token", headers=owner["headers"])
    assert got.status_code == 201
    assert got.json()["expires_in_days"] == 90
    token = got.json()["access_token"]
    row = session.exec(select(AuthToken).where(AuthToken.token_hash == token_hash(token))).one()
    assert (row.expires_at - row.created_at).days >= 89
    assert api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    changed = api.post(
        "/api/v1/auth/password",
        headers=owner["headers"],
        json={"current_password": "correct-horse-battery", "new_password": "another-horse-battery"},
    )
    assert changed.status_code == 200
    assert api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
