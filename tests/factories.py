"""Test data builders for services and API tests."""

from __future__ import annotations

import itertools
import uuid

from sqlmodel import Session

from resolutionflow_app.db.models import Account, User
from resolutionflow_app.services.passwords import hash_password

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)
_FAST_HASH = None


def _password_hash() -> str:
    # argon2 is deliberately slow; hash once per test run.
    global _FAST_HASH
    if _FAST_HASH is None:
        _FAST_HASH = hash_password(PASSWORD)
    return _FAST_HASH


def make_account(session: Session, name: str = "Acme IT", *, allow_public_shares: bool = True) -> Account:
    """An account row."""
    account = Account(name=name, allow_public_shares=allow_public_shares)
    session.add(account)
    session.flush()
    return account


def make_user(
    session: Session,
    account: Account | None = None,
    *,
    role: str = "owner",
    email: str | None = None,
    name: str | None = None,
) -> User:
    """A user (with password PASSWORD) in `account` (a new one when omitted)."""
    account = account or make_account(session)
    n = next(_counter)
    user = User(
        account_id=account.id,
        email=email or f"user{n}-{uuid.uuid4().hex[:6]}@example.com",
        name=name or f"User {n}",
        role=role,
        password_hash=_password_hash(),
    )
    session.add(user)
    session.flush()
    return user


def register(
    api, *, email: str | None = None, account_name: str = "Acme IT", name: str = "Alex Admin", password: str = PASSWORD
) -> dict:
    """Register through the API; returns the JSON answer plus `headers` for bearer auth."""
    email = email or f"owner{next(_counter)}-{uuid.uuid4().hex[:6]}@example.com"
    resp = api.post(
        "/api/v1/auth/register", json={"email": email, "password": password, "name": name, "account_name": account_name}
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    body["headers"] = {"Authorization": f"Bearer {body['access_token']}"}
    body["email"] = email
    return body


def add_member(api, owner: dict, *, role: str, email: str | None = None, password: str = PASSWORD) -> dict:
    """Add a member through the API and log them in; returns {user, headers}."""
    email = email or f"{role}{next(_counter)}-{uuid.uuid4().hex[:6]}@example.com"
    resp = api.post(
        "/api/v1/account/members",
        headers=owner["headers"],
        json={"email": email, "name": role.title(), "role": role, "password": password},
    )
    assert resp.status_code == 201, resp.text
    token = api.post("/api/v1/auth/login", json={"email": email, "password": password}).json()["access_token"]
    return {"user": resp.json(), "headers": {"Authorization": f"Bearer {token}"}, "email": email}
