"""Library search as you type: prefixes, the capped total, bounded ranking that still pages cleanly."""

from __future__ import annotations

import pytest

from resolutionflow_app.services import library_search as lib
from tests.factories import make_account, make_user
from tests.library_helpers import make_step


@pytest.fixture
def author(session):
    return make_user(session, make_account(session), role="author")


def test_short_prefixes_match_word_starts(session, author) -> None:
    make_step(session, author, title="Reboot the AP from the controller", instructions="ssh admin@ap reboot")
    make_step(session, author, title="Restore PoE power", instructions="Enable the port")
    make_step(session, author, title="Unrelated", instructions="prebooked")  # "rebo" inside a word: no match
    for q in ("rebo", "REBO", "reb", "reboot"):
        page = lib.search_steps(session=session, actor=author, q=q)
        assert [s.title for s in page.items] == ["Reboot the AP from the controller"], q
        assert (page.total, page.total_capped) == (1, False)
    assert {s.title for s in lib.search_steps(session=session, actor=author, q="r").items} == {
        "Reboot the AP from the controller",
        "Restore PoE power",
    }
    assert lib.search_steps(session=session, actor=author, q="re po").total == 1  # every word, each a prefix
    assert lib.search_steps(session=session, actor=author, q="*").total == 0


def test_total_is_capped_for_the_page_and_exact_for_the_api(session, author, monkeypatch) -> None:
    for i in range(12):
        make_step(session, author, title=f"Check cable {i}")
    # relevance counts its candidates: below the rank window the total is exact whatever the cap
    assert lib.search_steps(session=session, actor=author, q="check", limit=3, total_cap=5).total == 12
    monkeypatch.setattr(lib, "RANK_WINDOW", 2)
    page = lib.search_steps(session=session, actor=author, q="check", limit=3, total_cap=5)
    assert (len(page.items), page.total, page.total_capped) == (3, 5, True)
    assert lib.search_steps(session=session, actor=author, q="check", limit=3, total_cap=50).model_dump(
        include={"total", "total_capped"}
    ) == {"total": 12, "total_capped": False}
    assert lib.list_steps(session=session, actor=author, q="check", limit=3)[1] == 12
    # every sort and the no-query list use the same cap
    for sort in ("usage", "rating", "newest"):
        got = lib.search_steps(session=session, actor=author, q="check", sort=sort, limit=3, total_cap=5)
        assert (got.total, got.total_capped) == (5, True), sort
    assert lib.search_steps(session=session, actor=author, limit=3, total_cap=5).total_capped is True
    assert lib.search_steps(session=session, actor=author, limit=3, total_cap=20).total == 12
    # a page deeper than the cap is still served, and the cap follows it (at least offset + limit)
    deep = lib.search_steps(session=session, actor=author, q="check", limit=3, offset=6, total_cap=5)
    assert len(deep.items) == 3
    assert (deep.total, deep.total_capped) == (9, True)
    last = lib.search_steps(session=session, actor=author, q="check", limit=3, offset=9, total_cap=5)
    assert len(last.items) == 3
    assert (last.total, last.total_capped) == (12, False)


def test_bounded_ranking_pages_without_gaps_or_repeats(session, author, monkeypatch) -> None:
    monkeypatch.setattr(lib, "RANK_WINDOW", 4)
    titles = [f"Cable {'cable ' * (i % 3)}step {i}" for i in range(11)]
    for title in titles:
        make_step(session, author, title=title, instructions="patch cable")
    seen: list[str] = []
    for offset in range(0, 12, 3):
        items, total = lib.list_steps(session=session, actor=author, q="cable", limit=3, offset=offset)
        assert total == 11
        seen += [s.title for s in items]
    assert sorted(seen) == sorted(titles)
    capped = [
        s.title
        for offset in range(0, 12, 3)
        for s in lib.search_steps(session=session, actor=author, q="cable", limit=3, offset=offset, total_cap=2).items
    ]
    assert capped == seen  # the page and the API order alike
    assert lib.list_steps(session=session, actor=author, q="cable", limit=3, offset=30) == ([], 11)


def test_relevance_ranks_all_matches_below_the_window(session, author) -> None:
    make_step(session, author, title="Printer", instructions="restart the spooler service")
    make_step(session, author, title="Spooler spooler restart", instructions="spooler")
    make_step(session, author, title="Other", instructions="spool")
    items = lib.search_steps(session=session, actor=author, q="spool").items
    assert items[0].title == "Spooler spooler restart"
    assert len(items) == 3


def test_a_broad_query_ranks_title_matches_then_usage(session, author, monkeypatch) -> None:
    """More matches than the window: steps whose title has every word first, then the most used (not bm25)."""
    monkeypatch.setattr(lib, "RANK_WINDOW", 4)
    for title, instructions, usage in (
        ("Cable cable cable", "patch it", 1),  # bm25's favourite: short, the word three times
        ("Cable, then the rest of a rather long title", "patch it", 40),
        ("Patch panel", "cable cable cable cable", 90),
        ("Patch panel again", "one cable", 5),
        ("Patch panel once more", "another cable", 60),
        ("Cable tester", "beep", 7),
    ):
        make_step(session, author, title=title, instructions=instructions).usage_count = usage
    session.flush()
    page = lib.search_steps(session=session, actor=author, q="cab", limit=4)
    assert (page.total, page.total_capped) == (6, False)
    in_title = ["cable" in s.title.lower() for s in page.items]
    assert in_title == sorted(in_title, reverse=True)  # title matches first
    for group in (True, False):
        usage = [s.usage_count for s, t in zip(page.items, in_title, strict=True) if t is group]
        assert usage == sorted(usage, reverse=True), group
    everything = lib.search_steps(session=session, actor=author, q="cab", limit=10, total_cap=None).items
    assert {s.title for s in everything} == {s.title for s in lib.list_steps(session=session, actor=author, q="cab")[0]}
    assert len(everything) == 6


def test_a_title_word_outranks_the_same_word_in_instructions(session, author) -> None:
    """Both engines weigh a title word ten times an instructions word (PostgreSQL: weights A/D, migration 0014)."""
    make_step(session, author, title="Other thing", instructions="printer printer printer jam")
    make_step(session, author, title="Printer", instructions="clear the paper path")
    for q in ("printer", "print"):
        assert [s.title for s in lib.search_steps(session=session, actor=author, q=q).items] == [
            "Printer",
            "Other thing",
        ], q
