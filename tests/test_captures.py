"""WARC captures: writing, rotation, crash safety, revisits, and a real crawl of the demo paper."""

from __future__ import annotations

import gzip
import random
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from warcio.archiveiterator import ArchiveIterator

from pipeline.archive import db
from pipeline.archive.captures import (
    NOT_MODIFIED_PROFILE,
    REVISIT_PROFILE,
    CaptureArchiver,
    Exchange,
    WarcFileWriter,
    WarcInfo,
    read_capture,
    sha1_base32,
)
from pipeline.archive.fixity import check_record
from pipeline.archive.models import Capture

from .conftest import ServedSite, run_cli

# `engine` (SQLite and PostgreSQL, migrated) comes from conftest.py


def exchange(url: str, body: bytes, status: int = 200) -> Exchange:
    return Exchange(
        url=url, request_headers=[("User-Agent", "baotinh-test"), ("Accept", "text/html")],
        status=status, reason="OK" if status == 200 else "Not Modified",
        response_headers=[("Content-Type", "text/html; charset=utf-8"), ("Transfer-Encoding", "chunked")],
        body=body, date=datetime(2026, 11, 25, 10, 0, tzinfo=UTC), ip_address="127.0.0.1",
    )


def page(n: int, size: int = 1500) -> bytes:
    text = f"<html><body><p>Bài {n}: Huyện ủy Kim Thành — đột phá.</p>".encode()
    return text + b"x" * max(0, size - len(text)) + b"</body></html>"


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import sys; from warcio.cli import main; main(sys.argv[1:])", "check", "-v", str(path)],
        capture_output=True, text=True, check=False,
    )


def record_types(path: Path) -> list[str]:
    with open(path, "rb") as fh:
        return [r.rec_headers.get_header("WARC-Type") for r in ArchiveIterator(fh)]


def test_writer_writes_pairs_with_digests_and_reads_back(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path, info=WarcInfo(crawl_run=7, site="demo", user_agent="baotinh-test"))
    body = page(1)
    ref = writer.write_exchange(exchange("http://demo.baotinh.test/a-1001.html", body))
    writer.close()
    path = tmp_path / ref.warc
    assert ref.warc.startswith("captures/") and path.name.endswith(".warc.gz")
    assert ref.digest == sha1_base32(body) and ref.rec_type == "response"
    assert record_types(path) == ["warcinfo", "response", "request"]
    with open(path, "rb") as fh:
        records, contents = [], []
        for r in ArchiveIterator(fh):  # a record's content can be read only while iterating
            records.append(r)
            contents.append(r.content_stream().read())
    info = contents[0].decode()
    for field in ("software: baotinh/", "crawl-run: 7", "site: demo", "robots: obey", "hostname: ",
                  "format: WARC File Format 1.1"):
        assert field in info
    response = records[1].rec_headers
    assert response.protocol == "WARC/1.1"
    assert response.get_header("WARC-Payload-Digest") == ref.digest
    assert response.get_header("WARC-Block-Digest").startswith("sha256:")
    assert response.get_header("WARC-IP-Address") == "127.0.0.1"
    assert response.get_header("WARC-Target-URI") == "http://demo.baotinh.test/a-1001.html"
    assert records[2].rec_headers.get_header("WARC-Concurrent-To") == ref.record_id
    # The body was stored de-chunked, so the chunked header must not be left to mislead readers.
    assert records[1].http_headers.get_header("Transfer-Encoding") is None
    assert read_capture(tmp_path, ref).body == body
    result = warcio_check(path)
    assert result.returncode == 0, result.stdout
    assert "digest pass" in result.stdout


def test_files_rotate_by_size_each_with_warcinfo(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path, max_bytes=1500)
    # Incompressible bodies, so each gzip member is bigger than the rotation size.
    bodies = [page(n) + random.Random(n).randbytes(3000) for n in range(5)]
    refs = [writer.write_exchange(exchange(f"http://demo.baotinh.test/a-{n}.html", b)) for n, b in enumerate(bodies)]
    writer.close()
    files = sorted((tmp_path / "captures").glob("*.warc.gz"))
    assert len(files) == 5 == len({r.warc for r in refs})
    for path in files:
        assert record_types(path)[0] == "warcinfo"
        assert warcio_check(path).returncode == 0


