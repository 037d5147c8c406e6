"""Snippets: the window of an article's own text that holds the most matches, matches marked.

Pure functions over text. The spans come from :mod:`.matching` (a length-preserving fold of the
NFC text), so they cut the original, diacritics and all: a phrase is marked whole, a word typed
with diacritics where it stands as typed. The snippet is cut from a bounded window around the
first match of the body, so its cost does not grow with very long articles.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from typing import Any

from pipeline.search.matching import (
    PHRASE_EXACT,
    WORDS_FOLDED,
    Prepared,
    apart_spans,
    make_matcher,
    phrase_spans,
    prepare,
    term_spans,
)
from pipeline.search.model import Snippet
from pipeline.search.query import Term

__all__ = ["SNIPPET_CHARS", "SNIPPET_WORDS", "make_snippet", "match_spans", "snippet_source"]

SNIPPET_WORDS = 30
# Snippets are cut from this many characters either side of the first match of a body.
SNIPPET_CHARS = 400


def match_spans(terms: tuple[Term, ...], doc: Prepared) -> list[tuple[int, int]]:
    """The spans to mark in ``doc``, in order, never overlapping (see :func:`term_spans`)."""
    found = sorted(s for t in terms for s in term_spans(make_matcher(t), doc))
    spans: list[tuple[int, int]] = []
    for s, e in found:
        if spans and s < spans[-1][1]:
            if e > spans[-1][1]:
                spans[-1] = (spans[-1][0], e)
            continue
        spans.append((s, e))
    return spans


def make_snippet(original: str, terms: tuple[Term, ...], words: int = SNIPPET_WORDS) -> Snippet:
    """The ~``words``-word window of ``original`` holding the most matches, matches marked.

    A phrase is marked whole ("Đồng Nai"), words typed with diacritics only where they stand as
    typed when they do somewhere in the text ("mới", not "Mỗi"); spans cut the original text.
    """
    doc = prepare(original)
    nfc = doc.nfc
    spans = match_spans(terms, doc)
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
    """The text to cut the snippet from: the field where the terms match best (the body on ties,
    then the description, then the title).

    "Best" sums each term's level (:func:`pipeline.search.matching.phrase_spans`: side by side
    and as typed first), so a lead naming "Long An" wins over a body with "an toàn" alone. Only
    a bounded window of a long body is returned (``SNIPPET_CHARS`` either side of its first
    best match, cut at spaces, "…" marking the cuts).
    """
    fields = [str(f) for f in (article.text, article.description, article.title) if f]
    if not terms or not fields:
        return fields[0] if fields else ""
    matchers = [make_matcher(t) for t in terms]
    best: tuple[float, str, int] | None = None
    for field in fields:
        doc = prepare(field)
        fit, first = 0.0, None
        for m in matchers:
            level, spans = phrase_spans(m, doc)
            if not level and (len(m.words) == 1 or m.term.loose):
                spans = apart_spans(m, doc)
                level = WORDS_FOLDED if spans else 0.0
            fit += level
            if spans and (first is None or spans[0][0] < first):
                first = spans[0][0]
        if first is not None and (best is None or fit > best[0]):
            best = (fit, doc.nfc, first)
            if fit >= PHRASE_EXACT * len(matchers):
                break  # no later field can do better
    if best is None:
        return fields[0]
    return cut_around(best[1], best[2])


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
