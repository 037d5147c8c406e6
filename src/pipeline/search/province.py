"""Province then and now in SQL: the filters and the columns of :mod:`pipeline.registry.provinces`.

Computed at query time from the archive's ``sources`` table (the registry's entries as the
archive last saw them): nothing is stored per article, so a corrected registry entry corrects
every article at the next crawl, and search, the API and the exports cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from pipeline.archive.models import Article, Source
from pipeline.registry.provinces import MERGER_AT
from pipeline.text.fold import fold

__all__ = ["before_merger", "province_at_conditions", "province_expr", "province_now_conditions",
           "province_now_expr"]


def _changed() -> ColumnElement[bool]:
    return and_(Source.province_before.is_not(None), Source.province_after.is_not(None),
                Source.province_before != Source.province_after)


def _unchanged() -> ColumnElement[bool]:
    return or_(Source.province_before.is_(None), Source.province_after.is_(None),
               Source.province_before == Source.province_after)


def before_merger() -> ColumnElement[bool]:
    """The article was published before the merger (undated: first seen before it)."""
    return or_(Article.published_at < MERGER_AT,
               and_(Article.published_at.is_(None), Article.first_seen_at < MERGER_AT))


def province_expr() -> ColumnElement[Any]:
    """The province at publication of an ``articles`` row joined to its ``sources`` row."""
    return case(
        (_unchanged(), func.coalesce(Source.province_before, Source.province_after)),
        (Article.published_at < MERGER_AT, Source.province_before),
        (Article.published_at >= MERGER_AT, Source.province_after),
        (Article.first_seen_at < MERGER_AT, Source.province_before),
        else_=None)


def province_now_expr() -> ColumnElement[Any]:
    """The province of the row's site today."""
    return func.coalesce(Source.province_after, Source.province_before)


def _folded(names: Sequence[str]) -> list[str]:
    return [fold(n).strip() for n in names]


def province_at_conditions(names: Sequence[str]) -> list[ColumnElement[bool]]:
    """Articles whose province at publication is one of ``names`` (diacritics optional)."""
    if not names:
        return []
    folded = _folded(names)
    same = select(Source.id).where(
        _unchanged(), func.baotinh_fold(func.coalesce(Source.province_before, Source.province_after)).in_(folded))
    old = select(Source.id).where(_changed(), func.baotinh_fold(Source.province_before).in_(folded))
    new = select(Source.id).where(_changed(), func.baotinh_fold(Source.province_after).in_(folded))
    return [or_(Article.site.in_(same),
                and_(Article.site.in_(old), before_merger()),
                and_(Article.site.in_(new), Article.published_at >= MERGER_AT))]


def province_now_conditions(names: Sequence[str]) -> list[ColumnElement[bool]]:
    """Articles of papers whose province today is one of ``names``."""
    if not names:
        return []
    now = select(Source.id).where(func.baotinh_fold(province_now_expr()).in_(_folded(names)))
    return [Article.site.in_(now)]
