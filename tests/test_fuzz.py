"""Issue 14, item 5: extraction never drops a page silently, and hostile input raises only typed errors.

Deeply nested JSON-LD is read without recursion; any unexpected exception inside
``extract_article`` becomes an :class:`ExtractorCrashed` (an ``ExtractionError`` naming the
exception's type); a crawl archives the hostile page; and a bounded Hypothesis run (fixed
seed, ``derandomize=True``) over mutated real pages and the text functions finds no exception
other than the typed ones.
"""

from __future__ import annotations

import contextlib
import json
import pickle
import sqlite3
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.crawling.workers import ExtractionResult, FetchedPage, extract_page
from pipeline.demo import DemoSite, Misbehaviour, RunningServer, load_demo_articles, serve_site
from pipeline.errors import BaotinhError, ExitCode, ExtractionError
from pipeline.extract import extract_article
from pipeline.extract.core import ExtractorCrashed
from pipeline.extract.jsonld import walk_json_ld
from pipeline.search.query import parse_query
from pipeline.text.dates import parse_date_text, parse_iso_datetime, parse_rfc822
from pipeline.text.normalise import normalise_text, repair_text
from pipeline.text.urls import canonicalise_url
from tests.conftest import ROOT, run_cli

PAGES = sorted((ROOT / "tests" / "golden" / "pages").glob("*.html"))
URL = "https://baohaiduong.vn/xa-hoi/bai-bao-105123.html"
DEPTH = 1000
FUZZ = settings(max_examples=200, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _with_head_script(page: bytes, script: str) -> bytes:
    """``page`` with a JSON-LD ``script`` first in its head, before the page's own."""
    tag = b'<script type="application/ld+json">' + script.encode() + b"</script>"
    return page.replace(b"<head>", b"<head>" + tag, 1) if b"<head>" in page else tag + page


BOMBS = {
    "arrays": "[" * DEPTH + "]" * DEPTH,
    "graphs": '{"@graph": ' * DEPTH + "{}" + "}" * DEPTH,
    # shallow enough for json.loads, far too deep for a recursive walk
    "graphs_900": '{"@graph": ' * 900 + '{"@type": "NewsArticle", "headline": "x"}' + "}" * 900,
}


# -- JSON-LD bombs -----------------------------------------------------------------------------
@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_nested_jsonld_is_ignored_not_fatal(bomb: str) -> None:
    page = PAGES[0].read_bytes()
    plain = extract_article(page, URL)
    hostile = extract_article(_with_head_script(page, BOMBS[bomb]), URL)
    assert hostile.text == plain.text and hostile.title == plain.title


def test_json_ld_walk_is_bounded_and_in_document_order() -> None:
    deep: Any = {"@type": "NewsArticle"}
    for _ in range(100_000):
        deep = [deep]
    assert list(walk_json_ld(deep)) == []
    wide = [{"n": i} for i in range(10_000)]
    assert [n["n"] for n in walk_json_ld(wide)][:3] == [0, 1, 2]
    assert len(list(walk_json_ld(wide))) == 1000


def test_cli_extract_of_a_jsonld_bomb_without_text_is_one_line_exit_65(tmp_path: Path) -> None:
    path = tmp_path / "bomb.html"
    path.write_text("<html><head><script type='application/ld+json'>" + BOMBS["arrays"]
                    + "</script></head><body></body></html>", encoding="utf-8")
    result = run_cli("extract", str(path), "--url", URL, archive=tmp_path / "archive", timeout=60)
    assert result.returncode == ExitCode.DATA, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert result.stdout == ""


# -- any exception is typed ----------------------------------------------------------------------
def _at_stack_limit(call: Callable[[], object], headroom: int) -> object:
    """Run ``call`` with only ``headroom`` frames of stack left: a real RecursionError inside."""
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1  # type: ignore[assignment]
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + headroom)
    try:
        return call()
    finally:
        sys.setrecursionlimit(old)


def _crashes(call: Callable[[], object]) -> list[BaseException | object]:
    """What ``call`` raises (or returns) with 20 to 80 frames left: every depth a crash can hit
    (with fewer, not even the wrapping of the error finds room to run)."""
    seen: list[BaseException | object] = []
    for headroom in range(20, 80, 3):
        try:
            seen.append(_at_stack_limit(call, headroom))
        except BaseException as exc:  # noqa: BLE001 - the point is to see every kind
            seen.append(exc)
    return seen


def test_an_unexpected_exception_becomes_a_typed_extraction_error() -> None:
    page = PAGES[0].read_bytes()
    outcomes = _crashes(lambda: extract_article(page, URL))
    assert all(not isinstance(o, BaseException) or isinstance(o, ExtractionError) for o in outcomes), outcomes
    crashes = [o for o in outcomes if isinstance(o, ExtractorCrashed)]
    assert crashes, "no depth made extraction overflow"
    crash = crashes[0]
    assert crash.exit_code == ExitCode.DATA and crash.exception_type == "RecursionError"
    assert str(crash).startswith(f"extraction failed on {URL}: RecursionError") and "\n" not in str(crash)
    # it survives a process pool's pickling with its type
    again = pickle.loads(pickle.dumps(crash))
    assert (str(again), again.exception_type) == (str(crash), "RecursionError")


