"""Session share links: create, revoke, list, resolve by token (with view tracking), and the cleanup job."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from resolutionflow_app.db.models import Account, User
from resolutionflow_app.db.models.sessions import (
    SessionShare,
    SessionShareView,
    SupportSession,
)
from resolutionflow_app.db.types import new_id, utcnow
from resolutionflow_app.domain.errors import (
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from resolutionflow_app.services.dto import DTO
from resolutionflow_app.services.sessions import ReadOnlySessionDTO, read_only_view
from resolutionflow_app.settings import get_settings

log = logging.getLogger(__name__)

VISIBILITIES = ("public", "account")
TOKEN_BYTES = 32  # secrets.token_urlsafe(32) -> 43 URL-safe characters
MAX_NAME = 100
MAX_RETRIES = 3
# Unknown and revoked links must be indistinguishable: one message for both.
# The four access messages are the seed's, word for word (no trailing period, as the seed writes them).
NOT_FOUND = "Share not found or has been revoked"
EXPIRED = "Share link has expired"
LOGIN_REQUIRED = "This share requires authentication"
NO_ACCESS = "You don't have access to this session"
PUBLIC_FORBIDDEN = "Your organization does not allow public session sharing. Use account-only visibility."
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
_DUMMY_DIGEST = "0" * 64


class ShareDTO(DTO):
    """A share link as its creator sees it (never the raw token)."""

    id: uuid.UUID
    session_id: uuid.UUID
    session_name: str = ""
    share_name: str | None = None
    visibility: str
    created_by: uuid.UUID
    created_at: datetime
    expires_at: datetime | None = None
    is_active: bool
    revoked_at: datetime | None = None
    view_count: int = 0
    last_viewed_at: datetime | None = None
    status: str = "active"


class CreatedShareDTO(ShareDTO):
    """The answer to creating a link: the only place the raw token and full URL appear."""

    share_token: str
    url: str


class ShareViewDTO(DTO):
    """One recorded view of a link."""

    id: uuid.UUID
    viewed_at: datetime
    viewer_id: uuid.UUID | None = None
    viewer_name: str | None = None
    viewer_ip: str | None = None
    viewer_user_agent: str | None = None


class SharedSessionDTO(DTO):
    """What a viewer of a link gets: the link's label and a read-only session."""

    share: dict[str, Any]
    session: ReadOnlySessionDTO


