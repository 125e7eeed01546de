"""A sliding-window rate limiter in Redis, so every app replica draws from the same budget."""

from __future__ import annotations

import time
import uuid

# One atomic step: forget hits older than the window, then count this one or say how long to wait.
_ACQUIRE = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
  return 0
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return math.max(1, math.ceil(tonumber(oldest[2]) + window - now))
"""


class RedisSlidingWindowLimiter:
    """Same contract as `domain.rate_limit.SlidingWindowLimiter.acquire`, with the hits in Redis."""

    def __init__(self, client, bucket: str, limit: int, window: float, clock=time.time) -> None:
        self.client, self.bucket, self.limit, self.window, self._clock = client, bucket, limit, window, clock
        self._script = client.register_script(_ACQUIRE)

    def acquire(self, key: str) -> int:
        """Record one hit for `key` and return 0, or return the whole seconds to wait (>= 1)."""
        return int(
            self._script(
                keys=[f"rf:rate:{self.bucket}:{key}"], args=[self._clock(), self.window, self.limit, uuid.uuid4().hex]
            )
        )

    def reset(self) -> None:
        """Forget every key of this bucket."""
        for name in self.client.scan_iter(match=f"rf:rate:{self.bucket}:*"):
            self.client.delete(name)


def connect(url: str):
    """A Redis client for `url` (redis://host:port/db), with short timeouts: a limiter must not hang a login."""
    import redis  # noqa: PLC0415 - only needed when Redis is configured

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def ping(url: str) -> str:
    """ "ok" when Redis at `url` answers a PING within the short timeout, else the reason (no credentials in it)."""
    try:
        return "ok" if connect(url).ping() else "no answer"
    except Exception as exc:  # noqa: BLE001 - health reports any failure in words
        return type(exc).__name__
