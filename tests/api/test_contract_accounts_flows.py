"""Black-box contract tests: API.md "Accounts" + "Flows (trees)" tables, general rules, fork seed, library sync."""

from __future__ import annotations

import uuid

import pytest

from tests.api_asserts import error_body as _is_error
from tests.api_asserts import iso_tz as _iso_tz
from tests.api_asserts import uuid_str as _uuid_str
from tests.factories import PASSWORD, add_member, register
from tests.tree_helpers import procedure, troubleshooting

B = "/api/v1"
TREE_FIELDS = {
    "id",
    "name",
    "description",
    "tree_type",
    "tree_structure",
    "status",
    "version",
    "is_public",
    "is_active",
    "author_id",
    "account_id",
    "parent_tree_id",
    "fork_reason",
    "parent_updated_at",
    "has_parent_updates",
    "updated_at",
    "validation",
}
BAD_IDS = [str(uuid.uuid4()), "not-a-uuid", "123", "1.5", "%00", "' OR 1=1 --", "x" * 300]


# ---------------------------------------------------------------- helpers


def _create(api, who, **kw) -> dict:
    body = {"name": "Wi-Fi AP offline", "tree_type": "troubleshooting", "tree_structure": troubleshooting(), **kw}
    resp = api.post(f"{B}/trees", headers=who["headers"], json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def _publish(api, who, tree_id: str, **extra) -> dict:
    resp = api.put(f"{B}/trees/{tree_id}", headers=who["headers"], json={"status": "published", **extra})
    assert resp.status_code == 200, resp.text
    return resp.json()


def _steps(api, who, **params) -> dict:
    resp = api.get(f"{B}/steps", headers=who["headers"], params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.fixture
def owner(api):
    return register(api, account_name="Acme IT")


@pytest.fixture
def other(api):
    return register(api, account_name="Other Co")


# ---------------------------------------------------------------- accounts


def test_register_answers_201_user_account_token(api) -> None:
    resp = api.post(
        f"{B}/auth/register",
        json={"email": "Pat@Example.COM", "password": PASSWORD, "name": "Pat", "account_name": "Pat Co"},
    )
    assert resp.status_code == 201
    body = resp.json()
    assert {"user", "account", "access_token", "token_type"} <= set(body)
    assert body["token_type"] == "bearer"
    assert isinstance(body["access_token"], str)
    assert body["access_token"]
    assert body["user"]["role"] == "owner"
    _uuid_str(body["user"]["id"])
    _uuid_str(body["account"]["id"])
    assert body["user"]["account_id"] == body["account"]["id"]
    me = api.get(f"{B}/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert {"id", "email", "name", "role", "account_id"} <= set(me.json())
    assert me.json()["email"].lower() == "pat@example.com"
    assert me.json()["role"] == "owner"


def test_emails_case_insensitive_for_login_and_duplicates(api) -> None:
    register(api, email="MiXeD@Example.com")
    ok = api.post(f"{B}/auth/login", json={"email": "mixed@EXAMPLE.com", "password": PASSWORD})
    assert ok.status_code == 200
    assert ok.json()["token_type"] == "bearer"
    assert ok.json()["access_token"]
    dup = api.post(
        f"{B}/auth/register",
        json={"email": "mixed@example.com", "password": PASSWORD, "name": "X", "account_name": "Y"},
    )
    _is_error(dup, 409)


def test_login_failures_are_one_generic_401(api) -> None:
    register(api, email="lee@example.com")
    a = api.post(f"{B}/auth/login", json={"email": "lee@example.com", "password": "wrong-password-123"})
    b = api.post(f"{B}/auth/login", json={"email": "nobody@example.com", "password": PASSWORD})
    _is_error(a, 401)
    _is_error(b, 401)
    assert a.json()["detail"] == b.json()["detail"]


@pytest.mark.parametrize("password", ["", "123456789", "abcdefghi"])
def test_passwords_need_ten_characters(api, password) -> None:
    resp = api.post(
        f"{B}/auth/register", json={"email": "p@example.com", "password": password, "name": "P", "account_name": "P"}
    )
    _is_error(resp, 422)
    # exactly 10 is enough
    ok = api.post(
        f"{B}/auth/register",
        json={"email": "p@example.com", "password": "0123456789", "name": "P", "account_name": "P"},
    )
    assert ok.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "a@example.com"},
        {"email": 5, "password": PASSWORD, "name": "n", "account_name": "a"},
        {"email": "a@example.com", "password": ["x"], "name": "n", "account_name": "a"},
        {"email": "a@example.com", "password": PASSWORD, "name": None, "account_name": "a"},
        {"email": "a@example.com", "password": PASSWORD, "name": "", "account_name": "a"},
        {"email": "a@example.com", "password": PASSWORD, "name": "n", "account_name": "   "},
        {"email": "a\u0000b@example.com", "password": PASSWORD, "name": "n", "account_name": "a"},
        {"email": "a@example.com", "password": PASSWORD, "name": "n\u0000", "account_name": "a"},
        {"email": "a@example.com", "password": PASSWORD, "name": "n" * 100_000, "account_name": "a"},
        [],
        "text",
        None,
    ],
)
def test_register_bad_bodies_never_500(api, body) -> None:
    resp = api.post(f"{B}/auth/register", json=body)
    _is_error(resp, 400, 422)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "x@example.com"},
        {"email": None, "password": None},
        {"email": 1, "password": 2},
        {"email": "x\u0000@example.com", "password": PASSWORD},
        {"email": "x@example.com", "password": "p\u0000" * 6},
        {"email": "x" * 5000, "password": PASSWORD},
    ],
)
def test_login_bad_bodies_never_500(api, body) -> None:
    resp = api.post(f"{B}/auth/login", json=body)
    _is_error(resp, 400, 401, 422)


def test_malformed_json_is_400_or_422_with_detail(api, owner) -> None:
    for path, headers in (
        (f"{B}/auth/register", {}),
        (f"{B}/auth/login", {}),
        (f"{B}/trees", owner["headers"]),
        (f"{B}/trees/import", owner["headers"]),
        (f"{B}/account/members", owner["headers"]),
    ):
        resp = api.post(path, content=b'{"email": ', headers={**headers, "content-type": "application/json"})
        _is_error(resp, 400, 422)


@pytest.mark.in_process  # httpx refuses to send "Bearer " (trailing space); the in-process client sends it
def test_me_requires_login_and_rejects_junk_tokens(api) -> None:
    _is_error(api.get(f"{B}/auth/me"), 401)
    for header in ("Bearer nope", "Bearer ", "Basic abc", "bearer " + "x" * 5000, "Token abc"):
        _is_error(api.get(f"{B}/auth/me", headers={"Authorization": header}), 401)


def test_logout_204_and_token_stops_working(api, owner) -> None:
    resp = api.post(f"{B}/auth/logout", headers=owner["headers"])
    assert resp.status_code == 204
    assert resp.content == b""
    _is_error(api.get(f"{B}/auth/me", headers=owner["headers"]), 401)
    _is_error(api.get(f"{B}/trees", headers=owner["headers"]), 401)


def test_change_password(api, owner) -> None:
    h = owner["headers"]
    wrong = api.post(
        f"{B}/auth/password",
        headers=h,
        json={"current_password": "not-my-password", "new_password": "brand-new-secret"},
    )
    _is_error(wrong, 400, 401, 403, 422)
    short = api.post(f"{B}/auth/password", headers=h, json={"current_password": PASSWORD, "new_password": "short"})
    _is_error(short, 422)
    ok = api.post(
        f"{B}/auth/password", headers=h, json={"current_password": PASSWORD, "new_password": "brand-new-secret"}
    )
    assert ok.status_code == 200
    _is_error(api.post(f"{B}/auth/login", json={"email": owner["email"], "password": PASSWORD}), 401)
    assert (
        api.post(f"{B}/auth/login", json={"email": owner["email"].upper(), "password": "brand-new-secret"}).status_code
        == 200
    )
    _is_error(api.post(f"{B}/auth/password", headers=h, json={"current_password": 5}), 422)
    _is_error(
        api.post(
            f"{B}/auth/password", json={"current_password": "brand-new-secret", "new_password": "another-secret-1"}
        ),
        401,
    )


