"""The web UI and JSON API, served for real on 127.0.0.1 over a real SQLite archive."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from pipeline.archive import db, store
from pipeline.archive.sqlite import install_sqlite_functions
from pipeline.config import Settings
from pipeline.record import ArticleRecord, Image
from pipeline.registry.load import load_registry
from pipeline.text.dates import VN_TZ
from pipeline.web import make_app, make_server, open_archive
from pipeline.web.i18n import LANGUAGES, pick_language

HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_IMG = '"><img src=x onerror=alert(1)>'
XSS_TITLE = f"Tin giả {HOSTILE_SCRIPT} ở Kim Thành"
PLACES = ("Kim Thành", "Thanh Hà", "Cẩm Giàng", "Kinh Môn", "Chí Linh", "Tứ Kỳ")
TOPICS = ("xây dựng nông thôn mới", "thu hoạch vải thiều", "tiêm vắc xin cho trẻ",
          "khai giảng năm học mới", "tiếp xúc cử tri")


def _record(n: int, site: str, title: str, text: str, **extra: object) -> ArticleRecord:
    domain = "baohaiduong.vn" if site == "baohaiduong" else "baohaiphong.vn"
    values: dict[str, object] = {
        "url": f"https://{domain}/xa-hoi/bai-{n}-{100000 + n}.html",
        "canonical_url": f"https://{domain}/xa-hoi/bai-{n}-{100000 + n}.html",
        "site": site, "title": title, "description": f"Sapo của bài {n}.", "author": "Hoàng Văn",
        "published_at": datetime(2023 + n % 3, 1 + n % 12, 1 + n % 27, 8, 30, tzinfo=VN_TZ),
        "section": "Xã hội", "tags": ("Hải Dương",), "language": "vi", "text": text,
        "captions": (f"Ảnh minh hoạ {n}",),
        "images": (Image(url=f"https://{domain}/img/{n}.jpg", caption=f"Ảnh minh hoạ {n}"),),
        "word_count": len(text.split()), "content_sha256": f"{n:064d}",
        "fetched_at": datetime(2026, 11, 1, 10, 0, tzinfo=UTC),
        "date_source": "meta", "extractor_version": "1.0",
    }
    values.update(extra)
    return ArticleRecord(**values)  # type: ignore[arg-type]


def build_records() -> list[ArticleRecord]:
    """About thirty articles with Vietnamese titles, two of them carrying hostile HTML."""
    records = []
    for n in range(1, 33):
        place, topic = PLACES[n % len(PLACES)], TOPICS[n % len(TOPICS)]
        site = "baohaiduong" if n % 3 else "baohaiphong"
        body = (f"Huyện {place} đẩy mạnh {topic}.\nNgười dân {place} phấn khởi.\n"
                f"Đoạn thứ ba nói về {topic} năm {2023 + n % 3}.")
        records.append(_record(n, site, f"{place}: {topic} (bài {n})", body))
    records.append(_record(
        90, "baohaiduong", XSS_TITLE,
        f"Đoạn đầu {HOSTILE_SCRIPT}\nĐoạn hai {HOSTILE_IMG} Kim Thành",
        author=f"Phóng viên {HOSTILE_IMG}", description=f"Sapo {HOSTILE_SCRIPT}",
        captions=(f"Chú thích {HOSTILE_SCRIPT}",),
        images=(Image(url="javascript:alert(1)", caption=f"Chú thích {HOSTILE_SCRIPT}"),),
        section=f"Mục {HOSTILE_IMG}", tags=(HOSTILE_SCRIPT,), source_agency=HOSTILE_IMG,
        flags=("<b>flag</b>",),
    ))
    records.append(_record(91, "baohaiphong", f"Tiêu đề {HOSTILE_IMG}", f"Nội dung {HOSTILE_IMG} Kim Thành"))
    return records


def make_writable_engine(settings: Settings) -> Engine:
    """An engine that can write articles (the FTS triggers call ``baotinh_fold``)."""
    engine = db.make_engine(settings.database_url)
    install_sqlite_functions(engine)
    return engine


def fill_archive(archive_dir: Path, db_url: str | None = None) -> Settings:
    """An archive (SQLite in ``archive_dir``, or ``db_url``) holding :func:`build_records`."""
    settings = Settings(archive_dir=archive_dir, db_url=db_url)
    engine = make_writable_engine(settings)
    db.upgrade(engine)
    registry = load_registry()
    with db.make_sessionmaker(engine).begin() as session:
        for site_id in ("baohaiduong", "baohaiphong"):
            store.sync_source(session, registry.get(site_id))
        store.upsert_articles(session, build_records())
    engine.dispose()
    return settings


@dataclass
class Served:
    base_url: str
    settings: Settings

    def get(self, path: str, *, headers: dict[str, str] | None = None,
            method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        req = urllib.request.Request(self.base_url + path, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def json(self, path: str) -> tuple[int, object]:
        status, _headers, body = self.get(path)
        return status, json.loads(body)

    def html(self, path: str, **kw: object) -> tuple[int, str]:
        status, headers, body = self.get(path, **kw)  # type: ignore[arg-type]
        assert headers["Content-Type"].startswith("text/html"), headers
        return status, body.decode("utf-8")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    settings = fill_archive(tmp_path_factory.mktemp("web") / "archive")
    archive = open_archive(settings)
    server = make_server(make_app(archive), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_port}", settings)
    finally:
        server.shutdown()
        server.server_close()
        archive.close()


def _article_id(served: Served, title_start: str) -> int:
    engine = db.make_engine(served.settings.database_url)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT id FROM articles WHERE title LIKE :t"), {"t": title_start + "%"}).scalar()
    engine.dispose()
    assert found is not None
    return int(found)


class _TextAndScripts(HTMLParser):
    """The visible text of a page, its <script> elements and any on* attribute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[tuple[str, str]] = []
        self.bad_urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
            if name in ("href", "src") and value and value.strip().lower().startswith("javascript:"):
                self.bad_urls.append(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_page(html: str) -> _TextAndScripts:
    parser = _TextAndScripts()
    parser.feed(html)
    return parser


# -- search page and API --------------------------------------------------------------------
def test_search_page_lists_hits_with_highlights(served: Served) -> None:
    status, page = served.html("/?q=kim+thanh")
    assert status == 200
    assert '<html lang="vi">' in page
    assert "Kim Thành" in page and "<mark>" in page
    assert 'id="hits"' in page and "kết quả" in page
    # Facets link to filtered searches; the site facet shows the paper's name.
    assert 'id="facet-site"' in page and "site=baohaiduong" in page
    assert 'id="facet-year"' in page and "from=2024-01-01" in page


def test_search_page_paginates_20_a_page(served: Served) -> None:
    status, data = served.json("/api/search?site=baohaiduong&limit=100")
    assert status == 200 and isinstance(data, dict)
    total = data["total"]
    assert total > 20
    _status, page1 = served.html("/?site=baohaiduong&sort=newest")
    assert page1.count('class="hit"') == 20 and 'id="next-page"' in page1
    _status, page2 = served.html("/?site=baohaiduong&sort=newest&page=2")
    assert page2.count('class="hit"') == total - 20 and 'id="prev-page"' in page2
    assert '<ol class="hits" id="hits" start="21">' in page2


def test_search_page_filters_by_site_and_keeps_the_form(served: Served) -> None:
    _status, page = served.html("/?q=kim+thanh&site=baohaiphong")
    assert '<option value="baohaiphong" selected>' in page
    assert 'value="kim thanh"' in page
    parser = parse_page(page)
    visible = " ".join(parser.text)
    assert "Báo Hải Phòng" in visible or "baohaiphong" in visible


def test_api_search_shape(served: Served) -> None:
    status, data = served.json("/api/search?q=Kim%20Th%C3%A0nh&facets=1&limit=5")
    assert status == 200 and isinstance(data, dict)
    assert set(data) == {"total", "total_is_estimate", "hits", "facets", "parsed_query"}
    assert data["total"] >= 5 and len(data["hits"]) == 5 and data["total_is_estimate"] is False
    hit = data["hits"][0]
    assert {"id", "url", "title", "site", "site_name", "province", "published_at", "snippet"} <= set(hit)
    assert any(piece["match"] for piece in hit["snippet"])
    assert {"site", "province", "year"} <= set(data["facets"])
    assert all({"value", "count"} == set(f) for f in data["facets"]["site"])
    # The same words without diacritics find the same articles.
    _s, folded = served.json("/api/search?q=kim+thanh&limit=100")
    _s, marked = served.json("/api/search?q=KIM+TH%C3%80NH&limit=100")
    assert isinstance(folded, dict) and isinstance(marked, dict)
    assert {h["id"] for h in folded["hits"]} == {h["id"] for h in marked["hits"]}


# The search core may read some malformed shapes literally (issue 4 allows either); a lone
# operator has no literal reading. Never a 500, never an engine error.
@pytest.mark.parametrize("query,always_400", [
    ("OR", True), ("kim OR", True), ("kim AND OR", True),
    ('"kim thanh', False), ("NEAR(", False), ('kim" OR "', False), ("title:kim", False), ("*", False),
])
def test_malformed_queries_are_400_json(served: Served, query: str, always_400: bool) -> None:
    status, headers, body = served.get("/api/search?" + urllib.parse.urlencode({"q": query}))
    assert headers["Content-Type"].startswith("application/json")
    data = json.loads(body)
    if status == 400:
        assert data["code"] == "bad_query" and data["error"]
        assert "Traceback" not in data["error"] and "sqlite" not in data["error"].lower()
    else:
        assert not always_400 and status == 200, (query, status, data)
        assert set(data) == {"total", "total_is_estimate", "hits", "facets", "parsed_query"}


def test_malformed_query_on_the_page_is_a_message(served: Served) -> None:
    status, page = served.html("/?q=kim+OR")
    assert status == 400
    assert 'id="query-error"' in page and "Traceback" not in page


@pytest.mark.parametrize("params", ["limit=0", "limit=abc", "offset=-1", "sort=random", "from=2024-13-01",
                                    "from=2025-01-01&to=2024-01-01", "facets=maybe", "limit=1&limit=2"])
def test_bad_parameters_are_400_json(served: Served, params: str) -> None:
    status, data = served.json("/api/search?q=kim&" + params)
    assert status == 400 and isinstance(data, dict)
    assert data["code"] == "bad_parameter" and data["error"]


def test_bad_page_parameter_on_the_page(served: Served) -> None:
    status, page = served.html("/?q=kim&page=0")
    assert status == 400 and 'role="alert"' in page


# -- articles -------------------------------------------------------------------------------
def test_api_article(served: Served) -> None:
    article_id = _article_id(served, "Kim Thành")
    status, data = served.json(f"/api/articles/{article_id}")
    assert status == 200 and isinstance(data, dict)
    assert data["id"] == article_id and data["site"] in ("baohaiduong", "baohaiphong")
    assert data["site_name"] and data["province_now"] == "Hải Phòng"
    assert data["province"] == ("Hải Dương" if data["site"] == "baohaiduong" else "Hải Phòng")
    assert data["published_at"].endswith("+07:00")
    assert data["images"][0]["caption"].startswith("Ảnh minh hoạ")


@pytest.mark.parametrize("path,status,code", [
    ("/api/articles/999999", 404, "not_found"),
    ("/api/articles/abc", 400, "bad_parameter"),
    ("/api/articles/0", 400, "bad_parameter"),
    ("/api/nothing", 404, "not_found"),
])
def test_api_errors(served: Served, path: str, status: int, code: str) -> None:
    got, data = served.json(path)
    assert got == status and isinstance(data, dict) and data["code"] == code


def test_article_page(served: Served) -> None:
    article_id = _article_id(served, "Thanh Hà")  # a baohaiduong article
    status, page = served.html(f"/articles/{article_id}")
    assert status == 200
    parser = parse_page(page)
    assert parser.scripts == [{"src": "/static/app.js", "defer": None}]
    assert page.count("<p>") >= 3  # the text as paragraphs
    assert "<dd>Hải Dương</dd>" in page and "<dd>Hải Phòng</dd>" in page  # province then and now
    assert "(+07:00)" in page and "<time datetime=" in page
    assert 'rel="noopener noreferrer nofollow"' in page
    assert "<img" not in page  # remote images are linked, never loaded
    assert 'id="captions"' in page and "Ảnh minh hoạ" in page
    assert 'id="versions-heading"' not in page or "Các phiên bản" in page


def test_unknown_article_is_404_page(served: Served) -> None:
    status, page = served.html("/articles/999999")
    assert status == 404 and "Không tìm thấy" in page
    status, _page = served.html("/articles/abc")
    assert status == 404


def test_every_field_is_escaped(served: Served) -> None:
    article_id = _article_id(served, "Tin giả")
    for path in (f"/articles/{article_id}", "/?q=kim+thanh", "/?q=tin+gia", "/?q=tieu+de"):
        status, page = served.html(path)
        assert status == 200, path
        parser = parse_page(page)
        assert len(parser.scripts) == 1, (path, parser.scripts)  # only our own app.js
        assert parser.handlers == [] and parser.bad_urls == [], path
        assert "<script>alert" not in page and "<img src=x" not in page, path
    _status, page = served.html(f"/articles/{article_id}")
    visible = "".join(parse_page(page).text)
    for field_text in (XSS_TITLE, f"Phóng viên {HOSTILE_IMG}", f"Chú thích {HOSTILE_SCRIPT}",
                       f"Đoạn đầu {HOSTILE_SCRIPT}", f"Sapo {HOSTILE_SCRIPT}", f"Mục {HOSTILE_IMG}",
                       "<b>flag</b>"):
        assert field_text in visible, field_text
    assert "javascript:alert(1)" in visible  # shown as text, not linked


def test_query_text_is_escaped_in_the_form(served: Served) -> None:
    status, page = served.html("/?" + urllib.parse.urlencode({"q": HOSTILE_IMG, "author": HOSTILE_SCRIPT}))
    assert status in (200, 400)
    parser = parse_page(page)
    assert len(parser.scripts) == 1 and parser.handlers == []


# -- languages, methods, static files, OpenAPI -----------------------------------------------
def test_english_interface(served: Served) -> None:
    _status, page = served.html("/?lang=en&q=kim+thanh")
    assert '<html lang="en">' in page and "Search the archive" in page and "results" in page
    assert '<input type="hidden" name="lang" value="en">' in page
    assert "lang=en" in page.split('id="hits"')[1]  # result links keep the language
    _status, page = served.html("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in page
    _status, page = served.html("/", headers={"Accept-Language": "fr, vi;q=0.5"})
    assert '<html lang="vi">' in page and 'hreflang="en"' in page


def test_every_language_has_every_string() -> None:
    assert set(LANGUAGES["vi"]) == set(LANGUAGES["en"])
    assert pick_language("en", "vi") == "en" and pick_language("xx", None) == "vi"
    assert pick_language(None, "en;q=0") == "vi"


def test_only_get_and_head(served: Served) -> None:
    for method in ("POST", "PUT", "DELETE"):
        status, headers, _body = served.get("/", method=method)
        assert status == 405 and headers["Allow"] == "GET, HEAD"
        status, headers, body = served.get("/api/search", method=method)
        assert status == 405 and json.loads(body)["code"] == "method_not_allowed"
    status, headers, body = served.get("/?q=kim", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 1000


def test_security_headers_and_static(served: Served) -> None:
    status, headers, _body = served.get("/")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, headers, body = served.get("/static/style.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css") and b"mark" in body
    status, _headers, _body = served.get("/static/../app.py")
    assert status == 404


def test_openapi_document(served: Served) -> None:
    status, doc = served.json("/api/openapi.json")
    assert status == 200 and isinstance(doc, dict)
    assert doc["openapi"].startswith("3.1")
    assert {"/api/search", "/api/articles/{id}"} <= set(doc["paths"])
    search_op = doc["paths"]["/api/search"]["get"]
    names = {p["name"] for p in search_op["parameters"]}
    assert {"q", "site", "province", "from", "to", "author", "section", "sort", "limit", "offset",
            "facets"} <= names
    assert {"200", "400"} <= set(search_op["responses"])
    # Every $ref resolves inside the document.
    refs: list[str] = []

    def collect(node: object) -> None:
        if isinstance(node, dict):
            refs.extend(v for k, v in node.items() if k == "$ref")
            for v in node.values():
                collect(v)
        elif isinstance(node, list):
            for v in node:
                collect(v)

    collect(doc)
    assert refs
    for ref in refs:
        target: object = doc
        for part in ref.removeprefix("#/").split("/"):
            assert isinstance(target, dict) and part in target, ref
            target = target[part]


def test_server_error_is_generic_json(served: Served, tmp_path: Path) -> None:
    """A broken archive gives 500 with a generic message, never a stack trace."""
    settings = fill_archive(tmp_path / "broken")
    archive = open_archive(settings)
    # Drop the table under the running app (a writable connection: the app's own is read-only).
    engine = db.make_engine(settings.database_url)
    with engine.begin() as conn:
        conn.execute(text("PRAGMA foreign_keys=OFF"))
        conn.execute(text("ALTER TABLE sources RENAME TO sources_gone"))
    engine.dispose()
    server = make_server(make_app(archive), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        broken = Served(f"http://127.0.0.1:{server.server_port}", settings)
        status, data = broken.json("/api/articles/1")
        assert status == 500 and isinstance(data, dict)
        assert data == {"error": "internal error; it has been logged", "code": "server_error"}
        status, page = broken.html("/?q=kim")
        assert status == 500 and "Traceback" not in page and "sources" not in page
    finally:
        server.shutdown()
        server.server_close()
        archive.close()


def test_archive_is_opened_read_only(served: Served) -> None:
    archive = open_archive(served.settings)
    try:
        with (
            archive.engine.connect() as conn,
            pytest.raises(Exception, match="readonly|read-only|query_only|attempt to write"),
        ):
            conn.execute(text("DELETE FROM articles"))
    finally:
        archive.close()


def test_serve_refuses_a_missing_archive(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    result = run_cli("serve", "--port", "0", archive=tmp_path / "none")
    assert result.returncode == 66, result.stderr  # EX_NOINPUT (issue 14, item 7)
    assert "no archive at" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "none").exists()


def test_versions_and_raw_capture(tmp_path: Path) -> None:
    """An article crawled twice with a WARC capture: versions listed, capture streamed as text."""
    from pipeline.archive.captures import Exchange, WarcFileWriter, add_captures
    from pipeline.record import StoreItem

    settings = fill_archive(tmp_path / "archive")
    page = f"<html><body><h1>Bản gốc {HOSTILE_SCRIPT}</h1></body></html>".encode()
    writer = WarcFileWriter(settings.archive_dir)
    ref = writer.write_exchange(Exchange(
        url="https://baohaiduong.vn/xa-hoi/bai-1-100001.html", status=200, reason="OK",
        response_headers=(("Content-Type", "text/html; charset=utf-8"),), body=page,
        date=datetime(2026, 11, 2, tzinfo=UTC)))
    writer.close()
    first = build_records()[0]
    changed = StoreItem(record=_record(1, "baohaiduong", first.title or "", first.text + "\nĐoạn mới thêm.",
                                       content_sha256="f" * 64), capture=ref)
    engine = make_writable_engine(settings)
    with db.make_sessionmaker(engine).begin() as session:
        add_captures(session, [ref])
        store.upsert_articles(session, [changed], now=datetime.now(UTC) + timedelta(days=1))
    article_id = _article_id(Served("", settings), first.title or "")
    engine.dispose()

    archive = open_archive(settings)
    assert archive.features.has_versions and archive.features.has_captures
    server = make_server(make_app(archive), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        served = Served(f"http://127.0.0.1:{server.server_port}", settings)
        status, html_page = served.html(f"/articles/{article_id}")
        assert status == 200
        assert 'id="versions"' in html_page and "<th scope=\"col\">version</th>" in html_page
        versions_html = html_page.split('id="versions"')[1]
        assert "<td>1</td>" in versions_html and "(+07:00)</time>" in versions_html
        assert "text" in versions_html  # changed_fields names the text
        assert '/capture.warc" id="capture-link"' in html_page  # the WARC record (issue 16)
        status, headers, body = served.get(f"/articles/{article_id}/capture")
        assert status == 200 and headers["Content-Type"] == "text/plain; charset=utf-8"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert body == page
        other = _article_id(served, "Cẩm Giàng")
        status, html_page = served.html(f"/articles/{other}/capture")
        assert status == 404 and "Không có bản lưu gốc" in html_page
    finally:
        server.shutdown()
        server.server_close()
        archive.close()


def test_serve_command_prints_url_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    settings = fill_archive(tmp_path / "archive")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOTINH_")}
    env.update(BAOTINH_ARCHIVE=str(settings.archive_dir), PYTHONPATH=os.pathsep.join(["src", "."]))
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "serve", "--port", "0", "--lang", "en"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=root)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().decode().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/?lang=en"), url
        with urllib.request.urlopen(url, timeout=30) as resp:
            assert resp.status == 200 and "Search the archive" in resp.read().decode()
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert b"stopped" in err and b"Traceback" not in err


def _serve_archive(settings: Settings) -> tuple[Served, object]:
    archive = open_archive(settings)
    server = make_server(make_app(archive), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        archive.close()

    return Served(f"http://127.0.0.1:{server.server_port}", settings), stop


def test_postgresql_gives_the_same_answers(served: Served, pg_migrated_url: str, tmp_path: Path) -> None:
    """The API over PostgreSQL: the same hits as over SQLite, and a read-only connection."""
    settings = fill_archive(tmp_path / "pg-archive", db_url=pg_migrated_url)
    pg, stop = _serve_archive(settings)
    try:
        for query in ("kim+thanh", "v%E1%BA%A3i+thi%E1%BB%81u", "kim+thanh&site=baohaiphong&sort=newest"):
            _s, on_sqlite = served.json(f"/api/search?q={query}&limit=100")
            status, on_pg = pg.json(f"/api/search?q={query}&limit=100")
            assert status == 200 and isinstance(on_pg, dict) and isinstance(on_sqlite, dict)
            assert on_pg["total"] == on_sqlite["total"] > 0
            assert sorted(h["canonical_url"] for h in on_pg["hits"]) == sorted(
                h["canonical_url"] for h in on_sqlite["hits"])
        status, data = pg.json("/api/search?q=OR")
        assert status == 400 and isinstance(data, dict) and data["code"] == "bad_query"
        article_id = _article_id(Served("", settings), "Tin giả")
        status, page = pg.html(f"/articles/{article_id}")
        assert status == 200 and "<script>alert" not in page and "&lt;script&gt;alert(1)" in page
    finally:
        stop()  # type: ignore[operator]
    archive = open_archive(settings)
    try:
        with archive.engine.connect() as conn, pytest.raises(Exception, match="read-only"):
            conn.execute(text("DELETE FROM articles"))
    finally:
        archive.close()


def test_back_link_returns_to_the_same_results(served: Served) -> None:
    _status, page = served.html("/?q=kim+thanh&site=baohaiphong&sort=newest")
    first_link = page.split('<li class="hit"><h3><a href="', 1)[1].split('"', 1)[0]
    assert "back=" in first_link
    status, article = served.html(first_link.replace("&amp;", "&"))
    assert status == 200
    back = article.split('id="back-link" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert back.startswith("/?") and "q=kim+thanh" in back and "site=baohaiphong" in back
    # Only a query string of the search page is accepted: never another path or site.
    status, article = served.html(first_link.split("?")[0] + "?back=//evil.example/x%3Fq%3D1")
    back = article.split('id="back-link" href="', 1)[1].split('"', 1)[0]
    assert back.startswith("/") and not back.startswith("//") and "evil" not in back
