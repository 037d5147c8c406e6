"""PostgreSQL writes the search vector from the Python fold (issue 15, item 1).

The vector the store writes must be byte-identical to revision 0004's generated column (the SQL
fold); edits by others are re-folded by the trigger; revision 0007 keeps existing rows' vectors.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from pipeline.archive import db, store
from pipeline.archive.search_index import folded_fields
from pipeline.archive.tsvector import tsvector_literal
from pipeline.record import ArticleRecord
from pipeline.registry.load import load_registry
from pipeline.search import rebuild_index

# Revision 0004's vector: what the generated column computed from the raw fields.
SQL_VECTOR = ("setweight(to_tsvector('simple', baotinh_words(title)), 'A') || "
              "setweight(to_tsvector('simple', baotinh_words(description)), 'B') || "
              "setweight(to_tsvector('simple', baotinh_words(text)), 'C') || "
              "setweight(to_tsvector('simple', baotinh_words(author)), 'D')")
INSERT_RAW = text(
    "INSERT INTO articles(canonical_url, url, site, title, text, tags, captions, images, flags, word_count, "
    "content_sha256, first_seen_at, last_seen_at, version) VALUES (:url, :url, 'demo', :title, :text, '[]', "
    "'[]', '[]', '[]', 1, '', now(), now(), 1)")
MISMATCHES = f"SELECT id FROM articles WHERE search_vector IS DISTINCT FROM ({SQL_VECTOR}) ORDER BY id"

TEXTS = (
    ("Huyện ủy Kim Thành tổng kết năm 2019", "Sáng 6/8, Đảng bộ huyện Kim Thành…",
     "ĐẠI HỘI Đảng bộ tỉnh Hải Dương lần thứ XVII (nhiệm kỳ 2020-2025) diễn ra tại TP. Hải Dương.\n"
     "Vải thiều Thanh Hà: 1.500 tấn, giá 25.000đ/kg; e-mail: toa.soan@baohaiduong.vn", "Nguyễn Văn Ân"),
    ("Thanh Hoá, Thanh Hóa và Hoà Bình", None, "Chữ\u00a0cách\u2009lạ, zero\u200bwidth, joiner\u200d "
     "ﬁ ligature, ½ và ² số, İstanbul, ÆØÅ, straße, ΑΒΓ, Кириллица, 中文 字, 1e10 abc123 a_b", None),
    ("Thanh Hoá", None, "Chữ\u00a0cách\u2009lạ, zero\u200bwidth, joiner\u200d “ngoặc” – ‘đơn’ … İstanbul, ÆØÅ, "
     "straße, ΑΒΓ, Кириллица, 中文 字, 1e10 abc123 a_b", "Ông Ǆ"),
    ("", "", "và " * 300 + "kết thúc", "PV"),  # a lexeme past 255 positions: the server folds it
    ("Từ dài", None, "đầu " + "x" * 2100 + " cuối", None),  # a token over 2,047 bytes is skipped
    ("Đồng Nai", "dong nai", "Đồng Nai — ĐỒNG NAI; đồng nai… (Đồng-Nai)", "Theo TTXVN"),
)


def record(i: int, title: str | None, description: str | None, body: str, author: str | None) -> ArticleRecord:
    url = f"http://demo.baotinh.test/bai-{i}.html"
    return ArticleRecord(url=url, canonical_url=url, site="demo", title=title, description=description,
                         author=author, text=body, word_count=len(body.split()), content_sha256=f"{i:064d}",
                         fetched_at=datetime(2026, 11, 1, tzinfo=UTC), language="vi")


def store_texts(engine: Engine, texts: tuple[tuple[str | None, str | None, str, str | None], ...]) -> None:
    sessions = db.make_sessionmaker(engine)
    with sessions.begin() as s:
        store.sync_source(s, load_registry().get("demo"))
        store.upsert_articles(s, [record(i, *t) for i, t in enumerate(texts)])


@pytest.fixture
def pg_engine(pg_migrated_url: str) -> Engine:
    engine = db.make_engine(pg_migrated_url)
    yield engine  # type: ignore[misc]
    engine.dispose()


def test_literal_equals_sql_vector(pg_engine: Engine) -> None:
    """The Python vector, parsed by the server, equals the SQL fold's, byte for byte."""
    with pg_engine.connect() as conn:
        for title, description, body, author in TEXTS:
            literal = tsvector_literal(folded_fields(title, description, body, author))
            expected = conn.execute(text(f"SELECT {SQL_VECTOR} FROM (SELECT :title AS title, :description AS "
                                         "description, :text AS text, :author AS author) AS a"),
                                    {"title": title, "description": description, "text": body,
                                     "author": author}).scalar_one()
            if literal is None:  # past the limits of the text form, or odd characters: the server folds
                assert body.count("và") >= 255 or "½" in body
                continue
            got = conn.execute(text("SELECT CAST(:v AS tsvector)::text"), {"v": literal}).scalar_one()
            assert got == expected


