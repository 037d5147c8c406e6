"""``baotinh worker``: take crawl jobs from the queue, one site at a time, under a lease.

A worker is a loop on any machine that reaches the archive's database: take the oldest due job
(:func:`pipeline.crawling.queue.take_job`), crawl its site exactly as ``baotinh crawl`` does
(the crawler child, :func:`~pipeline.crawling.launch.run_crawl`), renew the lease from a
heartbeat thread while the child runs, and close the job. The child is told the lease
(``BAOTINH_LEASE_SECONDS``): it holds the site's database lock without the local archive lock,
with a staleness as short as the lease.

When the lease cannot be renewed (the database was unreachable for longer than the lease, and
another worker took the site over) the worker stops its child at once. When the worker dies,
its child notices and stops (it watches its parent), and the lease expires: the next worker
takes the site over and resumes from the committed frontier. A SIGTERM stops the current crawl
gracefully, gives its job back to the queue and ends the worker.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from types import FrameType

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.archive import db
from pipeline.config import Settings
from pipeline.crawling import queue
from pipeline.crawling.launch import run_crawl
from pipeline.errors import BaotinhError, ExitCode
from pipeline.registry.load import Registry, load_registry

__all__ = ["JobOutcome", "WorkerOptions", "WorkerReport", "run_worker"]

# How long a job waits before it is tried again when its site's lock is held by a live crawl.
LOCKED_RETRY = timedelta(seconds=30)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerOptions:
    """How a worker takes and holds jobs."""

    lease: timedelta = queue.DEFAULT_LEASE
    poll: float = 5.0  # seconds between two looks at an empty queue
    until_idle: bool = False  # stop when no job is open (tests, one-shot cron workers)
    max_jobs: int | None = None
    label: str | None = None  # appended to host:pid in the lease owner

    def __post_init__(self) -> None:
        if self.lease.total_seconds() < 1:
            raise ValueError("the lease must be at least 1 second")


@dataclass(frozen=True, slots=True)
class JobOutcome:
    job_id: int
    site_id: str
    outcome: str  # done, failed, released (locked elsewhere), stopped (given back), lost
    exit_code: int
    taken_over: str | None = None


@dataclass(slots=True)
class WorkerReport:
    owner: str
    jobs: list[JobOutcome] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when every job ended done (or was given back), else the worst job's code."""
        bad = [j.exit_code for j in self.jobs if j.outcome == "failed"]
        return max(bad) if bad else 0


@dataclass(slots=True)
class _Lease:
    """The heartbeat of one job's lease, run in a thread while the crawl goes on."""

    sessions: sessionmaker[Session]
    job: queue.Job
    lease: timedelta
    lost: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)

    def beat(self) -> None:
        every = self.lease.total_seconds() / 3
        while not self.stop.wait(every):
            try:
                with self.sessions.begin() as session:
                    ours = queue.renew_lease(session, self.job, lease=self.lease)
            except Exception:  # the database is away: the lease runs on until it expires
                continue
            if not ours:
                self.lost.set()
                # the signal reaches run_crawl's handler, which stops the child gracefully
                os.kill(os.getpid(), signal.SIGTERM)
                return


@contextmanager
def _renewing(lease: _Lease) -> Iterator[_Lease]:
    thread = threading.Thread(target=lease.beat, name="lease-heartbeat", daemon=True)
    thread.start()
    try:
        yield lease
    finally:
        lease.stop.set()
        thread.join(timeout=10)