def test_members_owner_only_list_paginated(api, owner, other) -> None:
    resp = api.post(
        f"{B}/account/members",
        headers=owner["headers"],
        json={"email": "Eng@Example.com", "name": "Eng", "role": "engineer", "password": PASSWORD},
    )
    assert resp.status_code == 201
    user = resp.json()
    assert {"id", "email", "name", "role", "account_id"} <= set(user)
    assert user["role"] == "engineer"
    assert user["account_id"] == owner["account"]["id"]
    _uuid_str(user["id"])
    # case-insensitive duplicate email
    dup = api.post(
        f"{B}/account/members",
        headers=owner["headers"],
        json={"email": "eng@example.COM", "name": "E2", "role": "author", "password": PASSWORD},
    )
    _is_error(dup, 409)
    _is_error(
        api.post(
            f"{B}/account/members",
            headers=owner["headers"],
            json={"email": "x@example.com", "name": "X", "role": "king", "password": PASSWORD},
        ),
        422,
    )
    _is_error(
        api.post(
            f"{B}/account/members",
            headers=owner["headers"],
            json={"email": "y@example.com", "name": "Y", "role": "author", "password": "short"},
        ),
        422,
    )
    _is_error(api.post(f"{B}/account/members", headers=owner["headers"], json={"email": "y@example.com"}), 422)
    # the new member logs in (email in other case) and is not an owner
    login = api.post(f"{B}/auth/login", json={"email": "ENG@example.com", "password": PASSWORD})
    assert login.status_code == 200
    eng_h = {"Authorization": f"Bearer {login.json()['access_token']}"}
    _is_error(
        api.post(
            f"{B}/account/members",
            headers=eng_h,
            json={"email": "z@example.com", "name": "Z", "role": "engineer", "password": PASSWORD},
        ),
        403,
    )
    lst = api.get(f"{B}/account/members", headers=owner["headers"])
    assert lst.status_code == 200
    assert lst.json()["total"] == 2
    assert len(lst.json()["items"]) == 2
    assert lst.json() == api.get(f"{B}/account/members", headers=eng_h).json()
    page = api.get(f"{B}/account/members", headers=owner["headers"], params={"limit": 1, "offset": 1}).json()
    assert page["total"] == 2
    assert len(page["items"]) == 1
    assert api.get(f"{B}/account/members", headers=owner["headers"], params={"offset": 5}).json() == {
        "items": [],
        "total": 2,
    }
    # another account does not see them
    assert api.get(f"{B}/account/members", headers=other["headers"]).json()["total"] == 1


def test_account_settings_owner_only(api, owner) -> None:
    resp = api.put(f"{B}/account/settings", headers=owner["headers"], json={"allow_public_shares": False})
    assert resp.status_code == 200
    assert resp.json()["allow_public_shares"] is False
    assert resp.json()["id"] == owner["account"]["id"]
    eng = add_member(api, owner, role="engineer")
    author = add_member(api, owner, role="author")
    _is_error(api.put(f"{B}/account/settings", headers=eng["headers"], json={"allow_public_shares": True}), 403)
    _is_error(api.put(f"{B}/account/settings", headers=author["headers"], json={"allow_public_shares": True}), 403)
    _is_error(api.put(f"{B}/account/settings", headers=owner["headers"], json={"allow_public_shares": "maybe"}), 422)
    _is_error(api.put(f"{B}/account/settings", json={"allow_public_shares": True}), 401)


def test_auth_rate_limit_429(api, monkeypatch) -> None:
    from resolutionflow_app.api.deps import reset_limiters
    from resolutionflow_app.settings import get_settings

    monkeypatch.setenv("RF_AUTH_RATE_LIMIT", "3/minute")
    get_settings.cache_clear()
    reset_limiters()
    try:
        codes = [
            api.post(f"{B}/auth/login", json={"email": "a@example.com", "password": "whatever-123"}).status_code
            for _ in range(4)
        ]
        assert codes[:3] == [401, 401, 401]
        assert codes[3] == 429
        resp = api.post(
            f"{B}/auth/register",
            json={"email": "r@example.com", "password": PASSWORD, "name": "R", "account_name": "R"},
        )
        _is_error(resp, 429)
    finally:
        monkeypatch.delenv("RF_AUTH_RATE_LIMIT")
        get_settings.cache_clear()
        reset_limiters()


# ---------------------------------------------------------------- flows: create / get / list


def test_create_answers_201_draft_v1_with_all_fields(api, owner) -> None:
    t = _create(api, owner, description="AP down")
    assert set(t) >= TREE_FIELDS
    assert (t["status"], t["version"], t["is_public"], t["is_active"]) == ("draft", 1, False, True)
    assert t["author_id"] == owner["user"]["id"]
    assert t["account_id"] == owner["account"]["id"]
    assert t["parent_tree_id"] is None
    assert t["fork_reason"] is None
    assert t["parent_updated_at"] is None
    assert t["has_parent_updates"] is False
    assert t["validation"] == []
    assert t["tree_structure"] == troubleshooting()
    assert t["description"] == "AP down"
    _uuid_str(t["id"])
    _iso_tz(t["updated_at"])
    got = api.get(f"{B}/trees/{t['id']}", headers=owner["headers"])
    assert got.status_code == 200
    assert set(got.json()) >= TREE_FIELDS
    assert got.json()["tree_structure"] == troubleshooting()
    pub = _create(api, owner, name="Public one", is_public=True)
    assert pub["is_public"] is True
    assert pub["status"] == "draft"


def test_create_each_type(api, owner) -> None:
    for tree_type in ("troubleshooting", "procedural", "maintenance"):
        structure = troubleshooting() if tree_type == "troubleshooting" else procedure()
        t = _create(api, owner, name=f"T {tree_type}", tree_type=tree_type, tree_structure=structure)
        assert t["tree_type"] == tree_type
        assert t["validation"] == []


def test_create_draft_with_problems_is_allowed_and_lists_validation(api, owner) -> None:
    s = troubleshooting()
    s["nodes"][1]["next"] = "missing_node"
    t = _create(api, owner, tree_structure=s)
    assert t["status"] == "draft"
    assert t["validation"]
    assert all({"node_id", "message"} <= set(p) for p in t["validation"])
    assert any(p["node_id"] == "a_reboot" for p in t["validation"])


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": "x"},
        {"name": "x", "tree_type": "bogus", "tree_structure": {"nodes": []}},
        {"name": "", "tree_type": "troubleshooting", "tree_structure": troubleshooting()},
        {"name": "   ", "tree_type": "troubleshooting", "tree_structure": troubleshooting()},
        {"name": 5, "tree_type": "troubleshooting", "tree_structure": troubleshooting()},
        {"name": None, "tree_type": "troubleshooting", "tree_structure": troubleshooting()},
        {"name": "x" * 201, "tree_type": "troubleshooting", "tree_structure": troubleshooting()},
        {"name": "x" * 1_000_000, "tree_type": "troubleshooting", "tree_structure": troubleshooting()},
        {"name": "x", "tree_type": 3, "tree_structure": troubleshooting()},
        {"name": "x", "tree_type": "troubleshooting", "tree_structure": "a string"},
        {"name": "x", "tree_type": "troubleshooting", "tree_structure": [1, 2]},
        {"name": "x", "tree_type": "troubleshooting", "tree_structure": {"nodes": 5}},
        {"name": "x", "tree_type": "troubleshooting", "tree_structure": {"nodes": [5, "a"]}},
        {"name": "x", "tree_type": "troubleshooting", "tree_structure": {"nodes": [{"id": 5, "options": "x"}]}},
        {"name": "x", "tree_type": "procedural", "tree_structure": {"nodes": []}},
        {"name": "x", "tree_type": "procedural", "tree_structure": {"steps": {"a": 1}}},
        {
            "name": "x",
            "tree_type": "procedural",
            "tree_structure": {"steps": [{"id": "a", "library_visibility": "private"}]},
        },
        {"name": "x", "tree_type": "troubleshooting", "tree_structure": troubleshooting(), "is_public": "perhaps"},
        {"name": "x", "tree_type": "troubleshooting", "tree_structure": troubleshooting(), "description": ["no"]},
        {"name": "x", "tree_type": "troubleshooting", "tree_structure": troubleshooting(), "description": "d" * 30_000},
        [],
        "x",
        5,
        None,
    ],
)
def test_create_bad_bodies_are_4xx_and_save_nothing(api, owner, body) -> None:
    resp = api.post(f"{B}/trees", headers=owner["headers"], json=body)
    _is_error(resp, 400, 422)
    assert api.get(f"{B}/trees", headers=owner["headers"]).json()["total"] == 0


