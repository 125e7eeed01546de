"""The desktop app's local owner and its one-time login codes (refused unless the server runs in desktop mode)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import time
import uuid
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from resolutionflow_app.db.models import Account, User
from resolutionflow_app.domain.errors import Conflict, NotFound, Unauthorized
from resolutionflow_app.services.auth import UserDTO, issue_token
from resolutionflow_app.services.passwords import hash_password

LOCAL_EMAIL = "local@resolutionflow.desktop"
LOCAL_ACCOUNT_NAME = "My workspace"
CODE_TTL_SECONDS = 120
INVALID_CODE = "This desktop sign-in link is invalid, expired or was already used. Start the desktop app again."
NOT_DESKTOP = "Not found."


def ensure_local_owner(*, session: Session, name: str) -> UserDTO:
    """The desktop's local user, created (with its account, as owner) when the database has no account yet.

    The user gets a random password nobody knows: it signs in only through one-time codes.

    Args:
        session: DB session.
        name: display name for a new local user (e.g. the operating-system user's name).

    Returns:
        The local user.

    Raises:
        Conflict: the database already holds other accounts and no local user (log in on the login page).
    """
    user = session.exec(select(User).where(func.lower(User.email) == LOCAL_EMAIL)).first()
    if user is not None:
        return UserDTO.model_validate(user)
    if session.exec(select(Account.id)).first() is not None:
        raise Conflict("This database already has accounts; log in with one of them.")
    account = Account(name=LOCAL_ACCOUNT_NAME)
    session.add(account)
    session.flush()
    user = User(
        account_id=account.id,
        email=LOCAL_EMAIL,
        name=(name or "").strip()[:200] or "Local user",
        role="owner",
        password_hash=hash_password(secrets.token_urlsafe(32)),
    )
    session.add(user)
    session.flush()
    return UserDTO.model_validate(user)


def issue_login_code(*, user_id: str, code_file: Path, ttl_seconds: int = CODE_TTL_SECONDS) -> str:
    """Mint a one-time login code for `user_id`; only its SHA-256 is written to `code_file` (mode 0600).

    A new code replaces any unused older one.

    Args:
        user_id: the user the code signs in.
        code_file: where the desktop server looks for the code (RF_DESKTOP_LOGIN_FILE).
        ttl_seconds: how long the code is valid.

    Returns:
        The raw code, to be put in the window's first URL.
    """
    code = secrets.token_urlsafe(32)
    record = {"sha256": _digest(code), "user_id": str(user_id), "expires": time.time() + ttl_seconds}
    code_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = code_file.with_name(f"{code_file.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(record, fh)
    os.replace(tmp, code_file)
    return code


def redeem_login_code(*, session: Session, code: str, code_file: str, client: str, ttl_hours: int) -> str:
    """Exchange a one-time desktop code for a normal login token.

    Args:
        session: DB session.
        code: the raw code from the URL.
        code_file: RF_DESKTOP_LOGIN_FILE; empty when the server is not the desktop app.
        client: the caller's IP address; only loopback callers may redeem.
        ttl_hours: lifetime of the login token.

    Returns:
        A bearer token of the code's user.

    Raises:
        NotFound: the server is not in desktop mode, or the caller is not on this machine.
        Unauthorized: unknown, expired or already used code.
    """
    if not code_file or not _is_loopback(client):
        raise NotFound(NOT_DESKTOP)
    path = Path(code_file)
    claimed = path.with_name(f"{path.name}.{secrets.token_hex(4)}.claimed")
    try:
        os.replace(path, claimed)  # atomic: of two concurrent redeemers only one gets the file
    except FileNotFoundError:
        raise Unauthorized(INVALID_CODE) from None
    try:
        record = json.loads(claimed.read_text())
    except (OSError, ValueError):
        raise Unauthorized(INVALID_CODE) from None
    finally:
        claimed.unlink(missing_ok=True)
    if (
        not hmac.compare_digest(str(record.get("sha256", "")), _digest(code or ""))
        or record.get("expires", 0) < time.time()
    ):
        raise Unauthorized(INVALID_CODE)
    user = session.exec(select(User).where(User.id == _uuid(record.get("user_id")))).first()
    if user is None or not user.is_active:
        raise Unauthorized(INVALID_CODE)
    return issue_token(session=session, user=user, ttl_hours=ttl_hours)


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _is_loopback(client: str) -> bool:
    try:
        return ipaddress.ip_address((client or "").strip("[]")).is_loopback
    except ValueError:
        return False
