"""The archive writer of a crawl: one batch (records, frontier rows, ledger counts) per transaction.

A crawl hands its archive writes to one :class:`ArchiveWriter`. With ``process=True`` the writer
is a process of its own (spawned, one per database), so that the crawler process keeps its core
for fetching: SQLAlchemy's work per row, the search index rows and the near-copy lookup are about a
millisecond per article, most of it holding the GIL the crawler's event loop needs. With
``process=False`` it is one thread of the caller (no extraction workers, debugging).

Either way batches are written in the order they were submitted, one transaction each, so an
interrupted crawl loses at most the batch in flight and never half of one: a page's frontier row
is written in the same transaction as its record (issue 6, resumable crawls).

>>> with ArchiveWriter("sqlite:///archive/baotinh.sqlite", process=False) as writer:  # doctest: +SKIP
...     result = writer.submit(WriteBatch(items=items, run_id=run_id)).result()
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from pipeline.archive import store, versions
from pipeline.archive.transactions import in_transaction
from pipeline.archive.versions import WithdrawnPage
from pipeline.crawling import frontier, ledger
from pipeline.crawling.frontier import FetchOutcome
from pipeline.record import StoreItem

__all__ = ["ArchiveWriter", "WriteBatch", "WriteResult", "write_batch"]


@dataclass(slots=True, kw_only=True)
class WriteBatch:
    """What one transaction writes: articles, the frontier rows of their pages, ledger counts."""

    items: list[StoreItem] = field(default_factory=list)
    outcomes: list[FetchOutcome] = field(default_factory=list)
    ledger_counts: dict[ledger.LedgerKey, int] = field(default_factory=dict)
    run_id: int | None = None

    def __bool__(self) -> bool:
        return bool(self.items or self.outcomes or self.ledger_counts)


@dataclass(frozen=True, slots=True)
class WriteResult:
    counts: store.UpsertCounts
    seconds: float  # wall time of the transaction
    cpu_seconds: float  # CPU of the writing thread


def write_batch(session: Any, batch: WriteBatch) -> store.UpsertCounts:
    """Write ``batch`` in ``session`` (the caller commits): articles, frontier rows, ledger counts.

    Articles are upserted per section, so the ledger can say new/updated/unchanged per section.
    """
    deltas = dict(batch.ledger_counts)
    counts = store.UpsertCounts()
    for section, group in _by_section(batch.items).items():
        part = store.upsert_articles(session, group, run_id=batch.run_id)
        counts += part
        site_id = group[0].record.site or ""
        for metric, n in (("new", part.new), ("updated", part.updated), ("unchanged", part.unchanged)):
            if n:
                key = ledger.LedgerKey(site_id, section, metric)
                deltas[key] = deltas.get(key, 0) + n
    frontier.mark_fetched(session, batch.outcomes, run_id=batch.run_id)
    # a 304 is an unchanged article too, for the run's counts
    counts += store.UpsertCounts(unchanged=sum(1 for o in batch.outcomes if o.status == 304))
    if batch.run_id is not None:
        ledger.add_counts(session, batch.run_id, deltas)
    return counts


def _by_section(items: list[StoreItem]) -> dict[str, list[StoreItem]]:
    groups: dict[str, list[StoreItem]] = {}
    for item in items:
        groups.setdefault(ledger.section_of(item.record.canonical_url), []).append(item)
    return groups


# -- in the writer (process or thread) ---------------------------------------------------------
# One sessionmaker per database URL, made once in the process (or thread) that writes.
_SESSIONS: dict[str, Any] = {}


def _open(database_url: str) -> Any:
    sessions = _SESSIONS.get(database_url)
    if sessions is None:
        from pipeline.archive import db

        engine = db.make_engine(database_url)
        sessions = _SESSIONS[database_url] = db.make_sessionmaker(engine)
    return sessions


def _write(database_url: str, batch: WriteBatch) -> WriteResult:
    """Write ``batch`` in one transaction, run again when the database aborts it as a deadlock
    victim (another machine's writer linking the same near-copies; see ``archive.transactions``)."""
    started, cpu = time.perf_counter(), time.thread_time()
    counts = in_transaction(_open(database_url), lambda session: write_batch(session, batch))
    return WriteResult(counts, time.perf_counter() - started, time.thread_time() - cpu)


def _withdraw(database_url: str, page: WithdrawnPage) -> None:
    """Mark a known article withdrawn (issue 5); an unknown URL changes nothing."""
    in_transaction(_open(database_url), lambda session: versions.mark_withdrawn(
        session, page.canonical_url, status=page.status, at=page.at))


def _dispose(database_url: str) -> None:
    sessions = _SESSIONS.pop(database_url, None)
    if sessions is not None:
        sessions.kw["bind"].dispose()


class ArchiveWriter:
    """Writes :class:`WriteBatch` es to one archive, in order, from one process or thread."""

    def __init__(self, database_url: str, *, process: bool = True) -> None:
        self.database_url = database_url
        self.process = process
        self._executor: Executor
        if process:
            # spawn, not fork: the crawler process runs threads (Twisted's pool, the WARC writer)
            ctx = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=_open,
                                                 initargs=(database_url,))
        else:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-writer",
                                                initializer=_open, initargs=(database_url,))

    def submit(self, batch: WriteBatch) -> Future[WriteResult]:
        return self._executor.submit(_write, self.database_url, batch)

    def withdraw(self, page: WithdrawnPage) -> Future[None]:
        return self._executor.submit(_withdraw, self.database_url, page)

    def close(self) -> None:
        """Wait for the batches in flight, release the database, stop the writer."""
        try:
            self._executor.submit(_dispose, self.database_url).result()
        finally:
            self._executor.shutdown(wait=True)

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