def hash_token(token: str) -> str:
    """SHA-256 hex of a share token: the only form stored in `session_shares.share_token`.

    Args:
        token: the raw token from the URL.

    Returns:
        64 lowercase hex characters.
    """
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    """A fresh random URL-safe token (module-level so tests can force collisions)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def share_url(token: str) -> str:
    """The public URL of a link: RF_PUBLIC_BASE_URL + /share/<token>."""
    return f"{get_settings().public_base_url.rstrip('/')}/share/{token}"


def share_status(share: SessionShare, now: datetime | None = None, *, public_paused: bool = False) -> str:
    """`revoked`, `expired`, `paused` (a public link while its account pauses them) or `active`."""
    now = now or utcnow()
    if not share.is_active:
        return "revoked"
    if share.expires_at is not None and share.expires_at <= now:
        return "expired"
    if public_paused and share.visibility == "public":
        return "paused"
    return "active"


def public_links_paused(account: Account | None) -> bool:
    """True while the account has public sharing off and chose to pause existing public links."""
    return account is not None and not account.allow_public_shares and account.pause_public_links_when_off


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _to_dto(
    share: SessionShare, session_name: str = "", now: datetime | None = None, *, public_paused: bool = False
) -> ShareDTO:
    data = share.model_dump()
    return ShareDTO(
        **data, session_name=session_name or "", status=share_status(share, now, public_paused=public_paused)
    )


def create_share(
    *,
    session: Session,
    actor: User,
    session_id: uuid.UUID,
    visibility: str = "public",
    share_name: str | None = None,
    expires_at: datetime | None = None,
) -> CreatedShareDTO:
    """Create a read-only link to a session (its starter only), retrying on token collision.

    Args:
        session: DB session.
        actor: the logged-in user; must have started the session.
        session_id: the session to share.
        visibility: `public` (anyone with the link) or `account` (members of the account).
        share_name: optional label, at most 100 characters.
        expires_at: optional expiry, must be in the future.

    Returns:
        The link with its raw token and URL (shown only here).

    Raises:
        NotFound: no such session in the actor's account.
        Forbidden: someone else started the session, or public links are disabled.
        InvalidInput: bad visibility, name or expiry.
    """
    row = session.get(SupportSession, session_id)
    if row is None or row.account_id != actor.account_id:
        raise NotFound("Session not found.")
    if row.user_id != actor.id:
        raise Forbidden("Only the engineer who started this session can share it.")
    if visibility not in VISIBILITIES:
        raise InvalidInput("Visibility must be 'public' or 'account'.")
    name = (share_name or "").strip() or None
    if name is not None and len(name) > MAX_NAME:
        raise InvalidInput(f"The link name must be at most {MAX_NAME} characters.")
    try:
        expires_at = _as_utc(expires_at)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-05:00 is past the last representable UTC instant
        raise InvalidInput("The expiry date is out of range.") from None
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInput("The expiry date must be in the future.")
    if visibility == "public":
        account = session.get(Account, actor.account_id)
        if account is None or not account.allow_public_shares:
            raise Forbidden(PUBLIC_FORBIDDEN)
    for attempt in range(MAX_RETRIES):
        token = new_token()
        share = SessionShare(
            session_id=row.id,
            share_token=hash_token(token),
            share_name=name,
            visibility=visibility,
            created_by=actor.id,
            expires_at=expires_at,
        )
        try:
            with session.begin_nested():
                session.add(share)
                session.flush()
        except IntegrityError:
            # Only the token is unique here: a collision (astronomically rare) gets a new token.
            log.warning("share token collision, retrying (attempt %d)", attempt + 1)
            if attempt == MAX_RETRIES - 1:
                raise
            continue
        base = _to_dto(share, row.tree_name)
        return CreatedShareDTO(**base.model_dump(), share_token=token, url=share_url(token))
    raise AssertionError("unreachable")  # pragma: no cover


def _own_share(session: Session, actor: User, share_id: uuid.UUID) -> SessionShare:
    share = session.get(SessionShare, share_id)
    if share is None or share.created_by != actor.id:
        raise NotFound("Share link not found.")
    return share


def revoke_share(*, session: Session, actor: User, share_id: uuid.UUID) -> None:
    """Soft-revoke a link (its creator only); revoking twice is harmless.

    Args:
        session: DB session.
        actor: the logged-in user.
        share_id: the link.

    Raises:
        NotFound: no such link, or someone else created it.
    """
    share = _own_share(session, actor, share_id)
    if share.is_active:
        now = utcnow()
        share.is_active, share.revoked_at, share.updated_at = False, now, now
        session.add(share)
        session.flush()


def get_share(*, session: Session, actor: User, share_id: uuid.UUID) -> ShareDTO:
    """One of the actor's links.

    Raises:
        NotFound: no such link, or someone else created it.
    """
    share = _own_share(session, actor, share_id)
    row = session.get(SupportSession, share.session_id)
    return _to_dto(
        share, row.tree_name if row else "", public_paused=public_links_paused(session.get(Account, actor.account_id))
    )


def list_my_shares(
    *, session: Session, actor: User, session_id: uuid.UUID | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[ShareDTO], int]:
    """Every link the actor created, newest first, with status and view figures.

    Args:
        session: DB session.
        actor: the logged-in user.
        session_id: only links to this session.
        limit: page size.
        offset: items to skip.

    Returns:
        One page of links and the total.
    """
    cond = [SessionShare.created_by == actor.id]
    if session_id is not None:
        cond.append(SessionShare.session_id == session_id)
    total = session.exec(select(func.count()).select_from(SessionShare).where(*cond)).one()
    rows = session.exec(
        select(SessionShare, SupportSession.tree_name)
        .join(SupportSession, col(SupportSession.id) == col(SessionShare.session_id))
        .where(*cond)
        .order_by(col(SessionShare.created_at).desc(), col(SessionShare.id))
        .limit(limit)
        .offset(offset)
    ).all()
    now = utcnow()
    paused = public_links_paused(session.get(Account, actor.account_id))
    return [_to_dto(share, name, now, public_paused=paused) for share, name in rows], int(total)


def list_views(
    *, session: Session, actor: User, share_id: uuid.UUID, limit: int = 50, offset: int = 0
) -> tuple[list[ShareViewDTO], int]:
    """The view log of one of the actor's links, newest first.

    Raises:
        NotFound: no such link, or someone else created it.
    """
    share = _own_share(session, actor, share_id)
    total = session.exec(
        select(func.count()).select_from(SessionShareView).where(SessionShareView.share_id == share.id)
    ).one()
    rows = session.exec(
        select(SessionShareView, User.name)
        .join(User, col(User.id) == col(SessionShareView.viewer_id), isouter=True)
        .where(SessionShareView.share_id == share.id)
        .order_by(col(SessionShareView.viewed_at).desc(), col(SessionShareView.id))
        .limit(limit)
        .offset(offset)
    ).all()
    items = [
        ShareViewDTO(
            id=v.id,
            viewed_at=v.viewed_at,
            viewer_id=v.viewer_id,
            viewer_name=name,
            viewer_ip=v.viewer_ip,
            viewer_user_agent=v.viewer_user_agent,
        )
        for v, name in rows
    ]
    return items, int(total)


def views_per_day(*, session: Session, actor: User, share_id: uuid.UUID, days: int = 30) -> list[dict[str, Any]]:
    """Views of one link per UTC day over the last `days` days (oldest first, zero-filled).

    Raises:
        NotFound: no such link, or someone else created it.
    """
    share = _own_share(session, actor, share_id)
    today = utcnow().date()
    start = today - timedelta(days=days - 1)
    since = datetime(start.year, start.month, start.day, tzinfo=UTC)
    stamps = session.exec(
        select(SessionShareView.viewed_at).where(
            SessionShareView.share_id == share.id, SessionShareView.viewed_at >= since
        )
    ).all()
    counts = Counter(when.date() for when in map(_as_utc, stamps) if when is not None)
    return [
        {"day": (start + timedelta(days=i)).isoformat(), "views": counts.get(start + timedelta(days=i), 0)}
        for i in range(days)
    ]


def session_view(row: SupportSession, engineer_name: str = "", *, session: Session | None = None) -> dict[str, Any]:
    """The read-only session of a share answer as JSON-ready data (`sessions.read_only_view`).

    Args:
        row: the session.
        engineer_name: the name of the engineer who ran it.
        session: when given, resolves the user name and unattached automation results.

    Returns:
        The read-only view as a dict.
    """
    return read_only_view(row, session=session, engineer_name=engineer_name).model_dump(mode="json")


def _find_for_view(
    session: Session, token: str
) -> tuple[SessionShare, SupportSession | None, Account | None, User | None] | None:
    """The link with its session, the session's account and engineer, in one statement (None: no such link)."""
    well_formed = isinstance(token, str) and bool(_TOKEN_RE.match(token))
    digest = hash_token(token) if well_formed else _DUMMY_DIGEST
    # One joined SELECT instead of four lookups: every public view of a link runs this, and each ORM round trip
    # costs more CPU than the rows it brings.
    found = (
        session.exec(
            select(SessionShare, SupportSession, Account, User)
            .outerjoin(SupportSession, col(SupportSession.id) == col(SessionShare.session_id))
            .outerjoin(Account, col(Account.id) == col(SupportSession.account_id))
            .outerjoin(User, col(User.id) == col(SupportSession.user_id))
            .where(SessionShare.share_token == digest)
        ).first()
        if well_formed
        else None
    )
    # The lookup is by a hash (an attacker controls no prefix of it); compare again in constant time.
    stored = found[0].share_token if found is not None else _DUMMY_DIGEST
    if not hmac.compare_digest(stored, digest) or found is None:
        return None
    share, row, account, engineer = found
    return share, row, account, engineer


