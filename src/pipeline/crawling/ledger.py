"""The coverage ledger: for every run, site and section, what was found and what became of it.

Metrics and their reasons:

- ``discovered`` by source: ``sitemap``, ``feed``, ``listing``
- ``fetched`` (article pages requested and answered)
- ``new``, ``updated``, ``unchanged`` (``unchanged``/``not_modified`` for a 304)
- ``skipped`` with the reason: ``robots``, ``not_article``, ``too_short``, ``duplicate``,
  ``not_due``, ``unchanged`` (sitemap/feed date not newer), ``before_since``, ``max_pages``,
  ``offsite_redirect`` (the page redirected off the paper's hosts: never followed)
- ``failed`` with the status or error: ``http_404``, ``http_503``, ``timeout``, ``too_large``
  (over the download size limit, announced, received or once decompressed), ``truncated`` (a
  response shorter than its Content-Length), ``redirect_limit``, …, and
  ``robots_unreachable`` (robots.txt timed out or failed: the site is not crawled, RFC 9309)
- ``collapsed`` by ``session_id``: links that differed from one already found only in session
  ids or cache-busters (``?sid=``, ``;jsessionid=``, ``_=``), so not discovered again
- ``budget`` with what ran out: ``sitemap_depth``, ``sitemaps``, ``listing_depth``,
  ``listing_pages`` (URLs not followed), ``retry_after_capped`` (a ``Retry-After`` cut short)
- ``withdrawn`` with ``http_404``/``http_410``/``home_redirect``: an article gone
- ``not_followed`` with the status or error: a sitemap, feed or listing page refused or failed
- ``robots`` with ``stale_copy``: robots.txt was unreachable and the run obeyed the last good copy
  an earlier run kept (at most ``BAOTINH_ROBOTS_KEPT_DAYS``, 30, days old; RFC 9309 allows it)

Every discovered article URL ends in exactly one of ``new``, ``updated``, ``unchanged``,
``skipped``, ``withdrawn``, ``failed`` (:func:`unaccounted`, :func:`check_run_accounts`).

The crawler counts in a :class:`Tally`; each archive batch adds the counts gathered since the
previous batch in the same transaction, so a killed run keeps a ledger consistent with what it
archived.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.archive.models import Article, CrawlRun, LedgerCount

__all__ = [
    "BUDGET",
    "COLLAPSED",
    "LISTING_DEPTH",
    "LISTING_PAGES",
    "OFFSITE_REDIRECT",
    "RETRY_AFTER_CAPPED",
    "ROBOTS",
    "ROBOTS_STALE_COPY",
    "ROBOTS_UNREACHABLE",
    "STALE_COPY",
    "SESSION_ID",
    "SITEMAPS",
    "SITEMAP_DEPTH",
    "LedgerKey",
    "LedgerRow",
    "RunSummary",
    "Tally",
    "NOT_FOLLOWED",
    "OUTCOMES",
    "WITHDRAWN",
    "add_counts",
    "check_run_accounts",
    "close_as_interrupted",
    "close_interrupted_runs",
    "list_runs",
    "progress_of",
    "read_ledger",
    "read_progress",
    "section_of",
    "unaccounted",
]


# Metrics and reasons of the crawl's scope and budgets (the others are plain strings above).
BUDGET = "budget"
COLLAPSED = "collapsed"
SESSION_ID = "session_id"
OFFSITE_REDIRECT = "offsite_redirect"
ROBOTS_UNREACHABLE = "robots_unreachable"
SITEMAP_DEPTH = "sitemap_depth"
SITEMAPS = "sitemaps"
LISTING_DEPTH = "listing_depth"
LISTING_PAGES = "listing_pages"
RETRY_AFTER_CAPPED = "retry_after_capped"
# robots.txt unreachable, its last good copy obeyed instead: ledger ``robots``/``stale_copy``,
# and a note in the summary starting ``robots_stale_copy:``.
ROBOTS = "robots"
STALE_COPY = "stale_copy"
ROBOTS_STALE_COPY = "robots_stale_copy"
# An archived article gone (404/410, or a redirect to the home page): marked withdrawn.
WITHDRAWN = "withdrawn"
# A sitemap, feed or listing page refused or failed: not a discovered article, so not one of
# the outcomes that add up to ``discovered``.
NOT_FOLLOWED = "not_followed"
# The metrics of which every discovered article URL ends in exactly one (``fetched`` is a step
# on the way, not an end). ``failed``/``robots_unreachable`` is the site's, not a page's.
OUTCOMES = ("new", "updated", "unchanged", "skipped", WITHDRAWN, "failed")
SITE_REASONS = frozenset({ROBOTS_UNREACHABLE})


@dataclass(frozen=True, slots=True, order=True)
class LedgerKey:
    site_id: str
    section: str
    metric: str
    reason: str = ""


def section_of(url: str) -> str:
    """The section of an article URL: its first path segment when the path has more than one.

    >>> section_of("http://demo.baotinh.test/xa-hoi/cau-moi-123.html")
    'xa-hoi'
    >>> section_of("http://hanoimoi.vn/cau-moi-123.html")
    ''
    """
    segments = [s for s in urlsplit(url).path.split("/") if s]
    return segments[0] if len(segments) > 1 else ""


@dataclass(slots=True)
class Tally:
    """Counts gathered by a running crawl; :meth:`take` hands over what was counted since the last take.

    Only the crawler's reactor thread touches a tally; the archive writer gets the taken deltas.
    """

    site_id: str
    counts: Counter[LedgerKey] = field(default_factory=Counter)
    totals: Counter[LedgerKey] = field(default_factory=Counter)

    def add(self, metric: str, reason: str = "", *, url: str | None = None, n: int = 1) -> None:
        """Count ``n`` of ``metric``/``reason`` in the section of ``url``."""
        key = LedgerKey(self.site_id, section_of(url) if url else "", metric, reason)
        self.counts[key] += n
        self.totals[key] += n

    def take(self) -> dict[LedgerKey, int]:
        """The counts since the previous take (and forget them)."""
        taken, self.counts = dict(self.counts), Counter()
        return taken

    def total(self, metric: str, reason: str | None = None) -> int:
        """The run's total for a metric (and reason), over every section."""
        return sum(n for k, n in self.totals.items()
                   if k.metric == metric and (reason is None or k.reason == reason))


