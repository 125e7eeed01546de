"""Accounts, users, login tokens and passwords."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy import func
from sqlmodel import Session, col, select

from resolutionflow_app.db.models import Account, AuthToken, User
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from resolutionflow_app.domain.roles import ROLES, is_owner
from resolutionflow_app.services.dto import DTO
from resolutionflow_app.services.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)

LOGIN_FAILED = "Invalid email or password."
_email_adapter = TypeAdapter(EmailStr)


class UserDTO(DTO):
    """A user as the API shows it."""

    id: uuid.UUID
    email: str
    name: str
    role: str
    account_id: uuid.UUID
    is_active: bool = True
    created_at: datetime | None = None


class AccountDTO(DTO):
    """An account as the API shows it."""

    id: uuid.UUID
    name: str
    allow_public_shares: bool
    pause_public_links_when_off: bool = False
    created_at: datetime | None = None


class Registration(DTO):
    """What registering answers."""

    user: UserDTO
    account: AccountDTO
    access_token: str
    token_type: str = "bearer"


def normalise_email(email: str) -> str:
    """Lower-case, trimmed, validated email; raises InvalidInput when malformed."""
    value = (email or "").strip().lower()
    try:
        _email_adapter.validate_python(value)
    except ValidationError:
        raise InvalidInput("Enter a valid email address.") from None
    return value


def _require_text(value: str, label: str, max_len: int = 200) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"{label} is required.")
    if len(value) > max_len:
        raise InvalidInput(f"{label} must be at most {max_len} characters.")
    return value


def _check_password(password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise InvalidInput(problem)


def _email_taken(session: Session, email: str) -> bool:
    return session.exec(select(User.id).where(func.lower(User.email) == email)).first() is not None


def token_hash(token: str) -> str:
    """SHA-256 hex of a bearer token (only the hash is stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(*, session: Session, user: User, ttl_hours: int) -> str:
    """Create a login token for `user`; returns the raw token (shown once)."""
    raw = secrets.token_urlsafe(32)
    session.add(
        AuthToken(user_id=user.id, token_hash=token_hash(raw), expires_at=utcnow() + timedelta(hours=ttl_hours))
    )
    session.flush()
    return raw


def register(
    *, session: Session, email: str, password: str, name: str, account_name: str, ttl_hours: int
) -> Registration:
    """Create an account and its owner, and log the owner in.

    Args:
        session: DB session.
        email: the owner's email (case-insensitive, unique).
        password: at least 10 characters.
        name: the owner's display name.
        account_name: the team's name.
        ttl_hours: lifetime of the returned token.

    Returns:
        The user, the account and a bearer token.

    Raises:
        InvalidInput: bad email, name or weak password.
        Conflict: the email is already registered.
    """
    email = normalise_email(email)
    name = _require_text(name, "Name")
    account_name = _require_text(account_name, "Account name")
    _check_password(password)
    if _email_taken(session, email):
        raise Conflict("An account with this email already exists.")
    account = Account(name=account_name)
    session.add(account)
    session.flush()
    user = User(account_id=account.id, email=email, name=name, role="owner", password_hash=hash_password(password))
    session.add(user)
    session.flush()
    token = issue_token(session=session, user=user, ttl_hours=ttl_hours)
    return Registration(
        user=UserDTO.model_validate(user), account=AccountDTO.model_validate(account), access_token=token
    )


def login(*, session: Session, email: str, password: str, ttl_hours: int) -> str:
    """Check credentials and return a new bearer token; one generic error for every failure."""
    email = (email or "").strip().lower()
    user = session.exec(select(User).where(func.lower(User.email) == email)).first()
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None or not user.is_active:
        raise Unauthorized(LOGIN_FAILED)
    if user.password_hash and needs_rehash(user.password_hash):  # the cost settings changed since it was made
        user.password_hash = hash_password(password)
        session.add(user)
    return issue_token(session=session, user=user, ttl_hours=ttl_hours)


def user_for_token(*, session: Session, token: str | None) -> User | None:
    """The active user a bearer token belongs to, or None (unknown, expired, revoked)."""
    if not token:
        return None
    row = session.exec(select(AuthToken).where(AuthToken.token_hash == token_hash(token))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.is_active else None


def require_user(*, session: Session, token: str | None) -> User:
    """Like `user_for_token` but raises Unauthorized."""
    user = user_for_token(session=session, token=token)
    if user is None:
        raise Unauthorized("Not logged in, or the login has expired.")
    return user


def logout(*, session: Session, token: str) -> None:
    """Revoke one bearer token."""
    row = session.exec(select(AuthToken).where(AuthToken.token_hash == token_hash(token))).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)


def change_password(
    *, session: Session, user: User, current_password: str, new_password: str, keep_token: str | None = None
) -> None:
    """Change `user`'s password; other login tokens are revoked."""
    if not verify_password(user.password_hash, current_password or ""):
        raise InvalidInput("The current password is not correct.")
    _check_password(new_password)
    user.password_hash = hash_password(new_password)
    user.updated_at = utcnow()
    session.add(user)
    keep = token_hash(keep_token) if keep_token else None
    for row in session.exec(
        select(AuthToken).where(col(AuthToken.user_id) == user.id, col(AuthToken.revoked_at).is_(None))
    ):
        if row.token_hash != keep:
            row.revoked_at = utcnow()
            session.add(row)


def add_member(*, session: Session, actor: User, email: str, name: str, role: str, password: str) -> UserDTO:
    """Add a user to the actor's account (owners only)."""
    if not is_owner(actor.role):
        raise Forbidden("Only account owners can add members.")
    email = normalise_email(email)
    name = _require_text(name, "Name")
    if role not in ROLES:
        raise InvalidInput(f"Role must be one of: {', '.join(ROLES)}.")
    _check_password(password)
    if _email_taken(session, email):
        raise Conflict("A user with this email already exists.")
    user = User(account_id=actor.account_id, email=email, name=name, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return UserDTO.model_validate(user)


def list_members(*, session: Session, actor: User, limit: int = 50, offset: int = 0) -> tuple[list[UserDTO], int]:
    """Members of the actor's account, oldest first."""
    query = select(User).where(User.account_id == actor.account_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(User.created_at), col(User.email)).offset(offset).limit(limit)).all()
    return [UserDTO.model_validate(u) for u in rows], total


def get_account(*, session: Session, actor: User) -> AccountDTO:
    """The actor's account."""
    account = session.get(Account, actor.account_id)
    if account is None:
        raise NotFound("Account not found.")
    return AccountDTO.model_validate(account)


def update_account_settings(
    *,
    session: Session,
    actor: User,
    allow_public_shares: bool | None = None,
    name: str | None = None,
    pause_public_links_when_off: bool | None = None,
) -> AccountDTO:
    """Change account policy (owners only).

    Args:
        session: DB session.
        actor: the logged-in owner.
        allow_public_shares: whether engineers may create public links.
        name: the account's new name.
        pause_public_links_when_off: while public sharing is off, existing public links answer 404
            (like revoked) and open again when it is turned back on; false keeps the seed's rule
            (existing links are grandfathered).

    Returns:
        The account as stored.

    Raises:
        Forbidden: the actor is not an owner.
        InvalidInput: an empty name.
    """
    if not is_owner(actor.role):
        raise Forbidden("Only account owners can change account settings.")
    account = session.get(Account, actor.account_id)
    if account is None:
        raise NotFound("Account not found.")
    if allow_public_shares is not None:
        account.allow_public_shares = allow_public_shares
    if pause_public_links_when_off is not None:
        account.pause_public_links_when_off = pause_public_links_when_off
    if name is not None:
        account.name = _require_text(name, "Account name")
    account.updated_at = utcnow()
    session.add(account)
    session.flush()
    return AccountDTO.model_validate(account)
