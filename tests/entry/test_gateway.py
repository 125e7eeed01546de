"""entry.call: commits before returning, charges budgets with a retry time, maps DB failures to sentences."""

from __future__ import annotations

import math

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

from resolutionflow_app import entry
from resolutionflow_app.db.models import Account
from resolutionflow_app.domain.errors import (
    Conflict,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from resolutionflow_app.domain.rate_limit import SlidingWindowLimiter
from resolutionflow_app.settings import get_settings


def _create_account(*, session, name: str) -> str:
    account = Account(name=name)
    session.add(account)
    session.flush()
    return str(account.id)


def test_call_commits_before_it_returns(engine) -> None:
    account_id = entry.call(_create_account, token=None, actor_arg="", name="Committed Ltd")
    with Session(engine) as other:
        assert [str(a.id) for a in other.exec(select(Account).where(Account.name == "Committed Ltd"))] == [account_id]


def test_a_refusal_rolls_everything_back(engine) -> None:
    def create_then_fail(*, session) -> None:
        _create_account(session=session, name="Half Saved")
        raise Conflict("No.")

    with pytest.raises(Conflict):
        entry.call(create_then_fail, token=None, actor_arg="")
    with Session(engine) as other:
        assert other.exec(select(Account).where(Account.name == "Half Saved")).first() is None


def test_login_required_by_default(engine) -> None:
    with pytest.raises(Unauthorized):
        entry.call(lambda *, session, actor: actor, token=None)
    with pytest.raises(Unauthorized):
        entry.call(lambda *, session, actor: actor, token="not-a-token")
    assert entry.call(lambda *, session, actor: actor, token=None, login=False) is None


@pytest.mark.parametrize(
    ("raised", "expected", "status"),
    [
        (IntegrityError("INSERT", {}, Exception("duplicate key")), Conflict, 409),
        (OperationalError("SELECT", {}, Exception("database is locked")), Unavailable, 503),
    ],
)
def test_database_failures_become_sentences(engine, raised, expected, status) -> None:
    def fails(*, session) -> None:
        raise raised

    with pytest.raises(expected) as info:
        entry.call(fails, token=None, actor_arg="")
    assert info.value.status_code == status
    assert info.value.message.endswith(".")


def test_rate_limited_carries_the_wait(engine, monkeypatch) -> None:
    monkeypatch.setenv("RF_AUTH_RATE_LIMIT", "2/minute")
    get_settings.cache_clear()
    entry.reset_limits()
    try:
        calls = []
        for _ in range(2):
            entry.call(
                lambda *, session: calls.append(1), token=None, client="1.2.3.4", budget=entry.AUTH, actor_arg=""
            )
        with pytest.raises(RateLimited) as info:
            entry.call(
                lambda *, session: calls.append(1), token=None, client="1.2.3.4", budget=entry.AUTH, actor_arg=""
            )
        assert len(calls) == 2  # the refused call never ran
        assert 1 <= info.value.retry_after <= 60
        assert info.value.message == f"Too many attempts, try again in {info.value.retry_after} s."
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        entry.reset_limits()


def test_acquire_says_how_long_until_a_slot_frees() -> None:
    now = [100.0]
    limiter = SlidingWindowLimiter(2, 60, clock=lambda: now[0])
    assert limiter.acquire("k") == 0
    now[0] = 110.5
    assert limiter.acquire("k") == 0
    now[0] = 120.2
    assert limiter.acquire("k") == math.ceil(100.0 + 60 - 120.2) == 40
    now[0] = 160.0  # the first hit left the window exactly now
    assert limiter.acquire("k") == 0
    assert limiter.acquire("k") == 11  # the second (110.5) frees at 170.5


def test_a_services_own_limit_passes_through(engine) -> None:
    # The rate-limit bucket is `budget`, so list services keep their `limit` (page size).
    assert entry.call(lambda *, session, limit: limit, token=None, actor_arg="", limit=500) == 500