def add_counts(session: Session, run_id: int, deltas: Mapping[LedgerKey, int]) -> None:
    """Add ``deltas`` to the ledger of ``run_id`` (inside the caller's transaction)."""
    if not deltas:
        return
    rows = {
        LedgerKey(r.site_id, r.section, r.metric, r.reason): r
        for r in session.scalars(select(LedgerCount).where(LedgerCount.run_id == run_id))
    }
    for key, n in deltas.items():
        row = rows.get(key)
        if row is None:
            session.add(LedgerCount(run_id=run_id, site_id=key.site_id, section=key.section,
                                    metric=key.metric, reason=key.reason, count=n))
        else:
            row.count += n
    session.flush()


@dataclass(frozen=True, slots=True)
class LedgerRow:
    site_id: str
    section: str
    metric: str
    reason: str
    count: int

    def as_dict(self) -> dict[str, Any]:
        return {"site": self.site_id, "section": self.section, "metric": self.metric,
                "reason": self.reason, "count": self.count}


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One crawl run as ``baotinh runs`` shows it."""

    id: int
    site_id: str | None
    started_at: datetime
    finished_at: datetime | None
    status: str
    new: int
    updated: int
    unchanged: int
    failed: int
    pages_fetched: int
    message: str | None

    @property
    def running(self) -> bool:
        """Still going: its counts are the live ones its ledger holds so far."""
        return self.status == "running"

    @property
    def duration_seconds(self) -> float | None:
        """How long it took, or has taken so far while running; None for a closed run without end."""
        if self.finished_at is None:
            return (datetime.now(UTC) - self.started_at).total_seconds() if self.running else None
        return (self.finished_at - self.started_at).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "site": self.site_id, "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_seconds": self.duration_seconds, "status": self.status, "running": self.running,
            "new": self.new, "updated": self.updated, "unchanged": self.unchanged, "failed": self.failed,
            "pages_fetched": self.pages_fetched, "message": self.message,
        }


def _summary(session: Session, run: CrawlRun) -> RunSummary:
    """A run's summary; a running run's counts come from its ledger, written batch by batch
    (its own columns are filled only when it finishes)."""
    if run.status != "running":
        return RunSummary(run.id, run.site_id, run.started_at, run.finished_at, run.status,
                          run.articles_new, run.articles_updated, run.articles_unchanged, run.errors,
                          run.pages_fetched, run.message)
    totals = totals_by_metric(read_ledger(session, run.id))

    def total(metric: str) -> int:
        return sum(totals.get(metric, {}).values())

    return RunSummary(run.id, run.site_id, run.started_at, run.finished_at, run.status,
                      total("new"), total("updated"), total("unchanged"), total("failed"),
                      total("fetched"), run.message)


def list_runs(session: Session, *, site_id: str | None = None, limit: int = 20) -> list[RunSummary]:
    """The most recent runs, newest first."""
    stmt = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
    if site_id:
        stmt = stmt.where(CrawlRun.site_id == site_id)
    return [_summary(session, r) for r in session.scalars(stmt)]


def get_run(session: Session, run_id: int) -> RunSummary | None:
    """One run, or None."""
    run = session.get(CrawlRun, run_id)
    return _summary(session, run) if run is not None else None


def read_ledger(session: Session, run_id: int) -> list[LedgerRow]:
    """The ledger of one run, sorted by site, section, metric and reason."""
    rows = session.scalars(select(LedgerCount).where(LedgerCount.run_id == run_id))
    return sorted((LedgerRow(r.site_id, r.section, r.metric, r.reason, r.count) for r in rows),
                  key=lambda r: (r.site_id, r.section, r.metric, r.reason))


def totals_by_metric(rows: Iterable[LedgerRow]) -> dict[str, dict[str, int]]:
    """``{metric: {reason: count}}`` over every section ("" is the reason of a bare metric)."""
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        out.setdefault(r.metric, {}).setdefault(r.reason, 0)
        out[r.metric][r.reason] += r.count
    return out


def _articles_of(session: Session, run_id: int, *, first_version: bool) -> int:
    """How many articles ``run_id`` wrote as their first version (new) or a later one (updated).

    An article keeps the id of the run that last wrote its content, so this counts at least what
    the run wrote that no later run has rewritten.
    """
    version = Article.version == 1 if first_version else Article.version > 1
    stmt = select(func.count()).select_from(Article).where(Article.crawl_run_id == run_id, version)
    return int(session.scalar(stmt) or 0)


def close_as_interrupted(session: Session, run: CrawlRun, message: str, *,
                         now: datetime | None = None) -> None:
    """Close ``run`` as ``interrupted`` with what it actually wrote (inside the caller's transaction).

    Its ledger was written batch by batch; the articles that carry its id are counted too, and
    the larger of the two is kept, so a run that died is never closed with fewer rows than it
    left in the archive.
    """
    totals = totals_by_metric(read_ledger(session, run.id))

    def total(metric: str) -> int:
        return sum(totals.get(metric, {}).values())

    new = max(total("new"), _articles_of(session, run.id, first_version=True))
    updated = max(total("updated"), _articles_of(session, run.id, first_version=False))
    unchanged = total("unchanged")
    run.status = "interrupted"
    run.finished_at = now or datetime.now(UTC)
    run.pages_fetched = max(total("fetched"), new + updated + unchanged)
    run.articles_new, run.articles_updated, run.articles_unchanged = new, updated, unchanged
    run.errors = total("failed")
    run.message = message


def unaccounted(rows: Iterable[LedgerRow]) -> int:
    """Discovered article URLs minus their outcomes: 0 when every discovered URL ended in exactly
    one outcome; above 0 when some vanished, below 0 when some were counted twice."""
    discovered = outcomes = 0
    for row in rows:
        if row.metric == "discovered":
            discovered += row.count
        elif row.metric in OUTCOMES and row.reason not in SITE_REASONS:
            outcomes += row.count
    return discovered - outcomes


def check_run_accounts(session: Session, run_id: int) -> str | None:
    """Why the ledger of ``run_id`` does not add up (sum of outcomes = discovered), or None."""
    rows = read_ledger(session, run_id)
    gap = unaccounted(rows)
    if gap == 0:
        return None
    discovered = sum(r.count for r in rows if r.metric == "discovered")
    if gap > 0:
        return f"run {run_id}: {gap} of {discovered} discovered URLs have no outcome in the ledger"
    return f"run {run_id}: {-gap} outcomes more than the {discovered} discovered URLs"


def close_interrupted_runs(session: Session, site_ids: Iterable[str], *,
                           now: datetime | None = None) -> list[int]:
    """Close as ``interrupted`` the runs of ``site_ids`` still marked running.

    Call it only while holding the sites' locks: then no live process owns such a run, except
    the caller's own (excluded by pid and host).
    """
    me = (os.getpid(), socket.gethostname())
    runs = [
        r for r in session.scalars(select(CrawlRun).where(
            CrawlRun.status == "running", CrawlRun.site_id.in_(list(site_ids))))
        if (r.pid, r.hostname) != me
    ]
    for run in runs:
        close_as_interrupted(session, run, "closed by a later run: the process that ran it died", now=now)
    session.flush()
    return [r.id for r in runs]


def read_progress(database_url: str, *, now: datetime | None = None) -> str:
    """One status line of the runs in progress, from their ledgers (for a terminal display)."""
    from pipeline.archive import db

    engine = db.make_engine(database_url)
    try:
        with db.make_sessionmaker(engine)() as session:
            runs = session.scalars(select(CrawlRun).where(CrawlRun.status == "running")).all()
            parts = [progress_of(run, totals_by_metric(read_ledger(session, run.id)), now=now)
                     for run in runs]
    finally:
        engine.dispose()
    return "; ".join(parts) or "starting…"


def progress_of(run: CrawlRun, totals: Mapping[str, Mapping[str, int]], *,
                now: datetime | None = None) -> str:
    """A running run's counts, its article pages per second and, when ``--max-pages`` bounds it,
    the time left at that rate."""
    def total(metric: str) -> int:
        return sum(totals.get(metric, {}).values())

    fetched = total("fetched")
    seconds = ((now or datetime.now(UTC)) - run.started_at).total_seconds()
    rate = fetched / seconds if seconds > 0 else 0.0
    line = (f"{run.site_id}: {total('discovered')} found, {fetched} fetched, {total('new')} new, "
            f"{total('skipped')} skipped, {total('failed')} failed, {rate:.1f} pages/s")
    max_pages = (run.args or {}).get("max_pages")
    if isinstance(max_pages, int) and max_pages > fetched and rate > 0:
        line += f", ETA {_clock((max_pages - fetched) / rate)}"
    return line


def _clock(seconds: float) -> str:
    """``42s``, ``3m07s`` or ``2h05m``: a time left as a terminal line shows it."""
    secs = int(round(seconds))
    if secs < 60:
        return f"{secs}s"
    if secs < 3600:
        return f"{secs // 60}m{secs % 60:02d}s"
    return f"{secs // 3600}h{secs % 3600 // 60:02d}m"
