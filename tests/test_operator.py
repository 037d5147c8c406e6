"""The operator's view (issue 14, items 9 and 11): honest counts in the export manifest, ``runs``
and ``health``, one ``error:`` line per problem, the archive path ``serve`` names, and a progress
line with a rate and an ETA. Archives are set up through the store and the ledger themselves."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from pipeline.archive import db, store
from pipeline.crawling import ledger
from pipeline.crawling.launch import CrawlResult
from pipeline.crawling.protocol import SiteResult

from .conftest import ROOT, MigratedSqlite, run_cli
from .test_health import _record, _site

NOW = datetime.now(UTC)



def _start(sessions: sessionmaker[Session], site_id: str, *, at: datetime,
           args: dict[str, object] | None = None) -> int:
    with sessions.begin() as session:
        store.sync_source(session, _site(site_id), now=at)
        return store.start_run(session, site_id, args=args, now=at)


def _crawl(sessions: sessionmaker[Session], site_id: str, *, at: datetime, new: int) -> int:
    """A finished ``ok`` run of ``site_id`` that archived ``new`` articles and kept its ledger."""
    run_id = _start(sessions, site_id, at=at)
    with sessions.begin() as session:
        start = int(at.timestamp())
        records = [_record(site_id, start + i) for i in range(new)]
        counts = store.upsert_articles(session, records, run_id=run_id, now=at)
        tally = ledger.Tally(site_id)
        tally.add("discovered", "sitemap", url=records[0].url if records else None, n=new + 2)
        tally.add("fetched", url=records[0].url if records else None, n=new + 1)
        tally.add("new", url=records[0].url if records else None, n=counts.new)
        tally.add("failed", "http_404", n=1)
        ledger.add_counts(session, run_id, tally.take())
        store.finish_run(session, run_id, status="ok", now=at + timedelta(minutes=5),
                         counts=store.RunCounts(articles_new=counts.new, pages_fetched=new + 1))
    return run_id


@pytest.fixture
def sessions(archive: Path, migrated_sqlite: MigratedSqlite) -> sessionmaker[Session]:
    return db.make_sessionmaker(db.make_engine(migrated_sqlite(archive / "baotinh.sqlite")))


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ") and "Traceback" not in stderr, stderr
    return lines[0]


# -- item 9: counts that add up ---------------------------------------------------------------
def test_export_manifest_carries_the_coverage_ledger_of_its_runs(
        sessions: sessionmaker[Session], archive: Path, tmp_path: Path) -> None:
    run_id = _crawl(sessions, "paper", at=NOW - timedelta(hours=1), new=3)
    out = tmp_path / "out"
    result = run_cli("export", "--format", "jsonl", "--output", str(out), archive=archive)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    coverage = manifest["coverage_ledger"]
    assert coverage is not None and set(coverage) == {str(run_id)}
    by_metric = {(r["metric"], r["reason"]): r["count"] for r in coverage[str(run_id)]}
    assert by_metric == {("discovered", "sitemap"): 5, ("fetched", ""): 4, ("new", ""): 3,
                         ("failed", "http_404"): 1}


def test_unknown_site_and_broken_registry_exit_78_in_one_line(tmp_path: Path) -> None:
    archive = tmp_path / "never-created"
    for args in (("crawl", "--site", "nosuch"), ("crawl", "nosuch")):
        r = run_cli(*args, archive=archive)
        assert r.returncode == 78, (args, r.stderr)
        assert "unknown site id 'nosuch'" in _one_error_line(r.stderr)
    shapeless = tmp_path / "shapeless.toml"
    shapeless.write_text("sites = 5\n", encoding="utf-8")
    nameless = tmp_path / "nameless.toml"
    nameless.write_text('[[sites]]\nid = "x"\n', encoding="utf-8")
    for registry in (shapeless, nameless):
        r = run_cli("crawl", "--all", "--quiet", archive=archive, env={"BAOTINH_REGISTRY": str(registry)})
        assert r.returncode == 78, (registry.name, r.stderr)
        _one_error_line(r.stderr)
    assert not archive.exists()  # nothing was created, nothing was crawled


def test_health_reports_sites_never_crawled_or_with_nothing_archived(
        sessions: sessionmaker[Session], archive: Path) -> None:
    _crawl(sessions, "fresh", at=NOW - timedelta(hours=2), new=2)
    _crawl(sessions, "hollow", at=NOW - timedelta(hours=2), new=0)  # inside the window, nothing archived

    everything = run_cli("health", "--json", archive=archive)
    assert everything.returncode == 1, everything.stderr
    report = {d["site"]: d for d in (json.loads(x) for x in everything.stdout.splitlines())}
    assert report["fresh"]["status"] == "ok"
    assert report["hollow"]["status"] == "empty" and "no article ever archived" in report["hollow"]["reason"]
    assert "hollow (empty)" in _one_error_line(everything.stderr)

    assert run_cli("health", "--site", "fresh", archive=archive).returncode == 0
    never = run_cli("health", "--site", "fresh", "--site", "typo", "--json", archive=archive)
    assert never.returncode == 1
    statuses = {d["site"]: d["status"] for d in (json.loads(x) for x in never.stdout.splitlines())}
    assert statuses == {"fresh": "ok", "typo": "never_crawled"}
    assert "typo (never_crawled)" in _one_error_line(never.stderr)


def test_runs_shows_a_run_in_progress_with_its_live_counts(
        sessions: sessionmaker[Session], archive: Path) -> None:
    run_id = _start(sessions, "busy", at=NOW - timedelta(seconds=30))
    with sessions.begin() as session:  # what the writer adds batch by batch while the run goes on
        tally = ledger.Tally("busy")
        tally.add("fetched", n=7)
        tally.add("new", n=5)
        tally.add("updated", n=1)
        tally.add("failed", "timeout", n=2)
        ledger.add_counts(session, run_id, tally.take())

    listed = run_cli("runs", "--json", archive=archive)
    assert listed.returncode == 0, listed.stderr
    (run,) = [json.loads(x) for x in listed.stdout.splitlines()]
    assert run["status"] == "running" and run["running"] is True
    assert (run["new"], run["updated"], run["failed"], run["pages_fetched"]) == (5, 1, 2, 7)
    assert run["duration_seconds"] >= 30

    table = run_cli("runs", archive=archive).stdout.splitlines()
    row = next(line.split() for line in table if line.split()[:2] == [str(run_id), "busy"])
    assert row[-4:] == ["running", "5", "1", "2"] and "so far" in " ".join(row)


# -- item 11: the operator's view --------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ("crawl", "demo", "--since", "06/08/2019"),
    ("crawl", "demo", "--max-pages", "0"),
    ("crawl", "--bogus"),
    ("stats", "--bogus"),
    ("extract",),
    ("runs", "show"),
    ("runs", "--limit", "0"),
    ("sites", "nosuch"),
    ("export", "--format", "xml"),
    ("search", "--bogus", "x"),
    ("serve", "--port", "99999"),
    ("no-such-command",),
])
def test_usage_errors_are_one_error_line_exit_2(args: tuple[str, ...], tmp_path: Path) -> None:
    r = run_cli(*args, archive=tmp_path / "archive")
    assert r.returncode == 2, r.stderr
    line = _one_error_line(r.stderr)
    assert "Usage:" not in line and "--help" in line


def test_serve_names_the_archive_file_not_its_internal_url(
        sessions: sessionmaker[Session], archive: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOTINH_")}
    env["BAOTINH_ARCHIVE"] = str(archive)
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "serve", "--port", "0"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert line.startswith(f"serving {(archive / 'baotinh.sqlite').resolve()} at http://127.0.0.1:"), line
    assert "mode=ro" not in line and "sqlite:" not in line and "%3A" not in line


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_quiet_crawl_writes_one_error_line_per_failing_site(archive: Path) -> None:
    urls = [f"http://127.0.0.1:{_closed_port()}/", f"http://127.0.0.1:{_closed_port()}/"]
    r = run_cli("crawl", "--url", urls[0], "--url", urls[1], "--max-pages", "1", "--quiet",
                archive=archive, timeout=60)
    assert r.returncode == 1, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 2 and all(line.startswith("error: 127.0.0.1: failed: cannot reach ") for line in lines)
    assert [u in line for u, line in zip(urls, lines, strict=True)] == [True, True]


def test_error_lines_name_each_bad_site_with_its_outcome(tmp_path: Path) -> None:
    log = tmp_path / "crawl.log"
    result = CrawlResult(sites=(
        SiteResult(site="good", run_id=1, status="ok", article_pages=4, new=4),
        SiteResult(site="down", run_id=2, status="failed", failed=1, failures=(("http://down.test/", "timeout"),)),
        SiteResult(site="shaky", run_id=3, status="partial", article_pages=5, failed=3,
                   failures=(("http://shaky.test/a", "http_503"),)),
    ), exit_code=3, log_file=log, seconds=1.0)
    assert result.error_lines() == [
        f"down: failed: cannot reach http://down.test/: timeout; log: {log}",
        f"shaky: partial: failed to fetch http://shaky.test/a: http_503 (and 2 more failures); log: {log}",
    ]
    assert result.error_line() == result.error_lines()[0]


def test_progress_line_shows_a_rate_and_an_eta_when_max_pages_bounds_the_run(
        sessions: sessionmaker[Session], archive: Path) -> None:
    started = NOW - timedelta(seconds=10)
    run_id = _start(sessions, "busy", at=started, args={"site": "busy", "max_pages": 100})
    with sessions.begin() as session:
        tally = ledger.Tally("busy")
        tally.add("discovered", "feed", n=120)
        tally.add("fetched", n=20)
        tally.add("new", n=18)
        ledger.add_counts(session, run_id, tally.take())
    url = f"sqlite:///{archive / 'baotinh.sqlite'}"
    line = ledger.read_progress(url, now=NOW)
    assert line == "busy: 120 found, 20 fetched, 18 new, 0 skipped, 0 failed, 2.0 pages/s, ETA 40s"
    _start(sessions, "open", at=started)  # no --max-pages: a rate, no ETA
    assert "open: 0 found, 0 fetched, 0 new, 0 skipped, 0 failed, 0.0 pages/s" in ledger.read_progress(url, now=NOW)
