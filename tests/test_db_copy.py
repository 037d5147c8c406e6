"""``baotinh db copy``: SQLite → PostgreSQL → SQLite gives the same archive and the same hits (issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text, update

from pipeline.archive import db, store
from pipeline.archive.models import Article, Capture, FrontierEntry, LedgerCount, RunLock
from pipeline.archive.transfer import copy_archive
from pipeline.record import ArticleRecord
from pipeline.registry.load import load_registry
from pipeline.search import SearchQuery, search
from tests.conftest import MigratedSqlite
from tests.search_corpus.corpus import load_corpus

QUERIES = ("kim thanh", "Hải Dương", '"nông thôn"', "dong nai OR binh duong", "và -covid")
T0 = datetime(2026, 11, 2, 8, 30, 15, 123456, tzinfo=UTC)


def fill_archive(engine: Engine) -> None:
    """The search corpus, plus a run with its ledger, a changed article, captures, frontier, a lock."""
    sessions = db.make_sessionmaker(engine)
    with sessions.begin() as s:
        load_corpus(s)
        store.sync_source(s, load_registry().get("demo"))
        run_id = store.start_run(s, "demo", args={"max_pages": 5}, now=T0)
        url = "http://demo.baotinh.test/bai-doi.html"
        first = ArticleRecord(url=url, canonical_url=url, site="demo", title="Bản đầu", text="Nội dung đầu tiên.",
                              word_count=4, content_sha256="a" * 64, fetched_at=T0, language="vi")
        store.upsert_articles(s, [first], run_id=run_id, now=T0)
        changed = ArticleRecord(url=url, canonical_url=url, site="demo", title="Bản sửa", text="Nội dung đã sửa.",
                                word_count=4, content_sha256="b" * 64, fetched_at=T0, language="vi")
        store.upsert_articles(s, [changed], run_id=run_id, now=T0 + timedelta(hours=1))
        s.add(LedgerCount(run_id=run_id, site_id="demo", section="thoi-su", metric="fetched", count=7))
        s.add(Capture(record_id="<urn:uuid:1>", uri=url, date=T0, warc="captures/a.warc.gz", offset=0, length=99,
                      payload_digest="sha1:X", payload_sha256="c" * 64, status=200, rec_type="response"))
        s.add(FrontierEntry(site_id="demo", url_key="/bai-doi.html", url=url, discovered_via="sitemap",
                            first_seen_at=T0, next_due_at=T0 + timedelta(days=1), fetch_count=2))
        s.add(RunLock(name="site:demo", pid=1, hostname="máy-1", acquired_at=T0, heartbeat_at=T0))
        store.finish_run(s, run_id, status="ok", counts=store.RunCounts(pages_fetched=2, articles_new=1))
        # A forward reference: an older article marked a copy of a newer one.
        ids = s.scalars(select(Article.id).order_by(Article.id).limit(2)).all()
        s.execute(update(Article).where(Article.id == ids[0]).values(duplicate_of=ids[1]))


def hits(url: str, sort: str = "relevance") -> list[list[int]]:
    """The hits of ``QUERIES``; relevance orders differ between backends (BM25, ts_rank_cd), dates do not."""
    engine = db.make_engine(url)
    try:
        with db.make_sessionmaker(engine)() as s:
            return [[h.id for h in search(s, SearchQuery(text=q, limit=50, sort=sort)).hits] for q in QUERIES]
    finally:
        engine.dispose()


@pytest.fixture
def original(tmp_path: Path, migrated_sqlite: MigratedSqlite) -> str:
    return migrated_sqlite(tmp_path / "a" / "baotinh.sqlite", fill=fill_archive)


def test_round_trip_sqlite_postgresql_sqlite(original: str, pg_migrated_url: str, tmp_path: Path,
                                             migrated_sqlite: MigratedSqlite) -> None:
    back = migrated_sqlite(tmp_path / "b" / "baotinh.sqlite")
    there = copy_archive(original, pg_migrated_url, batch=60)  # several batches a table
    assert there.equal, [t for t in there.tables if not t.equal]
    assert there.copied > 100
    again = copy_archive(pg_migrated_url, back, batch=60)
    assert again.equal
    # Every table of the copy of the copy equals the original's, rows and digest.
    original_tables = {t.table: (t.source_rows, t.source_digest) for t in there.tables}
    assert {t.table: (t.target_rows, t.target_digest) for t in again.tables} == original_tables
    assert original_tables["articles"][0] > 30 and original_tables["article_versions"][0] == 1
    assert original_tables["crawl_ledger"][0] == original_tables["captures"][0] == 1
    assert any(hits(original)) and hits(back) == hits(original)
    assert hits(pg_migrated_url, "newest") == hits(original, "newest")
    # Sequences moved on: a new article goes in after the copied ones.
    engine = db.make_engine(pg_migrated_url)
    try:
        with db.make_sessionmaker(engine).begin() as s:
            store.sync_source(s, load_registry().get("demo"))
            url = "http://demo.baotinh.test/moi.html"
            new = ArticleRecord(url=url, canonical_url=url, site="demo", title="Mới", text="Bài mới",
                                word_count=2, content_sha256="d" * 64, fetched_at=T0)
            assert store.upsert_articles(s, [new]).new == 1
            store.start_run(s, "demo")
    finally:
        engine.dispose()


def test_interrupted_copy_continues(original: str, pg_migrated_url: str) -> None:
    """A copy stopped half-way (simulated by deleting the tail) is finished by the next run."""
    first = copy_archive(original, pg_migrated_url, batch=40)
    assert first.equal
    engine = db.make_engine(pg_migrated_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM simhash_bands WHERE article_id > 10"))
            conn.execute(text("DELETE FROM article_versions"))
            conn.execute(text("UPDATE articles SET duplicate_of = NULL WHERE id > 20"))
            conn.execute(text("DELETE FROM articles WHERE id > 20"))
    finally:
        engine.dispose()
    second = copy_archive(original, pg_migrated_url, batch=40)
    assert second.equal
    copied = {t.table: t.copied for t in second.tables}
    assert copied["sources"] == 0 and copied["articles"] > 0 and copied["simhash_bands"] > 0


def invoke(*args: str) -> tuple[int, str, str]:
    """The CLI in this process (a subprocess costs seconds of start-up on a busy machine)."""
    from click.testing import CliRunner

    from pipeline.cli.main import cli

    result = CliRunner(env={"BAOTINH_DB": None}).invoke(cli, list(args), prog_name="baotinh")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_cli_prints_counts_and_digests(original: str, tmp_path: Path, migrated_sqlite: MigratedSqlite) -> None:
    target = migrated_sqlite(tmp_path / "c" / "baotinh.sqlite")
    code, out, err = invoke("db", "copy", "--from", original, "--to", target)
    assert code == 0, err
    assert "articles" in out and "sha256" in out and "every table verified" in out
    code, out, err = invoke("db", "copy", "--from", f"sqlite:///{tmp_path / 'none.sqlite'}", "--to", target)
    assert code == 66 and err.startswith("error:") and "Traceback" not in err


def test_every_table_of_an_archive_is_copied(tmp_path: Path, migrated_sqlite: MigratedSqlite) -> None:
    """A table a migration adds (import provenance, crawl jobs …) is copied, not silently left out."""
    from sqlalchemy import inspect

    from pipeline.archive.transfer import _tables

    engine = db.make_engine(migrated_sqlite(tmp_path / "a.sqlite"))
    try:
        present = set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()
    copied = {t.name for t in _tables()}
    # the SQLite full-text index is rebuilt on the way, not copied
    assert {t for t in present - copied if not t.startswith("articles_fts")} == set()
