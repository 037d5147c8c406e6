"""A stop signal that reaches the crawler child while it is still starting (issue 15 follow-up): the
run is closed as ``interrupted`` by the crawl itself, the exit code is the one of other interrupts,
the site lock is released and the next crawl runs.

The child is held at a known point of its start-up by real PostgreSQL: the test holds a lock on
``crawl_runs`` and waits until the child's session waits for it, either

- while the child holds its site lock and closes runs of dead crawls (before Scrapy runs; a
  lock that even reads wait for), or
- while it opens its run (the INSERT waits; Scrapy runs, its engine has not started).

SIGTERM is then sent to the child, and the lock let go once the signal has been delivered (it is
no longer pending in ``/proc``). ``baotinh crawl`` forwards its own SIGTERM to the child
(tests/test_process_hygiene.py); the signal is sent to the child here so that the test knows it
arrived before the child could go on.
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
from sqlalchemy import Connection, text

from pipeline.demo import DemoSite, RunningServer, serve_site
from pipeline.errors import ExitCode
from tests.conftest import ROOT, run_cli


@pytest.fixture
def site(demo_articles: Path) -> Iterator[RunningServer]:
    with serve_site(DemoSite(demo_articles)) as server:
        yield server


def _wait_for(predicate: Callable[[], object], timeout: float = 60) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _pending(pid: int, signum: int) -> bool:
    """Whether ``signum`` waits to be delivered to process ``pid`` (False once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    bit = 1 << (signum - 1)
    masks = [int(line.split()[1], 16) for line in status.splitlines() if line.startswith(("SigPnd:", "ShdPnd:"))]
    return any(m & bit for m in masks)


def _catches(pid: int, signum: int) -> bool:
    """Whether process ``pid`` has a handler for ``signum``."""
    status = Path(f"/proc/{pid}/status").read_text()
    caught = next(int(line.split()[1], 16) for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(caught & 1 << (signum - 1))


def _waiting_for(conn: Connection) -> tuple[int, str] | None:
    """The session waiting for a lock ``conn`` holds: (backend pid, its statement)."""
    conn.execute(text("SELECT pg_stat_clear_snapshot()"))  # else the first look's view, for the transaction
    row = conn.execute(text("SELECT pid, query FROM pg_stat_activity "
                            "WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))")).first()
    return (int(row[0]), str(row[1])) if row is not None else None


@pytest.mark.timeout(180)
@pytest.mark.parametrize(("mode", "statement"),
                         [("ACCESS EXCLUSIVE", "SELECT"), ("EXCLUSIVE", "INSERT INTO crawl_runs")],
                         ids=["holding-its-lock", "opening-its-run"])
def test_sigterm_while_the_crawler_starts_closes_its_run(mode: str, statement: str, site: RunningServer,
                                                         archive: Path, pg_migrated_url: str) -> None:
    from pipeline.archive import db

    engine = db.make_engine(pg_migrated_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOTINH_")}
    env.update(BAOTINH_ARCHIVE=str(archive), BAOTINH_DB=pg_migrated_url)
    args = ["crawl", "demo", "--origin", site.base_url, "--workers", "0", "--delay", "0.01"]
    try:
        with engine.connect() as holder:
            tx = holder.begin()
            holder.execute(text(f"LOCK TABLE crawl_runs IN {mode} MODE"))
            cli = subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                waiting = _wait_for(lambda: _waiting_for(holder))
                assert isinstance(waiting, tuple) and waiting[1].startswith(statement), waiting
                child = holder.execute(text("SELECT pid FROM run_locks WHERE name = 'site:demo'")).scalar_one()
                assert child != cli.pid  # the crawler child, holding the site lock, waits for us
                os.kill(child, signal.SIGTERM)
                _wait_for(lambda: not _pending(child, signal.SIGTERM), timeout=10)
            finally:
                tx.rollback()
            out, err = cli.communicate(timeout=120)
        stderr = err.decode()
        assert cli.returncode == ExitCode.PARTIAL, stderr  # as a crawl stopped later
        assert stderr.strip().splitlines()[-1].startswith("error: demo: interrupted: the crawl was stopped"), stderr
        with engine.connect() as conn:
            runs = conn.execute(text("SELECT status, message, pages_fetched FROM crawl_runs ORDER BY id")).all()
            assert [r[0] for r in runs] == ["interrupted"]
            assert "force" not in str(runs[0][1]) and "died" not in str(runs[0][1])  # closed by the run itself
            assert conn.execute(text("SELECT count(*) FROM run_locks")).scalar_one() == 0

        again = run_cli(*args, archive=archive, db=pg_migrated_url, timeout=120)
        assert again.returncode == 0, again.stderr
        with engine.connect() as conn:
            statuses = conn.execute(text("SELECT status FROM crawl_runs ORDER BY id")).scalars().all()
            assert statuses == ["interrupted", "ok"]
            assert conn.execute(text("SELECT count(*) FROM articles")).scalar_one() > 0
    finally:
        engine.dispose()


# Put first on the crawler child's path (and only its: the command line says which process it
# is), this holds the child's interpreter before it runs crawler.__main__, so before any handler.
_GATE = """
import os, pathlib, time
_gate = os.environ.get("TEST_CRAWLER_GATE")
if _gate and pathlib.Path("/proc/self/cmdline").read_bytes().split(b"\\0")[1:3] == [b"-m", b"crawler"]:
    pathlib.Path(_gate, "child.pid").write_text(str(os.getpid()))
    _until = time.monotonic() + 60
    while not pathlib.Path(_gate, "go").exists() and time.monotonic() < _until:
        time.sleep(0.05)
"""


@pytest.mark.timeout(120)
def test_sigterm_before_the_crawler_runs_is_an_interrupt(site: RunningServer, archive: Path, tmp_path: Path) -> None:
    """The stop reaches the child before its own code runs (its interpreter is still starting): the
    default action ends it, holding nothing; ``baotinh crawl`` says the crawl was stopped before it
    started and exits as an interrupted crawl does, not as a failed one."""
    gate = tmp_path / "gate"
    gate.mkdir()
    (gate / "sitecustomize.py").write_text(_GATE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOTINH_")}
    env.update(BAOTINH_ARCHIVE=str(archive), TEST_CRAWLER_GATE=str(gate),
               PYTHONPATH=os.pathsep.join(p for p in (str(gate), env.get("PYTHONPATH")) if p))
    cli = subprocess.Popen([sys.executable, "-m", "pipeline", "crawl", "demo", "--origin", site.base_url,
                            "--workers", "0", "--delay", "0.01"], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(lambda: (gate / "child.pid").exists() and (gate / "child.pid").read_text())
        _wait_for(lambda: _catches(cli.pid, signal.SIGTERM))  # the CLI forwards stops from now on
        cli.send_signal(signal.SIGTERM)
        _, err = cli.communicate(timeout=60)
    finally:
        (gate / "go").touch()
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    stderr = err.decode()
    assert cli.returncode == ExitCode.PARTIAL, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "stopped before it started; nothing was crawled" in lines[0], stderr
    conn = sqlite3.connect(archive / "baotinh.sqlite")
    try:
        assert conn.execute("SELECT count(*) FROM crawl_runs").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM run_locks").fetchone() == (0,)
    finally:
        conn.close()
