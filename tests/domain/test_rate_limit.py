"""Rate-limit parsing and the sliding window."""

from __future__ import annotations

import pytest

from resolutionflow_app.domain.rate_limit import SlidingWindowLimiter, client_address, parse_rate


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("30/minute", (30, 60)),
        ("120/minutes", (120, 60)),
        ("5/second", (5, 1)),
        ("1000/day", (1000, 86400)),
        ("10/hour", (10, 3600)),
    ],
)
def test_parse_rate(spec: str, expected: tuple[int, int]) -> None:
    assert parse_rate(spec) == expected


@pytest.mark.parametrize("spec", ["", "abc", "x/minute", "10/fortnight"])
def test_parse_rate_rejects_nonsense(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_rate(spec)


def test_window_slides() -> None:
    now = [0.0]
    limiter = SlidingWindowLimiter(2, 60, clock=lambda: now[0])
    assert limiter.hit("a")
    assert limiter.hit("a")
    assert not limiter.hit("a")
    assert limiter.hit("b")  # keys are independent
    now[0] = 61
    assert limiter.hit("a")


@pytest.mark.parametrize(
    ("peer", "header", "hops", "charged"),
    [
        ("10.0.0.5", "198.51.100.7", 0, "10.0.0.5"),  # no trusted proxy: the header is the client's own words
        ("10.0.0.5", "198.51.100.7", 1, "198.51.100.7"),
        ("10.0.0.5", "6.6.6.6, 198.51.100.7", 1, "198.51.100.7"),  # a forged entry on the left is skipped
        ("10.0.0.5", "6.6.6.6, 198.51.100.7, 10.0.0.4", 2, "198.51.100.7"),
        ("10.0.0.5", "", 1, "10.0.0.5"),  # a request that bypassed the proxy
        ("10.0.0.5", " , ", 1, "10.0.0.5"),
        ("10.0.0.5", "198.51.100.7", 2, "10.0.0.5"),  # fewer entries than proxies: not believed
    ],
)
def test_client_address_trusts_only_the_configured_proxies(peer, header, hops, charged) -> None:
    assert client_address(peer, header, hops) == charged
