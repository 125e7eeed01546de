"""Analytics: most-used steps, popular ad-hoc steps across sessions, promote to library."""

from __future__ import annotations

import pytest

from resolutionflow_app.domain.errors import InvalidInput
from resolutionflow_app.services import analytics, library_search
from resolutionflow_app.services import sessions as svc
from tests.factories import make_account, make_user
from tests.library_helpers import make_step, make_tree


@pytest.fixture
def team(session):
    acct = make_account(session)
    author = make_user(session, acct, role="author")
    engineer = make_user(session, acct, role="engineer")
    outsider = make_user(session, make_account(session, "Other"), role="owner")
    return author, engineer, outsider, make_tree(session, author)


def _start(session, actor, tree):
    return svc.start_session(session=session, actor=actor, tree_id=tree.id)


def test_popular_ad_hoc_steps_group_normalised_text_across_sessions(session, team) -> None:
    author, engineer, outsider, tree = team
    texts = ["Check Meraki dashboard", "check meraki  dashboard.", "CHECK MERAKI DASHBOARD"]
    for text in texts:
        s = _start(session, engineer, tree)
        svc.add_custom_step(session=session, actor=engineer, session_id=s.id, type="action", content=text)
    one = _start(session, author, tree)
    svc.add_custom_step(session=session, actor=author, session_id=one.id, type="action", content="Only once")
    svc.add_custom_step(session=session, actor=author, session_id=one.id, type="action", content="Twice in one session")
    svc.add_custom_step(session=session, actor=author, session_id=one.id, type="action", content="twice in one session")
    step = make_step(session, author)
    for _ in range(2):
        s = _start(session, author, tree)
        svc.add_custom_step(
            session=session, actor=author, session_id=s.id, type="action", source="step-library", source_step_id=step.id
        )
    other_tree = make_tree(session, outsider)
    for _ in range(3):
        s = _start(session, outsider, other_tree)
        svc.add_custom_step(
            session=session, actor=outsider, session_id=s.id, type="action", content="Check Meraki dashboard"
        )
    items, total = analytics.popular_ad_hoc_steps(session=session, actor=engineer)
    assert total == 1
    assert items[0]["sessions_count"] == 3
    assert items[0]["content"].lower().startswith("check meraki")
    assert items[0]["last_used_at"] is not None
    assert analytics.popular_ad_hoc_steps(session=session, actor=outsider)[0][0]["sessions_count"] == 3


def test_promote_creates_manual_step(session, team) -> None:
    author, engineer, _, _ = team
    dto = analytics.promote_ad_hoc_step(
        session=session, actor=engineer, content="Check Meraki dashboard\nLook at the AP list"
    )
    assert dto.title == "Check Meraki dashboard"
    assert dto.is_flow_synced is False
    assert dto.created_by == engineer.id
    assert dto.visibility == "team"
    assert dto.content["instructions"].endswith("AP list")
    assert library_search.list_steps(session=session, actor=author, q="meraki")[1] == 1
    titled = analytics.promote_ad_hoc_step(
        session=session, actor=engineer, content="x", title="Named", visibility="private"
    )
    assert titled.title == "Named"
    assert titled.visibility == "private"
    with pytest.raises(InvalidInput):
        analytics.promote_ad_hoc_step(session=session, actor=engineer, content="   ")
    with pytest.raises(InvalidInput):
        analytics.promote_ad_hoc_step(session=session, actor=engineer, content="x", visibility="galaxy")


def test_most_used_steps(session, team) -> None:
    author, engineer, outsider, tree = team
    a, b = make_step(session, author, title="A"), make_step(session, author, title="B")
    make_step(session, author, title="Unused")
    s = _start(session, engineer, tree)
    for step, n in ((a, 1), (b, 2)):
        for _ in range(n):
            svc.add_custom_step(
                session=session,
                actor=engineer,
                session_id=s.id,
                type="action",
                source="step-library",
                source_step_id=step.id,
            )
    assert [d.title for d in analytics.most_used_steps(session=session, actor=engineer)] == ["B", "A"]
    assert analytics.most_used_steps(session=session, actor=outsider) == []
