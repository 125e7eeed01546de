"""Stored files (uploads and generated documents); bytes live in the database."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, delete, select

from resolutionflow_app.db.models import StoredFile, User
from resolutionflow_app.domain.errors import InvalidInput, NotFound
from resolutionflow_app.services.dto import DTO

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # the default of RF_MAX_UPLOAD_BYTES (the API refuses larger bodies with 413 first)


class FileDTO(DTO):
    """A file's metadata as the API shows it."""

    id: uuid.UUID
    name: str
    content_type: str
    size: int
    sha256: str
    automation_run_id: uuid.UUID | None = None
    created_at: datetime | None = None


def _clean_name(name: str | None) -> str:
    name = (name or "file").replace("\\", "/").split("/")[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"\r\n')
    return (name or "file")[:255]


def store_file(
    *,
    session: Session,
    account_id: uuid.UUID,
    name: str,
    content_type: str | None,
    data: bytes,
    user_id: uuid.UUID | None = None,
    automation_run_id: uuid.UUID | None = None,
) -> FileDTO:
    """Store bytes as a file of `account_id`.

    Args:
        session: DB session.
        account_id: owning account.
        name: file name (path parts are dropped).
        content_type: MIME type (defaults to application/octet-stream).
        data: the bytes (at most MAX_UPLOAD_BYTES).
        user_id: uploader, if any.
        automation_run_id: the run that generated it, if any.

    Returns:
        The stored file's metadata.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"Files may be at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    row = StoredFile(
        account_id=account_id,
        user_id=user_id,
        automation_run_id=automation_run_id,
        name=_clean_name(name),
        content_type=(content_type or "application/octet-stream")[:200],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )
    session.add(row)
    session.flush()
    return FileDTO.model_validate(row)


def upload(*, session: Session, actor: User, name: str, content_type: str | None, data: bytes) -> FileDTO:
    """A member uploads a file into their account."""
    if not data:
        raise InvalidInput("The file is empty.")
    return store_file(
        session=session, account_id=actor.account_id, user_id=actor.id, name=name, content_type=content_type, data=data
    )


def get_file(*, session: Session, actor: User, file_id: uuid.UUID) -> StoredFile:
    """A file of the actor's account (bytes included); 404 otherwise."""
    row = session.get(StoredFile, file_id)
    if row is None or row.account_id != actor.account_id:
        raise NotFound("File not found.")
    return row


def files_of_account(
    *, session: Session, account_id: uuid.UUID, file_ids: Iterable[str | uuid.UUID]
) -> list[StoredFile]:
    """The given files that belong to the account; raises InvalidInput naming an unknown id."""
    rows = []
    for raw in file_ids:
        try:
            fid = raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
        except ValueError:
            raise InvalidInput(f"{raw!r} is not a file id.") from None
        row = session.get(StoredFile, fid)
        if row is None or row.account_id != account_id:
            raise InvalidInput(f"File {raw} was not found.")
        rows.append(row)
    return rows


def delete_files_system(*, session: Session, account_id: uuid.UUID, file_ids: Iterable[str | uuid.UUID]) -> int:
    """System-level GC (seed P1-9): delete files of an account regardless of who uploaded them."""
    ids = []
    for raw in file_ids:
        try:
            ids.append(raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw)))
        except ValueError:
            continue
    if not ids:
        return 0
    result = session.exec(
        delete(StoredFile).where(col(StoredFile.account_id) == account_id, col(StoredFile.id).in_(ids))
    )
    return result.rowcount or 0


def file_texts(*, session: Session, account_id: uuid.UUID, file_ids: Iterable[str]) -> list[str]:
    """Text content of text-like files (text/*, JSON, XML) among `file_ids`, for model input."""
    texts = []
    for raw in file_ids:
        try:
            row = session.get(StoredFile, uuid.UUID(str(raw)))
        except ValueError:
            continue
        if row is None or row.account_id != account_id:
            continue
        ctype = row.content_type.split(";")[0].strip().lower()
        if ctype.startswith("text/") or ctype in ("application/json", "application/xml", "application/x-yaml"):
            texts.append(f'<file name="{row.name}">\n{row.data.decode("utf-8", errors="replace")}\n</file>')
    return texts


def list_ids_for_runs(*, session: Session, run_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """Ids of files generated by the given runs."""
    if not run_ids:
        return []
    return list(session.exec(select(col(StoredFile.id)).where(col(StoredFile.automation_run_id).in_(run_ids))).all())
