"""Accounts: register, login, me, logout, password, members, settings."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from resolutionflow_app import entry
from resolutionflow_app.api.deps import (
    CallerDep,
    CurrentUser,
    Paging,
    SessionDep,
    bearer_token,
    page,
)
from resolutionflow_app.services import auth as auth_service
from resolutionflow_app.settings import get_settings

router = APIRouter(tags=["accounts"])


class RegisterBody(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)
    name: str = Field(max_length=200)
    account_name: str = Field(max_length=200)


class LoginBody(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)


class PasswordBody(BaseModel):
    current_password: str = Field(max_length=1000)
    new_password: str = Field(max_length=1000)


class MemberBody(BaseModel):
    email: str = Field(max_length=320)
    name: str = Field(max_length=200)
    role: str
    password: str = Field(max_length=1000)


class SettingsBody(BaseModel):
    allow_public_shares: bool | None = None
    name: str | None = Field(default=None, max_length=200)
    pause_public_links_when_off: bool | None = None


# Register, login and password change charge the AUTH budget the sign-up, login and account pages share.
@router.post("/auth/register", status_code=201)
def register(body: RegisterBody, caller: CallerDep) -> auth_service.Registration:
    """Create an account and its owner; answers with a bearer token."""
    return caller.call(
        auth_service.register,
        budget=entry.AUTH,
        actor_arg="",
        ttl_hours=get_settings().token_ttl_hours,
        **body.model_dump(),
    )


@router.post("/auth/login")
def login(body: LoginBody, caller: CallerDep) -> dict:
    """Exchange email + password for a bearer token."""
    token = caller.call(
        auth_service.login,
        budget=entry.AUTH,
        actor_arg="",
        email=body.email,
        password=body.password,
        ttl_hours=get_settings().token_ttl_hours,
    )
    return {"access_token": token, "token_type": "bearer", "expires_in": get_settings().token_ttl_hours * 3600}


@router.get("/auth/me")
def me(user: CurrentUser) -> auth_service.UserDTO:
    """The logged-in user."""
    return auth_service.UserDTO.model_validate(user)


@router.post("/auth/logout", status_code=204)
def logout(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    """Revoke the token used for this call."""
    auth_service.logout(session=session, token=bearer_token(request) or "")
    return Response(status_code=204)


@router.post("/auth/password")
def change_password(body: PasswordBody, caller: CallerDep) -> dict:
    """Change the caller's password (other logins are signed out)."""
    caller.call(
        auth_service.change_password,
        budget=entry.AUTH,
        actor_arg="user",
        current_password=body.current_password,
        new_password=body.new_password,
        keep_token=caller.token,
    )
    return {"detail": "Password changed."}


@router.post("/account/members", status_code=201)
def add_member(body: MemberBody, user: CurrentUser, session: SessionDep) -> auth_service.UserDTO:
    """Add a member to the caller's account (owner only)."""
    return auth_service.add_member(session=session, actor=user, **body.model_dump())


@router.get("/account/members")
def list_members(*, paging: Paging = Depends(), user: CurrentUser, session: SessionDep) -> dict:
    """Members of the caller's account."""
    items, total = auth_service.list_members(session=session, actor=user, limit=paging.limit, offset=paging.offset)
    return page(items, total)


@router.get("/account")
def get_account(user: CurrentUser, session: SessionDep) -> auth_service.AccountDTO:
    """The caller's account."""
    return auth_service.get_account(session=session, actor=user)


@router.put("/account/settings")
def update_settings(body: SettingsBody, user: CurrentUser, session: SessionDep) -> auth_service.AccountDTO:
    """Change account policy (owner only)."""
    return auth_service.update_account_settings(session=session, actor=user, **body.model_dump())
