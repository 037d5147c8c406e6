"""The last good robots.txt of a site (issue 14, item 10).

RFC 9309 (2.3.1.3, 2.3.1.4): a robots.txt that cannot be reached (a timeout, a 5xx, a 429) means
"disallow everything", and a crawler "MAY" use a cached copy instead, for a reasonable time. The
archive keeps every robots.txt it fetched as a WARC capture, so the cache is there already:
:func:`last_good_robots` finds the newest 200 capture of the site's ``/robots.txt`` made by one of
its runs no more than :data:`KEPT_ROBOTS_MAX_DAYS` days ago and reads it back. Older than that, or
none: the site is not crawled (``failed``/``robots_unreachable``), as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.archive.captures.index import ref_from_row
from pipeline.archive.captures.reader import read_capture
from pipeline.archive.models import Capture, CrawlRun
from pipeline.errors import ArchiveError

__all__ = ["KEPT_ROBOTS_MAX_DAYS", "KeptRobots", "last_good_robots"]

# How old a kept robots.txt may be to stand in for an unreachable one (Scrapy setting
# BAOTINH_ROBOTS_KEPT_DAYS). A month: long enough for a server's bad week, short enough that a
# paper's changed rules are not ignored for long.
KEPT_ROBOTS_MAX_DAYS = 30
# Captures tried, newest first, before giving up (one may sit in a damaged WARC file).
_TRIED = 3


@dataclass(frozen=True, slots=True)
class KeptRobots:
    """A robots.txt an earlier run fetched (status 200) and the archive kept."""

    uri: str
    fetched_at: datetime
    body: bytes

    def age_days(self, now: datetime) -> float:
        """How old the copy is at ``now``, in days."""
        return (now - self.fetched_at).total_seconds() / 86400


def last_good_robots(session: Session, archive_dir: Path, site_id: str, *, now: datetime | None = None,
                     max_days: float = KEPT_ROBOTS_MAX_DAYS) -> KeptRobots | None:
    """The newest robots.txt of ``site_id`` captured with status 200 within ``max_days``, or None.

    Only captures made by a run of the same site count (a mirror's port may change between runs;
    another site's rules never apply).
    """
    since = (now or datetime.now(UTC)) - timedelta(days=max_days)
    rows = session.scalars(
        select(Capture).join(CrawlRun, Capture.crawl_run_id == CrawlRun.id)
        .where(CrawlRun.site_id == site_id, Capture.uri.like("%/robots.txt"), Capture.status == 200,
               Capture.date >= since)
        .order_by(Capture.date.desc(), Capture.id.desc()).limit(_TRIED)
    ).all()
    for row in rows:
        try:
            captured = read_capture(archive_dir, ref_from_row(row), session)
        except ArchiveError:
            continue
        return KeptRobots(uri=row.uri, fetched_at=row.date, body=captured.body)
    return None
