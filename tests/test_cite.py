"""Citable records and the capture itself (issue 16, items 3 and 4).

Stable keys (revision 0009) on both databases, ``/a/<key>`` pages with the "Trích dẫn / Cite"
block, CSL-JSON and BibTeX, the WARC record, the sandboxed captured page and the Wayback-style
``/web/<timestamp>/<url>`` permalinks, served for real on 127.0.0.1; ``baotinh show <key>`` and
the export's ``key`` column.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from pipeline.archive import db, store
from pipeline.archive.keys import KEY_LENGTH, article_key, assign_keys, is_article_key
from pipeline.archive.models import Article
from pipeline.config import Settings
from pipeline.web import make_app, make_server, open_archive
from pipeline.web.capture import parse_timestamp, wayback_timestamp
from tests.test_damaged_archive import run_in_process
from tests.test_web import Served, _record, build_records, fill_archive, make_writable_engine

ARTICLE_URL = "https://baohaiduong.vn/xa-hoi/bai-1-100001.html"
FIRST_AT = datetime(2026, 11, 1, 3, 0, 0, tzinfo=UTC)
SECOND_AT = datetime(2026, 11, 2, 3, 0, 0, tzinfo=UTC)
# A captured page that would load from outside and run script if it were allowed to.
CAPTURED_HTML = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Bài {n}</title>"
    "<link rel='stylesheet' href='https://cdn.example.com/style.css'>"
    "<script src='https://cdn.example.com/tracker.js'></script>"
    "<script>document.title = 'ran';</script></head><body><h1>Kim Thành bản {n}</h1>"
    "<img src='https://cdn.example.com/photo-{n}.jpg' alt='remote'>"
    "<img src='/img/local-{n}.jpg' alt='relative'>"
    "<p>Nội dung bản lưu số {n}.</p></body></html>"
)


def formula(url: str) -> str:
    """The documented key, written out again here."""
    return base64.b32encode(hashlib.sha256(url.encode("utf-8")).digest()).decode().lower()[:12]


@dataclass
class Site:
    served: Served
    key: str
    article_id: int


def add_two_captures(settings: Settings) -> None:
    """Two captures of article 1 (a day apart); the article's current version is the second."""
    from pipeline.archive.captures import Exchange, WarcFileWriter, add_captures
    from pipeline.record import StoreItem

    writer = WarcFileWriter(settings.archive_dir)
    refs = [writer.write_exchange(Exchange(
        url=ARTICLE_URL, status=200, reason="OK",
        response_headers=(("Content-Type", "text/html; charset=utf-8"),),
        body=CAPTURED_HTML.format(n=n).encode("utf-8"), date=moment)) for n, moment in ((1, FIRST_AT), (2, SECOND_AT))]
    writer.close()
    first = build_records()[0]
    changed = StoreItem(record=_record(1, "baohaiduong", first.title or "", first.text + "\nĐoạn mới thêm.",
                                       content_sha256="e" * 64), capture=refs[1])
    engine = make_writable_engine(settings)
    with db.make_sessionmaker(engine).begin() as session:
        add_captures(session, refs)
        store.upsert_articles(session, [changed], now=datetime.now(UTC) + timedelta(days=1))
    engine.dispose()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = fill_archive(tmp_path_factory.mktemp("cite") / "archive")
    add_two_captures(settings)
    engine = db.make_engine(settings.database_url)
    with engine.connect() as conn:
        article_id, key = conn.execute(text("SELECT id, key FROM articles WHERE url = :u"), {"u": ARTICLE_URL}).one()
    engine.dispose()
    archive = open_archive(settings)
    server = make_server(make_app(archive), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(Served(f"http://127.0.0.1:{server.server_port}", settings), key, article_id)
    finally:
        server.shutdown()
        server.server_close()
        archive.close()


def get_no_redirect(base: str, path: str) -> tuple[int, dict[str, str]]:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    conn.request("GET", path)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp.status, dict(resp.getheaders())


# -- keys -----------------------------------------------------------------------------------
def test_the_key_is_the_documented_formula() -> None:
    url = "https://baohaiduong.vn/chinh-tri/huyen-uy-kim-thanh-105123.html"
    assert article_key(url) == formula(url)
    assert len(article_key(url)) == KEY_LENGTH and is_article_key(article_key(url))
    assert not is_article_key("105123") and not is_article_key("ABCDEFGHIJKL")


def test_a_clash_gets_four_more_characters() -> None:
    urls = ["https://a.vn/1.html", "https://a.vn/2.html"]
    clash = {article_key(urls[1]): "https://elsewhere.vn/x.html"}
    keys = assign_keys(urls, clash.get)
    assert keys[urls[0]] == article_key(urls[0])
    assert keys[urls[1]] == article_key(urls[1], 16)


def test_store_gives_keys_on_both_backends(engine: Engine) -> None:
    """The same records get the same keys in SQLite and PostgreSQL: the key survives a copy."""
    from pipeline.registry.load import load_registry

    with db.make_sessionmaker(engine).begin() as session:
        store.sync_source(session, load_registry().get("baohaiduong"))
        store.sync_source(session, load_registry().get("baohaiphong"))
        store.upsert_articles(session, build_records()[:5])
    with db.make_sessionmaker(engine)() as session:
        rows = session.execute(select(Article.canonical_url, Article.key)).all()
        assert len(rows) == 5 and all(key == formula(url) for url, key in rows)
        found = store.get_article(session, rows[0][1])
        assert found is not None and found.canonical_url == rows[0][0]


def test_migration_backfills_existing_rows(migrated_sqlite: object, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = db.make_engine(url)
    db.upgrade(engine, "0006")
    with engine.begin() as conn:
        for n in (1, 2):
            conn.execute(text(
                "INSERT INTO articles (canonical_url, url, text, tags, captions, images, word_count, content_sha256,"
                " flags, first_seen_at, last_seen_at, version) VALUES (:u, :u, '', '[]', '[]', '[]', 0, 'x', '[]',"
                " '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)"), {"u": f"https://baohaiduong.vn/a-{n}.html"})
    db.upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT canonical_url, key FROM articles ORDER BY id")).all()
    engine.dispose()
    assert [key for _u, key in rows] == [formula(u) for u, _k in rows]


def test_migration_gives_a_clash_four_more_characters() -> None:
    """The frozen clash rule, on a table where two rows were given one key."""
    import importlib

    from sqlalchemy import create_engine

    revision = importlib.import_module("pipeline.archive.migrations.versions.0009_article_keys")
    engine = create_engine("sqlite://")
    urls = ["https://a.vn/1.html", "https://a.vn/2.html", "https://a.vn/3.html"]
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE articles (id INTEGER PRIMARY KEY, canonical_url TEXT, key TEXT)"))
        for n, url in enumerate(urls, 1):
            conn.execute(text("INSERT INTO articles VALUES (:n, :u, NULL)"), {"n": n, "u": url})
        revision.backfill(conn)
        conn.execute(text("UPDATE articles SET key = :k WHERE id = 3"), {"k": formula(urls[0])})  # a clash
        revision.resolve_clashes(conn)
        keys = conn.execute(text("SELECT key FROM articles ORDER BY id")).scalars().all()
    assert keys == [formula(urls[0]), formula(urls[1]), article_key(urls[2], 16)]


# -- pages ----------------------------------------------------------------------------------
def test_old_article_address_redirects_to_the_key(site: Site) -> None:
    status, headers = get_no_redirect(site.served.base_url, f"/articles/{site.article_id}?lang=en")
    assert status == 301 and headers["Location"] == f"/a/{site.key}?lang=en"
    assert site.served.get("/a/aaaaaaaaaaaa")[0] == 404


def test_search_hits_carry_the_key_and_link_to_it(site: Site) -> None:
    status, data = site.served.json("/api/search?q=kim")
    assert status == 200 and isinstance(data, dict) and data["hits"]
    first = data["hits"][0]
    assert first["key"] == article_key(first["canonical_url"])
    status, page = site.served.html("/search?q=kim")
    assert status == 200 and f'href="/a/{first["key"]}' in page


def test_article_page_has_the_cite_block(site: Site) -> None:
    status, page = site.served.html(f"/a/{site.key}")
    assert status == 200 and 'id="cite"' in page and "Trích dẫn" in page
    reference = page.split('id="cite-text">')[1].split("</p>")[0]
    assert "“Thanh Hà" in reference or "“" in reference
    assert "Báo Hải Dương" in reference and ARTICLE_URL in reference
    assert f"Lưu trữ ngày 01/11/2026: {site.served.base_url}/a/{site.key}" in reference
    assert f'href="/a/{site.key}.csl.json"' in page and f'href="/a/{site.key}.bib"' in page
    assert f'href="/web/{wayback_timestamp(SECOND_AT)}/{ARTICLE_URL}"' in page
    captures = page.split('id="captures"')[1].split("</ol>")[0]  # every capture, oldest first
    assert captures.index(wayback_timestamp(FIRST_AT)) < captures.index(wayback_timestamp(SECOND_AT))
    status, english = site.served.html(f"/a/{site.key}?lang=en")
    assert status == 200 and "Archived 1 November 2026" in english and ">Cite<" in english


def test_csl_json_and_bibtex(site: Site) -> None:
    status, headers, body = site.served.get(f"/a/{site.key}.csl.json")
    assert status == 200 and headers["Content-Type"] == "application/vnd.citationstyles.csl+json"
    item = json.loads(body)[0]
    assert item["id"] == site.key and item["type"] == "article-newspaper"
    assert item["container-title"] == "Báo Hải Dương" and item["URL"] == ARTICLE_URL
    assert item["accessed"] == {"date-parts": [[2026, 11, 1]]} and item["archive_location"].endswith(site.key)
    status, headers, body = site.served.get(f"/a/{site.key}.bib")
    bib = body.decode("utf-8")
    assert status == 200 and bib.startswith(f"@online{{{site.key},") and "urldate = {2026-11-01}" in bib
    assert "author = {{Hoàng Văn}}" in bib and bib.count("{") == bib.count("}")


def test_api_article_by_key(site: Site) -> None:
    status, data = site.served.json(f"/api/a/{site.key}")
    assert status == 200 and isinstance(data, dict)
    assert data["key"] == site.key and data["id"] == site.article_id and "duplicate_of" in data
    capture = data["capture"]
    assert capture["id"].startswith("<urn:uuid:") and capture["warc_filename"].endswith(".warc.gz")
    assert capture["payload_digest"].startswith("sha1:") and capture["offset"] >= 0
    assert capture["fetched_at"].startswith("2026-11-02T10:00:00+07:00")
    assert [v["version"] for v in data["versions"]] == [1] and "text" in data["versions"][0]["changed_fields"]
    same = site.served.json(f"/api/articles/{site.article_id}")[1]
    assert isinstance(same, dict) and same["key"] == site.key and same["capture"] == capture
    schema = site.served.json("/api/openapi.json")[1]
    assert isinstance(schema, dict) and "/api/a/{key}" in schema["paths"]
    assert set(data) <= set(schema["components"]["schemas"]["Article"]["properties"])
    assert site.served.json("/api/a/NOT-A-KEY")[0] == 400
    assert site.served.json("/api/a/aaaaaaaaaaaa")[0] == 404


def test_warc_record_download_reads_in_warcio(site: Site) -> None:
    from warcio.archiveiterator import ArchiveIterator

    status, headers, body = site.served.get(f"/a/{site.key}/capture.warc")
    assert status == 200 and headers["Content-Type"] == "application/warc"
    records = [(r.rec_type, r.rec_headers, r.content_stream().read()) for r in ArchiveIterator(io.BytesIO(body))]
    assert [rec_type for rec_type, _h, _b in records] == ["response"]
    _type, headers, content = records[0]
    assert headers.get_header("WARC-Target-URI") == ARTICLE_URL
    assert headers.get_header("WARC-Payload-Digest").startswith("sha1:")
    assert b"Kim Th\xc3\xa0nh b\xe1\xba\xa3n 2" in content


def test_captured_view_is_sandboxed_under_a_banner(site: Site) -> None:
    status, page = site.served.html(f"/a/{site.key}/captured")
    assert status == 200 and 'id="captured-banner"' in page and ARTICLE_URL in page
    assert "02/11/2026 10:00" in page and 'sandbox=""' in page
    raw_path = f"/web/{wayback_timestamp(SECOND_AT)}id_/{ARTICLE_URL}"
    assert f'src="{raw_path}"' in page
    status, headers, body = site.served.get(raw_path)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Security-Policy"] == (
        "sandbox; default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'")
    assert b"Kim Th\xc3\xa0nh b\xe1\xba\xa3n 2" in body


def test_wayback_permalinks_pick_the_capture_at_or_before(site: Site) -> None:
    base = site.served.base_url
    first, second = wayback_timestamp(FIRST_AT), wayback_timestamp(SECOND_AT)
    status, page = site.served.html(f"/web/{first}/{ARTICLE_URL}")
    assert status == 200 and f"/web/{first}id_/{ARTICLE_URL}" in page
    # Between the two captures: the first; after both: the second; before any: the first.
    for asked, exact in (("20261101120000", first), ("2027", second), ("2020", first)):
        status, headers = get_no_redirect(base, f"/web/{asked}/{ARTICLE_URL}")
        assert status == 302 and headers["Location"] == f"/web/{exact}/{ARTICLE_URL}", asked
    body = site.served.get(f"/web/{first}id_/{ARTICLE_URL}")[2]
    assert b"b\xe1\xba\xa3n 1" in body
    assert site.served.get(f"/web/{first}/https://baohaiduong.vn/none.html")[0] == 404
    assert site.served.get(f"/web/abc/{ARTICLE_URL}")[0] == 404


def test_timestamps() -> None:
    assert parse_timestamp("20190806120501") == datetime(2019, 8, 6, 12, 5, 1, tzinfo=UTC)
    assert parse_timestamp("201902") == datetime(2019, 2, 28, 23, 59, 59, tzinfo=UTC)
    assert parse_timestamp("20191332000000") is None and parse_timestamp("19") is None


# -- command line and export ----------------------------------------------------------------
def test_show_by_key_and_export_key_column(site: Site, tmp_path: Path) -> None:
    archive = site.served.settings.archive_dir
    result = run_in_process(("show", site.key, "--json"), archive, tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["key"] == site.key and data["id"] == site.article_id
    assert run_in_process(("show", str(site.article_id), "--json"), archive, tmp_path).returncode == 0
    missing = run_in_process(("show", "aaaaaaaaaaaa"), archive, tmp_path)
    assert missing.returncode == 2 and missing.stderr.startswith("error:")
    result = run_in_process(("export", "--format", "jsonl", "--output", "{out}"), archive, tmp_path)
    assert result.returncode == 0, result.stderr
    files = sorted((tmp_path / "out").glob("articles-*.jsonl"))
    rows = [json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines()]
    assert rows and all(r["key"] == formula(r["canonical_url"]) for r in rows)