def test_the_worker_reports_the_exception_type_for_the_ledger() -> None:
    page = FetchedPage(url=URL, body=PAGES[0].read_bytes(), fetched_at=datetime.now(UTC))
    outcomes = _crashes(lambda: extract_page(page))
    assert all(isinstance(o, ExtractionResult) for o in outcomes), outcomes
    failed = [o for o in outcomes if isinstance(o, ExtractionResult) and o.record is None]
    assert failed and {o.error_type for o in failed} == {"RecursionError"}
    not_article = extract_page(FetchedPage(url=URL, body=b"<html><body></body></html>",
                                           fetched_at=datetime.now(UTC)))
    assert not_article.record is None and not_article.error_type is None


# -- a crawl archives the hostile page ------------------------------------------------------------
@pytest.fixture
def bombed_site(demo_articles: Path) -> Iterator[tuple[RunningServer, str]]:
    """The demo paper with a JSON-LD bomb in one article."""
    site = DemoSite(demo_articles)
    path = load_demo_articles(demo_articles)[0].path
    with serve_site(site, misbehaviour=Misbehaviour(nested_jsonld=(path,))) as server:
        yield server, path


@pytest.mark.timeout(60)
def test_a_crawl_archives_the_page_with_a_jsonld_bomb(bombed_site: tuple[RunningServer, str],
                                                      archive: Path) -> None:
    server, path = bombed_site
    result = run_cli("crawl", "demo", "--origin", server.base_url, "--workers", "0", "--delay", "0.01",
                     archive=archive, timeout=50)
    served = [r for r in server.access_log.records() if r.path == path]
    assert served and served[0].status == 200
    conn = sqlite3.connect(archive / "baotinh.sqlite")
    try:
        urls = {u for (u,) in conn.execute("select canonical_url from articles")}
        runs = conn.execute("select status, errors from crawl_runs").fetchall()
    finally:
        conn.close()
    assert any(u.endswith(path) for u in urls), f"{path} was dropped"
    assert result.returncode == 0, result.stderr
    assert runs == [("ok", 0)]


# -- Hypothesis: typed errors only -------------------------------------------------------------
def _mutate(page: bytes, data: st.DataObject) -> bytes:
    """One of: a slice cut out, bytes spliced in, a JSON-LD script nested deep, tags doubled."""
    kind = data.draw(st.sampled_from(["cut", "splice", "jsonld", "nest", "truncate"]))
    at = data.draw(st.integers(0, len(page)))
    if kind == "cut":
        return page[:at] + page[at + data.draw(st.integers(0, 4096)):]
    if kind == "splice":
        return page[:at] + data.draw(st.binary(max_size=256)) + page[at:]
    if kind == "jsonld":
        depth = data.draw(st.integers(1, 3000))
        opener = data.draw(st.sampled_from(["[", '{"@graph": ', '{"a": ']))
        closer = "]" if opener == "[" else "}"
        return _with_head_script(page, opener * depth + "{}" + closer * depth)
    if kind == "nest":
        return page[:at] + b"<div><p>" * data.draw(st.integers(1, 2000)) + page[at:]
    return page[:at]


@FUZZ
@given(data=st.data())
def test_fuzz_extract_article_raises_only_extraction_errors(data: st.DataObject) -> None:
    page = _mutate(data.draw(st.sampled_from(PAGES)).read_bytes(), data)
    with contextlib.suppress(ExtractionError):
        extract_article(page, URL)


@FUZZ
@given(text=st.text(max_size=200))
def test_fuzz_date_parsers(text: str) -> None:
    now = datetime(2025, 6, 1, tzinfo=UTC)
    parse_date_text(text, now=now)
    parse_iso_datetime(text)
    parse_rfc822(text)


@FUZZ
@given(text=st.text(max_size=300))
def test_fuzz_text_normaliser(text: str) -> None:
    assert isinstance(normalise_text(text), str)
    assert isinstance(repair_text(text), str)


@FUZZ
@given(url=st.one_of(st.text(max_size=120), st.builds(
    lambda host, path, query: f"http://{host}/{path}?{query}",
    st.text(max_size=30), st.text(max_size=40), st.text(max_size=40))))
def test_fuzz_url_canonicaliser(url: str) -> None:
    with contextlib.suppress(BaotinhError):
        canonical = canonicalise_url(url, primary_host="baohaiduong.vn", alias_hosts=("www.baohaiduong.vn",))
        assert isinstance(canonical, str)


@FUZZ
@given(text=st.text(max_size=120))
def test_fuzz_query_parser(text: str) -> None:
    with contextlib.suppress(BaotinhError):
        parse_query(text)


def test_fuzz_inputs_are_real_pages_and_real_bombs() -> None:
    assert len(PAGES) >= 10
    with pytest.raises(RecursionError):
        json.loads(BOMBS["arrays"])
    assert json.loads(BOMBS["graphs_900"])  # json reads it; only a recursive walk would not
