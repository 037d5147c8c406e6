"""Fixity: verify finds missing, truncated and corrupted captures and names their articles."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pipeline.archive import db, store
from pipeline.archive.captures import CaptureArchiver, WarcInfo
from pipeline.archive.fixity import check_record, verify_archive
from pipeline.record import ArticleRecord, CaptureRef, StoreItem
from pipeline.registry.load import load_registry

from .conftest import MigratedSqlite
from .test_captures import exchange, page


@pytest.fixture
def archive_db(tmp_path: Path, migrated_sqlite: MigratedSqlite) -> Iterator[tuple[Path, Engine, list[CaptureRef]]]:
    """An archive of three articles, each pointing at its own WARC record."""
    eng = db.make_engine(migrated_sqlite(tmp_path / "baotinh.sqlite"))
    sessions = db.make_sessionmaker(eng)
    archiver = CaptureArchiver(tmp_path, sessions, info=WarcInfo(site="demo"))
    refs = [archiver.capture(exchange(f"http://demo.baotinh.test/xa-hoi/bai-{n}-1000{n}.html", page(n)))
            for n in range(3)]
    archiver.close()
    with sessions.begin() as s:
        store.sync_source(s, load_registry().get("demo"))
        store.upsert_articles(s, [StoreItem(record=ArticleRecord(
            url=r.uri, canonical_url=r.uri, site="demo", title=f"Bài {n}", text=f"Nội dung bài {n}.",
            content_sha256="0" * 64, fetched_at=datetime.now(UTC)), capture=r) for n, r in enumerate(refs)])
    yield tmp_path, eng, refs
    eng.dispose()


def _verify(archive: Path, eng: Engine) -> list[tuple[str, tuple[str, ...]]]:
    with db.make_sessionmaker(eng)() as s:
        report = verify_archive(s, archive)
    return [(p.kind, tuple(url for _id, url in p.articles)) for p in report.problems]


def test_intact_archive_has_no_problems(archive_db: tuple[Path, Engine, list[CaptureRef]]) -> None:
    archive, eng, refs = archive_db
    with db.make_sessionmaker(eng)() as s:
        report = verify_archive(s, archive)
    assert report.ok and report.records == 3 and report.files == 1


def test_flipped_byte_names_the_article(archive_db: tuple[Path, Engine, list[CaptureRef]]) -> None:
    archive, eng, refs = archive_db
    path = archive / refs[1].warc
    data = bytearray(path.read_bytes())
    data[refs[1].offset + refs[1].length // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert _verify(archive, eng) == [("corrupt", (refs[1].uri,))]


def test_missing_file_names_every_article(archive_db: tuple[Path, Engine, list[CaptureRef]]) -> None:
    archive, eng, refs = archive_db
    (archive / refs[0].warc).unlink()
    problems = _verify(archive, eng)
    assert {p[0] for p in problems} == {"missing"}
    assert sorted(u for _k, urls in problems for u in urls) == sorted(r.uri for r in refs)


def test_truncated_file_names_the_lost_tail(archive_db: tuple[Path, Engine, list[CaptureRef]]) -> None:
    archive, eng, refs = archive_db
    path = archive / refs[2].warc
    with open(path, "r+b") as fh:
        fh.truncate(refs[2].offset + 10)
    assert _verify(archive, eng) == [("missing", (refs[2].uri,))]


def test_recomputed_payload_must_match_the_database(tmp_path: Path) -> None:
    from pipeline.archive.captures import WarcFileWriter

    writer = WarcFileWriter(tmp_path)
    ref = writer.write_exchange(exchange("http://demo.baotinh.test/a.html", page(1)))
    writer.close()
    ok = check_record(tmp_path, ref.warc, ref.offset, ref.length, record_id=ref.record_id, digest=ref.digest)
    assert ok.problem is None
    wrong = check_record(tmp_path, ref.warc, ref.offset, ref.length, record_id=ref.record_id, digest="sha1:AAAA")
    assert wrong.kind == "mismatch"
    other = check_record(tmp_path, ref.warc, ref.offset, ref.length, record_id="<urn:uuid:x>", digest=None)
    assert other.kind == "mismatch"
