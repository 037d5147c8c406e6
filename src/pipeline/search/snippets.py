"""Snippets: the window of an article's own text that holds the most matches, matches marked.

Pure functions over text. Matching runs on a length-preserving fold of the NFC text
(``fold_aligned``), so the spans found cut the original, diacritics and all. Only a bounded
window around the first match of a long body is read, so snippets cost the same for short
and very long articles.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from typing import Any

from pipeline.search.model import Snippet
from pipeline.search.query import Term
from pipeline.text.fold import fold_aligned

__all__ = ["SNIPPET_CHARS", "SNIPPET_WORDS", "make_snippet", "snippet_source", "term_pattern"]

SNIPPET_WORDS = 30
# Snippets are cut from this many characters either side of the first match of a body.
SNIPPET_CHARS = 400


def term_pattern(terms: tuple[Term, ...]) -> re.Pattern[str] | None:
    """A regex over folded text matching any word of the terms (whole syllables, or prefixes)."""
    alts = set()
    for t in terms:
        for i, w in enumerate(t.words):
            last = i == len(t.words) - 1
            alts.add(re.escape(w) + (r"[^\W_]*" if t.prefix and last else ""))
    if not alts:
        return None
    return re.compile(r"(?<![^\W_])(?:" + "|".join(sorted(alts, key=len, reverse=True)) + r")(?![^\W_])")


def make_snippet(original: str, terms: tuple[Term, ...], words: int = SNIPPET_WORDS) -> Snippet:
    """The ~``words``-word window of ``original`` holding the most matches, matches marked.

    Matching runs on a length-preserving fold of the NFC text, so spans cut the original.
    """
    nfc = unicodedata.normalize("NFC", original)
    folded = fold_aligned(nfc)
    pattern = term_pattern(terms)
    spans = [m.span() for m in pattern.finditer(folded)] if pattern else []
    tokens = [m.span() for m in re.finditer(r"\S+", nfc)]
    if not tokens:
        return Snippet(())
    start_tok = best_window(tokens, spans, words)
    lo = tokens[start_tok][0]
    hi = tokens[min(start_tok + words, len(tokens)) - 1][1]
    segments: list[tuple[str, bool]] = []
    if start_tok > 0:
        segments.append(("… ", False))
    pos = lo
    for s, e in spans:
        if s < lo or e > hi:
            continue
        if s > pos:
            segments.append((nfc[pos:s], False))
        segments.append((nfc[s:e], True))
        pos = e
    if pos < hi:
        segments.append((nfc[pos:hi], False))
    if hi < len(nfc.rstrip()):
        segments.append((" …", False))
    return Snippet(tuple(segments))


def best_window(tokens: list[tuple[int, int]], spans: list[tuple[int, int]], words: int) -> int:
    """Index of the first token of the window with the most match spans (earliest on ties)."""
    if not spans or len(tokens) <= words:
        return 0
    starts = [t[0] for t in tokens]
    token_of = [bisect.bisect_right(starts, s) - 1 for s, _ in spans]
    counts = Counter(token_of)
    best, best_count = 0, -1
    for first in sorted(set(token_of)):
        begin = max(0, first - words // 4)
        n = sum(c for t, c in counts.items() if begin <= t < begin + words)
        if n > best_count:
            best, best_count = begin, n
    return min(best, max(0, len(tokens) - words))


def snippet_source(article: Any, terms: tuple[Term, ...]) -> str:
    """The text to cut the snippet from: the body when it matches, else description/title.

    Only a bounded window of a long body is returned (``SNIPPET_CHARS`` either side of its
    first match, cut at spaces, "…" marking the cuts).
    """
    pattern = term_pattern(terms)
    for candidate in (article.text, article.description, article.title):
        if not candidate:
            continue
        if pattern is None:
            return str(candidate)
        at = find_first_match(str(candidate), pattern)
        if at is not None:
            return cut_around(unicodedata.normalize("NFC", str(candidate)), at)
    return str(article.text or article.description or article.title or "")


def find_first_match(original: str, pattern: re.Pattern[str]) -> int | None:
    """Offset (in the NFC text) of the first match, folding the text chunk by chunk."""
    nfc = unicodedata.normalize("NFC", original)
    step, overlap = 2 * SNIPPET_CHARS, 100
    for lo in range(0, len(nfc), step):
        # Chunks overlap so a phrase across a chunk boundary is still seen whole.
        found = pattern.search(fold_aligned(nfc[lo:lo + step + overlap]))
        if found:
            return lo + found.start()
    return None


def cut_around(nfc: str, at: int) -> str:
    """``SNIPPET_CHARS`` either side of ``at``, cut at spaces, with "…" where text was cut."""
    if len(nfc) <= 2 * SNIPPET_CHARS:
        return nfc
    lo = max(0, at - SNIPPET_CHARS)
    hi = min(len(nfc), at + SNIPPET_CHARS)
    if lo > 0:
        space = nfc.find(" ", lo)
        lo = space + 1 if 0 <= space < at else lo
    if hi < len(nfc):
        space = nfc.rfind(" ", at, hi)
        hi = space if space > at else hi
    return ("… " if lo > 0 else "") + nfc[lo:hi] + (" …" if hi < len(nfc) else "")
