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
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


def test_tokens_are_stored_hashed_and_expire(session) -> None:
    result = auth.register(
        session=session, email="b@example.com", password=PASSWORD, name="B", account_name="Acme", ttl_hours=1
    )
    row = session.exec(auth.select(AuthToken)).one()
    assert row.token_hash != result.access_token and len(row.token_hash) == 64
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
