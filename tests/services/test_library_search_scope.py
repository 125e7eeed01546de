"""Library search keeps to what each viewer may see, also after visibility, activity and creators change.

On SQLite the full-text index itself carries each step's visibility (the `scope` column, migration
0013); FTS5's integrity check with rank 1 compares the index with the table after every change.
"""

from __future__ import annotations

import random

from sqlmodel import Session

from resolutionflow_app.domain.visibility import can_see_step
from resolutionflow_app.services import library as lib
from resolutionflow_app.services import library_search as search
from resolutionflow_app.services.visibility import viewer_of
from tests.factories import make_account, make_user
from tests.library_helpers import check_search_index, make_step


def _found(session: Session, actor, q: str = "zebra") -> set[str]:
    return {s.title for s in search.search_steps(session=session, actor=actor, q=q, total_cap=None).items}


def test_search_follows_visibility_and_activity_changes(session) -> None:
    acct = make_account(session)
    author, teammate = make_user(session, acct, role="author"), make_user(session, acct, role="engineer")
    outsider = make_user(session, make_account(session, "Other"), role="owner")
    step = lib.create_step(
        session=session,
        actor=author,
        title="Zebra crossing",
        step_type="action",
        content={"instructions": "stripes"},
        visibility="private",
    )
    make_step(session, outsider, title="Zebra of theirs", visibility="team")
    check_search_index(session)
    seen = {"private": ({"Zebra crossing"}, set(), set()), "team": ({"Zebra crossing"}, {"Zebra crossing"}, set())}
    seen["public"] = ({"Zebra crossing"}, {"Zebra crossing"}, {"Zebra crossing", "Zebra of theirs"})
    for visibility in ("private", "team", "public", "private"):
        lib.update_step(session=session, actor=author, step_id=step.id, changes={"visibility": visibility})
        check_search_index(session)
        mine, theirs, outside = seen[visibility]
        assert _found(session, author) == mine, visibility
        assert _found(session, teammate) == theirs, visibility
        assert _found(session, outsider) == outside | {"Zebra of theirs"}, visibility
    lib.update_step(session=session, actor=author, step_id=step.id, changes={"visibility": "public"})
    lib.delete_step(session=session, actor=author, step_id=step.id)  # soft delete: is_active false
    check_search_index(session)
    assert _found(session, author) == set()
    assert _found(session, outsider) == {"Zebra of theirs"}


def test_a_deleted_creators_private_step_leaves_search_and_the_index_consistent(session) -> None:
    acct = make_account(session)
    author, owner = make_user(session, acct, role="author"), make_user(session, acct, role="owner")
    step = make_step(session, author, title="Zebra notes", visibility="private")
    make_step(session, author, title="Zebra for the team", visibility="team")
    assert _found(session, author) == {"Zebra notes", "Zebra for the team"}
    session.delete(author)  # the foreign key sets created_by to NULL, which fires the index's update trigger
    session.flush()
    session.expire_all()
    check_search_index(session)
    assert _found(session, owner) == {"Zebra for the team"}
    session.delete(session.get(type(step), step.id))
    session.flush()
    check_search_index(session)


def test_a_query_cannot_reach_the_scope_tokens(session) -> None:
    acct = make_account(session)
    author = make_user(session, acct, role="author")
    outsider = make_user(session, make_account(session, "Other"), role="owner")
    make_step(session, author, title="Zebra", instructions="stripes", visibility="team")
    marks = search.SCOPE_MARK + "p", search.SCOPE_MARK + "t" + author.account_id.hex, "scope : p"
    for q in marks:
        assert search.search_steps(session=session, actor=outsider, q=q).total == 0, q
    assert search.search_steps(session=session, actor=outsider, q="t").total == 0  # no word of the step starts so


def test_search_agrees_with_the_visibility_rule_for_every_viewer(session, monkeypatch) -> None:
    rng = random.Random(7)
    accounts = [make_account(session, f"Acct {i}") for i in range(3)]
    users = [make_user(session, a, role="author") for a in accounts for _ in range(2)]
    words = ["alpha", "bravo", "charlie", "delta"]
    steps = []
    for i in range(60):
        creator = rng.choice(users)
        text = " ".join(rng.sample(words, 2))
        row = make_step(
            session, creator, title=f"Step {i}", instructions=text, visibility=rng.choice(("private", "team", "public"))
        )
        if rng.random() < 0.15:
            row.is_active = False
        steps.append((row, f"step {i} {text}"))
    session.flush()
    check_search_index(session)
    for user in users:
        viewer = viewer_of(user)
        for q in ("alpha", "br", "charlie delta", "d"):
            expected = {
                row.title
                for row, text in steps
                if row.is_active
                and all(any(w.startswith(t) for w in text.split()) for t in q.split())
                and can_see_step(
                    viewer,
                    visibility=row.visibility,
                    account_id=str(row.account_id),
                    created_by=str(row.created_by) if row.created_by else None,
                )
            }
            for sort in ("relevance", "usage", "newest"):  # the ranked path and the sorted one
                page = search.search_steps(session=session, actor=user, q=q, sort=sort, limit=100, total_cap=None)
                assert {s.title for s in page.items} == expected, (user.email, q, sort)
                assert page.total == len(expected), (user.email, q, sort)
            with monkeypatch.context() as patch:  # past a tiny window the exact total takes its own count
                patch.setattr(search, "RANK_WINDOW", 1)
                assert search.list_steps(session=session, actor=user, q=q, limit=1)[1] == len(expected), (user.email, q)
                got = search.list_steps(session=session, actor=user, q=q, limit=1, step_type="action")[1]
                assert got == len(expected), (user.email, q)  # every step here is an action; the count joins the rows
