"""A per-key sliding-window rate limiter and the "N/period" setting parser."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(spec: str) -> tuple[int, int]:
    """Parse "30/minute" into (30, 60).

    Args:
        spec: "<count>/<second|minute|hour|day>" (plural forms accepted).

    Returns:
        (max requests, window in seconds).
    """
    count, _, period = spec.strip().partition("/")
    period = period.strip().lower().rstrip("s") or "minute"
    if period not in _PERIODS or not count.strip().isdigit():
        raise ValueError(f"Bad rate limit {spec!r}: use e.g. '30/minute'")
    return int(count), _PERIODS[period]


class SlidingWindowLimiter:
    """Allows at most `limit` hits per `window` seconds for each key (thread-safe)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: str) -> bool:
        """Record one hit for `key`; False when the key is over its limit."""
        return self.acquire(key) == 0

    def acquire(self, key: str) -> int:
        """Record one hit for `key` and return 0, or (over the limit) record nothing and return
        the whole seconds until the oldest counted hit leaves the window (at least 1)."""
        now = self._clock()
        with self._lock:
            hits = self._hits[key]
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                # Round up: retrying after the advertised time must succeed.
                return max(1, int(math.ceil(hits[0] + self.window - now)))
            hits.append(now)
            return 0

    def reset(self) -> None:
        """Forget every key."""
        with self._lock:
            self._hits.clear()


def client_address(peer: str, forwarded_for: str, trusted_proxy_hops: int) -> str:
    """The client IP that rate limits are keyed by.

    Behind `trusted_proxy_hops` reverse proxies (each appending the address it saw to X-Forwarded-For),
    the client is the entry that many places from the end; anything further left was written by the
    client and is not believed. With 0 trusted hops (the default) the header is ignored: the direct peer
    counts, so nobody escapes a limit by sending the header. Reflex resolves its pages' client IP the
    same way from the same setting (rxconfig.py), so the login page and the API share one budget.

    Args:
        peer: the address of the direct TCP peer.
        forwarded_for: the X-Forwarded-For header ("" when absent).
        trusted_proxy_hops: how many proxies in front of the app append to the header (RF_TRUSTED_PROXY_HOPS).

    Returns:
        The address to charge.
    """
    if trusted_proxy_hops <= 0:
        return peer
    hops = [part.strip() for part in forwarded_for.split(",") if part.strip()]
    return hops[-trusted_proxy_hops] if len(hops) >= trusted_proxy_hops else peer