def resolve_by_token(
    *, session: Session, token: str, viewer: User | None, ip: str | None = None, user_agent: str | None = None
) -> SharedSessionDTO:
    """Open a link: check it, check the viewer, record the view, return the read-only session.

    The view row and the share's `view_count` / `last_viewed_at` are written in the caller's
    transaction (one commit).

    Args:
        session: DB session.
        token: the raw token from the URL.
        viewer: the logged-in user, or None for anonymous visitors.
        ip: the viewer's IP address.
        user_agent: the viewer's User-Agent header.

    Returns:
        `{share: {share_name, visibility, expires_at}, session: {...}}`.

    Raises:
        NotFound: unknown or revoked link (same message for both).
        Gone: the link expired.
        Unauthorized: account-only link and nobody is logged in.
        Forbidden: account-only link and the viewer belongs to another account.
    """
    found = _find_for_view(session, token)
    if found is None or not found[0].is_active:
        raise NotFound(NOT_FOUND)
    share, row, account, engineer = found
    now = utcnow()
    if share.expires_at is not None and share.expires_at <= now:
        raise Gone(EXPIRED)
    if row is None:
        raise NotFound(NOT_FOUND)
    # A paused public link must look exactly like a revoked one to the outside.
    if share.visibility == "public" and public_links_paused(account):
        raise NotFound(NOT_FOUND)
    if share.visibility == "account":
        if viewer is None:
            raise Unauthorized(LOGIN_REQUIRED)
        if viewer.account_id != row.account_id:
            raise Forbidden(NO_ACCESS)
    name = engineer.name if engineer else None
    answer = SharedSessionDTO(
        share={
            "share_name": share.share_name,
            "visibility": share.visibility,
            "expires_at": share.expires_at.isoformat() if share.expires_at else None,
        },
        session=read_only_view(row, session=session, engineer_name=name or "", user_name=name),
    )
    # The writes come last, right before the caller commits: every view of a link updates the same row, and its
    # lock (the database's write lock on SQLite) is held from the UPDATE until the commit, so concurrent views of
    # one link queue on it. Plain INSERT and UPDATE statements: the ORM's add + flush cost more than both.
    session.execute(
        insert(SessionShareView).values(
            id=new_id(),
            share_id=share.id,
            viewer_id=viewer.id if viewer else None,
            viewed_at=now,
            viewer_ip=(ip or None) and ip[:45],
            viewer_user_agent=(user_agent or None) and user_agent[:500],
        )
    )
    session.execute(
        update(SessionShare)
        .where(col(SessionShare.id) == share.id)
        .values(view_count=col(SessionShare.view_count) + 1, last_viewed_at=now)
    )
    return answer


