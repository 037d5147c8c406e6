"""Full-text search of the archive: one behaviour on SQLite (FTS5) and PostgreSQL (tsvector).

Both engines index a folded copy of title, description, text and author (``pipeline.text.fold``:
lower case, no tone marks, đ→d), so "kim thanh", "KIM THÀNH" and "Kim Thành" meet. The folded
text lives only in the index (a contentless FTS5 table kept by triggers; a ``tsvector`` column
on PostgreSQL written by the store, a trigger filling it for any other writer).

A search, every statement bounded by ``CANDIDATE_CAP`` candidates (the newest matches by id):

- candidates (:mod:`.candidates`): one read of at most ``CANDIDATE_CAP + 1`` matches in id
  order; the total is exact up to the cap, reported as an estimate beyond it;
- relevance (:mod:`.ranking`): the backend's score over the candidates only (on PostgreSQL
  every candidate's scores read by key in one statement, ranked in Python), then a
  Vietnamese-aware re-ranking of the top ``RERANK_WINDOW`` (words side by side, diacritics as
  typed: :mod:`.matching`) when the query has several words or diacritics;
- newest/oldest (:mod:`.date_sort`): few matches are sorted; many are found by walking the
  ``published_at`` index with a per-article check, so the first page costs a few index steps;
- facets (:mod:`.facets`): one GROUP BY over the candidates, read by key (estimates when the
  total is);
- snippets (:mod:`.snippets`): for the page's hits only, over a window around the first match.

What differs between the databases is in :mod:`.backends`, chosen once from the session's engine.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from pipeline.archive.models import Article, Source
from pipeline.search.backends import SearchBackend, TextMatch, backend_for
from pipeline.search.candidates import find_candidates
from pipeline.search.date_sort import sort_by_date
from pipeline.search.facets import count_facets
from pipeline.search.filters import check_query, filter_conditions
from pipeline.search.model import SearchHit, SearchQuery, SearchResult
from pipeline.search.province import province_expr, province_now_expr
from pipeline.search.query import ParsedQuery
from pipeline.search.ranking import rank_page
from pipeline.search.snippets import make_snippet, snippet_source

__all__ = ["filtered_articles", "load_hits", "rebuild_index", "search"]

HIT_COLUMNS = (Article.id, Article.url, Article.canonical_url, Article.site, Article.title,
               Article.description, Article.author, Article.section, Article.published_at,
               Article.text, Article.key)


def filtered_articles(query: SearchQuery) -> Select[int]:
    """``SELECT articles.id`` with every filter and the text match; no order, no paging.

    Works on both backends (the match compiles per dialect); the export reuses it.
    """
    parsed = check_query(query)
    stmt = select(Article.id).where(*filter_conditions(query))
    if not parsed.is_empty:
        stmt = stmt.where(TextMatch(parsed))
    return stmt


@cache
def _hits_statement() -> Executable:
    """The columns a hit shows, by id; one statement object (built and compiled once)."""
    return (select(*HIT_COLUMNS, Source.name.label("site_name"), province_expr().label("province"),
                   province_now_expr().label("province_now"))
            .outerjoin(Source, Source.id == Article.site).where(Article.id.in_(bindparam("ids", expanding=True))))


def load_hits(session: Session, ids: tuple[int, ...], scores: dict[int, float],
              parsed: ParsedQuery) -> tuple[SearchHit, ...]:
    """The page's hits with snippets; reads only the columns a hit shows (no ORM objects)."""
    rows = session.connection().execute(_hits_statement(), {"ids": list(ids)}).all()
    by_id = {r.id: r for r in rows}
    hits = []
    for i in ids:
        a = by_id[i]
        snippet = make_snippet(snippet_source(a, parsed.terms), parsed.terms)
        hits.append(SearchHit(
            id=a.id, url=a.url, canonical_url=a.canonical_url, site=a.site, site_name=a.site_name,
            province=a.province, title=a.title, description=a.description, author=a.author,
            section=a.section, published_at=a.published_at, score=scores.get(i), snippet=snippet,
            province_now=a.province_now, key=a.key))
    return tuple(hits)


def search(session: Session, query: SearchQuery) -> SearchResult:
    """Run ``query``: the page of hits with snippets, the total, and facets when asked.

    An empty query text lists the filtered articles, newest first.

    >>> search(session, SearchQuery(text="kim thanh", sites=("baohaiduong",)))  # doctest: +SKIP
    """
    parsed = check_query(query)
    backend: SearchBackend = backend_for(session)
    candidates = find_candidates(session, backend, parsed, query, with_meta=query.facets)
    if query.sort == "relevance" and not parsed.is_empty:
        page = rank_page(session, backend, parsed, query, candidates)
    else:
        # Without words there is no relevance: list the filtered articles newest first.
        by_date = replace(query, sort="newest") if query.sort == "relevance" else query
        page = sort_by_date(session, backend, parsed, by_date, candidates)
    facets = count_facets(session, candidates.facet_rows) if query.facets else {}
    hits = load_hits(session, page.ids, page.scores, parsed)
    return SearchResult(query=query, total=candidates.total, hits=hits, facets=facets,
                        total_is_estimate=candidates.is_estimate, parsed_query=parsed.descriptions())


def rebuild_index(session: Session) -> int:
    """Re-fold every article into the search index; returns how many were indexed.

    Needed after the fold changes or a bulk load that bypassed the triggers.
    """
    backend_for(session).rebuild_index(session)
    return int(session.scalar(select(func.count()).select_from(Article)) or 0)
