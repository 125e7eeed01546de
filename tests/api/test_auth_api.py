"""Accounts API: register, login, me, logout, password, members, settings, bad input."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from resolutionflow_app.db.models import Account, User
from tests.factories import PASSWORD, add_member, register


def _count(engine, model) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_register_creates_account_and_owner(api) -> None:
    body = register(api, email="Alex@Example.com", account_name="Acme")
    assert body["user"]["role"] == "owner"
    assert body["user"]["email"] == "alex@example.com"
    assert body["account"]["name"] == "Acme"
    assert body["account"]["allow_public_shares"] is True
    assert body["token_type"] == "bearer"
    me = api.get("/api/v1/auth/me", headers=body["headers"]).json()
    assert me == {**me, "email": "alex@example.com", "role": "owner", "account_id": body["account"]["id"]}


def test_login_is_case_insensitive_and_generic_on_failure(api) -> None:
    register(api, email="sam@example.com")
    ok = api.post("/api/v1/auth/login", json={"email": "SAM@example.com", "password": PASSWORD})
    assert ok.status_code == 200
    assert ok.json()["token_type"] == "bearer"
    wrong_pw = api.post("/api/v1/auth/login", json={"email": "sam@example.com", "password": "nope-nope-nope"})
    unknown = api.post("/api/v1/auth/login", json={"email": "ghost@example.com", "password": PASSWORD})
    assert wrong_pw.status_code == unknown.status_code == 401
    assert wrong_pw.json() == unknown.json() == {"detail": "Invalid email or password."}


def test_duplicate_email_conflicts_and_changes_nothing(api, engine) -> None:
    register(api, email="dup@example.com")
    before = (_count(engine, User), _count(engine, Account))
    resp = api.post(
        "/api/v1/auth/register",
        json={"email": "DUP@example.com", "password": PASSWORD, "name": "X", "account_name": "Y"},
    )
    assert resp.status_code == 409
    assert "already exists" in resp.json()["detail"]
    assert (_count(engine, User), _count(engine, Account)) == before


@pytest.mark.parametrize("password", ["", "short", "123456789"])
def test_weak_password_is_rejected(api, engine, password: str) -> None:
    resp = api.post(
        "/api/v1/auth/register",
        json={"email": "weak@example.com", "password": password, "name": "W", "account_name": "W"},
    )
    assert resp.status_code == 422
    assert "10 characters" in resp.json()["detail"]
    assert _count(engine, User) == 0


@pytest.mark.parametrize("email", ["not-an-email", "", "a@b"])
def test_bad_email_is_rejected(api, email: str) -> None:
    resp = api.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": "W", "account_name": "W"}
    )
    assert resp.status_code == 422
    assert isinstance(resp.json()["detail"], str)


def test_malformed_json_is_a_clear_400(api) -> None:
    resp = api.post("/api/v1/auth/register", content=b"{not json", headers={"content-type": "application/json"})
    assert resp.status_code == 400
    assert resp.json() == {"detail": "The request body is not valid JSON."}


def test_missing_fields_are_422_with_a_list(api) -> None:
    resp = api.post("/api/v1/auth/register", json={"email": "x@example.com"})
    assert resp.status_code == 422
    assert isinstance(resp.json()["detail"], list)
    assert "Traceback" not in resp.text


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic abc", "Bearer "])
def test_bad_tokens_are_401(api, header) -> None:
    resp = api.get("/api/v1/auth/me", headers={"Authorization": header} if header else {})
    assert resp.status_code == 401
    assert "detail" in resp.json()


def test_logout_revokes_the_token(api) -> None:
    owner = register(api)
    assert api.post("/api/v1/auth/logout", headers=owner["headers"]).status_code == 204
    assert api.get("/api/v1/auth/me", headers=owner["headers"]).status_code == 401


def test_change_password(api) -> None:
    owner = register(api, email="pw@example.com")
    bad = api.post(
        "/api/v1/auth/password",
        headers=owner["headers"],
        json={"current_password": "wrong-password", "new_password": "a-new-password-1"},
    )
    assert bad.status_code == 422
    weak = api.post(
        "/api/v1/auth/password", headers=owner["headers"], json={"current_password": PASSWORD, "new_password": "short"}
    )
    assert weak.status_code == 422
    ok = api.post(
        "/api/v1/auth/password",
        headers=owner["headers"],
        json={"current_password": PASSWORD, "new_password": "a-new-password-1"},
    )
    assert ok.status_code == 200
    assert api.post("/api/v1/auth/login", json={"email": "pw@example.com", "password": PASSWORD}).status_code == 401
    assert (
        api.post("/api/v1/auth/login", json={"email": "pw@example.com", "password": "a-new-password-1"}).status_code
        == 200
    )
    assert api.get("/api/v1/auth/me", headers=owner["headers"]).status_code == 200  # the current login survives


def test_owner_manages_members_and_others_cannot(api) -> None:
    owner = register(api)
    engineer = add_member(api, owner, role="engineer")
    author = add_member(api, owner, role="author")
    listing = api.get("/api/v1/account/members", headers=author["headers"]).json()
    assert listing["total"] == 3
    assert {m["role"] for m in listing["items"]} == {"owner", "engineer", "author"}
    denied = api.post(
        "/api/v1/account/members",
        headers=engineer["headers"],
        json={"email": "z@example.com", "name": "Z", "role": "engineer", "password": PASSWORD},
    )
    assert denied.status_code == 403
    bad_role = api.post(
        "/api/v1/account/members",
        headers=owner["headers"],
        json={"email": "z@example.com", "name": "Z", "role": "admin", "password": PASSWORD},
    )
    assert bad_role.status_code == 422
    dup = api.post(
        "/api/v1/account/members",
        headers=owner["headers"],
        json={"email": engineer["email"].upper(), "name": "Z", "role": "engineer", "password": PASSWORD},
    )
    assert dup.status_code == 409


def test_members_are_paginated(api) -> None:
    owner = register(api)
    for _ in range(3):
        add_member(api, owner, role="engineer")
    page = api.get("/api/v1/account/members?limit=2&offset=1", headers=owner["headers"]).json()
    assert page["total"] == 4
    assert len(page["items"]) == 2
    assert api.get("/api/v1/account/members?limit=0", headers=owner["headers"]).status_code == 422


def test_account_settings_owner_only(api) -> None:
    owner = register(api)
    engineer = add_member(api, owner, role="engineer")
    assert (
        api.put(
            "/api/v1/account/settings", headers=engineer["headers"], json={"allow_public_shares": False}
        ).status_code
        == 403
    )
    resp = api.put("/api/v1/account/settings", headers=owner["headers"], json={"allow_public_shares": False})
    assert resp.status_code == 200
    assert resp.json()["allow_public_shares"] is False


def test_accounts_are_isolated(api) -> None:
    a, b = register(api), register(api)
    names = {m["email"] for m in api.get("/api/v1/account/members", headers=b["headers"]).json()["items"]}
    assert a["email"] not in names


def test_login_is_rate_limited(api, monkeypatch) -> None:
    from resolutionflow_app.settings import get_settings

    monkeypatch.setenv("RF_AUTH_RATE_LIMIT", "3/minute")
    get_settings.cache_clear()
    try:
        codes = [
            api.post("/api/v1/auth/login", json={"email": "a@example.com", "password": "x" * 10}).status_code
            for _ in range(4)
        ]
    finally:
        monkeypatch.delenv("RF_AUTH_RATE_LIMIT")
        get_settings.cache_clear()
    assert codes == [401, 401, 401, 429]


def test_health_and_docs(api) -> None:
    health = api.get("/api/v1/health").json()
    assert health["status"] == "ok"
    assert health["database"] == "ok"
    assert api.get("/api/v1/docs").status_code == 200
    assert "/api/v1/auth/login" in api.get("/api/v1/openapi.json").json()["paths"]


def test_unknown_route_is_json_404(api) -> None:
    resp = api.get("/api/v1/nope")
    assert resp.status_code == 404
    assert resp.json() == {"detail": "Not found."}


@pytest.mark.parametrize("hops", [0, 1])
def test_behind_trusted_proxies_each_client_has_its_own_login_budget(api, monkeypatch, hops) -> None:
    """RF_TRUSTED_PROXY_HOPS=1 (one load balancer): the address it saw is charged, not the balancer's.
    With 0 (the default) X-Forwarded-For is ignored, so a client cannot dodge the limit by sending one."""
    from resolutionflow_app.settings import get_settings

    monkeypatch.setenv("RF_AUTH_RATE_LIMIT", "2/minute")
    monkeypatch.setenv("RF_TRUSTED_PROXY_HOPS", str(hops))
    get_settings.cache_clear()

    def attempt(forwarded: str) -> int:
        body = {"email": "a@example.com", "password": "x" * 10}
        return api.post("/api/v1/auth/login", json=body, headers={"X-Forwarded-For": forwarded}).status_code

    try:
        # The client wrote the first entry itself; the balancer appended the address it really saw.
        first = [attempt(f"10.9.9.{n}, 198.51.100.7") for n in range(3)]
        other = attempt("10.9.9.9, 203.0.113.20")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert first == [401, 401, 429]  # a forged first entry changes nothing
    assert other == (401 if hops else 429)


def test_the_pages_trust_the_same_proxies_as_the_api(monkeypatch) -> None:
    import importlib

    import rxconfig
    from resolutionflow_app.settings import get_settings

    monkeypatch.setenv("RF_TRUSTED_PROXY_HOPS", "2")
    get_settings.cache_clear()
    try:
        assert importlib.reload(rxconfig).config.trusted_proxy_hops == 2
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        importlib.reload(rxconfig)
