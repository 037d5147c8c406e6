"""Versions: changed re-fetches keep the old version, unchanged ones only touch last_seen_at,
withdrawn pages are marked, never deleted; end to end with the demo paper served for real."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from pipeline.archive import db, store, versions
from pipeline.archive.models import Article, ArticleVersion
from pipeline.record import ArticleRecord, CaptureRef, StoreItem
from pipeline.registry.load import load_registry
from pipeline.text.dates import VN_TZ

from .conftest import ServedSite, run_cli

URL = "http://demo.baotinh.test/chinh-tri/bai-viet-105123.html"
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def engine(engine: Engine) -> Engine:
    """conftest's migrated archive (SQLite and PostgreSQL), knowing the demo site."""
    with db.make_sessionmaker(engine).begin() as s:
        store.sync_source(s, load_registry().get("demo"))
    return engine


def capture(n: int) -> CaptureRef:
    return CaptureRef(warc=f"captures/x-{n}.warc.gz", offset=100 * n, length=50, record_id=f"<urn:uuid:{n}>",
                      digest=f"sha1:{n}", sha256="0" * 64, uri=URL, date=T0, status=200)


def record(text: str, *, title: str = "Huyện ủy Kim Thành", n: int = 1) -> StoreItem:
    base = ArticleRecord(url=URL, canonical_url=URL, site="demo", title=title, text=text,
                         published_at=datetime(2019, 8, 6, 19, 5, 1, tzinfo=VN_TZ), word_count=len(text.split()),
                         content_sha256="0" * 64, fetched_at=T0, extractor_version="1.0.0")
    return StoreItem(record=base, capture=capture(n))


def test_changed_content_makes_a_version_unchanged_does_not(engine: Engine) -> None:
    sessions = db.make_sessionmaker(engine)
    with sessions.begin() as s:
        store.upsert_articles(s, [record("Sáng 6.8, huyện Kim Thành kỷ niệm.")], now=T0)
    with sessions.begin() as s:
        counts = store.upsert_articles(s, [record("Sáng 6.8, huyện Kim Thành kỷ niệm.", n=2)],
                                       now=T0 + timedelta(days=1))
    assert counts == store.UpsertCounts(unchanged=1)
    with sessions.begin() as s:
        counts = store.upsert_articles(s, [record("Sáng 7.8, huyện Kim Thành kỷ niệm.", title="Kim Thành", n=3)],
                                       now=T0 + timedelta(days=2))
    assert counts == store.UpsertCounts(updated=1)
    with sessions() as s:
        article = s.scalars(select(Article)).one()
        assert article.version == 2 and article.text.startswith("Sáng 7.8")
        assert article.capture_record_id == "<urn:uuid:3>"
        assert article.last_seen_at == T0 + timedelta(days=2)
        old = s.scalars(select(ArticleVersion)).one()
        assert old.version == 1 and old.text.startswith("Sáng 6.8") and old.title == "Huyện ủy Kim Thành"
        assert old.changed_fields == ["title", "text"]
        # The old version keeps the capture it was extracted from (the first fetch's).
        assert old.capture_record_id == "<urn:uuid:1>" and old.extractor_version == "1.0.0"
        assert old.valid_from == T0 and old.valid_to == T0 + timedelta(days=2)
        assert old.data["text"] == old.text
        views = versions.list_versions(s, article)
        assert [v.version for v in views] == [1, 2] and views[-1].valid_to is None
        shown = versions.format_history(article, views)
        assert "[-6.8,-]{+7.8,+}" in shown and "changed: title, text" in shown


def test_withdrawn_is_marked_and_cleared_when_the_page_returns(engine: Engine) -> None:
    sessions = db.make_sessionmaker(engine)
    with sessions.begin() as s:
        store.upsert_articles(s, [record("Nội dung bài báo.")], now=T0)
    with sessions.begin() as s:
        assert versions.mark_withdrawn(s, URL, status=410, at=T0 + timedelta(days=3))
        assert not versions.mark_withdrawn(s, URL + "?x", status=404, at=T0)
    with sessions() as s:
        a = s.scalars(select(Article)).one()
        assert a.withdrawn_at == T0 + timedelta(days=3) and a.withdrawn_status == 410
    with sessions.begin() as s:
        store.upsert_articles(s, [record("Nội dung bài báo.")], now=T0 + timedelta(days=4))
    with sessions() as s:
        a = s.scalars(select(Article)).one()
        assert a.withdrawn_at is None and a.withdrawn_status is None


def test_home_redirect_detection() -> None:
    assert versions.is_home_redirect("http://x.vn/", "http://x.vn/chinh-tri/a-123.html")
    assert not versions.is_home_redirect("http://x.vn/chinh-tri/b-124.html", "http://x.vn/chinh-tri/a-123.html")
    assert not versions.is_home_redirect("http://x.vn/", "http://x.vn/")


def test_word_diff_of_vietnamese_text() -> None:
    assert versions.diff_words("có 13 tập thể", "có 14 tập thể") == "có [-13-]{+14+} tập thể"
    assert versions.diff_words("a\nb", "a\nb") == ""
    assert versions.diff_words("Một.\nHai.", "Một.\nHai.\nBa.") == "{+Ba.+}"


# -- end to end ------------------------------------------------------------------------------
def _crawl(site: ServedSite, archive: Path) -> None:
    # With incremental crawling, known articles are re-fetched only with --refresh (issue 6).
    result = run_cli("crawl", "demo", "--origin", site.base_url, "--delay", "0.01", "--workers", "0",
                     "--refresh", archive=archive)
    assert result.returncode == 0, result.stdout + result.stderr


def _query(archive: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(archive / "baotinh.sqlite")
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


@pytest.mark.slow
def test_change_on_the_server_makes_two_versions_and_no_change_a_revisit(demo_server: ServedSite,
                                                                        archive: Path) -> None:
    toml = next(demo_server.articles_dir.glob("105123-*.toml"))
    _crawl(demo_server, archive)
    [(article_id, url)] = _query(archive,
                                 "select id, canonical_url from articles where canonical_url like '%-105123.html'")

    source = toml.read_text(encoding="utf-8")
    assert "khen thưởng 13 tập thể" in source
    toml.write_text(source.replace("khen thưởng 13 tập thể", "khen thưởng 15 tập thể"), encoding="utf-8")
    _crawl(demo_server, archive)
    assert _query(archive, "select version from articles where id = ?", article_id) == [(2,)]
    assert _query(archive, "select version, changed_fields from article_versions where article_id = ?", article_id) == [
        (1, '["text"]')
    ]
    shown = run_cli("history", str(url), archive=archive)
    assert shown.returncode == 0, shown.stderr
    assert "version 1:" in shown.stdout and "version 2:" in shown.stdout
    assert "[-13-]{+15+}" in shown.stdout
    by_id = run_cli("history", str(article_id), "--json", archive=archive)
    assert [v["version"] for v in by_id.json()["versions"]] == [1, 2]  # type: ignore[index]

    runs_before = _query(archive, "select max(id) from crawl_runs")[0][0]
    _crawl(demo_server, archive)
    assert _query(archive, "select count(*) from article_versions where article_id = ?", article_id) == [(1,)]
    revisits = _query(archive, "select uri from captures where rec_type = 'revisit' and crawl_run_id > ?", runs_before)
    assert any(str(u).endswith("-105123.html") for (u,) in revisits)
