"""Facets: counts of the candidates by site, province (then and now), year, month, section,
author and tag.

One GROUP BY over the (at most ``CANDIDATE_CAP``) candidates by site, local month, era (before
or after the 2025 merger), section, author and the tags' JSON text; the groups are then counted
here, since tags are JSON lists and the province at publication depends on the era, neither of
which a GROUP BY says the same way on both backends. The provinces of a site come from the small
sources table. Counts are estimates when the total is.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from sqlalchemy import String, case, cast, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from pipeline.archive.models import Article, Source
from pipeline.registry.provinces import MERGER_AT, province_changed, province_now

__all__ = ["FACET_NAMES", "FacetRows", "LocalMonth", "count_facets", "facet_groups"]

# The facets in the order the UI shows them.
FACET_NAMES = ("site", "province", "province_now", "year", "month", "section", "author", "tag")
# (site, month, era, section, author, tags JSON, count) groups of the candidates.
FacetRows = tuple[tuple[str | None, str | None, int | None, str | None, str | None, str | None, int], ...]
_BEFORE, _AFTER = 0, 1


class LocalMonth(ColumnElement[str]):
    """``YYYY-MM`` of a timestamp in Vietnam (UTC+7, no daylight saving); compiled per dialect."""

    # Cacheable: the statement's compiled form is reused (no bound value is made at compile time).
    inherit_cache = True
    _traverse_internals = [("moment", InternalTraversal.dp_clauseelement)]
    type = String()

    def __init__(self, moment: Any) -> None:
        self.moment = moment


@compiles(LocalMonth, "sqlite")
def compile_month_sqlite(element: LocalMonth, compiler: Any, **kw: Any) -> str:
    return f"strftime('%Y-%m', {compiler.process(element.moment, **kw)}, '+7 hours')"


@compiles(LocalMonth, "postgresql")
def compile_month_pg(element: LocalMonth, compiler: Any, **kw: Any) -> str:
    return f"to_char(timezone('Asia/Ho_Chi_Minh', {compiler.process(element.moment, **kw)}), 'YYYY-MM')"


def era_expr() -> ColumnElement[Any]:
    """0 before the merger, 1 from it on, NULL for an undated article first seen after it."""
    return case((Article.published_at < MERGER_AT, _BEFORE), (Article.published_at >= MERGER_AT, _AFTER),
                (Article.first_seen_at < MERGER_AT, _BEFORE), else_=None)


def facet_groups(session: Session, candidates: ColumnElement[bool]) -> FacetRows:
    """(site, month, era, section, author, tags JSON, count) groups of the articles ``candidates`` selects."""
    keys = (Article.site, LocalMonth(Article.published_at), era_expr(), Article.section, Article.author,
            cast(Article.tags, String))
    grouped = select(*keys, func.count()).where(candidates).group_by(*keys)
    return tuple((site, month, era, section, author, tags, int(n))
                 for site, month, era, section, author, tags, n in session.execute(grouped))


def _ordered(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(((str(k), n) for k, n in counts.items() if k), key=lambda kn: (-kn[1], kn[0]))


def count_facets(session: Session, rows: FacetRows) -> dict[str, list[tuple[str, int]]]:
    """Counts of the candidates by every facet of :data:`FACET_NAMES`.

    Ordered by count, then value (code-point order on both backends). ``province`` is the
    province at publication (``province_now`` today); an article whose province at publication
    is unknown (undated, first seen after the merger) is counted under neither value.
    """
    # A Result has keys() (its column names), so dict(result) would read it as a mapping.
    provinces: dict[str, tuple[str | None, str | None]] = {  # noqa: C416
        sid: (before, after) for sid, before, after in session.execute(
            select(Source.id, Source.province_before, Source.province_after))}
    sites, months, sections, authors = Counter[str](), Counter[str](), Counter[str](), Counter[str]()
    eras: Counter[tuple[str, int | None]] = Counter()
    tags_json: Counter[str] = Counter()
    # A tight loop: the groups are as many as the candidates (2,000) when authors or tags vary.
    for site, month, era, section, author, tags, n in rows:
        sites[site or ""] += n
        months[month or ""] += n
        sections[section or ""] += n
        authors[author or ""] += n
        eras[site or "", era] += n
        if tags and tags != "[]":
            tags_json[tags] += n
    counts: dict[str, Counter[str]] = {"site": sites, "month": months, "section": sections, "author": authors,
                                       "province": Counter(), "province_now": Counter(), "year": Counter(),
                                       "tag": Counter()}
    for (site, era), n in eras.items():
        before, after = provinces.get(site, (None, None))
        changed = province_changed(before, after)
        counts["province"][(after or "" if era == _AFTER else before or "" if era == _BEFORE else "")
                           if changed else (before or after or "")] += n
        counts["province_now"][province_now(before, after) or ""] += n
    for month, n in months.items():
        counts["year"][month[:4]] += n
    # One decode of every distinct tag list at once: 2,000 json.loads calls cost ~15 ms, this ~2.
    tag_lists = json.loads("[" + ",".join(tags_json) + "]") if tags_json else []
    for tags_of_group, n in zip(tag_lists, tags_json.values(), strict=True):
        for tag in {str(t) for t in tags_of_group if t}:
            counts["tag"][tag] += n
    return {name: _ordered(counts[name]) for name in FACET_NAMES}
