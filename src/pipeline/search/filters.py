"""The checks and filters of a search: option validation and the WHERE conditions of every filter.

The conditions are dialect-neutral SQL (``baotinh_fold`` exists on both backends); the text
match itself is the backends' business (:mod:`pipeline.search.backends`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import Boolean

from pipeline.archive.models import Article
from pipeline.search.model import MAX_LIMIT, SORTS, SearchQuery
from pipeline.search.province import province_at_conditions, province_now_conditions
from pipeline.search.query import ParsedQuery, QueryError, parse_query
from pipeline.text.dates import VN_TZ
from pipeline.text.fold import fold

__all__ = ["LocalisedQueryError", "TagMatch", "article_conditions", "check_query", "filter_conditions",
           "local_day_start", "site_conditions"]


class LocalisedQueryError(QueryError):
    """A :class:`QueryError` that also names its message in the web UI's strings (``key``, ``values``)."""

    def __init__(self, message: str, key: str, **values: object) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


def check_query(query: SearchQuery) -> ParsedQuery:
    """Validate the options and parse the text; raise :class:`QueryError` with a fix."""
    if query.sort not in SORTS:
        raise LocalisedQueryError(f"unknown sort {query.sort!r}; use one of: {', '.join(SORTS)}",
                                  "error_param_sort", choices=", ".join(SORTS))
    if not 1 <= query.limit <= MAX_LIMIT:
        raise LocalisedQueryError(f"limit must be between 1 and {MAX_LIMIT}", "error_param_int",
                                  name="limit", low=1, high=MAX_LIMIT)
    if query.offset < 0:
        raise QueryError("offset cannot be negative")
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise LocalisedQueryError(f"the date range is empty: {query.date_from} is after {query.date_to}",
                                  "error_param_range", first=query.date_from, last=query.date_to)
    try:
        parsed = parse_query(query.text)
    except QueryError as exc:
        if getattr(exc, "key", None):
            raise
        raise LocalisedQueryError(str(exc), "error_query_syntax") from None
    if parsed.is_empty and query.text.strip():
        raise LocalisedQueryError(f"the query {query.text!r} has no word to search for; type letters or digits",
                                  "error_query_empty", q=query.text.strip())
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
    """The site and province filters (sites; the province at publication reads the date too)."""
    conds: list[ColumnElement[bool]] = []
    if query.sites:
        conds.append(Article.site.in_(query.sites))
    conds += province_at_conditions(query.provinces)
    conds += province_now_conditions(query.provinces_now)
    return conds


class TagMatch(ColumnElement[bool]):
    """``articles.tags`` (a JSON list) holds ``tag``, folded; compiled per dialect below."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, tag: str) -> None:
        self.tag = fold(tag).strip()


@compiles(TagMatch, "sqlite")
def compile_tag_sqlite(element: TagMatch, compiler: Any, **kw: Any) -> str:
    param = compiler.process(bindparam(None, element.tag, unique=True), **kw)
    return (f"EXISTS (SELECT 1 FROM json_each(articles.tags) AS tag_each "
            f"WHERE baotinh_fold(tag_each.value) = {param})")


@compiles(TagMatch, "postgresql")
def compile_tag_pg(element: TagMatch, compiler: Any, **kw: Any) -> str:
    param = compiler.process(bindparam(None, element.tag, unique=True), **kw)
    return (f"EXISTS (SELECT 1 FROM jsonb_array_elements_text(articles.tags) AS tag_each(value) "
            f"WHERE baotinh_fold(tag_each.value) = {param})")


def article_conditions(query: SearchQuery) -> list[ColumnElement[bool]]:
    """The filters other than site and province: date, author, section, tag, language, duplicates."""
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
    if query.tag:
        conds.append(TagMatch(query.tag))
    duplicate_of = getattr(Article, "duplicate_of", None)
    if query.exclude_duplicates and duplicate_of is not None:
        conds.append(duplicate_of.is_(None))
    return conds
