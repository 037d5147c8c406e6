"""robots.txt that cannot be reached (issue 14, item 10): RFC 9309 says disallow everything, and
lets a crawler use the last good copy it kept instead (see :mod:`pipeline.crawling.robots`).

- :func:`adopt_kept_robots`: the spider's robots.txt request failed (timeout, 5xx, 429): find the
  site's last good copy; when there is one, the spider obeys it, and the ledger
  (``robots``/``stale_copy``), the log and the summary's notes (``robots_stale_copy: …``) say so.
- :class:`KeptRobotsTxtMiddleware`: Scrapy's robots.txt middleware reads an unreachable robots.txt
  as "allow everything"; this one uses the spider's kept copy, or disallows everything.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from pipeline.archive import db as archive_db
from pipeline.config import load_settings
from pipeline.crawling import ledger
from pipeline.crawling.robots import KEPT_ROBOTS_MAX_DAYS, KeptRobots, last_good_robots

__all__ = ["DISALLOW_ALL", "KeptRobotsTxtMiddleware", "adopt_kept_robots"]

log = logging.getLogger(__name__)

DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


def adopt_kept_robots(spider: Any, url: str, reason: str) -> KeptRobots | None:
    """The site's last good robots.txt, now the spider's (``spider.kept_robots``), or None.

    Said in the ledger, the log and the spider's ``notes`` (the summary carries them).
    """
    settings = load_settings()
    max_days = spider.crawler.settings.getfloat("BAOTINH_ROBOTS_KEPT_DAYS", KEPT_ROBOTS_MAX_DAYS)
    now = datetime.now(UTC)
    engine = archive_db.make_engine(settings.database_url)
    try:
        with archive_db.make_sessionmaker(engine)() as session:
            kept = last_good_robots(session, settings.archive_dir, spider.site_id, now=now, max_days=max_days)
    finally:
        engine.dispose()
    if kept is None:
        return None
    spider.kept_robots = kept
    spider.tally.add(ledger.ROBOTS, ledger.STALE_COPY, url=url)
    note = (f"{ledger.ROBOTS_STALE_COPY}: {url} unreachable ({reason}); obeying the copy fetched "
            f"{kept.fetched_at:%Y-%m-%d %H:%M} UTC ({kept.age_days(now):.1f} days old)")
    spider.notes.append(note)
    log.warning("%s", note)
    return kept


class KeptRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's :class:`RobotsTxtMiddleware`, but a robots.txt that cannot be reached is the
    spider's kept copy (``kept_robots``), else "disallow everything" (RFC 9309), never "allow
    everything". A missing one (4xx) still allows everything, as the RFC says.

    It overrides two private methods of Scrapy 2.19's middleware (``_parse_robots``,
    ``_robots_error``): the places where a fetched or failed robots.txt becomes a parser.
    """

    def _fallback(self) -> bytes:
        kept: KeptRobots | None = getattr(self.crawler.spider, "kept_robots", None)
        return kept.body if kept is not None else DISALLOW_ALL

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500 or response.status == 429:
            response = response.replace(body=self._fallback())
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest):  # refused on our side (out of scope): Scrapy's way
            super()._robots_error(exc, netloc)
            return
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        parser = build_from_crawler(self._parserimpl, self.crawler, self._fallback())
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser
        if isinstance(waiting, Deferred):
            waiting.callback(parser)
