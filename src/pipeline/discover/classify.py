"""What a URL or a fetched page is: an article, a listing or something else; which CMS made it.

Pure functions over strings (no network, no Scrapy): URL shapes (slug + id, date paths, tag,
author, search and paginated listings, static files), page structure (og:type, JSON-LD,
paragraphs, link density, teaser links) and the markup fingerprints of the registry's CMS families.

>>> classify_url("https://baohaiduong.vn/nong-nghiep/ty-phu-trung-ga-151256")
'article'
>>> classify_url("https://baohaiduong.vn/tag/nong-nghiep")
'listing'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from pipeline.discover.markup import absolute_url, parse_html

__all__ = ["FAMILY_MARKERS", "ID_TAIL_RE", "PageKind", "UrlKind", "classify_page", "classify_url", "guess_family"]

UrlKind = Literal["article", "listing", "other"]

_STATIC_EXT = frozenset(
    ["jpg", "jpeg", "png", "gif", "webp", "svg", "bmp", "ico", "css", "js", "json", "txt", "pdf", "doc", "docx",
     "xls", "xlsx", "ppt", "pptx", "zip", "rar", "gz", "mp3", "mp4", "m4a", "wav", "avi", "mov", "webm", "flv",
     "woff", "woff2", "ttf", "eot", "xml", "rss", "atom"]
)
_ARTICLE_EXT = frozenset(("html", "htm", "shtml", "bbg", "aspx", "php", "vn"))
# Path segments that mark collection pages (Vietnamese and English spellings).
# Folders that make any page under them a listing (tag, author, search, pagination) …
_LISTING_FOLDERS = frozenset((
    "tag", "tags", "tu-khoa", "chu-de", "topic", "topics", "tac-gia", "author", "authors",
    "search", "tim-kiem", "page", "trang",
))
# … and names that are listings only as the page itself (articles live under "moi-nhat/").
_LISTING_SEGMENTS = _LISTING_FOLDERS | frozenset((
    "category", "categories", "danh-muc", "chuyen-muc", "chuyen-de", "su-kien", "event",
    "events", "archive", "archives", "luu-tru", "tin-moi-nhat", "moi-nhat", "tin-tuc", "news",
    "latest",
))
_OTHER_SEGMENTS = frozenset((
    "video", "videos", "podcast", "podcasts", "media", "login", "dang-nhap", "dang-ky",
    "register", "lien-he", "contact", "gioi-thieu", "about", "rss", "feed", "static", "assets",
    "uploads", "upload", "images", "image", "files", "api", "ajax", "quang-cao", "toa-soan",
    "cdn-cgi", "wp-admin", "wp-content", "print", "in-bai",
))
# The slug-and-id tail of an article URL (``ty-phu-trung-ga-151256``, ``abc-post123.html``).
ID_TAIL_RE = re.compile(
    r"^(?P<slug>[a-z0-9-]*[a-z][a-z0-9-]*?)-(?P<prefix>[a-z]{0,6})(?P<id>\d{4,})"
    r"(?P<ext>\.[a-z]{2,5})?$",
    re.IGNORECASE,
)
_PAGINATION_TAIL = re.compile(r"^(?:trang|page|p)-?\d+$", re.IGNORECASE)
_DATE_PATH = re.compile(r"/(?:19|20)\d{2}/(?:0?[1-9]|1[0-2])(?:/(?:0?[1-9]|[12]\d|3[01]))?/")


# --- URL shape --------------------------------------------------------------------------------


def classify_url(url: str) -> UrlKind:
    """"article", "listing" or "other", from the URL alone.

    Articles carry a slug with an id (``-151256``, ``-post123.html``, ``-a123.html``,
    ``-postid413098.bbg``) or a date path; tag, author, search, category and paginated pages
    are listings; static files, media and service pages are other.
    """
    parts = urlsplit(url.strip())
    segments = [s for s in parts.path.split("/") if s]
    last = segments[-1].lower() if segments else ""
    stem, ext = _split_ext(last)
    if ext in _STATIC_EXT:
        return "other"
    lowered = [s.lower() for s in segments]
    if any(s in _OTHER_SEGMENTS for s in lowered[:-1]) or stem in _OTHER_SEGMENTS:
        return "other"
    if any(s in _LISTING_FOLDERS for s in lowered[:-1]):
        return "listing"
    if _is_paginated(parts.query, stem):
        return "listing"
    if "q" in parse_qs(parts.query) or "keyword" in parse_qs(parts.query):
        return "listing"
    if not segments:
        return "listing"
    if ID_TAIL_RE.match(last) and ext in _ARTICLE_EXT | {""}:
        return "article"
    if _DATE_PATH.search(parts.path + ("/" if not parts.path.endswith("/") else "")) and _slug_words(stem) >= 3:
        return "article"
    if ext in _ARTICLE_EXT and _slug_words(stem) >= 4:
        return "article"
    if stem in _LISTING_SEGMENTS or any(s in _LISTING_SEGMENTS for s in lowered[:-1]):
        return "listing"
    if len(segments) <= 2 and _slug_words(stem) <= 3:
        return "listing"
    return "other"


def _split_ext(segment: str) -> tuple[str, str]:
    stem, dot, ext = segment.rpartition(".")
    if dot and stem and re.fullmatch(r"[a-z0-9]{1,5}", ext):
        return stem, ext
    return segment, ""


def _is_paginated(query: str, stem: str) -> bool:
    params = parse_qs(query)
    if any(k in params for k in ("page", "p", "trang", "paged", "start")):
        return True
    return bool(_PAGINATION_TAIL.match(stem))


def _slug_words(stem: str) -> int:
    return len([w for w in re.split(r"[-_]+", stem) if re.search(r"[a-z]", w)])


# --- page structure -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageKind:
    """What a fetched page is, how sure we are (0..1) and why."""

    kind: UrlKind
    confidence: float
    reasons: tuple[str, ...] = ()


_ARTICLE_LD_TYPES = frozenset(("newsarticle", "article", "reportagenewsarticle", "blogposting",
                               "analysisnewsarticle", "opinionnewsarticle", "report",
                               "backgroundnewsarticle", "liveblogposting"))
_LISTING_LD_TYPES = frozenset(("collectionpage", "itemlist", "website", "searchresultspage",
                               "webpage"))
_LONG_PARAGRAPH = 120  # characters: a body sentence or two, longer than any teaser title


def classify_page(html: str, url: str) -> PageKind:
    """Article, listing or other, from the page's own signals and the URL.

    Signals: og:type, JSON-LD ``@type``, ``article:published_time``, the number of
    ``<article>`` and ``<h1>`` elements, long paragraphs outside links (body text), the share
    of text inside links, the number of article-shaped links, and :func:`classify_url`.
    og:type alone is weak evidence: Vietnamese CMSs also put ``article`` on section pages.
    """
    tree = parse_html(html)
    if tree is None:
        return PageKind("other", 0.5, ("not an HTML page",))
    score = 0.0
    reasons: list[str] = []

    def note(delta: float, why: str) -> None:
        nonlocal score
        score += delta
        reasons.append(f"{why} ({delta:+g})")

    og_type = _meta_content(tree, "og:type")
    if og_type == "article":
        note(0.5, "og:type=article")
    elif og_type in ("website", "object"):
        note(-0.5, f"og:type={og_type}")
    ld_types = set(_jsonld_types(tree))
    if ld_types & _ARTICLE_LD_TYPES:
        note(3.0, "JSON-LD " + "/".join(sorted(ld_types & _ARTICLE_LD_TYPES)))
    elif ld_types & _LISTING_LD_TYPES - {"webpage", "website"}:
        note(-2.0, "JSON-LD " + "/".join(sorted(ld_types & _LISTING_LD_TYPES)))
    if _meta_content(tree, "article:published_time"):
        note(1.0, "article:published_time")

    n_article = sum(1 for _ in tree.iter("article"))
    if n_article >= 4:
        note(-2.0, f"{n_article} <article> teasers")
    elif n_article in (1, 2):
        note(0.5, f"{n_article} <article>")

    body_text, link_text, long_paras = _text_measures(tree)
    if long_paras >= 5:
        note(2.5, f"{long_paras} long paragraphs")
    elif long_paras >= 2:
        note(1.0, f"{long_paras} long paragraphs")
    else:
        note(-1.5, f"{long_paras} long paragraphs")
    link_density = link_text / body_text if body_text else 1.0
    if link_density > 0.55:
        note(-1.5, f"link density {link_density:.2f}")
    elif link_density < 0.35:
        note(0.5, f"link density {link_density:.2f}")

    article_links = _count_article_links(tree, url)
    if article_links >= 20 and long_paras < max(5, article_links // 6):
        note(-2.0, f"{article_links} article links")

    url_kind = classify_url(url)
    if url_kind == "article":
        note(1.5, "URL looks like an article")
    elif url_kind == "listing":
        note(-1.5, "URL looks like a listing")

    teasers = max(article_links, n_article)
    return _decide_kind(score, teasers, tuple(reasons))


def _decide_kind(score: float, teasers: int, reasons: tuple[str, ...]) -> PageKind:
    """Article on clear positive evidence; listing only when the page also lists things."""
    confidence = round(min(0.99, 0.5 + abs(score) / 12), 2)
    if score >= 2.0:
        return PageKind("article", confidence, reasons)
    if score <= -1.0 and teasers >= 4:
        return PageKind("listing", confidence, reasons)
    if score <= -1.0:
        return PageKind("other", confidence, reasons)
    return PageKind("other", 0.5, reasons)


def _meta_content(tree: Any, key: str) -> str | None:
    for meta in tree.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").strip().lower() == key:
            value = (meta.get("content") or "").strip().lower()
            return value or None
    return None


def _jsonld_types(tree: Any) -> Iterator[str]:
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text_content() or "", strict=False)
        except ValueError:
            continue
        yield from _types_in(data)


def _types_in(data: Any) -> Iterator[str]:
    if isinstance(data, list):
        for item in data:
            yield from _types_in(item)
    elif isinstance(data, dict):
        kind = data.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        yield from (k.lower() for k in kinds if isinstance(k, str))
        if "@graph" in data:
            yield from _types_in(data["@graph"])


_SKIP_TEXT_TAGS = frozenset(("script", "style", "noscript", "template", "svg", "head"))


def _text_measures(tree: Any) -> tuple[int, int, int]:
    """(characters of visible text, characters inside links, long paragraphs outside links)."""
    body = tree.find("body")
    root = body if body is not None else tree
    total = linked = 0
    for node in root.iter():
        if not isinstance(node.tag, str) or node.tag in _SKIP_TEXT_TAGS:
            continue
        in_skip = any(a.tag in _SKIP_TEXT_TAGS for a in node.iterancestors())
        if in_skip:
            continue
        for text in (node.text,):
            n = len((text or "").strip())
            total += n
            if n and (node.tag == "a" or any(a.tag == "a" for a in node.iterancestors())):
                linked += n
        tail = len((node.tail or "").strip())
        total += tail
        if tail and any(a.tag == "a" for a in node.iterancestors()):
            linked += tail
    long_paras = 0
    for para in root.iter("p"):
        if any(a.tag == "a" for a in para.iterancestors()):
            continue
        own = _text_outside_links(para)
        if len(own) >= _LONG_PARAGRAPH:
            long_paras += 1
    return total, linked, long_paras


def _text_outside_links(node: Any) -> str:
    parts = [node.text or ""]
    for child in node:
        if isinstance(child.tag, str) and child.tag != "a":
            parts.append(_text_outside_links(child))
        parts.append(child.tail or "")
    return " ".join(" ".join(parts).split())


def _count_article_links(tree: Any, base_url: str) -> int:
    base_host = urlsplit(base_url).hostname or ""
    seen = set()
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        absolute = absolute_url(base_url, href)
        host = urlsplit(absolute).hostname or ""
        if base_host and host and host.removeprefix("www.") != base_host.removeprefix("www."):
            continue
        if classify_url(absolute) == "article":
            seen.add(absolute.split("#", 1)[0])
    return len(seen)


# --- CMS families -----------------------------------------------------------------------------

# Markup fingerprints of the registry's CMS families (the same ids as registry/sites.toml).
FAMILY_MARKERS: tuple[tuple[str, str], ...] = (
    ('id="newscontents"', "newscontents"),
    ("b-maincontent", "b-maincontent"),
    ('id="dcontent"', "dcontent"),
    ("cms-body", "article-cms-body"),
    ("article__body", "article-cms-body"),
    ('id="content_detail"', "content-detail"),
    ("detail-content", "slug-id-html"),
)


def guess_family(page_html: str, article_urls: Iterable[str]) -> str | None:
    """The registry family id whose URL shape or markup fingerprint the site shows, or None."""
    if any(u.lower().endswith(".bbg") and "-postid" in u.lower() for u in article_urls):
        return "bbg-postid"
    for marker, family in FAMILY_MARKERS:
        if marker in page_html:
            return family
    return None

