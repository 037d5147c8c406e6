"""Re-extraction from stored captures, with the server stopped (no network)."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.archive import db, store
from pipeline.archive.captures import CaptureArchiver, Exchange, WarcInfo
from pipeline.archive.models import Article, ArticleVersion
from pipeline.archive.reextract import ReextractOptions, reextract_archive
from pipeline.demo.site import DemoSite
from pipeline.extract import EXTRACTOR_VERSION, extract_article
from pipeline.record import StoreItem
from pipeline.registry.load import load_registry

from .conftest import MigratedSqlite, run_cli


def _connect(archive: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(archive / "baotinh.sqlite")
    try:  # the search triggers (issue 4) call baotinh_fold on every article write
        from pipeline.archive.sqlite import register_sqlite_functions

        register_sqlite_functions(conn)
    except ImportError:
        pass
    return conn


def test_reextract_rebuilds_from_captures_and_finds_outdated_records(tmp_path: Path,
                                                                     migrated_sqlite: MigratedSqlite) -> None:
    """In-process: captures written from the demo renderer, records made "by an old extractor"."""
    registry = load_registry()
    site = registry.get("demo")
    demo = DemoSite(None)
    eng = db.make_engine(migrated_sqlite(tmp_path / "baotinh.sqlite"))
    sessions = db.make_sessionmaker(eng)
    archiver = CaptureArchiver(tmp_path, sessions, info=WarcInfo(site="demo"))
    records, refs = [], []
    for demo_article in demo.articles()[:4]:
        rendered = demo.render(demo_article.path)
        url = f"http://demo.baotinh.test{demo_article.path}"
        ref = archiver.capture(Exchange(url=url, status=200, reason="OK",
                                        response_headers=[("Content-Type", rendered.content_type)],
                                        body=rendered.body, date=datetime.now(UTC)))
        records.append(extract_article(rendered.body, url, site=site, fetched_at=ref.date))
        refs.append(ref)
    archiver.close()
    with sessions.begin() as s:
        store.sync_source(s, site)
        store.upsert_articles(s, [StoreItem(record=r, capture=c) for r, c in zip(records, refs, strict=True)])
    # Simulate records of an older extractor: another version string and a worse text for one.
    conn = _connect(tmp_path)
    conn.execute("update articles set extractor_version = '0.9', text = 'Văn bản do bộ trích xuất cũ tạo ra.' "
                 "where id = 2")
    conn.commit()
    conn.close()

    with sessions.begin() as s:
        report = reextract_archive(s, tmp_path, registry, ReextractOptions(outdated=True))
    assert (report.checked, report.changed, report.unchanged, report.failed) == (1, 1, 0, 0)
    with sessions() as s:
        article = s.get(Article, 2)
        assert article is not None and article.extractor_version == EXTRACTOR_VERSION
        assert article.text == records[1].text and article.version == 2
        old = s.scalars(select(ArticleVersion)).one()
        assert old.text == "Văn bản do bộ trích xuất cũ tạo ra." and old.extractor_version == "0.9"
    with sessions.begin() as s:
        again = reextract_archive(s, tmp_path, registry, ReextractOptions())
    assert (again.checked, again.changed, again.unchanged) == (4, 0, 4)
    with sessions.begin() as s:
        none_left = reextract_archive(s, tmp_path, registry, ReextractOptions(outdated=True))
    assert none_left.checked == 0
    eng.dispose()


@pytest.mark.slow
def test_reextract_after_the_server_stopped(demo_archive: Path, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(demo_archive, archive)  # crawled by `baotinh demo`, whose server is long gone

    conn = _connect(archive)
    [(article_id, title, text)] = conn.execute(
        "select id, title, text from articles where canonical_url like '%-105123.html'").fetchall()
    conn.execute("update articles set title = 'Tiêu đề cũ', text = ?, extractor_version = '0.1.0' where id = ?",
                 (text.replace("Kim Thành", "Kim Thanh"), article_id))
    conn.commit()
    total = conn.execute("select count(*) from articles").fetchone()[0]
    conn.close()

    result = run_cli("reextract", "--outdated", archive=archive)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("1 records re-extracted") and "1 changed" in result.stdout

    conn = _connect(archive)
    assert conn.execute("select title, text, version from articles where id = ?",
                        (article_id,)).fetchone() == (title, text, 2)
    assert conn.execute("select title from article_versions where article_id = ?",
                        (article_id,)).fetchall() == [("Tiêu đề cũ",)]
    conn.close()

    everything = run_cli("reextract", "--site", "demo", "--since", "2019-01-01", "--json", archive=archive)
    assert everything.returncode == 0, everything.stderr
    report = everything.json()
    assert report["changed"] == 0 and report["failed"] == 0 and 0 < report["checked"] <= total  # type: ignore[index]
    shown = run_cli("history", str(article_id), archive=archive)
    assert "[-Tiêu đề cũ-]" in shown.stdout
