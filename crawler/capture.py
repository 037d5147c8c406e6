"""Capture every response the crawler receives into WARC files (issue 5).

A downloader middleware placed next to the downloader (priority 950): it sees each response
exactly as it came off the wire — before decompression and before redirects are followed — so
robots.txt, sitemaps, feeds, listings, redirects, 404s and articles are all archived. Writing
(gzip + digests + the revisit index) runs in one writer thread, so the reactor only awaits a
future; the :class:`~pipeline.record.CaptureRef` is put in ``request.meta["baotinh_capture"]``
for the spider to hand on with the page.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.middlewares import NotFetched
from crawler.resources import resources_of
from pipeline.archive import db
from pipeline.archive.captures import DEFAULT_GZIP_LEVEL, CaptureArchiver, Exchange, WarcInfo
from pipeline.config import load_settings
from pipeline.crawling.diskspace import is_disk_full
from pipeline.record import CaptureRef

log = logging.getLogger(__name__)

META_KEY = "baotinh_capture"


def header_pairs(headers: Any) -> list[tuple[str, str]]:
    """Scrapy ``Headers`` as (name, value) text pairs, repeated headers kept apart."""
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items() for value in values
    ]


def exchange_of(request: Request, response: Response) -> Exchange:
    """The WARC view of one Scrapy request/response."""
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = ""
    ip = getattr(response, "ip_address", None)
    return Exchange(
        url=response.url, method=request.method, request_headers=header_pairs(request.headers),
        status=response.status, reason=reason, protocol=getattr(response, "protocol", None) or "HTTP/1.1",
        response_headers=header_pairs(response.headers), body=response.body,
        date=datetime.now(UTC), ip_address=str(ip) if ip is not None else None,
    )


class CaptureMiddleware:
    """Writes each response to the archive's WARC files; off with ``BAOTINH_CAPTURES = False``."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_bytes = crawler.settings.getint("BAOTINH_CAPTURES_MAX_BYTES", 1024 ** 3)
        self.gzip_level = crawler.settings.getint("BAOTINH_CAPTURES_GZIP_LEVEL", DEFAULT_GZIP_LEVEL)
        self.robots = "obey" if crawler.settings.getbool("ROBOTSTXT_OBEY") else "ignore"
        self.user_agent = crawler.settings.get("USER_AGENT")
        self.settings = load_settings()
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warc-writer")
        self.archiver: CaptureArchiver | None = None
        self.engine: Any = None
        self.resources = resources_of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureMiddleware:
        if not crawler.settings.getbool("BAOTINH_CAPTURES", True):
            raise NotConfigured("captures are off")
        mw = cls(crawler)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def _open(self) -> CaptureArchiver:
        # Lazily, in the writer thread: the store pipeline has created the crawl run by now.
        if self.archiver is None:
            spider = self.crawler.spider
            site = getattr(spider, "site", None)
            info = WarcInfo(crawl_run=getattr(spider, "run_id", None), site=getattr(site, "id", None),
                            robots=self.robots, user_agent=self.user_agent)
            self.engine = db.make_engine(self.settings.database_url)
            db.upgrade(self.engine)
            self.archiver = CaptureArchiver(self.settings.capture_root, db.make_sessionmaker(self.engine),
                                            max_bytes=self.max_bytes, info=info, gzip_level=self.gzip_level)
        return self.archiver

    def _capture(self, exchange: Exchange) -> CaptureRef:
        return self._open().capture(exchange)

    def process_request(self, request: Request) -> None:
        """Once the disk is full nothing more is fetched: it could not be kept."""
        if self.resources.disk_full is not None:
            raise NotFetched(f"not fetching {request.url}: the archive's disk is full")

    async def process_response(self, request: Request, response: Response) -> Response:
        if self.resources.disk_full is not None:
            return response  # the crawl is stopping: the reserve is for closing the run
        exchange = exchange_of(request, response)
        try:
            ref = await asyncio.wrap_future(self.thread.submit(self._capture, exchange))
        except Exception as exc:  # never unnoticed; a full disk stops the crawl, other errors not
            if is_disk_full(exc):
                self.resources.disk_full_met("writing a WARC capture", exc)
            log.error("cannot write the capture of %s: %s", response.url, exc)
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("baotinh/capture_failed")
            return response
        request.meta[META_KEY] = ref
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"baotinh/captures/{ref.rec_type}")
        return response

    def _close(self) -> None:
        if self.archiver is not None:
            self.archiver.close()
        if self.engine is not None:
            self.engine.dispose()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Flush the revisit index and close the WARC file."""
        self.thread.submit(self._close).result()
        self.thread.shutdown(wait=True)
