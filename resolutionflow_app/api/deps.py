"""FastAPI dependencies: DB session per request, current user, client IP, rate limits, paging."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from fastapi import Depends, Query, Request
from sqlmodel import Session

from resolutionflow_app.db.engine import session_scope
from resolutionflow_app.db.models import User
from resolutionflow_app.domain.errors import RateLimited
from resolutionflow_app.domain.rate_limit import SlidingWindowLimiter, parse_rate
from resolutionflow_app.services import auth as auth_service
from resolutionflow_app.settings import get_settings


def db_session() -> Iterator[Session]:
    """One DB session per request: commit when the handler returns, roll back on error."""
    with session_scope() as session:
        yield session


def bearer_token(request: Request) -> str | None:
    """The raw bearer token from the Authorization header, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_user(request: Request, session: Session = Depends(db_session)) -> User:
    """The logged-in user; 401 otherwise."""
    return auth_service.require_user(session=session, token=bearer_token(request))


def optional_user(request: Request, session: Session = Depends(db_session)) -> User | None:
    """The logged-in user or None (for endpoints open to anonymous callers)."""
    return auth_service.user_for_token(session=session, token=bearer_token(request))


def client_ip(request: Request) -> str:
    """The caller's IP address (the direct peer; proxies are not trusted by default)."""
    return request.client.host if request.client else "unknown"


@lru_cache
def limiter(bucket: str, spec: str) -> SlidingWindowLimiter:
    """The shared limiter for a bucket at a given rate."""
    count, window = parse_rate(spec)
    return SlidingWindowLimiter(count, window)


def reset_limiters() -> None:
    """Forget all rate-limit state (tests)."""
    limiter.cache_clear()


def auth_rate_limit(request: Request) -> None:
    """Limit login/register attempts per client IP (RF_AUTH_RATE_LIMIT)."""
    if not limiter("auth", get_settings().auth_rate_limit).hit(client_ip(request)):
        raise RateLimited("Too many attempts. Wait a minute and try again.")


def share_rate_limit(request: Request) -> None:
    """Limit share-link lookups per client IP (RF_SHARE_LOOKUP_RATE_LIMIT)."""
    if not limiter("share", get_settings().share_lookup_rate_limit).hit(client_ip(request)):
        raise RateLimited("Too many share-link lookups. Wait a minute and try again.")


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
