"""Relevance: the backend's score over the candidates, then a Vietnamese-aware re-ranking.

The backends score folded syllables (BM25, ``ts_rank_cd``): they cannot tell "Đồng Nai" from
"đồng … nai", nor "mới" from "mỗi". When the query has a run of several words or was typed with
diacritics, the top ``RERANK_WINDOW`` candidates are re-ordered in Python by
:func:`pipeline.search.matching.score_article`: words side by side first, then words as typed
(either tone placement), then title over description over body; the backend's score breaks ties.
The window is drawn from the side-by-side matches first (the query with its runs read as
phrases), then from the rest, so an adjacent match deep in the BM25 order is not missed.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from functools import cache
from operator import neg
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from pipeline.archive.models import Article
from pipeline.search.backends import SearchBackend
from pipeline.search.candidates import Candidates, Page, without_rejected
from pipeline.search.matching import join_fields, matchers_of, phrase_checks, phrases_hold, prepare, score_article
from pipeline.search.model import SearchQuery
from pipeline.search.query import ParsedQuery

__all__ = ["RERANK_CHARS", "RERANK_WINDOW", "needs_rerank", "rank_candidates", "rank_known", "rank_page", "rerank"]

# This many top candidates are re-ranked (when the query calls for it): the first pages. 50
# keeps a search within the cost it had before the re-ranking read words side by side (issue
# 16: CPU time of the benchmark's query mix equal within noise; 100 cost ~15% more).
RERANK_WINDOW = 50
# Of a body, the re-ranking reads this many characters: the lead and first paragraphs, where a
# paper names what the article is about; a bounded cost whatever the article's length.
RERANK_CHARS = 4000


def rank_known(candidates: Candidates, known: dict[int, float], window: tuple[int, int],
               exclude: tuple[int, ...] = ()) -> Page:
    """The candidates scored in ``known`` (but ``exclude``) by score, ties by id: as the SQL ranks."""
    # ``known`` holds candidates only; (-score, id) pairs sort without a key function, and a
    # window at the top needs only its own length of them (heapq: no sort of all 2,000).
    pairs: Iterable[tuple[float, int]] = zip(map(neg, known.values()), known.keys(), strict=True)  # in C
    if exclude:
        skip = set(exclude)
        pairs = (p for p in pairs if p[1] not in skip)
    end = window[0] + window[1]
    top = heapq.nsmallest(end, pairs) if end < len(known) // 4 else sorted(pairs)[:end]
    ids = tuple(i for _, i in top[window[0]:end])
    return Page(ids, {i: known[i] for i in ids}, candidates)


# Scores read by key (:meth:`SearchBackend.score_candidates`), by query form (True: as phrases).
KnownScores = dict[bool, dict[int, float] | None]


def rank_candidates(session: Session, backend: SearchBackend, parsed: ParsedQuery, query: SearchQuery,
                    candidates: Candidates, window: tuple[int, int], exclude: tuple[int, ...] = (), *,
                    known: KnownScores | None = None, phrases: bool = False) -> Page:
    """The candidates (but ``exclude``) ordered by score (ties by id), ``window`` = (offset, limit).

    With ``phrases``, only the candidates whose runs stand side by side, by that query's score.
    Scores are reported higher-is-better whatever the backend's own sense. With ``known``, a
    backend that reads the candidates' scores by key does so once per query form for the whole
    search, and the windows are cut in Python; otherwise each window is a ranking statement.
    """
    form = parsed.as_phrases() if phrases else parsed
    if known is not None:
        if phrases not in known:
            known[phrases] = backend.score_candidates(session, form, candidates.ids, all_match=not phrases)
        scores = known[phrases]
        if scores is not None:
            return rank_known(candidates, scores, window, exclude)
    parsed = form
    id_col = backend.id_column(parsed)
    matches = backend.match_rows(session, parsed, query)
    if candidates.floor is not None:
        matches = matches.where(id_col >= candidates.floor)
    matches = without_rejected(matches, id_col, candidates)
    if exclude:
        matches = matches.where(id_col.not_in(exclude))
    relevance = backend.relevance(parsed)
    score = relevance.score
    order: tuple[Any, ...] = (score.desc() if relevance.higher_is_better else score, id_col)
    stmt = matches.add_columns(score.label("score")).order_by(*order).limit(window[1]).offset(window[0])
    rows = session.execute(stmt).all()
    sign = 1.0 if relevance.higher_is_better else -1.0
    return Page(tuple(r.id for r in rows), {r.id: sign * float(r.score) for r in rows}, candidates)


def needs_rerank(parsed: ParsedQuery) -> bool:
    """True when the backend's order can be wrong: several words, or diacritics typed."""
    return parsed.has_diacritics or any(len(t.words) > 1 for t in parsed.terms)


