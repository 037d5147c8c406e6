"""``baotinh backfill``: a site's pages from the web's archives, run like a crawl.

For each site: take the crawl locks (one run at a time per site and archive), open a
``crawl_runs`` row, list the site's captures (:mod:`~pipeline.backfill.listing`, resumable),
choose one capture per article URL and period (:func:`~pipeline.backfill.cdx.select_captures`),
fetch each one not archived before, politely, and hand it, as a WARC record, to the WARC import
(the one ingest path). Every capture listed ends in the run's ledger: ``new``, ``updated``,
``unchanged``, ``skipped`` (with why) or ``failed``; the run closes with the crawl's statuses,
and the command exits with the crawl's codes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from pipeline.archive import db, store
from pipeline.archive.transactions import in_transaction
from pipeline.backfill.cdx import Capture, select_captures, timestamp_bound
from pipeline.backfill.cursor import Cursor, cursor_dir
from pipeline.backfill.listing import ArchiveSource, ListingCounts, list_site
from pipeline.backfill.memento import Memento, MementoError
from pipeline.backfill.politeness import FetchError
from pipeline.config import Settings
from pipeline.crawling import ledger
from pipeline.crawling.ledger import LedgerKey, section_of
from pipeline.crawling.locks import hold_crawl
from pipeline.crawling.status import RunStatus, crawl_exit_code
from pipeline.errors import BaotinhError
from pipeline.registry.load import Registry, Site
from pipeline.text.urls import canonicalise_url

__all__ = ["BackfillOptions", "BackfillResult", "Ingest", "SiteBackfill", "run_backfill"]

# Consecutive fetches failing before a run stops: the archive is down or refusing us.
MAX_FAILURES_IN_A_ROW = 5
OUTCOME_METRICS = ("new", "updated", "unchanged", "earlier")


class Ingest(Protocol):
    """The WARC import of one fetched capture: its outcome (``new``, ``updated``, ``unchanged``,
    ``earlier``, ``skipped:<reason>`` or ``failed:<reason>``), committed with its ledger counts
    when it returns. ``archived(key)`` tells whether a capture was imported before."""

    def __call__(self, memento: Memento, *, run_id: int, site: Site) -> str: ...

    def archived(self, source_key: str) -> bool: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class BackfillOptions:
    """What to ask of which archive (``start``/``end``: ``YYYY[-MM[-DD]]``)."""

    source: str  # "wayback" or "commoncrawl"
    start: str | None = None
    end: str | None = None
    per: str = "all"  # one capture per URL and: all (the window), year, month, day
    max_captures: int | None = None  # fetched per site at most

    def bounds(self) -> tuple[str, str]:
        return (timestamp_bound(self.start, end=False) if self.start else "19960101000000",
                timestamp_bound(self.end, end=True) if self.end else "29991231235959")

    def params(self, source_url: str) -> dict[str, str]:
        """What identifies a listing in the cursor: another window or archive lists again."""
        start, end = self.bounds()
        return {"source": self.source, "from": start, "to": end, "url": source_url}


@dataclass
class SiteBackfill:
    """What one site's backfill did (the summary line and ``--json``)."""

    site: str
    run_id: int | None = None
    status: RunStatus = RunStatus.OK
    listed: int = 0  # captures the index listed (every domain)
    articles: int = 0  # of which article captures
    chosen: int = 0  # one per URL and period
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    earlier: int = 0  # older than the archived copy: placed in its history
    skipped: int = 0
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    message: str | None = None

    def line(self) -> str:
        return (f"{self.site}: {self.status}, {self.listed} captures listed, {self.chosen} chosen, "
                f"{self.fetched} fetched, {self.new} new, {self.updated} updated, "
                f"{self.unchanged} unchanged, {self.earlier} earlier versions, {self.skipped} skipped, "
                f"{self.failed} failed (run {self.run_id})")

    def as_dict(self) -> dict[str, Any]:
        return {"site": self.site, "run_id": self.run_id, "status": str(self.status),
                "listed": self.listed, "articles": self.articles, "chosen": self.chosen,
                "fetched": self.fetched, "new": self.new, "updated": self.updated,
                "unchanged": self.unchanged, "earlier": self.earlier, "skipped": self.skipped, "failed": self.failed,
                "failures": [list(f) for f in self.failures], "message": self.message}


