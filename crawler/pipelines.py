"""Item pipelines: hand pages to the library's extraction pool, write records in batches.

Neither blocks the reactor: extraction runs in worker processes (:class:`ExtractionPool`),
archive writes in one writer process (:class:`~pipeline.crawling.writer.ArchiveWriter`), a batch per
transaction. A batch is written when it is full, and on a timer once it has waited
``BAOTINH_STORE_INTERVAL`` seconds, so fetched articles reach the archive even when no further
page comes (a crawl stuck in a slow trap still archives what it has). A full disk stops the crawl
(:meth:`~crawler.resources.CrawlResources.disk_full_met`): the batches that could not be written
are not counted, their pages stay unsettled in the frontier (the next run fetches them), and the
run is closed ``interrupted`` with what was written.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from concurrent.futures import Future
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from twisted.internet import task

from crawler.resources import resources_of
from crawler.skip import SkippedPage, skip_reason_of
from pipeline.archive import db, store
from pipeline.archive.versions import WithdrawnPage
from pipeline.config import load_settings
from pipeline.crawling.diskspace import is_disk_full
from pipeline.crawling.frontier import FetchOutcome
from pipeline.crawling.status import SkipReason, run_status
from pipeline.crawling.workers import ExtractionPool, FetchedPage
from pipeline.crawling.writer import ArchiveWriter, WriteBatch, WriteResult
from pipeline.errors import ExtractionError
from pipeline.extract.page import check_bytes
from pipeline.record import StoreItem

log = logging.getLogger(__name__)


class ExtractPipeline:
    """FetchedPage → StoreItem, off the reactor; pages without an article are dropped."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.workers = crawler.settings.get("BAOTINH_EXTRACT_WORKERS")
        self.resources = resources_of(crawler)
        self.pool: ExtractionPool | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        self.pool = self.resources.acquire_pool(None if self.workers is None else int(self.workers))

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.pool is not None:
            self.resources.release_pool()
            self.pool = None

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchedPage):
            return item
        assert self.pool is not None
        result = await asyncio.wrap_future(self.pool.submit(item))
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("baotinh/extract_cpu_us", int(result.cpu_seconds * 1e6))  # µs: ms rounded per page added up
        if result.record is None:
            if result.error_type is not None:
                stats.inc_value("baotinh/extract_failed")
                self._extract_error(item, result.error_type, result.error or "")
            # no article on the page: a skip with its reason, not a failure of the run
            reason = SkipReason.NOT_HTML if not _is_html(item.body) else SkipReason.NOT_ARTICLE
            stats.inc_value(f"baotinh/skipped/{reason.value}")
            raise SkippedPage(reason, f"no article at {item.url}: {result.error}")
        spider = self.crawler.spider
        since = getattr(spider, "since", None)
        published = result.record.published_at
        if since is not None and published is not None and published < since:
            stats.inc_value("baotinh/skipped/before_since")
            raise SkippedPage(SkipReason.BEFORE_SINCE, f"published {published:%Y-%m-%d}, before --since")
        return result.store_item(item.capture)

    def _extract_error(self, item: FetchedPage, error_type: str, error: str) -> None:
        """Extraction raised on this page: a failure of the run, in the ledger with its type.

        Raises the drop (``extract_error``: the frontier does not settle the page, so that a
        later run tries it again); never a silent one.
        """
        spider = self.crawler.spider
        tally = getattr(spider, "tally", None)
        if tally is not None:
            tally.add("failed", f"{SkipReason.EXTRACT_ERROR.value}:{error_type}", url=item.url)
        failures = getattr(spider, "failures", None)
        if failures is not None and len(failures) < 100:
            failures.append((item.url, f"{SkipReason.EXTRACT_ERROR.value}: {error}"))
        log.warning("%s", error)
        raise SkippedPage(SkipReason.EXTRACT_ERROR, error)


def _is_html(body: bytes) -> bool:
    """Whether extraction took ``body`` for HTML at all (not empty, not binary: a NUL byte in
    its first 2 KB), as :func:`pipeline.extract.page.check_bytes` decides."""
    try:
        check_bytes(body)
    except ExtractionError:
        return False
    return True