def test_store_insert_update_and_trigger(pg_engine: Engine) -> None:
    store_texts(pg_engine, TEXTS)
    with pg_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM articles WHERE search_vector IS NULL")).scalar() == 0
        assert conn.execute(text(MISMATCHES)).all() == []
    # A changed text through the store: the vector follows.
    store_texts(pg_engine, (("Tiêu đề mới", "Sapo mới", "Nội dung đã sửa: Côn Sơn – Kiếp Bạc", "BTV"),))
    # An edit by another program: the trigger folds it in SQL.
    with pg_engine.begin() as conn:
        conn.execute(text("UPDATE articles SET text = 'Sửa tay: Chí Linh' WHERE id = (SELECT max(id) FROM articles)"))
        conn.execute(INSERT_RAW, {"url": "u", "title": "Bài chèn tay", "text": "Văn bản Kinh Môn"})
    with pg_engine.connect() as conn:
        assert conn.execute(text(MISMATCHES)).all() == []
        hits = conn.execute(text("SELECT count(*) FROM articles WHERE search_vector @@ to_tsquery('simple', "
                                 "'con & son & kiep & bac')")).scalar()
        assert hits == 1


def test_rebuild_index_rewrites_every_vector(pg_engine: Engine) -> None:
    store_texts(pg_engine, TEXTS)
    with pg_engine.begin() as conn:
        conn.execute(text("UPDATE articles SET search_vector = NULL"))
    with db.make_sessionmaker(pg_engine).begin() as s:
        rebuild_index(s)
    with pg_engine.connect() as conn:
        assert conn.execute(text(MISMATCHES)).all() == []


def test_0007_keeps_existing_vectors(pg_url: str) -> None:
    """Rows written under the generated column keep their vectors; the downgrade restores it."""
    engine = db.make_engine(pg_url)
    try:
        db.upgrade(engine, "0006")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO sources(id, name, domain, created_at, updated_at) "
                              "VALUES ('demo', 'Demo', 'demo.vn', now(), now())"))
            conn.execute(INSERT_RAW, [{"url": f"u{i}", "title": t[0], "text": t[2]} for i, t in enumerate(TEXTS)])
        with engine.connect() as conn:
            before = conn.execute(text("SELECT id, search_vector::text FROM articles ORDER BY id")).all()
        db.upgrade(engine, "0007")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id, search_vector::text FROM articles ORDER BY id")).all() == before
            generated = conn.execute(text("SELECT is_generated FROM information_schema.columns WHERE "
                                          "table_name = 'articles' AND column_name = 'search_vector'")).scalar()
            assert generated == "NEVER"
        from alembic import command

        command.downgrade(db._alembic_config(engine), "0006")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id, search_vector::text FROM articles ORDER BY id")).all() == before
    finally:
        engine.dispose()


