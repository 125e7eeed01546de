"""Search text rules: query words, title highlighting segments, total labels."""

from __future__ import annotations

from resolutionflow_app.domain.search_text import highlight_segments, search_tokens, total_label


def _join(segments) -> str:
    return "".join(part for part, _ in segments)


def test_search_tokens_drop_operators_and_lowercase() -> None:
    assert search_tokens('Rebo* "AP" -x (y) NEAR/2') == ["rebo", "ap", "x", "y", "near", "2"]
    assert search_tokens(None) == []
    assert search_tokens("  ") == []


def test_prefix_of_a_word_is_highlighted() -> None:
    segs = highlight_segments("Reboot the AP from the controller", ["rebo"])
    assert segs == [("Rebo", True), ("ot the AP from the controller", False)]


def test_every_word_and_longest_token_wins() -> None:
    segs = highlight_segments("Check the check-list; checking", ["che", "check"])
    assert [p for p, hit in segs if hit] == ["Check", "check", "check"]
    assert _join(segs) == "Check the check-list; checking"


def test_only_word_starts_match() -> None:
    assert highlight_segments("Unreboot", ["rebo"]) == [("Unreboot", False)]
    assert highlight_segments("DNS", []) == [("DNS", False)]
    assert highlight_segments("", ["x"]) == []


def test_accents_and_case_fold_like_the_index() -> None:
    segs = highlight_segments("Café résumé", ["cafe", "RESU".lower()])
    assert segs == [("Café", True), (" ", False), ("résu", True), ("mé", False)]


def test_markup_stays_plain_text() -> None:
    title = '<img src=x onerror="alert(1)"> reboot <b>'
    segs = highlight_segments(title, ["rebo", "img"])
    assert _join(segs) == title  # the parts are the original characters, rendered as text nodes
    assert ("img", True) in segs
    assert ("rebo", True) in segs


def test_total_label() -> None:
    assert total_label(1, False) == "1 step"
    assert total_label(23, False) == "23 steps"
    assert total_label(0, False) == "0 steps"
    assert total_label(1000, True) == "1,000+ steps"
    assert total_label(12345, False) == "12,345 steps"
