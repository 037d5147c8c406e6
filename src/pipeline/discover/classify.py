"""Generic discovery for a news site the registry does not know.

Pure functions over strings and bytes (no network, no Scrapy): the spider fetches, these decide.
They find feeds (``<link rel=alternate>``, feed-looking links, common paths) and sitemaps
(robots.txt, common paths), parse RSS/Atom feeds and sitemaps tolerantly, tell article pages
from listing pages by URL shape and page structure, and draft a registry entry from what was
found (``baotinh sites suggest URL``).

>>> classify_url("https://baohaiduong.vn/nong-nghiep/ty-phu-trung-ga-151256")
'article'
>>> classify_url("https://baohaiduong.vn/tag/nong-nghiep")
'listing'
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal, NamedTuple
from urllib.parse import parse_qs, urljoin, urlsplit
from zoneinfo import ZoneInfo

import lxml.etree as etree
import lxml.html

__all__ = [
    "COMMON_FEED_PATHS",
    "COMMON_SITEMAP_PATHS",
    "FeedEntry",
    "PageKind",
    "Sitemap",
    "SitemapEntry",
    "classify_page",
    "classify_url",
    "draft_site_entry",
    "find_feed_links",
    "infer_article_pattern",
    "parse_feed",
    "parse_robots_sitemaps",
    "parse_sitemap",
]

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

COMMON_FEED_PATHS: tuple[str, ...] = (
    "/rss/home.rss", "/rss/tin-moi-nhat.rss", "/rss", "/rss.xml", "/feed", "/feed.xml",
    "/atom.xml", "/index.rss",
)
COMMON_SITEMAP_PATHS: tuple[str, ...] = (
    "/sitemap.xml", "/sitemap_index.xml", "/sitemap-index.xml", "/sitemaps.xml",
    "/sitemap-news.xml", "/news-sitemap.xml",
)

UrlKind = Literal["article", "listing", "other"]

_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml",
               "application/xml", "text/xml", "application/feed+json")
_STATIC_EXT = frozenset(
    "jpg jpeg png gif webp svg bmp ico css js json txt pdf doc docx xls xlsx ppt pptx zip rar gz "
    "mp3 mp4 m4a wav avi mov webm flv woff woff2 ttf eot xml rss atom".split()
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
_ID_TAIL = re.compile(
    r"^(?P<slug>[a-z0-9-]*[a-z][a-z0-9-]*?)-(?P<prefix>[a-z]{0,6})(?P<id>\d{4,})"
    r"(?P<ext>\.[a-z]{2,5})?$",
    re.IGNORECASE,
)
_PAGINATION_TAIL = re.compile(r"^(?:trang|page|p)-?\d+$", re.IGNORECASE)
_DATE_PATH = re.compile(r"/(?:19|20)\d{2}/(?:0?[1-9]|1[0-2])(?:/(?:0?[1-9]|[12]\d|3[01]))?/")


# --- feeds and sitemaps: where they are ------------------------------------------------------


def find_feed_links(html: str, base_url: str) -> list[str]:
    """Absolute feed URLs announced by a page, ``<link rel=alternate>`` first, no duplicates.

    Also takes ``<a>`` links that look like feeds (``.rss``, ``.xml`` with rss/feed/atom in
    it, ``/rss`` index pages).
    """
    tree = _parse_html(html)
    if tree is None:
        return []
    found: list[str] = []
    for link in tree.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        if "alternate" in rels and kind in _FEED_TYPES and link.get("href"):
            found.append(_absolute(base_url, link.get("href", "")))
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if href and _looks_like_feed_href(href):
            found.append(_absolute(base_url, href))
    return [u for u in dict.fromkeys(found) if u.startswith(("http://", "https://"))]


def _looks_like_feed_href(href: str) -> bool:
    path = urlsplit(href).path.lower()
    if path.endswith((".rss", ".atom")):
        return True
    if path.endswith(".xml"):
        return any(word in path for word in ("rss", "feed", "atom"))
    return bool(re.search(r"/(?:rss|feed)(?:\.html?|/)?$", path))


def parse_robots_sitemaps(robots_txt: str) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt, in order, without duplicates."""
    urls = []
    for line in robots_txt.splitlines():
        key, sep, value = line.partition(":")
        value = value.split("#", 1)[0].strip()
        if sep and key.strip().lower() == "sitemap" and value:
            urls.append(value)
    return list(dict.fromkeys(urls))


