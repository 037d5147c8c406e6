"""What the crawlers of one crawler process share: one extraction pool, one archive writer per
database. ``python -m crawler`` owns a :class:`CrawlResources` and closes it at the end; the
item pipelines find it in their crawler's settings (:func:`resources_of`).

Each resource counts its users: the last pipeline to release it closes it. A full disk is the
process's too: the first component that meets it (:meth:`CrawlResources.disk_full_met`) gives
back the disk reserve and stops every crawler, whose runs close as ``interrupted``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from scrapy.utils.defer import deferred_from_coro
from twisted.python.failure import Failure

from crawler.middlewares import NotFetched
from pipeline.crawling.diskspace import DISK_FULL, DiskReserve, describe
from pipeline.crawling.workers import ExtractionPool
from pipeline.crawling.writer import ArchiveWriter

__all__ = ["RESOURCES_SETTING", "CrawlResources", "resources_of"]

# The setting that carries the process's resources to every crawler's pipelines.
RESOURCES_SETTING = "BAOTINH_RESOURCES"

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Shared:
    writer: ArchiveWriter
    users: int = 0


class CrawlResources:
    """The shared resources of one crawler process (not thread-safe: the reactor's thread)."""

    def __init__(self) -> None:
        self._pool: ExtractionPool | None = None
        self._pool_users = 0
        self._writers: dict[str, _Shared] = {}
        self.reserve: DiskReserve | None = None
        self.disk_full: str | None = None  # what said so first, once the disk is full
        self._crawlers: list[Crawler] = []

    def hold_reserve(self, reserve: DiskReserve) -> None:
        """Keep ``reserve`` (taken now) for closing the runs when the disk fills."""
        if reserve.take():
            self.reserve = reserve
        else:
            log.warning("cannot keep %d bytes free at %s: a full disk may leave a run open",
                        reserve.size, reserve.path)

    def add_crawler(self, crawler: Crawler) -> None:
        """A crawler to stop when the disk fills."""
        self._crawlers.append(crawler)

    def disk_full_met(self, what: str, exc: BaseException) -> None:
        """The disk is full (``what`` failed with ``exc``): free the reserve, stop every crawl."""
        if self.disk_full is not None:
            return
        self.disk_full = f"{what}: {describe(exc)}"
        if self.reserve is not None:
            self.reserve.release()
        log.error("the archive's disk is full (%s): stopping the crawl", self.disk_full)
        for crawler in self._crawlers:
            engine = crawler.engine
            if engine is not None and engine.spider is not None:
                deferred_from_coro(engine.close_spider_async(reason=DISK_FULL))
                _drop_queued(engine.downloader)


    def acquire_pool(self, workers: int | None) -> ExtractionPool:
        """The extraction pool, started by its first user with ``workers`` processes."""
        if self._pool is None:
            self._pool = ExtractionPool(workers)
        self._pool_users += 1
        return self._pool

    def release_pool(self) -> None:
        self._pool_users -= 1
        if self._pool_users <= 0 and self._pool is not None:
            self._pool.close()
            self._pool = None

    def acquire_writer(self, database_url: str, *, process: bool) -> ArchiveWriter:
        """The archive writer of ``database_url``, started by its first user."""
        shared = self._writers.get(database_url)
        if shared is None:
            shared = self._writers[database_url] = _Shared(ArchiveWriter(database_url, process=process))
        shared.users += 1
        return shared.writer

    def release_writer(self, database_url: str) -> None:
        shared = self._writers.get(database_url)
        if shared is None:
            return
        shared.users -= 1
        if shared.users <= 0:
            del self._writers[database_url]
            shared.writer.close()

    def close(self) -> None:
        """Close whatever a user failed to release (a crawler that never closed), give the reserve back."""
        if self.reserve is not None:
            self.reserve.release()
            self.reserve = None
        writers, self._writers = list(self._writers.values()), {}
        for shared in writers:
            shared.writer.close()
        if self._pool is not None:
            pool, self._pool, self._pool_users = self._pool, None, 0
            pool.close()

    def attach(self, settings: BaseSettings) -> None:
        """Put these resources in ``settings``, for the crawlers made from them."""
        settings.set(RESOURCES_SETTING, self, priority="cmdline")

    def __deepcopy__(self, memo: dict[int, Any]) -> CrawlResources:
        # Scrapy deep-copies the settings for each crawler; the resources are shared, not copied.
        return self


def resources_of(crawler: Crawler) -> CrawlResources:
    """The process's resources, or resources of its own for a crawler started without them
    (e.g. by ``scrapy crawl``)."""
    found = crawler.settings.get(RESOURCES_SETTING)
    return found if isinstance(found, CrawlResources) else CrawlResources()


def _drop_queued(downloader: Any) -> None:
    """Refuse the requests waiting in the downloader's slots (a closing spider would fetch them
    all first, for nothing: they could not be kept); each goes to its errback as NotFetched."""
    for slot in list(downloader.slots.values()):
        while slot.queue:
            request, waiting = slot.queue.popleft()
            waiting.errback(Failure(NotFetched(f"not fetching {request.url}: the archive's disk is full")))
