"""Black-box contract tests: API.md "Share links" table + general rules, seed Part 3 "Session Sharing Tests", DESIGN.md
§6."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from resolutionflow_app.settings import get_settings
from tests.factories import add_member, register
from tests.tree_helpers import procedure, troubleshooting

B = "/api/v1"
CREATE_FIELDS = {"id", "share_token", "url", "visibility", "share_name", "expires_at", "is_active"}
MINE_FIELDS = {
    "id",
    "session_id",
    "share_name",
    "visibility",
    "expires_at",
    "is_active",
    "view_count",
    "last_viewed_at",
}
VIEW_FIELDS = {"viewed_at", "viewer_id", "viewer_ip", "viewer_user_agent"}
POLICY_MSG = "Your organization does not allow public session sharing. Use account-only visibility."
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
# The seed's access-flow messages, word for word.
SEED_404, SEED_410, SEED_401, SEED_403 = (
    "Share not found or has been revoked",
    "Share link has expired",
    "This share requires authentication",
    "You don't have access to this session",
)


# ---------------------------------------------------------------- helpers


def _iso_tz(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None, value
    return parsed


def _err(resp, *codes: int) -> dict:
    assert resp.status_code in codes, (resp.status_code, resp.text)
    body = resp.json()
    assert "detail" in body, body
    return body


def _share_headers(resp) -> None:
    assert resp.headers.get("referrer-policy") == "no-referrer", (resp.status_code, dict(resp.headers))
    assert "noindex" in resp.headers.get("x-robots-tag", ""), (resp.status_code, dict(resp.headers))


def _flow(api, who, *, tree_type: str = "troubleshooting") -> dict:
    body = {
        "name": f"Flow {uuid.uuid4().hex[:6]}",
        "tree_type": tree_type,
        "tree_structure": troubleshooting() if tree_type == "troubleshooting" else procedure(),
    }
    resp = api.post(f"{B}/trees", headers=who["headers"], json=body)
    assert resp.status_code == 201, resp.text
    resp = api.put(f"{B}/trees/{resp.json()['id']}", headers=who["headers"], json={"status": "published"})
    assert resp.status_code == 200, resp.text
    return resp.json()


def _start(api, who, tree_id: str) -> dict:
    resp = api.post(f"{B}/sessions", headers=who["headers"], json={"tree_id": tree_id})
    assert resp.status_code == 201, resp.text
    return resp.json()


def _create(api, who, session_id: str, **body) -> dict:
    body.setdefault("visibility", "public")
    resp = api.post(f"{B}/sessions/{session_id}/shares", headers=who["headers"], json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def _open(api, token: str, who: dict | None = None, **kw):
    resp = api.get(f"{B}/shares/by-token/{token}", headers=(who or {}).get("headers", {}) | kw.pop("headers", {}), **kw)
    _share_headers(resp)
    return resp


def _mine(api, who, **params) -> dict:
    resp = api.get(f"{B}/shares/my-shares", headers=who["headers"], params=params)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) >= {"items", "total"}
    assert isinstance(body["total"], int)
    return body


def _views(api, who, share_id: str, **params) -> dict:
    resp = api.get(f"{B}/shares/{share_id}/views", headers=who["headers"], params=params)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) >= {"items", "total"}
    assert isinstance(body["total"], int)
    return body


def _expire(engine: sa.Engine, share_id: str) -> None:
    """Move a link's expiry into the past (the API refuses past expiries, so only the DB can)."""
    past = datetime.now(UTC) - timedelta(minutes=5)
    with Session(engine) as s:
        s.execute(
            sa.text("UPDATE session_shares SET expires_at = :t WHERE id = :i"),
            {
                "t": past.replace(tzinfo=None) if engine.dialect.name == "sqlite" else past,
                "i": uuid.UUID(share_id).hex if engine.dialect.name == "sqlite" else share_id,
            },
        )
        s.commit()


