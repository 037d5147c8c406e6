"""Where a site's feeds and sitemaps are, and what they say.

Pure functions over strings and bytes (no network, no Scrapy): feeds announced by a page
(``<link rel=alternate>``, feed-looking links) or at common paths, sitemaps named by robots.txt
or at common paths, and tolerant parsers for RSS/Atom feeds and (gzipped) sitemaps.

>>> parse_robots_sitemaps("Sitemap: https://x.vn/sitemap.xml # news")
['https://x.vn/sitemap.xml']
"""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import lxml.etree as etree

from pipeline.discover.markup import absolute_url, parse_html
from pipeline.text.dates import VN_TZ

__all__ = [
    "COMMON_FEED_PATHS",
    "COMMON_SITEMAP_PATHS",
    "FeedEntry",
    "Sitemap",
    "SitemapEntry",
    "find_feed_links",
    "parse_feed",
    "parse_robots_sitemaps",
    "parse_sitemap",
]

COMMON_FEED_PATHS: tuple[str, ...] = (
    "/rss/home.rss", "/rss/tin-moi-nhat.rss", "/rss", "/rss.xml", "/feed", "/feed.xml",
    "/atom.xml", "/index.rss",
)
COMMON_SITEMAP_PATHS: tuple[str, ...] = (
    "/sitemap.xml", "/sitemap_index.xml", "/sitemap-index.xml", "/sitemaps.xml",
    "/sitemap-news.xml", "/news-sitemap.xml",
)

_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml",
               "application/xml", "text/xml", "application/feed+json")


# --- feeds and sitemaps: where they are ------------------------------------------------------


def find_feed_links(html: str, base_url: str) -> list[str]:
    """Absolute feed URLs announced by a page, ``<link rel=alternate>`` first, no duplicates.

    Also takes ``<a>`` links that look like feeds (``.rss``, ``.xml`` with rss/feed/atom in
    it, ``/rss`` index pages).
    """
    tree = parse_html(html)
    if tree is None:
        return []
    found: list[str] = []
    for link in tree.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        if "alternate" in rels and kind in _FEED_TYPES and link.get("href"):
            found.append(absolute_url(base_url, link.get("href", "")))
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if href and _looks_like_feed_href(href):
            found.append(absolute_url(base_url, href))
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
