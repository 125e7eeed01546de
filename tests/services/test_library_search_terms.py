"""Library search over PostgreSQL's prefix term table (migration 0015), and the same answers on SQLite.

The term table stores prefixes up to TERM_PREFIX_MAX characters and the search looks up at most
TERM_WORDS plain ASCII words there; longer words, further words and other scripts are checked
against the search vector. These tests pin those edges on both engines, and that concurrent writers
leave the table equal to what the steps give.
"""

from __future__ import annotations

import functools
import threading

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from resolutionflow_app.db.models import LibraryStep
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.services import library as lib
from resolutionflow_app.services import library_search as search
from resolutionflow_app.services import trees as trees_service
from tests.factories import make_account, make_user
from tests.library_helpers import check_search_index, make_step
from tests.threads import run_concurrently
from tests.tree_helpers import troubleshooting


def _titles(session: Session, actor, q: str, **filters) -> set[str]:
    page = search.search_steps(session=session, actor=actor, q=q, total_cap=None, limit=100, **filters)
    assert page.total == len(page.items), q
    return {s.title for s in page.items}


@pytest.fixture
def author(session):
    return make_user(session, make_account(session), role="author")


def test_words_longer_than_the_stored_prefixes_match_on_every_character(session, author) -> None:
    word = "a" * search.TERM_PREFIX_MAX + "bcdef"
    make_step(session, author, title=f"Run {word} now")
    make_step(session, author, title="A" * search.TERM_PREFIX_MAX + "xyz also")
    assert _titles(session, author, word) == {f"Run {word} now"}
    assert _titles(session, author, word[: search.TERM_PREFIX_MAX + 2]) == {f"Run {word} now"}
    assert _titles(session, author, "a" * search.TERM_PREFIX_MAX + "bx") == set()  # same first 16, then differs
    assert _titles(session, author, "a" * search.TERM_PREFIX_MAX) == {f"Run {word} now", "A" * 16 + "xyz also"}


def test_every_word_counts_beyond_the_looked_up_ones(session, author) -> None:
    make_step(session, author, title="alpha bravo charlie delta echo")
    make_step(session, author, title="alpha bravo charlie delta")
    make_step(session, author, title="alpha bravo charlie")
    assert search.TERM_WORDS < 5
    assert _titles(session, author, "alpha bravo charlie delta echo") == {"alpha bravo charlie delta echo"}
    assert _titles(session, author, "e d c b a") == {"alpha bravo charlie delta echo"}
    assert _titles(session, author, "alpha bravo charlie delta") == {
        "alpha bravo charlie delta echo",
        "alpha bravo charlie delta",
    }
    assert _titles(session, author, "alpha bravo charlie zulu") == set()


def test_words_outside_ascii_are_matched_by_the_search_vector(session, author) -> None:
    make_step(session, author, title="Café printer", instructions="Reset the spooler")
    make_step(session, author, title="Printer in the hall")
    assert _titles(session, author, "café") == {"Café printer"}
    assert _titles(session, author, "café spool") == {"Café printer"}
    assert _titles(session, author, "printer") == {"Café printer", "Printer in the hall"}
    assert _titles(session, author, "Ωmega") == set()


def test_filters_and_words_combine(session, author) -> None:
    make_step(session, author, title="Reboot the router", step_type="action", group_label="Network")
    make_step(session, author, title="Reboot fixed it", step_type="solution", group_label="Network")
    make_step(session, author, title="Reboot the printer", step_type="action", group_label="Print")
    assert _titles(session, author, "rebo", step_type="solution") == {"Reboot fixed it"}
    assert _titles(session, author, "rebo", group_label="Network") == {"Reboot the router", "Reboot fixed it"}
    assert _titles(session, author, "rebo the", step_type="action", group_label="Print") == {"Reboot the printer"}
    assert _titles(session, author, "rebo", visibility="public") == set()


def test_a_capped_total_and_the_exact_count_agree_with_the_matches(session, author, monkeypatch) -> None:
    for i in range(7):
        make_step(session, author, title=f"Check cable {i}", visibility="team" if i % 2 else "public")
    make_step(session, author, title="Check nothing", visibility="private")
    monkeypatch.setattr(search, "RANK_WINDOW", 2)
    page = search.search_steps(session=session, actor=author, q="check", limit=3, total_cap=4)
    assert (len(page.items), page.total, page.total_capped) == (3, 4, True)
    assert search.list_steps(session=session, actor=author, q="check", limit=3)[1] == 8
    assert search.list_steps(session=session, actor=author, q="check cab", limit=3, offset=6)[1] == 7
    seen = [
        s.title
        for off in range(0, 8, 3)
        for s in search.list_steps(session=session, actor=author, q="ch", limit=3, offset=off)[0]
    ]
    assert sorted(seen) == sorted({*(f"Check cable {i}" for i in range(7)), "Check nothing"})  # pages never overlap