@pytest.fixture
def w(api):
    """Acme (owner starts a session; an engineer member), and Globex (an outsider)."""
    owner = register(api, account_name="Acme", name="Erin Engineer")
    member = add_member(api, owner, role="engineer")
    outsider = register(api, account_name="Globex")
    tree = _flow(api, owner)
    sess = _start(api, owner, tree["id"])
    return {"owner": owner, "member": member, "outsider": outsider, "tree": tree, "sid": sess["id"]}


# ---------------------------------------------------------------- POST /sessions/{id}/shares


def test_create_answers_201_with_contract_fields(api, w):
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    body = _create(
        api,
        w["owner"],
        w["sid"],
        visibility="account",
        share_name="Customer escalation #1234",
        expires_at=expires.isoformat(),
    )
    assert set(body) >= CREATE_FIELDS
    uuid.UUID(body["id"])
    assert body["visibility"] == "account"
    assert body["share_name"] == "Customer escalation #1234"
    assert body["is_active"] is True
    assert _iso_tz(body["expires_at"]) == expires
    tok = body["share_token"]
    assert isinstance(tok, str)
    assert len(tok) >= 43
    assert all(c.isalnum() or c in "-_" for c in tok)
    assert tok in body["url"]
    assert body["url"].endswith(f"/share/{tok}")


