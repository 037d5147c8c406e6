"""Generic discovery (`pipeline.discover`) on inline documents and on the real Dân trí pages."""

from __future__ import annotations

import doctest
import gzip
import re
import tomllib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

import pipeline.discover.classify as classify_module
import pipeline.discover.draft as draft_module
import pipeline.discover.feeds as feeds_module
from pipeline.discover import (
    COMMON_FEED_PATHS,
    COMMON_SITEMAP_PATHS,
    classify_page,
    classify_url,
    draft_site_entry,
    find_feed_links,
    infer_article_pattern,
    parse_feed,
    parse_robots_sitemaps,
    parse_sitemap,
)
from pipeline.registry.load import load_registry, parse_registry

from . import paths

VN = timezone(timedelta(hours=7))


def real_pages() -> list[tuple[str, str, str]]:
    return [(str(path), url, kind) for path, url, kind in paths.realpages()]


def test_find_feed_links() -> None:
    html = """<html><head>
      <link rel="alternate" type="application/rss+xml" href="/rss/home.rss">
      <link rel="alternate" type="application/atom+xml" href="https://x.vn/atom.xml">
      <link rel="stylesheet" type="text/css" href="/a.css">
      <link rel="alternate" hreflang="en" href="/en/">
    </head><body>
      <a href="/rss/kinh-te.rss">Kinh tế</a> <a href="/rss">RSS</a> <a href="/rss/home.rss">dup</a>
      <a href="/sitemap.xml">map</a> <a href="/kinh-te/abc-123.html">bài</a>
    </body></html>"""
    assert find_feed_links(html, "https://x.vn/") == [
        "https://x.vn/rss/home.rss", "https://x.vn/atom.xml",
        "https://x.vn/rss/kinh-te.rss", "https://x.vn/rss",
    ]
    assert find_feed_links("", "https://x.vn/") == []
    assert "/rss/home.rss" in COMMON_FEED_PATHS and "/sitemap.xml" in COMMON_SITEMAP_PATHS


def test_parse_robots_sitemaps() -> None:
    robots = "User-agent: *\nDisallow: /admin\nSitemap: https://x.vn/sitemap.xml\n" \
             "sitemap:https://x.vn/news.xml # news\nSITEMAP: https://x.vn/sitemap.xml\nNoise"
    assert parse_robots_sitemaps(robots) == ["https://x.vn/sitemap.xml", "https://x.vn/news.xml"]


RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Báo</title>
<item><title>Giá lúa tăng</title><link>https://x.vn/kinh-te/gia-lua-tang-1234.html</link>
<pubDate>Tue, 12 Mar 2024 08:15:00 +0700</pubDate></item>
<item><title><![CDATA[Không ngày]]></title><link> https://x.vn/xa-hoi/khong-ngay-1235.html </link></item>
<item><title>Không có link</title></item>
<item><title>Giờ địa phương</title><guid>https://x.vn/a-b-1236.html</guid><pubDate>2024-03-12 09:00</pubDate></item>
</channel></rss>""".encode()

ATOM = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
<entry><title>Mot</title><link rel="alternate" href="https://x.vn/mot-bai-1.html"/>
<link rel="enclosure" href="https://x.vn/a.jpg"/><published>2024-03-12T01:15:00Z</published></entry>
<entry><title>Hai</title><link href="https://x.vn/hai-bai-2.html"/><updated>2024-03-13T10:00:00+07:00</updated></entry>
</feed>"""


def test_parse_rss() -> None:
    entries = parse_feed(RSS)
    assert [e.url for e in entries] == [
        "https://x.vn/kinh-te/gia-lua-tang-1234.html",
        "https://x.vn/xa-hoi/khong-ngay-1235.html",
        "https://x.vn/a-b-1236.html",
    ]
    assert entries[0].title == "Giá lúa tăng"
    assert entries[0].published == datetime(2024, 3, 12, 8, 15, tzinfo=VN)
    assert entries[1].title == "Không ngày" and entries[1].published is None
    naive = entries[2].published
    assert naive is not None and naive.utcoffset() == timedelta(hours=7) and naive.hour == 9


def test_parse_atom() -> None:
    entries = parse_feed(ATOM)
    assert [e.url for e in entries] == ["https://x.vn/mot-bai-1.html", "https://x.vn/hai-bai-2.html"]
    assert entries[0].published == datetime(2024, 3, 12, 8, 15, tzinfo=VN)
    assert entries[1].published == datetime(2024, 3, 13, 10, 0, tzinfo=VN)


@pytest.mark.parametrize("junk", [b"", b"   ", b"<html><body>not a feed</body></html>",
                                  b"\x00\xff\xfe garbage", b"<rss><channel><item><link>"])
def test_feed_and_sitemap_parsers_never_raise(junk: bytes) -> None:
    assert parse_feed(junk) == []
    sm = parse_sitemap(junk)
    assert sm.entries == () and not sm.is_index


def test_parse_truncated_feed_keeps_complete_items() -> None:
    second_item = RSS.index(b"<item>", RSS.index(b"<item>") + 1)
    truncated = RSS[: second_item + 20]  # cut inside the second item
    assert [e.url for e in parse_feed(truncated)] == ["https://x.vn/kinh-te/gia-lua-tang-1234.html"]


SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://x.vn/a-b-c-1234.html</loc><lastmod>2024-03-12T08:15:00+07:00</lastmod></url>
<url><loc>https://x.vn/d-e-f-1235.html</loc><lastmod>2024-03-12</lastmod></url>
<url><loc>https://x.vn/g-h-i-1236.html</loc><lastmod>yesterday</lastmod></url>
<url><lastmod>2024-03-12</lastmod></url>
</urlset>"""


def test_parse_sitemap_and_index() -> None:
    sm = parse_sitemap(SITEMAP)
    assert not sm.is_index
    assert sm.urls == ["https://x.vn/a-b-c-1234.html", "https://x.vn/d-e-f-1235.html",
                       "https://x.vn/g-h-i-1236.html"]
    loc, lastmod = sm.entries[0]
    assert lastmod == datetime(2024, 3, 12, 8, 15, tzinfo=VN)
    assert sm.entries[1].lastmod == datetime(2024, 3, 12, tzinfo=VN)
    assert sm.entries[2].lastmod is None
    index = parse_sitemap(b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://x.vn/sitemap-1.xml</loc></sitemap>
      <sitemap><loc>https://x.vn/sitemap-2.xml.gz</loc><lastmod>2024-01-01T00:00:00Z</lastmod></sitemap>
    </sitemapindex>""")
    assert index.is_index and index.urls == ["https://x.vn/sitemap-1.xml", "https://x.vn/sitemap-2.xml.gz"]
    assert index.entries[1].lastmod == datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_sitemap(gzip.compress(SITEMAP)).urls == sm.urls


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://baohaiduong.vn/nong-nghiep/ty-phu-trung-ga-151256", "article"),
        ("https://baohanam.com.vn/van-hoa/le-hoi/le-hoi-den-tran-122101.html", "article"),
        ("https://baobacgiang.vn/bg2/moi-nhat/bac-giang-don-tet-postid413098.bbg", "article"),
        ("https://www.sggp.org.vn/cho-sinh-vien-muon-laptop-post566364.html", "article"),
        ("https://baocantho.com.vn/hoc-sinh-thpt-fpt-a167101.html", "article"),
        ("https://baokhanhhoa.vn/xa-hoi/202401/nguoi-dan-don-tet-8912345/", "article"),
        ("https://x.vn/2024/03/12/mot-bai-bao-moi", "article"),
        ("https://dantri.com.vn/the-gioi/5-vu-khi-20221223144734383.htm", "article"),
        ("https://x.vn/", "listing"),
        ("https://dantri.com.vn/kinh-doanh.htm", "listing"),
        ("https://x.vn/kinh-te", "listing"),
        ("https://x.vn/kinh-te/nong-nghiep/", "listing"),
        ("https://x.vn/tag/nong-nghiep-123456", "listing"),
        ("https://x.vn/tac-gia/thu-ha", "listing"),
        ("https://x.vn/tim-kiem?q=lua", "listing"),
        ("https://x.vn/kinh-te/trang-2", "listing"),
        ("https://x.vn/kinh-te?page=3", "listing"),
        ("https://baobacgiang.vn/bg2/moi-nhat/", "listing"),
        ("https://x.vn/uploads/2024/anh-1234.jpg", "other"),
        ("https://x.vn/rss/home.rss", "other"),
        ("https://x.vn/lien-he", "other"),
        ("https://x.vn/video/clip-hay-123456.html", "other"),
    ],
)
def test_classify_url(url: str, kind: str) -> None:
    assert classify_url(url) == kind


@pytest.mark.parametrize(("file", "url", "page_type"), real_pages())
def test_classify_real_dantri_pages(file: str, url: str, page_type: str) -> None:
    html = Path(file).read_text(encoding="utf-8")
    kind = classify_page(html, url)
    expected = "article" if page_type == "article" else "listing"
    assert kind.kind == expected, kind.reasons
    assert 0.5 <= kind.confidence <= 1.0


def test_real_pages_cover_twelve_articles_and_two_listings() -> None:
    kinds = [p[2] for p in real_pages()]
    assert kinds.count("article") == 12 and kinds.count("category-listing") == 2


def test_classify_page_trusts_structure_over_url() -> None:
    body = "".join(f"<p>{'Đoạn văn dài về giá lúa tại Hải Dương trong vụ xuân năm nay. ' * 4}</p>"
                   for _ in range(6))
    article = f"""<html><head><meta property="og:type" content="article">
      <script type="application/ld+json">{{"@context":"https://schema.org","@graph":[
      {{"@type":"NewsArticle","headline":"x"}}]}}</script></head>
      <body><h1>Giá lúa tăng</h1><article>{body}</article></body></html>"""
    kind = classify_page(article, "https://x.vn/kinh-te")  # listing-shaped URL
    assert kind.kind == "article"
    assert any("NewsArticle" in r.lower() or "newsarticle" in r for r in kind.reasons)

    teasers = "".join(f'<article><a href="/kinh-te/bai-so-{i}-10{i:03d}.html">Bài số {i}</a></article>'
                      for i in range(30))
    listing = f"""<html><head><meta property="og:type" content="article">
      <script type="application/ld+json">{{"@type":"CollectionPage"}}</script></head>
      <body><h1>Kinh tế</h1>{teasers}</body></html>"""
    assert classify_page(listing, "https://x.vn/kinh-te/gia-ca-12345.html").kind == "listing"

    contact = "<html><body><h1>Liên hệ</h1><p>Điện thoại: 0220 3850000</p></body></html>"
    assert classify_page(contact, "https://x.vn/lien-he").kind == "other"
    assert classify_page("", "https://x.vn/").kind == "other"


