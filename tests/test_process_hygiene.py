"""Issue 14, item 8: killing ``baotinh crawl`` never leaves its crawler child running.

The CLI is started as a user (or ``timeout``, or systemd) would, against the demo paper served
slowly on 127.0.0.1; then the CLI is killed (SIGKILL) or asked to stop (SIGTERM), and the child
must go with it, its run closed, its locks free for the next crawl.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.demo import DemoSite, Misbehaviour, RunningServer, serve_site
from pipeline.errors import ExitCode
from tests.conftest import ROOT, CliResult, run_cli

# Seconds the child may take to notice that its parent is gone and close its run (its own
# grace is 5 s, then it forces the stop).
CHILD_GRACE = 12.0


@pytest.fixture
def slow_site(demo_articles: Path) -> Iterator[RunningServer]:
    """The demo paper, each article answered after half a second: a crawl that is still running."""
    with serve_site(DemoSite(demo_articles), misbehaviour=Misbehaviour(delay=0.5)) as server:
        yield server


@pytest.fixture
def fast_site(demo_articles: Path) -> Iterator[RunningServer]:
    """The same paper at full speed, for the crawl after the killed one."""
    with serve_site(DemoSite(demo_articles)) as server:
        yield server


def _next_crawl(archive: Path, origin: str) -> CliResult:
    return run_cli("crawl", "demo", "--origin", origin, "--workers", "0", "--max-pages", "2", "--delay", "0.01",
                   archive=archive, timeout=30)


def _start_cli(archive: Path, origin: str) -> subprocess.Popen[bytes]:
    """``baotinh crawl demo --origin ORIGIN`` in a subprocess, as from a shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOTINH_")}
    env["BAOTINH_ARCHIVE"] = str(archive)
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "crawl", "demo", "--origin", origin, "--workers", "0",
         "--delay", "0.01"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def _query(archive: Path, sql: str) -> list[tuple[object, ...]]:
    path = archive / "baotinh.sqlite"
    if not path.exists():
        return []
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:  # not migrated yet
        return []
    finally:
        conn.close()


def _running_child(archive: Path) -> int | None:
    """The pid of the crawler child, once it has opened its run (it holds the site lock)."""
    if not _query(archive, "select id from crawl_runs where status = 'running'"):
        return None
    rows = _query(archive, "select pid from run_locks where name = 'site:demo'")
    return int(str(rows[0][0])) if rows else None


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie nobody reaped does not: PID 1 of a container may not reap)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _child_of(cli: subprocess.Popen[bytes], archive: Path) -> int:
    child: list[int] = []

    def started() -> bool:
        pid = _running_child(archive)
        if pid is not None:
            child.append(pid)
        return bool(child)

    assert _wait_for(started, 60), "the crawl never started"
    assert cli.poll() is None, "the CLI ended before it could be killed"
    return child[0]


def _run_statuses(archive: Path) -> list[tuple[object, ...]]:
    return _query(archive, "select status, message from crawl_runs order by id")


@pytest.mark.timeout(60)
def test_sigkill_of_the_cli_takes_the_crawler_child_with_it(slow_site: RunningServer, fast_site: RunningServer,
        archive: Path) -> None:
    cli = _start_cli(archive, slow_site.base_url)
    child = _child_of(cli, archive)
    cli.kill()
    cli.communicate(timeout=10)
    assert _wait_for(lambda: not _alive(child), CHILD_GRACE), f"crawler child {child} outlived its CLI"
    # the orphan closed its own run on the way out (not left for a later run to close)
    assert [s for s, _ in _run_statuses(archive)] == ["interrupted"]

    again = _next_crawl(archive, fast_site.base_url)
    assert again.returncode != ExitCode.LOCKED, again.stderr
    assert again.returncode == 0, again.stderr
    assert [s for s, _ in _run_statuses(archive)] == ["interrupted", "ok"]


@pytest.mark.timeout(60)
def test_sigterm_of_the_cli_stops_the_crawl_gracefully(slow_site: RunningServer, fast_site: RunningServer,
        archive: Path) -> None:
    cli = _start_cli(archive, slow_site.base_url)
    child = _child_of(cli, archive)
    cli.send_signal(signal.SIGTERM)
    _, err = cli.communicate(timeout=20)
    assert _wait_for(lambda: not _alive(child), 2), f"crawler child {child} outlived its CLI"
    # the CLI waited for its child to close the run, then said so in one line
    assert cli.returncode == ExitCode.PARTIAL, err.decode()
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: demo: interrupted: the crawl was stopped"), lines
    runs = _run_statuses(archive)
    assert [s for s, _ in runs] == ["interrupted"]
    assert "died" not in str(runs[0][1])  # closed by the run itself, not by a later one
    assert _query(archive, "select count(*) from run_locks") == [(0,)]

    again = _next_crawl(archive, fast_site.base_url)
    assert again.returncode == 0, again.stderr
