"""End to end: the demo paper served for real, crawled for real (subprocess), rows checked."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from pipeline.demo import load_demo_articles

from .conftest import ServedSite, run_cli

pytestmark = pytest.mark.slow


def _rows(db_path: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("select * from articles order by canonical_url").fetchall()
    finally:
        conn.close()


def test_crawl_archives_every_article_once(demo_server: ServedSite, archive: Path) -> None:
    articles = load_demo_articles(demo_server.articles_dir)
    result = run_cli("crawl", "demo", "--origin", demo_server.base_url, "--delay", "0.01", "--workers", "1",
                     archive=archive)
    assert result.returncode == 0, result.stderr
    rows = _rows(archive / "baotinh.sqlite")
    assert len(rows) == len(articles)
    urls = {r["canonical_url"] for r in rows}
    assert urls == {f"http://demo.baotinh.test{a.path}" for a in articles}
    # Every row is complete and normalised.
    for r in rows:
        assert r["site"] == "demo"
        assert r["url"].startswith(demo_server.base_url)
        assert r["title"] and r["text"] and r["word_count"] > 50
        assert len(r["content_sha256"]) == 64
        assert r["published_at"] is not None
    # No listing, tag or author page was archived.
    assert not any("/tag/" in u or "/tac-gia/" in u for u in urls)

    # The seed article, as issue 2 describes it.
    seed = next(r for r in rows if "huyen-uy-kim-thanh" in r["canonical_url"])
    assert seed["author"] == "HV"
    assert seed["text"].startswith("Từ năm 2016 đến nay")
    assert "Lãnh đạo huyện Kim Thành trao giấy khen" in json.loads(seed["captions"])[0]

    # A second crawl that re-reads every page (--refresh: known articles are otherwise not due)
    # adds no rows and changes none.
    again = run_cli("crawl", "demo", "--origin", demo_server.base_url, "--delay", "0.01", "--workers", "0", "--refresh",
                    archive=archive)
    assert again.returncode == 0, again.stderr
    assert "0 new" in again.stdout and "0 updated" in again.stdout
    assert len(_rows(archive / "baotinh.sqlite")) == len(articles)

    conn = sqlite3.connect(archive / "baotinh.sqlite")
    runs = conn.execute("select site_id, status, articles_new, articles_unchanged, finished_at "
                        "from crawl_runs order by id").fetchall()
    conn.close()
    assert [(r[0], r[1]) for r in runs] == [("demo", "ok"), ("demo", "ok")]
    assert runs[0][2] == len(articles) and runs[1][3] == len(articles)
    assert all(r[4] is not None for r in runs)


def test_nfd_articles_are_stored_nfc(demo_archive: Path) -> None:
    import unicodedata

    nfd = [a for a in load_demo_articles() if a.nfd]
    assert nfd, "the demo paper must have NFD articles"
    by_url = {r["canonical_url"]: r for r in _rows(demo_archive / "baotinh.sqlite")}
    for a in nfd:
        row = by_url[f"http://demo.baotinh.test{a.path}"]
        assert row["title"] == unicodedata.normalize("NFC", a.title)
        assert unicodedata.is_normalized("NFC", row["text"])


def test_max_pages_bounds_a_run(demo_server: ServedSite, archive: Path) -> None:
    result = run_cli("crawl", "demo", "--origin", demo_server.base_url, "--delay", "0.01", "--max-pages", "5",
                     archive=archive)
    assert result.returncode == 0, result.stderr
    assert len(_rows(archive / "baotinh.sqlite")) == 5


def test_since_skips_older_articles(demo_server: ServedSite, archive: Path) -> None:
    articles = load_demo_articles(demo_server.articles_dir)
    cutoff = "2023-01-01"
    expected = [a for a in articles if a.published.date().isoformat() >= cutoff]
    assert 0 < len(expected) < len(articles)
    result = run_cli("crawl", "demo", "--origin", demo_server.base_url, "--delay", "0.01", "--since", cutoff,
                     archive=archive)
    assert result.returncode == 0, result.stderr
    rows = _rows(archive / "baotinh.sqlite")
    assert {r["canonical_url"] for r in rows} == {f"http://demo.baotinh.test{a.path}" for a in expected}


def test_demo_command_twice(archive: Path) -> None:
    first = run_cli("demo", "--json", archive=archive)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    served = summary["articles_served"]
    assert summary["articles_archived"] == served == summary["new"]
    assert summary["sample"]["published_at"] == "2019-08-06T19:05:01+07:00"
    second = run_cli("demo", "--json", archive=archive)
    assert second.returncode == 0, second.stderr
    summary2 = json.loads(second.stdout)
    assert summary2["new"] == 0 and summary2["articles_archived"] == served
    assert len(_rows(archive / "baotinh.sqlite")) == served


def test_withdrawn_article_is_marked_not_deleted(demo_server: ServedSite, archive: Path) -> None:
    """An article that now answers 404 is kept and marked withdrawn (issue 5), found through
    the frontier although no listing links it any more (issue 6)."""
    first = run_cli("crawl", "demo", "--origin", demo_server.base_url, "--delay", "0.01", archive=archive)
    assert first.returncode == 0, first.stderr
    gone = sorted(demo_server.articles_dir.glob("*.toml"))[0]
    gone_id = gone.name.split("-", 1)[0]
    gone.unlink()
    second = run_cli("crawl", "demo", "--origin", demo_server.base_url, "--delay", "0.01", "--refresh", archive=archive)
    assert second.returncode in (0, 3), second.stderr
    conn = sqlite3.connect(archive / "baotinh.sqlite")
    rows = conn.execute("select canonical_url, withdrawn_at, withdrawn_status from articles").fetchall()
    conn.close()
    assert len(rows) == len(load_demo_articles(demo_server.articles_dir)) + 1  # nothing deleted
    withdrawn = [r for r in rows if r[1] is not None]
    assert len(withdrawn) == 1 and withdrawn[0][0].endswith(f"-{gone_id}.html")
    assert withdrawn[0][2] == 404
    requested = [r["path"] for r in demo_server.requests()]
    assert any(p.endswith(f"-{gone_id}.html") for p in requested)
