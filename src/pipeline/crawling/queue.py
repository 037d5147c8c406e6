"""The crawl queue: one job per site, taken by ``baotinh worker`` under a lease that expires.

The queue is two tables of the archive's own database (``crawl_jobs``, ``crawl_leases``), so it
needs no service beyond the PostgreSQL every machine already reaches, and the lease, its expiry
and the takeover live in one place with the data they protect (docs/DEPLOYMENT.md says why this
won over Celery/RQ). On PostgreSQL a worker takes a job with ``SELECT ... FOR UPDATE SKIP
LOCKED``: two workers never wait on, nor take, the same row. Every state change is a
compare-and-swap on the owner, so a worker whose lease was taken over cannot finish the job.

A job is due when queued and ``not_before`` has passed, or when leased and the lease has
expired (its worker died or lost the database): the next worker takes it over and crawls the
site again, resuming from the frontier the dead worker committed.

>>> with sessions.begin() as s:                       # doctest: +SKIP
...     enqueue(s, CrawlRequest(sites=("baohaiduong",)))
...     job = take_job(s, "host:123", lease=timedelta(seconds=60))
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipeline.archive.models import CrawlJob, CrawlLease
from pipeline.crawling.protocol import CrawlRequest

__all__ = [
    "DEFAULT_LEASE",
    "Job",
    "enqueue",
    "enqueue_sites",
    "finish_job",
    "is_failure",
    "queue_counts",
    "release_job",
    "renew_lease",
    "take_job",
    "worker_name",
]

DEFAULT_LEASE = timedelta(seconds=60)
OPEN = ("queued", "leased")


def worker_name(label: str | None = None) -> str:
    """This worker's identity in leases: ``host:pid`` (plus a label when given)."""
    base = f"{socket.gethostname()}:{os.getpid()}"
    return f"{base}:{label}" if label else base


@dataclass(frozen=True, slots=True)
class Job:
    """A job as its worker holds it (a snapshot: the row may move on)."""

    id: int
    site_id: str
    request: CrawlRequest
    owner: str
    lease_id: int
    attempts: int
    taken_over: str | None = None  # the previous owner, when this lease took an expired one over


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def enqueue(session: Session, request: CrawlRequest, *, now: datetime | None = None) -> int | None:
    """Queue a crawl of the request's one site; returns the job id, or None when the site
    already has an open (queued or leased) job: enqueueing from cron twice adds nothing."""
    if len(request.sites) != 1 or request.urls:
        raise ValueError("a crawl job is one registry site")
    site_id = request.sites[0]
    if session.scalar(select(CrawlJob.id).where(CrawlJob.site_id == site_id, CrawlJob.state.in_(OPEN))):
        return None
    at = _now(now)
    job = CrawlJob(site_id=site_id, request=request.to_json(), state="queued", not_before=at,
                   enqueued_at=at, attempts=0)
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:  # another enqueuer won the race for this site (partial unique index)
        return None
    return job.id


def enqueue_sites(session: Session, request: CrawlRequest, *, now: datetime | None = None) -> list[int]:
    """Queue one job per site of ``request`` (same options); returns the ids of new jobs."""
    ids = []
    for site_id in dict.fromkeys(request.sites):
        job_id = enqueue(session, replace(request, sites=(site_id,)), now=now)
        if job_id is not None:
            ids.append(job_id)
    return ids


def _due(now: datetime) -> object:
    return or_(and_(CrawlJob.state == "queued", CrawlJob.not_before <= now),
               and_(CrawlJob.state == "leased", CrawlJob.lease_expires_at < now))