def cleanup_shares(*, session: Session, retention_days: int | None = None, now: datetime | None = None) -> int:
    """Hard-delete links that expired, or were revoked, more than `retention_days` ago, with their views.

    (The seed's filter needed both; here either is enough.)

    Args:
        session: DB session.
        retention_days: defaults to RF_SHARE_RETENTION_DAYS.
        now: the current time (tests).

    Returns:
        How many links were deleted.
    """
    days = get_settings().share_retention_days if retention_days is None else retention_days
    cutoff = (now or utcnow()) - timedelta(days=days)
    doomed = select(SessionShare.id).where(
        or_(
            col(SessionShare.expires_at) < cutoff,
            (col(SessionShare.is_active) == False) & (col(SessionShare.revoked_at) < cutoff),  # noqa: E712
            (col(SessionShare.is_active) == False)  # noqa: E712
            & col(SessionShare.revoked_at).is_(None)
            & (col(SessionShare.updated_at) < cutoff),
        )
    )
    ids = list(session.exec(doomed).all())
    if not ids:
        return 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.exec(delete(SessionShareView).where(col(SessionShareView.share_id).in_(chunk)))
        session.exec(delete(SessionShare).where(col(SessionShare.id).in_(chunk)))
    log.info("cleaned up %d share links", len(ids))
    return len(ids)
