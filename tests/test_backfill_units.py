"""Backfill's pure parts (issue 17): index rows, the choice of captures, bounds, cursor, politeness,
and the two archive fixtures answered through the real clients (loopback, in-process servers)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.backfill.cdx import (
    Capture,
    CdxPage,
    capture_time,
    parse_cc_lines,
    parse_wayback_rows,
    select_captures,
    timestamp_bound,
)
from pipeline.backfill.commoncrawl import CommonCrawlSource
from pipeline.backfill.cursor import Cursor, ListingState
from pipeline.backfill.listing import ListingCounts, domains_to_list, list_site
from pipeline.backfill.memento import MementoError, record_from_range
from pipeline.backfill.politeness import FetchError, PoliteClient, Politeness, parse_retry_after
from pipeline.backfill.wayback import WaybackSource
from pipeline.demo import load_demo_articles
from pipeline.errors import InputError
from pipeline.registry.load import load_registry

from .webarchives import LEGACY_HOST, CommonCrawlFixture, Served, Shot, WaybackFixture, make_legacy_warc

HEADER = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]


def test_wayback_rows_and_resume_key() -> None:
    rows = [HEADER, ["k", "20190806120501", "http://a.test/x-1234.html", "text/html", "200", "D1", "9"],
            [], ["next-key"]]
    captures, key = parse_wayback_rows(rows)
    assert key == "next-key"
    assert captures == [Capture("http://a.test/x-1234.html", "20190806120501", "200", "D1", "text/html")]
    assert parse_wayback_rows([]) == ([], None)
    with pytest.raises(InputError):
        parse_wayback_rows([HEADER, ["too", "short"]])


def test_cc_lines_json_and_cdxj() -> None:
    text = ('{"url": "http://a.test/x-1234.html", "timestamp": "20190806120501", "status": "200", '
            '"digest": "D", "filename": "f.warc.gz", "offset": "10", "length": "20"}\n'
            'test,a)/y-5678.html 20190807000000 {"url": "http://a.test/y-5678.html", "status": "200", '
            '"filename": "f.warc.gz", "offset": "30", "length": "40"}\n')
    first, second = parse_cc_lines(text)
    assert (first.filename, first.offset, first.length) == ("f.warc.gz", 10, 20)
    assert second.timestamp == "20190807000000" and second.offset == 30
    with pytest.raises(InputError):
        parse_cc_lines("not json\n")


def test_bounds_and_times() -> None:
    assert timestamp_bound("2019", end=False) == "20190101000000"
    assert timestamp_bound("2019", end=True) == "20191231235959"
    assert timestamp_bound("2020-02", end=True) == "20200229235959"
    assert timestamp_bound("2019-12-31", end=True) == "20191231235959"
    for bad in ("19", "2019-13", "2019/01", "2019-02-30", "abc"):
        with pytest.raises(InputError):
            timestamp_bound(bad, end=False)
    assert capture_time("2019") == datetime(2019, 1, 1, tzinfo=UTC)
    assert capture_time("20190806120501").tzinfo is UTC


def test_one_capture_per_url_and_period() -> None:
    site = load_registry().get("demo")

    def cap(url: str, ts: str, digest: str, status: str = "200") -> Capture:
        return Capture(url, ts, status, digest)

    a_old = f"http://{LEGACY_HOST}/xa-hoi/a-1234.html"
    a_new = "http://demo.baotinh.test/xa-hoi/a-1234.html"
    captures = [
        cap(a_old, "20190102000000", "D1"), cap(a_old, "20190103000000", "D1"),  # same digest
        cap(a_new, "20190104000000", "D2"),  # same URL (alias mapped), same period
        cap(a_old, "20200101000000", "D3"),  # another year
        cap(a_old, "20190105000000", "D4", status="404"),
        cap(f"http://{LEGACY_HOST}/tag/kim-thanh", "20190101000000", "D5"),
    ]

    def canonical(url: str) -> str:
        return url.replace(LEGACY_HOST, site.domain)

    chosen, dropped = select_captures(captures, is_article=site.is_article_url, canonical=canonical, per="year")
    assert [c.timestamp for c in chosen] == ["20190102000000", "20200101000000"]
    assert dropped == {"same_digest": 1, "same_period": 1, "not_200": 1, "not_article": 1}
    chosen_all, _ = select_captures(captures, is_article=site.is_article_url, canonical=canonical)
    assert [c.timestamp for c in chosen_all] == ["20190102000000"]


def test_domains_to_list_covers_subdomains() -> None:
    site = load_registry().get("baohaiduong")
    domains = domains_to_list(site)
    assert "baohaiduong.vn" in domains and "media.baohaiduong.vn" not in domains
    assert domains_to_list(load_registry().get("demo")) == ["demo.baotinh.test", LEGACY_HOST]


def test_cursor_round_trip(tmp_path: Path) -> None:
    cursor = Cursor(tmp_path / "c")
    params = {"source": "wayback", "from": "1", "to": "2", "url": "u"}
    state = cursor.load_listing(params)
    assert state.captures == [] and not state.complete
    state.captures.append(Capture("http://a.test/x-1234.html", "20190101000000", "200", "D",
                                  filename="f", offset=1, length=2))
    state.token, state.domain = "key", "a.test"
    cursor.save_listing(state)
    again = cursor.load_listing(params)
    assert again.captures == state.captures and again.token == "key"
    # a page appended by a run killed before it recorded it in listing.json is not read back
    with cursor.captures_path.open("a") as fh:
        fh.write('{"original": "http://a.test/y-5678.html", "timestamp": "2019"}\n{"orig')
    again = cursor.load_listing(params)
    assert again.captures == state.captures
    again.captures.append(Capture("http://a.test/z-9012.html", "20190102000000"))
    cursor.save_listing(again)
    assert [c.original for c in cursor.load_listing(params).captures] == [
        "http://a.test/x-1234.html", "http://a.test/z-9012.html"]
    assert cursor.load_listing({**params, "to": "3"}).captures == []  # another window: list again
    cursor.mark_done(state.captures[0])
    assert cursor.done() == {state.captures[0].key}
    cursor.listing_path.write_text("{damaged")
    assert cursor.load_listing(params).captures == []
    cursor.finish_listing()
    assert not cursor.listing_path.exists()


def test_retry_after_values() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert parse_retry_after("Wed, 01 Jan 2025 00:00:30 GMT", now=now) == 30.0
    with pytest.raises(ValueError):
        Politeness(rate=0)


def test_range_that_is_not_a_record() -> None:
    cap = Capture("http://a.test/x-1234.html", "2019", filename="f", offset=0, length=4)
    with pytest.raises(MementoError):
        record_from_range(cap, b"junk", source="s")
    with pytest.raises(MementoError):
        record_from_range(cap, gzip.compress(b"not a warc"), source="s")


# -- the fixtures, through the real clients ------------------------------------------------------
ARTICLES = load_demo_articles()[:4]


@pytest.fixture(scope="module")
def legacy_warc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("warc")
    shots = [Shot(a.path, a.published.astimezone(UTC) + timedelta(days=1)) for a in ARTICLES]
    shots += [Shot("/", datetime(2025, 1, 1, tzinfo=UTC)), Shot(ARTICLES[0].path, datetime(2025, 6, 1, tzinfo=UTC))]
    return make_legacy_warc(folder / "legacy.warc.gz", shots)


@pytest.fixture
def wayback(legacy_warc: Path, tmp_path: Path) -> Iterator[Served]:
    served = WaybackFixture([legacy_warc], tmp_path / "wb.jsonl", refuse_every=3).serve()
    yield served
    served.stop()


def test_wayback_fixture_pages_and_replay(wayback: Served, tmp_path: Path) -> None:
    client = PoliteClient(Politeness(rate=50, retry_after_max=0.2, backoff=0.05))
    source = WaybackSource(client, cdx_url=wayback.base_url + "/cdx/search/cdx",
                           replay_url=wayback.base_url + "/web", page_size=2)
    site = load_registry().get("demo")
    cursor = Cursor(tmp_path / "cursor")
    counts = ListingCounts()
    state = list_site(source, site, cursor, ListingState({}), start="2000", end="2999", counts=counts)
    # the repeated article has the same digest: collapsed by the index; the home page is not an
    # article; 3 pages of 2 for the legacy domain, 1 empty page for the current one
    assert counts.listed == 5 and counts.not_article == 1 and counts.pages == 4
    assert len(state.captures) == 4 and state.complete
    memento = source.fetch(state.captures[0])
    assert memento.source.endswith(f"id_/{state.captures[0].original}")
    assert b"WARC-Source-URI: " + memento.source.encode() in memento.record
    assert f"WARC-Date: {state.captures[0].captured_at:%Y-%m-%dT%H:%M:%SZ}".encode() in memento.record
    # the first replay was refused with Retry-After: 1, cut to 0.2 s, and tried again
    assert client.retry_after_waits == 1 and client.retry_after_capped == 1
    statuses = [r["status"] for r in wayback.requests() if r["path"].startswith("/web/")]
    assert statuses == [429, 200]
    # a timestamp the archive does not hold: redirected to the nearest capture, which is what is kept
    asked = Capture(state.captures[1].original, state.captures[1].timestamp[:8])
    moved = source.fetch(asked)
    assert moved.capture.timestamp == state.captures[1].timestamp
    assert moved.source == source.memento_url(state.captures[1])
    assert all(r["ua"].startswith("baotinh/") for r in wayback.requests())


def test_commoncrawl_fixture_ranges(legacy_warc: Path, tmp_path: Path) -> None:
    served = CommonCrawlFixture([legacy_warc], tmp_path / "cc.jsonl", page_size=4).serve()
    try:
        source = CommonCrawlSource(PoliteClient(Politeness(rate=50)), index_url=served.base_url,
                                   data_url=served.base_url)
        pages = list(source.list_pages(LEGACY_HOST, start="2000", end="2999"))
        assert [p.next_token for p in pages] == ["CC-MAIN-2019-35 1", None]
        resumed = list(source.list_pages(LEGACY_HOST, start="2000", end="2999", token="CC-MAIN-2019-35 1"))
        assert resumed[0].captures == pages[1].captures
        capture = next(c for p in pages for c in p.captures if c.original.endswith(ARTICLES[0].path))
        memento = source.fetch(capture)
        assert memento.source.endswith(f"/legacy.warc.gz#offset={capture.offset}&length={capture.length}")
        assert memento.record.startswith(b"WARC/1.1\r\n") and ARTICLES[0].title.encode() in memento.record
        ranges = [r["range"] for r in served.requests() if r["path"] == "/legacy.warc.gz"]
        assert ranges == [f"bytes={capture.offset}-{capture.offset + capture.length - 1}"]
        with pytest.raises(MementoError):
            source.fetch(Capture(capture.original, capture.timestamp, filename="legacy.warc.gz",
                                 offset=10**9, length=5))
    finally:
        served.stop()


def test_unreachable_archive_is_a_fetch_error() -> None:
    client = PoliteClient(Politeness(rate=50, retries=1, backoff=0.01, timeout=2))
    with pytest.raises(FetchError):
        client.get("http://127.0.0.1:9/cdx")


class _Stop(Exception):
    pass


def test_listing_interrupted_resumes_from_its_last_page(wayback: Served, tmp_path: Path) -> None:
    site = load_registry().get("demo")
    cursor = Cursor(tmp_path / "cursor")
    params = {"source": "wayback"}

    class Dying(WaybackSource):
        def list_pages(self, domain: str, *, start: str, end: str, token: str | None = None) -> Iterator[CdxPage]:
            for n, page in enumerate(super().list_pages(domain, start=start, end=end, token=token)):
                if n == 2:
                    raise _Stop  # killed while asking for the third page
                yield page

    def source(kind: type[WaybackSource]) -> WaybackSource:
        return kind(PoliteClient(Politeness(rate=200)), cdx_url=wayback.base_url + "/cdx/search/cdx",
                    replay_url=wayback.base_url + "/web", page_size=1)

    with pytest.raises(_Stop):
        list_site(source(Dying), site, cursor, cursor.load_listing(params), start="2000", end="2999",
                  counts=ListingCounts())
    asked = len(wayback.requests())
    state = list_site(source(WaybackSource), site, cursor, cursor.load_listing(params), start="2000", end="2999",
                      counts=ListingCounts())
    assert len(state.captures) == 4 and len({c.key for c in state.captures}) == 4
    resumed = [r["path"] for r in wayback.requests()[asked:]]
    assert "resumeKey=2" in resumed[0] and not any("resumeKey" not in p and LEGACY_HOST in p for p in resumed)