# --- feeds and sitemaps: what they say -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of an RSS or Atom feed."""

    url: str
    title: str | None = None
    published: datetime | None = None  # aware


class SitemapEntry(NamedTuple):
    """One ``<url>`` (or ``<sitemap>``) of a sitemap: its location and aware lastmod."""

    loc: str
    lastmod: datetime | None


@dataclass(frozen=True, slots=True)
class Sitemap:
    """A parsed sitemap: an index of sitemaps (``is_index``) or a list of page URLs."""

    is_index: bool
    entries: tuple[SitemapEntry, ...] = ()

    @property
    def urls(self) -> list[str]:
        return [e.loc for e in self.entries]


def parse_feed(xml: bytes) -> list[FeedEntry]:
    """The items of an RSS 2.0 / RSS 1.0 / Atom feed; an empty list for anything unreadable."""
    root = _parse_xml(xml)
    if root is None:
        return []
    entries = []
    for node in root.iter():
        name = _local(node)
        if name == "item":
            entry = _rss_entry(node)
        elif name == "entry":
            entry = _atom_entry(node)
        else:
            continue
        if entry is not None:
            entries.append(entry)
    return entries


def _rss_entry(item: Any) -> FeedEntry | None:
    url = _child_text(item, "link") or _rss_guid_link(item) or item.get(_RDF_ABOUT)
    if not url:
        return None
    stamp = _child_text(item, "pubDate") or _child_text(item, "date") or _child_text(item, "published")
    return FeedEntry(url=url.strip(), title=_child_text(item, "title"), published=_parse_any_date(stamp))


_RDF_ABOUT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"


def _rss_guid_link(item: Any) -> str | None:
    for child in item:
        if _local(child) == "guid" and (child.get("isPermaLink") or "true").lower() == "true":
            text = (child.text or "").strip()
            if text.startswith(("http://", "https://")):
                return text
    return None


def _atom_entry(entry: Any) -> FeedEntry | None:
    url = None
    for child in entry:
        if _local(child) == "link" and child.get("href"):
            rel = child.get("rel") or "alternate"
            if rel == "alternate" and url is None:
                url = child.get("href")
    if not url:
        return None
    stamp = _child_text(entry, "published") or _child_text(entry, "updated")
    return FeedEntry(url=url.strip(), title=_child_text(entry, "title"), published=_parse_any_date(stamp))


def parse_sitemap(xml: bytes) -> Sitemap:
    """A sitemap or sitemap index (gzip accepted); an empty sitemap for anything unreadable."""
    root = _parse_xml(_gunzip(xml))
    if root is None:
        return Sitemap(is_index=False)
    is_index = _local(root) == "sitemapindex"
    wanted = "sitemap" if is_index else "url"
    entries = []
    for node in root.iter():
        if _local(node) != wanted:
            continue
        loc = _child_text(node, "loc")
        if loc:
            entries.append(SitemapEntry(loc.strip(), _parse_any_date(_child_text(node, "lastmod"))))
    return Sitemap(is_index=is_index, entries=tuple(entries))


_MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit for an uncompressed sitemap


def _gunzip(data: bytes) -> bytes:
    if not data.startswith(b"\x1f\x8b"):
        return data
    try:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return inflater.decompress(data, _MAX_SITEMAP_BYTES)
    except (zlib.error, gzip.BadGzipFile, EOFError):
        return b""


def _parse_xml(data: bytes) -> Any | None:
    if not data or not data.strip():
        return None
    # recover=True reads the half-broken feeds small CMSs serve; no entities, no network (XXE).
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True,
                             huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(data.lstrip(), parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    return root


def _local(node: Any) -> str:
    tag = node.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _child_text(node: Any, name: str) -> str | None:
    for child in node:
        if _local(child) == name:
            text = "".join(child.itertext()).strip()
            return text or None
    return None


def _parse_any_date(text: str | None) -> datetime | None:
    """An aware datetime from an RFC 822 or ISO 8601 stamp; naive stamps are Vietnamese time."""
    if not text:
        return None
    text = text.strip()
    value: datetime | None = None
    try:
        value = datetime.fromisoformat(text.replace(" ", "T", 1) if re.match(r"\d{4}-\d\d-\d\d \d", text) else text)
    except ValueError:
        try:
            value = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=VN_TZ)
    return value


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
    if _ID_TAIL.match(last) and ext in _ARTICLE_EXT | {""}:
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
    tree = _parse_html(html)
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


