"""The bundled demo paper, served for real on 127.0.0.1 and read over HTTP."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import unicodedata
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from pipeline.demo import DemoSite, RunningServer, load_demo_articles, serve_site
from pipeline.demo.articles import SECTIONS, default_articles_dir

SEED_PATH = "/chinh-tri/huyen-uy-kim-thanh-4-cong-viec-dot-pha-trong-thuc-hien-chi-thi-05-105123.html"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
REPO_SRC = Path(__file__).resolve().parents[1] / "src"


class _Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def fetch(base: str, path: str, headers: dict[str, str] | None = None) -> _Response:
    """GET ``path``; non-2xx answers are returned, not raised."""
    request = urllib.request.Request(base + path, headers=headers or {})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return _Response(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        return _Response(error.code, dict(error.headers.items()), error.read())


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)


def extract_links(html: str) -> list[str]:
    parser = _LinkParser()
    parser.feed(html)
    return parser.links


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with serve_site(DemoSite()) as running:
        yield running


def test_corpus_meets_the_brief() -> None:
    articles = load_demo_articles()
    assert len(articles) >= 32
    assert len({a.id for a in articles}) == len(articles)
    for section, _ in SECTIONS:
        assert sum(a.section == section for a in articles) >= 7
    assert sum(a.nfd for a in articles) >= 5
    assert sum(any(i.caption for i in a.images) for a in articles) >= 12
    assert sum(a.lead is not None for a in articles) >= 16
    assert any(a.lead is None for a in articles) and any(a.byline is None for a in articles)
    assert {a.published.year for a in articles} >= {2019, 2020, 2021, 2022, 2023, 2024, 2025}
    for article in articles:
        words = len(" ".join((article.lead or "", *article.paragraphs)).split())
        assert 250 <= words <= 700 or article.id == 105123, (article.id, words)
        assert 10000 <= article.id <= 999999
        assert (article.byline is None) == (article.expected.author is None)


def test_every_article_reachable_from_home_through_listings(server: RunningServer) -> None:
    base = server.base_url
    seen_pages: set[str] = set()
    queue = ["/"]
    found: set[str] = set()
    section_paths = {f"/{sid}" for sid, _ in SECTIONS}
    while queue:
        path = queue.pop()
        if path in seen_pages:
            continue
        seen_pages.add(path)
        response = fetch(base, path)
        assert response.status == 200, path
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        for link in extract_links(response.text):
            assert not link.startswith("http") or link.startswith("https://"), link  # on-site links are root-relative
            target = urlsplit(urljoin(path, link))
            if target.path.endswith(".html"):
                found.add(target.path)
            elif target.path in section_paths:
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    expected = {a.path for a in load_demo_articles()}
    assert found >= expected
    assert "/kinh-te?page=2" in seen_pages  # pagination was really needed and followed


def test_section_listing_is_paginated_newest_first(server: RunningServer) -> None:
    in_section = [a for a in load_demo_articles() if a.section == "kinh-te"]
    first = fetch(server.base_url, "/kinh-te").text
    assert "Trang sau" in first and 'href="/kinh-te?page=2"' in first
    order = [link for link in extract_links(first) if link.startswith("/kinh-te/")]
    listed = list(dict.fromkeys(order))
    assert listed[:3] == [a.path for a in in_section[:3]]
    last = fetch(server.base_url, f"/kinh-te?page={-(-len(in_section) // 8)}").text
    assert in_section[-1].path in last and "Trang sau" not in last
    assert fetch(server.base_url, "/kinh-te?page=99").status == 404


def test_feeds_parse_and_list_absolute_links(server: RunningServer) -> None:
    articles = load_demo_articles()
    for feed, section in [("home", None), *[(sid, sid) for sid, _ in SECTIONS]]:
        response = fetch(server.base_url, f"/rss/{feed}.rss")
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
        assert "ETag" in response.headers and "Last-Modified" in response.headers
        channel = ET.fromstring(response.body).find("channel")
        assert channel is not None
        items = channel.findall("item")
        wanted = [a for a in articles if section is None or a.section == section][:20]
        links = [item.findtext("link") for item in items]
        assert links == [server.base_url + a.path for a in wanted]
        for item in items:
            pub_date = item.findtext("pubDate") or ""
            assert pub_date.endswith("+0700")
            assert parsedate_to_datetime(pub_date).utcoffset() is not None


def test_sitemap_index_and_urlset_list_every_article(server: RunningServer) -> None:
    index = ET.fromstring(fetch(server.base_url, "/sitemap.xml").body)
    locations = [loc.text for loc in index.iter(f"{SITEMAP_NS}loc")]
    assert locations == [server.base_url + "/sitemap-news.xml", server.base_url + "/sitemap-sections.xml"]
    urlset = ET.fromstring(fetch(server.base_url, "/sitemap-news.xml").body)
    entries = {u.findtext(f"{SITEMAP_NS}loc"): u.findtext(f"{SITEMAP_NS}lastmod") for u in urlset}
    articles = load_demo_articles()
    assert set(entries) == {server.base_url + a.path for a in articles}
    for article in articles:
        lastmod = entries[server.base_url + article.path] or ""
        assert lastmod.endswith("+07:00")
        assert datetime.fromisoformat(lastmod) == (article.modified or article.published)
    sections = ET.fromstring(fetch(server.base_url, "/sitemap-sections.xml").body)
    section_locs = {u.findtext(f"{SITEMAP_NS}loc") for u in sections}
    assert {server.base_url + f"/{sid}" for sid, _ in SECTIONS} <= section_locs


def test_robots_txt(server: RunningServer) -> None:
    response = fetch(server.base_url, "/robots.txt")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.text.splitlines()
    assert "User-agent: *" in lines and "Disallow: /tim-kiem" in lines and "Disallow: /admin/" in lines
    assert f"Sitemap: {server.base_url}/sitemap.xml" in lines


@pytest.mark.parametrize("path", [SEED_PATH, "/rss/home.rss", "/rss/van-hoa.rss"])
def test_conditional_get_answers_304(server: RunningServer, path: str) -> None:
    first = fetch(server.base_url, path)
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    by_etag = fetch(server.base_url, path, {"If-None-Match": etag})
    assert by_etag.status == 304 and by_etag.body == b"" and by_etag.headers["ETag"] == etag
    by_date = fetch(server.base_url, path, {"If-Modified-Since": last_modified})
    assert by_date.status == 304
    stale_tag = fetch(server.base_url, path, {"If-None-Match": '"not-the-tag"'})
    assert stale_tag.status == 200 and stale_tag.body == first.body
    older = fetch(server.base_url, path, {"If-Modified-Since": "Mon, 01 Jan 2018 00:00:00 GMT"})
    assert older.status == 200


def test_unknown_paths_give_404_html(server: RunningServer) -> None:
    for path in ["/khong-co", "/chinh-tri/khong-co-999999.html", "/tag/khong-co-tu-khoa", "/static/../site.py"]:
        response = fetch(server.base_url, path)
        assert response.status == 404, path
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "Không tìm thấy trang" in response.text


def test_wrong_slug_redirects_to_the_article(server: RunningServer) -> None:
    response = fetch(server.base_url, "/xa-hoi/sai-duong-dan-105123.html")
    assert response.status == 301 and response.headers["Location"] == SEED_PATH


def test_nfd_articles_are_nfd_on_the_wire(server: RunningServer) -> None:
    nfd_articles = [a for a in load_demo_articles() if a.nfd]
    assert len(nfd_articles) >= 5
    for article in nfd_articles:
        html = fetch(server.base_url, article.path).text
        decomposed = unicodedata.normalize("NFD", article.title)
        assert decomposed != article.title
        assert f'<h1 class="detail-title">{decomposed}</h1>' in html
        assert article.title not in html
        assert unicodedata.normalize("NFD", article.paragraphs[0]) in html
    # An NFC article stays NFC (its sidebar may list NFD titles of other articles).
    seed_html = fetch(server.base_url, SEED_PATH).text
    seed_article = seed_html.split('<article class="detail">', 1)[1].split("</article>", 1)[0]
    assert unicodedata.is_normalized("NFC", seed_article)


def test_seed_article_page(server: RunningServer) -> None:
    html = fetch(server.base_url, SEED_PATH, {"Host": "demo.baotinh.test"}).text
    assert '<h1 class="detail-title">Huyện ủy Kim Thành: 4 công việc đột phá trong thực hiện Chỉ thị 05</h1>' in html
    assert '<div class="detail-time">THỨ BA, 06/08/2019 19:05:01</div>' in html
    assert '<div class="detail-sapo">Từ năm 2016 đến nay, Đảng bộ huyện Kim Thành chọn 4 công việc đột phá' in html
    assert "<figcaption>Lãnh đạo huyện Kim Thành trao giấy khen cho các tập thể có thành tích tiêu biểu" in html
    content = html.split('<div class="detail-content">', 1)[1].split("</div>", 1)[0]
    assert content.endswith(
        "phong cách Hồ Chí Minh</p><p style=\"text-align:right\"><strong>HV</strong></p>"
    )
    assert content.index("<figure") < content.index("<p>Sáng 6.8")
    assert '<meta name="author" content="Báo Hải Dương">' in html
    assert f'<link rel="canonical" href="http://demo.baotinh.test{SEED_PATH}">' in html
    assert '<meta property="article:published_time" content="2019-08-06T19:05:01+07:00">' in html
    for marker in ('<ul class="breadcrumb">', 'class="detail-tags"', 'class="social-share"',
                   'class="related-news"', 'class="comment-box"', "Đọc nhiều", "Giấy phép"):
        assert marker in html


def test_date_line_weekday_matches_the_date(server: RunningServer) -> None:
    weekdays = ("THỨ HAI", "THỨ BA", "THỨ TƯ", "THỨ NĂM", "THỨ SÁU", "THỨ BẢY", "CHỦ NHẬT")
    for article in load_demo_articles()[:10]:
        html = fetch(server.base_url, article.path).text
        line = f"{weekdays[article.published.weekday()]}, {article.published:%d/%m/%Y %H:%M:%S}"
        assert f'<div class="detail-time">{line}</div>' in html


def test_markup_varies_like_a_real_cms(server: RunningServer) -> None:
    pages = [fetch(server.base_url, a.path).text for a in load_demo_articles()]
    with_time = sum("article:published_time" in p for p in pages)
    with_ld = sum("application/ld+json" in p for p in pages)
    assert len(pages) // 2 < with_time < len(pages)
    assert len(pages) // 4 < with_ld < len(pages) * 3 // 4
    assert any('<table class="image"' in p and 'class="image-caption"' in p for p in pages)
    for page in pages:
        if "application/ld+json" in page:
            block = page.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
            assert json.loads(block)["@type"] == "NewsArticle"


def test_listing_pages_for_tags_authors_and_search(server: RunningServer) -> None:
    assert "Kim Thành" in fetch(server.base_url, "/tag/kim-thanh").text
    author_page = fetch(server.base_url, "/tac-gia/ngoc-anh")
    assert author_page.status == 200 and "Tác giả: NGỌC ANH" in author_page.text
    found = fetch(server.base_url, "/tim-kiem?q=v%E1%BA%A3i+thi%E1%BB%81u").text
    assert "/kinh-te/vai-thieu-thanh-ha-vao-vu-thu-hoach-chinh-106544.html" in found


def test_access_log_records_requests(server: RunningServer) -> None:
    fetch(server.base_url, "/robots.txt?from=test", {"X-Probe": "1"})
    record = next(r for r in reversed(server.access_log.records()) if r.path == "/robots.txt?from=test")
    assert record.method == "GET" and record.status == 200 and record.headers["X-Probe"] == "1"


def test_adding_a_toml_file_adds_the_article_everywhere(tmp_path: Path) -> None:
    articles_dir = tmp_path / "articles"
    shutil.copytree(default_articles_dir(), articles_dir)
    with serve_site(DemoSite(articles_dir)) as running:
        assert fetch(running.base_url, "/van-hoa/le-hoi-vat-lang-thua-999001.html").status == 404
        (articles_dir / "999001-vat-lang.toml").write_text(
            "\n".join([
                "id = 999001",
                'section = "van-hoa"',
                'slug = "le-hoi-vat-lang-thua"',
                "title = 'Lễ hội vật làng Thừa'",
                'published = "2025-12-01T08:00:00+07:00"',
                "lead = 'Lễ hội vật truyền thống được tổ chức ở Gia Lộc.'",
                'byline = "PV"',
                'tags = ["Gia Lộc"]',
                "paragraphs = ['Các đô vật tranh tài trên sới vật của làng.']",
                "[expected]",
                'author = "PV"',
            ]),
            encoding="utf-8",
        )
        path = "/van-hoa/le-hoi-vat-lang-thua-999001.html"
        assert fetch(running.base_url, path).status == 200
        assert path in fetch(running.base_url, "/van-hoa").text
        assert path in fetch(running.base_url, "/").text
        assert running.base_url + path in fetch(running.base_url, "/rss/van-hoa.rss").text
        assert running.base_url + path in fetch(running.base_url, "/rss/home.rss").text
        assert running.base_url + path in fetch(running.base_url, "/sitemap-news.xml").text


def test_module_main_serves_and_logs(tmp_path: Path) -> None:
    log_path = tmp_path / "access.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline.demo", "--access-log", str(log_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(REPO_SRC), "PATH": "/usr/bin:/bin"},
    )
    try:
        assert process.stdout is not None
        base = process.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:")
        assert fetch(base, "/robots.txt").status == 200
        assert fetch(base, "/khong-co").status == 404
    finally:
        process.terminate()
        code = process.wait(timeout=10)
    assert code == 0
    records = [json.loads(line) for line in log_path.read_text(encoding="utf-8").splitlines()]
    assert [(r["method"], r["path"], r["status"]) for r in records] == [
        ("GET", "/robots.txt", 200),
        ("GET", "/khong-co", 404),
    ]
    assert process.stderr is not None and process.stderr.read() == ""


def test_misbehaving_site_throttles_fails_and_disallows_once_per_path() -> None:
    from pipeline.demo import Misbehaviour

    site = DemoSite()
    paths = [a.path for a in site.articles()[:6]]
    misbehaviour = Misbehaviour(throttle_every=2, retry_after="3", fail_every=3, disallow=("/van-hoa/",))
    with serve_site(site, misbehaviour=misbehaviour) as served:
        statuses = [_status(served.base_url + p) for p in paths]
        again = [_status(served.base_url + p) for p in paths]
        robots = urllib.request.urlopen(served.base_url + "/robots.txt", timeout=10).read().decode()
        records = served.access_log.records()
    assert statuses == [200, 429, 503, 429, 200, 429]
    assert 429 not in again[:4] and 503 not in again[:4]  # each error at most once per path
    assert "Disallow: /van-hoa/" in robots
    throttled = next(r for r in records if r.status == 429)
    assert throttled.arrived <= throttled.answered


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
