"""Resumable backfill (issue 15, item 5): ``--backfill`` walks a listing to its end across runs.

A paper served on 127.0.0.1 whose one listing (``/xa-hoi``) has 12 pages of demo articles, and
nothing else linking an article (no feed, no sitemap); each run may read 4 listing pages past
its start (``BAOTINH_MAX_LISTING_PAGES=4``). Three backfill runs reach the end and archive every
listed article, each starting at the page where the previous one stopped; a fourth skips the
listing. Each run is ``python -m crawler`` in a subprocess, the archive read back with sqlite3.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.engine import Engine

from crawler.launch import spider_arguments
from crawler.listing_cursor import ListingCursors
from pipeline.archive import db as archive_db
from pipeline.cli.main import crawl
from pipeline.crawling import frontier, ledger
from pipeline.crawling.launch import validate_request
from pipeline.crawling.listing import Cursor, listing_page, load_cursors, save_cursors
from pipeline.crawling.protocol import CrawlRequest
from pipeline.demo import DemoSite
from pipeline.demo.server import RunningServer, start_server
from pipeline.demo.site import Page, make_page
from pipeline.errors import InputError
from pipeline.registry.load import load_registry
from tests.test_hostile_scope import query

from .conftest import ROOT, MigratedSqlite

PER_PAGE = 3
BUDGET = 4
SECTION = "/xa-hoi"


class PagedPaper(DemoSite):
    """The demo paper with one long listing: ``/xa-hoi?page=N``, 3 articles a page, each page
    linking page 1, the previous and the next one; the other sections and the feeds empty, no sitemap."""

    def __init__(self) -> None:
        super().__init__()
        paths = [a.path for a in self.articles()]  # newest first
        self.pages = [paths[i:i + PER_PAGE] for i in range(0, len(paths), PER_PAGE)]

    def render(self, target: str, *, host: str | None = None,
               request_headers: Mapping[str, str] | None = None) -> Page:
        parts = urlsplit(target)
        if parts.path.endswith(".html"):
            return super().render(target, host=host, request_headers=request_headers)
        if parts.path == "/robots.txt":
            return make_page("User-agent: *\nDisallow: /admin/\n", "text/plain; charset=utf-8")
        if parts.path.startswith("/rss/"):
            return make_page('<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
                             "application/rss+xml; charset=utf-8")
        if parts.path == "/":
            return make_page(f'<html><body><a href="{SECTION}">Xã hội</a></body></html>')
        if parts.path in ("/chinh-tri", "/kinh-te", "/van-hoa"):
            return make_page("<html><body><p>Chưa có bài.</p></body></html>")
        if parts.path != SECTION:
            return make_page("not found", "text/plain; charset=utf-8", status=404)
        number = int(parse_qs(parts.query).get("page", ["1"])[0])
        links = [f'<a href="{p}">bài</a>' for p in self.pages[number - 1]]
        links.append(f'<a href="{SECTION}">Trang 1</a>')
        if number > 2:
            links.append(f'<a href="{SECTION}?page={number - 1}">Trang trước</a>')
        if number < len(self.pages):
            links.append(f'<a class="next" href="{SECTION}?page={number + 1}">Trang sau</a>')
        return make_page(f"<html><body>{''.join(links)}</body></html>")


@pytest.fixture(scope="module")
def paper() -> Iterator[tuple[RunningServer, PagedPaper]]:
    site = PagedPaper()
    server = start_server(site)
    try:
        yield server, site
    finally:
        server.stop()


def backfill(archive: Path, origin: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOTINH_")}
    env["BAOTINH_ARCHIVE"] = str(archive)
    command = [sys.executable, "-m", "crawler", "--site", "demo", "--origin", origin, "--backfill",
               "--workers", "0", "--log-file", str(archive / "crawl.log"),
               "-s", "CLOSESPIDER_TIMEOUT=40", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
               "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", f"BAOTINH_MAX_LISTING_PAGES={BUDGET}"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=90, check=False)


def listing_pages_read(server: RunningServer) -> list[int]:
    """The pages of /xa-hoi the server was asked for since the last look (and forget them)."""
    pages = sorted(int(parse_qs(urlsplit(r.path).query).get("page", ["1"])[0])
                   for r in server.access_log.records() if urlsplit(r.path).path == SECTION)
    server.access_log.clear()
    return pages


@pytest.mark.slow
def test_three_backfill_runs_reach_the_end_and_a_fourth_skips_the_listing(
        paper: tuple[RunningServer, PagedPaper], migrated_sqlite: MigratedSqlite, tmp_path: Path) -> None:
    server, site = paper
    archive = tmp_path / "archive"
    migrated_sqlite(archive / "baotinh.sqlite")  # a migrated copy: the first run does not migrate
    assert len(site.pages) == 12
    # (pages read, archived so far, cursor page, complete) after each run
    expected = [([1, 2, 3, 4, 5], 5, False), ([5, 6, 7, 8, 9], 9, False), ([9, 10, 11, 12], 12, True)]
    for run, (pages, cursor_page, complete) in enumerate(expected, start=1):
        proc = backfill(archive, server.base_url)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert listing_pages_read(server) == pages, f"run {run}"
        archived = int(str(query(archive, "select count(*) from articles")[0][0]))
        assert archived == min(cursor_page * PER_PAGE, sum(map(len, site.pages)))
        assert query(archive, "select url_key, fetch_count, outcome from frontier where url_key like 'listing:%'") == [
            (f"listing:{SECTION}", cursor_page, "listing_complete" if complete else "listing_cursor")]
        run_id = query(archive, "select max(id) from crawl_runs")[0][0]
        assert '"backfill": true' in str(query(archive, f"select args from crawl_runs where id = {run_id}")[0][0])
        walked = query(archive, f"select sum(count) from crawl_ledger where run_id = {run_id}"
                       " and metric = 'backfill' and reason = 'listing_pages'")
        assert walked[0][0] == len(pages) + 4, f"run {run}"  # and the home page, 3 empty sections
        done = "complete at" if complete else "stopped at"
        assert f"backfill {SECTION}: {done} page {cursor_page}" in proc.stdout
    assert int(str(query(archive, "select count(*) from articles")[0][0])) == 34  # every listed article
    proc = backfill(archive, server.base_url)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert listing_pages_read(server) == []
    assert f"backfill {SECTION}: complete before this run, skipped" in proc.stdout
    skipped = query(archive, "select count from crawl_ledger where metric = 'backfill' and reason = 'listing_complete'")
    assert skipped == [(1,)]


# -- pure parts ------------------------------------------------------------------------------------
def test_listing_page_numbers() -> None:
    demo = load_registry().get("demo")
    assert listing_page("http://x.vn/xa-hoi?page=7", demo.pagination).number == 7
    assert listing_page("http://x.vn/xa-hoi?page=7", demo.pagination).section == "/xa-hoi"
    assert listing_page("http://x.vn/xa-hoi?page=2&loai=moi", demo.pagination).section == "/xa-hoi?loai=moi"
    assert listing_page("http://x.vn/xa-hoi/trang-12", demo.pagination).number == 12
    assert listing_page("http://x.vn/", demo.pagination).section == "/"


def test_a_normal_run_starts_every_listing_at_page_one() -> None:
    site = load_registry().get("demo")
    cursors = ListingCursors(site, enabled=False, tally=ledger.Tally(site.id))
    cursors.before = {SECTION: Cursor(SECTION, "http://x/xa-hoi?page=9", 9, False)}
    assert cursors.resume("http://x/xa-hoi") == ["http://x/xa-hoi"]
    backfilling = ListingCursors(site, enabled=True, tally=ledger.Tally(site.id))
    backfilling.before = dict(cursors.before)
    assert backfilling.resume("http://y:81/xa-hoi") == ["http://y:81/xa-hoi?page=9"]  # on this run's origin
    assert backfilling.resume("http://y:81/xa-hoi?page=10") == ["http://y:81/xa-hoi?page=10"]


def test_cursor_rows_are_never_due_and_round_trip(engine: Engine) -> None:
    sessions = archive_db.make_sessionmaker(engine)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with sessions() as session, session.begin():
        save_cursors(session, "demo", [Cursor(SECTION, "http://x/xa-hoi?page=4", 4)], run_id=None, now=now)
    with sessions() as session, session.begin():
        save_cursors(session, "demo", [Cursor(SECTION, "http://x/xa-hoi?page=8", 8, True)], run_id=None, now=now)
    with sessions() as session:
        assert load_cursors(session, "demo") == {SECTION: Cursor(SECTION, "http://x/xa-hoi?page=8", 8, True)}
        assert load_cursors(session, "other") == {}
    assert list(frontier.iter_due(sessions, "demo", now=now, refresh=True)) == []
    assert list(frontier.iter_due(sessions, "demo", now=now)) == []


def test_an_interrupted_run_leaves_the_cursors_where_they_were(sqlite_engine: Engine) -> None:
    """Articles found on the pages it walked may not be archived yet: its next run walks them again."""
    sessions = archive_db.make_sessionmaker(sqlite_engine)
    site = load_registry().get("demo")
    before = Cursor(SECTION, "http://x/xa-hoi?page=5", 5)
    with sessions() as session, session.begin():
        save_cursors(session, "demo", [before], run_id=None, now=datetime.now(UTC))
    for reason, saved in (("shutdown", before), ("finished", Cursor(SECTION, "http://x/xa-hoi?page=6", 6))):
        run = ListingCursors(site, enabled=True, tally=ledger.Tally(site.id))
        run.load(sessions)
        assert run.resume("http://x/xa-hoi") == ["http://x/xa-hoi?page=5"]
        run.walked("http://x/xa-hoi?page=5", ["http://x/xa-hoi", "http://x/xa-hoi?page=6"], 3)
        run.walked("http://x/xa-hoi?page=6", ["http://x/xa-hoi?page=7"], 3)
        notes = run.finish(sessions, reason=reason, run_id=None)
        assert f"backfill {SECTION}: stopped at page 6" in notes
        with sessions() as session:
            assert load_cursors(session, "demo") == {SECTION: saved}


def test_the_request_carries_backfill() -> None:
    """From ``baotinh crawl --backfill`` through the request (and a queued job's JSON) to the spider."""
    assert "backfill" in {p.name for p in crawl.params}
    request = CrawlRequest(sites=("demo",), backfill=True)
    assert CrawlRequest.from_json(request.to_json()).backfill
    assert spider_arguments(request)[0]["backfill"] == "1"
    normal = CrawlRequest(sites=("demo",))
    assert not CrawlRequest.from_json(normal.to_json()).backfill
    assert "backfill" not in spider_arguments(normal)[0]


def test_backfill_does_not_go_with_a_list_of_pages() -> None:
    request = CrawlRequest(pages=("http://demo.baotinh.test/xa-hoi/a-1234.html",), backfill=True)
    with pytest.raises(InputError, match="--backfill"):
        validate_request(request, load_registry())