def _parse_html(html: str | bytes) -> Any | None:
    if not html or not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


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
        absolute = _absolute(base_url, href)
        host = urlsplit(absolute).hostname or ""
        if base_host and host and host.removeprefix("www.") != base_host.removeprefix("www."):
            continue
        if classify_url(absolute) == "article":
            seen.add(absolute.split("#", 1)[0])
    return len(seen)


def _absolute(base_url: str, href: str) -> str:
    try:
        return urljoin(base_url, href.strip())
    except ValueError:
        return href


# --- registry drafting ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Shape:
    """The generalisable parts of one article URL."""

    dirs: tuple[str, ...]  # "w" for a word folder, "d<n>" for an all-digit folder of n digits
    prefix: str  # letters between the slug and the id: "", "a", "post", "postid"
    id_len: int
    ext: str  # "" or ".html" …
    slash: bool
    upper: bool


def infer_article_pattern(article_urls: list[str]) -> str | None:
    """A regex that generalises the given article URLs (slug + id shapes), or None.

    URLs are grouped by their id prefix and folder layout; each group becomes one alternative,
    and groups holding under a fifth of the URLs are dropped as noise.

    >>> infer_article_pattern(["https://x.vn/a/b-c-d-12345.html", "https://x.vn/e/f-g-123456.html"])
    '^https?://[^/]+/(?:[a-z0-9-]+/){1}[a-z0-9-]+-\\\\d{5,}\\\\.html$'
    """
    shapes = [s for s in (_shape_of(u) for u in article_urls) if s is not None]
    if not shapes:
        return None
    groups: dict[tuple[str, tuple[str, ...]], list[_Shape]] = {}
    for shape in shapes:
        layout = tuple("w" if d == "w" else d for d in shape.dirs)
        key = (shape.prefix, tuple(d for d in layout if d != "w"))
        groups.setdefault(key, []).append(shape)
    keep = [g for g in groups.values() if len(g) * 5 >= len(shapes)]
    alternatives = sorted({_group_regex(g) for g in keep})
    if not alternatives:
        return None
    body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
    return r"^https?://[^/]+/" + body + "$"


def _shape_of(url: str) -> _Shape | None:
    parts = urlsplit(url.strip())
    path = parts.path
    segments = [s for s in path.split("/") if s]
    if not segments:
        return None
    match = _ID_TAIL.match(segments[-1])
    if match is None:
        return None
    dirs = tuple(f"d{len(s)}" if s.isdigit() else "w" for s in segments[:-1])
    return _Shape(
        dirs=dirs,
        prefix=match.group("prefix").lower(),
        id_len=len(match.group("id")),
        ext=(match.group("ext") or "").lower(),
        slash=path.endswith("/"),
        upper=any(c.isupper() for c in path),
    )


def _group_regex(group: list[_Shape]) -> str:
    word = "[A-Za-z0-9_-]+" if any(s.upper for s in group) else "[a-z0-9-]+"
    folders = _folders_regex(group, word)
    id_len = min(s.id_len for s in group)
    exts = sorted({s.ext for s in group})
    ext_part = _alternation([re.escape(e) for e in exts if e], optional="" in exts)
    slash = "/?" if any(s.slash for s in group) else ""
    return f"{folders}{word}-{re.escape(group[0].prefix)}\\d{{{id_len},}}{ext_part}{slash}"


def _folders_regex(group: list[_Shape], word: str) -> str:
    if all(all(d == "w" for d in s.dirs) for s in group):
        counts = sorted({len(s.dirs) for s in group})
        lo, hi = counts[0], counts[-1]
        if hi == 0:
            return ""
        rep = f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}"
        return f"(?:{word}/){rep}"
    # Date-like folders (yyyymm, yyyy/mm): keep the layout of the most common shape.
    layout = Counter(s.dirs for s in group).most_common(1)[0][0]
    return "".join(f"{word}/" if d == "w" else f"\\d{{{d[1:]}}}/" for d in layout)


def _alternation(options: list[str], *, optional: bool) -> str:
    if not options:
        return ""
    inner = options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"
    if optional:
        return f"(?:{inner})?" if len(options) == 1 else inner + "?"
    return inner


