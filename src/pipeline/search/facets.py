"""Facets: counts of the candidates by site, province and year.

One GROUP BY over the (at most ``CANDIDATE_CAP``) candidates instead of three queries that
re-read every match; the province of a site comes from the small sources table. Counts are
estimates when the total is.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pipeline.archive.models import Source

__all__ = ["FacetRows", "count_facets", "facet_groups"]

# (site, year, count) groups of the candidates.
FacetRows = tuple[tuple[str | None, str | None, int], ...]


def facet_groups(session: Session, rows: Select[Any]) -> FacetRows:
    """(site, year, count) of ``rows``, a statement with ``site`` and ``year`` columns."""
    sub = rows.subquery()
    grouped = select(sub.c.site, sub.c.year, func.count()).group_by(sub.c.site, sub.c.year)
    return tuple((site, year, int(k)) for site, year, k in session.execute(grouped))


def count_facets(session: Session, rows: FacetRows) -> dict[str, list[tuple[str, int]]]:
    """Counts by site, province and year from the candidates' (site, year, count) groups.

    Ordered by count, then key (code-point order on both backends).
    """
    # A Result has keys() (its column names), so dict(result) would read it as a mapping.
    provinces: dict[str, str | None] = {sid: prov for sid, prov in session.execute(select(  # noqa: C416
        Source.id, func.coalesce(Source.province_after, Source.province_before)))}
    sites: Counter[str] = Counter()
    years: Counter[str] = Counter()
    for site, year, n in rows:
        if site is not None:
            sites[site] += n
        if year is not None:
            years[year] += n
    by_province: Counter[str] = Counter()
    for site, n in sites.items():
        province = provinces.get(site)
        if province is not None:
            by_province[province] += n
    return {name: sorted(((str(k), n) for k, n in counts.items()), key=lambda kn: (-kn[1], kn[0]))
            for name, counts in (("site", sites), ("province", by_province), ("year", years))}