def test_a_cut_short_file_keeps_its_complete_records(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path)
    refs = [writer.write_exchange(exchange(f"http://demo.baotinh.test/a-{n}.html", page(n))) for n in range(3)]
    writer.close()
    path = tmp_path / refs[0].warc
    # A process killed mid-write leaves half a gzip member at the end of the file.
    member = gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + b"y" * 4000)
    with open(path, "ab") as fh:
        fh.write(member[: len(member) // 2])
    for ref in refs:
        check = check_record(tmp_path, ref.warc, ref.offset, ref.length, record_id=ref.record_id, digest=ref.digest)
        assert check.problem is None
    # The next run opens a new file rather than appending to the damaged one.
    again = WarcFileWriter(tmp_path)
    ref = again.write_exchange(exchange("http://demo.baotinh.test/b.html", page(9)))
    again.close()
    assert ref.warc != refs[0].warc
    assert warcio_check(tmp_path / ref.warc).returncode == 0


def test_identical_payloads_become_revisits_across_runs(tmp_path: Path, engine: Engine) -> None:
    sessions: sessionmaker[Session] = db.make_sessionmaker(engine)
    body = page(1) + random.Random(1).randbytes(5000)
    first = CaptureArchiver(tmp_path, sessions, info=WarcInfo(crawl_run=None, site="demo"))
    original = first.capture(exchange("http://demo.baotinh.test/a.html", body))
    same_run = first.capture(exchange("http://demo.baotinh.test/a.html", body))
    first.close()
    assert original.rec_type == "response" and same_run.rec_type == "revisit"
    assert same_run.refers_to == original.record_id

    second = CaptureArchiver(tmp_path, sessions)  # a later run: found through the DB index
    later = second.capture(exchange("http://demo.baotinh.test/a.html", body))
    not_modified = second.capture(exchange("http://demo.baotinh.test/a.html", b"", status=304))
    changed = second.capture(exchange("http://demo.baotinh.test/a.html", page(2)))
    second.close()
    assert later.rec_type == "revisit" and later.refers_to == original.record_id
    assert not_modified.rec_type == "revisit" and not_modified.refers_to == original.record_id
    assert changed.rec_type == "response"

    with sessions() as session:
        rows = session.scalars(select(Capture).order_by(Capture.id)).all()
        assert [r.rec_type for r in rows] == ["response", "revisit", "revisit", "revisit", "response"]
        # A revisit stores no payload, yet reads back as the original's body.
        assert read_capture(tmp_path, later, session).body == body
    with open(tmp_path / later.warc, "rb") as fh:
        revisits = [r for r in ArchiveIterator(fh) if r.rec_headers.get_header("WARC-Type") == "revisit"]
    profiles = [r.rec_headers.get_header("WARC-Profile") for r in revisits]
    assert profiles == [REVISIT_PROFILE, NOT_MODIFIED_PROFILE]
    assert revisits[0].rec_headers.get_header("WARC-Refers-To-Target-URI") == "http://demo.baotinh.test/a.html"
    assert revisits[0].rec_headers.get_header("WARC-Refers-To") == original.record_id
    for path in (tmp_path / "captures").glob("*.warc.gz"):
        assert warcio_check(path).returncode == 0
    # Revisits are small: the body is not stored twice.
    assert later.length < original.length / 2


def _articles(db_path: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("select * from articles order by id").fetchall()
    finally:
        conn.close()


@pytest.mark.slow
def test_crawl_captures_every_article_and_verify_finds_a_flipped_byte(demo_server: ServedSite, archive: Path) -> None:
    result = run_cli("crawl", "demo", "--origin", demo_server.base_url, "--delay", "0.01", "--workers", "1",
                     archive=archive)
    assert result.returncode == 0, result.stderr
    rows = _articles(archive / "baotinh.sqlite")
    assert len(rows) >= 30
    for r in rows:
        assert r["capture_warc"] and r["capture_record_id"] and r["capture_digest"].startswith("sha1:")
        assert r["capture_length"] > 0 and r["registry_sha256"]
    files = sorted((archive / "captures").glob("*.warc.gz"))
    assert files
    for path in files:
        check = warcio_check(path)
        assert check.returncode == 0, check.stdout
    # robots.txt, feeds and sitemaps are captured too, not only articles.
    conn = sqlite3.connect(archive / "baotinh.sqlite")
    uris = [u for (u,) in conn.execute("select uri from captures")]
    conn.close()
    assert any(u.endswith("/robots.txt") for u in uris)
    assert any(u.endswith("/sitemap.xml") for u in uris)
    assert any(".rss" in u for u in uris)

    ok = run_cli("verify", archive=archive)
    assert ok.returncode == 0, ok.stderr
    assert " 0 problems" in ok.stdout

    victim = rows[len(rows) // 2]
    path = archive / victim["capture_warc"]
    data = bytearray(path.read_bytes())
    data[victim["capture_offset"] + victim["capture_length"] // 2] ^= 0x55
    path.write_bytes(bytes(data))
    bad = run_cli("verify", archive=archive)
    assert bad.returncode == 1
    assert f"article {victim['id']}: {victim['canonical_url']}" in bad.stderr
    assert "1 problems" in bad.stdout
