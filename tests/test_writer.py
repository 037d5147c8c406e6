"""The crawl's archive writer: batches written in order, one transaction each, in a process of its own."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from pipeline.archive import db, store
from pipeline.archive.models import Article, FrontierEntry, LedgerCount
from pipeline.crawling import ledger
from pipeline.crawling.frontier import FetchOutcome
from pipeline.crawling.writer import ArchiveWriter, WriteBatch
from pipeline.record import ArticleRecord, StoreItem
from pipeline.registry.load import load_registry
from pipeline.text.simhash import simhash_text

from .conftest import MigratedSqlite

STORY = ("Sáng 6/8, tại huyện Kim Thành, tỉnh Hải Dương, Ban Tuyên giáo Huyện ủy tổ chức hội nghị "
         "sơ kết 3 năm thực hiện Chỉ thị 05 về đẩy mạnh học tập và làm theo tư tưởng, đạo đức, "
         "phong cách Hồ Chí Minh. Từ năm 2016 đến nay, các cấp ủy đảng đã quan tâm lãnh đạo.")


def _record(n: int) -> ArticleRecord:
    url = f"http://demo.baotinh.test/xa-hoi/bai-{n}-1000{n}.html"
    body = f"{STORY} Bài số {n}."
    return ArticleRecord(url=url, canonical_url=url, site="demo", title=f"Bài số {n}", text=body,
                         word_count=len(body.split()), content_sha256=f"{n:064d}",
                         fetched_at=datetime.now(UTC))


def _outcome(record: ArticleRecord) -> FetchOutcome:
    return FetchOutcome(site_id="demo", url=record.url, discovered_via="listing",
                        fetched_at=datetime.now(UTC), status=200, outcome="archived",
                        canonical_url=record.canonical_url)


@pytest.fixture
def archive_url(tmp_path: Path, migrated_sqlite: MigratedSqlite) -> Iterator[str]:
    """A new SQLite archive that knows the demo site."""
    url = migrated_sqlite(tmp_path / "baotinh.sqlite")
    engine = db.make_engine(url)
    with db.make_sessionmaker(engine).begin() as s:
        store.sync_source(s, load_registry().get("demo"))
    engine.dispose()
    yield url


@pytest.mark.parametrize("process", [True, False], ids=["process", "thread"])
def test_batches_land_in_order_with_frontier_ledger_and_the_workers_fold(archive_url: str, process: bool) -> None:
    url = archive_url
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    with sessions.begin() as s:
        run_id = store.start_run(s, "demo")
    first = [_record(i) for i in range(3)]
    # what an extraction worker hands over: the hash, and the text's fold (here a marker word,
    # which can only reach the search index if the writer used it instead of folding again)
    items = [StoreItem(record=r) for r in first]
    items[0] = StoreItem(record=first[0], simhash=simhash_text(first[0].text), simhash_known=True,
                         folded_text="tuquaxuong")
    key = ledger.LedgerKey("demo", "xa-hoi", "discovered", "listing")
    with ArchiveWriter(url, process=process) as writer:
        one = writer.submit(WriteBatch(items=items, outcomes=[_outcome(r) for r in first],
                                       ledger_counts={key: 3}, run_id=run_id))
        # the same URL again in a later batch: unchanged, because batches are applied in order
        two = writer.submit(WriteBatch(items=[StoreItem(record=_record(0)), StoreItem(record=_record(3))],
                                       outcomes=[_outcome(_record(3))], run_id=run_id))
        assert one.result().counts == store.UpsertCounts(new=3)
        assert two.result().counts == store.UpsertCounts(new=1, unchanged=1)
        assert one.result().cpu_seconds > 0
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 4
        assert s.scalar(select(func.count()).select_from(FrontierEntry)) == 4
        assert s.scalar(select(LedgerCount.count).where(LedgerCount.metric == "discovered")) == 3
        marker = s.execute(text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'tuquaxuong'")).all()
        assert len(marker) == 1
        stored_hash = s.scalar(select(Article.simhash).where(Article.canonical_url == first[0].canonical_url))
        assert stored_hash is not None
    engine.dispose()


def test_a_failing_batch_raises_and_leaves_nothing_half_written(archive_url: str) -> None:
    url = archive_url
    with ArchiveWriter(url, process=True) as writer:
        # run 999 does not exist: the ledger's foreign key fails after the records were upserted
        future = writer.submit(WriteBatch(items=[StoreItem(record=_record(1))], ledger_counts={
            ledger.LedgerKey("demo", "xa-hoi", "discovered", "listing"): 1}, run_id=999))
        with pytest.raises(Exception, match="(?i)foreign key"):
            future.result()
        assert writer.submit(WriteBatch(items=[StoreItem(record=_record(2))])).result().counts.new == 1
    engine = db.make_engine(url)
    with db.make_sessionmaker(engine)() as s:
        urls = set(s.scalars(select(Article.canonical_url)))
    assert urls == {_record(2).canonical_url}  # the failed batch rolled back as a whole
    engine.dispose()


def test_extraction_workers_import_neither_sqlalchemy_nor_warcio() -> None:
    """A worker imports the record types (StoreItem, CaptureRef) but not the archive's SQL or WARC
    layers, which would cost each worker about a second to start."""
    code = ("import sys, pipeline.crawling.workers, pipeline.record, pipeline.extract.core, pipeline.text.simhash; "
            "print(sorted(m for m in ('sqlalchemy', 'warcio') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