def test_concurrent_writers_leave_the_term_table_equal_to_the_steps(session, engine) -> None:
    """Threads edit, re-scope, deactivate and add steps at once; every commit keeps the index exact."""
    acct = make_account(session)
    users = [make_user(session, acct, role="author") for _ in range(2)]
    outsider = make_user(session, make_account(session, "Other"), role="owner")
    shared = [make_step(session, users[0], title=f"Shared step {i}", instructions="ping the gateway") for i in range(4)]
    session.commit()
    barrier = threading.Barrier(4)

    def editor(n: int) -> None:
        barrier.wait()
        for round_ in range(6):
            for step in shared:
                with Session(engine, expire_on_commit=False) as db:
                    row = db.get(LibraryStep, step.id, with_for_update=round_ % 2 == 0)
                    row.title = f"Edited {n} round {round_} zulu{n}"
                    row.visibility = ("public", "team", "private")[(n + round_) % 3]
                    row.is_active = (n + round_) % 4 != 0
                    db.add(row)
                    db.commit()

    def adder(n: int) -> None:
        barrier.wait()
        for i in range(10):
            with Session(engine, expire_on_commit=False) as db:
                lib.create_step(
                    session=db,
                    actor=users[n % 2],
                    title=f"Added {n}-{i} zulu",
                    step_type="action",
                    content={"instructions": "trace the route"},
                    visibility="team",
                )
                db.commit()

    workers = [functools.partial(editor, n) for n in range(2)] + [functools.partial(adder, n) for n in range(2)]
    assert run_concurrently(workers) == []
    session.expire_all()
    check_search_index(session)
    rows = session.execute(sa.select(LibraryStep)).scalars().all()
    for viewer in (*users, outsider):
        expected = {
            r.title
            for r in rows
            if r.is_active
            and "zulu" in r.title.lower()
            and (
                r.visibility == "public"
                or (r.visibility == "team" and r.account_id == viewer.account_id)
                or (r.visibility == "private" and r.created_by == viewer.id)
            )
        }
        assert _titles(session, viewer, "zulu") == expected, viewer.email
    assert len(_titles(session, users[0], "added zulu")) == 20


def test_the_page_folds_fork_copies_even_past_its_first_candidates(session, monkeypatch) -> None:
    """Three forks' copies follow the parent's step in candidate order; with a window of one the fold takes rounds."""
    author = make_user(session, make_account(session), role="author")
    parent = trees_service.create_tree(
        session=session, actor=author, name="Wi-Fi", tree_type="troubleshooting", tree_structure=troubleshooting()
    )
    trees_service.update_tree(session=session, actor=author, tree_id=parent.id, changes={"status": "published"})
    for _ in range(3):
        fork = trees_service.fork_tree(session=session, actor=author, tree_id=parent.id)
        trees_service.update_tree(session=session, actor=author, tree_id=fork.id, changes={"status": "published"})
    assert search.list_steps(session=session, actor=author, q="power")[1] == 4  # the API keeps every flow's entry
    monkeypatch.setattr(search, "RANK_WINDOW", 1)
    for cap in (1, 2, None):
        page = search.search_steps(session=session, actor=author, q="power", limit=1, total_cap=cap, distinct=True)
        assert [(s.source_tree_id, s.used_in_flows) for s in page.items] == [(parent.id, 4)], cap
        assert (page.total, page.total_capped) == (1, False), cap


def test_changing_a_step_rewrites_its_terms_by_key_not_by_scanning_them_all(session) -> None:
    """PostgreSQL: the trigger removes a changed or deleted step's old rows through the primary key.

    A join of the table with the step's prefixes once made the planner read the whole table for
    every changed step (seconds per step at 100,000 steps); no write may scan it now.
    """
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the term table is PostgreSQL's")
    author = make_user(session, make_account(session), role="author")
    words, now = " ".join(f"w{i:04d}x" for i in range(40)), utcnow()
    rows = [
        {
            "account_id": author.account_id,
            "created_by": author.id,
            "title": f"Step {i}",
            "step_type": "action",
            "content": {"instructions": words, "help_text": None, "commands": [], "group_label": None},
            "visibility": "team",
            "created_at": now,
            "updated_at": now,
        }
        for i in range(800)
    ]
    session.execute(sa.insert(LibraryStep), rows)
    session.commit()
    session.execute(sa.text("ANALYZE step_library_terms"))
    scans = "SELECT coalesce(sum(seq_scan), 0) FROM pg_stat_xact_user_tables WHERE relname = 'step_library_terms'"
    before = session.execute(sa.text(scans)).scalar_one()
    steps = session.execute(sa.select(LibraryStep).limit(10)).scalars().all()
    for step in steps[:5]:
        step.title = f"{step.title} renamed"
        step.visibility = "public"
    for step in steps[5:]:
        session.delete(step)
    session.flush()
    assert session.execute(sa.text(scans)).scalar_one() == before
    check_search_index(session)
