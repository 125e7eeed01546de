"""Sessions + analytics API: contract shapes, permissions (403 member / 404 other account), custom steps, save as
flow."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from resolutionflow_app.db.models import LibraryStep, SessionShare, StepUsageLog, User
from tests.factories import add_member, register
from tests.library_helpers import make_step, make_tree


def _tree(engine, who: dict, **kw) -> str:
    with Session(engine, expire_on_commit=False) as s:
        user = s.get(User, uuid.UUID(who["user"]["id"]))
        tree = make_tree(s, user, **kw)
        s.commit()
        return str(tree.id)


def _library_step(engine, who: dict, **kw) -> str:
    with Session(engine, expire_on_commit=False) as s:
        step = make_step(s, s.get(User, uuid.UUID(who["user"]["id"])), **kw)
        s.commit()
        return str(step.id)


def test_walk_flow_contract(api, engine) -> None:
    owner = register(api)
    h = owner["headers"]
    tree_id = _tree(engine, owner)
    resp = api.post("/api/v1/sessions", json={"tree_id": tree_id}, headers=h)
    assert resp.status_code == 201, resp.text
    s = resp.json()
    assert {
        k: s[k]
        for k in ("tree_id", "user_id", "status", "current_node_id", "history", "custom_steps", "outcome", "summary")
    } == {
        "tree_id": tree_id,
        "user_id": owner["user"]["id"],
        "status": "in_progress",
        "current_node_id": "q_power",
        "history": [],
        "custom_steps": [],
        "outcome": None,
        "summary": None,
    }
    sid = s["id"]
    s = api.post(
        f"/api/v1/sessions/{sid}/advance", json={"node_id": "q_power", "answer": "Yes", "notes": "green LED"}, headers=h
    ).json()
    assert s["current_node_id"] == "a_reboot"
    assert s["history"][0]["node_id"] == "q_power"
    assert s["history"][0]["answer"] == "Yes"
    assert s["history"][0]["notes"] == "green LED"
    assert s["history"][0]["at"]
    assert (
        api.post(
            f"/api/v1/sessions/{sid}/advance", json={"node_id": "a_reboot", "answer": "nope"}, headers=h
        ).status_code
        == 200
    )
    assert api.post(f"/api/v1/sessions/{sid}/back", headers=h).json()["current_node_id"] == "a_reboot"
    assert (
        api.post(f"/api/v1/sessions/{sid}/advance", json={"node_id": "q_power", "answer": "Yes"}, headers=h).status_code
        == 409
    )
    bad = api.post(f"/api/v1/sessions/{sid}/advance", json={"node_id": "a_reboot"}, headers=h)
    assert bad.status_code == 200
    assert bad.json()["current_node_id"] == "s_done"
    done = api.post(f"/api/v1/sessions/{sid}/complete", json={"outcome": "resolved", "summary": "ok"}, headers=h)
    assert done.status_code == 200
    assert done.json()["status"] == "completed"
    assert done.json()["outcome"] == "resolved"
    assert api.post(f"/api/v1/sessions/{sid}/complete", json={"outcome": "bogus"}, headers=h).status_code == 422
    listed = api.get("/api/v1/sessions", params={"outcome": "resolved"}, headers=h).json()
    assert listed["total"] == 1
    assert listed["items"][0]["id"] == sid
    assert api.get(f"/api/v1/sessions/{sid}", headers=h).json()["summary"] == "ok"


def test_only_published_visible_trees(api, engine) -> None:
    owner, other = register(api), register(api, account_name="Other")
    draft = _tree(engine, owner, status="draft")
    assert api.post("/api/v1/sessions", json={"tree_id": draft}, headers=owner["headers"]).status_code == 409
    private = _tree(engine, owner)
    assert api.post("/api/v1/sessions", json={"tree_id": private}, headers=other["headers"]).status_code == 404
    assert api.post("/api/v1/sessions", json={"tree_id": "junk"}, headers=owner["headers"]).status_code == 404
    public = _tree(engine, owner, is_public=True)
    assert api.post("/api/v1/sessions", json={"tree_id": public}, headers=other["headers"]).status_code == 201


def test_members_read_starter_changes_others_404(api, engine) -> None:
    owner = register(api)
    colleague = add_member(api, owner, role="engineer")
    other = register(api, account_name="Other")
    sid = api.post("/api/v1/sessions", json={"tree_id": _tree(engine, owner)}, headers=owner["headers"]).json()["id"]
    assert api.get(f"/api/v1/sessions/{sid}", headers=colleague["headers"]).status_code == 200
    assert api.get("/api/v1/sessions", params={"scope": "account"}, headers=colleague["headers"]).json()["total"] == 1
    # Contract tester: GET /sessions defaults to every session the caller may read (API.md); scope=mine narrows.
    assert api.get("/api/v1/sessions", headers=colleague["headers"]).json()["total"] == 1
    assert api.get("/api/v1/sessions", params={"scope": "mine"}, headers=colleague["headers"]).json()["total"] == 0
    assert api.get(f"/api/v1/sessions/{sid}", headers=other["headers"]).status_code == 404
    writes = [
        ("post", f"/api/v1/sessions/{sid}/advance", {"node_id": "q_power", "answer": "Yes"}),
        ("post", f"/api/v1/sessions/{sid}/back", None),
        ("post", f"/api/v1/sessions/{sid}/custom-steps", {"type": "action", "content": "x", "source": "ad-hoc"}),
        ("post", f"/api/v1/sessions/{sid}/complete", {"outcome": "resolved"}),
        ("delete", f"/api/v1/sessions/{sid}", None),
    ]
    for method, url, body in writes:
        kw = {"json": body} if body is not None else {}
        assert getattr(api, method)(url, headers=colleague["headers"], **kw).status_code == 403, url
        assert getattr(api, method)(url, headers=other["headers"], **kw).status_code == 404, url
    assert api.get(f"/api/v1/sessions/{sid}", headers=owner["headers"]).json()["history"] == []


def test_custom_steps_library_and_ad_hoc(api, engine) -> None:
    owner = register(api)
    h = owner["headers"]
    sid = api.post("/api/v1/sessions", json={"tree_id": _tree(engine, owner)}, headers=h).json()["id"]
    step_id = _library_step(engine, owner, title="Verify DNS", instructions="nslookup dc01")
    url = f"/api/v1/sessions/{sid}/custom-steps"
    r = api.post(
        url,
        json={"type": "action", "content": "Check Meraki dashboard", "notes": "AP offline", "source": "ad-hoc"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    c = r.json()["custom_steps"][0]
    assert (c["source"], c["source_step_id"], c["inserted_after_node_id"], c["notes"]) == (
        "ad-hoc",
        None,
        "q_power",
        "AP offline",
    )
    assert c["inserted_at"]
    for _ in range(2):
        r = api.post(
            url,
            json={
                "type": "action",
                "source": "step-library",
                "source_step_id": step_id,
                "inserted_after_node_id": "a_reboot",
            },
            headers=h,
        )
        assert r.status_code == 200, r.text
    c = r.json()["custom_steps"][-1]
    assert (c["source"], c["source_step_id"], c["content"], c["inserted_after_node_id"], c["source_available"]) == (
        "step-library",
        step_id,
        "nslookup dc01",
        "a_reboot",
        True,
    )
    with Session(engine) as s:
        assert s.get(LibraryStep, uuid.UUID(step_id)).usage_count == 2
        assert len(s.exec(select(StepUsageLog).where(StepUsageLog.step_id == uuid.UUID(step_id))).all()) == 2
    assert api.get(f"/api/v1/steps/{step_id}", headers=h).json()["usage_count"] == 2
    assert api.post(url, json={"type": "action", "source": "ad-hoc"}, headers=h).status_code == 422
    assert (
        api.post(
            url, json={"type": "action", "source": "step-library", "source_step_id": str(uuid.uuid4())}, headers=h
        ).status_code
        == 404
    )
    api.delete(f"/api/v1/steps/{step_id}", headers=h)
    after = api.get(f"/api/v1/sessions/{sid}", headers=h).json()["custom_steps"]
    assert after[1]["source_step_id"] == step_id
    assert after[1]["source_available"] is False


def test_delete_session_removes_share_links(api, engine) -> None:
    owner = register(api)
    sid = api.post("/api/v1/sessions", json={"tree_id": _tree(engine, owner)}, headers=owner["headers"]).json()["id"]
    with Session(engine) as s:
        s.add(SessionShare(session_id=uuid.UUID(sid), share_token="b" * 64, created_by=uuid.UUID(owner["user"]["id"])))
        s.commit()
    assert api.delete(f"/api/v1/sessions/{sid}", headers=owner["headers"]).status_code == 204
    assert api.get(f"/api/v1/sessions/{sid}", headers=owner["headers"]).status_code == 404
    with Session(engine) as s:
        assert s.exec(select(SessionShare)).all() == []


def test_procedure_session_api(api, engine) -> None:
    owner = register(api)
    h = owner["headers"]
    sid = api.post(
        "/api/v1/sessions", json={"tree_id": _tree(engine, owner, tree_type="procedural")}, headers=h
    ).json()["id"]
    s = api.get(f"/api/v1/sessions/{sid}", headers=h).json()
    assert s["current_node_id"] == "st_backup"
    assert s["progress"] == {"done": 0, "total": 3}
    for step in ("st_backup", "st_notify", "st_upgrade"):
        s = api.post(f"/api/v1/sessions/{sid}/advance", json={"node_id": step}, headers=h).json()
    assert s["current_node_id"] is None
    assert s["progress"]["done"] == 3


def test_save_as_flow_and_analytics(api, engine) -> None:
    owner = register(api)
    h = owner["headers"]
    tree_id = _tree(engine, owner)
    for i in range(2):
        sid = api.post("/api/v1/sessions", json={"tree_id": tree_id}, headers=h).json()["id"]
        api.post(
            f"/api/v1/sessions/{sid}/custom-steps",
            json={"type": "action", "content": "Check Meraki dashboard" + ("." if i else ""), "source": "ad-hoc"},
            headers=h,
        )
    api.post(f"/api/v1/sessions/{sid}/advance", json={"node_id": "q_power", "answer": "No"}, headers=h)
    # Contract tester: API.md sets no "completed" precondition for save-as-flow (was 409).
    assert api.post(f"/api/v1/sessions/{sid}/save-as-flow", headers=h).status_code == 201
    api.post(f"/api/v1/sessions/{sid}/complete", json={"outcome": "resolved"}, headers=h)
    flow = api.post(f"/api/v1/sessions/{sid}/save-as-flow", headers=h)
    assert flow.status_code == 201, flow.text
    assert flow.json()["status"] == "draft"
    assert [n["title"] for n in flow.json()["tree_structure"]["nodes"]] == [
        "Is the AP powered?",
        "Check Meraki dashboard.",
        "Restore PoE power",
    ]
    popular = api.get("/api/v1/analytics/ad-hoc-steps", headers=h).json()
    assert popular["total"] == 1
    assert popular["items"][0]["sessions_count"] == 2
    promoted = api.post(
        "/api/v1/analytics/ad-hoc-steps/promote", json={"content": popular["items"][0]["content"]}, headers=h
    )
    assert promoted.status_code == 201
    assert promoted.json()["is_flow_synced"] is False
    assert api.get("/api/v1/steps", params={"q": "meraki"}, headers=h).json()["total"] == 1


def test_sessions_search_by_flow_name_and_summary(api):
    from tests.factories import register

    owner = register(api)
    h = owner["headers"]
    structure = {"start_node_id": "s", "nodes": [{"id": "s", "type": "solution", "title": "Done"}]}
    ids = []
    for name in ("Printer jam", "VPN down"):
        tree = api.post(
            "/api/v1/trees", headers=h, json={"name": name, "tree_type": "troubleshooting", "tree_structure": structure}
        ).json()
        assert api.put(f"/api/v1/trees/{tree['id']}", headers=h, json={"status": "published"}).status_code == 200
        ids.append(api.post("/api/v1/sessions", headers=h, json={"tree_id": tree["id"]}).json()["id"])
    api.post(
        f"/api/v1/sessions/{ids[1]}/complete",
        headers=h,
        json={"outcome": "resolved", "summary": "Rebooted the 100% broken_router"},
    )
    by_name = api.get("/api/v1/sessions?q=printer", headers=h).json()
    assert by_name["total"] == 1
    assert by_name["items"][0]["id"] == ids[0]
    by_summary = api.get("/api/v1/sessions?q=100%25 broken_", headers=h).json()
    assert [s["id"] for s in by_summary["items"]] == [ids[1]]
    assert api.get("/api/v1/sessions?q=nothing-like-this", headers=h).json()["total"] == 0
