"""One crawl at a time: a lock per archive (a file, SQLite only) and per site (a database row).

On SQLite, the single-machine default, the archive lock is ``fcntl.flock`` on
``<archive>/locks/archive.lock``; the kernel releases it
when its process dies, so a SIGKILLed crawl never blocks the next one. The file holds the
holder's pid, host and start time, for the message an overlapping run prints.

The site locks live in the ``run_locks`` table, so that crawls on different hosts sharing one
PostgreSQL archive (``--db``) exclude each other; on a shared database they are the only locks
(a local file would exclude nothing on another machine). A holder refreshes its heartbeat; a row
whose holder is dead (same host, pid gone) or silent for ``stale_after`` is taken over.

>>> with hold_crawl_locks(settings, ["demo"]):      # doctest: +SKIP
...     crawl()
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.archive import db
from pipeline.archive.models import CrawlRun, RunLock
from pipeline.config import Settings
from pipeline.crawling.ledger import close_as_interrupted, close_interrupted_runs
from pipeline.errors import BaotinhError, ExitCode

__all__ = [
    "LockedError",
    "LockHolder",
    "acquire_db_lock",
    "close_own_runs",
    "hold_archive_lock",
    "hold_crawl",
    "hold_crawl_locks",
    "release_db_lock",
]

HEARTBEAT_SECONDS = 30.0
STALE_AFTER = timedelta(minutes=5)


class LockedError(BaotinhError):
    """Another run holds the lock; cron should simply try again later."""

    exit_code = ExitCode.LOCKED


@dataclass(frozen=True, slots=True)
class LockHolder:
    pid: int
    hostname: str
    started_at: str

    def describe(self) -> str:
        return f"pid {self.pid} on {self.hostname}, since {self.started_at}"


def _me() -> LockHolder:
    return LockHolder(os.getpid(), socket.gethostname(),
                      datetime.now(UTC).isoformat(timespec="seconds"))


def _read_holder(handle: IO[str]) -> LockHolder | None:
    handle.seek(0)
    try:
        data = json.loads(handle.read() or "{}")
        return LockHolder(int(data["pid"]), str(data["hostname"]), str(data["started_at"]))
    except (ValueError, KeyError, TypeError):
        return None


@contextmanager
def hold_archive_lock(locks_dir: Path, name: str = "archive") -> Iterator[LockHolder]:
    """Hold ``<locks_dir>/<name>.lock`` for the block, or raise :class:`LockedError` at once."""
    locks_dir.mkdir(parents=True, exist_ok=True)
    path = locks_dir / f"{name}.lock"
    # "a+" neither truncates a live holder's data nor fails when the file is missing
    handle = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(handle)
            who = holder.describe() if holder else "another process"
            raise LockedError(f"another crawl holds {path} ({who}); try again later") from None
        me = _me()
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": me.pid, "hostname": me.hostname, "started_at": me.started_at}))
        handle.flush()
        try:
            yield me
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_stale(row: RunLock, now: datetime, stale_after: timedelta) -> bool:
    if row.hostname == socket.gethostname() and not _pid_alive(row.pid):
        return True
    return now - row.heartbeat_at > stale_after


def acquire_db_lock(session: Session, name: str, *, now: datetime | None = None,
                    stale_after: timedelta = STALE_AFTER) -> None:
    """Take the lock ``name`` in the ``run_locks`` table (inside the caller's transaction).

    Raises :class:`LockedError` when a live holder has it; takes over a stale one.
    """
    now = now or datetime.now(UTC)
    me = _me()
    row = session.get(RunLock, name)
    if row is None:
        session.add(RunLock(name=name, pid=me.pid, hostname=me.hostname, acquired_at=now, heartbeat_at=now))
        try:
            session.flush()
        except IntegrityError:
            raise LockedError(f"another crawl took the lock {name!r} just now; try again later") from None
        return
    if (row.pid, row.hostname) == (me.pid, me.hostname):
        row.heartbeat_at = now
        return
    if not _is_stale(row, now, stale_after):
        raise LockedError(
            f"another crawl holds the lock {name!r} (pid {row.pid} on {row.hostname}, "
            f"since {row.acquired_at:%Y-%m-%d %H:%M:%S%z}); try again later")
    # compare-and-swap on the old heartbeat, so two runs cannot both take a stale lock over
    taken = session.execute(
        update(RunLock).where(RunLock.name == name, RunLock.pid == row.pid,
                              RunLock.hostname == row.hostname,
                              RunLock.heartbeat_at == row.heartbeat_at)
        .values(pid=me.pid, hostname=me.hostname, acquired_at=now, heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0) != 1:
        raise LockedError(f"another crawl took over the stale lock {name!r} just now; try again later")


def refresh_db_locks(session: Session, names: Sequence[str], *, now: datetime | None = None) -> None:
    """Refresh the heartbeat of the locks this process holds."""
    me = _me()
    session.execute(
        update(RunLock).where(RunLock.name.in_(list(names)), RunLock.pid == me.pid,
                              RunLock.hostname == me.hostname)
        .values(heartbeat_at=now or datetime.now(UTC))
    )


def release_db_lock(session: Session, names: Sequence[str]) -> None:
    """Release the locks this process holds (another holder's rows are left alone)."""
    me = _me()
    session.execute(delete(RunLock).where(RunLock.name.in_(list(names)), RunLock.pid == me.pid,
                                          RunLock.hostname == me.hostname))


def site_lock_name(site_id: str) -> str:
    return f"site:{site_id}"


@contextmanager
def _heartbeat(sessions: sessionmaker[Session], names: Sequence[str], every: float) -> Iterator[None]:
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                with sessions.begin() as session:
                    refresh_db_locks(session, names)
            except Exception:  # a missed beat only brings staleness closer; the crawl goes on
                continue

    thread = threading.Thread(target=beat, name="lock-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


@contextmanager
def hold_crawl_locks(locks_dir: Path | None, sessions: sessionmaker[Session], site_ids: Sequence[str], *,
                     heartbeat_seconds: float = HEARTBEAT_SECONDS,
                     stale_after: timedelta = STALE_AFTER) -> Iterator[LockHolder]:
    """Hold the archive lock and every site's database lock for the block.

    ``locks_dir`` None leaves the archive lock out (a worker of a shared database: the site
    locks are all there is to hold). Raises :class:`LockedError` (exit code 75) at once when
    any is held by a live run.
    """
    names = [site_lock_name(s) for s in dict.fromkeys(site_ids)]
    archive_lock = hold_archive_lock(locks_dir) if locks_dir is not None else _no_archive_lock()
    with archive_lock as holder:
        with sessions.begin() as session:
            for name in names:
                acquire_db_lock(session, name, stale_after=stale_after)
        try:
            with _heartbeat(sessions, names, heartbeat_seconds):
                yield holder
        finally:
            with sessions.begin() as session:
                release_db_lock(session, names)


@contextmanager
def _no_archive_lock() -> Iterator[LockHolder]:
    yield _me()


def lease_timing(settings: Settings) -> tuple[float, timedelta] | None:
    """(heartbeat seconds, stale after) when this crawl runs under a worker's lease
    (``BAOTINH_LEASE_SECONDS``, set by ``baotinh worker``), else None.

    The site lock then goes stale as fast as the lease does, so the worker that takes an
    expired lease over on another machine is not held off by the dead crawl's lock row.
    """
    value = settings.extra.get("BAOTINH_LEASE_SECONDS")
    if not value:
        return None
    seconds = max(float(value), 1.0)
    return seconds / 3, timedelta(seconds=seconds)


def current_holders(session: Session) -> list[RunLock]:
    """The database locks currently recorded (for diagnostics)."""
    return list(session.scalars(select(RunLock).order_by(RunLock.name)))


def close_own_runs(session: Session, site_ids: Sequence[str], *, now: datetime | None = None) -> list[int]:
    """Close as ``interrupted`` the runs of ``site_ids`` that this process left ``running``.

    A crawl stopped by force (a second signal, or its parent gone and the graceful stop
    overdue) never reaches its own closing; its counts are what its ledger says was written.
    """
    me = _me()
    runs = session.scalars(select(CrawlRun).where(
        CrawlRun.status == "running", CrawlRun.site_id.in_(list(site_ids)),
        CrawlRun.pid == me.pid, CrawlRun.hostname == me.hostname)).all()
    for run in runs:
        close_as_interrupted(session, run, "stopped by force before the run could close", now=now)
    session.flush()
    return [r.id for r in runs]


@contextmanager
def hold_crawl(settings: Settings, site_ids: Sequence[str]) -> Iterator[LockHolder]:
    """Everything a crawl process holds while it runs: the site locks in the database, and on
    SQLite (one machine) the archive's ``flock`` as well; under a worker's lease the site locks
    go stale as fast as the lease (see :func:`lease_timing`).

    Once the locks are held, runs of these sites still marked ``running`` belong to dead
    processes; they are closed as ``interrupted`` before the new run starts. When the block
    ends, the runs this process itself left running (a forced stop) are closed the same way,
    before the locks go.
    """
    engine = db.make_engine(settings.database_url)
    try:
        db.upgrade(engine)
        sessions = db.make_sessionmaker(engine)
        timing = lease_timing(settings)
        if timing is not None:  # a worker: the lease and the site locks exclude, a local flock would not
            held = hold_crawl_locks(None, sessions, site_ids, heartbeat_seconds=timing[0],
                                    stale_after=timing[1])
        elif engine.dialect.name == "sqlite":  # one machine, one file: the archive flock too
            held = hold_crawl_locks(settings.archive_dir / "locks", sessions, site_ids)
        else:  # a shared database: its site locks are what every machine sees
            held = hold_crawl_locks(None, sessions, site_ids)
        with held as holder:
            with sessions.begin() as session:
                close_interrupted_runs(session, site_ids)
            try:
                yield holder
            finally:
                with sessions.begin() as session:
                    close_own_runs(session, site_ids)
    finally:
        engine.dispose()