@pytest.mark.parametrize(
    "structure",
    [
        {"start_node_id": "a\u0000", "nodes": [{"id": "a\u0000", "type": "solution", "title": "nul \u0000 inside"}]},
        {"nodes": [{"id": "a", "type": "solution", "title": "emoji \U0001f600 and \u202e rtl"}], "start_node_id": "a"},
    ],
)
def test_create_with_odd_unicode_never_500(api, owner, structure) -> None:
    resp = api.post(
        f"{B}/trees",
        headers=owner["headers"],
        json={"name": "odd", "tree_type": "troubleshooting", "tree_structure": structure},
    )
    assert resp.status_code in (201, 400, 422), resp.text
    if resp.status_code == 201:
        got = api.get(f"{B}/trees/{resp.json()['id']}", headers=owner["headers"]).json()
        assert got["tree_structure"] == structure
    else:
        assert api.get(f"{B}/trees", headers=owner["headers"]).json()["total"] == 0


def test_nul_characters_are_422_on_every_database(api, owner) -> None:
    # PostgreSQL cannot store NUL in text/JSONB: refuse it everywhere (same answer on SQLite).
    h = owner["headers"]
    resp = api.post(
        f"{B}/trees",
        headers=h,
        json={"name": "bad\u0000name", "tree_type": "troubleshooting", "tree_structure": troubleshooting()},
    )
    _is_error(resp, 422)
    t = _create(api, owner)
    s = troubleshooting()
    s["nodes"][0]["help_text"] = "x\u0000y"
    _is_error(api.put(f"{B}/trees/{t['id']}", headers=h, json={"tree_structure": s}), 422)
    _is_error(api.get(f"{B}/trees", headers=h, params={"q": "a\u0000"}), 422)
    assert api.get(f"{B}/trees", headers=h).json()["total"] == 1
    assert api.get(f"{B}/trees/{t['id']}", headers=h).json()["version"] == 1
    # an escaped backslash followed by "u0000" is ordinary text, not a NUL
    s["nodes"][0]["help_text"] = "literal \\u0000 text"
    ok = api.put(f"{B}/trees/{t['id']}", headers=h, json={"tree_structure": s})
    assert ok.status_code == 200
    assert ok.json()["tree_structure"]["nodes"][0]["help_text"] == "literal \\u0000 text"


@pytest.mark.parametrize("depth", [200, 900, 5000, 100_000])
def test_deeply_nested_structure_never_500(api, owner, depth) -> None:
    import json

    nodes = json.dumps(troubleshooting()["nodes"][1:])
    raw = (
        '{"name": "deep", "tree_type": "troubleshooting", "tree_structure": {"start_node_id": "q_power", "nodes": ['
        '{"id": "q_power", "type": "decision", "title": "Q", "options": [{"label": "Yes", "next": "a_reboot"}, '
        '{"label": "No", "next": "s_power"}], "extra": '
        + '{"x": ' * depth
        + "1"
        + "}" * depth
        + "}, "
        + nodes[1:]
        + "}}"
    )
    resp = api.post(
        f"{B}/trees", headers={**owner["headers"], "content-type": "application/json"}, content=raw.encode()
    )
    assert resp.status_code in (201, 400, 413, 422), resp.text
    if resp.status_code == 201:
        got = api.get(f"{B}/trees/{resp.json()['id']}", headers=owner["headers"])
        assert got.status_code == 200
    else:
        assert "detail" in resp.json()


def test_huge_structure_is_refused_or_saved_never_500(api, owner) -> None:
    steps = [{"id": f"s{i}", "type": "procedure_step", "title": f"Step {i}"} for i in range(6000)]
    steps.append({"id": "end", "type": "procedure_end", "title": "Done"})
    resp = api.post(
        f"{B}/trees",
        headers=owner["headers"],
        json={"name": "huge", "tree_type": "procedural", "tree_structure": {"steps": steps}},
    )
    _is_error(resp, 400, 413, 422)


def test_create_without_structure_gives_skeleton(api, owner) -> None:
    resp = api.post(f"{B}/trees", headers=owner["headers"], json={"name": "Empty", "tree_type": "procedural"})
    assert resp.status_code == 201
    assert isinstance(resp.json()["tree_structure"], dict)


def test_engineer_cannot_create_or_edit(api, owner) -> None:
    eng = add_member(api, owner, role="engineer")
    _is_error(
        api.post(
            f"{B}/trees",
            headers=eng["headers"],
            json={"name": "x", "tree_type": "troubleshooting", "tree_structure": troubleshooting()},
        ),
        403,
    )
    t = _create(api, owner)
    assert api.get(f"{B}/trees/{t['id']}", headers=eng["headers"]).status_code == 200
    _is_error(api.put(f"{B}/trees/{t['id']}", headers=eng["headers"], json={"name": "Hacked"}), 403)
    _is_error(api.put(f"{B}/trees/{t['id']}", headers=eng["headers"], json={"status": "published"}), 403)
    _is_error(api.delete(f"{B}/trees/{t['id']}", headers=eng["headers"]), 403)
    _is_error(api.post(f"{B}/trees/{t['id']}/versions/1/restore", headers=eng["headers"]), 403)
    _is_error(api.post(f"{B}/trees/{t['id']}/fork", headers=eng["headers"], json={}), 403)
    export = api.get(f"{B}/trees/{t['id']}/export", headers=eng["headers"])
    assert export.status_code == 200
    _is_error(api.post(f"{B}/trees/import", headers=eng["headers"], json=export.json()), 403)
    got = api.get(f"{B}/trees/{t['id']}", headers=owner["headers"]).json()
    assert got["name"] == t["name"]
    assert got["status"] == "draft"


def test_author_of_same_account_can_edit(api, owner) -> None:
    author = add_member(api, owner, role="author")
    t = _create(api, owner)
    resp = api.put(f"{B}/trees/{t['id']}", headers=author["headers"], json={"name": "Renamed by author"})
    assert resp.status_code == 200
    assert resp.json()["name"] == "Renamed by author"


def test_list_filters_pagination_and_shape(api, owner) -> None:
    h = owner["headers"]
    a = _create(api, owner, name="Wi-Fi AP offline")
    _create(api, owner, name="Switch upgrade", tree_type="procedural", tree_structure=procedure())
    _create(api, owner, name="Monthly patching", tree_type="maintenance", tree_structure=procedure())
    _publish(api, owner, a["id"])
    lst = api.get(f"{B}/trees", headers=h).json()
    assert set(lst) >= {"items", "total"}
    assert lst["total"] == 3
    assert len(lst["items"]) == 3
    assert all(TREE_FIELDS - {"tree_structure", "validation"} <= set(i) for i in lst["items"])
    assert [i["name"] for i in api.get(f"{B}/trees", headers=h, params={"q": "SWITCH"}).json()["items"]] == [
        "Switch upgrade"
    ]
    assert api.get(f"{B}/trees", headers=h, params={"q": "nothing-like-this"}).json() == {"items": [], "total": 0}
    assert api.get(f"{B}/trees", headers=h, params={"tree_type": "maintenance"}).json()["total"] == 1
    pub = api.get(f"{B}/trees", headers=h, params={"status": "published"}).json()
    assert pub["total"] == 1
    assert pub["items"][0]["id"] == a["id"]
    assert api.get(f"{B}/trees", headers=h, params={"status": "draft"}).json()["total"] == 2
    assert (
        api.get(f"{B}/trees", headers=h, params={"status": "draft", "tree_type": "procedural", "q": "switch"}).json()[
            "total"
        ]
        == 1
    )
    seen = []
    for offset in range(3):
        pg = api.get(f"{B}/trees", headers=h, params={"limit": 1, "offset": offset}).json()
        assert pg["total"] == 3
        assert len(pg["items"]) == 1
        seen.append(pg["items"][0]["id"])
    assert len(set(seen)) == 3
    assert api.get(f"{B}/trees", headers=h, params={"offset": 10}).json() == {"items": [], "total": 3}


@pytest.mark.parametrize(
    "params",
    [
        {"limit": -1},
        {"limit": "abc"},
        {"offset": -5},
        {"offset": "x"},
        {"limit": 10**20},
        {"offset": 10**20},
        {"limit": 0},
        {"status": "archived"},
        {"tree_type": "bogus"},
        {"q": "a" * 5000},
        {"q": "\u0000"},
        {"q": "%"},
        {"q": "_"},
        {"q": "\\"},
        {"offset": 2**63},
    ],
)
def test_list_bad_queries_never_500(api, owner, params) -> None:
    _create(api, owner, name="100% done_ok")
    resp = api.get(f"{B}/trees", headers=owner["headers"], params=params)
    assert resp.status_code in (200, 400, 422), (resp.status_code, resp.text)
    if resp.status_code == 200:
        assert {"items", "total"} <= set(resp.json())
    else:
        assert "detail" in resp.json()