def test_create_minimal_body_and_offset_expiry(api, w):
    body = _create(api, w["owner"], w["sid"])
    assert body["visibility"] == "public"
    assert body["share_name"] is None
    assert body["expires_at"] is None
    assert body["is_active"] is True
    # Another time zone: echoed as the same instant, with a time zone.
    local = datetime.now(timezone(timedelta(hours=-5))).replace(microsecond=0) + timedelta(days=1)
    body = _create(api, w["owner"], w["sid"], expires_at=local.isoformat())
    assert _iso_tz(body["expires_at"]) == local
    body = _create(
        api, w["owner"], w["sid"], expires_at=(datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    _iso_tz(body["expires_at"])
    body = _create(api, w["owner"], w["sid"], share_name="n" * 100)
    assert body["share_name"] == "n" * 100


def test_each_create_makes_a_new_unique_token(api, w):
    tokens = {_create(api, w["owner"], w["sid"])["share_token"] for _ in range(5)}
    assert len(tokens) == 5


@pytest.mark.parametrize(
    "bad",
    [
        {"visibility": "team"},
        {"visibility": "PUBLIC"},
        {"visibility": None},
        {"visibility": 1},
        {"visibility": ""},
        {"visibility": "public", "share_name": "x" * 101},
        {"visibility": "public", "share_name": 42},
        {"visibility": "public", "expires_at": "soon"},
        {"visibility": "public", "expires_at": "2000-01-01T00:00:00+00:00"},  # past
        {"visibility": "public", "expires_at": "2099-01-01T00:00:00"},  # naive: times carry a zone
        {"visibility": "public", "expires_at": "2099-01-01"},  # a date, no time / zone
        {"visibility": "account", "expires_at": "2099-13-45T00:00:00Z"},
    ],
)
def test_create_bad_input_is_422_and_saves_nothing(api, w, bad):
    resp = api.post(f"{B}/sessions/{w['sid']}/shares", headers=w["owner"]["headers"], json=bad)
    _err(resp, 422)
    assert _mine(api, w["owner"])["total"] == 0


def test_create_extreme_expiry_dates_never_500(api, w):
    for value in (
        "9999-12-31T23:59:59-05:00",
        "9999-12-31T23:59:59+00:00",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59.999999+14:00",
    ):
        resp = api.post(
            f"{B}/sessions/{w['sid']}/shares",
            headers=w["owner"]["headers"],
            json={"visibility": "public", "expires_at": value},
        )
        assert resp.status_code in (201, 422), (value, resp.status_code, resp.text)
        assert "detail" in resp.json() or resp.status_code == 201


def test_create_bad_json_bodies_never_500(api, w):
    url = f"{B}/sessions/{w['sid']}/shares"
    h = w["owner"]["headers"] | {"content-type": "application/json"}
    for raw in (b"", b"{", b"[]", b"null", b'"public"', b'{"visibility": "public", "share_name": "a\\u0000b"}'):
        resp = api.post(url, headers=h, content=raw)
        _err(resp, 400, 422)
    assert _mine(api, w["owner"])["total"] == 0


def test_create_permissions(api, w):
    url = f"{B}/sessions/{w['sid']}/shares"
    _err(api.post(url, json={"visibility": "public"}), 401)
    # A member of the account who did not start the session: 403.
    _err(api.post(url, json={"visibility": "account"}, headers=w["member"]["headers"]), 403)
    # Another account: 404, as if it did not exist.
    other = _err(api.post(url, json={"visibility": "public"}, headers=w["outsider"]["headers"]), 404)
    unknown = _err(
        api.post(
            f"{B}/sessions/{uuid.uuid4()}/shares", json={"visibility": "public"}, headers=w["outsider"]["headers"]
        ),
        404,
    )
    assert other == unknown
    for bad in ("not-a-uuid", "123", "x" * 300):
        _err(
            api.post(f"{B}/sessions/{bad}/shares", json={"visibility": "public"}, headers=w["owner"]["headers"]),
            404,
            422,
        )
    assert _mine(api, w["member"])["total"] == 0
    assert _mine(api, w["outsider"])["total"] == 0


def test_account_owner_who_did_not_start_the_session_cannot_share(api, w):
    sess = _start(api, w["member"], w["tree"]["id"])
    _err(
        api.post(f"{B}/sessions/{sess['id']}/shares", json={"visibility": "account"}, headers=w["owner"]["headers"]),
        403,
    )
    assert _create(api, w["member"], sess["id"], visibility="account")["visibility"] == "account"


def test_policy_forbids_public_with_the_seed_message_and_grandfathers(api, w):
    old = _create(api, w["owner"], w["sid"])
    resp = api.put(f"{B}/account/settings", headers=w["owner"]["headers"], json={"allow_public_shares": False})
    assert resp.status_code == 200, resp.text
    for who, sid in ((w["owner"], w["sid"]), (w["member"], _start(api, w["member"], w["tree"]["id"])["id"])):
        resp = api.post(f"{B}/sessions/{sid}/shares", headers=who["headers"], json={"visibility": "public"})
        assert resp.status_code == 403
        assert resp.json()["detail"] == POLICY_MSG
        assert _create(api, who, sid, visibility="account")["visibility"] == "account"
    # Existing public link keeps working, anonymously.
    assert _open(api, old["share_token"]).status_code == 200
    # Outsider's account still allows public links.
    other_sess = _start(api, w["outsider"], _flow(api, w["outsider"])["id"])
    assert _create(api, w["outsider"], other_sess["id"])["visibility"] == "public"
    # Switched back on: public links can be created again.
    assert (
        api.put(f"{B}/account/settings", headers=w["owner"]["headers"], json={"allow_public_shares": True}).status_code
        == 200
    )
    assert _create(api, w["owner"], w["sid"])["visibility"] == "public"


def test_policy_checked_even_when_other_input_is_fine_but_bad_input_still_422(api, w):
    api.put(f"{B}/account/settings", headers=w["owner"]["headers"], json={"allow_public_shares": False})
    _err(api.post(f"{B}/sessions/{w['sid']}/shares", headers=w["owner"]["headers"], json={"visibility": "team"}), 422)


# ---------------------------------------------------------------- GET /shares/by-token/{token}


def test_public_link_opens_anonymously_with_the_read_only_session(api, w):
    created = _create(api, w["owner"], w["sid"], share_name="Training link")
    resp = _open(api, created["share_token"])
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) >= {"share", "session"}
    assert set(body["share"]) >= {"share_name", "visibility", "expires_at"}
    assert body["share"] == body["share"] | {"share_name": "Training link", "visibility": "public", "expires_at": None}
    s = body["session"]
    assert set(s) >= SESSION_FIELDS, SESSION_FIELDS - set(s)
    assert s["tree_id"] == w["tree"]["id"]
    assert s["user_id"] == w["owner"]["user"]["id"]
    assert s["id"] == w["sid"]
    assert s["status"] == "in_progress"
    assert isinstance(s["history"], list)
    assert isinstance(s["custom_steps"], list)
    # Read-only: the token never comes back, nor the account.
    assert created["share_token"] not in resp.text
    assert "account_id" not in s


def test_by_token_share_expires_at_has_a_time_zone(api, w):
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    created = _create(api, w["owner"], w["sid"], expires_at=expires.isoformat())
    got = _open(api, created["share_token"]).json()
    assert _iso_tz(got["share"]["expires_at"]) == expires


def test_account_link_access_rules(api, w):
    created = _create(api, w["owner"], w["sid"], visibility="account")
    tok = created["share_token"]
    anon = _open(api, tok)
    _err(anon, 401)
    bad_bearer = _open(api, tok, headers={"Authorization": "Bearer not-a-real-token"})
    _err(bad_bearer, 401)
    outsider = _open(api, tok, w["outsider"])
    _err(outsider, 403)
    member = _open(api, tok, w["member"])
    assert member.status_code == 200
    assert member.json()["session"]["id"] == w["sid"]
    assert member.json()["share"]["visibility"] == "account"
    assert _open(api, tok, w["owner"]).status_code == 200


def test_public_link_opens_for_everyone(api, w):
    tok = _create(api, w["owner"], w["sid"])["share_token"]
    for who in (None, w["member"], w["outsider"], w["owner"]):
        assert _open(api, tok, who).status_code == 200
    assert _open(api, tok, headers={"Authorization": "Bearer garbage"}).status_code == 200


@pytest.mark.parametrize("visibility", ["public", "account"])
@pytest.mark.parametrize("viewer", ["anonymous", "member", "outsider"])
def test_matrix_revoked_expired_unknown(api, w, engine, visibility, viewer):
    who = None if viewer == "anonymous" else w[viewer]
    unknown = _open(api, "A" * 43, who)
    _err(unknown, 404)
    revoked = _create(api, w["owner"], w["sid"], visibility=visibility)
    assert api.delete(f"{B}/shares/{revoked['id']}", headers=w["owner"]["headers"]).status_code == 204
    r = _open(api, revoked["share_token"], who)
    assert r.status_code == 404
    assert r.json() == unknown.json()
    expired = _create(
        api, w["owner"], w["sid"], visibility=visibility, expires_at=(datetime.now(UTC) + timedelta(days=1)).isoformat()
    )
    _expire(engine, expired["id"])
    _err(_open(api, expired["share_token"], who), 410)
    # Revoked and expired: revoked wins (404 like unknown).
    assert api.delete(f"{B}/shares/{expired['id']}", headers=w["owner"]["headers"]).status_code == 204
    r = _open(api, expired["share_token"], who)
    assert r.status_code == 404
    assert r.json() == unknown.json()


def test_short_expiry_really_expires(api, w):
    import time

    created = _create(api, w["owner"], w["sid"], expires_at=(datetime.now(UTC) + timedelta(seconds=1.5)).isoformat())
    assert _open(api, created["share_token"]).status_code == 200
    time.sleep(2)
    _err(_open(api, created["share_token"]), 410)


def test_failed_lookups_do_not_count_as_views(api, w, engine):
    created = _create(api, w["owner"], w["sid"], visibility="account")
    _open(api, created["share_token"])
    _open(api, created["share_token"], w["outsider"])
    mine = _mine(api, w["owner"])["items"][0]
    assert mine["view_count"] == 0
    assert mine["last_viewed_at"] is None
    assert _views(api, w["owner"], created["id"])["total"] == 0


# ---------------------------------------------------------------- view logging


def test_views_are_logged_with_viewer_for_account_links(api, w):
    created = _create(api, w["owner"], w["sid"], visibility="account")
    for _ in range(2):
        assert (
            _open(api, created["share_token"], w["member"], headers={"User-Agent": "ContractBot/1.0"}).status_code
            == 200
        )
    item = next(i for i in _mine(api, w["owner"])["items"] if i["id"] == created["id"])
    assert item["view_count"] == 2
    _iso_tz(item["last_viewed_at"])
    views = _views(api, w["owner"], created["id"])
    assert views["total"] == 2
    assert len(views["items"]) == 2
    for v in views["items"]:
        assert set(v) >= VIEW_FIELDS
        assert v["viewer_id"] == w["member"]["user"]["id"]
        assert v["viewer_user_agent"] == "ContractBot/1.0"
        assert isinstance(v["viewer_ip"], str)
        assert v["viewer_ip"]
        _iso_tz(v["viewed_at"])
    page = _views(api, w["owner"], created["id"], limit=1, offset=1)
    assert page["total"] == 2
    assert len(page["items"]) == 1


def test_anonymous_public_views_have_no_viewer(api, w):
    created = _create(api, w["owner"], w["sid"])
    _open(api, created["share_token"])
    _open(api, created["share_token"], w["outsider"])
    views = _views(api, w["owner"], created["id"])["items"]
    assert sorted((v["viewer_id"] or "") for v in views) == sorted(["", w["outsider"]["user"]["id"]])


def test_views_endpoint_is_creator_only(api, w):
    created = _create(api, w["owner"], w["sid"])
    for who in (w["member"], w["outsider"]):
        _err(api.get(f"{B}/shares/{created['id']}/views", headers=who["headers"]), 404)
    _err(api.get(f"{B}/shares/{created['id']}/views"), 401)
    for bad in (str(uuid.uuid4()), "not-a-uuid"):
        _err(api.get(f"{B}/shares/{bad}/views", headers=w["owner"]["headers"]), 404, 422)


# ---------------------------------------------------------------- DELETE /shares/{id}


def test_delete_is_creator_only_then_link_is_404_like_unknown(api, w):
    created = _create(api, w["owner"], w["sid"])
    unknown = _open(api, "B" * 43).json()
    for who in (w["member"], w["outsider"]):
        _err(api.delete(f"{B}/shares/{created['id']}", headers=who["headers"]), 404)
    _err(api.delete(f"{B}/shares/{created['id']}"), 401)
    assert _open(api, created["share_token"]).status_code == 200
    resp = api.delete(f"{B}/shares/{created['id']}", headers=w["owner"]["headers"])
    assert resp.status_code == 204
    assert resp.content == b""
    gone = _open(api, created["share_token"])
    assert gone.status_code == 404
    assert gone.json() == unknown
    item = _mine(api, w["owner"])["items"][0]
    assert item["id"] == created["id"]
    assert item["is_active"] is False
    for bad in (str(uuid.uuid4()), "not-a-uuid"):
        _err(api.delete(f"{B}/shares/{bad}", headers=w["owner"]["headers"]), 404, 422)


def test_account_owner_cannot_delete_a_members_link(api, w):
    sess = _start(api, w["member"], w["tree"]["id"])
    created = _create(api, w["member"], sess["id"], visibility="account")
    _err(api.delete(f"{B}/shares/{created['id']}", headers=w["owner"]["headers"]), 404)
    assert _open(api, created["share_token"], w["owner"]).status_code == 200


# ---------------------------------------------------------------- GET /shares/my-shares


def test_my_shares_lists_only_mine_with_contract_fields(api, w):
    a = _create(
        api, w["owner"], w["sid"], share_name="A", expires_at=(datetime.now(UTC) + timedelta(days=3)).isoformat()
    )
    b = _create(api, w["owner"], w["sid"], visibility="account")
    msess = _start(api, w["member"], w["tree"]["id"])
    _create(api, w["member"], msess["id"])
    mine = _mine(api, w["owner"])
    assert mine["total"] == 2
    assert {i["id"] for i in mine["items"]} == {a["id"], b["id"]}
    for item in mine["items"]:
        assert set(item) >= MINE_FIELDS
        assert item["session_id"] == w["sid"]
        assert item["is_active"] is True
        assert item["view_count"] == 0
        assert item["last_viewed_at"] is None
        assert "share_token" not in item
    assert a["share_token"] not in str(mine)
    assert b["share_token"] not in str(mine)
    ia = next(i for i in mine["items"] if i["id"] == a["id"])
    assert ia["share_name"] == "A"
    assert ia["visibility"] == "public"
    assert _iso_tz(ia["expires_at"]) == _iso_tz(a["expires_at"])
    page = _mine(api, w["owner"], limit=1, offset=1)
    assert page["total"] == 2
    assert len(page["items"]) == 1
    assert _mine(api, w["outsider"])["total"] == 0
    _err(api.get(f"{B}/shares/my-shares"), 401)
    for bad in ({"limit": 0}, {"limit": -1}, {"offset": -1}, {"limit": "x"}):
        _err(api.get(f"{B}/shares/my-shares", headers=w["owner"]["headers"], params=bad), 422)


# ---------------------------------------------------------------- seed list extras


def test_multiple_links_per_session_are_independent(api, w):
    pub = _create(api, w["owner"], w["sid"], share_name="one")
    acc = _create(api, w["owner"], w["sid"], visibility="account", share_name="two")
    third = _create(api, w["owner"], w["sid"], share_name="three")
    assert len({pub["share_token"], acc["share_token"], third["share_token"]}) == 3
    assert api.delete(f"{B}/shares/{third['id']}", headers=w["owner"]["headers"]).status_code == 204
    assert _open(api, pub["share_token"]).status_code == 200
    assert _open(api, acc["share_token"], w["member"]).status_code == 200
    _open(api, acc["share_token"], w["member"])
    _err(_open(api, third["share_token"]), 404)
    counts = {i["id"]: i["view_count"] for i in _mine(api, w["owner"])["items"]}
    assert counts == {pub["id"]: 1, acc["id"]: 2, third["id"]: 0}


def test_deleting_the_session_takes_its_links(api, w):
    created = _create(api, w["owner"], w["sid"])
    other = _start(api, w["owner"], w["tree"]["id"])
    kept = _create(api, w["owner"], other["id"])
    _open(api, created["share_token"])
    assert api.delete(f"{B}/sessions/{w['sid']}", headers=w["owner"]["headers"]).status_code == 204
    gone = _open(api, created["share_token"])
    assert gone.status_code == 404
    assert gone.json() == _open(api, "C" * 43).json()
    assert [i["id"] for i in _mine(api, w["owner"])["items"]] == [kept["id"]]
    _err(api.get(f"{B}/shares/{created['id']}/views", headers=w["owner"]["headers"]), 404)
    _err(api.delete(f"{B}/shares/{created['id']}", headers=w["owner"]["headers"]), 404)
    assert _open(api, kept["share_token"]).status_code == 200


def test_tokens_are_only_stored_hashed(api, w, engine):
    tokens = [_create(api, w["owner"], w["sid"], visibility=v)["share_token"] for v in ("public", "account")]
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.text("SELECT * FROM session_shares"))]
    dump = repr(rows)
    assert len(rows) == 2
    for tok in tokens:
        assert tok not in dump
    stored = {r["share_token"] for r in rows}
    assert stored == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}


