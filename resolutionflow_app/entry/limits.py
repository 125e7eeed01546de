"""Rate-limit budgets shared by the API and the browser: one budget per (bucket, client)."""

from __future__ import annotations

from functools import lru_cache

from resolutionflow_app.domain.errors import RateLimited
from resolutionflow_app.domain.rate_limit import SlidingWindowLimiter, parse_rate
from resolutionflow_app.integrations import redis_limiter
from resolutionflow_app.settings import get_settings

AUTH = "auth"
SHARE = "share"

# `{n}` is the wait in seconds; the API sends the same number as `Retry-After`.
_MESSAGES = {
    AUTH: "Too many attempts, try again in {n} s.",
    SHARE: "Too many share-link lookups, try again in {n} s.",
}


def _spec(bucket: str) -> str:
    settings = get_settings()
    return {AUTH: settings.auth_rate_limit, SHARE: settings.share_lookup_rate_limit}[bucket]


@lru_cache
def _redis(url: str):
    return redis_limiter.connect(url)


@lru_cache
def _limiter(bucket: str, spec: str, redis_url: str):
    # With Redis configured every replica shares the budget; otherwise it lives in this process.
    count, window = parse_rate(spec)
    limiter = (
        redis_limiter.RedisSlidingWindowLimiter(_redis(redis_url), bucket, count, window)
        if redis_url
        else SlidingWindowLimiter(count, window)
    )
    _LIVE.append(limiter)
    return limiter


_LIVE: list = []  # every limiter built, so reset_limits() also empties shared (Redis) state


def check_rate(bucket: str, client: str) -> None:
    """Count one hit of `client` against `bucket`'s budget.

    Args:
        bucket: `AUTH` (login, register, password change) or `SHARE` (share-link lookups).
        client: the caller's IP address (the same key on the API and the browser path).

    Raises:
        RateLimited: the client is over the budget; `retry_after` says for how many seconds.
    """
    wait = _limiter(bucket, _spec(bucket), get_settings().redis_url).acquire(client or "unknown")
    if wait:
        raise RateLimited(_MESSAGES[bucket].format(n=wait), retry_after=wait)


def reset_limits() -> None:
    """Forget all rate-limit state (tests)."""
    for limiter in list(_LIVE):
        limiter.reset()
    _LIVE.clear()
    _limiter.cache_clear()
