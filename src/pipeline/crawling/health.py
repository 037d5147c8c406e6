"""Site health for monitoring: is each paper still yielding new articles, did its last run work?

A site is **stale** when no new article has entered the archive for ``stale_days`` days
(counted from its first crawl when it never yielded one), and **failing** when its last finished
run failed. ``baotinh health`` exits 1 when any site is stale or failing.
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
    status: str  # ok, stale, failing
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
    """The health of every crawled site (or of ``site_ids``), sorted by site id."""
    now = now or datetime.now(UTC)
    window = timedelta(days=stale_days)
    last_runs, first_runs, last_new = _last_runs(session), _first_runs(session), _last_new(session)
    sites = sorted(set(first_runs) | set(last_new))
    if site_ids:
        sites = [s for s in sites if s in site_ids]
    out: list[SiteHealth] = []
    for site in sites:
        run = last_runs.get(site)
        newest = last_new.get(site)
        status, reason = "ok", "new articles within the window"
        reference = newest or first_runs.get(site)
        if run is not None and run.status in FAILED_STATUSES:
            status, reason = "failing", f"last run {run.id} {run.status}: {run.message or 'no detail'}"
        elif reference is not None and now - reference > window:
            age = (now - reference).days
            status = "stale"
            reason = (f"no new article for {age} days (window {stale_days})" if newest
                      else f"no article ever archived, first crawl {age} days ago")
        out.append(SiteHealth(site, status, newest, run.id if run else None,
                              run.status if run else None, run.started_at if run else None, reason))
    return out
