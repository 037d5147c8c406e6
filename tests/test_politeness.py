"""Politeness: Retry-After honoured per host, 503 back-off, robots.txt obeyed and recorded."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.middlewares import MetaRefreshMiddleware, may_refresh, parse_retry_after
from pipeline.demo import AccessRecord, DemoSite, Misbehaviour, load_demo_articles, serve_site

from .conftest import ROOT, run_cli

USER_AGENT = "baotinh-test/1.0 (+https://example.test/contact)"


def test_parse_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(" 120 ") == 120.0
    now = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 25 Nov 2026 10:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 25 Nov 2026 09:00:00 GMT", now=now) == 0.0  # in the past
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_meta_refresh_is_looked_for_in_the_bytes_before_decoding() -> None:
    from scrapy import Request
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    moved = b'<html><head><META HTTP-EQUIV="Refresh" CONTENT="0; url=/moi.html"></head><body>x</body></html>'
    plain = (b"<html><head><title>B\xc3\xa1o</title></head><body>" + b"<p>Tin t\xe1\xbb\xa9c</p>" * 5000
             + b"</body></html>")
    assert may_refresh(moved) and not may_refresh(plain)
    assert may_refresh("<meta http-equiv=refresh content=0>".encode("utf-16"))  # not ASCII-compatible
    mw = MetaRefreshMiddleware.from_crawler(get_crawler(settings_dict={"METAREFRESH_MAXDELAY": 100}))
    request = Request("https://baohaiduong.vn/cu.html")
    followed = mw.process_response(request, HtmlResponse(request.url, body=moved, request=request))
    assert isinstance(followed, Request) and followed.url == "https://baohaiduong.vn/moi.html"
    response = HtmlResponse(request.url, body=plain, request=request)
    assert mw.process_response(request, response) is response
    assert getattr(response, "_cached_ubody", None) is None  # the page was never decoded


def _gaps_after(hits: list[AccessRecord], status: int) -> list[float]:
    """For each answer with ``status``, the time until the server saw the next request."""
    gaps = []
    for i, h in enumerate(hits):
        if h.status != status:
            continue
        later = [o.arrived for o in hits[i + 1:] if o.arrived >= h.answered]
        if later:
            gaps.append(min(later) - h.answered)
    return gaps


@pytest.mark.slow
def test_throttling_server_is_crawled_to_completion_within_its_rate(demo_articles: Path, archive: Path) -> None:
    misbehaviour = Misbehaviour(throttle_every=8, retry_after="1", fail_every=7, disallow=("/van-hoa/",))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOTINH_")}
    env.update(BAOTINH_ARCHIVE=str(archive), BAOTINH_USER_AGENT=USER_AGENT)
    with serve_site(DemoSite(demo_articles), misbehaviour=misbehaviour) as server:
        proc = subprocess.run(
            [sys.executable, "-m", "crawler", "--site", "demo", "--origin", server.base_url,
             "--workers", "0", "--log-file", str(archive / "crawl.log"),
             # one request at a time, so that the server's log shows exactly what followed a 429
             "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "DOWNLOAD_DELAY=0.01",
             "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "BAOTINH_BACKOFF_BASE=0.5"],
            cwd=ROOT, env=env, capture_output=True, timeout=300, check=False)
        hits = sorted(server.access_log.records(), key=lambda h: h.arrived)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]

    statuses = [h.status for h in hits]
    assert statuses.count(429) >= 3 and statuses.count(503) >= 3
    # After a 429 with Retry-After: 1, the host is left alone for 1 s; after a 503, for the back-off.
    after_429 = _gaps_after(hits, 429)
    assert after_429 and min(after_429) >= 1.0, after_429
    after_503 = _gaps_after(hits, 503)
    assert after_503 and min(after_503) >= 0.5, after_503

    # robots.txt: the disallowed section's articles were never requested...
    assert not [h.path for h in hits if h.path.startswith("/van-hoa/")]
    assert not [h.path for h in hits if h.path.startswith("/tim-kiem")]
    # ...and every other article was archived despite the errors.
    articles = load_demo_articles(demo_articles)
    allowed = {a.path for a in articles if not a.path.startswith("/van-hoa/")}
    blocked = {a.path for a in articles} - allowed
    conn = sqlite3.connect(archive / "baotinh.sqlite")
    archived = {r[0].removeprefix("http://demo.baotinh.test")
                for r in conn.execute("select canonical_url from articles")}
    ledger = dict(conn.execute(
        "select metric || '/' || reason, sum(count) from crawl_ledger group by metric, reason").fetchall())
    robots_rows = conn.execute(
        "select count(*) from frontier where robots='disallowed' and outcome='robots'").fetchone()[0]
    conn.close()
    assert archived == allowed
    # the robots decisions are recorded, per URL and in the ledger
    assert ledger.get("skipped/robots") == len(blocked) == robots_rows
    assert ledger.get("failed/http_429") is None and ledger.get("failed/http_503") is None
    # the identifying User-Agent from pipeline.config reached the server
    assert {h.headers.get("User-Agent") for h in hits} == {USER_AGENT}

    shown = run_cli("runs", "show", "1", "--json", archive=archive)
    assert shown.returncode == 0, shown.stderr
    assert '"robots": ' + str(len(blocked)) in shown.stdout
