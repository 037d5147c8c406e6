"""The demo paper's renderer: every page, feed and sitemap built from the article files.

Markup is modelled on a real provincial CMS (the ``slug-id-html`` family of the registry):
breadcrumb, ``h1.detail-title``, ``div.detail-time`` with the Vietnamese date line,
``div.detail-sapo``, ``div.detail-content`` ending in the byline, then tags, share bar, related
news, comments, sidebar and footer, the boilerplate an extractor must leave out.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from html import escape
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from pipeline.demo.articles import (
    SECTIONS,
    DemoArticle,
    DemoImage,
    default_articles_dir,
    fold_slug,
    load_demo_articles,
)

PAPER_NAME = "Báo Hải Dương"
DEFAULT_HOST = "demo.baotinh.test"
PAGE_SIZE = 8
FEED_SIZE = 20
WEEKDAYS = ("THỨ HAI", "THỨ BA", "THỨ TƯ", "THỨ NĂM", "THỨ SÁU", "THỨ BẢY", "CHỦ NHẬT")
HTML_TYPE = "text/html; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"
RSS_TYPE = "application/rss+xml; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".svg": "image/svg+xml; charset=utf-8"}
ACTIVE = ' class="active"'
_HOST_RE = re.compile(r"^[A-Za-z0-9.\-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$")
_ARTICLE_RE = re.compile(r"^/([a-z0-9-]+)/([a-z0-9-]+)-(\d+)\.html$")

FOOTER = (
    '<footer class="footer"><div class="container">'
    '<div class="footer-logo"><img src="/static/logo.svg" alt="Báo Hải Dương" width="180"></div>'
    '<div class="footer-info"><p><strong>BÁO HẢI DƯƠNG</strong> – Cơ quan của Đảng bộ Đảng Cộng sản'
    " Việt Nam tỉnh Hải Dương, tiếng nói của Đảng bộ, chính quyền và nhân dân tỉnh Hải Dương</p>"
    "<p>Giấy phép hoạt động báo điện tử số 358/GP-BTTTT do Bộ Thông tin và Truyền thông cấp ngày"
    " 12/7/2021</p><p>Tổng Biên tập: Nguyễn Văn Thành · Phó Tổng Biên tập: Trần Thị Lan, Phạm Quốc"
    " Hùng</p><p>Tòa soạn: Số 10 đường Đại lộ Hồ Chí Minh, phường Nguyễn Trãi, TP Hải Dương, tỉnh"
    " Hải Dương · Điện thoại: 0220.3852.135 · Fax: 0220.3853.457 · Email: toasoan@baohaiduong.test</p>"
    "<p>© Bản quyền thuộc về Báo Hải Dương. Ghi rõ nguồn “Báo Hải Dương” khi phát hành lại thông"
    " tin từ website này.</p></div>"
    '<ul class="footer-links"><li><a href="/">Trang chủ</a></li><li><a href="/rss/home.rss">RSS</a>'
    '</li><li><a href="/tim-kiem">Tìm kiếm</a></li><li><a href="/sitemap.xml">Sơ đồ trang</a></li>'
    "</ul></div></footer>"
)

WEATHER = (
    '<div class="box weather"><h3 class="box-title">Thời tiết</h3><ul>'
    "<li>TP Hải Dương: 24°C – 31°C, có mưa rào</li><li>Chí Linh: 23°C – 30°C, nhiều mây</li>"
    "<li>Kinh Môn: 24°C – 31°C, nắng gián đoạn</li><li>Ninh Giang: 25°C – 32°C, nắng</li></ul></div>"
)

ADS = (
    '<div class="box ads"><a class="banner-ads" href="/" rel="nofollow">'
    '<img src="/uploads/quang-cao/vai-thieu-thanh-ha.jpg" alt="Quảng cáo: Vải thiều Thanh Hà" width="300">'
    '</a><a class="banner-ads" href="/" rel="nofollow"><img src="/uploads/quang-cao/banh-dau-xanh.jpg"'
    ' alt="Quảng cáo: Bánh đậu xanh Hải Dương" width="300"></a></div>'
)


@dataclass(frozen=True, slots=True)
class Page:
    """One HTTP response of the demo site."""

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class _Request:
    path: str
    query: Mapping[str, list[str]]
    base: str  # "http://host" used for canonical and absolute links


class DemoSite:
    """The demo paper, rendered on demand from a directory of article TOML files.

    The directory is re-read when its files change, so adding a file adds the article to every
    listing, feed and sitemap without restarting the server.

    >>> page = DemoSite().render("/robots.txt")
    >>> page.status
    200
    """

    def __init__(self, articles_dir: Path | None = None) -> None:
        self.articles_dir = articles_dir or default_articles_dir()
        self._lock = threading.Lock()
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._articles: tuple[DemoArticle, ...] = ()
        self.articles()

    def articles(self) -> tuple[DemoArticle, ...]:
        """The current articles, newest first (reloaded when the files changed)."""
        signature = tuple(
            (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(self.articles_dir.glob("*.toml"))
        )
        with self._lock:
            if signature != self._signature:
                self._articles = load_demo_articles(self.articles_dir)
                self._signature = signature
            return self._articles

    def render(self, target: str, *, host: str | None = None, request_headers: Mapping[str, str] | None = None) -> Page:
        """Render ``target`` (path + query) as seen through ``host`` (the Host header).

        ``request_headers`` enables conditional GET: a matching ``If-None-Match`` or a recent
        enough ``If-Modified-Since`` gives a 304 with an empty body.
        """
        parts = urlsplit(target)
        safe_host = host if host and _HOST_RE.match(host) else DEFAULT_HOST
        request = _Request(parts.path or "/", parse_qs(parts.query), f"http://{safe_host}")
        page = self.route(request)
        return answer_conditionally(page, request_headers or {})

    def route(self, request: _Request) -> Page:
        """Dispatch a request to the page that renders it."""
        articles = self.articles()
        path = request.path
        fixed: dict[str, Callable[[], Page]] = {
            "/": lambda: render_home(articles),
            "/robots.txt": lambda: render_robots(request.base),
            "/sitemap.xml": lambda: render_sitemap_index(articles, request.base),
            "/sitemap-news.xml": lambda: render_sitemap_news(articles, request.base),
            "/sitemap-sections.xml": lambda: render_sitemap_sections(request.base),
            "/rss/home.rss": lambda: render_feed(articles, None, request.base),
            "/tim-kiem": lambda: render_search(articles, first_value(request.query, "q")),
        }
        if path in fixed:
            return fixed[path]()
        section_ids = dict(SECTIONS)
        if path.startswith("/rss/") and path.endswith(".rss") and path[5:-4] in section_ids:
            return render_feed(articles, path[5:-4], request.base)
        if path.rstrip("/").lstrip("/") in section_ids:
            return render_section(articles, path.strip("/"), first_value(request.query, "page"))
        if path.startswith("/tag/"):
            return render_tag(articles, path[5:].strip("/"))
        if path.startswith("/tac-gia/"):
            return render_author(articles, path[9:].strip("/"))
        if path.startswith("/static/"):
            return render_static(path[8:])
        if path.startswith("/uploads/"):
            return render_placeholder_image(path)
        match = _ARTICLE_RE.match(path)
        if match:
            return render_article_or_redirect(articles, int(match.group(3)), path, request.base)
        return render_not_found()


def first_value(query: Mapping[str, list[str]], name: str) -> str:
    """The first value of a query parameter, or ``""``."""
    values = query.get(name)
    return values[0] if values else ""


def answer_conditionally(page: Page, request_headers: Mapping[str, str]) -> Page:
    """Turn ``page`` into a 304 when the client's validators still match it."""
    if page.status != 200:
        return page
    headers = {k.lower(): v for k, v in request_headers.items()}
    own = dict(page.headers)
    etag, last_modified = own.get("ETag"), own.get("Last-Modified")
    validators = tuple((k, v) for k, v in page.headers if k in ("ETag", "Last-Modified", "Cache-Control"))
    not_modified = Page(304, page.content_type, b"", validators)
    if "if-none-match" in headers:
        # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
        tags = {t.strip().removeprefix("W/") for t in headers["if-none-match"].split(",")}
        return not_modified if etag and (etag in tags or "*" in tags) else page
    if "if-modified-since" in headers and last_modified:
        try:
            since = parsedate_to_datetime(headers["if-modified-since"])
        except (TypeError, ValueError):
            return page
        if since.tzinfo is not None and parsedate_to_datetime(last_modified) <= since:
            return not_modified
    return page