def test_huge_offset_is_an_empty_page_and_limit_is_bounded(api, owner) -> None:
    for i in range(3):
        _create(api, owner, name=f"T{i}")
    resp = api.get(f"{B}/trees", headers=owner["headers"], params={"offset": 10**20})
    assert resp.status_code == 200
    assert resp.json() == {"items": [], "total": 3}
    assert len(api.get(f"{B}/trees", headers=owner["headers"], params={"limit": 500}).json()["items"]) == 3
    # A page size above the maximum (500) is refused rather than silently capped (shared Paging rule).
    _is_error(api.get(f"{B}/trees", headers=owner["headers"], params={"limit": 100_000}), 422)


def test_q_wildcards_are_literal(api, owner) -> None:
    _create(api, owner, name="100% done")
    _create(api, owner, name="Plain")
    assert api.get(f"{B}/trees", headers=owner["headers"], params={"q": "%"}).json()["total"] == 1
    assert api.get(f"{B}/trees", headers=owner["headers"], params={"q": "_"}).json()["total"] == 0


def test_list_requires_login(api) -> None:
    _is_error(api.get(f"{B}/trees"), 401)
    _is_error(api.post(f"{B}/trees", json={"name": "x", "tree_type": "troubleshooting"}), 401)


# ---------------------------------------------------------------- visibility / cross-account


def test_other_accounts_trees_are_404_everywhere(api, owner, other) -> None:
    t = _create(api, owner)
    tid = t["id"]
    h = other["headers"]
    _is_error(api.get(f"{B}/trees/{tid}", headers=h), 404)
    _is_error(api.put(f"{B}/trees/{tid}", headers=h, json={"name": "mine now"}), 404)
    _is_error(api.delete(f"{B}/trees/{tid}", headers=h), 404)
    _is_error(api.post(f"{B}/trees/{tid}/fork", headers=h, json={}), 404)
    _is_error(api.get(f"{B}/trees/{tid}/forks", headers=h), 404)
    _is_error(api.get(f"{B}/trees/{tid}/versions", headers=h), 404)
    _is_error(api.get(f"{B}/trees/{tid}/versions/1", headers=h), 404)
    _is_error(api.post(f"{B}/trees/{tid}/versions/1/restore", headers=h), 404)
    _is_error(api.get(f"{B}/trees/{tid}/export", headers=h), 404)
    assert api.get(f"{B}/trees", headers=h).json()["total"] == 0
    # public but still draft: not visible either
    api.put(f"{B}/trees/{tid}", headers=owner["headers"], json={"is_public": True})
    _is_error(api.get(f"{B}/trees/{tid}", headers=h), 404)
    # private and published: not visible
    p = _create(api, owner, name="Private pub")
    _publish(api, owner, p["id"])
    _is_error(api.get(f"{B}/trees/{p['id']}", headers=h), 404)
    assert api.get(f"{B}/trees/{tid}", headers=owner["headers"]).json()["name"] == t["name"]


def test_public_published_tree_visible_but_not_editable_elsewhere(api, owner, other) -> None:
    t = _create(api, owner, is_public=True)
    _publish(api, owner, t["id"])
    h = other["headers"]
    assert api.get(f"{B}/trees/{t['id']}", headers=h).status_code == 200
    assert t["id"] in [i["id"] for i in api.get(f"{B}/trees", headers=h).json()["items"]]
    assert api.get(f"{B}/trees/{t['id']}/export", headers=h).status_code == 200
    assert api.get(f"{B}/trees/{t['id']}/versions", headers=h).status_code == 200
    # Over-reading guard: the flow is visible here, so "as if it did not exist" cannot apply literally; we answer
    # 403 (like the step library does for visible-but-not-yours); 404 would also honour the contract.
    _is_error(api.put(f"{B}/trees/{t['id']}", headers=h, json={"name": "x"}), 403, 404)
    _is_error(api.delete(f"{B}/trees/{t['id']}", headers=h), 403, 404)
    _is_error(api.post(f"{B}/trees/{t['id']}/versions/1/restore", headers=h), 403, 404)


@pytest.mark.parametrize("bad", BAD_IDS)
def test_unknown_ids_are_404_or_422_never_500(api, owner, bad) -> None:
    h = owner["headers"]
    calls = [
        ("get", f"{B}/trees/{bad}", None),
        ("put", f"{B}/trees/{bad}", {"name": "x"}),
        ("delete", f"{B}/trees/{bad}", None),
        ("post", f"{B}/trees/{bad}/fork", {}),
        ("get", f"{B}/trees/{bad}/forks", None),
        ("get", f"{B}/trees/{bad}/versions", None),
        ("get", f"{B}/trees/{bad}/versions/1", None),
        ("post", f"{B}/trees/{bad}/versions/1/restore", None),
        ("get", f"{B}/trees/{bad}/export", None),
    ]
    for method, path, body in calls:
        resp = (
            api.request(method, path, headers=h, json=body)
            if body is not None
            else api.request(method, path, headers=h)
        )
        _is_error(resp, 404, 422)


@pytest.mark.parametrize("version", ["0", "-1", "abc", "1.5", "99999999999999999999999", str(2**31), str(2**63)])
def test_bad_version_numbers_never_500(api, owner, version) -> None:
    t = _create(api, owner)
    _is_error(api.get(f"{B}/trees/{t['id']}/versions/{version}", headers=owner["headers"]), 404, 422)
    _is_error(api.post(f"{B}/trees/{t['id']}/versions/{version}/restore", headers=owner["headers"]), 404, 422)
    assert api.get(f"{B}/trees/{t['id']}", headers=owner["headers"]).json()["version"] == 1


# ---------------------------------------------------------------- PUT (partial) and publish


def test_partial_put_changes_only_given_fields(api, owner) -> None:
    h = owner["headers"]
    t = _create(api, owner, description="desc")
    r = api.put(f"{B}/trees/{t['id']}", headers=h, json={"name": "New name"})
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "New name"
    assert body["description"] == "desc"
    assert body["tree_structure"] == troubleshooting()
    assert body["version"] == 1
    assert body["status"] == "draft"
    r = api.put(f"{B}/trees/{t['id']}", headers=h, json={"description": "other"})
    assert r.json()["description"] == "other"
    assert r.json()["name"] == "New name"
    r = api.put(f"{B}/trees/{t['id']}", headers=h, json={"is_public": True})
    assert r.json()["is_public"] is True
    assert r.json()["name"] == "New name"
    r = api.put(f"{B}/trees/{t['id']}", headers=h, json={})
    assert r.status_code == 200
    assert r.json()["name"] == "New name"
    assert r.json()["version"] == 1
    s = troubleshooting()
    s["nodes"][3]["title"] = "AP online again"
    r = api.put(f"{B}/trees/{t['id']}", headers=h, json={"tree_structure": s})
    assert r.json()["version"] == 2
    assert r.json()["tree_structure"] == s
    got = api.get(f"{B}/trees/{t['id']}", headers=h).json()
    assert (got["name"], got["description"], got["is_public"], got["version"]) == ("New name", "other", True, 2)


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": 5},
        {"name": "x" * 201},
        {"status": "archived"},
        {"status": 1},
        {"is_public": "yes please"},
        {"is_active": [1]},
        {"tree_structure": "x"},
        {"tree_structure": {"nodes": "x"}},
        {"tree_structure": {"steps": []}},
        {"description": {"a": 1}},
        [],
        "x",
        None,
        {"name": "ok name", "status": "archived"},
    ],
)
def test_put_bad_bodies_are_422_and_change_nothing(api, owner, body) -> None:
    t = _create(api, owner)
    resp = api.put(f"{B}/trees/{t['id']}", headers=owner["headers"], json=body)
    _is_error(resp, 400, 422)
    got = api.get(f"{B}/trees/{t['id']}", headers=owner["headers"]).json()
    assert (got["name"], got["status"], got["version"], got["tree_structure"]) == (
        t["name"],
        "draft",
        1,
        troubleshooting(),
    )


