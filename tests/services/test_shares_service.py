"""Share links service: the seed's "Session Sharing Tests", hashing, collisions, access rules."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel, select

from resolutionflow_app.db.models.sessions import (
    SessionShare,
    SessionShareView,
    SupportSession,
)
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.domain.errors import (
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from resolutionflow_app.services import shares as svc
from tests.factories import make_account, make_user
from tests.share_helpers import age_share, make_support_session


@pytest.fixture
def world(session):
    acme = make_account(session, "Acme")
    other = make_account(session, "Globex")
    owner = make_user(session, acme, role="engineer", name="Erin Engineer")
    member = make_user(session, acme, role="engineer")
    outsider = make_user(session, other, role="owner")
    row = make_support_session(session, owner)
    return {"account": acme, "owner": owner, "member": member, "outsider": outsider, "row": row}


def _create(session, world, **kw):
    return svc.create_share(session=session, actor=world["owner"], session_id=world["row"].id, **kw)


def test_create_public_share_generates_unique_url_safe_tokens(session, world):
    a = _create(session, world)
    b = _create(session, world)
    assert a.share_token != b.share_token
    assert len(a.share_token) >= 43
    assert svc._TOKEN_RE.match(a.share_token)
    assert a.url.endswith(f"/share/{a.share_token}")
    assert a.visibility == "public"
    assert a.is_active
    assert a.status == "active"
    stored = session.exec(select(SessionShare.share_token)).all()
    assert sorted(stored) == sorted([svc.hash_token(a.share_token), svc.hash_token(b.share_token)])


def test_raw_token_is_nowhere_in_the_database(session, world):
    created = _create(session, world, share_name="Customer escalation #1234")
    svc.resolve_by_token(session=session, token=created.share_token, viewer=None, ip="10.0.0.1", user_agent="UA")
    session.flush()
    dump = []
    for table in SQLModel.metadata.sorted_tables:
        for r in session.execute(sa.select(table)).all():
            dump.append(repr(tuple(r)))
    text = "\n".join(dump)
    assert created.share_token not in text
    assert svc.hash_token(created.share_token) in text


def test_public_share_works_without_auth(session, world):
    created = _create(session, world)
    got = svc.resolve_by_token(
        session=session, token=created.share_token, viewer=None, ip="1.2.3.4", user_agent="pytest"
    )
    assert got.share["visibility"] == "public"
    s = got.session
    assert s.tree_name == "Wi-Fi AP offline"
    assert s.engineer_name == "Erin Engineer"
    assert s.outcome == "resolved"
    assert [h.title for h in s.history] == ["Is the AP powered?", "Reboot the AP", "AP back online"]
    assert s.history[0].answer == "Yes"
    assert s.history[1].notes == "Rebooted via SSH"
    assert [c.source for c in s.custom_steps] == ["ad-hoc", "step-library"]
    assert s.custom_steps[1].content == "Verify DNS configuration"
    assert "can_edit" not in s.model_dump()
    assert "tree_snapshot" not in s.model_dump()


def test_account_only_share_requires_auth(session, world):
    created = _create(session, world, visibility="account")
    with pytest.raises(Unauthorized):
        svc.resolve_by_token(session=session, token=created.share_token, viewer=None)


def test_account_only_share_outsider_forbidden(session, world):
    created = _create(session, world, visibility="account")
    with pytest.raises(Forbidden) as exc:
        svc.resolve_by_token(session=session, token=created.share_token, viewer=world["outsider"])
    assert exc.value.message == "You don't have access to this session"
    assert session.exec(select(SessionShareView)).all() == []


def test_account_only_share_member_works_and_view_logged(session, world):
    created = _create(session, world, visibility="account")
    svc.resolve_by_token(
        session=session, token=created.share_token, viewer=world["member"], ip="10.1.1.1", user_agent="Firefox"
    )
    views = session.exec(select(SessionShareView)).all()
    assert len(views) == 1
    assert views[0].viewer_id == world["member"].id
    assert views[0].viewer_ip == "10.1.1.1"
    assert views[0].viewer_user_agent == "Firefox"


def test_policy_forbids_public_share(session, world):
    world["account"].allow_public_shares = False
    session.add(world["account"])
    session.flush()
    with pytest.raises(Forbidden) as exc:
        _create(session, world, visibility="public")
    assert exc.value.message == "Your organization does not allow public session sharing. Use account-only visibility."
    assert _create(session, world, visibility="account").visibility == "account"


def test_public_links_are_grandfathered_when_policy_switched_off(session, world):
    created = _create(session, world)
    world["account"].allow_public_shares = False
    session.add(world["account"])
    session.flush()
    assert svc.resolve_by_token(session=session, token=created.share_token, viewer=None).share["visibility"] == "public"


def test_expired_share_is_gone(session, world):
    created = _create(session, world, expires_at=utcnow() + timedelta(hours=1))
    age_share(session, created.id, expired_days_ago=0.001, commit=False)
    with pytest.raises(Gone):
        svc.resolve_by_token(session=session, token=created.share_token, viewer=None)
    assert svc.list_my_shares(session=session, actor=world["owner"])[0][0].status == "expired"


def test_revoked_share_is_not_found_like_unknown(session, world):
    created = _create(session, world)
    svc.revoke_share(session=session, actor=world["owner"], share_id=created.id)
    with pytest.raises(NotFound) as revoked:
        svc.resolve_by_token(session=session, token=created.share_token, viewer=world["member"])
    with pytest.raises(NotFound) as unknown:
        svc.resolve_by_token(session=session, token=secrets.token_urlsafe(32), viewer=world["member"])
    assert revoked.value.message == unknown.value.message
    row = session.get(SessionShare, created.id)
    assert row.is_active is False
    assert row.revoked_at is not None
    assert svc.list_my_shares(session=session, actor=world["owner"])[0][0].status == "revoked"


def test_revoked_and_expired_is_still_not_found(session, world):
    created = _create(session, world)
    age_share(session, created.id, expired_days_ago=1, revoked_days_ago=1, commit=False)
    with pytest.raises(NotFound):
        svc.resolve_by_token(session=session, token=created.share_token, viewer=None)


def test_multiple_shares_work_independently(session, world):
    a = _create(session, world, share_name="Customer")
    b = _create(session, world, visibility="account", share_name="Team")
    c = _create(session, world, expires_at=utcnow() + timedelta(hours=24), share_name="Contractor")
    svc.revoke_share(session=session, actor=world["owner"], share_id=a.id)
    with pytest.raises(NotFound):
        svc.resolve_by_token(session=session, token=a.share_token, viewer=None)
    svc.resolve_by_token(session=session, token=b.share_token, viewer=world["member"])
    svc.resolve_by_token(session=session, token=c.share_token, viewer=None)
    svc.resolve_by_token(session=session, token=c.share_token, viewer=None)
    items, total = svc.list_my_shares(session=session, actor=world["owner"])
    by_name = {i.share_name: i for i in items}
    assert total == 3
    assert (by_name["Customer"].status, by_name["Customer"].view_count) == ("revoked", 0)
    assert (by_name["Team"].status, by_name["Team"].view_count) == ("active", 1)
    assert (by_name["Contractor"].status, by_name["Contractor"].view_count) == ("active", 2)


def test_view_tracking_rows_and_counters(session, world):
    created = _create(session, world)
    for i in range(3):
        svc.resolve_by_token(
            session=session, token=created.share_token, viewer=None, ip=f"10.0.0.{i}", user_agent="x" * 900
        )
    session.expire_all()
    share = session.get(SessionShare, created.id)
    assert share.view_count == 3
    assert share.last_viewed_at is not None
    views, total = svc.list_views(session=session, actor=world["owner"], share_id=created.id)
    assert total == 3
    assert all(v.viewer_id is None for v in views)
    assert all(len(v.viewer_user_agent) == 500 for v in views)
    per_day = svc.views_per_day(session=session, actor=world["owner"], share_id=created.id, days=7)
    assert len(per_day) == 7
    assert per_day[-1]["views"] == 3
    assert sum(d["views"] for d in per_day) == 3


def test_view_log_names_account_viewers(session, world):
    created = _create(session, world, visibility="account")
    svc.resolve_by_token(session=session, token=created.share_token, viewer=world["member"])
    views, _ = svc.list_views(session=session, actor=world["owner"], share_id=created.id)
    assert views[0].viewer_name == world["member"].name


def test_delete_session_cascades_shares(session, world):
    created = _create(session, world)
    svc.resolve_by_token(session=session, token=created.share_token, viewer=None)
    session.commit()
    session.execute(sa.delete(SupportSession).where(SupportSession.id == world["row"].id))
    session.commit()
    session.expire_all()
    assert session.exec(select(SessionShare)).all() == []
    assert session.exec(select(SessionShareView)).all() == []


def test_only_the_starter_may_share(session, world):
    with pytest.raises(Forbidden):
        svc.create_share(session=session, actor=world["member"], session_id=world["row"].id)
    with pytest.raises(NotFound):
        svc.create_share(session=session, actor=world["outsider"], session_id=world["row"].id)
    with pytest.raises(NotFound):
        svc.create_share(session=session, actor=world["owner"], session_id=uuid.uuid4())


def test_bad_input_is_rejected(session, world):
    with pytest.raises(InvalidInput):
        _create(session, world, expires_at=utcnow() - timedelta(minutes=1))
    with pytest.raises(InvalidInput):
        _create(session, world, share_name="x" * 101)
    with pytest.raises(InvalidInput):
        _create(session, world, visibility="team")
    assert _create(session, world, share_name="x" * 100).share_name == "x" * 100
    assert session.exec(select(sa.func.count()).select_from(SessionShare)).one() == 1


def test_only_the_creator_revokes_or_sees_views(session, world):
    created = _create(session, world)
    for actor in (world["member"], world["outsider"]):
        with pytest.raises(NotFound):
            svc.revoke_share(session=session, actor=actor, share_id=created.id)
        with pytest.raises(NotFound):
            svc.list_views(session=session, actor=actor, share_id=created.id)
        assert svc.list_my_shares(session=session, actor=actor) == ([], 0)
    assert session.get(SessionShare, created.id).is_active


def test_token_collision_is_retried(session, world, monkeypatch):
    first = _create(session, world)
    tokens = iter([first.share_token, first.share_token, "fresh-token-" + "a" * 40])
    monkeypatch.setattr(svc, "new_token", lambda: next(tokens))
    second = _create(session, world)
    assert second.share_token == "fresh-token-" + "a" * 40
    assert session.exec(select(sa.func.count()).select_from(SessionShare)).one() == 2


def test_token_collision_gives_up_after_retries(session, world, monkeypatch):
    first = _create(session, world)
    monkeypatch.setattr(svc, "new_token", lambda: first.share_token)
    with pytest.raises(sa.exc.IntegrityError):
        _create(session, world)
    assert session.exec(select(sa.func.count()).select_from(SessionShare)).one() == 1


def test_thousand_random_tokens_are_all_rejected(session, world):
    for _ in range(3):
        _create(session, world)
    rejected = 0
    for _ in range(1000):
        try:
            svc.resolve_by_token(session=session, token=secrets.token_urlsafe(32), viewer=None)
        except NotFound:
            rejected += 1
    assert rejected == 1000
    for junk in ("", "a", "../../etc/passwd", "x" * 500, "tok en", "ö" * 40, "\x00" * 43):
        with pytest.raises(NotFound):
            svc.resolve_by_token(session=session, token=junk, viewer=None)
    assert session.exec(select(SessionShareView)).all() == []


def test_cleanup_filter(session, world):
    names = {}
    for name in ("fresh", "expired_old", "expired_recent", "revoked_old", "revoked_recent", "never_expires"):
        names[name] = _create(
            session,
            world,
            share_name=name,
            expires_at=None if name == "never_expires" else utcnow() + timedelta(days=1),
        )
    age_share(session, names["expired_old"].id, expired_days_ago=31, commit=False)
    age_share(session, names["expired_recent"].id, expired_days_ago=5, commit=False)
    age_share(session, names["revoked_old"].id, revoked_days_ago=31, commit=False)
    age_share(session, names["revoked_recent"].id, revoked_days_ago=5, commit=False)
    session.add(SessionShareView(share_id=names["expired_old"].id, viewer_ip="1.1.1.1"))
    session.add(SessionShareView(share_id=names["revoked_old"].id, viewer_ip="1.1.1.1"))
    session.add(SessionShareView(share_id=names["fresh"].id, viewer_ip="1.1.1.1"))
    session.flush()
    assert svc.cleanup_shares(session=session, retention_days=30) == 2
    left = {s.share_name for s in session.exec(select(SessionShare)).all()}
    assert left == {"fresh", "expired_recent", "revoked_recent", "never_expires"}
    assert [v.share_id for v in session.exec(select(SessionShareView)).all()] == [names["fresh"].id]
    assert svc.cleanup_shares(session=session, retention_days=30) == 0


def test_cleanup_job_is_registered_daily(session, world):
    from resolutionflow_app.workers_registry import periodic_jobs

    job = periodic_jobs()["cleanup-shares"]
    assert job.interval_seconds == 86400
    created = _create(session, world, expires_at=utcnow() + timedelta(days=1))
    age_share(session, created.id, expired_days_ago=100, commit=False)
    assert job.run(session=session) == 1


def test_procedure_share_shows_checklist_and_skips_pending(session, world):
    row = world["row"]
    row.tree_type = "procedural"
    row.tree_snapshot = {
        "steps": [
            {"id": "sec", "type": "section_header", "title": "Prep"},
            {"id": "st1", "type": "procedure_step", "title": "Back up the config"},
            {"id": "st2", "type": "procedure_step", "title": "Upgrade firmware"},
            {"id": "end", "type": "procedure_end", "title": "Done"},
        ]
    }
    row.history = [
        {"node_id": "st1", "notes": "saved", "at": utcnow().isoformat()},
        {"node_id": "st2", "notes": "draft note", "pending": True},
    ]
    session.add(row)
    session.flush()
    created = _create(session, world)
    view = svc.resolve_by_token(session=session, token=created.share_token, viewer=None).session
    assert [h.title for h in view.history] == ["Back up the config"]
    done = {s.title: s.done for s in view.steps}
    assert done["Back up the config"] is True
    assert done["Upgrade firmware"] is False


def test_dialog_expiry_choices():
    from datetime import datetime

    from resolutionflow_app.state.share_dialog import expiry_from_choice

    now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    assert expiry_from_choice("24h", "", now) == now + timedelta(hours=24)
    assert expiry_from_choice("7d", "", now) == now + timedelta(days=7)
    assert expiry_from_choice("30d", "", now) == now + timedelta(days=30)
    assert expiry_from_choice("never", "", now) is None
    assert expiry_from_choice("custom", "2030-02-03", now) == datetime(2030, 2, 3, 23, 59, 59, tzinfo=UTC)
    with pytest.raises(ValueError):
        expiry_from_choice("custom", "", now)


def test_completed_session_path_ends_on_the_final_node(session, world):
    row = world["row"]
    row.history = row.history[:2]
    row.current_node_id = "s_done"
    session.add(row)
    session.flush()
    created = _create(session, world)
    view = svc.resolve_by_token(session=session, token=created.share_token, viewer=None).session
    assert [h.title for h in view.history] == ["Is the AP powered?", "Reboot the AP", "AP back online"]
    assert view.history[-1].node_type == "solution"
