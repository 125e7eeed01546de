"""Test helpers for share links: sessions inserted directly, links created and aged."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import Session

from resolutionflow_app.db.models import User
from resolutionflow_app.db.models.sessions import SessionShare, SupportSession
from resolutionflow_app.db.types import utcnow

SNAPSHOT = {
    "start_node_id": "q_power",
    "nodes": [
        {
            "id": "q_power",
            "type": "decision",
            "title": "Is the AP powered?",
            "options": [{"label": "Yes", "next": "a_reboot"}, {"label": "No", "next": "s_power"}],
        },
        {"id": "a_reboot", "type": "action", "title": "Reboot the AP", "next": "s_done"},
        {"id": "s_power", "type": "solution", "title": "Restore PoE power"},
        {"id": "s_done", "type": "solution", "title": "AP back online"},
    ],
}


def make_support_session(
    session: Session,
    user: User | None = None,
    *,
    user_id: uuid.UUID | None = None,
    account_id: uuid.UUID | None = None,
    commit: bool = False,
) -> SupportSession:
    """A completed troubleshooting session with a path, notes and two custom steps."""
    now = utcnow()
    row = SupportSession(
        account_id=account_id or user.account_id,
        user_id=user_id or user.id,
        tree_name="Wi-Fi AP offline",
        tree_type="troubleshooting",
        tree_snapshot=SNAPSHOT,
        status="completed",
        current_node_id=None,
        history=[
            {
                "node_id": "q_power",
                "answer": "Yes",
                "notes": "LED is green",
                "at": (now - timedelta(minutes=9)).isoformat(),
            },
            {
                "node_id": "a_reboot",
                "answer": None,
                "notes": "Rebooted via SSH",
                "at": (now - timedelta(minutes=5)).isoformat(),
            },
            {"node_id": "s_done", "answer": None, "notes": "", "at": (now - timedelta(minutes=2)).isoformat()},
        ],
        custom_steps=[
            {
                "type": "action",
                "content": "Check Meraki dashboard for AP status",
                "notes": "Found AP offline",
                "source": "ad-hoc",
                "source_step_id": None,
                "inserted_at": now.isoformat(),
                "inserted_after_node_id": "q_power",
            },
            {
                "type": "action",
                "content": {"instructions": "Verify DNS configuration"},
                "notes": "DNS ok",
                "source": "step-library",
                "source_step_id": str(uuid.uuid4()),
                "inserted_at": now.isoformat(),
                "inserted_after_node_id": "a_reboot",
            },
        ],
        outcome="resolved",
        summary="AP rebooted; clients reconnected.",
        started_at=now - timedelta(minutes=10),
        completed_at=now - timedelta(minutes=1),
    )
    session.add(row)
    session.flush()
    if commit:
        session.commit()
    return row


def age_share(
    session: Session,
    share_id,
    *,
    expired_days_ago: float | None = None,
    revoked_days_ago: float | None = None,
    commit: bool = True,
) -> SessionShare:
    """Move a link's expiry and/or revocation into the past."""
    share = session.get(SessionShare, share_id)
    now = utcnow()
    if expired_days_ago is not None:
        share.expires_at = now - timedelta(days=expired_days_ago)
    if revoked_days_ago is not None:
        share.is_active = False
        share.revoked_at = now - timedelta(days=revoked_days_ago)
    session.add(share)
    session.flush()
    if commit:
        session.commit()
    return share
