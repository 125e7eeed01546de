"""Share links: create for a session, revoke, list mine, view log, and open by token."""

from __future__ import annotations

import uuid
from functools import partial

from fastapi import APIRouter, Depends, Request, Response
from pydantic import AwareDatetime, BaseModel, Field

from resolutionflow_app import entry, log_setup
from resolutionflow_app.api.deps import (
    CallerDep,
    CurrentUser,
    Paging,
    SessionDep,
    page,
    share_rate_limit,
)
from resolutionflow_app.domain.errors import NotFound
from resolutionflow_app.services import shares as shares_service

router = APIRouter(tags=["shares"])

# Share tokens never reach the logs: the redacting filter (log_setup) sits on every logger that sees paths.
redact_share_tokens = log_setup.redact
log_setup.configure_filters()


class ShareBody(BaseModel):
    visibility: str = Field(default="public", pattern="^(public|account)$")
    share_name: str | None = Field(default=None, max_length=100)
    # API.md: times are ISO 8601 with a time zone; a naive time is ambiguous, so it is a 422.
    expires_at: AwareDatetime | None = None


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound("Share link not found.") from None


@router.post("/sessions/{session_id}/shares", status_code=201)
def create_share(
    session_id: str, body: ShareBody, user: CurrentUser, session: SessionDep
) -> shares_service.CreatedShareDTO:
    """Create a read-only link (the engineer who started the session only); the raw token appears only here."""
    try:
        sid = uuid.UUID(session_id)
    except ValueError:
        raise NotFound("Session not found.") from None
    return shares_service.create_share(session=session, actor=user, session_id=sid, **body.model_dump())


@router.get("/shares/my-shares")
def my_shares(
    *, paging: Paging = Depends(), session_id: uuid.UUID | None = None, user: CurrentUser, session: SessionDep
) -> dict:
    """Links I created, with status (active / expired / revoked), view count and last view."""
    items, total = shares_service.list_my_shares(
        session=session, actor=user, session_id=session_id, limit=paging.limit, offset=paging.offset
    )
    return page([i.model_dump(mode="json") for i in items], total)


@router.get("/shares/by-token/{token}")
def by_token(*, token: str, request: Request, caller: CallerDep) -> shares_service.SharedSessionDTO:
    """Open a link: 404 unknown/revoked, 410 expired, 401 account link without login, 403 other account.

    Charges the SHARE budget the share page (/share/<token>) draws from too.
    """
    # `partial` binds the share token: `token=` of `call` is the caller's login token.
    return caller.call(
        partial(shares_service.resolve_by_token, token=token),
        budget=entry.SHARE,
        login=False,
        actor_arg="viewer",
        ip=caller.client,
        user_agent=request.headers.get("user-agent"),
    )


# Both spellings are routes of their own: behind the web app a trailing slash is never redirected (the web app's
# catch-all matches first), so `/shares/by-token/` must be answered here too.
@router.get("/shares/by-token", include_in_schema=False, dependencies=[Depends(share_rate_limit)])
@router.get("/shares/by-token/", include_in_schema=False, dependencies=[Depends(share_rate_limit)])
def by_empty_token() -> None:
    """An empty token: the same 404 as an unknown link, not `GET /shares/{id}`."""
    raise NotFound(shares_service.NOT_FOUND)


@router.get("/shares/{share_id}")
def get_share(share_id: str, user: CurrentUser, session: SessionDep) -> shares_service.ShareDTO:
    """One of my links."""
    return shares_service.get_share(session=session, actor=user, share_id=_uuid(share_id))


@router.get("/shares/{share_id}/views")
def share_views(*, share_id: str, paging: Paging = Depends(), user: CurrentUser, session: SessionDep) -> dict:
    """The view log of one of my links (newest first)."""
    items, total = shares_service.list_views(
        session=session, actor=user, share_id=_uuid(share_id), limit=paging.limit, offset=paging.offset
    )
    return page([i.model_dump(mode="json") for i in items], total)


@router.delete("/shares/{share_id}", status_code=204)
def revoke(share_id: str, user: CurrentUser, session: SessionDep) -> Response:
    """Revoke one of my links (soft); others' links answer 404."""
    shares_service.revoke_share(session=session, actor=user, share_id=_uuid(share_id))
    return Response(status_code=204)
