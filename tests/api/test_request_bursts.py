"""A burst of concurrent requests to endpoints that hold the request's DB session (`SessionDep`) all succeed.

The session of a sync endpoint stays open (its connection checked out) until the response has been
validated, and FastAPI validates it in the same thread pool (40 threads) the endpoints run in. With
more requests in flight than threads + pool connections, every thread waited for a connection while
every connection waited for a thread: the API stalled for the pool timeout (30 s) and then answered
503s. `SessionDep` is capped below the pool's capacity, so waiting happens on the event loop.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import httpx
import pytest

from tests.factories import PASSWORD
from tests.live_api import LiveApi

BURST = 120  # > 40 threads + 20 connections (the larger pool, PostgreSQL's)


@pytest.fixture
def live(engine, database_url):
    server = LiveApi(database_url).start()
    yield server
    server.stop()


async def _burst(urls: list[str], headers: dict[str, str]) -> Counter:
    limits = httpx.Limits(max_connections=1)
    clients = [httpx.AsyncClient(timeout=120, limits=limits, headers=headers) for _ in urls]
    try:

        async def one(client: httpx.AsyncClient, url: str) -> int | str:
            try:
                return (await client.get(url)).status_code
            except httpx.HTTPError as exc:
                return type(exc).__name__

        return Counter(await asyncio.gather(*(one(c, u) for c, u in zip(clients, urls, strict=False))))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


def test_a_burst_of_session_holding_requests_all_succeed(live) -> None:
    reg = httpx.post(
        f"{live.url}/auth/register",
        json={
            "email": f"{uuid.uuid4().hex[:10]}@example.com",
            "password": PASSWORD,
            "name": "Kim",
            "account_name": "Acme",
        },
    )
    assert reg.status_code == 201, reg.text
    headers = {"Authorization": f"Bearer {reg.json()['access_token']}"}
    # /health uses SessionDep directly; /trees and /auth/me through CurrentUser.
    urls = [f"{live.url}/{path}" for path in ("health", "trees", "auth/me") for _ in range(BURST // 3)]
    codes = asyncio.run(_burst(urls, headers))
    assert codes == Counter({200: len(urls)}), codes