def make_page(
    body: str, content_type: str = HTML_TYPE, status: int = 200, last_modified: datetime | None = None
) -> Page:
    """Encode a body and attach validators (ETag always, Last-Modified when known)."""
    data = body.encode("utf-8")
    headers: list[tuple[str, str]] = []
    if status == 200:
        headers.append(("ETag", '"' + hashlib.sha256(data).hexdigest()[:20] + '"'))
        headers.append(("Cache-Control", "public, max-age=60"))
    if last_modified is not None:
        headers.append(("Last-Modified", http_date(last_modified)))
    return Page(status, content_type, data, tuple(headers))


def http_date(moment: datetime) -> str:
    """An RFC 9110 HTTP date (GMT)."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def updated_at(article: DemoArticle) -> datetime:
    """When the article last changed."""
    return article.modified or article.published


def as_written(article: DemoArticle, text: str) -> str:
    """Article text as the CMS stores it: decomposed (NFD) for the NFD articles."""
    return unicodedata.normalize("NFD", text) if article.nfd else text


def show(article: DemoArticle, text: str) -> str:
    """Escape article text for HTML, as the CMS stores it."""
    return escape(as_written(article, text))


def date_line(moment: datetime) -> str:
    """The visible date line, e.g. ``THỨ BA, 06/08/2019 19:05:01``."""
    return f"{WEEKDAYS[moment.weekday()]}, {moment:%d/%m/%Y %H:%M:%S}"


def render_layout(title: str, main: str, *, head: str = "", articles: Sequence[DemoArticle] = (),
                  active: str = "") -> str:
    """Wrap page content in the paper's head, header, navigation, sidebar and footer."""
    nav = "".join(
        f'<li{ACTIVE if sid == active else ""}><a href="/{sid}">{escape(name)}</a></li>' for sid, name in SECTIONS
    )
    return (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>{head}"
        '<link rel="stylesheet" href="/static/style.css">'
        '<link rel="alternate" type="application/rss+xml" title="Báo Hải Dương" href="/rss/home.rss">'
        '</head><body><header class="header"><div class="container top-bar">'
        '<a class="logo" href="/"><img src="/static/logo.svg" alt="Báo Hải Dương" width="260"></a>'
        '<form class="search-form" action="/tim-kiem" method="get"><input type="text" name="q"'
        ' placeholder="Tìm kiếm..."><button type="submit">Tìm</button></form></div>'
        f'<nav class="main-nav"><ul class="container menu"><li><a href="/">Trang chủ</a></li>{nav}</ul></nav>'
        f'</header><div class="container page"><main class="main">{main}</main>'
        f"{render_sidebar(articles)}</div>{FOOTER}</body></html>"
    )


