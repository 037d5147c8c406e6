"""One run at a time: archive file locks, database site locks, stale-lock takeover."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from pipeline.archive import db
from pipeline.archive.models import RunLock
from pipeline.crawling.locks import LockedError, acquire_db_lock, hold_archive_lock, release_db_lock
from pipeline.demo import DemoSite, RunningServer, serve_site
from pipeline.demo.misbehaviour import is_article_path
from pipeline.demo.server import AccessRecord

from .conftest import ROOT, MigratedSqlite, run_cli


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# -- the archive lock (flock) -----------------------------------------------------------------
def test_second_holder_of_the_archive_lock_is_refused_with_the_holder_named(tmp_path: Path) -> None:
    with hold_archive_lock(tmp_path / "locks"):
        with pytest.raises(LockedError) as info, hold_archive_lock(tmp_path / "locks"):
            pass
        assert f"pid {os.getpid()}" in str(info.value)
        assert info.value.exit_code == 75
    with hold_archive_lock(tmp_path / "locks"):  # released on exit
        pass


def test_archive_lock_of_a_killed_process_is_free(tmp_path: Path) -> None:
    code = ("import sys, time; sys.path[:0] = ['src', '.']\n"
            "from pathlib import Path\nfrom pipeline.crawling.locks import hold_archive_lock\n"
            f"with hold_archive_lock(Path({str(tmp_path / 'locks')!r})):\n"
            "    print('held', flush=True); time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"held"
    with pytest.raises(LockedError), hold_archive_lock(tmp_path / "locks"):
        pass
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with hold_archive_lock(tmp_path / "locks"):  # the kernel released the dead holder's flock
        pass


# -- the database site locks ------------------------------------------------------------------
def _sessions(url: str) -> sessionmaker[Session]:
    """Sessions on the migrated archive at ``url``."""
    return db.make_sessionmaker(db.make_engine(url))


def _check_db_locks(sessions: sessionmaker[Session]) -> None:
    now = datetime.now(UTC)
    host = os.uname().nodename
    with sessions.begin() as s:
        # a live holder (our parent process) with a fresh heartbeat
        s.add(RunLock(name="site:live", pid=os.getppid(), hostname=host, acquired_at=now, heartbeat_at=now))
        # a holder on this host whose process is gone
        s.add(RunLock(name="site:dead", pid=_dead_pid(), hostname=host, acquired_at=now, heartbeat_at=now))
        # a holder elsewhere that stopped beating long ago
        old = now - timedelta(hours=1)
        s.add(RunLock(name="site:silent", pid=1, hostname="elsewhere.example", acquired_at=old, heartbeat_at=old))
        s.add(RunLock(name="site:remote", pid=1, hostname="elsewhere.example", acquired_at=now, heartbeat_at=now))
    for name in ("site:live", "site:remote"):
        with pytest.raises(LockedError), sessions.begin() as s:
            acquire_db_lock(s, name)
    for name in ("site:dead", "site:silent", "site:new"):
        with sessions.begin() as s:
            acquire_db_lock(s, name)
        with sessions() as s:
            row = s.get(RunLock, name)
            assert row is not None and row.pid == os.getpid(), name
    with sessions.begin() as s:
        release_db_lock(s, ["site:dead", "site:silent", "site:new", "site:live"])
    with sessions() as s:
        assert s.get(RunLock, "site:new") is None
        assert s.get(RunLock, "site:live") is not None  # another holder's lock is left alone


def test_db_site_locks_sqlite(tmp_path: Path, migrated_sqlite: MigratedSqlite) -> None:
    _check_db_locks(_sessions(migrated_sqlite(tmp_path / "a.sqlite")))


def test_db_site_locks_postgresql(pg_migrated_url: str) -> None:
    _check_db_locks(_sessions(pg_migrated_url))


# -- whole crawls -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class GatedSite:
    """The demo paper, whose articles wait until the test opens the gate (no timing guesses)."""

    server: RunningServer
    gate: threading.Event

    @property
    def base_url(self) -> str:
        return self.server.base_url


@pytest.fixture
def gated_site(demo_articles: Path) -> Iterator[GatedSite]:
    gate = threading.Event()

    def hold_articles(request: AccessRecord) -> None:
        if is_article_path(request.path):
            gate.wait(timeout=120)

    with serve_site(DemoSite(demo_articles), on_request=hold_articles) as server:
        try:
            yield GatedSite(server, gate)
        finally:
            gate.set()  # release any handler still waiting


def _crawler(archive: Path, origin: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOTINH_")}
    env["BAOTINH_ARCHIVE"] = str(archive)
    return subprocess.Popen(
        [sys.executable, "-m", "crawler", "--site", "demo", "--origin", origin, "--workers", "0",
         "--log-file", str(archive / "crawler.log"), "-s", "AUTOTHROTTLE_ENABLED=False",
         # a non-zero delay: Scrapy 2.19 on asyncio ignores the per-domain limit at delay 0
         "-s", "DOWNLOAD_DELAY=0.01", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for(predicate: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def _has_running_run(archive: Path) -> bool:
    path = archive / "baotinh.sqlite"
    if not path.exists():
        return False
    conn = sqlite3.connect(path)
    try:
        return bool(conn.execute("select count(*) from crawl_runs where status='running'").fetchone()[0])
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


@pytest.mark.slow
def test_overlapping_run_exits_at_once_with_75(gated_site: GatedSite, archive: Path) -> None:
    first = _crawler(archive, gated_site.base_url)
    try:
        _wait_for(lambda: _has_running_run(archive))
        started = time.monotonic()
        second = run_cli("crawl", "demo", "--origin", gated_site.base_url, "--workers", "0", archive=archive)
        elapsed = time.monotonic() - started
        assert second.returncode == 75, second.stdout + second.stderr
        assert elapsed < 15
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and "another crawl" in lines[0] and f"pid {first.pid}" in lines[0]
        assert second.stdout == ""
    finally:
        gated_site.gate.set()
        out, err = first.communicate(timeout=180)
    assert first.returncode == 0, err.decode()[-2000:]


@pytest.mark.slow
def test_lock_of_a_killed_crawl_does_not_block_the_next(gated_site: GatedSite, archive: Path) -> None:
    first = _crawler(archive, gated_site.base_url)
    _wait_for(lambda: _has_running_run(archive))
    first.send_signal(signal.SIGKILL)
    first.wait()
    # the dead crawl's site lock row is still in the database
    conn = sqlite3.connect(archive / "baotinh.sqlite")
    assert conn.execute("select pid from run_locks where name='site:demo'").fetchone() == (first.pid,)
    conn.close()

    gated_site.gate.set()
    again = run_cli("crawl", "demo", "--origin", gated_site.base_url, "--workers", "0", "--delay", "0.01",
                      archive=archive)
    assert again.returncode == 0, again.stderr
    conn = sqlite3.connect(archive / "baotinh.sqlite")
    runs = conn.execute("select status, message from crawl_runs order by id").fetchall()
    locks = conn.execute("select count(*) from run_locks").fetchone()[0]
    conn.close()
    assert [r[0] for r in runs] == ["interrupted", "ok"]
    assert "died" in runs[0][1]
    assert locks == 0  # released by the run that finished