def test_put_malformed_json(api, owner) -> None:
    t = _create(api, owner)
    resp = api.put(
        f"{B}/trees/{t['id']}", headers={**owner["headers"], "content-type": "application/json"}, content=b'{"name": '
    )
    _is_error(resp, 400, 422)


def test_publish_with_problems_is_422_and_keeps_draft(api, owner) -> None:
    s = troubleshooting()
    s["nodes"][0]["options"][0]["next"] = "nowhere"
    t = _create(api, owner, tree_structure=s)
    resp = api.put(f"{B}/trees/{t['id']}", headers=owner["headers"], json={"status": "published"})
    _is_error(resp, 422)
    got = api.get(f"{B}/trees/{t['id']}", headers=owner["headers"]).json()
    assert got["status"] == "draft"
    assert got["validation"]
    # a procedure without end step
    p = _create(
        api,
        owner,
        name="P",
        tree_type="procedural",
        tree_structure={"steps": [{"id": "a", "type": "procedure_step", "title": "A"}]},
    )
    _is_error(api.put(f"{B}/trees/{p['id']}", headers=owner["headers"], json={"status": "published"}), 422)
    # publishing together with a broken structure: 422 and nothing saved
    good = _create(api, owner, name="Good")
    resp = api.put(
        f"{B}/trees/{good['id']}",
        headers=owner["headers"],
        json={"status": "published", "tree_structure": s, "name": "Renamed"},
    )
    _is_error(resp, 422)
    got = api.get(f"{B}/trees/{good['id']}", headers=owner["headers"]).json()
    assert (got["status"], got["name"], got["version"], got["tree_structure"]) == (
        "draft",
        "Good",
        1,
        troubleshooting(),
    )
    assert _steps(api, owner, source_tree_id=good["id"])["total"] == 0


def test_editing_published_tree_into_problems_is_422(api, owner) -> None:
    t = _create(api, owner)
    _publish(api, owner, t["id"])
    s = troubleshooting()
    s["nodes"][1]["next"] = "gone"
    _is_error(api.put(f"{B}/trees/{t['id']}", headers=owner["headers"], json={"tree_structure": s}), 422)
    got = api.get(f"{B}/trees/{t['id']}", headers=owner["headers"]).json()
    assert got["status"] == "published"
    assert got["tree_structure"] == troubleshooting()
    assert got["version"] == 1


def test_publish_and_unpublish(api, owner) -> None:
    t = _create(api, owner)
    pub = _publish(api, owner, t["id"])
    assert pub["status"] == "published"
    assert pub["version"] == 1
    _iso_tz(pub["updated_at"])
    back = api.put(f"{B}/trees/{t['id']}", headers=owner["headers"], json={"status": "draft"})
    assert back.status_code == 200
    assert back.json()["status"] == "draft"


# ---------------------------------------------------------------- library sync through /steps


def test_first_publish_syncs_library_procedure(api, owner) -> None:
    t = _create(api, owner, name="Switch upgrade", tree_type="procedural", tree_structure=procedure())
    assert _steps(api, owner, source_tree_id=t["id"])["total"] == 0
    _publish(api, owner, t["id"])
    steps = _steps(api, owner, source_tree_id=t["id"], limit=50)
    by_node = {s["source_node_id"]: s for s in steps["items"]}
    assert set(by_node) == {"st_backup", "st_notify", "st_upgrade"}
    assert steps["total"] == 3
    backup = by_node["st_backup"]
    assert backup["is_flow_synced"] is True
    assert backup["step_type"] == "action"
    assert backup["visibility"] == "public"
    assert backup["source_tree_id"] == t["id"]
    assert backup["source_tree_name"] == "Switch upgrade"
    assert backup["created_by"] == owner["user"]["id"]
    assert backup["is_active"] is True
    assert backup["content"]["instructions"] == "Copy the running config"
    assert backup["content"]["help_text"] == "Backup file exists"
    assert backup["content"]["group_label"] == "Preparation"
    assert backup["content"]["commands"][0]["command"] == "copy run tftp:"
    _iso_tz(backup["last_synced_at"])
    assert by_node["st_notify"]["visibility"] == "team"
    assert by_node["st_notify"]["content"]["instructions"] == "Notify the customer"
    up = by_node["st_upgrade"]
    assert up["content"]["group_label"] == "Upgrade"
    assert up["content"]["commands"] == [
        {"label": "Install", "command": "install add file flash:img.bin", "command_type": "cisco"}
    ]
    assert _steps(api, owner, is_flow_synced="true", source_tree_id=t["id"])["total"] == 3


def test_publish_syncs_troubleshooting_actions_and_solutions(api, owner, other) -> None:
    t = _create(api, owner, is_public=True)
    _publish(api, owner, t["id"])
    items = _steps(api, owner, source_tree_id=t["id"])["items"]
    kinds = {s["source_node_id"]: s["step_type"] for s in items}
    assert kinds == {"a_reboot": "action", "s_power": "solution", "s_done": "solution"}
    assert all(s["visibility"] == "public" for s in items)
    # public entries are visible to another account
    assert _steps(api, other, source_tree_id=t["id"])["total"] == 3


def test_sync_upsert_keeps_ids_and_tracks_changes(api, owner, other) -> None:
    h = owner["headers"]
    t = _create(api, owner, name="Switch upgrade", tree_type="procedural", tree_structure=procedure())
    _publish(api, owner, t["id"])
    before = {s["source_node_id"]: s["id"] for s in _steps(api, owner, source_tree_id=t["id"])["items"]}
    s = procedure()
    s["steps"][2]["title"] = "Call the customer"
    assert api.put(f"{B}/trees/{t['id']}", headers=h, json={"tree_structure": s}).status_code == 200
    after = {x["source_node_id"]: x for x in _steps(api, owner, source_tree_id=t["id"])["items"]}
    assert {k: v["id"] for k, v in after.items()} == before
    assert after["st_notify"]["title"] == "Call the customer"
    # visibility change of a published flow re-syncs
    api.put(f"{B}/trees/{t['id']}", headers=h, json={"is_public": True})
    vis = {x["source_node_id"]: x["visibility"] for x in _steps(api, owner, source_tree_id=t["id"])["items"]}
    assert vis == {"st_backup": "public", "st_notify": "public", "st_upgrade": "public"}
    assert _steps(api, other, source_tree_id=t["id"])["total"] == 3


def test_unpublish_keeps_entries_deactivate_and_delete_soft_delete(api, owner) -> None:
    h = owner["headers"]
    t = _create(api, owner, name="Switch upgrade", tree_type="procedural", tree_structure=procedure())
    _publish(api, owner, t["id"])
    ids = [s["id"] for s in _steps(api, owner, source_tree_id=t["id"])["items"]]
    api.put(f"{B}/trees/{t['id']}", headers=h, json={"status": "draft"})
    assert _steps(api, owner, source_tree_id=t["id"])["total"] == 3
    r = api.put(f"{B}/trees/{t['id']}", headers=h, json={"is_active": False})
    assert r.status_code == 200
    assert r.json()["is_active"] is False
    assert _steps(api, owner, source_tree_id=t["id"])["total"] == 0
    one = api.get(f"{B}/steps/{ids[0]}", headers=h)
    assert one.status_code == 200
    assert one.json()["is_active"] is False
    # inactive flows leave the default list
    assert t["id"] not in [i["id"] for i in api.get(f"{B}/trees", headers=h).json()["items"]]
    # re-activating and re-publishing brings them back (same ids)
    api.put(f"{B}/trees/{t['id']}", headers=h, json={"is_active": True})
    _publish(api, owner, t["id"])
    assert sorted(s["id"] for s in _steps(api, owner, source_tree_id=t["id"])["items"]) == sorted(ids)
    assert api.delete(f"{B}/trees/{t['id']}", headers=h).status_code == 204
    got = api.get(f"{B}/steps/{ids[0]}", headers=h)
    assert got.status_code == 200
    assert got.json()["is_active"] is False
    assert _steps(api, owner, is_flow_synced="true")["total"] == 0


def test_publish_on_active_false_in_same_put_does_not_sync(api, owner) -> None:
    t = _create(api, owner, name="P", tree_type="procedural", tree_structure=procedure())
    r = api.put(f"{B}/trees/{t['id']}", headers=owner["headers"], json={"status": "published", "is_active": False})
    assert r.status_code == 200
    assert _steps(api, owner, source_tree_id=t["id"])["total"] == 0


# ---------------------------------------------------------------- delete


