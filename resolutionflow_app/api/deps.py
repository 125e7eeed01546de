"""FastAPI dependencies: DB session per request, current user, the entry-point caller, rate limits, paging."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request
from sqlmodel import Session

from resolutionflow_app import entry
from resolutionflow_app.db.models import User
from resolutionflow_app.domain.rate_limit import client_address
from resolutionflow_app.entry.limits import AUTH, SHARE, check_rate, reset_limits
from resolutionflow_app.services import auth as auth_service
from resolutionflow_app.settings import get_settings


def db_session() -> Iterator[Session]:
    """One DB session per request: commit when the handler returns, roll back on error.

    Always used with `scope="function"` (see `SessionDep`): FastAPI then runs the exit code, and so
    the commit, right after the endpoint returns and *before* the response is sent. A failed commit
    therefore becomes a 409/503 answer instead of a 2xx for data that was never stored. The
    transaction is the entry point's unit of work, the same one `entry.call` runs services in.
    """
    with entry.unit_of_work() as session:
        yield session


# How many requests may hold a DB session at once; the others wait on the event loop, not in a thread.
# A sync endpoint's session keeps its connection until FastAPI has validated the response, which it
# does in the same thread pool (40 threads) the endpoints run in. Without this cap a burst of more
# requests than threads + connections left every thread waiting for a connection while every
# connection waited for a thread: the API stalled for the pool timeout, then answered 500s
# (tests/api/test_request_bursts.py). It must stay below the engine's pool capacity (db/engine.py:
# SQLite 5 + 10 overflow, PostgreSQL 10 + 10) so that services run through `entry.call` and
# background work in the same process still get connections.
REQUEST_SESSIONS = 10

# The request's DB session; committed before the answer is sent (a 2xx means stored).
SessionDep = Annotated[Session, Depends(db_session, scope="function", max_concurrency=REQUEST_SESSIONS)]


def bearer_token(request: Request) -> str | None:
    """The raw bearer token from the Authorization header, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_user(request: Request, session: SessionDep) -> User:
    """The logged-in user; 401 otherwise."""
    return auth_service.require_user(session=session, token=bearer_token(request))


def optional_user(request: Request, session: SessionDep) -> User | None:
    """The logged-in user or None (for endpoints open to anonymous callers)."""
    return auth_service.user_for_token(session=session, token=bearer_token(request))


# The logged-in user (401 otherwise) and the optional one, as parameter types for routers.
CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]


def client_ip(request: Request) -> str:
    """The caller's IP address: the direct peer, or behind RF_TRUSTED_PROXY_HOPS proxies the one they saw."""
    peer = request.client.host if request.client else "unknown"
    return client_address(peer, request.headers.get("x-forwarded-for", ""), get_settings().trusted_proxy_hops)


T = TypeVar("T")


@dataclass(frozen=True)
class Caller:
    """Who calls (bearer token) and from where (client IP): the API's handle on `entry.call`.

    Routers run rate-limited and auth use cases through `caller.call(...)`, exactly as Reflex
    states do through `AuthState.call`, so both paths share transaction, limits and errors.
    """

    token: str | None
    client: str

    def call(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """`entry.call(fn, token=..., client=..., **kwargs)` for this request's caller."""
        return entry.call(fn, token=self.token, client=self.client, **kwargs)


async def caller(request: Request) -> Caller:
    """The request's caller for `entry.call`."""
    # Async on purpose: it only reads headers, and a sync dependency costs a thread-pool hop per request.
    return Caller(token=bearer_token(request), client=client_ip(request))


# The entry point as this request's caller (bearer token + client IP).
CallerDep = Annotated[Caller, Depends(caller)]


def reset_limiters() -> None:
    """Forget all rate-limit state (tests)."""
    reset_limits()


def auth_rate_limit(request: Request) -> None:
    """Charge the shared auth budget (RF_AUTH_RATE_LIMIT) of the client IP; the login page uses the same one."""
    check_rate(AUTH, client_ip(request))


def share_rate_limit(request: Request) -> None:
    """Charge the shared share-lookup budget (RF_SHARE_LOOKUP_RATE_LIMIT); the share page uses the same one."""
    check_rate(SHARE, client_ip(request))


class Paging:
    """`limit` and `offset` query parameters, shared by every list endpoint."""

    def __init__(
        self,
        limit: int = Query(50, ge=1, le=500, description="Page size"),
        offset: int = Query(0, ge=0, description="Items to skip"),
    ) -> None:
        # Clamp huge offsets (an empty page, not a database overflow).
        self.limit, self.offset = limit, min(offset, 2**62)


def page(items: list, total: int) -> dict:
    """The list answer shape: `{items, total}`."""
    return {"items": items, "total": total}
