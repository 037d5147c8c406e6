"""The archivist's browsing (issue 16, item 6): facets by section, author, tag and month, numbered
paging, every view as .json and .csv, streamed capped downloads, errors in the UI's language,
the lead once, and where a date came from in words."""

from __future__ import annotations

import csv
import io
import json
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.archive.models import Article
from pipeline.config import ConfigError, Settings
from pipeline.search import QueryError
from pipeline.web import WebApp, make_app, make_server, open_archive
from pipeline.web.api import BadParameter
from pipeline.web.app import Request, Response
from pipeline.web.i18n import localise_error
from pipeline.web.pages import PageContext, body_without_lead, date_source_words
from pipeline.web.paging import page_numbers
from tests.conftest import TemplateDatabases
from tests.province_archive import HD_2019, LEAD, fill

# -- pure pieces ----------------------------------------------------------------------------------


def test_page_numbers() -> None:
    assert page_numbers(1, 17) == [1, 2, 3, None, 17]
    assert page_numbers(17, 17) == [1, None, 15, 16, 17]
    assert page_numbers(5, 17) == [1, 2, 3, 4, 5, 6, 7, None, 17]  # a gap of one page shows the page
    assert page_numbers(1, 1) == [1] and page_numbers(1, 0) == []


def test_lead_once_and_date_sources_in_words() -> None:
    assert body_without_lead(f"{LEAD}\nĐoạn hai.", " " + LEAD.upper()) == ["Đoạn hai."]
    assert body_without_lead("Đoạn một.\nĐoạn hai.", LEAD) == ["Đoạn một.", "Đoạn hai."]
    vi, en = PageContext("vi", False, "/"), PageContext("en", True, "/")
    assert date_source_words(vi, "visible") == "dòng ngày của trang"
    assert date_source_words(en, "meta") == "the page metadata"
    assert date_source_words(en, "meta+visible") == "the page metadata, agreeing with the page's date line"
    assert date_source_words(en, "dateline") == "dateline"  # an unknown name is shown as stored


def test_errors_in_the_interface_language() -> None:
    bad = BadParameter("parameter 'page' must be between 1 and 501, not 0", "error_param_int",
                       name="page", low=1, high=501)
    assert localise_error("vi", bad) == "Tham số «page» phải là số nguyên từ 1 đến 501."
    assert localise_error("en", bad) == "Parameter «page» must be a whole number from 1 to 501."
    assert localise_error("vi", QueryError("something new")).startswith("Không tìm được")
    with pytest.raises(ConfigError):
        _ = Settings(archive_dir=Path("a"), extra={"BAOTINH_WEB_EXPORT_MAX": "lots"}).web_export_max
    assert Settings(archive_dir=Path("a"), extra={"BAOTINH_WEB_EXPORT_MAX": "7"}).web_export_max == 7


