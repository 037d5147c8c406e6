"""Site health for monitoring: is each paper still yielding new articles, did its last run work?

A site is **failing** when its last finished run failed, **empty** when it has been crawled
but nothing of it was ever archived, **stale** when no new article has entered the archive for
``stale_days`` days, and **never_crawled** when it was asked for by id (``--site``) but this
archive holds no run and no article of it. ``baotinh health`` exits 1 when any checked site is
not ok.

Why the two kinds of nothing differ: without ``--site`` the checked set is every site the
archive knows (crawled at least once), because an archive may hold a few papers on purpose and
the 60 others it never meant to crawl must not keep it red. A site that *was* crawled and has
nothing archived is broken whatever its age (wrong selectors, a moved site, robots): it is
never ok, even inside the window. A site named with ``--site`` that was never crawled is what
the operator asked about, so it is reported, never silently left out (a typo or a cron line
for a paper never set up).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.archive.models import Article, CrawlRun

__all__ = ["DEFAULT_STALE_DAYS", "SiteHealth", "check_health"]

DEFAULT_STALE_DAYS = 3
FAILED_STATUSES = frozenset({"failed"})


@dataclass(frozen=True, slots=True)
class SiteHealth:
    site: str
    status: str  # ok, stale, failing, empty, never_crawled
    last_new_at: datetime | None
    last_run_id: int | None
    last_run_status: str | None
    last_run_at: datetime | None
    reason: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_dict(self) -> dict[str, Any]:
        def iso(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {"site": self.site, "status": self.status, "last_new_at": iso(self.last_new_at),
                "last_run_id": self.last_run_id, "last_run_status": self.last_run_status,
                "last_run_at": iso(self.last_run_at), "reason": self.reason}


def _last_runs(session: Session) -> dict[str, CrawlRun]:
    """The last finished run of every site (a run still going says nothing yet)."""
    out: dict[str, CrawlRun] = {}
    for run in session.scalars(select(CrawlRun).where(CrawlRun.status != "running").order_by(CrawlRun.id)):
        if run.site_id:
            out[run.site_id] = run
    return out


def _first_runs(session: Session) -> dict[str, datetime]:
    rows = session.execute(select(CrawlRun.site_id, func.min(CrawlRun.started_at)).group_by(CrawlRun.site_id))
    return {r[0]: r[1] for r in rows if r[0]}


def _last_new(session: Session) -> dict[str, datetime]:
    rows = session.execute(select(Article.site, func.max(Article.first_seen_at)).group_by(Article.site))
    return {r[0]: r[1] for r in rows if r[0]}


def check_health(session: Session, *, stale_days: int = DEFAULT_STALE_DAYS,
                 now: datetime | None = None, site_ids: tuple[str, ...] = ()) -> list[SiteHealth]:
    """The health of every crawled site (or of ``site_ids``, crawled or not), sorted by site id."""
    now = now or datetime.now(UTC)
    last_runs, first_runs, last_new = _last_runs(session), _first_runs(session), _last_new(session)
    sites = sorted(set(site_ids) if site_ids else set(first_runs) | set(last_new))
    out: list[SiteHealth] = []
    for site in sites:
        run = last_runs.get(site)
        newest = last_new.get(site)
        status, reason = _judge(run, newest, first_runs.get(site), now=now, stale_days=stale_days)
        out.append(SiteHealth(site, status, newest, run.id if run else None,
                              run.status if run else None, run.started_at if run else None, reason))
    return out


def _judge(run: CrawlRun | None, newest: datetime | None, first_crawl: datetime | None, *,
           now: datetime, stale_days: int) -> tuple[str, str]:
    """The status and reason of one site from its last finished run, newest article and first crawl."""
    if run is not None and run.status in FAILED_STATUSES:
        return "failing", f"last run {run.id} {run.status}: {run.message or 'no detail'}"
    if newest is None and first_crawl is None:
        return "never_crawled", "never crawled: no run and no article of this site in the archive"
    if newest is None:
        age = (now - first_crawl).days if first_crawl is not None else 0
        return "empty", f"crawled but no article ever archived (first crawl {age} days ago)"
    if now - newest > timedelta(days=stale_days):
        return "stale", f"no new article for {(now - newest).days} days (window {stale_days})"
    return "ok", "new articles within the window"
