"""A small archive for the province and browsing tests (issue 16): Báo Hải Dương before and
after the July 2025 merger, Báo Hải Phòng, an undated article, and enough articles for paging.

Built once per session as a template (``db_templates``), copied per module; the WARC captures
the export needs are written beside the copy by :func:`write_captures`.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.archive import db, store
from pipeline.archive.models import Article
from pipeline.record import ArticleRecord
from pipeline.registry.load import load_registry
from pipeline.text.dates import VN_TZ

# First seen in 2026: an undated article first seen then has no known province at publication.
NOW = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
HD_2019 = "https://baohaiduong.vn/chinh-tri/huyen-uy-kim-thanh-105123.html"
HD_2025 = "https://baohaiduong.vn/xa-hoi/kim-thanh-sau-sap-nhap-130001.html"
HD_UNDATED = "https://baohaiduong.vn/xa-hoi/kim-thanh-khong-ngay-130002.html"
HP_2019 = "https://baohaiphong.vn/kinh-te/cang-hai-phong-200001.html"
LEAD = "Từ năm 2016 đến nay, Đảng bộ huyện Kim Thành chọn 4 công việc đột phá."


def record(url: str, title: str, published: datetime | None, **extra: object) -> ArticleRecord:
    site = "baohaiduong" if "baohaiduong" in url else "baohaiphong"
    text = str(extra.pop("text", f"{LEAD}\nSáng 6.8, Huyện ủy Kim Thành tổ chức hội nghị.\nBài: {title}."))
    values: dict[str, object] = {
        "url": url, "canonical_url": url, "site": site, "title": title, "description": LEAD,
        "author": "Hoàng Văn", "published_at": published, "section": "Chính trị", "tags": ("Kim Thành",),
        "language": "vi", "text": text, "word_count": len(text.split()),
        "content_sha256": hashlib.sha256(url.encode()).hexdigest(), "fetched_at": NOW,
        "date_source": "visible" if published else None, "extractor_version": "1.0",
    }
    values.update(extra)
    return ArticleRecord(**values)  # type: ignore[arg-type]


def build_records() -> list[ArticleRecord]:
    records = [
        record(HD_2019, "Huyện ủy Kim Thành sơ kết Chỉ thị 05", datetime(2019, 8, 6, 19, 5, 1, tzinfo=VN_TZ),
               tags=("Kim Thành", "Học tập và làm theo Bác"), date_source="meta+visible"),
        record(HD_2025, "Kim Thành sau sáp nhập tỉnh", datetime(2025, 8, 2, 9, 0, tzinfo=VN_TZ),
               section="Xã hội", author="Nguyễn Đức"),
        record(HD_UNDATED, "Kim Thành: bài không ngày", None, section="Xã hội"),
        record(HP_2019, "Cảng Hải Phòng đón tàu lớn", datetime(2019, 9, 1, 8, 0, tzinfo=VN_TZ),
               section="Kinh tế", tags=("Cảng biển",), author="Lê Hà"),
    ]
    # Enough articles of one month for two pages of 20 on the search page.
    records += [record(f"https://baohaiduong.vn/van-hoa/le-hoi-{n}-{140000 + n}.html",
                       f"Lễ hội làng số {n}", datetime(2021, 3, 1 + n % 28, 7, 0, tzinfo=VN_TZ),
                       section="Văn hóa", tags=("Lễ hội",), text=f"Lễ hội làng số {n} ở Kim Thành.")
               for n in range(1, 24)]
    return records


def fill(engine: Engine) -> None:
    """The records of :func:`build_records` and their papers' sources rows."""
    registry = load_registry()
    with db.make_sessionmaker(engine).begin() as session:
        for site_id in ("baohaiduong", "baohaiphong"):
            store.sync_source(session, registry.get(site_id), now=NOW)
        store.upsert_articles(session, build_records(), now=NOW)


def write_captures(archive_dir: Path, sm: sessionmaker[Session]) -> None:
    """A WARC file as the crawler keeps them, and the articles' capture columns pointing into it."""
    folder = archive_dir / "captures"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "crawl-1.warc.gz"
    with sm.begin() as s, open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(writer.create_warcinfo_record("crawl-1.warc.gz", {"software": "test"}))
        for a in s.scalars(select(Article).order_by(Article.id)):
            body = f"<html><title>{a.title}</title></html>".encode()
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                       protocol="HTTP/1.1")
            rec = writer.create_warc_record(a.url, "response", payload=io.BytesIO(body), http_headers=headers,
                                            warc_headers_dict={"WARC-Date": "2026-11-01T10:00:00Z"})
            start = fh.tell()
            writer.write_record(rec)
            a.capture_warc, a.capture_offset = "captures/crawl-1.warc.gz", start
            a.capture_length = fh.tell() - start
            a.capture_record_id = rec.rec_headers.get_header("WARC-Record-ID")
            a.capture_digest = rec.rec_headers.get_header("WARC-Payload-Digest")