@dataclass
class BackfillResult:
    sites: list[SiteBackfill]

    @property
    def exit_code(self) -> int:
        return crawl_exit_code(s.status for s in self.sites)


def run_backfill(settings: Settings, site_ids: Sequence[str], options: BackfillOptions, *,
                 registry: Registry, source: ArchiveSource, source_url: str, ingest: Ingest,
                 progress: Callable[[str], None] | None = None) -> BackfillResult:
    """Backfill ``site_ids`` from ``source`` into the archive, one run per site."""
    sites = [registry.get(s) for s in dict.fromkeys(site_ids)]  # UnknownSiteError: exit 78
    results = []
    with hold_crawl(settings, [s.id for s in sites]):
        engine = db.make_engine(settings.database_url)
        try:
            sessions = db.make_sessionmaker(engine)
            for site in sites:
                cursor = Cursor(cursor_dir(settings.archive_dir, site.id, options.source))
                job = _SiteJob(site, options, source, cursor, sessions, ingest, progress)
                results.append(job.run(source_url))
        finally:
            engine.dispose()
    return BackfillResult(results)


@dataclass
class _SiteJob:
    site: Site
    options: BackfillOptions
    source: ArchiveSource
    cursor: Cursor
    sessions: sessionmaker[Session]
    ingest: Ingest
    progress: Callable[[str], None] | None
    result: SiteBackfill = field(init=False)
    _counts: dict[LedgerKey, int] = field(init=False)
    _capped: int = field(init=False)

    def __post_init__(self) -> None:
        self.result = SiteBackfill(self.site.id)
        self._counts = {}
        self._capped = self.source.client.retry_after_capped  # Retry-After waits cut short so far

    def count(self, metric: str, reason: str = "", url: str = "", n: int = 1) -> None:
        """Count in the run's ledger (written by :meth:`write_counts`). A capture handed to the
        import is counted there (discovered, fetched, its outcome); the others are counted here,
        as ``discovered`` by the archive's name and their outcome."""
        if n:
            key = LedgerKey(self.site.id, section_of(url) if url else "", metric, reason)
            self._counts[key] = self._counts.get(key, 0) + n

    def settle(self, metric: str, reason: str, url: str = "", n: int = 1) -> None:
        """``n`` captures discovered and settled here (not handed to the import)."""
        self.count("discovered", self.options.source, url, n)
        self.count(metric, reason, url, n)
        if metric == "skipped":
            self.result.skipped += n

    def write_counts(self) -> None:
        """Add the counts made so far to the run's ledger; they are forgotten once committed (a
        transaction PostgreSQL aborts as a deadlock victim is run again with the same counts)."""
        capped = self.source.client.retry_after_capped
        self.count(ledger.BUDGET, ledger.RETRY_AFTER_CAPPED, n=capped - self._capped)
        self._capped = capped
        if self._counts:
            counts = self._counts
            in_transaction(self.sessions, lambda session: ledger.add_counts(session, self._run_id, counts))
            self._counts = {}

    def run(self, source_url: str) -> SiteBackfill:
        args = {"command": "backfill", "source": self.options.source, "from": self.options.start,
                "to": self.options.end, "per": self.options.per, "url": source_url}

        def start(session: Session) -> int:
            store.sync_source(session, self.site)
            return store.start_run(session, self.site.id, args=args)

        self._run_id = in_transaction(self.sessions, start)
        self.result.run_id = self._run_id
        try:
            self._backfill(source_url)
        except (FetchError, MementoError, BaotinhError) as exc:
            self.result.message = str(exc)
            self.result.status = RunStatus.FAILED if not self.result.fetched else RunStatus.PARTIAL
        except BaseException:  # Ctrl-C: the run closes as interrupted; the cursor has what was done
            self.result.status = RunStatus.INTERRUPTED
            self.result.message = "interrupted; run the backfill again to resume"
            self.write_counts()
            self._finish()
            raise
        self.write_counts()
        self._finish()
        return self.result

    def _backfill(self, source_url: str) -> None:
        start, end = self.options.bounds()
        state = self.cursor.load_listing(self.options.params(source_url))
        if not state.complete:
            counts = ListingCounts()
            state = list_site(self.source, self.site, self.cursor, state, start=start, end=end, counts=counts)
            self.result.listed = counts.listed
            self.count("listed", "not_article", n=counts.not_article)
        self.result.articles = len(state.captures)
        self.result.listed = max(self.result.listed, len(state.captures))
        chosen, dropped = select_captures(state.captures, is_article=self.site.is_article_url,
                                          canonical=self._canonical, per=self.options.per)
        for reason, n in dropped.items():
            self.settle("skipped", reason, n=n)
        self.result.chosen = len(chosen)
        self.write_counts()
        if self._fetch_all(chosen):
            # every capture was tried: the next run lists again (captures made since); one stopped
            # by --max-captures or a failing archive goes on with this listing
            self.cursor.finish_listing()

    def _canonical(self, url: str) -> str:
        return canonicalise_url(url, primary_host=self.site.domain, alias_hosts=self.site.all_hosts,
                                scheme=self.site.scheme)

    def _fetch_all(self, chosen: list[Capture]) -> bool:
        """Fetch and import the chosen captures not done before; False when stopped early."""
        done = self.cursor.done()
        complete = True
        in_a_row = 0
        budget = self.options.max_captures
        for i, capture in enumerate(chosen):
            if capture.key in done or self.ingest.archived(self.source.source_key(capture)):
                self.settle("skipped", "archived_before", capture.original)
                continue
            if budget is not None and self.result.fetched >= budget:
                self.settle("skipped", "max_captures", n=len(chosen) - i)
                complete = False
                break
            if self.progress is not None:
                self.progress(f"{self.site.id}: {i + 1}/{len(chosen)} {capture.original}")
            ok = self._fetch_one(capture)
            in_a_row = 0 if ok else in_a_row + 1
            if in_a_row >= MAX_FAILURES_IN_A_ROW:
                self.settle("skipped", "archive_failing", n=len(chosen) - i - 1)
                self.result.message = f"{MAX_FAILURES_IN_A_ROW} captures failed in a row; stopped"
                complete = False
                break
        if self.result.failed:
            self.result.status = RunStatus.PARTIAL if self.result.fetched else RunStatus.FAILED
        return complete

    def _fetch_one(self, capture: Capture) -> bool:
        try:
            memento = self.source.fetch(capture)
        except (FetchError, MementoError) as exc:
            self._failed(capture, _reason(exc))
            return False
        self.result.fetched += 1
        outcome = self.ingest(memento, run_id=self._run_id, site=self.site)
        metric, _, reason = outcome.partition(":")
        if metric == "failed":
            self._failed(capture, reason or "import", counted=True)
            return False
        if metric in OUTCOME_METRICS:
            setattr(self.result, metric, getattr(self.result, metric) + 1)
        else:
            self.result.skipped += 1
        self.cursor.mark_done(capture)
        return True

    def _failed(self, capture: Capture, reason: str, *, counted: bool = False) -> None:
        self.result.failed += 1
        if len(self.result.failures) < 10:
            self.result.failures.append((capture.original, reason))
        if not counted:  # a fetch that failed never reached the import
            self.settle("failed", reason, capture.original)
            self.write_counts()

    def _finish(self) -> None:
        r = self.result
        counts = store.RunCounts(pages_fetched=r.fetched, articles_new=r.new, articles_updated=r.updated,
                                 articles_unchanged=r.unchanged, errors=r.failed)
        in_transaction(self.sessions, lambda session: store.finish_run(
            session, self._run_id, status=str(r.status), counts=counts, message=r.message))

    _run_id: int = 0


def _reason(exc: Exception) -> str:
    text = str(exc)
    for status in ("429", "503", "404", "403", "410", "500"):
        if f"HTTP {status}" in text:
            return f"http_{status}"
    return "archive_error" if isinstance(exc, MementoError) else "fetch_error"
