"""The date sorts (newest, oldest): undated articles last, then date, then id.

Few matches (all among the candidates) are sorted. Many are paged from the ``published_at``
index with a per-article match check, so the first page costs a few index steps however common
the words (on PostgreSQL the check reads the vector kept in the row since revision 0015: ~1 µs
an article, where sorting every match of a common word took 45 ms at 1 M articles).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.archive.models import Article
from pipeline.search.backends import SearchBackend
from pipeline.search.candidates import Candidates, Page, without_rejected
from pipeline.search.filters import filter_conditions
from pipeline.search.model import SearchQuery
from pipeline.search.query import ParsedQuery

__all__ = ["date_order", "sort_by_date", "walk_by_date"]


def date_order(query: SearchQuery, *, dated_only: bool) -> tuple[Any, ...]:
    """ORDER BY for the date sorts: undated last, then date, then id (the same direction)."""
    head = () if dated_only else (Article.published_at.is_(None),)
    if query.sort == "oldest":
        return (*head, Article.published_at, Article.id)
    return (*head, Article.published_at.desc(), Article.id.desc())


def walk_by_date(session: Session, backend: SearchBackend, parsed: ParsedQuery,
                 query: SearchQuery, candidates: Candidates) -> tuple[int, ...]:
    """A page in date order read from the ``published_at`` index, each article checked.

    The dated articles are read first (the index walked in the sort's direction, whatever
    either database's place for NULL in it), then the undated ones by id.
    """
    base = select(Article.id).where(*filter_conditions(query))
    if not parsed.is_empty:
        base = base.where(backend.article_match(parsed))
    if candidates.rejected:
        base = base.where(Article.id.not_in(candidates.rejected))
    dated = base.where(Article.published_at.is_not(None))
    ids = tuple(session.scalars(dated.order_by(*date_order(query, dated_only=True))
                                .limit(query.limit).offset(query.offset)))
    if len(ids) == query.limit:
        return ids
    n_dated = query.offset + len(ids) if ids else int(
        session.scalar(select(func.count()).select_from(dated.subquery())) or 0)
    by_id = Article.id if query.sort == "oldest" else Article.id.desc()
    undated = base.where(Article.published_at.is_(None)).order_by(by_id)
    rest = session.scalars(undated.limit(query.limit - len(ids)).offset(max(0, query.offset - n_dated)))
    return ids + tuple(rest)


def sort_by_date(session: Session, backend: SearchBackend, parsed: ParsedQuery, query: SearchQuery,
                 candidates: Candidates) -> Page:
    """Matches ordered by publication date (undated last), then id; exact totals up to the cap."""
    if candidates.is_estimate or parsed.is_empty:
        return Page(walk_by_date(session, backend, parsed, query, candidates), {}, candidates)
    rows = backend.match_rows(session, parsed, query)
    matches = without_rejected(rows, backend.id_column(parsed), candidates).subquery()
    stmt = (select(Article.id).join(matches, matches.c.id == Article.id)
            .order_by(*date_order(query, dated_only=False)).limit(query.limit).offset(query.offset))
    return Page(tuple(session.scalars(stmt)), {}, candidates)