def render_sidebar(articles: Sequence[DemoArticle]) -> str:
    """The sidebar: most read (a fixed pseudo-random pick), weather and ads."""
    most_read = sorted(articles, key=lambda a: (a.id * 7919) % 1009)[:5]
    items = "".join(f'<li><a href="{a.path}">{show(a, a.title)}</a></li>' for a in most_read)
    return (
        '<aside class="sidebar"><div class="box most-read"><h3 class="box-title">Đọc nhiều</h3>'
        f'<ol>{items}</ol></div>{WEATHER}{ADS}</aside>'
    )


def render_item(article: DemoArticle, *, with_lead: bool = True) -> str:
    """One article teaser of a listing: thumbnail, title, time and lead."""
    thumb = (
        f'<a class="thumb" href="{article.path}"><img src="{escape(article.images[0].src)}" '
        f'alt="{show(article, article.title)}" width="200"></a>'
        if article.images
        else ""
    )
    summary = article.lead or article.paragraphs[0]
    lead = f'<p class="sapo">{show(article, shorten(summary, 220))}</p>' if with_lead else ""
    return (
        f'<div class="story">{thumb}<h3 class="story-title">'
        f'<a href="{article.path}">{show(article, article.title)}</a></h3>'
        f'<span class="story-time">{article.published:%d/%m/%Y %H:%M}</span>{lead}</div>'
    )


