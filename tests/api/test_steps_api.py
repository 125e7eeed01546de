"""Step library API: list shape, create, get/put/delete (409 for synced), fork, rating, soft delete."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from resolutionflow_app.db.models import User
from tests.factories import add_member, register
from tests.library_helpers import make_step, make_tree


def _user(engine, data: dict) -> User:
    with Session(engine, expire_on_commit=False) as s:
        return s.get(User, uuid.UUID(data["user"]["id"] if "user" in data else data["id"]))


def _synced_step(engine, owner: dict) -> str:
    with Session(engine, expire_on_commit=False) as s:
        user = s.get(User, uuid.UUID(owner["user"]["id"]))
        tree = make_tree(s, user, name="Printer flow")
        step = make_step(s, user, title="Clear the queue", is_flow_synced=True, source_tree=tree, source_node_id="a1")
        s.commit()
        return str(step.id)


def test_create_list_get_update_delete(api, engine) -> None:
    owner = register(api)
    body = {
        "title": "Flush DNS",
        "step_type": "action",
        "content": {
            "instructions": "ipconfig /flushdns",
            "commands": [{"label": "Flush", "command": "ipconfig /flushdns", "command_type": "cmd"}],
        },
        "visibility": "team",
    }
    resp = api.post("/api/v1/steps", json=body, headers=owner["headers"])
    assert resp.status_code == 201, resp.text
    step = resp.json()
    for key in (
        "id",
        "title",
        "step_type",
        "content",
        "visibility",
        "is_flow_synced",
        "source_tree_id",
        "source_node_id",
        "source_tree_name",
        "usage_count",
        "rating_avg",
        "rating_count",
        "created_by",
        "is_active",
        "last_synced_at",
    ):
        assert key in step
    assert step["content"]["commands"][0]["command"] == "ipconfig /flushdns"
    assert step["is_flow_synced"] is False
    listed = api.get("/api/v1/steps", params={"q": "flushdns"}, headers=owner["headers"]).json()
    assert listed["total"] == 1
    assert listed["items"][0]["id"] == step["id"]
    upd = api.put(f"/api/v1/steps/{step['id']}", json={"title": "Flush the DNS cache"}, headers=owner["headers"])
    assert upd.status_code == 200
    assert upd.json()["title"] == "Flush the DNS cache"
    assert api.delete(f"/api/v1/steps/{step['id']}", headers=owner["headers"]).status_code == 204
    assert api.get("/api/v1/steps", headers=owner["headers"]).json()["total"] == 0
    gone = api.get(f"/api/v1/steps/{step['id']}", headers=owner["headers"])
    assert gone.status_code == 200
    assert gone.json()["is_active"] is False


def test_bad_input_is_422_never_500(api, engine) -> None:
    owner = register(api)
    h = owner["headers"]
    assert (
        api.post("/api/v1/steps", json={"title": "", "step_type": "action", "content": {}}, headers=h).status_code
        == 422
    )
    assert (
        api.post("/api/v1/steps", json={"title": "x", "step_type": "nope", "content": {}}, headers=h).status_code == 422
    )
    assert (
        api.post(
            "/api/v1/steps", json={"title": "x", "step_type": "action", "content": {"commands": 5}}, headers=h
        ).status_code
        == 422
    )
    assert api.get("/api/v1/steps", params={"sort": "weird"}, headers=h).status_code == 422
    assert api.get("/api/v1/steps/not-a-uuid", headers=h).status_code == 404
    assert api.get(f"/api/v1/steps/{uuid.uuid4()}", headers=h).status_code == 404
    assert api.get("/api/v1/steps").status_code == 401


def test_synced_entries_409_and_fork(api, engine) -> None:
    owner = register(api)
    engineer = add_member(api, owner, role="engineer")
    step_id = _synced_step(engine, owner)
    put = api.put(f"/api/v1/steps/{step_id}", json={"title": "x"}, headers=owner["headers"])
    assert put.status_code == 409
    assert "managed by its source flow" in put.json()["detail"]
    assert api.delete(f"/api/v1/steps/{step_id}", headers=owner["headers"]).status_code == 409
    got = api.get(f"/api/v1/steps/{step_id}", headers=engineer["headers"]).json()
    assert got["is_flow_synced"] is True
    assert got["source_tree_name"] == "Printer flow"
    fork = api.post(f"/api/v1/steps/{step_id}/fork", headers=engineer["headers"])
    assert fork.status_code == 201
    f = fork.json()
    assert (f["is_flow_synced"], f["source_tree_id"], f["created_by"], f["visibility"]) == (
        False,
        None,
        engineer["user"]["id"],
        "private",
    )
    assert (
        api.get("/api/v1/steps", params={"is_flow_synced": "false"}, headers=owner["headers"]).json()["total"] == 0
    )  # private to the engineer
    assert (
        api.get("/api/v1/steps", params={"is_flow_synced": "false"}, headers=engineer["headers"]).json()["total"] == 1
    )


def test_visibility_across_accounts(api, engine) -> None:
    a, b = register(api), register(api, account_name="Other")
    team = api.post(
        "/api/v1/steps",
        json={"title": "Team", "step_type": "action", "content": {}, "visibility": "team"},
        headers=a["headers"],
    ).json()
    pub = api.post(
        "/api/v1/steps",
        json={"title": "Pub", "step_type": "solution", "content": {}, "visibility": "public"},
        headers=a["headers"],
    ).json()
    assert api.get(f"/api/v1/steps/{team['id']}", headers=b["headers"]).status_code == 404
    assert api.put(f"/api/v1/steps/{team['id']}", json={"title": "x"}, headers=b["headers"]).status_code == 404
    assert api.get(f"/api/v1/steps/{pub['id']}", headers=b["headers"]).status_code == 200
    assert api.put(f"/api/v1/steps/{pub['id']}", json={"title": "x"}, headers=b["headers"]).status_code == 404
    assert [s["title"] for s in api.get("/api/v1/steps", headers=b["headers"]).json()["items"]] == ["Pub"]


def test_rating_replace(api, engine) -> None:
    owner = register(api)
    engineer = add_member(api, owner, role="engineer")
    step = api.post(
        "/api/v1/steps", json={"title": "R", "step_type": "action", "content": {}}, headers=owner["headers"]
    ).json()
    url = f"/api/v1/steps/{step['id']}/rating"
    assert api.put(url, json={"rating": 1}, headers=engineer["headers"]).json()["rating_avg"] == 1
    r = api.put(url, json={"rating": 3}, headers=engineer["headers"]).json()
    assert (r["rating_avg"], r["rating_count"]) == (3, 1)
    r = api.put(url, json={"rating": 5}, headers=owner["headers"]).json()
    assert (r["rating_avg"], r["rating_count"]) == (4, 2)
    assert api.put(url, json={"rating": 6}, headers=owner["headers"]).status_code == 422
    assert api.put(url, json={"rating": "x"}, headers=owner["headers"]).status_code == 422


def test_categories_and_group_labels(api, engine) -> None:
    owner = register(api)
    cat = api.post("/api/v1/step-categories", json={"name": "Network"}, headers=owner["headers"])
    assert cat.status_code == 201
    assert api.post("/api/v1/step-categories", json={"name": "network"}, headers=owner["headers"]).status_code == 409
    api.post(
        "/api/v1/steps",
        json={
            "title": "In cat",
            "step_type": "action",
            "content": {"group_label": "Prep"},
            "category_id": cat.json()["id"],
        },
        headers=owner["headers"],
    )
    listed = api.get("/api/v1/steps", params={"category_id": cat.json()["id"]}, headers=owner["headers"]).json()
    assert listed["total"] == 1
    assert listed["items"][0]["category_name"] == "Network"
    assert api.get("/api/v1/step-group-labels", headers=owner["headers"]).json()["items"] == ["Prep"]
    assert api.get("/api/v1/step-categories", headers=owner["headers"]).json()["total"] == 1


def test_capped_count_for_type_ahead(api, engine, monkeypatch) -> None:
    from resolutionflow_app.services import library_search as library_service

    owner = register(api)
    with Session(engine, expire_on_commit=False) as s:
        user = _user(engine, owner)
        for i in range(7):
            make_step(s, user, title=f"Check cable {i}")
        s.commit()
    monkeypatch.setattr(library_service, "RANK_WINDOW", 2)
    monkeypatch.setattr(library_service, "TOTAL_CAP", 3)
    exact = api.get("/api/v1/steps", params={"q": "che", "limit": 2}, headers=owner["headers"]).json()
    assert (exact["total"], exact["total_capped"], len(exact["items"])) == (7, False, 2)
    capped = api.get(
        "/api/v1/steps", params={"q": "che", "limit": 2, "count": "capped"}, headers=owner["headers"]
    ).json()
    assert (capped["total"], capped["total_capped"]) == (3, True)
    assert [i["id"] for i in capped["items"]] == [i["id"] for i in exact["items"]]
    assert api.get("/api/v1/steps", params={"count": "some"}, headers=owner["headers"]).status_code == 422