# Markup fingerprints of the registry's CMS families (the same ids as sites/registry.toml).
_FAMILY_MARKERS: tuple[tuple[str, str], ...] = (
    ('id="newscontents"', "newscontents"),
    ("b-maincontent", "b-maincontent"),
    ('id="dcontent"', "dcontent"),
    ("cms-body", "article-cms-body"),
    ("article__body", "article-cms-body"),
    ('id="content_detail"', "content-detail"),
    ("detail-content", "slug-id-html"),
)


def draft_site_entry(
    base_url: str,
    *,
    feeds: list[str],
    sitemaps: list[str],
    article_urls: list[str],
    listing_urls: list[str],
    page_html: str | None,
) -> str:
    """A ``[[sites]]`` TOML block for the registry, drafted from what discovery found.

    Fields discovery cannot know (provinces, founding date) are left as comments to fill in;
    ``baotinh sites check`` reports them until they are.
    """
    parts = urlsplit(base_url if "://" in base_url else "https://" + base_url)
    host = (parts.hostname or "").lower()
    bare = host.removeprefix("www.")
    scheme = parts.scheme or "https"
    origin = f"{scheme}://{host}"
    pattern = infer_article_pattern(article_urls)
    family = _guess_family(page_html or "", article_urls)
    lines = [
        "[[sites]]",
        f"id = {_toml_str(_site_id(bare))}",
        f"name = {_toml_str(_site_name(page_html, bare))}",
        "# province_before = \"\"  # one of the 63 pre-merger provinces",
        "# province_after = \"\"   # one of the 34 post-merger provinces",
    ]
    lines.append(f"family = {_toml_str(family)}" if family else "# family = \"\"  # no known CMS fingerprint")
    lines.append(f"domains = {_toml_list([bare])}")
    if scheme != "https":
        lines.append(f"scheme = {_toml_str(scheme)}")
    starts = ["/"] + [_relative(origin, u) for u in listing_urls if _same_site(u, bare)]
    lines.append(f"start_urls = {_toml_list(list(dict.fromkeys(starts))[:8])}")
    own_feeds = [_relative(origin, u) for u in feeds if _same_site(u, bare)]
    if own_feeds:
        lines.append(f"feeds = {_toml_list(list(dict.fromkeys(own_feeds)))}")
    own_maps = [_relative(origin, u) for u in sitemaps if _same_site(u, bare)]
    if own_maps:
        lines.append(f"sitemaps = {_toml_list(list(dict.fromkeys(own_maps)))}")
    if pattern:
        lines.append(f"article_pattern = {_toml_str(pattern)}")
    lines.append(f"notes = {_toml_str(_draft_notes(len(article_urls), pattern, family))}")
    return "\n".join(lines) + "\n"


def _guess_family(page_html: str, article_urls: Iterable[str]) -> str | None:
    if any(u.lower().endswith(".bbg") and "-postid" in u.lower() for u in article_urls):
        return "bbg-postid"
    for marker, family in _FAMILY_MARKERS:
        if marker in page_html:
            return family
    return None


def _site_id(host: str) -> str:
    label = host.split(".")[0] if host else "site"
    cleaned = re.sub(r"[^a-z0-9]+", "", label.lower())
    return cleaned or "site"


def _site_name(page_html: str | None, host: str) -> str:
    tree = _parse_html(page_html) if page_html else None
    if tree is not None:
        for meta in tree.iter("meta"):
            if (meta.get("property") or "").lower() == "og:site_name" and meta.get("content"):
                return " ".join((meta.get("content") or "").split())
        title = tree.find(".//title")
        if title is not None and (title.text_content() or "").strip():
            text = " ".join(title.text_content().split())
            return re.split(r"\s+[|\-–—]\s+", text)[0]
    return host


def _draft_notes(n_articles: int, pattern: str | None, family: str | None) -> str:
    found = f"Drafted by `baotinh sites suggest` from {n_articles} article URL(s)"
    if pattern is None:
        found += "; no article pattern could be inferred"
    if family is None:
        found += "; CMS family unknown"
    return found + ". Verify before adding to the registry."


def _same_site(url: str, bare_host: str) -> bool:
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    return host == bare_host


def _relative(origin: str, url: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    return path + (f"?{parts.query}" if parts.query else "")


def _toml_str(value: str) -> str:
    # Literal strings keep regex backslashes readable; fall back to an escaped basic string.
    if "'" not in value and "\n" not in value and not any(ord(c) < 32 for c in value):
        return f"'{value}'"
    return json.dumps(value, ensure_ascii=False)


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(_toml_str(v) for v in values) + "]"