class StorePipeline:
    """Upserts records into the archive in batches, through one :class:`ArchiveWriter`.

    The writer is a process of its own when extraction runs in worker processes (the crawler
    process keeps its core for Scrapy), else a thread; ``BAOTINH_STORE_PROCESS`` overrides.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.batch_size = crawler.settings.getint("BAOTINH_STORE_BATCH", 50)
        self.interval = crawler.settings.getfloat("BAOTINH_STORE_INTERVAL", 2.0)
        self.settings = load_settings()
        self.resources = resources_of(crawler)
        process = crawler.settings.get("BAOTINH_STORE_PROCESS")
        if process is None or process == "":
            workers = crawler.settings.get("BAOTINH_EXTRACT_WORKERS")
            self.process = workers is None or int(workers) > 0
        else:
            self.process = crawler.settings.getbool("BAOTINH_STORE_PROCESS")
        self.batch = WriteBatch()
        self.started = time.monotonic()
        self.counts = store.UpsertCounts()
        self.run_id: int | None = None
        self.writer: ArchiveWriter | None = None
        self.pending: list[Future[WriteResult]] = []  # batches the timer handed to the writer
        self.timer: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        pipe = cls(crawler)
        crawler.signals.connect(pipe.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipe.item_dropped, signal=signals.item_dropped)
        return pipe

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        engine = db.make_engine(self.settings.database_url)
        db.upgrade(engine)
        self.sessions = db.make_sessionmaker(engine)
        self.engine = engine
        site = spider.site  # type: ignore[union-attr]
        since = getattr(spider, "since", None)
        args = {k: v for k, v in {
            "site": site.id, "origin": site.start_urls[0] if site.start_urls else None,
            "max_pages": getattr(spider, "max_pages", None),
            "since": since.date().isoformat() if since else None,
            "generic": getattr(spider, "generic", False),
            "backfill": True if getattr(getattr(spider, "listings", None), "enabled", False) else None,
        }.items() if v is not None}
        with self.sessions.begin() as session:
            store.sync_source(session, site)
            self.run_id = store.start_run(session, site.id, args=args)
        spider.run_id = self.run_id  # type: ignore[union-attr]
        self.batch = WriteBatch(run_id=self.run_id)
        self.writer = self.resources.acquire_writer(self.settings.database_url, process=self.process)
        self.timer = task.LoopingCall(self._flush_due)
        self.timer.start(max(self.interval / 2, 0.1), now=False)

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, WithdrawnPage):
            assert self.writer is not None
            await self._unless_disk_full(self.writer.withdraw(item))
            return item
        if isinstance(item, FetchOutcome):
            self.batch.outcomes.append(item)
            return item
        if not isinstance(item, StoreItem):
            return item
        self.batch.items.append(item)
        record = item.record
        note = getattr(self.crawler.spider, "fetch_notes", {}).pop(record.url, None)
        if note is not None:
            self.batch.outcomes.append(dataclasses.replace(
                note, canonical_url=record.canonical_url, published_at=record.published_at))
        if self.resources.disk_full is None and (
            len(self.batch.items) >= self.batch_size or time.monotonic() - self.started >= self.interval
        ):
            result = await self._unless_disk_full(self._submit())
            if result is not None:
                self._account(result)
        return item

    async def _unless_disk_full(self, future: Future[Any]) -> Any:
        """The writer's result; None when the disk is full (the crawl is stopped), else its error."""
        try:
            return await asyncio.wrap_future(future)
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            self.resources.disk_full_met("writing to the archive's database", exc)
            return None

    def item_dropped(self, item: Any, response: Any, exception: BaseException, spider: Spider) -> None:
        """A fetched page without an article is done too: the frontier must not fetch it again."""
        if not isinstance(item, FetchedPage):
            return
        note = getattr(spider, "fetch_notes", {}).pop(item.url, None)
        reason = skip_reason_of(exception)
        tally = getattr(spider, "tally", None)
        if tally is not None and not reason.is_failure:  # a failure was counted where it happened
            tally.add("skipped", reason.value, url=item.url)
        if note is not None and reason.settles_page:
            self.batch.outcomes.append(dataclasses.replace(note, outcome=reason.value))

    def _flush_due(self) -> None:
        """On the timer: write a batch (or ledger counts) that has waited ``interval`` seconds."""
        self._settle()
        if time.monotonic() - self.started < self.interval or self.resources.disk_full is not None:
            return
        tally = getattr(self.crawler.spider, "tally", None)
        if self.batch or (tally is not None and tally.counts):
            self.pending.append(self._submit())

    def _settle(self, *, wait: bool = False) -> None:
        """Account the timer's batches the writer has finished (all of them with ``wait``)."""
        still: list[Future[WriteResult]] = []
        for future in self.pending:
            if not wait and not future.done():
                still.append(future)
                continue
            try:
                self._account(future.result())
            except Exception as exc:  # logged like a failed item; the crawl goes on, unless the disk is full
                if is_disk_full(exc):
                    self.resources.disk_full_met("writing to the archive's database", exc)
                else:
                    log.error("cannot write a batch to the archive: %s", exc)
        self.pending = still

    def _submit(self) -> Future[WriteResult]:
        """Hand the current batch (with the ledger counts so far) to the writer; start a new one."""
        assert self.writer is not None
        taken, self.batch = self.batch, WriteBatch(run_id=self.run_id)
        self.started = time.monotonic()
        tally = getattr(self.crawler.spider, "tally", None)
        if tally is not None:
            taken.ledger_counts = tally.take()
        return self.writer.submit(taken)

    def _account(self, result: WriteResult) -> None:
        self.counts += result.counts
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("baotinh/store_us", int(result.seconds * 1e6))
        stats.inc_value("baotinh/store_cpu_us", int(result.cpu_seconds * 1e6))

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        if self.writer is None:
            return
        try:
            self._settle(wait=True)
            if self.resources.disk_full is None:
                try:
                    self._account(self._submit().result())
                except Exception as exc:
                    if not is_disk_full(exc):
                        raise
                    self.resources.disk_full_met("writing to the archive's database", exc)
        finally:
            self.resources.release_writer(self.settings.database_url)
            self.writer = None

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Close the crawl run once the reason is known (after every pipeline closed)."""
        stats = self.crawler.stats
        assert stats is not None
        fetched = int(stats.get_value("baotinh/article_pages", 0))
        failed = int(stats.get_value("baotinh/failed", 0)) + int(stats.get_value("baotinh/extract_failed", 0))
        status = run_status(reason, fetched=fetched, failed=failed).value
        failures = getattr(spider, "failures", [])
        if self.resources.disk_full is not None:
            failures.insert(0, (str(self.settings.archive_dir), f"disk full ({self.resources.disk_full})"))
        message = "; ".join(f"{u}: {r}" for u, r in failures[:3]) or None
        counts = store.RunCounts(
            pages_fetched=fetched, articles_new=self.counts.new,
            articles_updated=self.counts.updated, articles_unchanged=self.counts.unchanged,
            errors=failed,
        )
        if self.run_id is not None:
            self._finish_run(status, counts, message)
        stats.set_value("baotinh/run_id", self.run_id)
        stats.set_value("baotinh/status", status)
        stats.set_value("baotinh/new", self.counts.new)
        stats.set_value("baotinh/updated", self.counts.updated)
        stats.set_value("baotinh/unchanged", self.counts.unchanged)
        self.engine.dispose()

    def _finish_run(self, status: str, counts: store.RunCounts, message: str | None) -> None:
        """Close the run with its counts; on a disk too full even for that, leave it to the next
        run (it closes a dead run as ``interrupted``)."""
        assert self.run_id is not None
        try:
            with self.sessions.begin() as session:
                store.finish_run(session, self.run_id, status=status, counts=counts, message=message)
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            log.error("cannot close run %d, the disk is full: the next run will close it", self.run_id)
