"""Facets: counts of the candidates by site, province (then and now), year, month, section,
author and tag.

One read of the (at most ``CANDIDATE_CAP``) candidates' few facet columns, counted here: tags
are JSON lists and the province at publication depends on the date, neither of which a GROUP BY
says the same way on both backends. The provinces of a site come from the small sources table.
Counts are estimates when the total is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from pipeline.archive.models import Source
from pipeline.registry.provinces import province_at, province_now

__all__ = ["FACET_NAMES", "FacetRow", "FacetRows", "count_facets", "facet_groups"]

# The facets in the order the UI shows them.
FACET_NAMES = ("site", "province", "province_now", "year", "month", "section", "author", "tag")
# site, published_at, first_seen_at, section, author, tags of one candidate.
FacetRow = tuple[str | None, datetime | None, datetime | None, str | None, str | None, tuple[str, ...]]
FacetRows = tuple[FacetRow, ...]


def facet_groups(session: Session, rows: Select[Any]) -> FacetRows:
    """The facet columns of ``rows``, a statement with the backends' ``meta_columns``."""
    sub = rows.subquery()
    stmt = select(sub.c.site, sub.c.published_at, sub.c.first_seen_at, sub.c.section, sub.c.author, sub.c.tags)
    return tuple((site, pub, seen, section, author, tuple(str(t) for t in tags or ()))
                 for site, pub, seen, section, author, tags in session.execute(stmt))


def _ordered(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kn: (-kn[1], kn[0]))


def _add(counter: Counter[str], values: Iterable[str | None]) -> None:
    for value in values:
        if value:
            counter[value] += 1


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
    counts: dict[str, Counter[str]] = {name: Counter() for name in FACET_NAMES}
    for site, published, seen, section, author, tags in rows:
        before, after = provinces.get(site or "", (None, None))
        local = published  # read back in Vietnam's time (AwareDateTime): the local year and month
        _add(counts["site"], (site,))
        _add(counts["province"], (province_at(published, seen, before, after),))
        _add(counts["province_now"], (province_now(before, after),))
        _add(counts["year"], (f"{local.year:04d}" if local else None,))
        _add(counts["month"], (f"{local.year:04d}-{local.month:02d}" if local else None,))
        _add(counts["section"], (section,))
        _add(counts["author"], (author,))
        _add(counts["tag"], set(tags))
    return {name: _ordered(counts[name]) for name in FACET_NAMES}
