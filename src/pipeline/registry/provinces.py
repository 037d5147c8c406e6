"""Provinces then and now: which province an article belongs to at its publication, and today.

In 2025 Vietnam's 63 provinces became 34. The National Assembly adopted Resolution
202/2025/QH15 ("về việc sắp xếp đơn vị hành chính cấp tỉnh") on 12 June 2025, effective that
day; the same resolution let the old provinces' people's councils and committees go on working
until the merged provinces' new apparatus started on **1 July 2025**, the day the merged
provinces began to govern (and most merged papers changed their titles and domains). A paper's
dateline is a matter of who governed the place, so :data:`MERGER_AT` is the start of 1 July 2025
in Vietnam (00:00, UTC+7): an article published before it belongs to the province of its time
(the registry's ``province_before``), anything from that moment on to ``province_after``.

The registry (``sites.toml``, copied into the archive's ``sources`` table at each crawl) is the
source: a site's ``province_before`` and ``province_after``. An undated article is placed before
the merger only when the archive first saw it before the merger (it cannot have been published
later); otherwise its province at publication is unknown (``None``), never a guess.
"""

from __future__ import annotations

from datetime import date, datetime

from pipeline.text.dates import VN_TZ

__all__ = ["MERGER_AT", "MERGER_DATE", "MERGER_REFERENCE", "province_at", "province_now", "province_changed"]

MERGER_DATE = date(2025, 7, 1)
MERGER_AT = datetime(2025, 7, 1, tzinfo=VN_TZ)
MERGER_REFERENCE = ("Resolution 202/2025/QH15 of 12 June 2025 (Nghị quyết 202/2025/QH15 về việc sắp xếp "
                    "đơn vị hành chính cấp tỉnh); the merged provinces' apparatus from 1 July 2025")


def province_changed(before: str | None, after: str | None) -> bool:
    """True when the site's province took another name in the merger (both names known)."""
    return before is not None and after is not None and before != after


def province_now(before: str | None, after: str | None) -> str | None:
    """The province of the site today (after the merger).

    >>> province_now("Hải Dương", "Hải Phòng")
    'Hải Phòng'
    """
    return after if after is not None else before


def province_at(published_at: datetime | None, first_seen_at: datetime | None,
                before: str | None, after: str | None) -> str | None:
    """The province at publication: ``before`` for an article published before :data:`MERGER_AT`.

    >>> from datetime import datetime
    >>> province_at(datetime(2019, 8, 6, tzinfo=VN_TZ), None, "Hải Dương", "Hải Phòng")
    'Hải Dương'
    >>> province_at(datetime(2025, 7, 1, tzinfo=VN_TZ), None, "Hải Dương", "Hải Phòng")
    'Hải Phòng'
    """
    if not province_changed(before, after):
        return before if before is not None else after
    if published_at is not None:
        return before if published_at < MERGER_AT else after
    if first_seen_at is not None and first_seen_at < MERGER_AT:
        return before
    return None
