"""The crawl contract between the library and the crawler child, and the run-status policy."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.__main__ import build_parser, main, request_from_args
from crawler.launch import politeness_settings, scrapy_settings, spider_arguments
from crawler.resources import RESOURCES_SETTING, CrawlResources, resources_of
from crawler.skip import SkippedPage, skip_reason_of
from crawler.spiders.news import NewsSpider
from pipeline.crawling.launch import crawler_command
from pipeline.crawling.protocol import (
    REQUEST_FLAG,
    CrawlRequest,
    CrawlSummary,
    CrawlUsage,
    ProtocolError,
    SiteResult,
    read_summary,
)
from pipeline.crawling.status import RunStatus, SkipReason, crawl_exit_code, run_status
from pipeline.errors import BaotinhError, ExitCode

FULL_REQUEST = CrawlRequest(
    sites=("demo",), urls=("https://báo.example/tin-tức/",), origin="http://127.0.0.1:8123",
    max_pages=50, since=date(2025, 7, 1), workers=0, refresh=True, verbose=True, delay=0.25,
    local_server=True, per_domain_concurrency=4, autothrottle=False,
)

SITE = SiteResult(
    site="demo", run_id=7, status=RunStatus.PARTIAL, finish_reason="finished", article_pages=12,
    new=9, updated=1, unchanged=1, failed=1, skipped=2, failures=(("http://x/a.html", "http_503"),),
    notes=("robots_stale_copy: robots.txt unreachable (HTTP 503)",),
    responses=20, elapsed_seconds=3.25, extract_cpu_ms=40.5, store_ms=12.0, store_cpu_ms=3.1,
)
SUMMARY = CrawlSummary(
    sites=(SITE, SiteResult(site="other", run_id=None, status=RunStatus.FAILED)),
    usage=CrawlUsage(cpu_crawler_seconds=1.234, cpu_workers_seconds=2.5, maxrss_crawler_mb=210.4,
                     maxrss_worker_mb=120.0),
)


# -- round trips ------------------------------------------------------------------------------
@pytest.mark.parametrize("request_", [CrawlRequest(), FULL_REQUEST], ids=["defaults", "full"])
def test_request_round_trips_exactly(request_: CrawlRequest) -> None:
    text = request_.to_json()
    assert CrawlRequest.from_json(text) == request_
    assert CrawlRequest.from_json(text).to_json() == text
    assert text.isascii() and "\n" not in text


@pytest.mark.parametrize("summary", [
    SUMMARY, CrawlSummary(), CrawlSummary(error="another crawl holds the archive lock", exit_code=75),
], ids=["sites", "empty", "error"])
def test_summary_round_trips_exactly(summary: CrawlSummary) -> None:
    text = summary.to_json()
    assert CrawlSummary.from_json(text) == summary
    assert CrawlSummary.from_json(text).to_json() == text
    assert "\n" not in text


def test_summary_json_keeps_the_fields_readers_use() -> None:
    data = json.loads(SUMMARY.to_json())
    assert set(data) == {"sites", "usage"}
    assert data["sites"][0] == {
        "site": "demo", "run_id": 7, "status": "partial", "finish_reason": "finished",
        "article_pages": 12, "new": 9, "updated": 1, "unchanged": 1, "failed": 1, "skipped": 2,
        "failures": [["http://x/a.html", "http_503"]],
        "notes": ["robots_stale_copy: robots.txt unreachable (HTTP 503)"], "responses": 20, "elapsed_seconds": 3.25,
        "extract_cpu_ms": 40.5, "store_ms": 12.0, "store_cpu_ms": 3.1,
    }
    assert json.loads(CrawlSummary(error="busy", exit_code=75).to_json()) == {
        "sites": [], "error": "busy", "exit_code": 75}


@pytest.mark.parametrize("text", [
    "[]", "{not json", '{"sites": ["demo"], "colour": "red"}', '{"max_pages": "5"}',
    '{"since": "06/08/2019"}', '{"refresh": 1}', '{"delay": true}', '{"urls": "http://x/"}',
])
def test_malformed_requests_raise_a_typed_error(text: str) -> None:
    with pytest.raises(ProtocolError) as info:
        CrawlRequest.from_json(text)
    assert isinstance(info.value, BaotinhError)


@pytest.mark.parametrize("text", [
    '{"sites": [{"site": "demo", "status": "splendid"}]}',
    '{"sites": [{"site": "demo", "status": "ok", "failures": [["only-a-url"]]}]}',
    '{"sites": {}}', '{"sites": [], "usage": []}',
])
def test_malformed_summaries_raise_a_typed_error(text: str) -> None:
    with pytest.raises(ProtocolError):
        CrawlSummary.from_json(text)


def test_the_summary_is_the_last_json_line_of_stdout() -> None:
    stdout = "\n".join(['{"sites": []}', "some noise", "{broken", SUMMARY.to_json(), "{also broken", ""])
    assert read_summary(stdout) == SUMMARY
    assert read_summary("no summary here\n") is None


# -- run status, exit code, skip reasons -------------------------------------------------------
@pytest.mark.parametrize(("reason", "fetched", "failed", "status"), [
    ("finished", 10, 0, RunStatus.OK),
    ("finished", 10, 2, RunStatus.PARTIAL),
    ("finished", 0, 2, RunStatus.FAILED),
    ("finished", 0, 0, RunStatus.OK),
    ("closespider_pagecount", 5, 0, RunStatus.OK),
    ("closespider_itemcount", 5, 1, RunStatus.PARTIAL),
    ("unreachable", 0, 1, RunStatus.FAILED),
    ("unreachable", 3, 0, RunStatus.FAILED),
    ("shutdown", 10, 0, RunStatus.INTERRUPTED),
    ("cancelled", 0, 3, RunStatus.INTERRUPTED),
])
def test_run_status(reason: str, fetched: int, failed: int, status: RunStatus) -> None:
    assert run_status(reason, fetched=fetched, failed=failed) is status


@pytest.mark.parametrize(("statuses", "code"), [
    ((), ExitCode.FAILED),
    ((RunStatus.FAILED,), ExitCode.FAILED),
    ((RunStatus.FAILED, RunStatus.FAILED), ExitCode.FAILED),
    ((RunStatus.OK,), ExitCode.OK),
    ((RunStatus.OK, RunStatus.OK), ExitCode.OK),
    ((RunStatus.OK, RunStatus.FAILED), ExitCode.PARTIAL),
    ((RunStatus.PARTIAL,), ExitCode.PARTIAL),
    ((RunStatus.INTERRUPTED,), ExitCode.PARTIAL),
])
def test_crawl_exit_code(statuses: tuple[RunStatus, ...], code: int) -> None:
    assert crawl_exit_code(statuses) == code


def test_skip_reasons_are_the_ledger_strings() -> None:
    assert {r.value for r in SkipReason} == {
        "robots", "not_article", "not_html", "too_short", "duplicate", "not_due", "unchanged", "before_since",
        "max_pages", "extract_error"}
    assert [r for r in SkipReason if not r.settles_page] == [SkipReason.BEFORE_SINCE, SkipReason.EXTRACT_ERROR]


def test_dropped_pages_carry_their_reason() -> None:
    dropped = SkippedPage(SkipReason.BEFORE_SINCE, "published 2019-01-01, before --since")
    assert isinstance(dropped, DropItem)
    assert skip_reason_of(dropped) is SkipReason.BEFORE_SINCE
    # the message no longer decides: a URL that says "duplicate" is not a duplicate
    assert skip_reason_of(SkippedPage(SkipReason.NOT_ARTICLE, "no article at http://x/duplicate")) \
        is SkipReason.NOT_ARTICLE
    assert skip_reason_of(DropItem("someone else's drop")) is SkipReason.NOT_ARTICLE


# -- the crawler's side ----------------------------------------------------------------------
def test_politeness_becomes_scrapy_settings_only_in_the_crawler() -> None:
    assert politeness_settings(CrawlRequest()) == {}
    assert politeness_settings(CrawlRequest(delay=0.02)) == {
        "DOWNLOAD_DELAY": 0.02, "AUTOTHROTTLE_START_DELAY": 0.02}
    local = politeness_settings(CrawlRequest(local_server=True))
    assert local == {"DOWNLOAD_DELAY": 0.0, "AUTOTHROTTLE_START_DELAY": 0.0, "AUTOTHROTTLE_MAX_DELAY": 1.0,
                     "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "RANDOMIZE_DOWNLOAD_DELAY": False}
    bench = politeness_settings(CrawlRequest(local_server=True, per_domain_concurrency=16, autothrottle=False))
    assert bench["CONCURRENT_REQUESTS_PER_DOMAIN"] == 16 and bench["AUTOTHROTTLE_ENABLED"] is False


def test_scrapy_settings_layers_request_log_and_overrides(tmp_path: Path) -> None:
    request = CrawlRequest(sites=("demo",), workers=0, delay=0.3)
    settings = scrapy_settings(request, log_file=str(tmp_path / "c.log"), log_level="WARNING",
                               overrides=["DOWNLOAD_DELAY=0.05", "BAOTINH_STORE_BATCH=2"])
    assert settings.getfloat("DOWNLOAD_DELAY") == 0.05  # -s wins over the request
    assert settings.getfloat("AUTOTHROTTLE_START_DELAY") == 0.3
    assert settings.getint("BAOTINH_EXTRACT_WORKERS") == 0
    assert settings.getint("BAOTINH_STORE_BATCH") == 2
    assert settings.get("LOG_FILE") == str(tmp_path / "c.log") and settings.get("LOG_LEVEL") == "WARNING"
    defaults = scrapy_settings(CrawlRequest(sites=("demo",)))
    assert defaults.getfloat("DOWNLOAD_DELAY") == 0.5 and defaults.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2
    assert defaults.get("BAOTINH_EXTRACT_WORKERS") is None


def test_spider_arguments() -> None:
    assert spider_arguments(FULL_REQUEST) == [
        {"site": "demo", "origin": "http://127.0.0.1:8123", "max_pages": 50, "since": "2025-07-01",
         "refresh": "1"},
        {"url": "https://báo.example/tin-tức/", "max_pages": 50, "since": "2025-07-01", "refresh": "1"},
    ]


def test_human_flags_and_request_json_make_the_same_request(tmp_path: Path) -> None:
    argv = ["--site", "demo", "--origin", "http://127.0.0.1:8123", "--max-pages", "5",
            "--since", "2025-01-02", "--workers", "0", "--refresh", "-s", "DOWNLOAD_DELAY=0.01"]
    by_hand = request_from_args(build_parser().parse_args(argv))
    assert by_hand == CrawlRequest(sites=("demo",), origin="http://127.0.0.1:8123", max_pages=5,
                                   since=date(2025, 1, 2), workers=0, refresh=True)
    path = tmp_path / "request.json"
    path.write_text(by_hand.to_json(), encoding="utf-8")
    assert request_from_args(build_parser().parse_args([REQUEST_FLAG, str(path)])) == by_hand


def test_the_library_sends_the_request_on_stdin(tmp_path: Path) -> None:
    cmd = crawler_command(tmp_path / "crawl.log")
    assert cmd[1:] == ["-m", "crawler", "--log-file", str(tmp_path / "crawl.log"), REQUEST_FLAG, "-"]


@pytest.mark.parametrize("argv", [
    [], ["--origin", "http://127.0.0.1:1", "--site", "a", "--site", "b"],
    [REQUEST_FLAG, "/nonexistent/request.json"], [REQUEST_FLAG, "-", "--site", "demo"],
])
def test_child_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == ExitCode.USAGE
    assert capsys.readouterr().err.startswith("error: ")


def test_the_process_resources_are_shared_by_its_crawlers() -> None:
    resources = CrawlResources()
    settings = scrapy_settings(CrawlRequest(sites=("demo",)))
    resources.attach(settings)
    first, second = Crawler(NewsSpider, settings), Crawler(NewsSpider, settings)
    assert resources_of(first) is resources and resources_of(second) is resources
    alone = Crawler(NewsSpider, scrapy_settings(CrawlRequest(sites=("demo",))))
    assert alone.settings.get(RESOURCES_SETTING) is None
    assert isinstance(resources_of(alone), CrawlResources) and resources_of(alone) is not resources


def test_resources_count_their_users() -> None:
    resources = CrawlResources()
    pool = resources.acquire_pool(0)
    assert resources.acquire_pool(0) is pool
    resources.release_pool()
    assert resources.acquire_pool(0) is pool  # still used by one
    resources.release_pool()
    resources.release_pool()
    fresh = resources.acquire_pool(0)
    assert fresh is not pool  # the last user closed the first one
    resources.close()
