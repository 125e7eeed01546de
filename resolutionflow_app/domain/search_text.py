"""Search text rules shared by the library search and its UI: query words, highlighting, totals.

Pure functions (stdlib only). Words are what the full-text indexes see: runs of letters/digits,
compared case- and accent-insensitively (SQLite's unicode61 tokenizer with remove_diacritics,
PostgreSQL's 'simple' configuration over the same word split). Every query word matches as a
prefix of a word ("rebo" finds "Reboot").
"""

from __future__ import annotations

import re
import unicodedata

MAX_TOKENS = 12
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def search_tokens(q: str | None) -> list[str]:
    """Words of a search query, lower-cased (operators, quotes and punctuation are dropped)."""
    return [t.lower() for t in _TOKEN.findall(q or "")][:MAX_TOKENS]


def _fold(ch: str) -> str:
    """One character as the index compares it: lower case, accents removed."""
    decomposed = unicodedata.normalize("NFKD", ch)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _matched_length(word: str, tokens: list[str]) -> int:
    """How many leading characters of `word` the longest matching query word covers (0: none)."""
    folded: list[str] = []
    acc = ""
    for ch in word:
        acc += _fold(ch)
        folded.append(acc)
    best = 0
    for token in tokens:
        ftoken = "".join(_fold(c) for c in token)
        if not ftoken or not acc.startswith(ftoken):
            continue
        for i, prefix in enumerate(folded):  # the shortest prefix of `word` that covers the token
            if len(prefix) >= len(ftoken):
                best = max(best, i + 1)
                break
    return best


def highlight_segments(text: str | None, tokens: list[str]) -> list[tuple[str, bool]]:
    """`text` split into (part, is_match) segments, in order, that join back to `text`.

    A match is the beginning of a word that starts with a query word (the longest such query
    word wins), e.g. tokens ["rebo"] on "Reboot the AP" give [("Rebo", True), ("ot the AP", False)].
    The parts are plain text: callers render them as text nodes, never as markup.
    """
    text = text or ""
    if not text:
        return []
    if not tokens:
        return [(text, False)]
    segments: list[tuple[str, bool]] = []
    plain_start = 0
    for m in _TOKEN.finditer(text):
        n = _matched_length(m.group(0), tokens)
        if not n:
            continue
        if m.start() > plain_start:
            segments.append((text[plain_start : m.start()], False))
        segments.append((text[m.start() : m.start() + n], True))
        plain_start = m.start() + n
    if plain_start < len(text):
        segments.append((text[plain_start:], False))
    return segments


def total_label(total: int, capped: bool, noun: str = "step", plural: str | None = None) -> str:
    """ "1 step", "23 steps", "1,000+ steps" (capped: at least `total`)."""
    words = plural or f"{noun}s"
    if capped:
        return f"{total:,}+ {words}"
    return f"{total:,} {noun if total == 1 else words}"
