"""The checks and filters of a search: option validation and the WHERE conditions of every filter.

The conditions are dialect-neutral SQL (``baotinh_fold`` exists on both backends); the text
match itself is the backends' business (:mod:`pipeline.search.backends`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from pipeline.archive.models import Article, Source
from pipeline.search.model import MAX_LIMIT, SORTS, SearchQuery
from pipeline.search.query import ParsedQuery, QueryError, parse_query
from pipeline.text.dates import VN_TZ
from pipeline.text.fold import fold

__all__ = ["article_conditions", "check_query", "filter_conditions", "local_day_start", "site_conditions"]


def check_query(query: SearchQuery) -> ParsedQuery:
    """Validate the options and parse the text; raise :class:`QueryError` with a fix."""
    if query.sort not in SORTS:
        raise QueryError(f"unknown sort {query.sort!r}; use one of: {', '.join(SORTS)}")
    if not 1 <= query.limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}")
    if query.offset < 0:
        raise QueryError("offset cannot be negative")
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise QueryError(f"the date range is empty: {query.date_from} is after {query.date_to}")
    parsed = parse_query(query.text)
    if parsed.is_empty and query.text.strip():
        raise QueryError(f"the query {query.text!r} has no word to search for; type letters or digits")
    return parsed


def local_day_start(day: date) -> datetime:
    """Midnight of ``day`` in Vietnam: date filters are days as the papers' readers live them."""
    return datetime.combine(day, time.min, tzinfo=VN_TZ)


def escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filter_conditions(query: SearchQuery) -> list[ColumnElement[bool]]:
    """The WHERE conditions of every filter (not the text match)."""
    return site_conditions(query) + article_conditions(query)


def site_conditions(query: SearchQuery) -> list[ColumnElement[bool]]:
    """The site and province filters (both select sites)."""
    conds: list[ColumnElement[bool]] = []
    if query.sites:
        conds.append(Article.site.in_(query.sites))
    if query.provinces:
        names = [fold(p).strip() for p in query.provinces]
        in_province = select(Source.id).where(or_(
            func.baotinh_fold(Source.province_before).in_(names),
            func.baotinh_fold(Source.province_after).in_(names)))
        conds.append(Article.site.in_(in_province))
    return conds


def article_conditions(query: SearchQuery) -> list[ColumnElement[bool]]:
    """The filters other than site and province: date, author, section, language, duplicates."""
    conds: list[ColumnElement[bool]] = []
    if query.date_from:
        conds.append(Article.published_at >= local_day_start(query.date_from))
    if query.date_to:
        conds.append(Article.published_at < local_day_start(query.date_to + timedelta(days=1)))
    if query.author:
        pattern = "%" + escape_like(fold(query.author).strip()) + "%"
        conds.append(func.baotinh_fold(Article.author).like(pattern, escape="\\"))
    if query.section:
        conds.append(func.baotinh_fold(Article.section) == fold(query.section).strip())
    if query.language:
        conds.append(Article.language == query.language)
    duplicate_of = getattr(Article, "duplicate_of", None)
    if query.exclude_duplicates and duplicate_of is not None:
        conds.append(duplicate_of.is_(None))
    return conds
