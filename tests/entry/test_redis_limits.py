"""With RF_REDIS_URL, rate-limit budgets live in Redis: every replica draws from one budget (real redis-server on
loopback)."""

from __future__ import annotations

import concurrent.futures as cf
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from resolutionflow_app import entry
from resolutionflow_app.domain.errors import RateLimited
from resolutionflow_app.integrations import redis_limiter
from resolutionflow_app.settings import get_settings


@pytest.fixture(scope="module")
def redis_url():
    binary = shutil.which("redis-server")
    assert binary, "redis-server is installed by `make setup-test` (Debian package redis-server)"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    workdir = tempfile.mkdtemp(prefix="rf-redis-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            if redis_limiter.connect(url).ping():
                break
        except Exception:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_two_replicas_share_one_budget_under_a_real_race(redis_url) -> None:
    # Two limiters with their own connections stand for two app processes.
    replicas = [
        redis_limiter.RedisSlidingWindowLimiter(redis_limiter.connect(redis_url), "auth-race", 50, 60) for _ in range(2)
    ]
    replicas[0].reset()
    with cf.ThreadPoolExecutor(max_workers=16) as pool:
        waits = list(pool.map(lambda i: replicas[i % 2].acquire("10.1.2.3"), range(120)))
    assert waits.count(0) == 50  # exactly the budget, across both replicas
    assert all(1 <= w <= 60 for w in waits if w)
    assert replicas[1].acquire("10.9.9.9") == 0  # other clients have their own budget


def test_check_rate_uses_redis_when_configured(redis_url, monkeypatch) -> None:
    monkeypatch.setenv("RF_REDIS_URL", redis_url)
    monkeypatch.setenv("RF_AUTH_RATE_LIMIT", "3/minute")
    get_settings.cache_clear()
    entry.reset_limits()
    try:
        for _ in range(3):
            entry.check_rate(entry.AUTH, "192.0.2.7")
        with pytest.raises(RateLimited) as info:
            entry.check_rate(entry.AUTH, "192.0.2.7")
        assert info.value.retry_after >= 1
        keys = redis_limiter.connect(redis_url).keys("rf:rate:auth:*")
        assert keys  # the hits are in Redis, not in this process
    finally:
        entry.reset_limits()
        monkeypatch.undo()
        get_settings.cache_clear()
        entry.reset_limits()
