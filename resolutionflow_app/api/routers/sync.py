"""Sync API for desktops: pull, idempotent push, the bundle key, signed bundle download and upload."""

from __future__ import annotations

from fastapi import APIRouter, File, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from resolutionflow_app.api.deps import CurrentUser, SessionDep
from resolutionflow_app.domain.errors import InvalidInput
from resolutionflow_app.services import sync as service
from resolutionflow_app.settings import get_settings

router = APIRouter(tags=["sync"])


class PushBody(BaseModel):
    sessions: list[service.SessionItem] = Field(default_factory=list, max_length=service.MAX_PUSH_SESSIONS)


@router.get("/sync/pull")
def pull(user: CurrentUser, session: SessionDep) -> dict:
    """The account's published flows and the library steps the caller may see, each with id and version."""
    return service.pull(session=session, actor=user)


@router.post("/sync/push")
def push(body: PushBody, user: CurrentUser, session: SessionDep) -> dict:
    """Store sessions run offline (idempotent by id + content); conflicts are answered, never stored silently."""
    return service.push(session=session, actor=user, sessions=body.sessions)


@router.post("/sync/token", status_code=201)
def sync_token(user: CurrentUser, session: SessionDep) -> dict:
    """A long-lived token for a desktop (90 days; revoked by logout with it or a password change)."""
    return service.issue_sync_token(session=session, actor=user)


@router.get("/sync/bundle-key")
def bundle_key(user: CurrentUser, session: SessionDep) -> dict:
    """The caller's bundle key: signs and verifies bundle files exchanged without a network."""
    return {"bundle_key": service.bundle_key(session=session, actor=user)}


@router.get("/sync/bundle")
def download_bundle(user: CurrentUser, session: SessionDep) -> Response:
    """A signed pull bundle (what /sync/pull answers) as a file for a desktop."""
    data = service.export_pull_bundle(session=session, actor=user)
    return Response(
        content=data,
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="resolutionflow-pull.rfsync.json"'},
    )


@router.post("/sync/bundle")
async def upload_bundle(*, file: UploadFile = File(...), user: CurrentUser, session: SessionDep) -> dict:
    """Apply a desktop's signed push bundle (multipart `file`); a tampered file is refused with 422."""
    limit = get_settings().max_body_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"Bundles may be at most {limit} bytes.")
    # An async route (it awaits the upload): the database work goes to a thread, never the event loop.
    return await run_in_threadpool(service.import_push_bundle, session=session, actor=user, data=data)
