"""``--orthography``: exports as the papers published them (default) or in the modern tone
placement, in every row format, history rows included, recorded in the manifest and datasheet."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.archive import db, store
from pipeline.archive.models import Article, ArticleVersion
from pipeline.archive.sqlite import install_sqlite_functions
from pipeline.errors import InputError
from pipeline.export.dataset import ExportOptions, export_articles
from pipeline.export.orthography import modern_value, row_converter
from pipeline.record import ArticleRecord, Image
from pipeline.registry.load import load_registry
from pipeline.text.dates import VN_TZ

from .conftest import MigratedSqlite, csv_row

T0 = datetime(2026, 1, 1, tzinfo=UTC)
URL = "https://baohaiduong.vn/van-hoa/le-hoi-thanh-hoa-200001.html"
# The record as the paper printed it (old tone placement), and the modern spelling of its words.
PRINTED = {
    "title": "Lễ hội ở Thanh Hoá", "description": "Uỷ ban tỉnh Thanh Hoá khai mạc lễ hội.",
    "text": "Công trình thuỷ lợi được tu bổ.\nNgười dân hoà giải, khoẻ mạnh, quý mến nhau.",
    "captions": ["Ảnh minh hoạ lễ hội"], "author": "Thuý Hằng",
}
MODERN = {
    "title": "Lễ hội ở Thanh Hóa", "description": "Ủy ban tỉnh Thanh Hóa khai mạc lễ hội.",
    "text": "Công trình thủy lợi được tu bổ.\nNgười dân hòa giải, khỏe mạnh, quý mến nhau.",
    "captions": ["Ảnh minh họa lễ hội"], "author": "Thúy Hằng",
}


def printed_record() -> ArticleRecord:
    return ArticleRecord(
        url=URL, canonical_url=URL, site="baohaiduong", title=PRINTED["title"],
        description=PRINTED["description"], author=PRINTED["author"],
        published_at=datetime(2024, 5, 1, 8, 0, tzinfo=VN_TZ), section="Văn hoá", tags=("Thanh Hoá",),
        language="vi", text=PRINTED["text"], captions=tuple(PRINTED["captions"]),
        images=(Image(url="https://baohaiduong.vn/toa.jpg", caption="Toà nhà"),
                Image(url="https://baohaiduong.vn/b.jpg", caption=None)),
        word_count=16, content_sha256="a" * 64, fetched_at=T0, extractor_version="1.1.0",
    )


@pytest.fixture
def sessions(tmp_path: Path, migrated_sqlite: MigratedSqlite) -> Iterator[sessionmaker[Session]]:
    engine: Engine = db.make_engine(migrated_sqlite(tmp_path / "archive" / "baotinh.sqlite"))
    install_sqlite_functions(engine)
    sm = db.make_sessionmaker(engine)
    with sm.begin() as s:
        store.sync_source(s, load_registry().get("baohaiduong"))
        store.upsert_articles(s, [printed_record()], now=T0)
    yield sm
    engine.dispose()


def run_export(sm: sessionmaker[Session], tmp_path: Path, name: str, **kw: Any) -> Path:
    out = tmp_path / name
    with sm() as s:
        export_articles(s, ExportOptions(output=out, command="pytest", **kw), archive_dir=tmp_path / "archive")
    return out


def read_rows(out: Path, fmt: str) -> list[dict[str, Any]]:
    path = out / f"articles-00000.{fmt}"
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if fmt == "csv":
        with open(path, encoding="utf-8", newline="") as fh:
            return [csv_row(r) for r in csv.DictReader(fh)]
    return pq.read_table(path).to_pylist()


def words_of(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in PRINTED}


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_default_export_is_as_published(sessions: sessionmaker[Session], tmp_path: Path, fmt: str) -> None:
    out = run_export(sessions, tmp_path, fmt, format=fmt)
    [row] = read_rows(out, fmt)
    assert words_of(row) == PRINTED
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["options"]["orthography"] == "as-published"
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "orthography: as-published" in readme and "spelt as each paper published it" in readme


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_modern_export_moves_the_tone_in_every_format(sessions: sessionmaker[Session], tmp_path: Path,
                                                      fmt: str) -> None:
    out = run_export(sessions, tmp_path, fmt, format=fmt, orthography="modern")
    [row] = read_rows(out, fmt)
    assert words_of(row) == MODERN
    assert [i["caption"] for i in row["images"]] == ["Tòa nhà", None]
    # Names and keys are not article words: tags, section and URLs stay as stored.
    assert row["tags"] == ["Thanh Hoá"] and row["section"] == "Văn hoá" and row["url"] == URL
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["options"]["orthography"] == "modern"
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "orthography: modern" in readme and "modern tone placement" in readme
    with sessions() as s:  # the archive itself keeps the paper's spelling
        assert s.scalars(select(Article.title)).one() == PRINTED["title"]


def test_modern_export_converts_history_rows(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    with sessions.begin() as s:
        article = s.scalars(select(Article)).one()
        old = store.article_to_record(article).as_dict()
        old.update(title="Thanh Hoá xưa")
        s.add(ArticleVersion(article_id=article.id, version=1, valid_from=T0 - timedelta(days=3), valid_to=T0,
                             changed_fields=["title"], title="Thanh Hoá xưa", text=article.text,
                             content_sha256="b" * 64, data=old, extractor_version="1.0.0"))
        s.execute(update(Article).where(Article.id == article.id).values(version=2))
    out = run_export(sessions, tmp_path, "hist", format="jsonl", all_versions=True, orthography="modern")
    rows = read_rows(out, "jsonl")
    assert sorted((r["version"], r["title"]) for r in rows) == [(1, "Thanh Hóa xưa"), (2, "Lễ hội ở Thanh Hóa")]
    assert all(r["text"] == MODERN["text"] for r in rows)


def test_modern_is_refused_for_warc_and_unknown_names_are_refused(sessions: sessionmaker[Session],
                                                                  tmp_path: Path) -> None:
    with pytest.raises(InputError, match="byte for byte"):
        run_export(sessions, tmp_path, "w", format="warc", orthography="modern")
    with pytest.raises(InputError, match="unknown orthography"):
        run_export(sessions, tmp_path, "x", format="jsonl", orthography="classic")


def test_modern_value_and_row_converter() -> None:
    assert modern_value("Thanh Hoá") == "Thanh Hóa"
    assert modern_value(["uỷ ban", None]) == ["ủy ban", None]
    assert modern_value({"url": "u", "caption": "hoà"}) == {"url": "u", "caption": "hòa"}
    assert modern_value({"url": "u", "caption": None}) == {"url": "u", "caption": None}
    assert modern_value(None) is None and modern_value(12) == 12
    assert row_converter(("url", "tags"), "modern") is None  # nothing to convert
    convert = row_converter(("url", "title", "tags"), "modern")
    assert convert is not None
    assert convert(("hoà", "hoà", ["hoà"])) == ("hoà", "hòa", ["hoà"])
