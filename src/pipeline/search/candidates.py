"""Bounded candidate sets: every search statement reads at most ``CANDIDATE_CAP`` matches.

Ranking every hit of a very common word is what makes naive full-text search slow. Here the
candidates are the newest matches by id, read in one pass of at most ``CANDIDATE_CAP + 1`` ids
(FTS5 walks its doclists backwards); the total is exact up to the cap and reported as an
estimate beyond it, and relevance ranks the candidates only (``id >= floor``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from pipeline.search.backends import SearchBackend
from pipeline.search.facets import FacetRows, facet_groups
from pipeline.search.model import SearchQuery
from pipeline.search.query import ParsedQuery

__all__ = ["CANDIDATE_CAP", "Candidates", "Page", "find_candidates"]

# Relevance is ranked among at most this many matches (the newest); totals are exact up to it.
CANDIDATE_CAP = 2000


@dataclass(frozen=True, slots=True)
class Candidates:
    """The newest (by id) matches passing the filters, at most ``CANDIDATE_CAP`` of them.

    ``total`` is exact when ``is_estimate`` is False; ``floor`` is the lowest candidate id when
    the cap was hit. ``facet_rows`` holds (site, year, count) of the candidates when facets were asked.
    """

    total: int
    is_estimate: bool
    floor: int | None
    facet_rows: FacetRows = ()


@dataclass(frozen=True, slots=True)
class Page:
    """The ids of one page of hits, in order, with their scores when ranked."""

    ids: tuple[int, ...]
    scores: dict[int, float]
    candidates: Candidates


def find_candidates(session: Session, backend: SearchBackend, parsed: ParsedQuery, query: SearchQuery,
                    *, with_meta: bool) -> Candidates:
    """The newest ``CANDIDATE_CAP`` matches, counted and (with ``with_meta``) grouped in SQL.

    Every statement reads at most ``CANDIDATE_CAP + 1`` matches in id order, never every match
    of a common word.
    """
    id_col = backend.id_column(parsed)
    # One pass yields both the count and the floor (plain ints: no Row objects to build).
    ids, bound = backend.newest_ids(session, parsed, query, CANDIDATE_CAP + 1)
    window = () if bound is None else (id_col > bound,)
    n = len(ids)
    capped = n > CANDIDATE_CAP
    floor = ids[CANDIDATE_CAP - 1] if capped else None
    meta: FacetRows = ()
    if with_meta:
        rows = backend.match_rows(session, parsed, query, with_meta=True).where(*window).order_by(id_col.desc())
        meta = facet_groups(session, rows.limit(CANDIDATE_CAP))
    return Candidates(min(n, CANDIDATE_CAP), capped, None if floor is None else int(floor), meta)