def test_delete_204_then_404_and_forks_orphaned(api, owner) -> None:
    h = owner["headers"]
    parent = _create(api, owner)
    fork = api.post(f"{B}/trees/{parent['id']}/fork", headers=h, json={"fork_reason": "ours"}).json()
    resp = api.delete(f"{B}/trees/{parent['id']}", headers=h)
    assert resp.status_code == 204
    assert resp.content == b""
    _is_error(api.get(f"{B}/trees/{parent['id']}", headers=h), 404)
    _is_error(api.delete(f"{B}/trees/{parent['id']}", headers=h), 404)
    got = api.get(f"{B}/trees/{fork['id']}", headers=h)
    assert got.status_code == 200
    assert got.json()["parent_tree_id"] is None
    assert got.json()["has_parent_updates"] is False
    assert got.json()["tree_structure"] == troubleshooting()


def test_delete_with_versions_and_sessions_state(api, owner) -> None:
    h = owner["headers"]
    t = _create(api, owner)
    s = troubleshooting()
    s["nodes"][2]["title"] = "Other"
    api.put(f"{B}/trees/{t['id']}", headers=h, json={"tree_structure": s})
    _publish(api, owner, t["id"])
    sess = api.post(f"{B}/sessions", headers=h, json={"tree_id": t["id"]})
    assert sess.status_code == 201, sess.text
    resp = api.delete(f"{B}/trees/{t['id']}", headers=h)
    assert resp.status_code == 204, resp.text
    _is_error(api.get(f"{B}/trees/{t['id']}", headers=h), 404)
    assert api.get(f"{B}/trees/{t['id']}/versions", headers=h).status_code == 404
    # the session that ran the deleted flow still reads without a server error
    assert api.get(f"{B}/sessions/{sess.json()['id']}", headers=h).status_code in (200, 404)
    assert api.get(f"{B}/sessions", headers=h).status_code == 200


# ---------------------------------------------------------------- forks (seed Part 1)


def test_fork_answers_201_with_parent_fields(api, owner, other) -> None:
    parent = _create(api, owner, is_public=True, description="orig")
    parent = _publish(api, owner, parent["id"])
    resp = api.post(
        f"{B}/trees/{parent['id']}/fork", headers=other["headers"], json={"fork_reason": "Added Meraki steps"}
    )
    assert resp.status_code == 201, resp.text
    fork = resp.json()
    assert set(fork) >= TREE_FIELDS
    assert fork["parent_tree_id"] == parent["id"]
    assert fork["fork_reason"] == "Added Meraki steps"
    assert (
        fork["parent_updated_at"] == parent["updated_at"]
    )  # the snapshot, to the microsecond and in the same notation
    assert fork["has_parent_updates"] is False
    assert fork["author_id"] == other["user"]["id"]
    assert fork["account_id"] == other["account"]["id"]
    assert (fork["is_public"], fork["version"], fork["status"]) == (False, 1, "draft")
    assert fork["tree_structure"] == parent["tree_structure"]
    assert fork["tree_type"] == parent["tree_type"]
    assert fork["id"] != parent["id"]
    # the fork is editable by its account; editing bumps its version, parent unaffected
    s = troubleshooting()
    s["nodes"][2]["title"] = "Check the injector"
    r = api.put(f"{B}/trees/{fork['id']}", headers=other["headers"], json={"tree_structure": s})
    assert r.json()["version"] == 2
    assert r.json()["parent_updated_at"] == fork["parent_updated_at"]
    p = api.get(f"{B}/trees/{parent['id']}", headers=owner["headers"]).json()
    assert p["tree_structure"] == troubleshooting()
    assert p["version"] == 1
    assert p["updated_at"] == parent["updated_at"]
    # the parent's account cannot see the private fork
    _is_error(api.get(f"{B}/trees/{fork['id']}", headers=owner["headers"]), 404)


def test_fork_without_body_and_bad_reasons(api, owner) -> None:
    t = _create(api, owner)
    h = owner["headers"]
    r = api.post(f"{B}/trees/{t['id']}/fork", headers=h)
    assert r.status_code == 201
    assert r.json()["fork_reason"] is None
    assert r.json()["parent_tree_id"] == t["id"]
    assert api.post(f"{B}/trees/{t['id']}/fork", headers=h, json={}).status_code == 201
    assert api.post(f"{B}/trees/{t['id']}/fork", headers=h, json={"fork_reason": None}).status_code == 201
    ok = api.post(f"{B}/trees/{t['id']}/fork", headers=h, json={"fork_reason": "r" * 255})
    assert ok.status_code == 201
    assert ok.json()["fork_reason"] == "r" * 255
    total_before = api.get(f"{B}/trees", headers=h).json()["total"]
    for body in ({"fork_reason": "r" * 256}, {"fork_reason": 5}, {"fork_reason": ["a"]}, [], "x"):
        _is_error(api.post(f"{B}/trees/{t['id']}/fork", headers=h, json=body), 400, 422)
    _is_error(
        api.post(f"{B}/trees/{t['id']}/fork", headers={**h, "content-type": "application/json"}, content=b"{bad"),
        400,
        422,
    )
    assert api.get(f"{B}/trees", headers=h).json()["total"] == total_before


def test_has_parent_updates_after_parent_changes(api, owner) -> None:
    h = owner["headers"]
    parent = _create(api, owner)
    fork = api.post(f"{B}/trees/{parent['id']}/fork", headers=h, json={}).json()
    assert fork["has_parent_updates"] is False
    s = troubleshooting()
    s["nodes"][2]["title"] = "Restore PoE power at the switch"
    assert api.put(f"{B}/trees/{parent['id']}", headers=h, json={"tree_structure": s}).status_code == 200
    got = api.get(f"{B}/trees/{fork['id']}", headers=h).json()
    assert got["has_parent_updates"] is True
    assert got["parent_updated_at"] == fork["parent_updated_at"]
    listed = [i for i in api.get(f"{B}/trees/{parent['id']}/forks", headers=h).json()["items"] if i["id"] == fork["id"]]
    assert listed
    assert listed[0]["has_parent_updates"] is True
    # a fresh fork of the updated parent is up to date
    fork2 = api.post(f"{B}/trees/{parent['id']}/fork", headers=h, json={}).json()
    assert fork2["has_parent_updates"] is False


def test_has_parent_updates_after_parent_rename(api, owner) -> None:
    h = owner["headers"]
    parent = _create(api, owner)
    fork = api.post(f"{B}/trees/{parent['id']}/fork", headers=h, json={}).json()
    api.put(f"{B}/trees/{parent['id']}", headers=h, json={"name": "Renamed parent"})
    assert api.get(f"{B}/trees/{fork['id']}", headers=h).json()["has_parent_updates"] is True


def test_forks_list_paginated_and_visible_only(api, owner, other) -> None:
    parent = _create(api, owner, is_public=True)
    _publish(api, owner, parent["id"])
    mine = [
        api.post(f"{B}/trees/{parent['id']}/fork", headers=owner["headers"], json={"fork_reason": f"r{i}"}).json()
        for i in range(3)
    ]
    theirs = api.post(f"{B}/trees/{parent['id']}/fork", headers=other["headers"], json={}).json()
    resp = api.get(f"{B}/trees/{parent['id']}/forks", headers=owner["headers"])
    assert resp.status_code == 200
    body = resp.json()
    assert body["total"] == 3
    assert {i["id"] for i in body["items"]} == {m["id"] for m in mine}
    assert all(i["parent_tree_id"] == parent["id"] for i in body["items"])
    pg = api.get(f"{B}/trees/{parent['id']}/forks", headers=owner["headers"], params={"limit": 2, "offset": 2}).json()
    assert pg["total"] == 3
    assert len(pg["items"]) == 1
    other_view = api.get(f"{B}/trees/{parent['id']}/forks", headers=other["headers"]).json()
    assert other_view["total"] == 1
    assert other_view["items"][0]["id"] == theirs["id"]
    empty = api.get(f"{B}/trees/{mine[0]['id']}/forks", headers=owner["headers"]).json()
    assert empty == {"items": [], "total": 0}


def test_fork_of_a_fork(api, owner) -> None:
    h = owner["headers"]
    a = _create(api, owner)
    b = api.post(f"{B}/trees/{a['id']}/fork", headers=h, json={}).json()
    c = api.post(f"{B}/trees/{b['id']}/fork", headers=h, json={}).json()
    assert c["parent_tree_id"] == b["id"]
    assert api.delete(f"{B}/trees/{b['id']}", headers=h).status_code == 204
    assert api.get(f"{B}/trees/{c['id']}", headers=h).json()["parent_tree_id"] is None