# -- the web UI over a small archive ------------------------------------------------------------------
@pytest.fixture(scope="module")
def settings(db_templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("browsing") / "archive"
    folder.mkdir()
    shutil.copyfile(db_templates.sqlite(fill), folder / "baotinh.sqlite")
    return Settings(archive_dir=folder)


@pytest.fixture(scope="module")
def app(settings: Settings) -> Iterator[WebApp]:
    web = make_app(open_archive(settings), export_max=5)
    yield web
    web.archive.close()


def get(app: WebApp, path: str, query: str = "", lang: str | None = None) -> tuple[Response, bytes]:
    response = app.handle(Request("GET", path, query, lang))
    body = response.body if isinstance(response.body, bytes) else b"".join(response.body)
    return response, body


def header(response: Response, name: str) -> str | None:
    return dict(response.headers).get(name)


def test_facets_by_section_author_tag_and_month(app: WebApp) -> None:
    _r, body = get(app, "/search.json", "site=baohaiduong")
    facets = json.loads(body)["facets"]
    assert {"section", "author", "tag", "month", "province_now"} <= set(facets)
    assert {"value": "Văn hóa", "count": 23} in facets["section"]
    assert {"value": "2021-03", "count": 23} in facets["month"]
    assert {"value": "Lễ hội", "count": 23} in facets["tag"]
    assert {"value": "Nguyễn Đức", "count": 1} in facets["author"]
    _r, page = get(app, "/", "site=baohaiduong")
    html = page.decode()
    for name in ("section", "author", "tag", "month"):
        assert f'id="facet-{name}"' in html
    assert "from=2021-03-01&amp;to=2021-03-31" in html and "tag=L%E1%BB%85+h%E1%BB%99i" in html
    # A tag facet's link narrows the search to that tag, on the tag filter.
    _r, body = get(app, "/search.json", "tag=le+hoi")
    assert json.loads(body)["total"] == 23


def test_numbered_paging(app: WebApp) -> None:
    _r, page = get(app, "/", "site=baohaiduong&sort=newest")
    html = page.decode()
    assert 'aria-current="page">1</span>' in html
    assert 'class="page" href="/?site=baohaiduong&amp;sort=newest&amp;page=2"' in html
    assert 'id="next-page"' in html and 'id="prev-page"' not in html
    _r, page2 = get(app, "/", "site=baohaiduong&sort=newest&page=2")
    assert 'aria-current="page">2</span>' in page2.decode() and 'id="prev-page"' in page2.decode()


def test_search_and_article_as_json_and_csv(app: WebApp) -> None:
    response, body = get(app, "/search.json", "q=kim+thanh&page=2")
    data = json.loads(body)
    assert data["page"] == 2 and data["total"] == 27 and len(data["hits"]) == 7
    response, body = get(app, "/search.csv", "q=kim+thanh")
    assert response.content_type.startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert len(rows) == 20 and "province_now" in rows[0] and "«" in rows[0]["snippet"]
    with app.archive.sessions() as session:
        article_id = session.scalars(select(Article.id).where(Article.canonical_url == HD_2019)).one()
    _r, body = get(app, f"/articles/{article_id}.json")
    assert json.loads(body)["canonical_url"] == HD_2019
    _r, body = get(app, f"/articles/{article_id}.csv")
    [row] = list(csv.DictReader(io.StringIO(body.decode())))
    assert row["province"] == "Hải Dương" and json.loads(row["tags"])[0] == "Kim Thành"
    response, _ = get(app, "/articles/999999.json")
    assert response.status == 404


def test_downloads_are_capped_and_say_so(app: WebApp) -> None:
    response, body = get(app, "/export.csv", "q=kim+thanh")
    assert header(response, "X-Baotinh-Export-Capped") == "true" and header(response, "X-Baotinh-Export-Rows") == "5"
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert len(rows) == 5 and rows[0]["published_at"] >= rows[-1]["published_at"]  # newest first
    response, body = get(app, "/export.jsonl", "q=cang+hai+phong")
    assert header(response, "X-Baotinh-Export-Capped") == "false"
    [line] = [json.loads(x) for x in body.decode().splitlines()]
    assert line["province"] == "Hải Phòng" and line["text"]
    _r, page = get(app, "/", "q=kim+thanh")
    assert 'id="download-note"' in page.decode() and "tối đa 5 bài" in page.decode()
    assert "Hải Dương (nay thuộc Hải Phòng)" in page.decode()  # a hit's province then and now
    response, body = get(app, "/api/export", "format=csv&q=cang+hai+phong")
    assert response.status == 200 and len(list(csv.DictReader(io.StringIO(body.decode())))) == 1
    response, body = get(app, "/api/export", "format=xml")
    assert response.status == 400 and json.loads(body)["code"] == "bad_parameter"
    response, body = get(app, "/export.csv", "from=2020-01-01&to=2019-01-01", "en")
    assert response.status == 400 and "The date range is empty" in json.loads(body)["error"]


def test_query_errors_in_the_page_language(app: WebApp) -> None:
    response, page = get(app, "/", "q=kim&from=2020-01-01&to=2019-01-01")
    assert response.status == 400 and "Khoảng ngày trống" in page.decode()
    _r, page = get(app, "/", "q=kim&from=2020-01-01&to=2019-01-01&lang=en")
    assert "The date range is empty" in page.decode()
    _r, page = get(app, "/", "q=%2A%2A")
    assert "Từ khoá «**» không có chữ hay số nào" in page.decode()
    _r, page = get(app, "/", "q=kim&page=0")
    assert "Tham số «page» phải là số nguyên" in page.decode()


def test_article_page_lead_once_and_date_words(app: WebApp) -> None:
    with app.archive.sessions() as session:
        article_id, key = session.execute(
            select(Article.id, Article.key).where(Article.canonical_url == HD_2019)).one()
    moved, _body = get(app, f"/articles/{article_id}")  # the old address redirects to the stable key
    assert moved.status == 301
    _r, page = get(app, f"/a/{key}")
    html = page.decode()
    assert html.count(LEAD) == 1
    assert "ngày lấy từ siêu dữ liệu của trang, khớp với dòng ngày của trang" in html
    assert f'href="/articles/{article_id}.json"' in html
    _r, page = get(app, f"/a/{key}", "lang=en")
    assert "date from the page metadata, agreeing with the page&#39;s date line" in page.decode()


def test_download_streams_over_http(settings: Settings) -> None:
    web = make_app(open_archive(settings))
    server = make_server(web, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/export.jsonl?province_now=H%E1%BA%A3i+Ph%C3%B2ng"
        with urllib.request.urlopen(url, timeout=30) as resp:
            assert resp.headers["X-Baotinh-Export-Capped"] == "false"
            lines = resp.read().decode().splitlines()
        assert len(lines) == int(resp.headers["X-Baotinh-Export-Rows"]) == 27
    finally:
        server.shutdown()
        server.server_close()
        web.archive.close()
