"""Library analytics: most-used steps, popular ad-hoc steps, promoting an ad-hoc step to the library."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from resolutionflow_app.db.models import LibraryStep, SupportSession, User
from resolutionflow_app.domain import session_rules as rules
from resolutionflow_app.domain.errors import InvalidInput
from resolutionflow_app.domain.session_automation import SOURCE
from resolutionflow_app.services import library
from resolutionflow_app.services.session_automation_results import resolve_unattached
from resolutionflow_app.services.visibility import visible_steps

MIN_SESSIONS = 2  # "the same text typed in several sessions"


def most_used_steps(*, session: Session, actor: User, limit: int = 10) -> list[library.LibraryStepDTO]:
    """The active library steps the actor may see, most inserted first."""
    rows = session.exec(
        select(LibraryStep)
        .where(visible_steps(actor), col(LibraryStep.is_active).is_(True), col(LibraryStep.usage_count) > 0)
        .order_by(col(LibraryStep.usage_count).desc(), col(LibraryStep.created_at).desc())
        .limit(limit)
    ).all()
    return library.to_dtos(session, actor, list(rows))


def _parse_time(value: Any, fallback: datetime) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=fallback.tzinfo)
        except ValueError:
            return fallback
    return fallback


def popular_ad_hoc_steps(
    *, session: Session, actor: User, limit: int = 50, offset: int = 0, min_sessions: int = MIN_SESSIONS
) -> tuple[list[dict[str, Any]], int]:
    """Ad-hoc step texts typed in several sessions of the actor's account.

    Texts are grouped after normalising case, spacing and trailing punctuation; the most common
    spelling is shown.

    Returns:
        ([{content, sessions_count, last_used_at}] sorted by sessions_count desc, total groups).
    """
    groups: dict[str, dict[str, Any]] = {}
    rows = session.exec(
        select(SupportSession.id, SupportSession.custom_steps, SupportSession.started_at).where(
            SupportSession.account_id == actor.account_id
        )
    ).all()
    for session_id, raw, started_at in rows:
        for step in rules.load_custom_steps(raw):
            if step.get("source") != "ad-hoc":
                continue
            key = rules.normalise_text(step.get("content") or "")
            if not key:
                continue
            group = groups.setdefault(key, {"sessions": set(), "spellings": {}, "last": None})
            group["sessions"].add(session_id)
            text = (step.get("content") or "").strip()
            group["spellings"][text] = group["spellings"].get(text, 0) + 1
            at = _parse_time(step.get("inserted_at"), started_at)
            if group["last"] is None or at > group["last"]:
                group["last"] = at
    items = [
        {
            "content": max(g["spellings"].items(), key=lambda kv: (kv[1], kv[0]))[0],
            "normalised": key,
            "sessions_count": len(g["sessions"]),
            "last_used_at": g["last"],
        }
        for key, g in groups.items()
        if len(g["sessions"]) >= min_sessions
    ]
    items.sort(
        key=lambda i: (-i["sessions_count"], -(i["last_used_at"].timestamp() if i["last_used_at"] else 0), i["content"])
    )
    return items[offset : offset + limit], len(items)


def promote_ad_hoc_step(
    *, session: Session, actor: User, content: str, title: str | None = None, visibility: str = "team"
) -> library.LibraryStepDTO:
    """Create a manual library step from an ad-hoc step's text.

    Raises:
        InvalidInput: empty content or bad visibility.
    """
    text = str(content or "").strip()
    if not text:
        raise InvalidInput("Content is required.")
    if len(text) > 10000:
        raise InvalidInput("Content must be at most 10,000 characters.")
    name = str(title or "").strip() or text.splitlines()[0][:120]
    return library.create_step(
        session=session,
        actor=actor,
        title=name,
        step_type="action",
        content={"instructions": text},
        visibility=visibility or "team",
    )


def automations_in_sessions(*, session: Session, actor: User, limit: int = 20) -> list[dict[str, Any]]:
    """Automations engineers ran from troubleshooting sessions: runs, completed, failed, sessions; most-run first."""
    stats: dict[str, dict[str, Any]] = {}
    rows = session.exec(
        select(SupportSession.id, SupportSession.custom_steps).where(SupportSession.account_id == actor.account_id)
    ).all()
    for sid, raw in rows:
        steps = [s for s in rules.load_custom_steps(raw) if s.get("source") == SOURCE]
        resolve_unattached(session, steps)  # runs nobody watched to the end still count with their real status
        for step in steps:
            if not step.get("automation_id"):
                continue
            item = stats.setdefault(
                str(step["automation_id"]),
                {
                    "automation_id": str(step["automation_id"]),
                    "name": step.get("title") or "",
                    "runs": 0,
                    "completed": 0,
                    "failed": 0,
                    "sessions": set(),
                },
            )
            item["runs"] += 1
            status = step.get("run_status") or ""
            item["completed"] += status == "completed"
            item["failed"] += status == "failed"
            item["sessions"].add(str(sid))
    out = sorted(stats.values(), key=lambda i: (-i["runs"], i["name"]))[:limit]
    return [{**i, "sessions": len(i["sessions"])} for i in out]
