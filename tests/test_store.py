"""The archive's schema and upserts, the same behaviour on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, func, insert, inspect, select, text

from pipeline.archive import db, store
from pipeline.archive.models import Article, CrawlRun
from pipeline.record import ArticleRecord, Image, StoreItem
from pipeline.registry.load import load_registry
from pipeline.search.engine import SearchQuery, search
from pipeline.text.dates import VN_TZ

# `engine` (SQLite and PostgreSQL, migrated) comes from conftest.py


def _record(n: int, **changes: object) -> ArticleRecord:
    base = ArticleRecord(
        url=f"http://127.0.0.1:9/xa-hoi/bai-{n}-1000{n}.html",
        canonical_url=f"http://demo.baotinh.test/xa-hoi/bai-{n}-1000{n}.html",
        site="demo", title=f"Bài số {n}", description="Sapo", author="HV",
        published_at=datetime(2019, 8, 6, 19, 5, 1, tzinfo=VN_TZ), section="Xã hội",
        tags=("Kim Thành",), language="vi", text=f"Nội dung bài {n}.", captions=("Ảnh",),
        images=(Image(url="http://demo.baotinh.test/a.jpg", caption="Ảnh"),),
        word_count=4, content_sha256="0" * 64, fetched_at=datetime.now(UTC),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_upgrade_creates_schema(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {"sources", "articles", "crawl_runs", "alembic_version"} <= tables
    assert db.current_revision(engine) == db.head_revision()
    db.upgrade(engine)  # idempotent


def test_upsert_is_keyed_on_canonical_url(engine: Engine) -> None:
    sessions = db.make_sessionmaker(engine)
    site = load_registry().get("demo")
    with sessions.begin() as s:
        store.sync_source(s, site)
        run = store.start_run(s, "demo")
        counts = store.upsert_articles(s, [_record(1), _record(2), _record(2)], run_id=run)
    assert counts == store.UpsertCounts(new=2)
    with sessions.begin() as s:
        counts = store.upsert_articles(s, [_record(1), _record(2, title="Bài số 2 (sửa)")])
    assert counts == store.UpsertCounts(updated=1, unchanged=1)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 2
        a = store.get_article(s, "http://demo.baotinh.test/xa-hoi/bai-2-10002.html")
        assert a is not None and a.title == "Bài số 2 (sửa)"
        # Aware datetimes come back with Vietnam's offset on both backends.
        assert a.published_at is not None
        assert a.published_at.isoformat() == "2019-08-06T19:05:01+07:00"
        rec = store.article_to_record(a)
        assert rec.images[0].caption == "Ảnh" and rec.tags == ("Kim Thành",)


def test_runs_and_stats(engine: Engine) -> None:
    sessions = db.make_sessionmaker(engine)
    with sessions.begin() as s:
        store.sync_source(s, load_registry().get("demo"))
        run = store.start_run(s, "demo", args={"max_pages": 3})
        store.upsert_articles(s, [_record(1), _record(3, published_at=datetime(2024, 1, 2, tzinfo=VN_TZ))], run_id=run)
        store.finish_run(s, run, status="ok", counts=store.RunCounts(pages_fetched=2, articles_new=2))
    with sessions() as s:
        r = s.get(CrawlRun, run)
        assert r is not None and r.status == "ok" and r.finished_at is not None
        assert r.finished_at - r.started_at < timedelta(minutes=1)
        (row,) = store.site_stats(s)
        assert row.site == "demo" and row.articles == 2 and row.last_run_status == "ok"
        assert row.first_published is not None and row.first_published.year == 2019
        assert row.last_published is not None and row.last_published.year == 2024


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    sessions = db.make_sessionmaker(engine)
    with pytest.raises(Exception, match="naive datetime"), sessions.begin() as s:
        store.sync_source(s, load_registry().get("demo"))
        store.upsert_articles(s, [_record(9, published_at=datetime(2020, 1, 1))])


# -- the search rows: the store writes those of the articles it inserts -------------------------
def _found(engine: Engine, words: str) -> list[str]:
    with db.make_sessionmaker(engine)() as s:
        return sorted(h.canonical_url for h in search(s, SearchQuery(text=words)).hits)


def test_inserted_and_changed_articles_are_searchable(engine: Engine) -> None:
    sessions = db.make_sessionmaker(engine)
    folded = StoreItem(record=_record(2, text="Đồng Nai mùa lũ."), simhash=None, simhash_known=True,
                       folded_text="dong nai mua lu.")
    with sessions.begin() as s:
        store.sync_source(s, load_registry().get("demo"))
        store.upsert_articles(s, [_record(1, title="Huyện Kim Thành"), folded])
    assert _found(engine, "kim thanh") == [_record(1).canonical_url]
    assert _found(engine, "dong nai") == [_record(2).canonical_url]
    with sessions.begin() as s:
        assert store.upsert_articles(s, [_record(1, title="Vịnh Hạ Long")]) == store.UpsertCounts(updated=1)
    assert _found(engine, "kim thanh") == [] and _found(engine, "ha long") == [_record(1).canonical_url]


def test_a_row_another_writer_inserted_is_not_indexed_twice(tmp_path: Path) -> None:
    eng = db.make_engine(f"sqlite:///{tmp_path / 'baotinh.sqlite'}")
    db.upgrade(eng)
    sessions = db.make_sessionmaker(eng)
    with sessions.begin() as s:
        store.sync_source(s, load_registry().get("demo"))
        store.upsert_articles(s, [_record(1)])
    with sessions.begin() as s:  # as if inserted between this writer's lookup and its insert
        row = {"canonical_url": _record(1).canonical_url, "url": "u", "site": "demo", "text": "x",
               "word_count": 1, "content_sha256": "", "first_seen_at": datetime.now(UTC),
               "last_seen_at": datetime.now(UTC)}
        assert store._insert_ignoring_conflicts(s, [row]) == {}
        assert s.scalar(text("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'noi'")) == 1
    eng.dispose()


def test_an_archive_made_before_0006_upgrades_and_stays_searchable(request: pytest.FixtureRequest,
                                                                  tmp_path: Path) -> None:
    for url in (f"sqlite:///{tmp_path / 'baotinh.sqlite'}", request.getfixturevalue("pg_url")):
        eng = db.make_engine(url)
        command.upgrade(db._alembic_config(eng), "0005")
        now = datetime.now(UTC)
        with eng.begin() as conn:  # an article written by the previous code (indexed by its trigger)
            conn.execute(insert(Article), [{
                "canonical_url": "http://demo.baotinh.test/cu.html", "url": "http://demo.baotinh.test/cu.html",
                "site": None, "title": "Thành phố Hải Dương", "text": "Bài viết cũ.", "word_count": 3,
                "content_sha256": "", "first_seen_at": now, "last_seen_at": now}])
        db.upgrade(eng)
        assert db.current_revision(eng) == db.head_revision()
        with db.make_sessionmaker(eng).begin() as s:
            store.sync_source(s, load_registry().get("demo"))
            store.upsert_articles(s, [_record(1, title="Hải Dương mới")])
        assert _found(eng, "hai duong") == sorted(["http://demo.baotinh.test/cu.html", _record(1).canonical_url])
        if eng.dialect.name == "sqlite":
            with eng.connect() as conn:
                triggers = set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
            assert triggers == {"articles_fts_ad", "articles_fts_au"}
        eng.dispose()


def test_a_store_item_of_a_record_carries_nothing_else() -> None:
    item = StoreItem.of(_record(1))
    assert item.capture is None and not item.simhash_known and item.folded_text is None
    assert StoreItem.of(item) is item