# ---------------------------------------------------------------- versions


def test_versions_list_detail_restore(api, owner) -> None:
    h = owner["headers"]
    t = _create(api, owner)
    s2 = troubleshooting()
    s2["nodes"][2]["title"] = "v2 title"
    s3 = troubleshooting()
    s3["nodes"][2]["title"] = "v3 title"
    assert api.put(f"{B}/trees/{t['id']}", headers=h, json={"tree_structure": s2}).json()["version"] == 2
    assert api.put(f"{B}/trees/{t['id']}", headers=h, json={"tree_structure": s3}).json()["version"] == 3
    resp = api.get(f"{B}/trees/{t['id']}/versions", headers=h)
    assert resp.status_code == 200
    lst = resp.json()
    assert lst["total"] == 3
    assert sorted(v["version"] for v in lst["items"]) == [1, 2, 3]
    for v in lst["items"]:
        assert {"version", "created_at", "created_by"} <= set(v)
        _iso_tz(v["created_at"])
        assert v["created_by"] == owner["user"]["id"]
    pg = api.get(f"{B}/trees/{t['id']}/versions", headers=h, params={"limit": 1, "offset": 0}).json()
    assert pg["total"] == 3
    assert len(pg["items"]) == 1
    d1 = api.get(f"{B}/trees/{t['id']}/versions/1", headers=h)
    assert d1.status_code == 200
    assert d1.json()["version"] == 1
    assert d1.json()["tree_structure"] == troubleshooting()
    assert api.get(f"{B}/trees/{t['id']}/versions/2", headers=h).json()["tree_structure"] == s2
    _is_error(api.get(f"{B}/trees/{t['id']}/versions/4", headers=h), 404)
    r = api.post(f"{B}/trees/{t['id']}/versions/1/restore", headers=h)
    assert r.status_code == 200
    assert r.json()["version"] == 4
    assert r.json()["tree_structure"] == troubleshooting()
    assert set(r.json()) >= TREE_FIELDS
    assert api.get(f"{B}/trees/{t['id']}/versions", headers=h).json()["total"] == 4
    assert api.get(f"{B}/trees/{t['id']}/versions/4", headers=h).json()["tree_structure"] == troubleshooting()
    # restoring the current version still makes a new one (n+1)
    r = api.post(f"{B}/trees/{t['id']}/versions/4/restore", headers=h)
    assert r.status_code == 200
    assert r.json()["version"] == 5
    _is_error(api.post(f"{B}/trees/{t['id']}/versions/99/restore", headers=h), 404)
    assert api.get(f"{B}/trees/{t['id']}", headers=h).json()["version"] == 5


def test_restore_on_published_tree_resyncs_library(api, owner) -> None:
    h = owner["headers"]
    t = _create(api, owner, name="Switch upgrade", tree_type="procedural", tree_structure=procedure())
    _publish(api, owner, t["id"])
    s = procedure()
    s["steps"][2]["title"] = "Call the customer"
    api.put(f"{B}/trees/{t['id']}", headers=h, json={"tree_structure": s})
    r = api.post(f"{B}/trees/{t['id']}/versions/1/restore", headers=h)
    assert r.status_code == 200
    assert r.json()["version"] == 3
    assert r.json()["status"] == "published"
    titles = {x["source_node_id"]: x["title"] for x in _steps(api, owner, source_tree_id=t["id"])["items"]}
    assert titles["st_notify"] == "Notify the customer"


def test_restore_of_broken_version_on_published_tree_is_422(api, owner) -> None:
    h = owner["headers"]
    s = troubleshooting()
    s["nodes"][1]["next"] = "nowhere"
    t = _create(api, owner, tree_structure=s)
    api.put(f"{B}/trees/{t['id']}", headers=h, json={"tree_structure": troubleshooting()})
    _publish(api, owner, t["id"])
    _is_error(api.post(f"{B}/trees/{t['id']}/versions/1/restore", headers=h), 422)
    got = api.get(f"{B}/trees/{t['id']}", headers=h).json()
    assert got["version"] == 2
    assert got["tree_structure"] == troubleshooting()


# ---------------------------------------------------------------- export / import


def test_export_format(api, owner) -> None:
    t = _create(
        api, owner, name="Switch upgrade", description="How to", tree_type="procedural", tree_structure=procedure()
    )
    resp = api.get(f"{B}/trees/{t['id']}/export", headers=owner["headers"])
    assert resp.status_code == 200
    doc = resp.json()
    assert doc["format"] == "resolutionflow.tree"
    assert doc["format_version"] == 1
    assert doc["tree"] == {
        **doc["tree"],
        "name": "Switch upgrade",
        "description": "How to",
        "tree_type": "procedural",
        "tree_structure": procedure(),
    }


def test_import_round_trip_201_draft_owned_by_importer(api, owner, other) -> None:
    t = _create(
        api,
        owner,
        name="Switch upgrade",
        description="How to",
        tree_type="procedural",
        tree_structure=procedure(),
        is_public=True,
    )
    _publish(api, owner, t["id"])
    doc = api.get(f"{B}/trees/{t['id']}/export", headers=other["headers"]).json()
    resp = api.post(f"{B}/trees/import", headers=other["headers"], json=doc)
    assert resp.status_code == 201, resp.text
    imp = resp.json()
    assert set(imp) >= TREE_FIELDS
    assert imp["id"] != t["id"]
    assert imp["status"] == "draft"
    assert imp["version"] == 1
    assert imp["author_id"] == other["user"]["id"]
    assert imp["account_id"] == other["account"]["id"]
    assert imp["name"] == "Switch upgrade"
    assert imp["description"] == "How to"
    assert imp["tree_type"] == "procedural"
    assert imp["tree_structure"] == procedure()
    assert imp["is_public"] is False
    assert api.get(f"{B}/trees/{imp['id']}", headers=other["headers"]).status_code == 200
    _is_error(api.get(f"{B}/trees/{imp['id']}", headers=owner["headers"]), 404)
    # import into own account works too
    assert api.post(f"{B}/trees/import", headers=owner["headers"], json=doc).status_code == 201


def test_import_ignores_foreign_fields_in_document(api, owner, other) -> None:
    doc = {
        "format": "resolutionflow.tree",
        "format_version": 1,
        "tree": {
            "name": "X",
            "description": None,
            "tree_type": "troubleshooting",
            "tree_structure": troubleshooting(),
            "status": "published",
            "is_public": True,
            "id": str(uuid.uuid4()),
            "account_id": other["account"]["id"],
            "author_id": other["user"]["id"],
            "version": 9,
        },
    }
    resp = api.post(f"{B}/trees/import", headers=owner["headers"], json=doc)
    assert resp.status_code == 201, resp.text
    imp = resp.json()
    assert (imp["status"], imp["version"], imp["account_id"], imp["author_id"]) == (
        "draft",
        1,
        owner["account"]["id"],
        owner["user"]["id"],
    )