def test_completed_session_is_shown_read_only(api, w):
    h = w["owner"]["headers"]
    resp = api.post(
        f"{B}/sessions/{w['sid']}/advance",
        headers=h,
        json={"node_id": "q_power", "answer": "No", "notes": "PoE port dead"},
    )
    assert resp.status_code == 200, resp.text
    resp = api.post(
        f"{B}/sessions/{w['sid']}/complete", headers=h, json={"outcome": "resolved", "summary": "Moved to another port"}
    )
    assert resp.status_code == 200, resp.text
    tok = _create(api, w["owner"], w["sid"])["share_token"]
    s = _open(api, tok).json()["session"]
    assert s["status"] == "completed"
    assert s["outcome"] == "resolved"
    assert s["summary"] == "Moved to another port"
    assert any(h.get("notes") == "PoE port dead" and h.get("answer") == "No" for h in s["history"])


# ---------------------------------------------------------------- headers, odd tokens, rate limit

ODD_TOKENS = [
    "x" * 5000,
    "A" * 43 + "%00",
    "%00",
    "a%00b",
    "%2F%2F",
    "..%2F..%2Fetc%2Fpasswd",
    "a/b",
    "%E2%98%83" * 20,
    "\u00e9t\u00e9-\u2603-\U0001f600",
    "%FF%FE",
    "' OR 1=1 --",
    "%20",
    "null",
    "..",
]