@cache
def _rerank_statement() -> Select[Any]:
    """What the re-ranking reads of the window's articles; one statement object, compiled once."""
    body = func.substr(Article.text, 1, RERANK_CHARS).label("text")
    return select(Article.id, Article.title, Article.description, body, Article.author,
                  func.length(Article.text).label("length")).where(Article.id.in_(bindparam("ids", expanding=True)))


def rerank(session: Session, parsed: ParsedQuery, page: Page) -> tuple[int, ...]:
    """The page's ids ordered by :func:`score_article`, then the backend's score, then id.

    When the candidates were too many for the phrase check, the articles read here are checked
    (those read whole: a body longer than ``RERANK_CHARS`` is given the benefit of the doubt),
    and those whose phrase only spans punctuation are left out.
    """
    rows = session.connection().execute(_rerank_statement(), {"ids": list(page.ids)}).all()
    checks = None if page.candidates.checked else phrase_checks(parsed)
    if checks is not None:
        rows = [r for r in rows if (r.length or 0) > RERANK_CHARS
                or phrases_hold(checks, join_fields(r.title, r.description, r.text, r.author))]
    groups = matchers_of(parsed)
    fit = {r.id: score_article(groups, [prepare(x or "") for x in (r.title, r.description, r.text)])
           for r in rows}
    scores = page.scores
    return tuple(sorted(fit, key=lambda i: (-fit[i], -scores.get(i, 0.0), i)))


def window_of(session: Session, backend: SearchBackend, parsed: ParsedQuery, query: SearchQuery,
              candidates: Candidates, known: KnownScores) -> Page:
    """The top ``RERANK_WINDOW`` candidates: side-by-side matches first, then the backend's order.

    A side-by-side match always outranks the same words apart (:mod:`.matching`), so when the
    phrases alone fill the window, the words-apart query is not run at all.
    """
    window = (0, RERANK_WINDOW)
    if not parsed.has_runs or candidates.total <= RERANK_WINDOW:
        return rank_candidates(session, backend, parsed, query, candidates, window, known=known)
    split = backend.score_window(session, parsed.as_phrases(), parsed, candidates.ids)
    if split is not None:
        # One read of the candidates: the side-by-side ones by their phrase score, then the
        # others by their words' score (the same ids, in the same order, as the two rankings
        # below; an id in both keeps its phrase score).
        side_by_side, apart = split
        known[True] = side_by_side
        adjacent = rank_known(candidates, side_by_side, window)
        if len(adjacent.ids) == RERANK_WINDOW:
            return adjacent
        rest = rank_known(candidates, apart, (0, RERANK_WINDOW - len(adjacent.ids)))
        return Page(adjacent.ids + rest.ids, {**rest.scores, **adjacent.scores}, candidates)
    adjacent = rank_candidates(session, backend, parsed, query, candidates, window, known=known, phrases=True)
    if len(adjacent.ids) == RERANK_WINDOW:
        return adjacent
    page = rank_candidates(session, backend, parsed, query, candidates, window, known=known)
    ids = tuple(dict.fromkeys(adjacent.ids + page.ids))[:RERANK_WINDOW]
    return Page(ids, {**adjacent.scores, **page.scores}, candidates)


def rank_page(session: Session, backend: SearchBackend, parsed: ParsedQuery, query: SearchQuery,
              candidates: Candidates) -> Page:
    """The page of ``query`` by relevance: the re-ranked window first, then the backend's order
    of the other candidates, so that paging past the window neither repeats nor skips a hit."""
    start, end = query.offset, query.offset + query.limit
    known: KnownScores = {}
    if not needs_rerank(parsed):
        return rank_candidates(session, backend, parsed, query, candidates, (start, query.limit), known=known)
    page = window_of(session, backend, parsed, query, candidates, known)
    # Past the window the order needs no re-ranking, but the count of what it left out does.
    may_drop = not candidates.checked and phrase_checks(parsed) is not None
    ordered = rerank(session, parsed, page) if start < len(page.ids) or may_drop else page.ids
    head = ordered[start:end]
    if len(head) == query.limit or len(page.ids) < RERANK_WINDOW:
        return Page(head, page.scores, candidates)
    rest = rank_candidates(session, backend, parsed, query, candidates,
                           (max(0, start - len(ordered)), query.limit - len(head)), exclude=page.ids, known=known)
    return Page(head + rest.ids, {**page.scores, **rest.scores}, candidates)
