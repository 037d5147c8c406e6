"""The spider stays on the paper and ends (issue 14, items 1, 2, 4 and 10).

Each crawl is real: the demo paper served on 127.0.0.1 (ephemeral port) with one of the
misbehaviours of :mod:`pipeline.demo.misbehaviour`, crawled by ``python -m crawler`` in a
subprocess, the archive read back with sqlite3.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from crawler.middlewares import SiteScope
from crawler.spiders.news import generic_site, localise_site, scope_of
from pipeline.demo import DemoSite, Misbehaviour, load_demo_articles, serve_site
from pipeline.extract.urls import canonical_for
from pipeline.registry.load import load_registry

from .conftest import ROOT, run_cli

pytestmark = pytest.mark.slow

DEMO = "http://demo.baotinh.test"


def crawler_env(archive: Path) -> dict[str, str]:
    """The environment of a crawl into ``archive`` (no BAOTINH_ setting of the caller's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOTINH_")}
    env["BAOTINH_ARCHIVE"] = str(archive)
    return env


def crawl_command(archive: Path, origin: str, *settings: str, generic: bool = False) -> list[str]:
    """``python -m crawler`` for the demo paper served at ``origin``, with Scrapy ``settings``:
    as the registered demo paper, or (``generic``) as a site the registry does not know."""
    target = ["--url", origin + "/"] if generic else ["--site", "demo", "--origin", origin]
    command = [sys.executable, "-m", "crawler", *target, "--workers", "0",
               "--log-file", str(archive / "crawl.log"), "-s", "CLOSESPIDER_TIMEOUT=40"]
    # a server on this machine needs no politeness delay
    command += ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
                "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
    for setting in settings:
        command += ["-s", setting]
    return command


def crawl(archive: Path, origin: str, *settings: str, generic: bool = False,
          timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Crawl the demo paper from ``origin`` to its end."""
    return subprocess.run(crawl_command(archive, origin, *settings, generic=generic), cwd=ROOT,
                          env=crawler_env(archive), capture_output=True, text=True, timeout=timeout, check=False)


def query(archive: Path, sql: str) -> list[tuple[object, ...]]:
    """The rows of ``sql`` in the archive's database."""
    conn = sqlite3.connect(archive / "baotinh.sqlite")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def ledger(archive: Path) -> dict[str, int]:
    """``{"metric/reason": count}`` over every run and section."""
    rows = query(archive, "select metric || '/' || reason, sum(count) from crawl_ledger group by metric, reason")
    return {str(k): int(str(n)) for k, n in rows}


def archived(archive: Path) -> set[str]:
    """The canonical URLs of the archived articles."""
    return {str(r[0]) for r in query(archive, "select canonical_url from articles")}


def demo_paths(articles_dir: Path) -> list[str]:
    """The demo articles' paths, in a fixed order."""
    return sorted(a.path for a in load_demo_articles(articles_dir))


# -- 1. scope ------------------------------------------------------------------------------
def test_scope_is_host_and_port() -> None:
    demo = load_registry().get("demo")
    mirror = scope_of(demo, origin="http://127.0.0.1:8123")
    assert mirror.allows("http://127.0.0.1:8123/xa-hoi/a-1.html")
    assert not mirror.allows("http://127.0.0.1:8124/xa-hoi/a-1.html")  # another port
    assert not mirror.allows("http://127.0.0.2:8123/xa-hoi/a-1.html")  # another host
    assert not mirror.allows("http://demo.baotinh.test/xa-hoi/a-1.html")  # a mirror is crawled alone
    registered = scope_of(demo)
    assert registered.allows("http://demo.baotinh.test/a") and registered.allows("https://www.demo.baotinh.test/a")
    assert not registered.allows("http://demo.baotinh.test:8080/a")
    generic = scope_of(generic_site("http://127.0.0.1:8123/"), url="http://127.0.0.1:8123/")
    assert generic.allows("http://127.0.0.1:8123/x") and not generic.allows("http://127.0.0.1/x")
    assert generic == SiteScope(frozenset(), frozenset({("127.0.0.1", 8123)}))


def test_a_page_on_another_port_keeps_its_port() -> None:
    demo = localise_site(load_registry().get("demo"), "http://127.0.0.1:8123")
    assert canonical_for("http://127.0.0.1:8123/xa-hoi/a-1234.html", demo) == f"{DEMO}/xa-hoi/a-1234.html"
    assert canonical_for("http://127.0.0.1:8124/xa-hoi/a-1234.html", demo) == "http://127.0.0.1:8124/xa-hoi/a-1234.html"
    site = generic_site("http://127.0.0.1:8123/")
    assert site.id == "127.0.0.1"
    assert canonical_for("http://127.0.0.1:8123/a-1234.html", site) == "http://127.0.0.1:8123/a-1234.html"
    assert canonical_for("http://127.0.0.1:8124/a-1234.html", site) == "http://127.0.0.1:8124/a-1234.html"


def test_redirects_off_the_paper_are_recorded_never_followed(demo_articles: Path, archive: Path) -> None:
    paths = demo_paths(demo_articles)
    with serve_site(DemoSite(demo_articles)) as elsewhere:
        other_port = elsewhere.base_url.rsplit(":", 1)[1]
        moved = ((paths[0], elsewhere.base_url + paths[0]),  # the same host, another port
                 (paths[1], f"http://127.0.0.2:{other_port}{paths[1]}"))  # another host
        with serve_site(DemoSite(demo_articles), misbehaviour=Misbehaviour(redirects=moved)) as paper:
            proc = crawl(archive, paper.base_url)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert elsewhere.access_log.records() == []  # not even its robots.txt
    assert archived(archive) == {DEMO + p for p in paths[2:]}
    assert ledger(archive)["skipped/offsite_redirect"] == 2
    captured = {str(r[0]) for r in query(archive, "select uri from captures")}
    assert not [u for u in captured if other_port in u or "127.0.0.2" in u]
    outcomes = query(archive, "select url, outcome from frontier where outcome = 'offsite_redirect'")
    assert {str(u).rsplit(":", 1)[1].split("/", 1)[1] for u, _ in outcomes} == {p[1:] for p in paths[:2]}


# -- 2. bounded discovery ------------------------------------------------------------------
def test_sitemap_loop_and_endless_pagination_end_within_budgets(demo_articles: Path, archive: Path) -> None:
    trap = Misbehaviour(sitemap_loop=True, endless_pages="/bay")
    with serve_site(DemoSite(demo_articles), misbehaviour=trap) as paper:
        started = time.monotonic()
        proc = crawl(archive, paper.base_url, "BAOTINH_MAX_LISTING_PAGES=30", "BAOTINH_SITEMAP_MAX_DEPTH=3")
        elapsed = time.monotonic() - started
        hits = [r.path for r in paper.access_log.records()]
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.splitlines()[-1])["sites"][0]["finish_reason"] == "finished"
    assert elapsed < 30
    assert len([p for p in hits if p.startswith("/sitemap.xml")]) == 4  # depth 0 to 3
    assert 0 < len([p for p in hits if p.startswith("/bay")]) <= 30
    counts = ledger(archive)
    assert counts["budget/sitemap_depth"] == 1
    assert counts["budget/listing_pages"] >= 1
    assert archived(archive) == {DEMO + p for p in demo_paths(demo_articles)}


def _wait_for(predicate: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def test_fetched_articles_are_written_while_the_crawl_goes_on(demo_articles: Path, archive: Path) -> None:
    paths = demo_paths(demo_articles)
    trap = Misbehaviour(endless_pages="/bay", trap_delay=0.5)
    with ExitStack() as stack:
        paper = stack.enter_context(serve_site(DemoSite(demo_articles), misbehaviour=trap))
        proc = subprocess.Popen(crawl_command(archive, paper.base_url, "BAOTINH_MAX_LISTING_PAGES=100"),
                                cwd=ROOT, env=crawler_env(archive), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        stack.callback(_stop, proc)

        def all_fetched() -> bool:
            return set(paths) <= {r.path for r in paper.access_log.records()}

        assert _wait_for(all_fetched, 12), "the articles were not fetched"
        # The trap keeps the crawl busy, and no further article comes: the timer writes them.
        assert _wait_for(lambda: len(archived(archive)) == len(paths), 5)
        assert proc.poll() is None  # still crawling the trap
        assert archived(archive) == {DEMO + p for p in paths}


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a crawl this test started (and only it)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# -- 4. session ids ----------------------------------------------------------------------------
@pytest.mark.parametrize("generic", [False, True], ids=["registered", "generic"])
def test_session_ids_make_one_article(generic: bool, demo_articles: Path, archive: Path) -> None:
    paths = demo_paths(demo_articles)
    with serve_site(DemoSite(demo_articles), misbehaviour=Misbehaviour(session_ids=True)) as paper:
        proc = crawl(archive, paper.base_url, generic=generic)
        requested = [r.path for r in paper.access_log.records()]
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert archived(archive) == {(paper.base_url if generic else DEMO) + p for p in paths}
    article_requests = [p for p in requested if p.endswith(".html") or ".html?" in p or ".html;" in p]
    assert not [p for p in article_requests if "sid" in p.lower() or "?_=" in p]
    assert len(article_requests) == len(set(article_requests))
    assert ledger(archive)["collapsed/session_id"] > 0


# -- 10. Retry-After cap, robots.txt unreachable, a malformed URL -----------------------------
def test_a_huge_retry_after_is_capped_and_counted(demo_articles: Path, archive: Path) -> None:
    slow_down = Misbehaviour(throttle_every=4, retry_after="99999")
    with serve_site(DemoSite(demo_articles), misbehaviour=slow_down) as paper:
        started = time.monotonic()
        proc = crawl(archive, paper.base_url, "BAOTINH_RETRY_AFTER_MAX=0.5")
        elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert elapsed < 30
    assert ledger(archive)["budget/retry_after_capped"] >= 1
    assert "BAOTINH_RETRY_AFTER_MAX" in (archive / "crawl.log").read_text("utf-8")
    assert archived(archive) == {DEMO + p for p in demo_paths(demo_articles)}


@pytest.mark.parametrize("misbehaviour", [Misbehaviour(robots_delay=4.0), Misbehaviour(robots_status=503)],
                         ids=["hangs", "fails"])
def test_an_unreachable_robots_txt_is_said(misbehaviour: Misbehaviour, demo_articles: Path, archive: Path) -> None:
    with serve_site(DemoSite(demo_articles), misbehaviour=misbehaviour) as paper:
        proc = crawl(archive, paper.base_url, "DOWNLOAD_TIMEOUT=1", "RETRY_TIMES=0")
        requested = [r.path for r in paper.access_log.records()]
    assert proc.returncode == 1, proc.stderr[-2000:]
    site = json.loads(proc.stdout.splitlines()[-1])["sites"][0]
    assert site["status"] == "failed" and "robots_unreachable" in site["failures"][0][1]
    assert ledger(archive)["failed/robots_unreachable"] == 1
    assert set(requested) <= {"/robots.txt"}  # RFC 9309: unreachable means disallowed


def test_a_malformed_url_is_one_error_line(archive: Path) -> None:
    result = run_cli("crawl", "--url", "http://[::1", archive=archive)
    assert result.returncode == 2
    assert result.stderr.startswith("error:") and len(result.stderr.splitlines()) == 1
    child = subprocess.run([sys.executable, "-m", "crawler", "--url", "http://[::1"], cwd=ROOT,
                           env=crawler_env(archive), capture_output=True, text=True, timeout=60, check=False)
    assert child.returncode == 2 and "Traceback" not in child.stderr

