"""Auth service: hashing, token expiry, member rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from resolutionflow_app.db.models import AuthToken
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.domain.errors import Unauthorized
from resolutionflow_app.services import auth
from tests.factories import PASSWORD


def test_passwords_are_argon2id(session) -> None:
    result = auth.register(
        session=session, email="a@example.com", password=PASSWORD, name="A", account_name="Acme", ttl_hours=1
    )
    from resolutionflow_app.db.models import User

    user = session.get(User, result.user.id)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_production_cost_is_the_library_default_and_a_changed_cost_rehashes_at_login(session, monkeypatch) -> None:
    from argon2 import PasswordHasher

    from resolutionflow_app.db.models import User
    from resolutionflow_app.settings import Settings, get_settings

    defaults, library = Settings.model_fields, PasswordHasher()
    assert (
        defaults["password_hash_time_cost"].default,
        defaults["password_hash_memory_kib"].default,
        defaults["password_hash_parallelism"].default,
    ) == (library.time_cost, library.memory_cost, library.parallelism)

    result = auth.register(
        session=session, email="b@example.com", password=PASSWORD, name="B", account_name="Acme", ttl_hours=1
    )
    session.commit()
    user = session.get(User, result.user.id)
    made_with = user.password_hash
    monkeypatch.setenv("RF_PASSWORD_HASH_TIME_COST", "2")  # the operator raises the cost
    get_settings.cache_clear()
    try:
        assert auth.login(session=session, email="b@example.com", password=PASSWORD, ttl_hours=1)
        assert user.password_hash != made_with
        assert "t=2," in user.password_hash
        with pytest.raises(Unauthorized):
            auth.login(session=session, email="b@example.com", password="not-the-password", ttl_hours=1)
        assert "t=2," in user.password_hash
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_tokens_are_stored_hashed_and_expire(session) -> None:
    result = auth.register(
        session=session, email="b@example.com", password=PASSWORD, name="B", account_name="Acme", ttl_hours=1
    )
    row = session.exec(auth.select(AuthToken)).one()
    assert row.token_hash != result.access_token
    assert len(row.token_hash) == 64
    assert auth.user_for_token(session=session, token=result.access_token) is not None
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.flush()
    assert auth.user_for_token(session=session, token=result.access_token) is None
    with pytest.raises(Unauthorized):
        auth.require_user(session=session, token=result.access_token)


def test_expired_tokens_are_purged(session) -> None:
    from resolutionflow_app.services.jobs import purge_expired_tokens

    result = auth.register(
        session=session, email="c@example.com", password=PASSWORD, name="C", account_name="Acme", ttl_hours=1
    )
    auth.logout(session=session, token=result.access_token)
    session.flush()
    assert purge_expired_tokens(session=session) == 1