@pytest.mark.parametrize(
    "doc",
    [
        {},
        [],
        "text",
        5,
        None,
        {"format": "other", "format_version": 1, "tree": {}},
        {
            "format": "resolutionflow.tree",
            "format_version": 2,
            "tree": {"name": "x", "tree_type": "troubleshooting", "tree_structure": {"nodes": []}},
        },
        {"format": "resolutionflow.tree", "format_version": "1", "tree": {}},
        {"format": "resolutionflow.tree", "format_version": 1},
        {"format": "resolutionflow.tree", "format_version": 1, "tree": "x"},
        {"format": "resolutionflow.tree", "format_version": 1, "tree": {}},
        {
            "format": "resolutionflow.tree",
            "format_version": 1,
            "tree": {"name": "x", "tree_type": "bogus", "tree_structure": {}},
        },
        {
            "format": "resolutionflow.tree",
            "format_version": 1,
            "tree": {"name": "", "tree_type": "troubleshooting", "tree_structure": troubleshooting()},
        },
        {
            "format": "resolutionflow.tree",
            "format_version": 1,
            "tree": {"name": ["x"], "tree_type": "troubleshooting", "tree_structure": troubleshooting()},
        },
        {
            "format": "resolutionflow.tree",
            "format_version": 1,
            "tree": {"name": "x", "tree_type": "troubleshooting", "tree_structure": "s"},
        },
        {
            "format": "resolutionflow.tree",
            "format_version": 1,
            "tree": {"name": "x", "tree_type": "troubleshooting", "tree_structure": {"nodes": "s"}},
        },
        {
            "format": "resolutionflow.tree",
            "format_version": 1,
            "tree": {"name": "x", "tree_type": ["troubleshooting"], "tree_structure": {"nodes": []}},
        },
        {
            "format": "resolutionflow.tree",
            "format_version": 1,
            "tree": {"name": "x", "tree_type": {"a": 1}, "tree_structure": {"nodes": []}},
        },
        {
            "format": "resolutionflow.tree",
            "format_version": 1,
            "tree": {
                "name": "x",
                "tree_type": "troubleshooting",
                "tree_structure": troubleshooting(),
                "description": 5,
            },
        },
        {
            "format": "resolutionflow.tree",
            "format_version": 1,
            "tree": {"name": "x\u0000", "tree_type": "troubleshooting", "tree_structure": troubleshooting()},
        },
        {"format": ["resolutionflow.tree"], "format_version": 1, "tree": {}},
        {"format": "resolutionflow.tree", "format_version": [1], "tree": {}},
    ],
)
def test_import_bad_documents_are_4xx_and_save_nothing(api, owner, doc) -> None:
    resp = api.post(f"{B}/trees/import", headers=owner["headers"], json=doc)
    assert resp.status_code in (400, 422, 201), resp.text
    if resp.status_code != 201:  # a NUL in the name may be cleaned instead of refused
        assert "detail" in resp.json()
        assert api.get(f"{B}/trees", headers=owner["headers"]).json()["total"] == 0


def test_import_requires_login(api) -> None:
    _is_error(
        api.post(f"{B}/trees/import", json={"format": "resolutionflow.tree", "format_version": 1, "tree": {}}), 401
    )


# ---------------------------------------------------------------- times and ids everywhere


def test_times_have_time_zones_and_ids_are_uuids(api, owner) -> None:
    t = _create(api, owner)
    f = api.post(f"{B}/trees/{t['id']}/fork", headers=owner["headers"], json={}).json()
    for tree in (t, f, api.get(f"{B}/trees/{f['id']}", headers=owner["headers"]).json()):
        for key in ("updated_at", "created_at", "parent_updated_at", "published_at"):
            if tree.get(key):
                _iso_tz(tree[key])
        for key in ("id", "author_id", "account_id", "parent_tree_id"):
            if tree.get(key):
                _uuid_str(tree[key])
    for item in api.get(f"{B}/trees", headers=owner["headers"]).json()["items"]:
        _iso_tz(item["updated_at"])
    me = api.get(f"{B}/auth/me", headers=owner["headers"]).json()
    _uuid_str(me["id"])
    _uuid_str(me["account_id"])
    if me.get("created_at"):
        _iso_tz(me["created_at"])


# ---------------------------------------------------------------- more sync rules and generic errors


def test_sync_visibility_rules(api, owner, other) -> None:
    h = owner["headers"]
    # a private flow gives team entries (override 'public' still wins for its step)
    t = _create(api, owner, name="Switch upgrade", tree_type="procedural", tree_structure=procedure())
    _publish(api, owner, t["id"])
    vis = {s["source_node_id"]: s["visibility"] for s in _steps(api, owner, source_tree_id=t["id"])["items"]}
    assert vis == {"st_backup": "public", "st_notify": "team", "st_upgrade": "team"}
    theirs = _steps(api, other, source_tree_id=t["id"])
    assert [s["source_node_id"] for s in theirs["items"]] == ["st_backup"]
    assert theirs["total"] == 1
    # a 'team' override on a public flow keeps that step team-only
    s = procedure()
    s["steps"][2]["library_visibility"] = "team"
    api.put(f"{B}/trees/{t['id']}", headers=h, json={"tree_structure": s, "is_public": True})
    vis = {x["source_node_id"]: x["visibility"] for x in _steps(api, owner, source_tree_id=t["id"])["items"]}
    assert vis == {"st_backup": "public", "st_notify": "team", "st_upgrade": "public"}
    # the source flow's name is current after a rename
    api.put(f"{B}/trees/{t['id']}", headers=h, json={"name": "Core switch upgrade"})
    assert {x["source_tree_name"] for x in _steps(api, owner, source_tree_id=t["id"])["items"]} == {
        "Core switch upgrade"
    }


def test_synced_entries_are_read_only_and_forkable(api, owner) -> None:
    t = _create(api, owner, name="Switch upgrade", tree_type="procedural", tree_structure=procedure())
    _publish(api, owner, t["id"])
    step = _steps(api, owner, source_tree_id=t["id"])["items"][0]
    _is_error(api.put(f"{B}/steps/{step['id']}", headers=owner["headers"], json={"title": "x"}), 409)
    _is_error(api.delete(f"{B}/steps/{step['id']}", headers=owner["headers"]), 409)
    fork = api.post(f"{B}/steps/{step['id']}/fork", headers=owner["headers"])
    assert fork.status_code == 201
    assert fork.json()["is_flow_synced"] is False
    assert fork.json()["source_tree_id"] is None
    # deleting the flow leaves the personal copy alone
    assert api.delete(f"{B}/trees/{t['id']}", headers=owner["headers"]).status_code == 204
    assert api.get(f"{B}/steps/{fork.json()['id']}", headers=owner["headers"]).json()["is_active"] is True


def test_unknown_routes_and_methods_answer_json(api, owner) -> None:
    _is_error(api.get(f"{B}/no-such-thing", headers=owner["headers"]), 404)
    _is_error(api.patch(f"{B}/trees", headers=owner["headers"], json={}), 405)
    _is_error(api.delete(f"{B}/auth/me", headers=owner["headers"]), 405)


def test_wrong_content_type_is_4xx(api, owner) -> None:
    resp = api.post(f"{B}/trees", headers={**owner["headers"], "content-type": "text/plain"}, content=b"name=x")
    _is_error(resp, 400, 415, 422)
    resp = api.post(f"{B}/trees", headers=owner["headers"])
    _is_error(resp, 400, 422)


# ---------------------------------------------------------------- a small deterministic fuzz


def _junk(rng, depth: int = 0):
    kinds = ["str", "int", "float", "bool", "none", "list", "dict", "bigint", "unicode"]
    kind = rng.choice(kinds if depth < 3 else kinds[:5])
    if kind == "str":
        return rng.choice(["", " ", "x", "troubleshooting", "procedural", "published", "draft", "a@b.co", "x" * 300])
    if kind == "int":
        return rng.randint(-5, 5)
    if kind == "bigint":
        return 10**30
    if kind == "float":
        return rng.choice([1.5, -0.0, 1e308])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "none":
        return None
    if kind == "unicode":
        return "\U0001f600\u202e\ufeff"
    if kind == "list":
        return [_junk(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {
        rng.choice(["name", "nodes", "steps", "id", "type", "title", "next", "options", "x"]): _junk(rng, depth + 1)
        for _ in range(rng.randint(0, 4))
    }


def test_fuzz_bodies_never_500(api, owner) -> None:
    import random

    rng = random.Random(20261122)
    h = owner["headers"]
    t = _create(api, owner)
    fields = {
        ("post", f"{B}/trees"): ["name", "description", "tree_type", "tree_structure", "is_public"],
        ("put", f"{B}/trees/{t['id']}"): ["name", "description", "tree_structure", "status", "is_public", "is_active"],
        ("post", f"{B}/trees/{t['id']}/fork"): ["fork_reason"],
        ("post", f"{B}/trees/import"): ["format", "format_version", "tree"],
        ("post", f"{B}/account/members"): ["email", "name", "role", "password"],
        ("put", f"{B}/account/settings"): ["allow_public_shares"],
        ("post", f"{B}/auth/password"): ["current_password", "new_password"],
        ("post", f"{B}/auth/login"): ["email", "password"],
    }
    for (method, path), names in fields.items():
        for _ in range(25):
            body = {n: _junk(rng) for n in names if rng.random() < 0.8}
            if rng.random() < 0.1:
                body = _junk(rng)
            resp = api.request(method, path, headers=h, json=body)
            assert resp.status_code < 500, (method, path, body, resp.text)
            assert "detail" in resp.json() or resp.status_code in (200, 201), resp.text
    # the flow is still readable and well-formed after all that
    got = api.get(f"{B}/trees/{t['id']}", headers=h)
    assert got.status_code == 200
    assert set(got.json()) >= TREE_FIELDS