def test_infer_article_pattern_generalises_and_rejects() -> None:
    urls = [
        "https://baohaiduong.vn/nong-nghiep/ty-phu-trung-ga-151256",
        "https://baohaiduong.vn/kinh-te/ha-tang-khu-cong-nghiep-387551.html",
        "https://baohaiduong.vn/xa-hoi/tre-em-394829.html",
    ]
    pattern = infer_article_pattern(urls)
    assert pattern is not None
    for u in urls + ["https://baohaiduong.vn/the-thao/bong-da-mot-hai-ba-123456.html"]:
        assert re.search(pattern, u), u
    for u in ["https://baohaiduong.vn/kinh-te", "https://baohaiduong.vn/", "https://baohaiduong.vn/kinh-te/trang-2"]:
        assert not re.search(pattern, u), u

    bbg = infer_article_pattern(["https://baobacgiang.vn/bg2/moi-nhat/a-b-postid413098.bbg",
                                 "https://baobacgiang.vn/bg2/kinh-te/c-d-e-postid413100.bbg"])
    assert bbg is not None and "postid" in bbg
    assert re.search(bbg, "https://baobacgiang.vn/bg2/xa-hoi/x-y-postid500000.bbg")
    assert not re.search(bbg, "https://baobacgiang.vn/bg2/xa-hoi/x-y-500000.html")

    monthly = infer_article_pattern(["https://baokhanhhoa.vn/xa-hoi/202401/a-b-8912345/",
                                     "https://baokhanhhoa.vn/kinh-te/202312/c-d-8900001/"])
    assert monthly is not None and re.search(monthly, "https://baokhanhhoa.vn/van-hoa/202402/e-f-8999999/")
    assert not re.search(monthly, "https://baokhanhhoa.vn/van-hoa/")

    assert infer_article_pattern([]) is None
    assert infer_article_pattern(["https://x.vn/kinh-te", "https://x.vn/"]) is None


def test_infer_article_pattern_on_real_dantri_urls() -> None:
    urls = [u for _, u, t in real_pages() if t == "article"]
    pattern = infer_article_pattern(urls)
    assert pattern is not None
    assert all(re.search(pattern, u) for u in urls)
    assert not any(re.search(pattern, u) for _, u, t in real_pages() if t != "article")


def test_draft_site_entry_is_a_valid_registry_block() -> None:
    page = """<html><head><title>Báo Mới Tỉnh - Tin tức</title>
      <meta property="og:site_name" content="Báo Mới Tỉnh"></head>
      <body><div id="newscontents">x</div></body></html>"""
    draft = draft_site_entry(
        "https://www.baomoitinh.vn/",
        feeds=["https://www.baomoitinh.vn/rss/home.rss", "https://other.vn/rss.xml"],
        sitemaps=["https://baomoitinh.vn/sitemap.xml"],
        article_urls=["https://baomoitinh.vn/mot-bai-viet-a12345.html",
                      "https://baomoitinh.vn/hai-bai-viet-nua-a12399.html"],
        listing_urls=["https://baomoitinh.vn/kinh-te", "https://other.vn/x"],
        page_html=page,
    )
    data = tomllib.loads(draft)
    (site,) = data["sites"]
    assert site["id"] == "baomoitinh" and site["name"] == "Báo Mới Tỉnh"
    assert site["domains"] == ["baomoitinh.vn"] and site["family"] == "newscontents"
    assert site["feeds"] == ["/rss/home.rss"] and site["sitemaps"] == ["/sitemap.xml"]
    assert site["start_urls"] == ["/", "/kinh-te"]
    packaged = load_registry()
    reg = parse_registry({"families": {k: {} for k in packaged.families}, "sites": [site]})
    drafted = reg.get("baomoitinh")
    assert drafted.is_article_url("https://baomoitinh.vn/ba-bai-a20000.html")
    assert not drafted.is_article_url("https://baomoitinh.vn/kinh-te")


def test_draft_without_findings_still_parses() -> None:
    draft = draft_site_entry("http://tin.example.vn", feeds=[], sitemaps=[], article_urls=[],
                             listing_urls=[], page_html=None)
    site = tomllib.loads(draft)["sites"][0]
    assert site["name"] == "tin.example.vn" and "article_pattern" not in site
    assert site["scheme"] == "http" and "no article pattern" in site["notes"]


def test_docstring_examples() -> None:
    for module in (feeds_module, classify_module, draft_module):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0
