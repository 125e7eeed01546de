"""Live sessions API: start, list, walk, custom steps, complete, save as flow, delete."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from resolutionflow_app.api.deps import CurrentUser, Paging, SessionDep, page
from resolutionflow_app.services import sessions as sessions_service

router = APIRouter(tags=["sessions"])


class StartBody(BaseModel):
    tree_id: str = Field(max_length=64)


class AdvanceBody(BaseModel):
    node_id: str = Field(max_length=255)
    answer: str | None = Field(default=None, max_length=500)
    notes: str | None = Field(default=None, max_length=10000)


class BackBody(BaseModel):
    to_node_id: str | None = Field(default=None, max_length=255)


class NotesBody(BaseModel):
    node_id: str = Field(max_length=255)
    notes: str | None = Field(default=None, max_length=10000)


class CustomStepBody(BaseModel):
    type: str = "action"
    content: str | None = Field(default=None, max_length=10000)
    notes: str | None = Field(default=None, max_length=10000)
    source: str = "ad-hoc"
    source_step_id: str | None = Field(default=None, max_length=64)
    inserted_after_node_id: str | None = Field(default=None, max_length=255)


class CompleteBody(BaseModel):
    outcome: str
    summary: str | None = Field(default=None, max_length=20000)


@router.post("/sessions", status_code=201)
def start_session(body: StartBody, user: CurrentUser, session: SessionDep) -> sessions_service.SessionDTO:
    """Start a session on a published flow."""
    return sessions_service.start_session(session=session, actor=user, tree_id=body.tree_id)


@router.get("/sessions")
def list_sessions(
    *,
    scope: str = Query("account", description="account (default: every session the caller may read) or mine"),
    q: str | None = Query(None, max_length=200, description="Search the flow name and summary"),
    tree_id: str | None = None,
    outcome: str | None = None,
    status: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    paging: Paging = Depends(),
    user: CurrentUser,
    session: SessionDep,
) -> dict:
    """Sessions the caller may read: the whole account's (default, API.md: members read each other's) or scope=mine."""
    items, total = sessions_service.list_sessions(
        session=session,
        actor=user,
        scope=scope,
        q=q,
        tree_id=tree_id,
        outcome=outcome,
        status=status,
        date_from=date_from,
        date_to=date_to,
        limit=paging.limit,
        offset=paging.offset,
    )
    return page(items, total)


@router.get("/sessions/{session_id}")
def get_session(session_id: str, user: CurrentUser, session: SessionDep) -> sessions_service.SessionDTO:
    """One session of the caller's account."""
    return sessions_service.get_session(session=session, actor=user, session_id=session_id)


@router.post("/sessions/{session_id}/advance")
def advance(session_id: str, body: AdvanceBody, user: CurrentUser, session: SessionDep) -> sessions_service.SessionDTO:
    """Answer the current node, or tick a procedure step."""
    return sessions_service.advance(session=session, actor=user, session_id=session_id, **body.model_dump())


@router.post("/sessions/{session_id}/back")
def back(
    *, session_id: str, body: BackBody | None = None, user: CurrentUser, session: SessionDep
) -> sessions_service.SessionDTO:
    """Undo the last answer, or jump back to `to_node_id` on the path."""
    return sessions_service.back(
        session=session, actor=user, session_id=session_id, to_node_id=body.to_node_id if body else None
    )


@router.put("/sessions/{session_id}/notes")
def set_notes(session_id: str, body: NotesBody, user: CurrentUser, session: SessionDep) -> sessions_service.SessionDTO:
    """Notes on the current node or a node on the path."""
    return sessions_service.set_notes(
        session=session, actor=user, session_id=session_id, node_id=body.node_id, notes=body.notes
    )


@router.post("/sessions/{session_id}/custom-steps")
def add_custom_step(
    session_id: str, body: CustomStepBody, user: CurrentUser, session: SessionDep
) -> sessions_service.SessionDTO:
    """Insert an ad-hoc or library step."""
    return sessions_service.add_custom_step(session=session, actor=user, session_id=session_id, **body.model_dump())


@router.post("/sessions/{session_id}/complete")
def complete(
    session_id: str, body: CompleteBody, user: CurrentUser, session: SessionDep
) -> sessions_service.SessionDTO:
    """Finish the session with an outcome."""
    return sessions_service.complete_session(
        session=session, actor=user, session_id=session_id, outcome=body.outcome, summary=body.summary
    )


@router.post("/sessions/{session_id}/save-as-flow", status_code=201)
def save_as_flow(session_id: str, user: CurrentUser, session: SessionDep):
    """A new draft flow from the path taken plus custom steps."""
    return sessions_service.save_as_flow(session=session, actor=user, session_id=session_id)


@router.delete("/sessions/{session_id}", status_code=204)
def delete_session(session_id: str, user: CurrentUser, session: SessionDep) -> Response:
    """Delete a session you started (and its share links)."""
    sessions_service.delete_session(session=session, actor=user, session_id=session_id)
    return Response(status_code=204)
