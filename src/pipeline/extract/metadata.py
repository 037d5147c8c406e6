"""What the page says about its article besides the body: the head's meta tags and JSON-LD,
the title, the lead (sapo), the section, the tags and the language.

>>> section_from_url("https://baohaiduong.vn/kinh-te/bai-viet-123.html")
'kinh-te'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from pipeline.extract.jsonld import json_names, json_text, read_json_ld
from pipeline.extract.markup import LEAD, SECTION, TAGS
from pipeline.extract.pubdate import DateFound, iso_dates
from pipeline.extract.selectors import ClassText, find_classed, has_ancestor, select_all, select_text
from pipeline.registry.load import ExtractionHints
from pipeline.text.normalise import clean_inline
from pipeline.text.vi import HOME_LINK_NAMES, VIETNAMESE_MARKS

__all__ = [
    "PageMeta",
    "find_language",
    "find_lead",
    "find_section",
    "find_tags",
    "find_title",
    "read_page_meta",
    "section_from_url",
]

VIETNAMESE_MARKS_RE = re.compile(f"[{VIETNAMESE_MARKS}]", re.IGNORECASE)
SECTION_SLUG_RE = re.compile(r"[a-z][a-z0-9-]{1,40}")


@dataclass(frozen=True, slots=True)
class PageMeta:
    """What the page's head (meta tags, JSON-LD) says about the article."""

    title: str | None = None
    description: str | None = None
    authors: tuple[str, ...] = ()
    section: str | None = None
    tags: tuple[str, ...] = ()
    language: str | None = None
    published: tuple[DateFound, ...] = ()
    modified: tuple[DateFound, ...] = ()
    site_name: str | None = None


def read_page_meta(tree: HtmlElement) -> PageMeta:
    """Meta tags and JSON-LD of the page."""
    metas: dict[str, list[str]] = {}
    for m in tree.xpath("//meta[@content]"):
        key = (m.get("property") or m.get("name") or m.get("itemprop") or "").strip().lower()
        if key:
            metas.setdefault(key, []).append(m.get("content") or "")
    ld = read_json_ld(tree)

    def first(*keys: str) -> str | None:
        for k in keys:
            for v in metas.get(k, []):
                value = clean_inline(v)
                if value:
                    return value
        return None

    published: list[DateFound] = [DateFound(d, "json-ld") for d in iso_dates(ld.get("datePublished"))]
    published += [DateFound(d, "meta") for d in iso_dates(
        first("article:published_time", "datepublished", "pubdate", "publishdate", "og:published_time",
              "dc.date.issued", "date"))]
    modified: list[DateFound] = [DateFound(d, "json-ld") for d in iso_dates(ld.get("dateModified"))]
    modified += [DateFound(d, "meta") for d in iso_dates(
        first("article:modified_time", "datemodified", "og:updated_time", "lastmod"))]
    for t in tree.xpath("//time[@datetime]")[:3]:
        published += [DateFound(d, "time") for d in iso_dates(t.get("datetime"))]

    tags = tuple(t for t in (clean_inline(v) for v in metas.get("article:tag", [])) if t)
    section = first("article:section") or json_text(ld.get("articleSection"))
    return PageMeta(
        title=first("og:title", "twitter:title") or json_text(ld.get("headline")),
        description=first("og:description", "description"),
        authors=tuple(json_names(ld.get("author"))) + tuple(v for v in (first("author"),) if v),
        section=section,
        tags=tags,
        language=first("og:locale", "language", "content-language"),
        published=tuple(published),
        modified=tuple(modified),
        site_name=first("og:site_name"),
    )


def find_title(tree: HtmlElement, hints: ExtractionHints, meta: PageMeta, classes: ClassText) -> str | None:
    """Hint title, else og:title / JSON-LD headline, else the longest h1, else <title>."""
    hinted = select_text(tree, hints.title, classes)
    if hinted:
        return hinted
    if meta.title:
        return meta.title
    h1s = [clean_inline(h.text_content()) for h in tree.xpath("//h1")[:5]]
    best = max((h for h in h1s if h), key=len, default=None)
    if best:
        return best
    raw = clean_inline(tree.findtext(".//title") or "")
    return re.split(r"\s+[|–-]\s+", raw)[0] if raw else None


def find_lead(tree: HtmlElement, hints: ExtractionHints, classes: ClassText) -> str | None:
    """The visible sapo: the hint's element, else an element classed sapo/lead/summary."""
    hinted = select_text(tree, hints.lead, classes)
    if hinted:
        return hinted
    for element in find_classed(tree, LEAD, classes)[:4]:
        if has_ancestor(element, "li", "aside", "nav", "footer"):
            continue
        text = clean_inline(element.text_content())
        if text and 40 <= len(text) <= 800:
            return text
    return None


def find_section(tree: HtmlElement, hints: ExtractionHints, classes: ClassText) -> str | None:
    """The last breadcrumb link that is not the home page."""
    links = select_all(tree, hints.section, classes) if hints.section else []
    if not links:
        links = find_classed(tree, SECTION, classes)[:8]
    names = [clean_inline(a.text_content()) for a in links]
    names = [n for n in names if n and n.lower() not in HOME_LINK_NAMES]
    return names[-1] if names else None


def section_from_url(url: str) -> str | None:
    """The first path segment of an article URL with a section path (``/kinh-te/slug-123.html``)."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    if len(parts) >= 2 and SECTION_SLUG_RE.fullmatch(parts[0]) and parts[0] not in {"bg", "channel"}:
        return parts[0]
    if len(parts) >= 3 and parts[0] == "bg":
        return parts[1]
    return None


def find_tags(tree: HtmlElement, hints: ExtractionHints, classes: ClassText) -> tuple[str, ...]:
    """The article's tag links (hint first, else tag-classed blocks), unique, short ones."""
    links = select_all(tree, hints.tags, classes) if hints.tags else []
    if not links:
        links = find_classed(tree, TAGS, classes)[:20]
    names = (clean_inline(a.text_content()) for a in links)
    return tuple(dict.fromkeys(n for n in names if n and len(n) <= 60))


def find_language(tree: HtmlElement, meta: PageMeta, text: str) -> str | None:
    """The page's language (``lang``, else the head's), else "vi" when the text has its marks."""
    lang = (tree.get("lang") or meta.language or "").strip().lower()
    if lang:
        return re.split(r"[-_]", lang)[0] or None
    return "vi" if VIETNAMESE_MARKS_RE.search(text[:2000]) else None