def test_odd_tokens_never_500_and_look_like_unknown(api, w):
    unknown = _open(api, "D" * 43)
    for tok in ODD_TOKENS:
        resp = api.get(f"{B}/shares/by-token/{tok}")
        assert resp.status_code in (404, 422), (tok, resp.status_code, resp.text)
        assert "detail" in resp.json()
        # Slashes and dot segments make another path (httpx normalises `..`): a plain route 404 is fine there.
        if resp.status_code == 404 and "/" not in tok and "%2F" not in tok and tok != "..":
            assert resp.json() == unknown.json(), tok
            _share_headers(resp)
    # No token at all: the same 404 as an unknown link (not `GET /shares/{id}` answering 401).
    for path in ("/shares/by-token", "/shares/by-token/"):
        resp = api.get(f"{B}{path}")
        assert resp.status_code == 404, (path, resp.text)
        assert resp.json() == unknown.json(), (path, resp.text)
        _share_headers(resp)
    # A real token with a different case, or a suffix, is a different token.
    real = _create(api, w["owner"], w["sid"])["share_token"]
    for variant in (real.swapcase(), real + "x", real[:-1], real + "%00", real + "%20"):
        assert api.get(f"{B}/shares/by-token/{variant}").status_code in (404, 422), variant


def test_headers_on_every_by_token_status(api, w, engine):
    pub = _create(api, w["owner"], w["sid"])
    acc = _create(api, w["owner"], w["sid"], visibility="account")
    exp = _create(api, w["owner"], w["sid"], expires_at=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    _expire(engine, exp["id"])
    assert _open(api, pub["share_token"]).status_code == 200
    assert _open(api, "E" * 43).status_code == 404
    assert _open(api, exp["share_token"]).status_code == 410
    assert _open(api, acc["share_token"]).status_code == 401
    assert _open(api, acc["share_token"], w["outsider"]).status_code == 403
    _share_headers(api.get(f"{B}/shares/by-token/x", params={"q": "\x00"}))


@pytest.fixture
def low_share_limit(monkeypatch):
    monkeypatch.setenv("RF_SHARE_LOOKUP_RATE_LIMIT", "3/minute")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("RF_SHARE_LOOKUP_RATE_LIMIT")
    get_settings.cache_clear()


def test_lookup_rate_limit_429(api, w, low_share_limit):
    tok = _create(api, w["owner"], w["sid"])["share_token"]
    assert _open(api, tok).status_code == 200
    assert _open(api, "F" * 43).status_code == 404
    assert _open(api, tok).status_code == 200
    limited = _open(api, tok)
    _err(limited, 429)
    _err(_open(api, "G" * 43), 429)
    # Other endpoints are not affected.
    assert _mine(api, w["owner"])["total"] == 1
    # Rate-limited lookups are not views.
    assert _mine(api, w["owner"])["items"][0]["view_count"] == 2


def test_access_errors_use_the_seed_messages(api, w, engine):
    acc = _create(api, w["owner"], w["sid"], visibility="account")
    exp = _create(api, w["owner"], w["sid"], expires_at=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    _expire(engine, exp["id"])
    assert _open(api, "H" * 43).json() == {"detail": SEED_404}
    assert _open(api, exp["share_token"]).json() == {"detail": SEED_410}
    assert _open(api, acc["share_token"]).json() == {"detail": SEED_401}
    assert _open(api, acc["share_token"], w["outsider"]).json() == {"detail": SEED_403}


def test_login_redirect_token_is_redacted_from_logs(caplog):
    """An account-only link sends anonymous viewers to /login?next=%2Fshare%2F<token>: that form is redacted too."""
    import logging
    import secrets

    from resolutionflow_app.routes import login_url

    token = secrets.token_urlsafe(32)
    with caplog.at_level(logging.INFO):
        logging.getLogger("uvicorn.access").info(
            '%s - "GET %s HTTP/1.1" 200', "127.0.0.1", login_url(f"/share/{token}")
        )
    assert token not in caplog.text
    assert "%2Fshare%2F***" in caplog.text
