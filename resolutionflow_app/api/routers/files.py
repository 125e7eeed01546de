"""Files: `POST /files` (multipart `file`) and `GET /files/{id}` (the bytes)."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from fastapi import APIRouter, File, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from resolutionflow_app.api.deps import CurrentUser, SessionDep
from resolutionflow_app.domain.errors import InvalidInput
from resolutionflow_app.services import files as service

router = APIRouter(tags=["automations"])


@router.post("/files", status_code=201)
async def upload_file(*, file: UploadFile = File(...), user: CurrentUser, session: SessionDep) -> service.FileDTO:
    """Upload one file (at most 20 MB)."""
    data = await file.read(service.MAX_UPLOAD_BYTES + 1)
    if len(data) > service.MAX_UPLOAD_BYTES:
        raise InvalidInput(f"Files may be at most {service.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    # An async route (it awaits the upload's body): the database write goes to a thread, never the event loop.
    return await run_in_threadpool(
        service.upload,
        session=session,
        actor=user,
        name=file.filename or "file",
        content_type=file.content_type,
        data=data,
    )


@router.get("/files/{file_id}")
def download_file(file_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    """The file's bytes, as an attachment."""
    row = service.get_file(session=session, actor=user, file_id=file_id)
    disposition = f"attachment; filename*=UTF-8''{quote(row.name)}"
    return Response(
        content=row.data,
        media_type=row.content_type,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )
