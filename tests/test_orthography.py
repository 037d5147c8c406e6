"""The publisher's words, as published: a page printing "Thanh Hoá" (old tone placement) is
archived as "Thanh Hoá", found by "thanh hoa" and "Thanh Hóa", rebuilt with that spelling by
``reextract --outdated`` from a record of the old rule, and exported as "Thanh Hóa" only when
``--orthography modern`` asks for it."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from pipeline.archive import db, store
from pipeline.archive.captures import CaptureArchiver, Exchange, WarcInfo
from pipeline.archive.models import Article, ArticleVersion
from pipeline.demo.site import DemoSite
from pipeline.extract import EXTRACTOR_VERSION, extract_article
from pipeline.record import ArticleRecord, StoreItem
from pipeline.registry.load import load_registry
from pipeline.text.fold import fold, fold_aligned
from pipeline.text.normalise import unify_tone_placement

from .conftest import MigratedSqlite, run_cli

PARAGRAPHS = (
    "Sáng nay, tại khu di tích quốc gia đặc biệt Lam Kinh, tỉnh Thanh Hoá long trọng khai mạc lễ hội "
    "kỷ niệm ngày mất của vua Lê Thái Tổ. Hàng nghìn người dân và du khách đã về dự, dâng hương tưởng "
    "nhớ các bậc tiền nhân.",
    "Phát biểu tại lễ khai mạc, đại diện Uỷ ban nhân dân tỉnh cho biết công tác tu bổ di tích, hệ thống "
    "thuỷ lợi quanh khu điện Lam Kinh đã hoàn thành. Phần hội có nhiều trò chơi dân gian, thi đấu thể "
    "thao và các chương trình nghệ thuật đặc sắc, được người dân hoà mình tham gia.",
    "Lễ hội năm nay là dịp để quảng bá hình ảnh quê hương xứ Thanh, thu hút du khách trong và ngoài "
    "nước, góp phần phát triển du lịch bền vững và gìn giữ những giá trị văn hoá truyền thống.",
)
# A demo article printed in the old tone placement, stored decomposed (NFD) by its CMS. (JSON
# strings and arrays are valid TOML.)
ARTICLE_TOML = f"""\
id = 300001
section = "van-hoa"
slug = "le-hoi-lam-kinh-o-thanh-hoa"
title = 'Lễ hội Lam Kinh ở Thanh Hoá thu hút du khách'
published = "2024-09-05T08:30:00+07:00"
lead = 'Uỷ ban nhân dân tỉnh Thanh Hoá khai mạc lễ hội Lam Kinh, một hoạt động văn hoá lớn của tỉnh.'
byline = "Thuý Hằng"
tags = ["Thanh Hoá", "Lam Kinh"]
nfd = true
paragraphs = {json.dumps(PARAGRAPHS, ensure_ascii=False)}

[[images]]
src = "/uploads/2024/09/05/lam-kinh.jpg"
caption = 'Du khách dâng hương tại khu di tích Lam Kinh, Thanh Hoá'
after_paragraph = 1

[expected]
author = "Thuý Hằng"
"""
OLD_PLACEMENT = ("Thanh Hoá", "Uỷ ban", "thuỷ lợi", "văn hoá", "hoà mình", "Thuý Hằng")


@dataclass(frozen=True)
class Archived:
    archive: Path
    url: str
    record: ArticleRecord


def build_archive(tmp_path: Path, migrated_sqlite: MigratedSqlite) -> Archived:
    """The article rendered, captured to WARC, extracted and stored in a new archive."""
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "300001-le-hoi-lam-kinh.toml").write_text(ARTICLE_TOML, encoding="utf-8")
    demo = DemoSite(articles)
    [article] = demo.articles()
    rendered = demo.render(article.path)
    url = f"http://demo.baotinh.test{article.path}"
    archive = tmp_path / "archive"
    archive.mkdir()
    registry = load_registry()
    site = registry.get("demo")
    engine = db.make_engine(migrated_sqlite(archive / "baotinh.sqlite"))
    sessions = db.make_sessionmaker(engine)
    archiver = CaptureArchiver(archive, sessions, info=WarcInfo(site="demo"))
    ref = archiver.capture(Exchange(url=url, status=200, reason="OK",
                                    response_headers=[("Content-Type", rendered.content_type)],
                                    body=rendered.body, date=datetime(2024, 9, 6, tzinfo=UTC)))
    archiver.close()
    record = extract_article(rendered.body, url, site=site, fetched_at=ref.date)
    with sessions.begin() as s:
        store.sync_source(s, site)
        store.upsert_articles(s, [StoreItem(record=record, capture=ref)])
    engine.dispose()
    return Archived(archive, url, record)


def stored(archive: Path) -> dict[str, object]:
    """The archived article's words and version, read with plain sqlite3."""
    conn = sqlite3.connect(archive / "baotinh.sqlite")
    try:
        row = conn.execute("select title, description, text, captions, author, version, extractor_version "
                           "from articles").fetchone()
    finally:
        conn.close()
    names = ("title", "description", "text", "captions", "author", "version", "extractor_version")
    return dict(zip(names, row, strict=True))


def test_fold_meets_both_tone_placements() -> None:
    pairs = [("Thanh Hoá", "Thanh Hóa"), ("thuỷ lợi", "thủy lợi"), ("Uỷ ban", "Ủy ban"), ("KHOẺ", "KHỎE"),
             ("thuý", "thúy")]
    for old, new in pairs:
        assert fold(old) == fold(new) == fold(unify_tone_placement(old))
        assert fold_aligned(old) == fold_aligned(new)
    assert fold("Thanh Hoá") == "thanh hoa"


def test_page_spelling_is_kept_in_the_record_and_the_archive(tmp_path: Path,
                                                             migrated_sqlite: MigratedSqlite) -> None:
    done = build_archive(tmp_path, migrated_sqlite)
    record = done.record
    assert record.title == "Lễ hội Lam Kinh ở Thanh Hoá thu hút du khách"
    assert record.description is not None and record.description.startswith("Uỷ ban nhân dân tỉnh Thanh Hoá")
    assert record.author == "Thuý Hằng"
    assert record.captions == ("Du khách dâng hương tại khu di tích Lam Kinh, Thanh Hoá",)
    words = "\n".join((record.title or "", record.description or "", record.text, *record.captions))
    for printed in OLD_PLACEMENT[:-1]:
        assert printed in words, printed
    assert "Hóa" not in words and "Ủy" not in words and "thủy" not in words
    row = stored(done.archive)
    assert row["title"] == record.title and row["text"] == record.text and row["author"] == "Thuý Hằng"
    assert json.loads(str(row["captions"])) == list(record.captions)


@pytest.mark.slow
def test_search_finds_both_spellings_and_export_modernises_on_request(
        tmp_path: Path, migrated_sqlite: MigratedSqlite) -> None:
    done = build_archive(tmp_path, migrated_sqlite)
    for query in ("thanh hoa", "Thanh Hóa", "Thanh Hoá", '"uỷ ban nhân dân"', '"ủy ban nhân dân"'):
        found = run_cli("search", query, "--json", archive=done.archive)
        assert found.returncode == 0, found.stderr
        assert done.url in found.stdout, query

    out = tmp_path / "modern"
    modern = run_cli("export", "--format", "jsonl", "--orthography", "modern", "--output", str(out),
                     archive=done.archive)
    assert modern.returncode == 0, modern.stderr
    [row] = [json.loads(line) for line in (out / "articles-00000.jsonl").read_text(encoding="utf-8").splitlines()]
    assert row["title"] == "Lễ hội Lam Kinh ở Thanh Hóa thu hút du khách" and row["author"] == "Thúy Hằng"
    assert "Thanh Hoá" not in json.dumps(row["text"], ensure_ascii=False) and "thủy lợi" in row["text"]
    assert row["captions"] == ["Du khách dâng hương tại khu di tích Lam Kinh, Thanh Hóa"]
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["options"]["orthography"] == "modern"

    published = tmp_path / "published"
    default = run_cli("export", "--format", "jsonl", "--output", str(published), archive=done.archive)
    assert default.returncode == 0, default.stderr
    [row] = [json.loads(line) for line in (published / "articles-00000.jsonl").read_text(encoding="utf-8").splitlines()]
    assert row["title"] == done.record.title and row["text"] == done.record.text
    assert stored(done.archive)["title"] == done.record.title  # exporting never touches the archive


@pytest.mark.slow
def test_reextract_outdated_restores_the_publishers_spelling(tmp_path: Path,
                                                             migrated_sqlite: MigratedSqlite) -> None:
    done = build_archive(tmp_path, migrated_sqlite)
    record = done.record
    # What the old rule (extractor 1.0.0) archived: every word moved to the modern placement.
    engine = db.make_engine(f"sqlite:///{done.archive / 'baotinh.sqlite'}")
    with db.make_sessionmaker(engine).begin() as s:
        s.execute(update(Article).values(
            title=unify_tone_placement(record.title or ""), text=unify_tone_placement(record.text),
            description=unify_tone_placement(record.description or ""),
            captions=[unify_tone_placement(c) for c in record.captions],
            author=unify_tone_placement(record.author or ""), extractor_version="1.0.0"))
    engine.dispose()
    assert stored(done.archive)["title"] == "Lễ hội Lam Kinh ở Thanh Hóa thu hút du khách"

    result = run_cli("reextract", "--outdated", archive=done.archive)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("1 records re-extracted") and "1 changed" in result.stdout
    row = stored(done.archive)
    assert (row["title"], row["description"], row["text"], row["author"]) == (
        record.title, record.description, record.text, record.author)
    assert json.loads(str(row["captions"])) == list(record.captions)
    assert row["version"] == 2 and row["extractor_version"] == EXTRACTOR_VERSION != "1.0.0"
    engine = db.make_engine(f"sqlite:///{done.archive / 'baotinh.sqlite'}")
    with db.make_sessionmaker(engine)() as s:
        old = s.scalars(select(ArticleVersion)).one()
        assert old.title == "Lễ hội Lam Kinh ở Thanh Hóa thu hút du khách" and old.extractor_version == "1.0.0"
    engine.dispose()
    again = run_cli("reextract", "--outdated", archive=done.archive)
    assert again.returncode == 0 and again.stdout.startswith("0 records"), again.stdout
