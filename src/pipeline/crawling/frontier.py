"""The persistent frontier: which URLs a site has shown us, and which are due for a fetch.

Incremental crawling rests on three rules. A known article is fetched again only when it is due,
and the re-check schedule backs off as the article ages (1 day, 1 week, 1 month after
publication, then never unless ``--refresh``). A sitemap ``lastmod`` or feed date newer than our
last fetch makes a known URL due at once; an older one lets us skip it. A due URL is fetched
with the validators of the last fetch (``If-None-Match`` / ``If-Modified-Since``), so an
unchanged page costs a 304.

Rows are written by :func:`mark_fetched` in the same transaction as the archived records, so a
crawl killed at any moment neither loses an archived page nor fetches it again.

>>> from datetime import datetime, timezone
>>> t = datetime(2025, 1, 1, tzinfo=timezone.utc)
>>> next_due_at(published_at=t, fetched_at=t + timedelta(hours=2))
datetime.datetime(2025, 1, 2, 0, 0, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.archive.models import FrontierEntry

__all__ = [
    "LISTING_COMPLETE",
    "LISTING_OPEN",
    "RECHECK_AFTER",
    "Decision",
    "FetchOutcome",
    "FrontierLookup",
    "FrontierState",
    "decide_fetch",
    "iter_due",
    "load_states",
    "mark_fetched",
    "next_due_at",
    "url_key",
]

# Re-check points, counted from publication (or first sight): then never again.
RECHECK_AFTER: tuple[timedelta, ...] = (timedelta(days=1), timedelta(days=7), timedelta(days=30))
SOURCES = ("sitemap", "feed", "listing")


def url_key(url: str) -> str:
    """The origin-independent key of a URL within its site: ``path`` plus ``?query``.

    >>> url_key("http://127.0.0.1:8123/xa-hoi/a-1.html?x=1#top")
    '/xa-hoi/a-1.html?x=1'
    """
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def next_due_at(*, published_at: datetime | None, fetched_at: datetime,
                first_seen_at: datetime | None = None,
                schedule: tuple[timedelta, ...] = RECHECK_AFTER) -> datetime | None:
    """When a page fetched at ``fetched_at`` should be fetched again, or None for never.

    The first re-check point (publication + 1 day, + 1 week, + 1 month) after the fetch.
    """
    origin = published_at or first_seen_at or fetched_at
    for delay in schedule:
        if origin + delay > fetched_at:
            return origin + delay
    return None


@dataclass(frozen=True, slots=True)
class FrontierState:
    """What the archive remembers of one URL (a read-only snapshot for the spider)."""

    url_key: str
    last_fetched_at: datetime | None
    next_due_at: datetime | None
    etag: str | None
    last_modified: str | None
    outcome: str | None
    url: str | None = None  # as last fetched (re-routed through a mirror origin when one is set)


@dataclass(frozen=True, slots=True)
class Decision:
    """Fetch or not, why not, and the validators for a conditional GET."""

    fetch: bool
    reason: str | None = None  # not_due, unchanged (when not fetched)
    etag: str | None = None
    last_modified: str | None = None


def decide_fetch(state: FrontierState | None, *, now: datetime, refresh: bool = False,
                 changed_at: datetime | None = None, lastmod: bool = True) -> Decision:
    """Whether to fetch a discovered article URL.

    ``changed_at`` is a date the discovery source gives: a sitemap ``lastmod`` (``lastmod``
    True: an older one means unchanged) or a feed's publication date (``lastmod`` False: it can
    only say the page is newer than our copy). Unknown URLs and ``refresh`` always fetch.
    """
    if state is None or state.last_fetched_at is None:
        return Decision(True)
    validators = Decision(True, etag=state.etag, last_modified=state.last_modified)
    if refresh:
        return validators
    if changed_at is not None and changed_at > state.last_fetched_at:
        return validators
    if changed_at is not None and lastmod:
        return Decision(False, "unchanged")
    if state.next_due_at is not None and state.next_due_at <= now:
        return validators
    return Decision(False, "not_due")


_STATE = (FrontierEntry.url_key, FrontierEntry.last_fetched_at, FrontierEntry.next_due_at,
          FrontierEntry.etag, FrontierEntry.last_modified, FrontierEntry.outcome, FrontierEntry.url)
# Outcomes that a due re-check never requests again (robots.txt is looked at by discovery).
# Backfill cursors (pipeline.crawling.listing) are frontier rows of these outcomes: never due.
LISTING_OPEN, LISTING_COMPLETE = "listing_cursor", "listing_complete"
NOT_RECHECKED = ("robots", "not_article", "not_html", LISTING_OPEN, LISTING_COMPLETE)


def iter_due(sessions: sessionmaker[Session], site_id: str, *, now: datetime, refresh: bool = False,
             batch: int = 1000) -> Iterator[FrontierState]:
    """The site's known URLs due for a re-check (every one with ``refresh``), in due order.

    Streamed a page of ``batch`` rows at a time, each page in a short transaction of its own
    (keyset pagination on ``(next_due_at, id)``): a crawl of millions of known URLs never holds
    them all, nor a transaction open for the whole run.
    """
    due = FrontierEntry.next_due_at
    last: tuple[datetime | None, int] | None = None
    while True:
        stmt = select(*_STATE, due, FrontierEntry.id).where(
            FrontierEntry.site_id == site_id, FrontierEntry.url.is_not(None),
            or_(FrontierEntry.outcome.is_(None), FrontierEntry.outcome.not_in(NOT_RECHECKED)))
        if refresh:  # everything, in id order (next_due_at may be null)
            stmt = stmt.order_by(FrontierEntry.id)
            if last is not None:
                stmt = stmt.where(FrontierEntry.id > last[1])
        else:
            stmt = stmt.where(due <= now).order_by(due, FrontierEntry.id)
            if last is not None and last[0] is not None:
                stmt = stmt.where(or_(due > last[0], and_(due == last[0], FrontierEntry.id > last[1])))
        with sessions() as session:
            rows = session.execute(stmt.limit(batch)).all()
        for row in rows:
            yield FrontierState(*row[:7])
        if len(rows) < batch:
            return
        last = (rows[-1][7], rows[-1][8])


class FrontierLookup:
    """What the archive knows of one URL of a site, looked up when asked (with a bounded cache).

    Replaces loading the site's whole frontier (~520 bytes a URL) into the spider: memory stays
    flat however many URLs the site has. A site with at most ``cache`` known URLs is read whole
    at the start (one query; a miss then needs none); a bigger one is looked up per URL, or per
    batch with :meth:`prime`. ``get`` mirrors ``dict.get`` on :func:`load_states`.
    """

    def __init__(self, sessions: sessionmaker[Session], site_id: str, *, cache: int = 20_000) -> None:
        self.sessions = sessions
        self.site_id = site_id
        self.cache_size = cache
        self._cache: dict[str, FrontierState | None] = {}
        self._complete = False  # the cache holds every known URL: a miss is an unknown URL
        with sessions() as session:
            rows = session.execute(select(*_STATE).where(FrontierEntry.site_id == site_id)
                                   .limit(cache + 1)).all()
        if len(rows) <= cache:
            self._cache = {r[0]: FrontierState(*r) for r in rows}
            self._complete = True

    def prime(self, keys: Iterable[str]) -> None:
        """Look up ``keys`` in one query (a sitemap's batch), so their ``get`` needs none."""
        wanted = [k for k in dict.fromkeys(keys) if k not in self._cache]
        if not wanted or self._complete:
            return
        with self.sessions() as session:
            rows = session.execute(select(*_STATE).where(FrontierEntry.site_id == self.site_id,
                                                         FrontierEntry.url_key.in_(wanted))).all()
        found = {r[0]: FrontierState(*r) for r in rows}
        for key in wanted:
            self._remember(key, found.get(key))

    def _remember(self, key: str, state: FrontierState | None) -> None:
        self._cache[key] = state
        if len(self._cache) > self.cache_size:
            del self._cache[next(iter(self._cache))]

    def get(self, key: str) -> FrontierState | None:
        if key in self._cache or self._complete:
            return self._cache.get(key)
        with self.sessions() as session:
            row = session.execute(select(*_STATE).where(FrontierEntry.site_id == self.site_id,
                                                        FrontierEntry.url_key == key)).first()
        state = FrontierState(*row) if row is not None else None
        self._remember(key, state)
        return state


def load_states(session: Session, site_id: str) -> dict[str, FrontierState]:
    """Every frontier row of a site, keyed by :func:`url_key`."""
    rows = session.execute(
        select(FrontierEntry.url_key, FrontierEntry.last_fetched_at, FrontierEntry.next_due_at,
               FrontierEntry.etag, FrontierEntry.last_modified, FrontierEntry.outcome,
               FrontierEntry.url)
        .where(FrontierEntry.site_id == site_id)
    ).all()
    return {r[0]: FrontierState(*r) for r in rows}


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchOutcome:
    """The final answer for one fetched URL, written to the frontier with the batch it ends in."""

    site_id: str
    url: str  # as requested (before redirects)
    discovered_via: str
    fetched_at: datetime
    status: int
    outcome: str  # archived, unchanged, not_article, before_since, robots
    etag: str | None = None
    last_modified: str | None = None
    canonical_url: str | None = None
    published_at: datetime | None = None
    robots: str = "allowed"


def mark_fetched(session: Session, outcomes: Iterable[FetchOutcome], *, run_id: int | None,
                 schedule: tuple[timedelta, ...] = RECHECK_AFTER) -> int:
    """Insert or update the frontier rows of ``outcomes``; returns how many rows were written.

    Runs inside the caller's transaction (the one that stores the records), never commits.
    A 304 keeps the validators and publication date already known.
    """
    latest: dict[tuple[str, str], FetchOutcome] = {}
    for o in outcomes:
        latest[(o.site_id, url_key(o.url))] = o
    if not latest:
        return 0
    by_site: dict[str, list[str]] = {}
    for site_id, key in latest:
        by_site.setdefault(site_id, []).append(key)
    existing: dict[tuple[str, str], FrontierEntry] = {}
    for site_id, keys in by_site.items():
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            for row in session.scalars(select(FrontierEntry).where(
                    FrontierEntry.site_id == site_id, FrontierEntry.url_key.in_(chunk))):
                existing[(row.site_id, row.url_key)] = row
    for (site_id, key), o in latest.items():
        found = existing.get((site_id, key))
        if found is not None:
            row = found
        else:
            row = FrontierEntry(site_id=site_id, url_key=key, url=o.url, discovered_via=o.discovered_via,
                                first_seen_at=o.fetched_at, fetch_count=0)
            session.add(row)
        _apply_outcome(row, o, run_id, schedule)
    session.flush()
    return len(latest)


def _apply_outcome(row: FrontierEntry, o: FetchOutcome, run_id: int | None,
                   schedule: tuple[timedelta, ...]) -> None:
    row.url = o.url
    row.last_fetched_at = o.fetched_at
    row.fetch_count = (row.fetch_count or 0) + (0 if o.outcome == "robots" else 1)
    row.last_status = o.status
    row.outcome = o.outcome
    row.robots = o.robots
    row.last_run_id = run_id
    if o.canonical_url:
        row.canonical_url = o.canonical_url
    if o.published_at is not None:
        row.published_at = o.published_at
    if o.status != 304:
        row.etag, row.last_modified = o.etag, o.last_modified
    if o.outcome == "robots":
        # robots.txt may change; look again after the first back-off step
        row.next_due_at = o.fetched_at + schedule[0]
        return
    row.next_due_at = next_due_at(published_at=row.published_at, fetched_at=o.fetched_at,
                                  first_seen_at=_aware(row.first_seen_at), schedule=schedule)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def headers_for(decision: Decision) -> Mapping[str, str]:
    """The conditional-GET request headers of a decision (empty when there are no validators)."""
    headers: dict[str, str] = {}
    if decision.etag:
        headers["If-None-Match"] = decision.etag
    if decision.last_modified:
        headers["If-Modified-Since"] = decision.last_modified
    return headers