def take_job(session: Session, owner: str, *, lease: timedelta = DEFAULT_LEASE,
             now: datetime | None = None) -> Job | None:
    """Take the oldest due job under a lease for ``owner``; None when nothing is due.

    Runs in the caller's transaction; the row stays locked until it commits, and other workers
    skip it meanwhile (SKIP LOCKED; SQLite serialises writers instead).
    """
    at = _now(now)
    row = session.execute(
        select(CrawlJob.id, CrawlJob.state, CrawlJob.lease_owner, CrawlJob.lease_expires_at)
        .where(_due(at))  # type: ignore[arg-type]
        .order_by(CrawlJob.not_before, CrawlJob.id).limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if row is None:
        return None
    job_id, _state, previous, expires = row
    taken = session.execute(
        update(CrawlJob).where(CrawlJob.id == job_id, _due(at),  # type: ignore[arg-type]
                               CrawlJob.lease_owner.is_(None) if previous is None
                               else CrawlJob.lease_owner == previous)
        .values(state="leased", lease_owner=owner, lease_expires_at=at + lease,
                attempts=CrawlJob.attempts + 1, started_at=at)
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0) != 1:  # SQLite: another worker took it between the two
        return None
    if previous is not None:  # the old lease expired: its log row says so
        session.execute(update(CrawlLease).where(CrawlLease.job_id == job_id, CrawlLease.owner == previous,
                                                 CrawlLease.ended_at.is_(None))
                        .values(ended_at=expires, outcome="expired"))
    log = CrawlLease(job_id=job_id, site_id="", owner=owner, taken_at=at, renewed_at=at)
    job = session.get(CrawlJob, job_id)
    assert job is not None
    session.refresh(job)
    log.site_id = job.site_id
    session.add(log)
    session.flush()
    return Job(id=job_id, site_id=job.site_id, request=CrawlRequest.from_json(job.request), owner=owner,
               lease_id=log.id, attempts=job.attempts, taken_over=previous)


def renew_lease(session: Session, job: Job, *, lease: timedelta = DEFAULT_LEASE,
                now: datetime | None = None) -> bool:
    """Extend ``job``'s lease; False when it is no longer ours (expired and taken over)."""
    at = _now(now)
    renewed = session.execute(
        update(CrawlJob).where(CrawlJob.id == job.id, CrawlJob.state == "leased",
                               CrawlJob.lease_owner == job.owner)
        .values(lease_expires_at=at + lease).execution_options(synchronize_session=False))
    if getattr(renewed, "rowcount", 0) != 1:
        return False
    session.execute(update(CrawlLease).where(CrawlLease.id == job.lease_id).values(renewed_at=at))
    return True


def _end(session: Session, job: Job, values: dict[str, object], outcome: str, at: datetime) -> bool:
    ended = session.execute(
        update(CrawlJob).where(CrawlJob.id == job.id, CrawlJob.state == "leased",
                               CrawlJob.lease_owner == job.owner)
        .values(**values).execution_options(synchronize_session=False))
    ours = getattr(ended, "rowcount", 0) == 1
    session.execute(update(CrawlLease).where(CrawlLease.id == job.lease_id, CrawlLease.ended_at.is_(None))
                    .values(ended_at=at, outcome=outcome if ours else "lost"))
    return ours


def is_failure(exit_code: int) -> bool:
    """Whether a crawl's exit code fails its job (nothing crawled, or the archive or the
    configuration is broken); 0, 3 (partial) and 4 close it as done."""
    return exit_code not in (0, 3, 4)


def finish_job(session: Session, job: Job, *, exit_code: int, message: str | None = None,
               now: datetime | None = None) -> bool:
    """Close ``job`` as done (or failed, for exit codes 1, 65, 74, 78); False when it was no
    longer ours. Exit 3 (some pages failed) is done: the next enqueue retries those pages."""
    at = _now(now)
    state = "failed" if is_failure(exit_code) else "done"
    return _end(session, job, {"state": state, "finished_at": at, "exit_code": exit_code,
                               "message": message, "lease_expires_at": None}, state, at)


def release_job(session: Session, job: Job, *, retry_in: timedelta = timedelta(seconds=0),
                message: str | None = None, now: datetime | None = None) -> bool:
    """Give ``job`` back to the queue (the worker stops, or the site was locked elsewhere)."""
    at = _now(now)
    return _end(session, job, {"state": "queued", "lease_owner": None, "lease_expires_at": None,
                               "not_before": at + retry_in, "message": message}, "released", at)


def queue_counts(session: Session) -> dict[str, int]:
    """Jobs per state (for ``baotinh worker --status`` and the docs' sizing)."""
    from sqlalchemy import func

    rows = session.execute(select(CrawlJob.state, func.count()).group_by(CrawlJob.state)).all()
    return {str(state): int(n) for state, n in rows}