def test_pipelined_parts_write_every_row_its_vector_and_hash(pg_engine: Engine) -> None:
    """A batch larger than one pipeline part (10 rows): each new row carries its vector, its
    SimHash computed from the store's fold (bare records) and its bands; a URL already archived
    in the middle of the batch is left to its row, as before."""
    from benchmarks.bench_store import make_records
    from pipeline.archive.search_index import PIPELINE_PART
    from pipeline.text.simhash import band_keys, simhash_text, to_signed

    records = make_records(2 * PIPELINE_PART + 5)
    sessions = db.make_sessionmaker(pg_engine)
    with sessions.begin() as s:
        store.sync_source(s, load_registry().get("demo"))
        store.upsert_articles(s, records[12:13])
    with sessions.begin() as s:
        counts = store.upsert_articles(s, records)
    assert (counts.new, counts.unchanged) == (len(records) - 1, 1)
    with pg_engine.connect() as conn:
        assert conn.execute(text(MISMATCHES)).all() == []
        stored = dict(conn.execute(text("SELECT canonical_url, simhash FROM articles")).all())
        bands = conn.execute(text("SELECT a.canonical_url, b.band, b.key, b.simhash = a.simhash FROM simhash_bands "
                                  "AS b JOIN articles AS a ON a.id = b.article_id")).all()
    expected = {r.canonical_url: simhash_text(r.text) for r in records}
    assert stored == {url: None if v is None else to_signed(v) for url, v in expected.items()}
    # The server's keys (shifts of the signed BIGINT) are Python's.
    assert sorted(bands) == sorted((url, band, key, True) for url, v in expected.items() if v is not None
                                   for band, key in band_keys(v))
    assert any(v is not None and v >= 1 << 63 for v in expected.values())  # negative BIGINTs among them


def test_pipeline_parts_cover_the_batch_and_end_with_single_rows() -> None:
    """Parts are contiguous, at most PIPELINE_PART rows, and shrink to single rows at the end."""
    from pipeline.archive.search_index import PIPELINE_PART, pipeline_parts

    assert [end - start for start, end in pipeline_parts(50)] == [10, 10, 10, 10, 5, 2, 1, 1, 1]
    for count in (0, 1, 2, 7, 25, 501):
        parts = list(pipeline_parts(count))
        assert [start for start, _ in parts] == [0, *(end for _, end in parts[:-1])][:len(parts)]
        assert (parts[-1][1] if parts else 0) == count
        assert all(1 <= end - start <= PIPELINE_PART for start, end in parts)
        assert parts[-1:] in ([], [(count - 1, count)])


@pytest.mark.parametrize("changed", [False, True], ids=["same", "changed"])
def test_two_writers_storing_the_same_new_url(pg_engine: Engine, changed: bool) -> None:
    """Two writers insert the same new URL in overlapping transactions: the second one's INSERT
    waits for the first and is skipped; it must then treat the row as the archived article (no
    second set of bands; counted unchanged, or updated when its text differs), not as one it stored."""
    import dataclasses
    import threading

    from benchmarks.bench_store import make_records

    record, other = make_records(2)
    later = dataclasses.replace(record, text=other.text, content_sha256=other.content_sha256) if changed else record
    sessions = db.make_sessionmaker(pg_engine)
    with sessions.begin() as s:
        store.sync_source(s, load_registry().get("demo"))
    first_inserted = threading.Barrier(2, timeout=30)
    results: dict[str, store.UpsertCounts | BaseException] = {}

    def first() -> None:
        try:
            with sessions.begin() as s:
                results["first"] = store.upsert_articles(s, [record])
                first_inserted.wait()
                # Commit only once the second writer's INSERT waits for this transaction.
                with pg_engine.connect() as watch:
                    for _ in range(1000):
                        # A transaction keeps its first view of pg_stat_activity: a fresh one each look.
                        watch.execute(text("SELECT pg_stat_clear_snapshot()"))
                        if watch.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                              "current_database() AND wait_event_type = 'Lock'")).scalar():
                            break
                        watch.execute(text("SELECT pg_sleep(0.01)"))
                    else:
                        raise AssertionError("the second writer never waited for the first")
        except BaseException as exc:  # reported by the main thread
            results["first"] = exc
            first_inserted.abort()

    def second() -> None:
        try:
            first_inserted.wait()
            with sessions.begin() as s:
                results["second"] = store.upsert_articles(s, [later])
        except BaseException as exc:
            results["second"] = exc

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    second = store.UpsertCounts(updated=1) if changed else store.UpsertCounts(unchanged=1)
    assert results == {"first": store.UpsertCounts(new=1), "second": second}
    with pg_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*), count(DISTINCT article_id) FROM simhash_bands")).one() == (6, 1)
        assert conn.execute(text("SELECT count(*), max(version) FROM articles")).one() == (1, 1 + changed)
        assert conn.execute(text("SELECT count(*) FROM articles a JOIN simhash_bands b ON b.article_id = a.id "
                                 "AND b.simhash = a.simhash")).scalar() == 6
        assert conn.execute(text(MISMATCHES)).all() == []
