"""Share links over /api/v1: contract, the full access matrix, headers, rate limit, log redaction."""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from resolutionflow_app.db.models import Account
from resolutionflow_app.db.models.sessions import SessionShare, SessionShareView
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.settings import get_settings
from tests.factories import add_member, register
from tests.share_helpers import age_share, make_support_session

API = "/api/v1"


@pytest.fixture
def world(api, session):
    owner = register(api, account_name="Acme", name="Erin Engineer")
    member = add_member(api, owner, role="engineer")
    outsider = register(api, account_name="Globex")
    row = make_support_session(
        session, user_id=uuid.UUID(owner["user"]["id"]), account_id=uuid.UUID(owner["account"]["id"]), commit=True
    )
    return {"owner": owner, "member": member, "outsider": outsider, "session_id": str(row.id)}


def _create(api, world, **body):
    body.setdefault("visibility", "public")
    resp = api.post(f"{API}/sessions/{world['session_id']}/shares", json=body, headers=world["owner"]["headers"])
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_create_answers_contract(api, world, session):
    expires = (utcnow() + timedelta(days=7)).isoformat()
    body = _create(api, world, share_name="Customer escalation #1234", expires_at=expires)
    assert set(body) >= {"id", "share_token", "url", "visibility", "share_name", "expires_at", "is_active"}
    assert body["url"] == f"{get_settings().public_base_url.rstrip('/')}/share/{body['share_token']}"
    assert body["visibility"] == "public"
    assert body["share_name"] == "Customer escalation #1234"
    assert body["is_active"] is True
    assert len(body["share_token"]) >= 43
    stored = session.exec(select(SessionShare)).one()
    assert stored.share_token != body["share_token"]
    assert len(stored.share_token) == 64
    listed = api.get(f"{API}/shares/my-shares", headers=world["owner"]["headers"]).json()
    assert listed["total"] == 1
    assert "share_token" not in listed["items"][0]
    assert body["share_token"] not in str(listed)


def test_create_permissions_and_validation(api, world):
    url = f"{API}/sessions/{world['session_id']}/shares"
    assert api.post(url, json={"visibility": "public"}).status_code == 401
    assert api.post(url, json={"visibility": "public"}, headers=world["member"]["headers"]).status_code == 403
    assert api.post(url, json={"visibility": "public"}, headers=world["outsider"]["headers"]).status_code == 404
    assert (
        api.post(
            f"{API}/sessions/{uuid.uuid4()}/shares", json={"visibility": "public"}, headers=world["owner"]["headers"]
        ).status_code
        == 404
    )
    assert (
        api.post(
            f"{API}/sessions/not-a-uuid/shares", json={"visibility": "public"}, headers=world["owner"]["headers"]
        ).status_code
        == 404
    )
    h = world["owner"]["headers"]
    past = (utcnow() - timedelta(hours=1)).isoformat()
    for bad in (
        {"visibility": "public", "expires_at": past},
        {"visibility": "public", "share_name": "x" * 101},
        {"visibility": "team"},
        {"visibility": "public", "expires_at": "soon"},
    ):
        resp = api.post(url, json=bad, headers=h)
        assert resp.status_code == 422, (bad, resp.text)
        assert "detail" in resp.json()
    assert api.get(f"{API}/shares/my-shares", headers=h).json()["total"] == 0


def test_policy_forbids_public_but_grandfathers_existing(api, world):
    old = _create(api, world)
    resp = api.put(f"{API}/account/settings", json={"allow_public_shares": False}, headers=world["owner"]["headers"])
    assert resp.status_code == 200, resp.text
    resp = api.post(
        f"{API}/sessions/{world['session_id']}/shares", json={"visibility": "public"}, headers=world["owner"]["headers"]
    )
    assert resp.status_code == 403
    assert resp.json() == {
        "detail": "Your organization does not allow public session sharing. Use account-only visibility."
    }
    assert _create(api, world, visibility="account")["visibility"] == "account"
    assert api.get(f"{API}/shares/by-token/{old['share_token']}").status_code == 200


