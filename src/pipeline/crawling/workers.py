"""Extraction off the crawler's event loop.

Extraction is CPU-bound (about 10 ms a page against about 2.5 ms of Scrapy's own work), so the
crawler hands each fetched page to an :class:`ExtractionPool` and awaits a future. With
``workers >= 1`` the pool is a process pool, which spreads extraction over the cores (threads
would not: the GIL); ``workers=0`` runs extraction in one helper thread of the calling process,
for debugging and for machines where starting processes is not allowed.

>>> with ExtractionPool(workers=0) as pool:                     # doctest: +SKIP
...     result = pool.submit(page).result()
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType

from pipeline.errors import BaotinhError, ExtractionError
from pipeline.record import ArticleRecord, CaptureRef, StoreItem
from pipeline.registry.load import Site

__all__ = ["ExtractionPool", "ExtractionResult", "FetchedPage", "extract_page", "extract_pages"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchedPage:
    """What the crawler received for one URL: the exact bytes and the context to read them."""

    url: str
    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    fetched_at: datetime
    site: Site | None = None
    request_url: str | None = None  # before redirects, when it differs
    capture: CaptureRef | None = None  # the WARC record of these bytes (issue 5)

    @property
    def http_charset(self) -> str | None:
        ctype = self.headers.get("content-type", "")
        for part in ctype.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip("\"' ")
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtractionResult:
    """The record of one page, or the one-line reason it has none."""

    url: str
    record: ArticleRecord | None = None
    error: str | None = None
    # The exception's type when extraction failed unexpectedly (a bug, a hostile page), not
    # because the page has no article: the ledger's ``extract_error`` rows carry it.
    error_type: str | None = None
    cpu_seconds: float = 0.0
    # The text's SimHash and search fold, computed here (the fold once for both) so that the
    # archive writer does not have to.
    simhash: int | None = None
    folded_text: str | None = None

    def store_item(self, capture: CaptureRef | None) -> StoreItem:
        """What the archive stores for this page (its record, ``capture``, the worker's work)."""
        if self.record is None:
            raise ExtractionError(f"no article at {self.url}: {self.error}")
        return StoreItem(record=self.record, capture=capture, simhash=self.simhash, simhash_known=True,
                         folded_text=self.folded_text)


def extract_page(page: FetchedPage) -> ExtractionResult:
    """Extract one fetched page; never raises (errors come back in the result)."""
    # imported in the worker, after fork/spawn
    from pipeline.extract.core import ExtractorCrashed, extract_article

    start = time.thread_time()
    try:
        record = extract_article(
            page.body, page.url, site=page.site, fetched_at=page.fetched_at,
            http_charset=page.http_charset,
        )
        from pipeline.text.fold import fold
        from pipeline.text.simhash import simhash_text

        folded = fold(record.text)
        simhash = simhash_text(record.text, folded=folded)
    except ExtractorCrashed as exc:
        return ExtractionResult(url=page.url, error=str(exc), error_type=exc.exception_type,
                                cpu_seconds=time.thread_time() - start)
    except BaotinhError as exc:
        return ExtractionResult(url=page.url, error=str(exc), cpu_seconds=time.thread_time() - start)
    except Exception as exc:  # a bug must not kill a crawl; it is counted in the ledger and logged
        crash = ExtractorCrashed.wrapping(page.url, exc)
        return ExtractionResult(url=page.url, error=str(crash), error_type=crash.exception_type,
                                cpu_seconds=time.thread_time() - start)
    return ExtractionResult(url=page.url, record=record, simhash=simhash, folded_text=folded,
                            cpu_seconds=time.thread_time() - start)


def extract_pages(pages: Sequence[FetchedPage]) -> list[ExtractionResult]:
    """Extract a batch (one inter-process round trip for many pages)."""
    return [extract_page(p) for p in pages]


def _warm_up() -> None:
    # Import the heavy modules once per worker instead of on the first page.
    from pipeline.text import simhash  # noqa: F401


def _for_worker(page: FetchedPage) -> FetchedPage:
    """The page without its capture reference: extraction does not read it, so it need not travel.

    The workers import :mod:`pipeline.record` (``CaptureRef``, ``StoreItem``) but neither
    SQLAlchemy nor warcio, which would cost each worker about a second to import
    (``tests/test_writer.py`` checks that)."""
    return replace(page, capture=None) if page.capture is not None else page


def default_workers() -> int:
    """One worker per core but one, and at least one.

    The crawler process keeps a core busy too (Scrapy, link discovery, WARC captures: about
    5 ms of CPU per page against 2–4 ms of extraction on provincial pages), and the archive
    writer needs a slice. On the 2-core bench machine a second worker made the crawl slower
    (146–155 pages/s against 167–175) and dearer (11.7–12.5 ms CPU/page against 10.2–10.7):
    four busy processes on two cores only compete for them.
    """
    return max(1, (os.cpu_count() or 1) - 1)


class ExtractionPool:
    """Runs :func:`extract_page` in worker processes (or one thread when ``workers == 0``)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_workers() if workers is None else workers
        self._executor: Executor
        if self.workers <= 0:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="extract")
        else:
            # spawn, not fork: the crawler process runs threads (Twisted's pool, the writer).
            ctx = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=ctx, initializer=_warm_up
            )

    def submit(self, page: FetchedPage) -> Future[ExtractionResult]:
        return self._executor.submit(extract_page, _for_worker(page))

    def submit_batch(self, pages: Sequence[FetchedPage]) -> Future[list[ExtractionResult]]:
        return self._executor.submit(extract_pages, [_for_worker(p) for p in pages])

    def close(self, *, wait: bool = True) -> None:
        self._executor.shutdown(wait=wait, cancel_futures=not wait)

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close(wait=exc is None)