def shorten(text: str, limit: int) -> str:
    """Cut text at a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def render_home(articles: Sequence[DemoArticle]) -> Page:
    """The home page: the featured story, then the latest stories of each section."""
    if not articles:
        return make_page(render_layout(PAPER_NAME, "<p>Chưa có bài viết.</p>"))
    featured = articles[0]
    blocks = [f'<section class="featured">{render_item(featured)}</section>']
    for sid, name in SECTIONS:
        latest = [a for a in articles if a.section == sid and a is not featured][:4]
        items = "".join(render_item(a, with_lead=i == 0) for i, a in enumerate(latest))
        blocks.append(
            f'<section class="home-section"><h2 class="section-title"><a href="/{sid}">{escape(name)}</a></h2>'
            f'{items}<a class="more" href="/{sid}">Xem thêm {escape(name)} »</a></section>'
        )
    head = f'<meta name="description" content="{escape(PAPER_NAME)} – tin tức, thời sự tỉnh Hải Dương">'
    return make_page(render_layout(f"{PAPER_NAME} – Tin tức Hải Dương", "".join(blocks), head=head, articles=articles))


def render_section(articles: Sequence[DemoArticle], section: str, page_param: str) -> Page:
    """A section listing, ``PAGE_SIZE`` stories a page, newest first, with pagination links."""
    in_section = [a for a in articles if a.section == section]
    pages = max(1, -(-len(in_section) // PAGE_SIZE))
    if page_param and not page_param.isdigit():
        return render_not_found()
    number = int(page_param or "1")
    if not 1 <= number <= pages:
        return render_not_found()
    shown = in_section[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    name = dict(SECTIONS)[section]
    main = (
        '<ul class="breadcrumb"><li><a href="/">Trang chủ</a></li>'
        f'<li><a href="/{section}">{escape(name)}</a></li></ul>'
        f'<h1 class="section-title">{escape(name)}</h1><div class="story-list">'
        + "".join(render_item(a) for a in shown)
        + "</div>"
        + render_pagination(f"/{section}", number, pages)
    )
    title = f"{name} – {PAPER_NAME}" + (f" – Trang {number}" if number > 1 else "")
    head = f'<link rel="canonical" href="/{section}{"?page=" + str(number) if number > 1 else ""}">'
    return make_page(render_layout(title, main, head=head, articles=articles, active=section))


def render_pagination(base: str, number: int, pages: int) -> str:
    """Page-number links plus "Trang trước" / "Trang sau"."""
    if pages <= 1:
        return ""
    links = []
    if number > 1:
        previous = base if number == 2 else f"{base}?page={number - 1}"
        links.append(f'<a class="prev" href="{previous}">« Trang trước</a>')
    for n in range(1, pages + 1):
        href = base if n == 1 else f"{base}?page={n}"
        links.append(f'<span class="current">{n}</span>' if n == number else f'<a href="{href}">{n}</a>')
    if number < pages:
        links.append(f'<a class="next" href="{base}?page={number + 1}">Trang sau »</a>')
    return f'<div class="pagination">{"".join(links)}</div>'


def render_list_page(articles: Sequence[DemoArticle], shown: Sequence[DemoArticle], heading: str, crumb: str) -> Page:
    """A plain listing (tag, author, search results): not an article page."""
    items = "".join(render_item(a) for a in shown) or '<p class="empty">Không tìm thấy bài viết phù hợp.</p>'
    main = (
        f'<ul class="breadcrumb"><li><a href="/">Trang chủ</a></li><li>{escape(crumb)}</li></ul>'
        f'<h1 class="section-title">{escape(heading)}</h1><div class="story-list">{items}</div>'
    )
    head = '<meta name="robots" content="noindex, follow">'
    return make_page(render_layout(f"{heading} – {PAPER_NAME}", main, head=head, articles=articles))


def render_tag(articles: Sequence[DemoArticle], slug: str) -> Page:
    """Stories carrying the tag whose slug is ``slug``."""
    tagged = [a for a in articles if any(fold_slug(t) == slug for t in a.tags)]
    if not tagged:
        return render_not_found()
    name = next(t for t in tagged[0].tags if fold_slug(t) == slug)
    return render_list_page(articles, tagged, f"Từ khóa: {name}", "Từ khóa")


def render_author(articles: Sequence[DemoArticle], slug: str) -> Page:
    """Stories by the author whose slug is ``slug``."""
    written = [a for a in articles if a.expected.author and fold_slug(a.expected.author) == slug]
    if not written:
        return render_not_found()
    return render_list_page(articles, written, f"Tác giả: {written[0].expected.author}", "Tác giả")


def render_search(articles: Sequence[DemoArticle], query: str) -> Page:
    """Search titles, leads and tags, folding case and diacritics."""
    needle = fold_slug(query)
    found = [a for a in articles if needle and needle in fold_slug(" ".join((a.title, a.lead or "", *a.tags)))]
    heading = f"Kết quả tìm kiếm: {query}" if query else "Tìm kiếm"
    return render_list_page(articles, found if query else [], heading, "Tìm kiếm")


def render_article_or_redirect(articles: Sequence[DemoArticle], article_id: int, path: str, base: str) -> Page:
    """The article page, a 301 to its right URL when the slug or section is wrong, else 404."""
    article = next((a for a in articles if a.id == article_id), None)
    if article is None:
        return render_not_found()
    if article.path != path:
        return Page(301, HTML_TYPE, b"", (("Location", article.path),))
    return render_article(articles, article, base)


def render_figure(article: DemoArticle, image: DemoImage) -> str:
    """A photo as ``figure.image`` or, on some articles, the older ``table.image`` markup."""
    alt = show(article, image.caption or article.title)
    img = f'<img src="{escape(image.src)}" alt="{alt}" width="640">'
    caption = show(article, image.caption) if image.caption else ""
    if article.id % 5 == 2:
        caption_row = f'<tr><td class="image-caption">{caption}</td></tr>' if caption else ""
        return f'<table class="image" align="center"><tbody><tr><td>{img}</td></tr>{caption_row}</tbody></table>'
    figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f'<figure class="image">{img}{figcaption}</figure>'


def render_body(article: DemoArticle) -> str:
    """The content: photos placed between paragraphs, the byline as the last paragraph."""
    parts = [render_figure(article, i) for i in article.images if i.after_paragraph == 0]
    for number, paragraph in enumerate(article.paragraphs, start=1):
        parts.append(f"<p>{show(article, paragraph)}</p>")
        parts.extend(render_figure(article, i) for i in article.images if i.after_paragraph == number)
    if article.byline:
        parts.append(f'<p style="text-align:right"><strong>{escape(article.byline)}</strong></p>')
    return "".join(parts)


def render_related(articles: Sequence[DemoArticle], article: DemoArticle) -> str:
    """"Tin liên quan": the four stories of the same section closest in time."""
    others = sorted(
        (a for a in articles if a.id != article.id),
        key=lambda a: (a.section != article.section, abs((a.published - article.published).total_seconds())),
    )[:4]
    items = "".join(f'<li><a href="{a.path}">{show(a, a.title)}</a></li>' for a in others)
    return f'<div class="related-news"><h3 class="box-title">Tin liên quan</h3><ul>{items}</ul></div>'


def render_article_head(article: DemoArticle, base: str) -> str:
    """Meta tags of an article page; published_time and JSON-LD only on some, as in the wild."""
    description = show(article, article.lead or shorten(article.paragraphs[0], 200))
    image = base + article.images[0].src if article.images else base + "/static/logo.svg"
    head = [
        f'<meta name="description" content="{description}">',
        f'<meta name="keywords" content="{escape(", ".join(article.tags))}">',
        f'<meta name="author" content="{escape(PAPER_NAME)}">',
        f'<link rel="canonical" href="{base}{article.path}">',
        f'<meta property="og:title" content="{show(article, article.title)}">',
        f'<meta property="og:description" content="{description}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:url" content="{base}{article.path}">',
        f'<meta property="og:image" content="{escape(image)}">',
        f'<meta property="og:site_name" content="{escape(PAPER_NAME)}">',
    ]
    if article.id % 6 != 5:
        head.append(f'<meta property="article:published_time" content="{article.published.isoformat()}">')
        if article.modified:
            head.append(f'<meta property="article:modified_time" content="{article.modified.isoformat()}">')
    if article.id % 2 == 0:
        head.append(render_json_ld(article, base, image))
    return "".join(head)


def render_json_ld(article: DemoArticle, base: str, image: str) -> str:
    """A schema.org NewsArticle block (the publisher, not the writer, as on many CMSs)."""
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": as_written(article, article.title),
        "description": as_written(article, article.lead or ""),
        "datePublished": article.published.isoformat(),
        "dateModified": updated_at(article).isoformat(),
        "image": [image],
        "mainEntityOfPage": base + article.path,
        "articleSection": article.section_name,
        "publisher": {"@type": "Organization", "name": PAPER_NAME,
                      "logo": {"@type": "ImageObject", "url": base + "/static/logo.svg"}},
    }
    # "</" must not close the script element early.
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


def render_article(articles: Sequence[DemoArticle], article: DemoArticle, base: str) -> Page:
    """A full article page."""
    name = article.section_name
    sapo = f'<div class="detail-sapo">{show(article, article.lead)}</div>' if article.lead else ""
    tags = "".join(f'<a href="/tag/{fold_slug(t)}">{escape(t)}</a>' for t in article.tags)
    share_url = quote(base + article.path, safe="")
    main = (
        '<ul class="breadcrumb"><li><a href="/">Trang chủ</a></li>'
        f'<li><a href="/{article.section}">{escape(name)}</a></li></ul>'
        f'<article class="detail"><h1 class="detail-title">{show(article, article.title)}</h1>'
        f'<div class="detail-time">{date_line(article.published)}</div>{sapo}'
        f'<div class="detail-content">{render_body(article)}</div></article>'
        f'<div class="detail-tags"><span>Từ khóa:</span>{tags}</div>'
        '<div class="social-share"><span>Chia sẻ:</span>'
        f'<a href="https://www.facebook.com/sharer/sharer.php?u={share_url}" rel="nofollow">Facebook</a>'
        f'<a href="https://zalo.me/share?u={share_url}" rel="nofollow">Zalo</a>'
        '<a href="javascript:window.print()" rel="nofollow">In bài</a></div>'
        f"{render_related(articles, article)}"
        '<div class="comment-box"><h3 class="box-title">Ý kiến bạn đọc</h3>'
        '<form action="/binh-luan" method="post"><textarea name="noi-dung" rows="4"'
        ' placeholder="Nhập ý kiến của bạn (tiếng Việt có dấu)"></textarea>'
        '<input type="text" name="ho-ten" placeholder="Họ và tên"><input type="email" name="email" placeholder="Email">'
        '<button type="submit">Gửi ý kiến</button></form>'
        "<p class=\"note\">Ý kiến của bạn sẽ được biên tập trước khi đăng.</p></div>"
    )
    title = f"{as_written(article, article.title)} – {PAPER_NAME}"
    page = render_layout(title, main, head=render_article_head(article, base), articles=articles,
                         active=article.section)
    return make_page(page, last_modified=updated_at(article))


def render_feed(articles: Sequence[DemoArticle], section: str | None, base: str) -> Page:
    """An RSS 2.0 feed of the newest ``FEED_SIZE`` stories, site-wide or of one section."""
    chosen = [a for a in articles if section is None or a.section == section][:FEED_SIZE]
    name = dict(SECTIONS)[section] if section else "Trang chủ"
    self_url = f"{base}/rss/{section or 'home'}.rss"
    items = "".join(
        f"<item><title>{show(a, a.title)}</title><link>{base}{a.path}</link>"
        f'<guid isPermaLink="true">{base}{a.path}</guid>'
        f"<description>{show(a, a.lead or shorten(a.paragraphs[0], 240))}</description>"
        f"<category>{escape(a.section_name)}</category>"
        f"<pubDate>{format_datetime(a.published)}</pubDate></item>"
        for a in chosen
    )
    newest = max((updated_at(a) for a in chosen), default=None)
    build = f"<lastBuildDate>{format_datetime(newest)}</lastBuildDate>" if newest else ""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
        f"<channel><title>{escape(PAPER_NAME)} – {escape(name)}</title><link>{base}/</link>"
        f"<description>Tin tức {escape(name.lower())} của {escape(PAPER_NAME)}</description><language>vi</language>"
        f'{build}<atom:link href="{self_url}" rel="self" type="application/rss+xml"/>{items}</channel></rss>'
    )
    return make_page(body, RSS_TYPE, last_modified=newest)


def render_sitemap_index(articles: Sequence[DemoArticle], base: str) -> Page:
    """The sitemap index: the news urlset and the sections urlset."""
    newest = max((updated_at(a) for a in articles), default=None)
    lastmod = f"<lastmod>{newest.isoformat()}</lastmod>" if newest else ""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{base}/sitemap-news.xml</loc>{lastmod}</sitemap>"
        f"<sitemap><loc>{base}/sitemap-sections.xml</loc></sitemap></sitemapindex>"
    )
    return make_page(body, XML_TYPE, last_modified=newest)


def render_sitemap_news(articles: Sequence[DemoArticle], base: str) -> Page:
    """Every article with its ``lastmod`` in ISO 8601 (+07:00)."""
    urls = "".join(
        f"<url><loc>{base}{a.path}</loc><lastmod>{updated_at(a).isoformat()}</lastmod></url>" for a in articles
    )
    newest = max((updated_at(a) for a in articles), default=None)
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    return make_page(body, XML_TYPE, last_modified=newest)


def render_sitemap_sections(base: str) -> Page:
    """The home page and section pages."""
    urls = f"<url><loc>{base}/</loc><changefreq>hourly</changefreq></url>" + "".join(
        f"<url><loc>{base}/{sid}</loc><changefreq>hourly</changefreq></url>" for sid, _ in SECTIONS
    )
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    return make_page(body, XML_TYPE)


def render_robots(base: str) -> Page:
    """robots.txt: search and admin are off limits; the sitemap is announced."""
    body = f"User-agent: *\nDisallow: /tim-kiem\nDisallow: /admin/\n\nSitemap: {base}/sitemap.xml\n"
    return make_page(body, TEXT_TYPE)


def render_static(name: str) -> Page:
    """A packaged static file (stylesheet, logo)."""
    static_dir = Path(__file__).resolve().parent / "static"
    path = static_dir / name
    if "/" in name or name.startswith(".") or path.suffix not in STATIC_TYPES or not path.is_file():
        return render_not_found()
    return make_page(path.read_text(encoding="utf-8"), STATIC_TYPES[path.suffix])


def render_placeholder_image(path: str) -> Page:
    """A photo placeholder drawn as SVG (whatever the extension), coloured by its path.

    SVG keeps the demo free of binary files and every response in UTF-8 text.
    """
    digest = hashlib.sha256(path.encode("utf-8")).hexdigest()
    colour, label = f"#{digest[:6]}", escape(path.rsplit("/", 1)[-1])
    body = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400" viewBox="0 0 640 400">'
        f'<rect width="640" height="400" fill="{colour}"/>'
        '<rect x="20" y="340" width="600" height="40" fill="#000" opacity="0.45"/>'
        f'<text x="32" y="367" font-family="sans-serif" font-size="18" fill="#fff">{label}</text></svg>'
    )
    return make_page(body, "image/svg+xml; charset=utf-8")


def render_not_found() -> Page:
    """The 404 page, with the usual header and footer."""
    main = (
        '<div class="not-found"><h1>404 – Không tìm thấy trang</h1><p>Trang bạn tìm không tồn tại hoặc đã'
        ' được chuyển đi. Mời bạn quay về <a href="/">Trang chủ</a>.</p></div>'
    )
    return make_page(render_layout(f"Không tìm thấy trang – {PAPER_NAME}", main), status=404)
