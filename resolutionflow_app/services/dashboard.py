"""The home page summary: what the user can work on right now."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func
from sqlmodel import Session, col, select

from resolutionflow_app.db.models import (
    Automation,
    LibraryStep,
    SupportSession,
    Tree,
    User,
)
from resolutionflow_app.services.dto import DTO
from resolutionflow_app.services.visibility import visible_steps, visible_trees


class FlowSummary(DTO):
    """A flow as the home page lists it."""

    id: uuid.UUID
    name: str
    tree_type: str
    status: str
    updated_at: datetime


class SessionSummary(DTO):
    """A session as the home page lists it."""

    id: uuid.UUID
    tree_name: str
    status: str
    outcome: str | None
    started_at: datetime


class Dashboard(DTO):
    """Counts and recent items for the home page."""

    flows_total: int
    flows_published: int
    library_steps: int
    sessions_open: int
    automations: int
    recent_flows: list[FlowSummary]
    recent_sessions: list[SessionSummary]


def home_dashboard(*, session: Session, actor: User) -> Dashboard:
    """Summarise the flows, library, sessions and automations the actor can see.

    Args:
        session: DB session.
        actor: the logged-in user.

    Returns:
        Counts plus the five most recently changed flows and the actor's latest sessions.
    """
    visible = col(Tree.is_active).is_(True) & visible_trees(actor)

    def count(query: Select[Any]) -> int:
        return session.exec(select(func.count()).select_from(query.subquery())).one()

    flows = select(Tree.id).where(visible)
    recent = session.exec(select(Tree).where(visible).order_by(col(Tree.updated_at).desc()).limit(5)).all()
    sessions = session.exec(
        select(SupportSession)
        .where(col(SupportSession.user_id) == actor.id)
        .order_by(col(SupportSession.started_at).desc())
        .limit(5)
    ).all()
    return Dashboard(
        flows_total=count(flows),
        flows_published=count(flows.where(Tree.status == "published")),
        library_steps=count(
            select(col(LibraryStep.id)).where(col(LibraryStep.is_active).is_(True), visible_steps(actor))
        ),
        sessions_open=count(
            select(SupportSession.id).where(SupportSession.user_id == actor.id, SupportSession.status == "in_progress")
        ),
        automations=count(select(Automation.id).where(Automation.account_id == actor.account_id)),
        recent_flows=[FlowSummary.model_validate(t) for t in recent],
        recent_sessions=[SessionSummary.model_validate(s) for s in sessions],
    )
