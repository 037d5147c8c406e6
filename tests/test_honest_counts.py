"""Counts that add up (issue 14, item 9): every discovered URL ends in one ledger outcome, a
killed run is closed with what it wrote, a full disk ends the run with its real counts.

The crawls are real: the demo paper on 127.0.0.1 (ephemeral port), with misbehaviours of
:mod:`pipeline.demo.misbehaviour`, crawled by ``python -m crawler`` in a subprocess.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import update

from pipeline.archive import db, store
from pipeline.archive.models import CrawlRun
from pipeline.crawling import ledger as ledger_module
from pipeline.demo import DemoSite, Misbehaviour, serve_site
from pipeline.registry.load import load_registry

from .conftest import ROOT, MigratedSqlite
from .test_hostile_scope import (
    _wait_for,
    archived,
    crawl,
    crawl_command,
    crawler_env,
    demo_paths,
    ledger,
    query,
)
from .test_writer import _record

pytestmark = pytest.mark.slow


def summary_of(stdout: str) -> dict[str, object]:
    """The child's summary of its one site."""
    site = json.loads(stdout.splitlines()[-1])["sites"][0]
    assert isinstance(site, dict)
    return site


def _archived_so_far(archive: Path) -> int:
    """How many articles a running crawl has written (0 before its database exists)."""
    try:
        return len(archived(archive))
    except sqlite3.OperationalError:
        return 0


def test_a_redirect_loop_is_a_failure_in_the_ledger(demo_articles: Path, archive: Path) -> None:
    paths = demo_paths(demo_articles)
    loop = ((paths[0], paths[0]),)
    with serve_site(DemoSite(demo_articles), misbehaviour=Misbehaviour(redirects=loop)) as paper:
        proc = crawl(archive, paper.base_url, "REDIRECT_MAX_TIMES=3")
    counts = ledger(archive)
    print(counts, proc.returncode, summary_of(proc.stdout))
    assert counts.get("failed/redirect_limit") == 1


def test_a_nul_byte_is_a_skip_named_in_the_ledger(demo_articles: Path, archive: Path) -> None:
    paths = demo_paths(demo_articles)
    with serve_site(DemoSite(demo_articles), misbehaviour=Misbehaviour(nul_byte=(paths[0],))) as paper:
        proc = crawl(archive, paper.base_url)
    counts = ledger(archive)
    print(counts, proc.returncode, summary_of(proc.stdout))
    assert counts.get("skipped/not_html") == 1
    site = summary_of(proc.stdout)
    assert (site["status"], site["failed"], proc.returncode) == ("ok", 0, 0)
    assert len(archived(archive)) == len(paths) - 1


def test_a_killed_run_is_closed_with_what_it_wrote(demo_articles: Path, archive: Path) -> None:
    with serve_site(DemoSite(demo_articles), misbehaviour=Misbehaviour(delay=0.5)) as paper:
        child = subprocess.Popen(crawl_command(archive, paper.base_url, "CONCURRENT_REQUESTS_PER_DOMAIN=2"),
                                 cwd=ROOT, env=crawler_env(archive), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            assert _wait_for(lambda: _archived_so_far(archive) >= 3, 40), "nothing was archived"
        finally:
            child.kill()  # SIGKILL: the run never closes itself
            child.wait(timeout=10)
        written = query(archive, "select count(*) from articles where crawl_run_id = 1")[0][0]
        proc = crawl(archive, paper.base_url)
    assert proc.returncode == 0, proc.stderr[-2000:]
    status, new, fetched, message = query(
        archive, "select status, articles_new, pages_fetched, message from crawl_runs where id = 1")[0]
    assert status == "interrupted" and message
    assert new == written and isinstance(fetched, int) and fetched >= written


def test_an_interrupted_run_counts_the_articles_that_carry_its_id(tmp_path: Path,
                                                                   migrated_sqlite: MigratedSqlite) -> None:
    """Rows written without their ledger counts (a writer killed between the two, an older
    version's batches) still count: the run is closed with the articles it left."""
    url = migrated_sqlite(tmp_path / "baotinh.sqlite")
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    with sessions.begin() as s:
        store.sync_source(s, load_registry().get("demo"))
        run_id = store.start_run(s, "demo")
        s.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(pid=2**22 + 1))  # a dead pid
        store.upsert_articles(s, [_record(n) for n in range(4)], run_id=run_id)
    with sessions.begin() as s:
        assert ledger_module.close_interrupted_runs(s, ["demo"]) == [run_id]
    with sessions() as s:
        run = s.get(CrawlRun, run_id)
        assert run is not None
        assert (run.status, run.articles_new, run.pages_fetched) == ("interrupted", 4, 4)
    engine.dispose()


def test_every_discovered_url_ends_in_one_ledger_outcome(demo_articles: Path, archive: Path) -> None:
    paths = demo_paths(demo_articles)
    hostile = Misbehaviour(redirects=((paths[0], paths[0]),), nul_byte=(paths[1],),
                           nested_jsonld=(paths[2],), disallow=(paths[3],), fail_every=7)
    with serve_site(DemoSite(demo_articles), misbehaviour=hostile) as paper:
        proc = crawl(archive, paper.base_url, "REDIRECT_MAX_TIMES=3")
    assert proc.returncode == 3, proc.stderr[-2000:]  # partial: the loop failed
    counts = ledger(archive)
    assert counts["failed/redirect_limit"] == 1 and counts["skipped/not_html"] == 1
    assert counts["skipped/robots"] == 1
    engine = db.make_engine(f"sqlite:///{archive / 'baotinh.sqlite'}")
    try:
        with db.make_sessionmaker(engine)() as s:
            assert ledger_module.check_run_accounts(s, 1) is None
            rows = ledger_module.read_ledger(s, 1)
    finally:
        engine.dispose()
    assert sum(r.count for r in rows if r.metric == "discovered") == len(paths)
    # a ledger that lost a URL's outcome (as the redirect loop's once was) does not add up
    lost = [r for r in rows if (r.metric, r.reason) != ("failed", "redirect_limit")]
    assert ledger_module.unaccounted(lost) == 1


def test_pages_before_since_are_one_info_line_each_and_counted(demo_articles: Path, archive: Path) -> None:
    with serve_site(DemoSite(demo_articles)) as paper:
        proc = crawl(archive, paper.base_url)
    assert proc.returncode == 0, proc.stderr[-2000:]
    newest = max(str(r[0]) for r in query(archive, "select published_at from articles"))[:10]
    (archive / "crawl.log").unlink()
    (archive / "baotinh.sqlite").unlink()
    # Feeds and sitemaps date their items, so an article they list first is skipped before it is
    # fetched (no log line); whether a listing or a feed comes first is a race. Without them (robots
    # forbids them), every article comes from a listing, undated: fetched, then skipped for --since.
    listings_only = Misbehaviour(disallow=("/rss/", "/sitemap"))
    with serve_site(DemoSite(demo_articles), misbehaviour=listings_only) as paper:
        proc = subprocess.run(
            [*crawl_command(archive, paper.base_url), "--since", newest], cwd=ROOT,
            env=crawler_env(archive), capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    log = (archive / "crawl.log").read_text("utf-8")
    skips = [line for line in log.splitlines() if "before --since" in line]
    assert skips and all(" INFO: " in line for line in skips)
    assert "<html" not in log.lower()  # no page body in the log
    site = summary_of(proc.stdout)
    counts = ledger(archive)
    assert counts.get("skipped/before_since", 0) >= len(skips)
    assert isinstance(site["article_pages"], int)
