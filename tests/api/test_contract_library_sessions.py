"""Black-box contract tests: API.md "Step library" + "Sessions" tables, general rules, seed Part 2 custom steps."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import Session, select

from resolutionflow_app.db.models import StepUsageLog
from tests.api_asserts import error_body as _err
from tests.api_asserts import iso_tz as _iso_tz
from tests.api_asserts import uuid_str as _uuid
from tests.factories import add_member, register
from tests.tree_helpers import procedure, troubleshooting

B = "/api/v1"
STEP_FIELDS = {
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
}
CONTENT_FIELDS = {"instructions", "help_text", "commands", "group_label"}
SESSION_FIELDS = {
    "id",
    "tree_id",
    "user_id",
    "status",
    "current_node_id",
    "history",
    "custom_steps",
    "outcome",
    "summary",
}
BAD_IDS = [str(uuid.uuid4()), "not-a-uuid", "123", "%00", "' OR 1=1 --", "x" * 300, str(uuid.uuid4()).upper()]


# ---------------------------------------------------------------- helpers


def _flow(api, who, *, tree_type="troubleshooting", structure=None, publish=True, **kw) -> dict:
    body = {
        "name": f"Flow {uuid.uuid4().hex[:6]}",
        "tree_type": tree_type,
        "tree_structure": structure
        if structure is not None
        else (troubleshooting() if tree_type == "troubleshooting" else procedure()),
        **kw,
    }
    resp = api.post(f"{B}/trees", headers=who["headers"], json=body)
    assert resp.status_code == 201, resp.text
    tree = resp.json()
    if publish:
        resp = api.put(f"{B}/trees/{tree['id']}", headers=who["headers"], json={"status": "published"})
        assert resp.status_code == 200, resp.text
        tree = resp.json()
    return tree


def _step(api, who, **kw) -> dict:
    body = {
        "title": "Check DNS",
        "step_type": "action",
        "content": {
            "instructions": "Run nslookup",
            "help_text": "Compare with DHCP",
            "commands": [{"label": "Lookup", "command": "nslookup example.com", "command_type": "bash"}],
            "group_label": "Network",
        },
        "visibility": "team",
        **kw,
    }
    resp = api.post(f"{B}/steps", headers=who["headers"], json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def _steps(api, who, **params) -> dict:
    resp = api.get(f"{B}/steps", headers=who["headers"], params=params)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) >= {"items", "total"}
    assert isinstance(body["total"], int)
    return body


def _start(api, who, tree_id: str) -> dict:
    resp = api.post(f"{B}/sessions", headers=who["headers"], json={"tree_id": tree_id})
    assert resp.status_code == 201, resp.text
    return resp.json()


def _post(api, who, path: str, body=None, expect: int = 200) -> dict:
    resp = api.post(f"{B}{path}", headers=who["headers"], json=body)
    assert resp.status_code == expect, (resp.status_code, resp.text)
    return resp.json()


def _check_step_shape(step: dict) -> None:
    assert set(step) >= STEP_FIELDS, STEP_FIELDS - set(step)
    _uuid(step["id"])
    assert set(step["content"]) >= CONTENT_FIELDS
    assert isinstance(step["content"]["commands"], list)
    for cmd in step["content"]["commands"]:
        assert {"label", "command", "command_type"} <= set(cmd)
    assert isinstance(step["usage_count"], int)
    assert isinstance(step["rating_count"], int)
    assert isinstance(step["is_flow_synced"], bool)
    assert isinstance(step["is_active"], bool)
    for key in ("source_tree_id", "created_by"):
        if step[key] is not None:
            _uuid(step[key])
    if step["last_synced_at"] is not None:
        _iso_tz(step["last_synced_at"])


def _check_session_shape(s: dict) -> None:
    assert set(s) >= SESSION_FIELDS, SESSION_FIELDS - set(s)
    _uuid(s["id"])
    _uuid(s["user_id"])
    for h in s["history"]:
        assert {"node_id", "answer", "notes", "at"} <= set(h)
        _iso_tz(h["at"])
    for key in ("started_at", "completed_at", "updated_at"):
        if s.get(key):
            _iso_tz(s[key])


@pytest.fixture
def owner(api):
    return register(api, account_name="Acme IT")


@pytest.fixture
def other(api):
    return register(api, account_name="Other Co")


# ---------------------------------------------------------------- step library: list + filters


def test_synced_steps_listed_with_every_field(api, owner) -> None:
    tree = _flow(api, owner, tree_type="procedural")
    body = _steps(api, owner, source_tree_id=tree["id"])
    assert body["total"] == 3
    assert len(body["items"]) == 3
    by_node = {s["source_node_id"]: s for s in body["items"]}
    assert set(by_node) == {"st_backup", "st_notify", "st_upgrade"}
    for s in body["items"]:
        _check_step_shape(s)
        assert s["is_flow_synced"] is True
        assert s["source_tree_id"] == tree["id"]
        assert s["source_tree_name"] == tree["name"]
        assert s["created_by"] == owner["user"]["id"]
        assert s["is_active"] is True
        assert s["last_synced_at"]
        assert s["step_type"] == "action"
        assert s["usage_count"] == 0
        assert s["rating_count"] == 0
    backup = by_node["st_backup"]
    assert backup["content"]["instructions"] == "Copy the running config"
    assert backup["content"]["help_text"] == "Backup file exists"
    assert backup["content"]["group_label"] == "Preparation"
    assert backup["content"]["commands"][0]["command"] == "copy run tftp:"
    assert backup["visibility"] == "public"
    assert by_node["st_notify"]["visibility"] == "team"
    up = by_node["st_upgrade"]["content"]
    assert up["group_label"] == "Upgrade"
    assert up["commands"] == [
        {"label": "Install", "command": "install add file flash:img.bin", "command_type": "cisco"}
    ]


def test_troubleshooting_sync_action_and_solution(api, owner) -> None:
    tree = _flow(api, owner)
    items = _steps(api, owner, source_tree_id=tree["id"])["items"]
    assert {(s["source_node_id"], s["step_type"]) for s in items} == {
        ("a_reboot", "action"),
        ("s_power", "solution"),
        ("s_done", "solution"),
    }
    assert {
        s["source_node_id"] for s in _steps(api, owner, source_tree_id=tree["id"], step_type="solution")["items"]
    } == {"s_power", "s_done"}


def test_list_filters(api, owner) -> None:
    tree = _flow(api, owner, tree_type="procedural")
    cat = api.post(f"{B}/step-categories", headers=owner["headers"], json={"name": "Wireless"}).json()
    manual = _step(api, owner, title="Zebra manual step", category_id=cat["id"], visibility="private")
    sol = _step(
        api,
        owner,
        title="Solution manual",
        step_type="solution",
        content={"instructions": "x", "group_label": "Closing"},
    )
    assert [s["id"] for s in _steps(api, owner, category_id=cat["id"])["items"]] == [manual["id"]]
    assert {s["id"] for s in _steps(api, owner, step_type="solution")["items"]} == {sol["id"]}
    assert {s["source_node_id"] for s in _steps(api, owner, group_label="Preparation")["items"]} == {
        "st_backup",
        "st_notify",
    }
    assert [s["id"] for s in _steps(api, owner, group_label="Closing")["items"]] == [sol["id"]]
    assert [s["id"] for s in _steps(api, owner, visibility="private")["items"]] == [manual["id"]]
    assert {s["source_node_id"] for s in _steps(api, owner, visibility="public")["items"]} == {"st_backup"}
    synced = _steps(api, owner, is_flow_synced="true")
    assert synced["total"] == 3
    assert all(s["is_flow_synced"] for s in synced["items"])
    unsynced = _steps(api, owner, is_flow_synced="false")
    assert {s["id"] for s in unsynced["items"]} == {manual["id"], sol["id"]}
    assert _steps(api, owner, source_tree_id=tree["id"], group_label="Upgrade")["total"] == 1
    assert _steps(api, owner, source_tree_id=str(uuid.uuid4()))["total"] == 0
    assert _steps(api, owner, category_id=str(uuid.uuid4()))["total"] == 0


def test_list_q_search(api, owner) -> None:
    _flow(api, owner, tree_type="procedural")
    dns = _step(api, owner, title="Flush the DNS cache", content={"instructions": "ipconfig /flushdns"})
    body = _steps(api, owner, q="dns")
    assert [s["id"] for s in body["items"]] == [dns["id"]]
    assert body["total"] == 1
    assert _steps(api, owner, q="firmware")["items"][0]["source_node_id"] == "st_upgrade"
    assert _steps(api, owner, q="nothingmatchesthis")["total"] == 0
    for nasty in ["'", '"', "%", "_", "a AND OR NOT", "*", "(", "dns:", "-dns", "\\", "é"]:
        assert api.get(f"{B}/steps", headers=owner["headers"], params={"q": nasty}).status_code == 200, nasty


def test_list_sorts(api, owner) -> None:
    a = _step(api, owner, title="Alpha step")
    b = _step(api, owner, title="Beta step")
    c = _step(api, owner, title="Gamma step")
    api.put(f"{B}/steps/{b['id']}/rating", headers=owner["headers"], json={"rating": 5})
    api.put(f"{B}/steps/{a['id']}/rating", headers=owner["headers"], json={"rating": 2})
    tree = _flow(api, owner)
    sess = _start(api, owner, tree["id"])
    for _ in range(2):
        _post(
            api,
            owner,
            f"/sessions/{sess['id']}/custom-steps",
            {"type": "action", "source": "step-library", "source_step_id": c["id"]},
        )
    ids = lambda sort: [s["id"] for s in _steps(api, owner, sort=sort, is_flow_synced="false")["items"]]  # noqa: E731
    assert ids("usage")[0] == c["id"]
    assert ids("rating")[:2] == [b["id"], a["id"]]
    assert set(ids("newest")) == {a["id"], b["id"], c["id"]}
    assert set(ids("relevance")) == {a["id"], b["id"], c["id"]}
    assert ids("newest")[0] == c["id"]
    assert [s["id"] for s in _steps(api, owner, q="step", sort="relevance")["items"]]
    _err(api.get(f"{B}/steps", headers=owner["headers"], params={"sort": "bogus"}), 400, 422)


def test_list_paging(api, owner) -> None:
    for i in range(5):
        _step(api, owner, title=f"Paged {i}")
    first = _steps(api, owner, limit=2, offset=0)
    second = _steps(api, owner, limit=2, offset=2)
    assert first["total"] == second["total"] == 5
    assert len(first["items"]) == 2
    assert len(second["items"]) == 2
    assert not {s["id"] for s in first["items"]} & {s["id"] for s in second["items"]}
    assert _steps(api, owner, limit=2, offset=100)["items"] == []
    for params in ({"limit": 0}, {"limit": -1}, {"offset": -1}, {"limit": "x"}, {"offset": "x"}):
        _err(api.get(f"{B}/steps", headers=owner["headers"], params=params), 422)
    # A huge limit may be capped (200) or refused (422) (shared Paging in api/deps.py); never a 500.
    huge = api.get(f"{B}/steps", headers=owner["headers"], params={"limit": 10**12})
    assert huge.status_code in (200, 422)
    assert "items" in huge.json() or "detail" in huge.json()


def test_list_bad_filters_are_4xx(api, owner) -> None:
    for params in (
        {"step_type": "bogus"},
        {"visibility": "everyone"},
        {"is_flow_synced": "maybe"},
        {"source_tree_id": "nope"},
        {"category_id": "nope"},
        {"sort": ""},
        {"q": "x" * 5000},
    ):
        _err(api.get(f"{B}/steps", headers=owner["headers"], params=params), 400, 422)


def test_list_requires_login(api) -> None:
    _err(api.get(f"{B}/steps"), 401)
    _err(api.post(f"{B}/steps", json={"title": "x", "step_type": "action", "content": {}, "visibility": "team"}), 401)
    _err(api.get(f"{B}/sessions"), 401)
    _err(api.post(f"{B}/sessions", json={"tree_id": str(uuid.uuid4())}), 401)
    _err(api.get(f"{B}/analytics/ad-hoc-steps"), 401)


# ---------------------------------------------------------------- step library: single steps


def test_create_get_put_delete(api, owner) -> None:
    step = _step(api, owner)
    _check_step_shape(step)
    assert step["is_flow_synced"] is False
    assert step["source_tree_id"] is None
    assert step["created_by"] == owner["user"]["id"]
    assert step["content"]["commands"] == [
        {"label": "Lookup", "command": "nslookup example.com", "command_type": "bash"}
    ]
    assert step["rating_avg"] is None
    assert step["rating_count"] == 0
    assert step["usage_count"] == 0
    got = api.get(f"{B}/steps/{step['id']}", headers=owner["headers"])
    assert got.status_code == 200
    assert got.json()["title"] == "Check DNS"
    put = api.put(
        f"{B}/steps/{step['id']}",
        headers=owner["headers"],
        json={"title": "Check DNS servers", "visibility": "private"},
    )
    assert put.status_code == 200
    assert put.json()["title"] == "Check DNS servers"
    assert put.json()["visibility"] == "private"
    put = api.put(
        f"{B}/steps/{step['id']}",
        headers=owner["headers"],
        json={"content": {"instructions": "dig example.com", "commands": []}},
    )
    assert put.status_code == 200
    assert put.json()["content"]["instructions"] == "dig example.com"
    deleted = api.delete(f"{B}/steps/{step['id']}", headers=owner["headers"])
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert step["id"] not in {s["id"] for s in _steps(api, owner)["items"]}
    assert _steps(api, owner)["total"] == 0
    after = api.get(f"{B}/steps/{step['id']}", headers=owner["headers"])
    assert after.status_code == 200
    assert after.json()["is_active"] is False


def test_create_minimal_and_category(api, owner) -> None:
    resp = api.post(
        f"{B}/steps",
        headers=owner["headers"],
        json={"title": "Minimal", "step_type": "action", "content": {"instructions": "Do it"}, "visibility": "team"},
    )
    assert resp.status_code == 201
    c = resp.json()["content"]
    assert c["instructions"] == "Do it"
    assert c["commands"] == []
    assert c["help_text"] is None
    assert c["group_label"] is None
    cat = api.post(f"{B}/step-categories", headers=owner["headers"], json={"name": "Cat A"}).json()
    resp = api.post(
        f"{B}/steps",
        headers=owner["headers"],
        json={
            "title": "With cat",
            "step_type": "action",
            "content": {"instructions": "x"},
            "visibility": "team",
            "category_id": cat["id"],
        },
    )
    assert resp.status_code == 201
    assert resp.json()["category_id"] == cat["id"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": "", "step_type": "action", "content": {}, "visibility": "team"},
        {"title": "   ", "step_type": "action", "content": {}, "visibility": "team"},
        {"title": "x" * 300, "step_type": "action", "content": {}, "visibility": "team"},
        {"title": "ok", "step_type": "bogus", "content": {}, "visibility": "team"},
        {"title": "ok", "step_type": "action", "content": {}, "visibility": "everyone"},
        {"title": "ok", "step_type": "action", "content": [1, 2], "visibility": "team"},
        {"title": "ok", "step_type": "action", "content": {"instructions": 5}, "visibility": "team"},
        {
            "title": "ok",
            "step_type": "action",
            "content": {"commands": [{"label": "no command"}]},
            "visibility": "team",
        },
        {"title": "ok", "step_type": "action", "content": {"commands": 7}, "visibility": "team"},
        {"title": "ok", "step_type": "action", "content": {}, "visibility": "team", "category_id": str(uuid.uuid4())},
        {"title": "ok", "step_type": "action", "content": {}, "visibility": "team", "category_id": "junk"},
        {"title": 5, "step_type": "action", "content": {}, "visibility": "team"},
        {"title": "ok", "step_type": ["action"], "content": {}, "visibility": "team"},
    ],
)
def test_create_bad_input_422(api, owner, body) -> None:
    _err(api.post(f"{B}/steps", headers=owner["headers"], json=body), 422)
    assert _steps(api, owner)["total"] == 0


@pytest.mark.parametrize("raw", ["{not json", "[]", '"a string"', "null", "12"])
def test_malformed_bodies_are_4xx(api, owner, raw) -> None:
    headers = {**owner["headers"], "Content-Type": "application/json"}
    step = _step(api, owner)
    tree = _flow(api, owner)
    sess = _start(api, owner, tree["id"])
    for method, path in [
        ("post", "/steps"),
        ("put", f"/steps/{step['id']}"),
        ("put", f"/steps/{step['id']}/rating"),
        ("post", "/sessions"),
        ("post", f"/sessions/{sess['id']}/advance"),
        ("post", f"/sessions/{sess['id']}/custom-steps"),
        ("post", f"/sessions/{sess['id']}/complete"),
        ("post", "/analytics/ad-hoc-steps/promote"),
    ]:
        resp = getattr(api, method)(f"{B}{path}", headers=headers, content=raw)
        _err(resp, 400, 422)
    assert _steps(api, owner, is_flow_synced="false")["total"] == 1
    assert api.get(f"{B}/sessions/{sess['id']}", headers=owner["headers"]).json()["status"] == "in_progress"


def test_put_bad_input_422_and_nothing_saved(api, owner) -> None:
    step = _step(api, owner)
    for body in (
        {"title": ""},
        {"title": None},
        {"step_type": "bogus"},
        {"visibility": "all"},
        {"content": {"commands": [{"x": 1}]}},
        {"content": 5},
        {"title": "fine", "visibility": "bad"},
        {"category_id": "junk"},
        {"title": 12},
    ):
        _err(api.put(f"{B}/steps/{step['id']}", headers=owner["headers"], json=body), 422)
    got = api.get(f"{B}/steps/{step['id']}", headers=owner["headers"]).json()
    assert got["title"] == "Check DNS"
    assert got["visibility"] == "team"


def test_synced_steps_409_on_put_delete_fork_201(api, owner) -> None:
    tree = _flow(api, owner)
    synced = _steps(api, owner, source_tree_id=tree["id"], step_type="action")["items"][0]
    _err(api.put(f"{B}/steps/{synced['id']}", headers=owner["headers"], json={"title": "Changed"}), 409)
    _err(api.delete(f"{B}/steps/{synced['id']}", headers=owner["headers"]), 409)
    assert api.get(f"{B}/steps/{synced['id']}", headers=owner["headers"]).json()["title"] == "Reboot the AP"
    resp = api.post(f"{B}/steps/{synced['id']}/fork", headers=owner["headers"])
    assert resp.status_code == 201, resp.text
    fork = resp.json()
    _check_step_shape(fork)
    assert fork["id"] != synced["id"]
    assert fork["is_flow_synced"] is False
    assert fork["source_tree_id"] is None
    assert fork["created_by"] == owner["user"]["id"]
    assert fork["title"] == synced["title"]
    assert fork["content"] == synced["content"]
    assert api.put(f"{B}/steps/{fork['id']}", headers=owner["headers"], json={"title": "Mine now"}).status_code == 200
    assert api.delete(f"{B}/steps/{fork['id']}", headers=owner["headers"]).status_code == 204


def test_fork_by_member_and_other_account(api, owner, other) -> None:
    step = _step(api, owner)
    eng = add_member(api, owner, role="engineer")
    resp = api.post(f"{B}/steps/{step['id']}/fork", headers=eng["headers"])
    assert resp.status_code == 201
    assert resp.json()["created_by"] == eng["user"]["id"]
    _err(api.post(f"{B}/steps/{step['id']}/fork", headers=other["headers"]), 404)


def test_other_account_404_everywhere(api, owner, other) -> None:
    step = _step(api, owner)
    private = _step(api, owner, visibility="private")
    for sid in (step["id"], private["id"]):
        _err(api.get(f"{B}/steps/{sid}", headers=other["headers"]), 404)
        _err(api.put(f"{B}/steps/{sid}", headers=other["headers"], json={"title": "x"}), 404)
        _err(api.delete(f"{B}/steps/{sid}", headers=other["headers"]), 404)
        _err(api.put(f"{B}/steps/{sid}/rating", headers=other["headers"], json={"rating": 3}), 404)
    assert _steps(api, other)["total"] == 0
    public = _step(api, owner, visibility="public")
    assert api.get(f"{B}/steps/{public['id']}", headers=other["headers"]).status_code == 200
    assert [s["id"] for s in _steps(api, other)["items"]] == [public["id"]]
    # A member of the same account sees team steps but not someone else's private ones.
    eng = add_member(api, owner, role="engineer")
    assert api.get(f"{B}/steps/{step['id']}", headers=eng["headers"]).status_code == 200
    _err(api.get(f"{B}/steps/{private['id']}", headers=eng["headers"]), 404)
    # Not the creator: not allowed to change (403), the step is unchanged.
    _err(api.put(f"{B}/steps/{step['id']}", headers=eng["headers"], json={"title": "x"}), 403)
    _err(api.delete(f"{B}/steps/{step['id']}", headers=eng["headers"]), 403)


@pytest.mark.parametrize("bad", BAD_IDS)
def test_bad_step_ids_404_or_422(api, owner, bad) -> None:
    h = owner["headers"]
    for resp in (
        api.get(f"{B}/steps/{bad}", headers=h),
        api.put(f"{B}/steps/{bad}", headers=h, json={"title": "x"}),
        api.delete(f"{B}/steps/{bad}", headers=h),
        api.post(f"{B}/steps/{bad}/fork", headers=h),
        api.put(f"{B}/steps/{bad}/rating", headers=h, json={"rating": 3}),
    ):
        _err(resp, 404, 422)


def test_rating(api, owner) -> None:
    step = _step(api, owner)
    eng = add_member(api, owner, role="engineer")
    resp = api.put(f"{B}/steps/{step['id']}/rating", headers=owner["headers"], json={"rating": 4})
    assert resp.status_code == 200
    assert resp.json()["rating_avg"] == 4
    assert resp.json()["rating_count"] == 1
    _check_step_shape(resp.json())
    resp = api.put(f"{B}/steps/{step['id']}/rating", headers=eng["headers"], json={"rating": 1})
    assert resp.json()["rating_count"] == 2
    assert resp.json()["rating_avg"] == 2.5
    resp = api.put(f"{B}/steps/{step['id']}/rating", headers=eng["headers"], json={"rating": 5})
    assert resp.json()["rating_count"] == 2
    assert resp.json()["rating_avg"] == 4.5
    for bad in (0, 6, -1, "x", None, 2.5, [3], {"v": 3}):
        _err(api.put(f"{B}/steps/{step['id']}/rating", headers=owner["headers"], json={"rating": bad}), 422)
    _err(api.put(f"{B}/steps/{step['id']}/rating", headers=owner["headers"], json={}), 422)
    got = api.get(f"{B}/steps/{step['id']}", headers=owner["headers"]).json()
    assert got["rating_count"] == 2
    assert got["rating_avg"] == 4.5
    # Synced (read-only) steps can still be rated.
    tree = _flow(api, owner)
    synced = _steps(api, owner, source_tree_id=tree["id"])["items"][0]
    assert (
        api.put(f"{B}/steps/{synced['id']}/rating", headers=owner["headers"], json={"rating": 3}).json()["rating_count"]
        == 1
    )


def test_flow_deactivation_soft_deletes_synced(api, owner) -> None:
    tree = _flow(api, owner)
    synced = _steps(api, owner, source_tree_id=tree["id"])["items"]
    assert api.put(f"{B}/trees/{tree['id']}", headers=owner["headers"], json={"is_active": False}).status_code == 200
    assert _steps(api, owner, source_tree_id=tree["id"])["total"] == 0
    assert api.get(f"{B}/steps/{synced[0]['id']}", headers=owner["headers"]).json()["is_active"] is False


# ---------------------------------------------------------------- sessions: start + read


def test_start_session_answer_shape(api, owner) -> None:
    tree = _flow(api, owner)
    s = _start(api, owner, tree["id"])
    _check_session_shape(s)
    assert s["tree_id"] == tree["id"]
    assert s["user_id"] == owner["user"]["id"]
    assert s["status"] == "in_progress"
    assert s["current_node_id"] == "q_power"
    assert s["history"] == []
    assert s["custom_steps"] == []
    assert s["outcome"] is None
    assert s["summary"] is None
    got = api.get(f"{B}/sessions/{s['id']}", headers=owner["headers"])
    assert got.status_code == 200
    assert got.json()["id"] == s["id"]
    listed = api.get(f"{B}/sessions", headers=owner["headers"]).json()
    assert listed["total"] == 1
    assert [i["id"] for i in listed["items"]] == [s["id"]]


def test_start_session_errors(api, owner, other) -> None:
    draft = _flow(api, owner, publish=False)
    _err(api.post(f"{B}/sessions", headers=owner["headers"], json={"tree_id": draft["id"]}), 400, 403, 404, 409, 422)
    _err(api.post(f"{B}/sessions", headers=owner["headers"], json={"tree_id": str(uuid.uuid4())}), 404)
    for bad in ({}, {"tree_id": None}, {"tree_id": 5}, {"tree_id": ["x"]}):
        _err(api.post(f"{B}/sessions", headers=owner["headers"], json=bad), 422)
    _err(api.post(f"{B}/sessions", headers=owner["headers"], json={"tree_id": "not-a-uuid"}), 404, 422)
    team_tree = _flow(api, owner)
    _err(api.post(f"{B}/sessions", headers=other["headers"], json={"tree_id": team_tree["id"]}), 404)
    assert api.get(f"{B}/sessions", headers=owner["headers"]).json()["total"] == 0


def test_sessions_list_paging(api, owner) -> None:
    tree = _flow(api, owner)
    ids = {_start(api, owner, tree["id"])["id"] for _ in range(3)}
    a = api.get(f"{B}/sessions", headers=owner["headers"], params={"limit": 2, "offset": 0}).json()
    b = api.get(f"{B}/sessions", headers=owner["headers"], params={"limit": 2, "offset": 2}).json()
    assert a["total"] == b["total"] == 3
    assert len(a["items"]) == 2
    assert len(b["items"]) == 1
    assert {i["id"] for i in a["items"] + b["items"]} == ids
    for params in ({"limit": 0}, {"offset": -1}, {"limit": "x"}):
        _err(api.get(f"{B}/sessions", headers=owner["headers"], params=params), 422)


# ---------------------------------------------------------------- sessions: walking


def test_advance_back_troubleshooting(api, owner) -> None:
    tree = _flow(api, owner)
    sid = _start(api, owner, tree["id"])["id"]
    s = _post(api, owner, f"/sessions/{sid}/advance", {"node_id": "q_power", "answer": "Yes", "notes": "LED green"})
    _check_session_shape(s)
    assert s["current_node_id"] == "a_reboot"
    assert [(h["node_id"], h["answer"], h["notes"]) for h in s["history"]] == [("q_power", "Yes", "LED green")]
    # Wrong node, wrong label, missing answer on a decision: 4xx, never 500, nothing changes.
    _err(
        api.post(f"{B}/sessions/{sid}/advance", headers=owner["headers"], json={"node_id": "q_power", "answer": "Yes"}),
        400,
        409,
        422,
    )
    _err(
        api.post(f"{B}/sessions/{sid}/advance", headers=owner["headers"], json={"node_id": "nope", "answer": "Yes"}),
        400,
        409,
        422,
    )
    s = _post(api, owner, f"/sessions/{sid}/back")
    assert s["current_node_id"] == "q_power"
    assert s["history"] == []
    _err(
        api.post(
            f"{B}/sessions/{sid}/advance", headers=owner["headers"], json={"node_id": "q_power", "answer": "Maybe"}
        ),
        400,
        409,
        422,
    )
    _err(api.post(f"{B}/sessions/{sid}/advance", headers=owner["headers"], json={"node_id": "q_power"}), 400, 409, 422)
    for bad in (
        {},
        {"node_id": None},
        {"node_id": 5},
        {"node_id": "q_power", "answer": 5},
        {"node_id": "q_power", "answer": "Yes", "notes": ["x"]},
    ):
        _err(api.post(f"{B}/sessions/{sid}/advance", headers=owner["headers"], json=bad), 422)
    assert api.get(f"{B}/sessions/{sid}", headers=owner["headers"]).json()["current_node_id"] == "q_power"
    # Back with nothing to go back to: 4xx.
    _err(api.post(f"{B}/sessions/{sid}/back", headers=owner["headers"]), 400, 409, 422)
    s = _post(api, owner, f"/sessions/{sid}/advance", {"node_id": "q_power", "answer": "No"})
    assert s["current_node_id"] == "s_power"
    # A solution is not advanced past.
    _err(
        api.post(f"{B}/sessions/{sid}/advance", headers=owner["headers"], json={"node_id": "s_power", "answer": "x"}),
        400,
        409,
        422,
    )
    # Labels are matched as written.
    s = _post(api, owner, f"/sessions/{sid}/back")
    s = _post(api, owner, f"/sessions/{sid}/advance", {"node_id": "q_power", "answer": "Yes"})
    s = _post(api, owner, f"/sessions/{sid}/advance", {"node_id": "a_reboot"})
    assert s["current_node_id"] == "s_done"
    assert [h["node_id"] for h in s["history"]] == ["q_power", "a_reboot"]


def test_procedure_ticks(api, owner) -> None:
    tree = _flow(api, owner, tree_type="procedural")
    s = _start(api, owner, tree["id"])
    assert s["current_node_id"] == "st_backup"
    s = _post(api, owner, f"/sessions/{s['id']}/advance", {"node_id": "st_notify"})
    assert s["current_node_id"] == "st_backup"
    s = _post(api, owner, f"/sessions/{s['id']}/advance", {"node_id": "st_backup", "notes": "saved"})
    assert s["current_node_id"] == "st_upgrade"
    for bad in ("sec_prep", "end", "nope"):
        _err(
            api.post(f"{B}/sessions/{s['id']}/advance", headers=owner["headers"], json={"node_id": bad}), 400, 409, 422
        )
    s = _post(api, owner, f"/sessions/{s['id']}/advance", {"node_id": "st_upgrade"})
    assert s["current_node_id"] is None
    assert s["status"] == "in_progress"
    assert {h["node_id"] for h in s["history"]} == {"st_backup", "st_notify", "st_upgrade"}
    s = _post(api, owner, f"/sessions/{s['id']}/back")
    assert s["current_node_id"] == "st_upgrade"


def test_complete(api, owner) -> None:
    tree = _flow(api, owner)
    sid = _start(api, owner, tree["id"])["id"]
    for bad in ({"outcome": "bogus"}, {}, {"outcome": None}, {"outcome": 1}, {"outcome": "resolved", "summary": 5}):
        _err(api.post(f"{B}/sessions/{sid}/complete", headers=owner["headers"], json=bad), 422)
    assert api.get(f"{B}/sessions/{sid}", headers=owner["headers"]).json()["status"] == "in_progress"
    s = _post(api, owner, f"/sessions/{sid}/complete", {"outcome": "escalated", "summary": "Sent to vendor"})
    _check_session_shape(s)
    assert s["status"] == "completed"
    assert s["outcome"] == "escalated"
    assert s["summary"] == "Sent to vendor"
    for outcome in ("resolved", "abandoned"):
        other_sid = _start(api, owner, tree["id"])["id"]
        s = _post(api, owner, f"/sessions/{other_sid}/complete", {"outcome": outcome})
        assert s["status"] == "completed"
        assert s["outcome"] == outcome
    # A completed session no longer changes.
    _err(
        api.post(f"{B}/sessions/{sid}/advance", headers=owner["headers"], json={"node_id": "q_power", "answer": "Yes"}),
        400,
        409,
        422,
    )
    _err(
        api.post(
            f"{B}/sessions/{sid}/custom-steps",
            headers=owner["headers"],
            json={"type": "action", "content": "x", "source": "ad-hoc"},
        ),
        400,
        409,
        422,
    )


# ---------------------------------------------------------------- sessions: custom steps (seed Part 2)


def test_custom_steps_ad_hoc_and_library(api, owner, engine) -> None:
    tree = _flow(api, owner)
    lib = _step(api, owner)
    sid = _start(api, owner, tree["id"])["id"]
    s = _post(
        api,
        owner,
        f"/sessions/{sid}/custom-steps",
        {"type": "action", "content": "Check Meraki dashboard", "notes": "AP offline", "source": "ad-hoc"},
    )
    adhoc = s["custom_steps"][0]
    assert adhoc["source"] == "ad-hoc"
    assert adhoc["source_step_id"] is None
    assert adhoc["content"] == "Check Meraki dashboard"
    assert adhoc["notes"] == "AP offline"
    assert adhoc["type"] == "action"
    assert adhoc["inserted_after_node_id"] == "q_power"
    _iso_tz(adhoc["inserted_at"])
    _post(api, owner, f"/sessions/{sid}/advance", {"node_id": "q_power", "answer": "Yes"})
    s = _post(
        api,
        owner,
        f"/sessions/{sid}/custom-steps",
        {"type": "action", "source": "step-library", "source_step_id": lib["id"]},
    )
    entry = s["custom_steps"][1]
    assert entry["source"] == "step-library"
    assert entry["source_step_id"] == lib["id"]
    assert entry["inserted_after_node_id"] == "a_reboot"
    assert entry["content"]
    _iso_tz(entry["inserted_at"])
    assert api.get(f"{B}/steps/{lib['id']}", headers=owner["headers"]).json()["usage_count"] == 1
    s = _post(
        api,
        owner,
        f"/sessions/{sid}/custom-steps",
        {"type": "action", "source": "step-library", "source_step_id": lib["id"], "inserted_after_node_id": "q_power"},
    )
    assert s["custom_steps"][2]["inserted_after_node_id"] == "q_power"
    assert len(s["custom_steps"]) == 3
    assert api.get(f"{B}/steps/{lib['id']}", headers=owner["headers"]).json()["usage_count"] == 2
    with Session(engine) as db:
        logs = db.exec(select(StepUsageLog).where(StepUsageLog.step_id == uuid.UUID(lib["id"]))).all()
        assert len(logs) == 2
        assert all(str(log.session_id) == sid and str(log.user_id) == owner["user"]["id"] for log in logs)
    # Deleting the library step keeps the orphaned reference in the session.
    assert api.delete(f"{B}/steps/{lib['id']}", headers=owner["headers"]).status_code == 204
    s = api.get(f"{B}/sessions/{sid}", headers=owner["headers"]).json()
    assert [c["source_step_id"] for c in s["custom_steps"]] == [None, lib["id"], lib["id"]]


def test_custom_steps_bad_input(api, owner, other) -> None:
    tree = _flow(api, owner)
    sid = _start(api, owner, tree["id"])["id"]
    foreign = _step(api, other)
    h = owner["headers"]
    for body in (
        {"type": "action", "source": "ad-hoc"},
        {"type": "action", "content": "  ", "source": "ad-hoc"},
        {"type": "bogus", "content": "x", "source": "ad-hoc"},
        {"type": "action", "content": "x", "source": "elsewhere"},
        {"type": "action", "source": "step-library"},
        {"type": "action", "content": 5, "source": "ad-hoc"},
        {"type": "action", "content": "x", "source": "ad-hoc", "inserted_after_node_id": "no_such_node"},
    ):
        _err(api.post(f"{B}/sessions/{sid}/custom-steps", headers=h, json=body), 400, 422)
    for bad in (str(uuid.uuid4()), "junk", foreign["id"]):
        _err(
            api.post(
                f"{B}/sessions/{sid}/custom-steps",
                headers=h,
                json={"type": "action", "source": "step-library", "source_step_id": bad},
            ),
            404,
            422,
        )
    assert api.get(f"{B}/sessions/{sid}", headers=h).json()["custom_steps"] == []
    assert api.get(f"{B}/steps/{foreign['id']}", headers=other["headers"]).json()["usage_count"] == 0


def test_custom_step_from_synced_library_step(api, owner, engine) -> None:
    tree = _flow(api, owner, tree_type="procedural")
    synced = [s for s in _steps(api, owner, source_tree_id=tree["id"])["items"] if s["source_node_id"] == "st_backup"][
        0
    ]
    sid = _start(api, owner, tree["id"])["id"]
    s = _post(
        api,
        owner,
        f"/sessions/{sid}/custom-steps",
        {"type": "action", "source": "step-library", "source_step_id": synced["id"]},
    )
    assert s["custom_steps"][0]["inserted_after_node_id"] == "st_backup"
    assert s["custom_steps"][0]["source_step_id"] == synced["id"]
    assert api.get(f"{B}/steps/{synced['id']}", headers=owner["headers"]).json()["usage_count"] == 1


# ---------------------------------------------------------------- sessions: permissions, delete, save as flow


def test_members_read_only_starter_changes(api, owner, other) -> None:
    eng = add_member(api, owner, role="engineer")
    tree = _flow(api, owner)
    sid = _start(api, owner, tree["id"])["id"]
    got = api.get(f"{B}/sessions/{sid}", headers=eng["headers"])
    assert got.status_code == 200
    assert got.json()["id"] == sid
    for method, path, body in [
        ("post", f"/sessions/{sid}/advance", {"node_id": "q_power", "answer": "Yes"}),
        ("post", f"/sessions/{sid}/back", None),
        ("post", f"/sessions/{sid}/custom-steps", {"type": "action", "content": "x", "source": "ad-hoc"}),
        ("post", f"/sessions/{sid}/complete", {"outcome": "resolved"}),
        ("delete", f"/sessions/{sid}", None),
    ]:
        kwargs = {"headers": eng["headers"]} | ({"json": body} if body is not None else {})
        _err(getattr(api, method)(f"{B}{path}", **kwargs), 403, 404)
        kwargs["headers"] = other["headers"]
        _err(getattr(api, method)(f"{B}{path}", **kwargs), 404)
    _err(api.get(f"{B}/sessions/{sid}", headers=other["headers"]), 404)
    _err(api.post(f"{B}/sessions/{sid}/save-as-flow", headers=other["headers"]), 404)
    assert api.get(f"{B}/sessions", headers=other["headers"]).json()["total"] == 0
    s = api.get(f"{B}/sessions/{sid}", headers=owner["headers"]).json()
    assert s["status"] == "in_progress"
    assert s["history"] == []
    assert s["custom_steps"] == []


@pytest.mark.parametrize("bad", BAD_IDS)
def test_bad_session_ids_404_or_422(api, owner, bad) -> None:
    h = owner["headers"]
    for resp in (
        api.get(f"{B}/sessions/{bad}", headers=h),
        api.post(f"{B}/sessions/{bad}/advance", headers=h, json={"node_id": "q_power", "answer": "Yes"}),
        api.post(f"{B}/sessions/{bad}/back", headers=h),
        api.post(
            f"{B}/sessions/{bad}/custom-steps", headers=h, json={"type": "action", "content": "x", "source": "ad-hoc"}
        ),
        api.post(f"{B}/sessions/{bad}/complete", headers=h, json={"outcome": "resolved"}),
        api.post(f"{B}/sessions/{bad}/save-as-flow", headers=h),
        api.delete(f"{B}/sessions/{bad}", headers=h),
    ):
        _err(resp, 404, 422)


def test_delete_session_and_its_shares(api, owner) -> None:
    tree = _flow(api, owner)
    sid = _start(api, owner, tree["id"])["id"]
    share = api.post(f"{B}/sessions/{sid}/shares", headers=owner["headers"], json={"visibility": "account"})
    assert share.status_code == 201, share.text
    token = share.json()["share_token"]
    assert api.get(f"{B}/shares/by-token/{token}", headers=owner["headers"]).status_code == 200
    resp = api.delete(f"{B}/sessions/{sid}", headers=owner["headers"])
    assert resp.status_code == 204
    assert resp.content == b""
    _err(api.get(f"{B}/sessions/{sid}", headers=owner["headers"]), 404)
    _err(api.delete(f"{B}/sessions/{sid}", headers=owner["headers"]), 404)
    _err(api.get(f"{B}/shares/by-token/{token}", headers=owner["headers"]), 404)
    assert api.get(f"{B}/shares/my-shares", headers=owner["headers"]).json()["total"] == 0


def test_save_as_flow(api, owner) -> None:
    tree = _flow(api, owner)
    sid = _start(api, owner, tree["id"])["id"]
    _post(api, owner, f"/sessions/{sid}/advance", {"node_id": "q_power", "answer": "Yes"})
    _post(
        api,
        owner,
        f"/sessions/{sid}/custom-steps",
        {"type": "action", "content": "Check the switch port", "source": "ad-hoc"},
    )
    _post(api, owner, f"/sessions/{sid}/advance", {"node_id": "a_reboot"})
    _post(api, owner, f"/sessions/{sid}/complete", {"outcome": "resolved"})
    resp = api.post(f"{B}/sessions/{sid}/save-as-flow", headers=owner["headers"])
    assert resp.status_code == 201, resp.text
    new = resp.json()
    _uuid(new["id"])
    assert new["id"] != tree["id"]
    assert new["status"] == "draft"
    assert new["tree_type"] == "troubleshooting"
    nodes = new["tree_structure"]["nodes"]
    ids = [n["id"] for n in nodes]
    assert "q_power" in ids
    assert "a_reboot" in ids
    assert any("Check the switch port" in (n.get("title", "") + n.get("description", "")) for n in nodes)
    got = api.get(f"{B}/trees/{new['id']}", headers=owner["headers"])
    assert got.status_code == 200
    assert got.json()["validation"] == []
    # The copy can be published (a valid flow).
    assert api.put(f"{B}/trees/{new['id']}", headers=owner["headers"], json={"status": "published"}).status_code == 200


def test_save_as_flow_procedure(api, owner) -> None:
    tree = _flow(api, owner, tree_type="maintenance")
    sid = _start(api, owner, tree["id"])["id"]
    _post(
        api,
        owner,
        f"/sessions/{sid}/custom-steps",
        {"type": "action", "content": "Photograph the rack", "source": "ad-hoc"},
    )
    _post(api, owner, f"/sessions/{sid}/complete", {"outcome": "abandoned"})
    resp = api.post(f"{B}/sessions/{sid}/save-as-flow", headers=owner["headers"])
    assert resp.status_code == 201, resp.text
    steps = resp.json()["tree_structure"]["steps"]
    ids = [s["id"] for s in steps]
    custom = [s for s in steps if "Photograph the rack" in s.get("title", "")]
    assert custom
    assert ids.index(custom[0]["id"]) == ids.index("st_backup") + 1
    assert resp.json()["tree_type"] == "maintenance"
    assert resp.json()["status"] == "draft"


# ---------------------------------------------------------------- analytics


def test_ad_hoc_analytics_and_promote(api, owner, other) -> None:
    tree = _flow(api, owner)
    for _ in range(2):
        sid = _start(api, owner, tree["id"])["id"]
        _post(
            api,
            owner,
            f"/sessions/{sid}/custom-steps",
            {"type": "action", "content": "Check Meraki dashboard", "source": "ad-hoc"},
        )
    resp = api.get(f"{B}/analytics/ad-hoc-steps", headers=owner["headers"])
    assert resp.status_code == 200
    body = resp.json()
    assert {"items", "total"} <= set(body)
    assert body["total"] >= 1
    item = body["items"][0]
    assert {"content", "sessions_count", "last_used_at"} <= set(item)
    assert item["content"] == "Check Meraki dashboard"
    assert item["sessions_count"] == 2
    _iso_tz(item["last_used_at"])
    paged = api.get(f"{B}/analytics/ad-hoc-steps", headers=owner["headers"], params={"limit": 1, "offset": 1}).json()
    assert (
        paged["total"] == body["total"] and len(paged["items"]) == max(0, body["total"] - 1)
        if body["total"] <= 2
        else True
    )
    _err(api.get(f"{B}/analytics/ad-hoc-steps", headers=owner["headers"], params={"limit": 0}), 422)
    assert api.get(f"{B}/analytics/ad-hoc-steps", headers=other["headers"]).json()["total"] == 0
    resp = api.post(
        f"{B}/analytics/ad-hoc-steps/promote", headers=owner["headers"], json={"content": "Check Meraki dashboard"}
    )
    assert resp.status_code == 201, resp.text
    step = resp.json()
    _check_step_shape(step)
    assert step["content"]["instructions"] == "Check Meraki dashboard"
    assert step["title"]
    assert step["is_flow_synced"] is False
    resp = api.post(
        f"{B}/analytics/ad-hoc-steps/promote",
        headers=owner["headers"],
        json={"content": "Reseat cable", "title": "Reseat", "visibility": "private"},
    )
    assert resp.status_code == 201
    assert resp.json()["title"] == "Reseat"
    assert resp.json()["visibility"] == "private"
    assert api.get(f"{B}/steps/{step['id']}", headers=owner["headers"]).status_code == 200
    for bad in (
        {},
        {"content": ""},
        {"content": "   "},
        {"content": 5},
        {"content": "x", "visibility": "everyone"},
        {"content": "x", "title": 3},
    ):
        _err(api.post(f"{B}/analytics/ad-hoc-steps/promote", headers=owner["headers"], json=bad), 422)


def test_ad_hoc_analytics_single_session(api, owner) -> None:
    """One session with an ad-hoc step: sessions_count counts distinct sessions."""
    tree = _flow(api, owner)
    sid = _start(api, owner, tree["id"])["id"]
    for _ in range(2):
        _post(
            api,
            owner,
            f"/sessions/{sid}/custom-steps",
            {"type": "action", "content": "Ping the gateway", "source": "ad-hoc"},
        )
    items = api.get(f"{B}/analytics/ad-hoc-steps", headers=owner["headers"]).json()["items"]
    for item in items:
        if item["content"] == "Ping the gateway":
            assert item["sessions_count"] == 1


# ---------------------------------------------------------------- bugs found by the contract tester (regressions)


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "9999-12-31T23:59:59-14:00"},
        {"date_from": "0001-01-01T00:00:00+14:00"},
        {"date_to": "9999-12-31"},
        {"date_to": "0001-01-01T00:00:00+01:00"},
        {"date_from": "junk"},
        {"date_to": "2026-13-45"},
    ],
)
def test_sessions_list_extreme_dates_never_500(api, owner, params) -> None:
    """Fixed: an out-of-range date filter used to overflow in the UTC conversion (500)."""
    resp = api.get(f"{B}/sessions", headers=owner["headers"], params=params)
    assert resp.status_code in (200, 422), resp.text
    assert "detail" in resp.json() if resp.status_code == 422 else {"items", "total"} <= set(resp.json())


def test_sessions_list_shows_what_members_may_read(api, owner, other) -> None:
    """API.md: members read each other's sessions, so GET /sessions lists the account's; scope=mine narrows."""
    eng = add_member(api, owner, role="engineer")
    tree = _flow(api, owner)
    mine = _start(api, owner, tree["id"])["id"]
    theirs = _start(api, eng, tree["id"])["id"]
    listed = api.get(f"{B}/sessions", headers=eng["headers"]).json()
    assert listed["total"] == 2
    assert {i["id"] for i in listed["items"]} == {mine, theirs}
    narrowed = api.get(f"{B}/sessions", headers=eng["headers"], params={"scope": "mine"}).json()
    assert narrowed["total"] == 1
    assert narrowed["items"][0]["id"] == theirs
    assert api.get(f"{B}/sessions", headers=other["headers"]).json() == {"items": [], "total": 0}


def test_ad_hoc_analytics_lists_single_session_texts(api, owner) -> None:
    """API.md lists ad-hoc steps with their sessions_count; min_sessions filters (seed: "across multiple sessions")."""
    tree = _flow(api, owner)
    sid = _start(api, owner, tree["id"])["id"]
    _post(
        api,
        owner,
        f"/sessions/{sid}/custom-steps",
        {"type": "action", "content": "Ping the gateway", "source": "ad-hoc"},
    )
    body = api.get(f"{B}/analytics/ad-hoc-steps", headers=owner["headers"]).json()
    assert body["total"] == 1
    assert body["items"][0]["content"] == "Ping the gateway"
    assert body["items"][0]["sessions_count"] == 1
    assert (
        api.get(f"{B}/analytics/ad-hoc-steps", headers=owner["headers"], params={"min_sessions": 2}).json()["total"]
        == 0
    )
    _err(api.get(f"{B}/analytics/ad-hoc-steps", headers=owner["headers"], params={"min_sessions": 0}), 422)


def test_command_label_null_is_no_label(api, owner) -> None:
    step = _step(
        api, owner, content={"instructions": "x", "commands": [{"label": None, "command": "ls", "command_type": None}]}
    )
    assert step["content"]["commands"] == [{"label": "", "command": "ls", "command_type": None}]


def test_unicode_and_nul_inputs_never_500(api, owner) -> None:
    _step(api, owner, title="Prüfe das Netzwerk", content={"instructions": "日本語 テスト"})
    for q in ["prüfe", "日本語", "ⅷ", "x\u0303", "١٢٣", "🙂", "a" * 200]:
        assert api.get(f"{B}/steps", headers=owner["headers"], params={"q": q}).status_code == 200, q
    assert _steps(api, owner, q="prüfe")["total"] == 1
    tree = _flow(api, owner)
    sid = _start(api, owner, tree["id"])["id"]
    for method, path, body in [
        ("post", "/steps", {"title": "a\u0000b", "step_type": "action", "content": {}, "visibility": "team"}),
        ("post", f"/sessions/{sid}/custom-steps", {"type": "action", "content": "a\u0000b", "source": "ad-hoc"}),
        ("post", f"/sessions/{sid}/advance", {"node_id": "q_power", "answer": "Yes", "notes": "a\u0000b"}),
        ("post", f"/sessions/{sid}/complete", {"outcome": "resolved", "summary": "a\u0000b"}),
    ]:
        _err(getattr(api, method)(f"{B}{path}", headers=owner["headers"], json=body), 400, 422)
    _err(api.get(f"{B}/steps", headers=owner["headers"], params={"group_label": "a\u0000b"}), 400, 422)
    assert api.get(f"{B}/sessions/{sid}", headers=owner["headers"]).json()["status"] == "in_progress"


def test_old_session_custom_steps_load(api, owner, engine) -> None:
    """Seed Part 2: a session stored with the old custom_steps structure loads with defaults."""
    from resolutionflow_app.db.models import SupportSession

    tree = _flow(api, owner)
    sid = _start(api, owner, tree["id"])["id"]
    with Session(engine) as db:
        row = db.get(SupportSession, uuid.UUID(sid))
        row.custom_steps = [
            {"type": "action", "content": "Check Meraki dashboard for AP status", "notes": "Found AP offline"}
        ]
        db.add(row)
        db.commit()
    resp = api.get(f"{B}/sessions/{sid}", headers=owner["headers"])
    assert resp.status_code == 200, resp.text
    step = resp.json()["custom_steps"][0]
    assert step["content"] == "Check Meraki dashboard for AP status"
    assert step["notes"] == "Found AP offline"
    assert step["source"] == "ad-hoc"
    assert step["source_step_id"] is None
    assert step["inserted_at"] is None
    assert step["inserted_after_node_id"] is None
    s = _post(api, owner, f"/sessions/{sid}/custom-steps", {"type": "action", "content": "New one", "source": "ad-hoc"})
    assert len(s["custom_steps"]) == 2


def test_session_survives_flow_delete_and_session_delete_keeps_usage(api, owner) -> None:
    tree = _flow(api, owner)
    lib = _step(api, owner)
    sid = _start(api, owner, tree["id"])["id"]
    _post(
        api,
        owner,
        f"/sessions/{sid}/custom-steps",
        {"type": "action", "source": "step-library", "source_step_id": lib["id"]},
    )
    assert api.delete(f"{B}/trees/{tree['id']}", headers=owner["headers"]).status_code == 204
    got = api.get(f"{B}/sessions/{sid}", headers=owner["headers"])
    assert got.status_code == 200
    assert got.json()["tree_id"] is None
    assert got.json()["current_node_id"] == "q_power"
    s = _post(api, owner, f"/sessions/{sid}/advance", {"node_id": "q_power", "answer": "No"})
    assert s["current_node_id"] == "s_power"
    _post(api, owner, f"/sessions/{sid}/complete", {"outcome": "resolved"})
    assert api.post(f"{B}/sessions/{sid}/save-as-flow", headers=owner["headers"]).status_code == 201
    assert api.delete(f"{B}/sessions/{sid}", headers=owner["headers"]).status_code == 204
    assert api.get(f"{B}/steps/{lib['id']}", headers=owner["headers"]).json()["usage_count"] == 1


def test_inactive_flow_cannot_start_and_public_flow_can(api, owner, other) -> None:
    tree = _flow(api, owner)
    assert api.put(f"{B}/trees/{tree['id']}", headers=owner["headers"], json={"is_active": False}).status_code == 200
    _err(api.post(f"{B}/sessions", headers=owner["headers"], json={"tree_id": tree["id"]}), 400, 404, 409, 422)
    public = _flow(api, owner, is_public=True)
    s = _start(api, other, public["id"])
    assert s["user_id"] == other["user"]["id"]
    _err(api.get(f"{B}/sessions/{s['id']}", headers=owner["headers"]), 404)


def test_side_lists_take_limit_and_offset(api, owner) -> None:
    """General rule: every list endpoint takes limit + offset and answers {items, total}."""
    for name in ("A", "B", "C"):
        assert api.post(f"{B}/step-categories", headers=owner["headers"], json={"name": name}).status_code == 201
    cats = api.get(f"{B}/step-categories", headers=owner["headers"], params={"limit": 2, "offset": 1}).json()
    assert cats["total"] == 3
    assert [c["name"] for c in cats["items"]] == ["B", "C"]
    _flow(api, owner, tree_type="procedural")
    labels = api.get(f"{B}/step-group-labels", headers=owner["headers"], params={"limit": 1, "offset": 1}).json()
    assert labels == {"items": ["Upgrade"], "total": 2}
    a, b = _step(api, owner, title="Used once"), _step(api, owner, title="Used twice")
    sid = _start(api, owner, _flow(api, owner)["id"])["id"]
    for step_id in (a["id"], b["id"], b["id"]):
        _post(
            api,
            owner,
            f"/sessions/{sid}/custom-steps",
            {"type": "action", "source": "step-library", "source_step_id": step_id},
        )
    used = api.get(f"{B}/analytics/most-used-steps", headers=owner["headers"], params={"limit": 1, "offset": 1}).json()
    assert used["total"] == 2
    assert [s["id"] for s in used["items"]] == [a["id"]]
    for path in ("/step-categories", "/step-group-labels", "/analytics/most-used-steps"):
        _err(api.get(f"{B}{path}", headers=owner["headers"], params={"limit": 0}), 422)
        _err(api.get(f"{B}{path}", headers=owner["headers"], params={"offset": -1}), 422)


def test_public_step_of_other_account_visible_not_editable(api, owner, other) -> None:
    public = _step(api, owner, visibility="public")
    h = other["headers"]
    # Visible here, so "as if it did not exist" cannot apply literally: 403 (404 would also honour the contract).
    _err(api.put(f"{B}/steps/{public['id']}", headers=h, json={"title": "x"}), 403, 404)
    _err(api.delete(f"{B}/steps/{public['id']}", headers=h), 403, 404)
    assert api.put(f"{B}/steps/{public['id']}/rating", headers=h, json={"rating": 5}).json()["rating_count"] == 1
    fork = api.post(f"{B}/steps/{public['id']}/fork", headers=h)
    assert fork.status_code == 201
    assert fork.json()["created_by"] == other["user"]["id"]
    assert api.get(f"{B}/steps/{fork.json()['id']}", headers=owner["headers"]).status_code == 404
    assert api.get(f"{B}/steps/{public['id']}", headers=owner["headers"]).json()["title"] == "Check DNS"


def test_long_node_ids_and_titles_never_500(api, owner) -> None:
    """Library columns are String(255): publishing a flow with longer node ids/titles must not 500 (PostgreSQL)."""
    long_id, long_title = "n" * 300, "T" * 400
    structure = {
        "steps": [
            {"id": long_id, "type": "procedure_step", "title": long_title, "description": "d"},
            {"id": "end", "type": "procedure_end", "title": "Done"},
        ]
    }
    resp = api.post(
        f"{B}/trees",
        headers=owner["headers"],
        json={"name": "Long", "tree_type": "procedural", "tree_structure": structure},
    )
    if resp.status_code == 201:
        pub = api.put(f"{B}/trees/{resp.json()['id']}", headers=owner["headers"], json={"status": "published"})
        assert pub.status_code in (200, 422), pub.text
        if pub.status_code == 200:
            items = _steps(api, owner, source_tree_id=resp.json()["id"])["items"]
            assert len(items) == 1
            assert len(items[0]["title"]) <= 255
            sid = _start(api, owner, resp.json()["id"])["id"]
            s = _post(api, owner, f"/sessions/{sid}/advance", {"node_id": long_id})
            assert s["current_node_id"] is None
    else:
        _err(resp, 422)


def test_save_as_flow_unfinished_session(api, owner) -> None:
    """API.md: save-as-flow answers 201 draft tree; it sets no "completed first" precondition."""
    tree = _flow(api, owner)
    sid = _start(api, owner, tree["id"])["id"]
    _post(api, owner, f"/sessions/{sid}/advance", {"node_id": "q_power", "answer": "Yes"})
    _post(
        api,
        owner,
        f"/sessions/{sid}/custom-steps",
        {"type": "action", "content": "Check the cabling", "source": "ad-hoc"},
    )
    resp = api.post(f"{B}/sessions/{sid}/save-as-flow", headers=owner["headers"])
    assert resp.status_code == 201, resp.text
    new = resp.json()
    assert new["status"] == "draft"
    assert new["tree_type"] == "troubleshooting"
    titles = [n["title"] for n in new["tree_structure"]["nodes"]]
    assert titles[0] == "Is the AP powered?"
    assert "Check the cabling" in titles
    assert "Reboot the AP" in titles
    assert api.get(f"{B}/sessions/{sid}", headers=owner["headers"]).json()["status"] == "in_progress"
    eng = add_member(api, owner, role="engineer")
    _err(api.post(f"{B}/sessions/{sid}/save-as-flow", headers=eng["headers"]), 403, 404)


def test_ids_are_case_insensitive_uuids(api, owner) -> None:
    step = _step(api, owner)
    assert api.get(f"{B}/steps/{step['id'].upper()}", headers=owner["headers"]).json()["id"] == step["id"]
    tree = _flow(api, owner)
    sid = _start(api, owner, tree["id"].upper())["id"]
    assert api.get(f"{B}/sessions/{sid.upper()}", headers=owner["headers"]).json()["tree_id"] == tree["id"]


JUNK = [None, 0, -1, 1.5, True, [], {}, ["a"], {"a": 1}, "", " ", "x" * 20000, "\u202e\u200b", "<script>", "${{7*7}}"]


def test_type_fuzz_never_500(api, owner) -> None:
    """Every field of every body, set to each junk value: 2xx or 4xx with {"detail"}, never a 500."""
    h = owner["headers"]
    tree = _flow(api, owner, tree_type="procedural")
    lib = _step(api, owner)
    sid = _start(api, owner, tree["id"])["id"]
    bodies = [
        (
            "post",
            "/steps",
            {
                "title": "t",
                "step_type": "action",
                "content": {"instructions": "i"},
                "visibility": "team",
                "category_id": None,
            },
        ),
        (
            "put",
            f"/steps/{lib['id']}",
            {
                "title": "t",
                "step_type": "action",
                "content": {"instructions": "i", "commands": [], "help_text": None, "group_label": None},
                "visibility": "team",
            },
        ),
        ("put", f"/steps/{lib['id']}/rating", {"rating": 3}),
        ("post", "/sessions", {"tree_id": tree["id"]}),
        ("post", f"/sessions/{sid}/advance", {"node_id": "st_backup", "answer": "done", "notes": "n"}),
        ("post", f"/sessions/{sid}/back", {"to_node_id": "st_backup"}),
        (
            "post",
            f"/sessions/{sid}/custom-steps",
            {
                "type": "action",
                "content": "c",
                "notes": "n",
                "source": "ad-hoc",
                "source_step_id": None,
                "inserted_after_node_id": "st_backup",
            },
        ),
        (
            "post",
            f"/sessions/{sid}/custom-steps",
            {"type": "action", "source": "step-library", "source_step_id": lib["id"]},
        ),
        ("post", "/analytics/ad-hoc-steps/promote", {"content": "c", "title": "t", "visibility": "team"}),
    ]
    for method, path, good in bodies:
        for key in good:
            for junk in JUNK:
                body = {**good, key: junk}
                resp = getattr(api, method)(f"{B}{path}", headers=h, json=body)
                assert resp.status_code < 500, (path, key, junk, resp.text)
                if resp.status_code >= 400:
                    assert "detail" in resp.json()
        for key in ("content",):
            if key in good and isinstance(good[key], dict):
                for sub in good[key]:
                    for junk in JUNK:
                        resp = getattr(api, method)(
                            f"{B}{path}", headers=h, json={**good, key: {**good[key], sub: junk}}
                        )
                        assert resp.status_code < 500, (path, key, sub, junk, resp.text)
    # complete last (it ends the session)
    for junk in JUNK:
        resp = api.post(f"{B}/sessions/{sid}/complete", headers=h, json={"outcome": "resolved", "summary": junk})
        assert resp.status_code < 500, (junk, resp.text)
    for params in (
        {"q": "x" * 200},
        {"group_label": "x" * 5000},
        {"step_type": "x" * 5000},
        {"source_tree_id": "x" * 5000},
        {"sort": "x" * 5000},
        {"is_flow_synced": "x" * 5000},
        {"offset": 2**63},
        {"offset": 10**40},
        {"limit": 10**40},
    ):
        assert api.get(f"{B}/steps", headers=h, params=params).status_code < 500, params
    for params in (
        {"scope": "x" * 5000},
        {"tree_id": "x" * 5000},
        {"outcome": "x"},
        {"status": "x"},
        {"offset": 10**40},
    ):
        assert api.get(f"{B}/sessions", headers=h, params=params).status_code < 500, params