def test_owner_can_pause_existing_public_links_while_sharing_is_off(api, world):
    """Issue 9 item 7: an owner who chooses to pause them makes public links 404 at once (like revoked),
    and they open again when public sharing is turned back on; account-only links are untouched."""
    owner = world["owner"]["headers"]
    public, account_only = _create(api, world), _create(api, world, visibility="account")
    member = world["member"]["headers"]
    resp = api.put(
        f"{API}/account/settings",
        json={"allow_public_shares": False, "pause_public_links_when_off": True},
        headers=owner,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["pause_public_links_when_off"] is True
    paused = api.get(f"{API}/shares/by-token/{public['share_token']}")
    assert paused.status_code == 404
    assert paused.json() == {"detail": "Share not found or has been revoked"}
    assert api.get(f"{API}/shares/by-token/{account_only['share_token']}", headers=member).status_code == 200
    statuses = {s["id"]: s["status"] for s in api.get(f"{API}/shares/my-shares", headers=owner).json()["items"]}
    assert statuses[public["id"]] == "paused"
    assert statuses[account_only["id"]] == "active"
    # Back on: the same link opens again (it never expired and was never revoked).
    assert api.put(f"{API}/account/settings", json={"allow_public_shares": True}, headers=owner).status_code == 200
    assert api.get(f"{API}/shares/by-token/{public['share_token']}").status_code == 200
    # Choosing "keep working" while off restores the seed's grandfathering at once.
    api.put(f"{API}/account/settings", json={"allow_public_shares": False}, headers=owner)
    assert api.get(f"{API}/shares/by-token/{public['share_token']}").status_code == 404
    api.put(f"{API}/account/settings", json={"pause_public_links_when_off": False}, headers=owner)
    assert api.get(f"{API}/shares/by-token/{public['share_token']}").status_code == 200


def test_only_owners_choose_to_pause_public_links(api, world):
    resp = api.put(
        f"{API}/account/settings", json={"pause_public_links_when_off": True}, headers=world["member"]["headers"]
    )
    assert resp.status_code == 403


VIEWERS = ("anonymous", "member", "other")
STATES = ("active", "expired", "revoked", "unknown")


def _expected(visibility: str, viewer: str, state: str) -> int:
    if state in ("unknown", "revoked"):
        return 404
    if state == "expired":
        return 410
    if visibility == "public":
        return 200
    return {"anonymous": 401, "member": 200, "other": 403}[viewer]


@pytest.mark.parametrize("visibility", ("public", "account"))
@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("state", STATES)
def test_access_matrix(api, world, session, visibility, viewer, state):
    created = _create(api, world, visibility=visibility, expires_at=(utcnow() + timedelta(days=1)).isoformat())
    token = created["share_token"]
    if state == "expired":
        age_share(session, uuid.UUID(created["id"]), expired_days_ago=0.01)
    elif state == "revoked":
        assert api.delete(f"{API}/shares/{created['id']}", headers=world["owner"]["headers"]).status_code == 204
    elif state == "unknown":
        token = secrets.token_urlsafe(32)
    headers = {"anonymous": {}, "member": world["member"]["headers"], "other": world["outsider"]["headers"]}[viewer]
    resp = api.get(f"{API}/shares/by-token/{token}", headers={**headers, "User-Agent": "matrix-test"})
    expected = _expected(visibility, viewer, state)
    assert resp.status_code == expected, resp.text
    assert resp.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in resp.headers["x-robots-tag"]
    views = session.exec(select(SessionShareView)).all()
    if expected == 200:
        body = resp.json()
        assert body["share"]["visibility"] == visibility
        assert body["session"]["tree_name"] == "Wi-Fi AP offline"
        assert len(views) == 1
        assert views[0].viewer_user_agent == "matrix-test"
        assert (views[0].viewer_id is not None) == (viewer != "anonymous")
    else:
        assert views == []
        assert set(resp.json()) == {"detail"}
    if expected == 404:
        assert resp.json() == {"detail": "Share not found or has been revoked"}
    if expected == 410:
        assert resp.json() == {"detail": "Share link has expired"}
    if expected == 403:
        assert resp.json() == {"detail": "You don't have access to this session"}


def test_unknown_and_revoked_answer_identically(api, world):
    created = _create(api, world)
    api.delete(f"{API}/shares/{created['id']}", headers=world["owner"]["headers"])
    revoked = api.get(f"{API}/shares/by-token/{created['share_token']}")
    unknown = api.get(f"{API}/shares/by-token/{secrets.token_urlsafe(32)}")
    assert (revoked.status_code, revoked.content) == (unknown.status_code, unknown.content) == (404, unknown.content)
    skip = {"date", "content-length"}
    assert {k: v for k, v in revoked.headers.items() if k not in skip} == {
        k: v for k, v in unknown.headers.items() if k not in skip
    }


def test_revoke_is_creator_only_and_soft(api, world, session):
    created = _create(api, world)
    for who in ("member", "outsider"):
        assert api.delete(f"{API}/shares/{created['id']}", headers=world[who]["headers"]).status_code == 404
    assert api.delete(f"{API}/shares/{uuid.uuid4()}", headers=world["owner"]["headers"]).status_code == 404
    assert api.delete(f"{API}/shares/nonsense", headers=world["owner"]["headers"]).status_code == 404
    assert api.delete(f"{API}/shares/{created['id']}").status_code == 401
    assert api.get(f"{API}/shares/by-token/{created['share_token']}").status_code == 200
    resp = api.delete(f"{API}/shares/{created['id']}", headers=world["owner"]["headers"])
    assert resp.status_code == 204
    assert resp.content == b""
    row = session.exec(select(SessionShare)).one()
    assert row.is_active is False
    assert row.revoked_at is not None
    item = api.get(f"{API}/shares/my-shares", headers=world["owner"]["headers"]).json()["items"][0]
    assert item["status"] == "revoked"
    assert item["is_active"] is False


def test_my_shares_and_views(api, world):
    a = _create(api, world, share_name="A")
    b = _create(api, world, visibility="account", share_name="B")
    api.get(f"{API}/shares/by-token/{a['share_token']}", headers={"User-Agent": "ua-1"})
    api.get(f"{API}/shares/by-token/{a['share_token']}", headers={"User-Agent": "ua-2"})
    api.get(f"{API}/shares/by-token/{b['share_token']}", headers=world["member"]["headers"])
    mine = api.get(f"{API}/shares/my-shares", headers=world["owner"]["headers"]).json()
    assert mine["total"] == 2
    by_name = {i["share_name"]: i for i in mine["items"]}
    for key in (
        "id",
        "session_id",
        "share_name",
        "visibility",
        "expires_at",
        "is_active",
        "view_count",
        "last_viewed_at",
        "status",
    ):
        assert key in by_name["A"]
    assert by_name["A"]["view_count"] == 2
    assert by_name["B"]["view_count"] == 1
    assert by_name["A"]["last_viewed_at"]
    assert by_name["A"]["session_id"] == world["session_id"]
    paged = api.get(f"{API}/shares/my-shares?limit=1&offset=1", headers=world["owner"]["headers"]).json()
    assert paged["total"] == 2
    assert len(paged["items"]) == 1
    views = api.get(f"{API}/shares/{a['id']}/views", headers=world["owner"]["headers"]).json()
    assert views["total"] == 2
    assert {v["viewer_user_agent"] for v in views["items"]} == {"ua-1", "ua-2"}
    assert all({"viewed_at", "viewer_id", "viewer_ip", "viewer_user_agent"} <= set(v) for v in views["items"])
    bviews = api.get(f"{API}/shares/{b['id']}/views", headers=world["owner"]["headers"]).json()
    assert bviews["items"][0]["viewer_id"] == world["member"]["user"]["id"]
    assert api.get(f"{API}/shares/{a['id']}/views", headers=world["member"]["headers"]).status_code == 404
    assert api.get(f"{API}/shares/{a['id']}/views", headers=world["outsider"]["headers"]).status_code == 404
    assert api.get(f"{API}/shares/my-shares", headers=world["member"]["headers"]).json() == {"items": [], "total": 0}
    assert api.get(f"{API}/shares/my-shares").status_code == 401


def test_invalid_bearer_is_treated_as_anonymous(api, world):
    pub = _create(api, world)
    acc = _create(api, world, visibility="account")
    bad = {"Authorization": "Bearer nope"}
    assert api.get(f"{API}/shares/by-token/{pub['share_token']}", headers=bad).status_code == 200
    assert api.get(f"{API}/shares/by-token/{acc['share_token']}", headers=bad).status_code == 401


def test_delete_session_takes_its_links(api, world, session):
    created = _create(api, world)
    from sqlalchemy import delete

    from resolutionflow_app.db.models.sessions import SupportSession

    session.execute(delete(SupportSession).where(SupportSession.id == uuid.UUID(world["session_id"])))
    session.commit()
    assert api.get(f"{API}/shares/by-token/{created['share_token']}").status_code == 404
    assert api.get(f"{API}/shares/my-shares", headers=world["owner"]["headers"]).json()["total"] == 0


def test_lookup_rate_limit(api, world, monkeypatch):
    monkeypatch.setenv("RF_SHARE_LOOKUP_RATE_LIMIT", "5/minute")
    get_settings.cache_clear()
    try:
        created = _create(api, world)
        codes = [api.get(f"{API}/shares/by-token/{secrets.token_urlsafe(32)}").status_code for _ in range(5)]
        assert codes == [404] * 5
        resp = api.get(f"{API}/shares/by-token/{created['share_token']}")
        assert resp.status_code == 429
        assert resp.json()["detail"]
        assert resp.headers.get("retry-after")
        # Management endpoints are not limited by the lookup bucket.
        assert api.get(f"{API}/shares/my-shares", headers=world["owner"]["headers"]).status_code == 200
    finally:
        monkeypatch.delenv("RF_SHARE_LOOKUP_RATE_LIMIT")
        get_settings.cache_clear()


def test_share_headers_present(api, world):
    created = _create(api, world)
    for token in (created["share_token"], "unknown-token-" + "x" * 30):
        resp = api.get(f"{API}/shares/by-token/{token}")
        assert resp.headers["referrer-policy"] == "no-referrer"
        assert "noindex" in resp.headers["x-robots-tag"]
        assert resp.headers["cache-control"] == "no-store"


def test_tokens_are_redacted_from_logs(caplog):
    from resolutionflow_app.api.routers.shares import redact_share_tokens

    token = secrets.token_urlsafe(32)
    with caplog.at_level(logging.INFO):
        logging.getLogger("uvicorn.access").info(
            '%s - "GET %s HTTP/1.1" 200', "127.0.0.1", f"/api/v1/shares/by-token/{token}"
        )
        logging.getLogger("granian.access").info("GET /share/%s?x=1 200", token)
    assert token not in caplog.text
    assert "/shares/by-token/***" in caplog.text
    assert "/share/***" in caplog.text
    assert redact_share_tokens(f"https://x.test/share/{token}") == "https://x.test/share/***"


def test_account_toggle_is_persisted(api, world, session):
    api.put(f"{API}/account/settings", json={"allow_public_shares": False}, headers=world["owner"]["headers"])
    acc = session.get(Account, uuid.UUID(world["owner"]["account"]["id"]))
    session.refresh(acc)
    assert acc.allow_public_shares is False
