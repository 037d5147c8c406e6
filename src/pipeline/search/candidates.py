"""Bounded candidate sets: every search statement reads at most ``CANDIDATE_CAP`` matches.

Ranking every hit of a very common word is what makes naive full-text search slow. Here the
candidates are the newest matches by id, read in one pass of at most ``CANDIDATE_CAP + 1`` ids
(FTS5 walks its doclists backwards); the total is exact up to the cap and reported as an
estimate beyond it, and relevance ranks the candidates only (``id >= floor``).

A query holding a phrase has its candidates (up to ``CHECK_CAP`` of them) checked against the
articles' own text: the indexes ignore punctuation, a phrase does not ("Lưu Bình - Dương Lễ" is
no "bình dương"). The few that fail are ``rejected``, and every later statement leaves them out.
Beyond ``CHECK_CAP`` the re-ranking still checks the articles it reads (:mod:`.ranking`), so the
first pages hold side-by-side phrases only; totals and date-sorted lists may then count a few
articles whose phrase spans punctuation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from pipeline.archive.models import Article
from pipeline.search.backends import SearchBackend
from pipeline.search.facets import FacetRows, facet_groups
from pipeline.search.matching import join_fields, phrase_checks, phrases_hold
from pipeline.search.model import SearchQuery
from pipeline.search.query import ParsedQuery

__all__ = ["CANDIDATE_CAP", "CHECK_CAP", "Candidates", "Page", "find_candidates", "reject_apart", "without_rejected"]

# Relevance is ranked among at most this many matches (the newest); totals are exact up to it.
CANDIDATE_CAP = 2000
# Phrases are checked against the text when there are at most this many candidates: reading
# texts costs ~20 µs an article, more than the whole search beyond a few hundred. Above it the
# index's phrase match stands (punctuation ignored) and such matches rank last (:mod:`.matching`).
CHECK_CAP = 300


@dataclass(frozen=True, slots=True)
class Candidates:
    """The newest (by id) matches passing the filters, at most ``CANDIDATE_CAP`` of them.

    ``total`` is exact when ``is_estimate`` is False; ``floor`` is the lowest candidate id when
    the cap was hit. ``facet_rows`` holds the facet groups of the candidates when facets were
    asked. ``rejected``: index matches whose phrases do not stand side by side in the text.
    ``ids``: the candidates themselves, newest first.
    """

    total: int
    is_estimate: bool
    floor: int | None
    facet_rows: FacetRows = ()
    rejected: tuple[int, ...] = ()
    # True when every candidate's phrases were checked (at most ``CHECK_CAP`` candidates).
    checked: bool = False
    ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Page:
    """The ids of one page of hits, in order, with their scores when ranked."""

    ids: tuple[int, ...]
    scores: dict[int, float]
    candidates: Candidates


def without_rejected(stmt: Select[Any], id_col: Any, candidates: Candidates) -> Select[Any]:
    """``stmt`` without the rejected candidates."""
    return stmt.where(id_col.not_in(candidates.rejected)) if candidates.rejected else stmt


def reject_apart(session: Session, parsed: ParsedQuery, ids: Sequence[int]) -> tuple[int, ...]:
    """The ids among ``ids`` whose phrases stand apart (across punctuation) in the text."""
    checks = phrase_checks(parsed)
    if checks is None:
        return ()
    rows = session.execute(select(Article.id, Article.title, Article.description, Article.text,
                                  Article.author).where(Article.id.in_(ids)))
    return tuple(sorted(r.id for r in rows
                        if not phrases_hold(checks, join_fields(r.title, r.description, r.text, r.author))))


def find_candidates(session: Session, backend: SearchBackend, parsed: ParsedQuery, query: SearchQuery,
                    *, with_meta: bool) -> Candidates:
    """The newest ``CANDIDATE_CAP`` matches, counted and (with ``with_meta``) grouped in SQL.

    Every statement reads at most ``CANDIDATE_CAP + 1`` matches in id order, never every match
    of a common word.
    """
    # One pass yields both the count and the floor (plain ints: no Row objects to build).
    found, _ = backend.newest_ids(session, parsed, query, CANDIDATE_CAP + 1)
    capped = len(found) > CANDIDATE_CAP
    checked = not parsed.is_empty and len(found) <= CHECK_CAP
    rejected = reject_apart(session, parsed, found) if checked else ()
    gone = set(rejected)
    ids = tuple(i for i in found if i not in gone)[:CANDIDATE_CAP] if gone else tuple(found[:CANDIDATE_CAP])
    floor = ids[-1] if capped and ids else None
    # The facets group the candidates themselves: a read by key, the text match not run again.
    meta = facet_groups(session, backend.ids_condition(ids)) if with_meta and ids else ()
    return Candidates(len(ids), capped, floor, meta, rejected, checked, ids)
