"""Dataset exports through the library: every format read back equal to the archive, shards,
manifests, verification, filters, incremental exports, versions and WARC copies."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import zstandard
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.archive import db, store
from pipeline.archive.models import Article, ArticleVersion, Source
from pipeline.archive.sqlite import install_sqlite_functions
from pipeline.errors import InputError
from pipeline.export.dataset import ExportOptions, export_articles
from pipeline.export.formats import DEFAULT_FIELDS
from pipeline.export.manifest import verify_export
from pipeline.export.warc import surt_key
from pipeline.record import ArticleRecord, Image
from pipeline.registry.load import load_registry
from pipeline.registry.provinces import province_at, province_now
from pipeline.search import SearchQuery
from pipeline.text.dates import VN_TZ

from .conftest import MigratedSqlite, csv_row

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make_records() -> list[ArticleRecord]:
    """Realistic Vietnamese records with everything a writer can trip on."""
    tricky = ('Chủ tịch UBND tỉnh nói: "Phải làm ngay, không chờ đợi", rồi nhấn mạnh:\n'
              "đ/Đ, dấu phẩy, ngoặc kép \"kép\" và 'đơn', emoji 🌾🇻🇳, tab\tvà CRLF\r\nhết.")
    base = ArticleRecord(
        url="https://baohaiduong.vn/chinh-tri/huyen-uy-kim-thanh-105123.html?utm_source=fb",
        canonical_url="https://baohaiduong.vn/chinh-tri/huyen-uy-kim-thanh-105123.html",
        site="baohaiduong", title="Kim Thành khen thưởng 13 tập thể, 20 cá nhân",
        description="Từ năm 2016 đến nay, huyện Kim Thành đã có nhiều chuyển biến.",
        author="HV", published_at=datetime(2019, 8, 6, 19, 5, 1, tzinfo=VN_TZ),
        modified_at=datetime(2019, 8, 7, 8, 0, tzinfo=VN_TZ), section="Chính trị",
        tags=("Kim Thành", "Học tập và làm theo tư tưởng, đạo đức Hồ Chí Minh"), language="vi",
        text="Từ năm 2016 đến nay, huyện Kim Thành…\nDịp này, huyện Kim Thành khen thưởng 13 tập thể, 20 cá nhân…",
        captions=("Lãnh đạo huyện Kim Thành trao giấy khen cho các tập thể",),
        images=(Image(url="https://baohaiduong.vn/a.jpg", caption="Lãnh đạo huyện Kim Thành trao giấy khen"),
                Image(url="https://baohaiduong.vn/b.jpg", caption=None)),
        word_count=30, content_sha256="a" * 64, fetched_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        date_source="dateline", modified_source="meta", source_agency=None, flags=("byline_end",),
        extractor_version="0.1.0",
    )
    return [
        base,
        replace(base, url="https://baohaiduong.vn/xa-hoi/vai-thieu-106544.html",
                canonical_url="https://baohaiduong.vn/xa-hoi/vai-thieu-106544.html",
                title='Vải thiều Thanh Hà "vào mùa", giá 25.000 đ/kg', text=tricky, author=None,
                description=None, tags=(), captions=(), images=(), modified_at=None, flags=(),
                published_at=datetime(2024, 6, 1, 6, 30, tzinfo=VN_TZ), section="Kinh tế",
                source_agency="TTXVN"),
        replace(base, url="https://baohaiphong.vn/van-hoa/roi-nuoc-123512.html",
                canonical_url="https://baohaiphong.vn/van-hoa/roi-nuoc-123512.html", site="baohaiphong",
                title="Múa rối nước Hồng Phong, 🎭 nghệ thuật trăm năm", published_at=None, date_source=None,
                text="Dòng một,\ndòng hai; dòng ba\n\n— hết —", section=None, language=None,
                extractor_version="0.0.9"),
        replace(base, url="https://baohaiduong.vn/the-thao/bong-chuyen-116204.html",
                canonical_url="https://baohaiduong.vn/the-thao/bong-chuyen-116204.html",
                title="Bóng chuyền hơi Kim Thành", published_at=datetime(2025, 7, 1, 0, 0, tzinfo=VN_TZ),
                section="Thể thao", author="Nguyễn Văn Đức", text="Giải đấu khai mạc sáng 1/7."),
        replace(base, url="https://baohaiduong.vn/giao-duc/thi-thpt-129488.html",
                canonical_url="https://baohaiduong.vn/giao-duc/thi-thpt-129488.html",
                title="Thi tốt nghiệp THPT 2024", published_at=datetime(2024, 6, 27, 23, 59, 59, tzinfo=VN_TZ),
                section="Giáo dục", text="Hơn 20.000 thí sinh dự thi.\nKhông có sự cố."),
    ]


@pytest.fixture
def engine(tmp_path: Path, migrated_sqlite: MigratedSqlite) -> Iterator[Engine]:
    eng = db.make_engine(migrated_sqlite(tmp_path / "archive" / "baotinh.sqlite"))
    install_sqlite_functions(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    sm = db.make_sessionmaker(engine)
    registry = load_registry()
    with sm.begin() as s:
        for site_id in ("baohaiduong", "baohaiphong"):
            store.sync_source(s, registry.get(site_id))
        run = store.start_run(s, "baohaiduong", now=T0)
        store.upsert_articles(s, make_records(), run_id=run, now=T0)
        store.finish_run(s, run, status="ok", counts=store.RunCounts(), now=T0 + timedelta(minutes=5))
    return sm


def archived(sm: sessionmaker[Session]) -> dict[str, dict[str, Any]]:
    """The records, with the province then and now (issue 16) computed in Python."""
    out = {}
    with sm() as s:
        for a in s.scalars(select(Article).order_by(Article.id)):
            src = s.get(Source, a.site)
            assert src is not None
            out[a.canonical_url] = {
                "key": a.key, **store.article_to_record(a).as_dict(),
                "province": province_at(a.published_at, a.first_seen_at, src.province_before, src.province_after),
                "province_now": province_now(src.province_before, src.province_after)}
    return out


def run_export(sm: sessionmaker[Session], tmp_path: Path, name: str, **kw: Any) -> Path:
    out = tmp_path / name
    with sm() as s:
        export_articles(s, ExportOptions(output=out, command="pytest", **kw), archive_dir=tmp_path / "archive")
    return out


def data_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("articles-*"))


def test_jsonl_round_trip(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    out = run_export(sessions, tmp_path, "j", format="jsonl")
    [path] = data_files(out)
    assert path.name == "articles-00000.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert {r["canonical_url"]: r for r in rows} == archived(sessions)
    assert list(rows[0]) == list(DEFAULT_FIELDS)
    assert "🌾🇻🇳" in path.read_text(encoding="utf-8")  # not ASCII-escaped


@pytest.mark.parametrize("compress", ["gz", "zst"])
def test_compressed_jsonl_round_trip(sessions: sessionmaker[Session], tmp_path: Path, compress: str) -> None:
    out = run_export(sessions, tmp_path, "c", format="jsonl", compress=compress)
    [path] = data_files(out)
    assert path.name == f"articles-00000.jsonl.{compress}"
    raw = path.read_bytes()
    if compress == "gz":
        text = gzip.decompress(raw).decode("utf-8")
    else:
        text = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw)).read().decode("utf-8")
    rows = [json.loads(line) for line in text.splitlines()]
    assert {r["canonical_url"]: r for r in rows} == archived(sessions)


@pytest.mark.parametrize("bom", [False, True])
def test_csv_round_trip(sessions: sessionmaker[Session], tmp_path: Path, bom: bool) -> None:
    out = run_export(sessions, tmp_path, "csv", format="csv", bom=bom)
    [path] = data_files(out)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == bom
    with open(path, encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == list(DEFAULT_FIELDS)
        rows = [csv_row(r) for r in reader]
    assert {r["canonical_url"]: r for r in rows} == archived(sessions)
    # Text with newlines is quoted, so a spreadsheet keeps it in one cell.
    assert (b'"Kim Th\xc3\xa0nh khen th\xc6\xb0\xe1\xbb\x9fng 13 t\xe1\xba\xadp th\xe1\xbb\x83, '
            b'20 c\xc3\xa1 nh\xc3\xa2n"') in raw


def test_parquet_round_trip_and_schema(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    out = run_export(sessions, tmp_path, "p", format="parquet")
    [path] = data_files(out)
    table = pq.read_table(path)
    schema = table.schema
    assert schema.names == list(DEFAULT_FIELDS)
    assert schema.field("published_at").type == pa.timestamp("us", tz="Asia/Ho_Chi_Minh")
    assert schema.field("tags").type == pa.list_(pa.string())
    assert schema.field("images").type == pa.list_(pa.struct([("url", pa.string()), ("caption", pa.string())]))
    assert schema.field("word_count").type == pa.int64()
    got = {}
    for row in table.to_pylist():
        got[row["canonical_url"]] = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}
    assert got == archived(sessions)
    # Instants are exact: 19:05:01+07:00 is 12:05:01 UTC on disk.
    column = table.column("published_at").cast(pa.timestamp("us", tz="UTC")).to_pylist()
    assert datetime(2019, 8, 6, 12, 5, 1, tzinfo=UTC) in column


def test_shards_have_stable_names_and_all_rows(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    out = run_export(sessions, tmp_path, "s", format="parquet", shard_size=2)
    names = [p.name for p in data_files(out)]
    assert names == ["articles-00000.parquet", "articles-00001.parquet", "articles-00002.parquet"]
    assert [pq.read_metadata(out / n).num_rows for n in names] == [2, 2, 1]
    # The folder reads as one dataset (README.md and manifest.json are skipped as non-Parquet).
    dataset = ds.dataset(out, format="parquet", exclude_invalid_files=True)
    urls = dataset.to_table().column("canonical_url").to_pylist()
    assert sorted(urls) == sorted(archived(sessions))


def test_parquet_row_groups_are_bounded(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    out = run_export(sessions, tmp_path, "rg", format="parquet", row_group_rows=2)
    meta = pq.read_metadata(data_files(out)[0])
    # Batches of up to 5,000 rows are flushed once a row group is full: here after each batch.
    assert meta.num_row_groups >= 1 and meta.num_rows == 5


def test_manifest_and_readme(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    out = run_export(sessions, tmp_path, "m", format="jsonl", shard_size=3)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] == "pytest"
    assert manifest["counts"] == {"articles": 5, "versions": 0, "rows": 5, "files": 3}
    assert manifest["sites"]["baohaiduong"]["articles"] == 4
    assert manifest["sites"]["baohaiphong"]["articles"] == 1
    assert manifest["sites"]["baohaiduong"]["name"]
    assert manifest["time_span"]["published_min"] == "2019-08-06T19:05:01+07:00"
    assert manifest["time_span"]["published_max"] == "2025-07-01T00:00:00+07:00"
    assert manifest["time_span"]["articles_without_date"] == 1
    assert manifest["extractor_versions"] == {"0.0.9": 1, "0.1.0": 4}
    assert [r["status"] for r in manifest["crawl_runs"]] == ["ok"]
    assert manifest["software"]["version"]
    assert [f["name"] for f in manifest["schema"]["fields"]] == list(DEFAULT_FIELDS)
    files = {f["path"]: f for f in manifest["files"]}
    assert set(files) == {"articles-00000.jsonl", "articles-00001.jsonl", "README.md"}
    assert files["articles-00000.jsonl"]["rows"] == 3 and files["articles-00001.jsonl"]["rows"] == 2
    assert files["README.md"]["bytes"] == (out / "README.md").stat().st_size
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "Bylines are as printed" in readme and "belong to their papers" in readme
    assert 'data_files: "articles-*.jsonl"' in readme


def test_verify_detects_one_changed_byte(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    out = run_export(sessions, tmp_path, "v", format="parquet", shard_size=2)
    assert verify_export(out).ok
    shard = out / "articles-00001.parquet"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x01
    shard.write_bytes(bytes(data))
    report = verify_export(out)
    assert not report.ok
    assert report.problems == ("articles-00001.parquet: SHA-256 differs from the manifest",)


def test_verify_reports_missing_and_extra_files(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    out = run_export(sessions, tmp_path, "v2", format="csv", shard_size=2)
    (out / "articles-00002.csv").unlink()
    (out / "notes.txt").write_text("x")
    problems = verify_export(out).problems
    assert "articles-00002.csv: missing" in problems
    assert "notes.txt: not in the manifest" in problems


def test_existing_output_is_refused_unless_overwrite(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    out = run_export(sessions, tmp_path, "o", format="jsonl", shard_size=2)
    with pytest.raises(InputError, match="already exists"):
        run_export(sessions, tmp_path, "o", format="jsonl")
    run_export(sessions, tmp_path, "o", format="jsonl", overwrite=True)
    # The old shards are gone; the folder holds exactly the new export.
    assert [p.name for p in data_files(out)] == ["articles-00000.jsonl"]
    assert verify_export(out).ok


def test_stale_partial_files_are_removed(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    out = tmp_path / "stale"
    out.mkdir()
    (out / "articles-00000.parquet.partial").write_bytes(b"half")
    run_export(sessions, tmp_path, "stale", format="parquet")
    assert not list(out.glob("*.partial"))
    assert verify_export(out).ok


def test_fields_choose_and_order_columns(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    out = run_export(sessions, tmp_path, "f", format="parquet", fields=("title", "url", "first_seen_at", "id"))
    table = pq.read_table(data_files(out))
    assert table.schema.names == ["title", "url", "first_seen_at", "id"]
    assert table.num_rows == 5
    with pytest.raises(InputError, match="unknown field 'nope'"):
        run_export(sessions, tmp_path, "f2", format="jsonl", fields=("title", "nope"))


def test_filters_select_articles(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    query = SearchQuery(sites=("baohaiduong",), date_from=date(2024, 6, 1), date_to=date(2024, 6, 27))
    out = run_export(sessions, tmp_path, "q", format="jsonl", query=query)
    rows = [json.loads(x) for x in data_files(out)[0].read_text(encoding="utf-8").splitlines()]
    # 2024-06-27 23:59:59 local time is still on the last day.
    assert sorted(r["title"] for r in rows) == ['Thi tốt nghiệp THPT 2024',
                                                'Vải thiều Thanh Hà "vào mùa", giá 25.000 đ/kg']
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["filters"] == {"sites": ["baohaiduong"], "date_from": "2024-06-01", "date_to": "2024-06-27"}


def test_since_export_takes_only_new_and_changed(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    first = tmp_path / "first"
    with sessions() as s:
        export_articles(s, ExportOptions(format="jsonl", output=first), archive_dir=tmp_path,
                        now=T0 + timedelta(hours=1))
    later = T0 + timedelta(days=1)
    records = make_records()
    with sessions.begin() as s:
        run = store.start_run(s, "baohaiduong", now=later)
        counts = store.upsert_articles(s, [
            replace(records[0], title="Kim Thành khen thưởng 14 tập thể"),  # changed
            records[1],  # unchanged
            replace(records[3], url="https://baohaiduong.vn/moi-1.html", canonical_url="https://baohaiduong.vn/moi-1.html"),
        ], run_id=run, now=later)
        store.finish_run(s, run, status="ok", counts=store.RunCounts(), now=later + timedelta(minutes=1))
    assert counts == store.UpsertCounts(new=1, updated=1, unchanged=1)
    out = run_export(sessions, tmp_path, "second", format="jsonl", since_export=first)
    rows = [json.loads(x) for x in data_files(out)[0].read_text(encoding="utf-8").splitlines()]
    assert sorted(r["canonical_url"] for r in rows) == [
        "https://baohaiduong.vn/chinh-tri/huyen-uy-kim-thanh-105123.html", "https://baohaiduong.vn/moi-1.html"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["since_export"]["exported_at"] == (T0 + timedelta(hours=1)).isoformat()


def test_all_versions_adds_history_rows(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    url = make_records()[0].canonical_url
    with sessions.begin() as s:
        article = s.scalars(select(Article).where(Article.canonical_url == url)).one()
        old = store.article_to_record(article).as_dict()
        old.update(title="Tiêu đề cũ", published_at="2019-08-06T18:00:00+07:00")
        s.add(ArticleVersion(article_id=article.id, version=1, valid_from=T0 - timedelta(days=3),
                             valid_to=T0, changed_fields=["title"], title="Tiêu đề cũ",
                             text=article.text, content_sha256="b" * 64, data=old, extractor_version="0.0.1"))
        s.execute(update(Article).where(Article.id == article.id).values(version=2))
    out = run_export(sessions, tmp_path, "hist", format="parquet", all_versions=True)
    table = pq.read_table(data_files(out))
    assert table.schema.names[-1] == "version"
    rows = [r for r in table.to_pylist() if r["canonical_url"] == url]
    assert sorted((r["version"], r["title"]) for r in rows) == [
        (1, "Tiêu đề cũ"), (2, "Kim Thành khen thưởng 13 tập thể, 20 cá nhân")]
    old_row = next(r for r in rows if r["version"] == 1)
    assert old_row["published_at"] == datetime(2019, 8, 6, 18, 0, tzinfo=VN_TZ)
    assert old_row["extractor_version"] == "0.0.1" and old_row["content_sha256"] == "b" * 64
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["versions"] == 1 and manifest["counts"]["rows"] == 6


def test_surt_keys() -> None:
    assert surt_key("http://www.baohaiduong.vn/chinh-tri/a.html") == "vn,baohaiduong)/chinh-tri/a.html"
    assert surt_key("http://127.0.0.1:8123/x?b=1&a=2") == "1,0,0,127:8123)/x?a=2&b=1"
    assert surt_key("https://BaoHaiPhong.vn") == "vn,baohaiphong)/"


def _write_source_warc(archive_dir: Path, sm: sessionmaker[Session]) -> dict[str, bytes]:
    """A WARC file as the crawler keeps them, and article rows pointing into it."""
    folder = archive_dir / "captures"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "crawl-1.warc.gz"
    slices: dict[str, bytes] = {}
    with sm.begin() as s, open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(writer.create_warcinfo_record("crawl-1.warc.gz", {"software": "test"}))
        for a in s.scalars(select(Article).order_by(Article.id)):
            body = f"<html><title>{a.title}</title></html>".encode()
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            record = writer.create_warc_record(a.url, "response", payload=io.BytesIO(body), http_headers=headers,
                                               warc_headers_dict={"WARC-Date": "2026-01-02T03:04:05Z"})
            start = fh.tell()
            writer.write_record(record)
            length = fh.tell() - start
            a.capture_warc, a.capture_offset, a.capture_length = "captures/crawl-1.warc.gz", start, length
            a.capture_record_id = record.rec_headers.get_header("WARC-Record-ID")
            a.capture_digest = record.rec_headers.get_header("WARC-Payload-Digest")
    data = path.read_bytes()
    with sm() as s:
        for a in s.scalars(select(Article)):
            assert a.capture_offset is not None and a.capture_length is not None
            slices[a.url] = data[a.capture_offset:a.capture_offset + a.capture_length]
    return slices


def test_warc_export_copies_captures_byte_for_byte(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    slices = _write_source_warc(tmp_path / "archive", sessions)
    out = run_export(sessions, tmp_path, "w", format="warc", shard_size=3)
    shards = data_files(out)
    assert [p.name for p in shards] == ["articles-00000.warc.gz", "articles-00001.warc.gz"]
    index = list((out / "index.cdxj").read_text(encoding="utf-8").splitlines())
    assert index == sorted(index) and len(index) == 5
    responses = 0
    for line in index:
        key, stamp, blob = line.split(" ", 2)
        entry = json.loads(blob)
        assert stamp == "20260102030405" and key == surt_key(entry["url"])
        assert entry["mime"] == "text/html" and entry["status"] == "200"
        assert len(entry["key"]) == 12  # the article's stable key (issue 16)
        raw = (out / entry["filename"]).read_bytes()
        copied = raw[int(entry["offset"]):int(entry["offset"]) + int(entry["length"])]
        assert copied == slices[entry["url"]]  # byte for byte
    for shard in shards:
        with open(shard, "rb") as fh:
            types = [r.rec_type for r in ArchiveIterator(fh)]
        assert types[0] == "warcinfo"
        responses += types.count("response")
    assert responses == 5
    assert verify_export(out).ok


def test_warc_export_counts_articles_without_capture(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    # Articles without a capture are skipped: the WARC export holds what the archive captured.
    out = run_export(sessions, tmp_path, "nw", format="warc")
    assert (out / "index.cdxj").read_text(encoding="utf-8") == ""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["articles"] == 5 and manifest["counts"]["captures"] == 0


@pytest.mark.parametrize("reader", ["pandas", "polars", "duckdb"])
def test_parquet_export_reads_in_other_tools(sessions: sessionmaker[Session], tmp_path: Path, reader: str) -> None:
    module = pytest.importorskip(reader)
    out = run_export(sessions, tmp_path, "r", format="parquet", shard_size=2)
    pattern = str(out / "articles-*.parquet")
    if reader == "pandas":
        frame = module.concat([module.read_parquet(p) for p in data_files(out)])
        titles, published = list(frame["title"]), [t for t in frame["published_at"] if t is not module.NaT]
        assert str(frame["published_at"].dtype) == "datetime64[us, Asia/Ho_Chi_Minh]"
    elif reader == "polars":
        frame = module.read_parquet(pattern)
        titles, published = frame["title"].to_list(), [t for t in frame["published_at"].to_list() if t]
        assert frame["tags"].dtype == module.List(module.String)
    else:
        con = module.connect()
        rows = con.execute(f"SELECT title, published_at, len(tags) FROM read_parquet('{pattern}')").fetchall()
        titles, published = [r[0] for r in rows], [r[1] for r in rows if r[1] is not None]
    assert sorted(titles) == sorted(r["title"] for r in archived(sessions).values())
    assert datetime(2019, 8, 6, 12, 5, 1, tzinfo=UTC) in [p.astimezone(UTC) for p in published]


def test_parquet_export_loads_as_a_hugging_face_dataset(sessions: sessionmaker[Session], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # "loadable as a Hugging Face dataset from the folder": the generated README's data_files
    # header tells `datasets` which files are the data (offline: nothing is fetched).
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    datasets = pytest.importorskip("datasets")
    out = run_export(sessions, tmp_path, "hf", format="parquet", shard_size=2)
    ds = datasets.load_dataset(str(out), split="train", cache_dir=str(tmp_path / "hf-cache"))
    assert sorted(ds["title"]) == sorted(r["title"] for r in archived(sessions).values())
    assert "tags" in ds.column_names and "captions" in ds.column_names


def test_warc_manifest_describes_the_index(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    _write_source_warc(tmp_path / "archive", sessions)
    out = run_export(sessions, tmp_path, "wm", format="warc")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [f["name"] for f in manifest["schema"]["fields"]][:3] == ["url", "mime", "status"]
    assert manifest["counts"]["captures"] == 5
    assert {f["path"] for f in manifest["files"]} == {"articles-00000.warc.gz", "index.cdxj", "README.md"}
    assert "Fields of index.cdxj" in (out / "README.md").read_text(encoding="utf-8")


def test_export_reads_without_mmap_and_restores_the_connection(sessions: sessionmaker[Session],
                                                              tmp_path: Path) -> None:
    # Mapped pages of the database count in RSS: with the search's mmap on, an export's peak
    # memory grew with the archive it read. The export turns it off on its own connection only.
    seen: list[tuple[int, int]] = []
    from pipeline.archive.sqlite import install_sqlite_functions

    engine = sessions.kw["bind"]
    install_sqlite_functions(engine, tune_reads=True)  # as search and the web UI open it
    engine.dispose()
    with sessions() as s:
        conn = s.connection()

        def pragmas() -> tuple[int, int]:
            return (conn.exec_driver_sql("PRAGMA mmap_size").scalar() or 0,
                    conn.exec_driver_sql("PRAGMA cache_size").scalar() or 0)

        before = pragmas()
        assert before[0] > 0, "the engine no longer maps the file; this test checks nothing"
        export_articles(s, ExportOptions(format="jsonl", output=tmp_path / "m"), archive_dir=tmp_path,
                        progress=lambda done, total: seen.append(pragmas()))
        after = pragmas()
    assert seen and all(mmap == 0 and cache == -8 * 1024 for mmap, cache in seen)
    assert after == before