@contextmanager
def _stop_on_signal(stop: threading.Event) -> Iterator[None]:
    """SIGTERM/SIGINT between two jobs end the worker (during one, run_crawl handles them)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def run_worker(settings: Settings, options: WorkerOptions, *, registry: Registry | None = None,
               log: Callable[[str], None] | None = None,
               warn: Callable[[str], None] | None = None) -> WorkerReport:
    """Take and crawl jobs until stopped (or, with ``until_idle``, until none is due).

    After each job that wrote (not one given back), PostgreSQL's recent search tiers are built
    when due; ``warn`` gets one line when that fails (the job's outcome stays what it was).
    """
    registry = registry or load_registry(*settings.registry_paths)
    say = log or (lambda line: None)
    report = WorkerReport(owner=queue.worker_name(options.label))
    engine = db.make_engine(settings.database_url)
    stop = threading.Event()
    try:
        db.upgrade(engine)
        sessions = db.make_sessionmaker(engine)
        with _stop_on_signal(stop):
            while not stop.is_set():
                if options.max_jobs is not None and len(report.jobs) >= options.max_jobs:
                    break
                try:
                    with sessions.begin() as session:
                        job = queue.take_job(session, report.owner, lease=options.lease)
                except DBAPIError as exc:  # the database is away: wait for it, hold nothing
                    say(f"cannot take a job: {type(exc.orig).__name__}: {exc.orig}")
                    stop.wait(options.poll)
                    continue
                if job is None:
                    if options.until_idle and not _open_jobs(sessions):
                        break  # nothing queued, nothing leased that could be taken over
                    stop.wait(options.poll)
                    continue
                over = f" (taken over from {job.taken_over})" if job.taken_over else ""
                say(f"job {job.id}: {job.site_id}: leased by {report.owner}{over}")
                outcome = _crawl_job(settings, sessions, job, options, registry)
                report.jobs.append(outcome)
                say(f"job {job.id}: {job.site_id}: {outcome.outcome} (exit {outcome.exit_code})")
                if outcome.outcome == "stopped":
                    break  # the crawl was stopped by a signal: so is the worker
                if outcome.outcome != "released":
                    _upkeep(settings, warn)
    finally:
        engine.dispose()
    return report


def _upkeep(settings: Settings, warn: Callable[[str], None] | None) -> None:
    """Between two jobs, no session of this worker open: the tiers' build may wait for none."""
    from pipeline.archive.upkeep import upkeep_for

    problem = upkeep_for(settings)
    if problem and warn is not None:
        warn(problem)


def _open_jobs(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        counts = queue.queue_counts(session)
    return counts.get("queued", 0) + counts.get("leased", 0)


def _crawl_job(settings: Settings, sessions: sessionmaker[Session], job: queue.Job,
               options: WorkerOptions, registry: Registry) -> JobOutcome:
    """Crawl one job's site under its lease and close the job; never raises a BaotinhError."""
    from pipeline.crawling.locks import LockedError

    lease = _Lease(sessions, job, options.lease)
    env = {"BAOTINH_LEASE_SECONDS": str(options.lease.total_seconds())}
    stopped = threading.Event()  # a stop signal reached the crawl (the lease's own, or the user's)
    try:
        with _renewing(lease):
            result = run_crawl(settings, job.request, registry=registry, extra_env=env, on_stop=stopped.set)
    except LockedError as exc:  # a crawl outside the queue holds the site: try again later
        with sessions.begin() as session:
            queue.release_job(session, job, retry_in=max(LOCKED_RETRY, options.lease), message=str(exc))
        return JobOutcome(job.id, job.site_id, "released", int(ExitCode.LOCKED), job.taken_over)
    except BaotinhError as exc:
        with sessions.begin() as session:
            queue.finish_job(session, job, exit_code=int(exc.exit_code), message=str(exc))
        return JobOutcome(job.id, job.site_id, "failed", int(exc.exit_code), job.taken_over)
    if lease.lost.is_set():
        return JobOutcome(job.id, job.site_id, "lost", result.exit_code, job.taken_over)
    if stopped.is_set() or any(s.status == "interrupted" for s in result.sites):
        with sessions.begin() as session:
            ours = queue.release_job(session, job, message="the worker was stopped")
        return JobOutcome(job.id, job.site_id, "stopped" if ours else "lost", result.exit_code,
                          job.taken_over)
    with sessions.begin() as session:
        ours = queue.finish_job(session, job, exit_code=result.exit_code, message=result.error_line())
    if not ours:
        return JobOutcome(job.id, job.site_id, "lost", result.exit_code, job.taken_over)
    state = "failed" if queue.is_failure(result.exit_code) else "done"
    return JobOutcome(job.id, job.site_id, state, result.exit_code, job.taken_over)
