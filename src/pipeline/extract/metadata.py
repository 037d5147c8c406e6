"""What the page says about its article besides the body: the head's meta tags and JSON-LD,
the title, the lead (sapo), the section, the tags and the language.

>>> section_from_url("https://baohaiduong.vn/kinh-te/bai-viet-123.html")
'kinh-te'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import lxml.etree
from lxml.html import HtmlElement

from pipeline.extract.jsonld import json_names, json_text, read_json_ld
from pipeline.extract.markup import LEAD, SECTION, TAGS
from pipeline.extract.pubdate import DateFound, iso_dates, title_heading
from pipeline.extract.selectors import ClassText, find_classed, has_ancestor, select_all, select_text
from pipeline.registry.load import ExtractionHints
from pipeline.text.fold import fold
from pipeline.text.normalise import clean_inline, normalise_text
from pipeline.text.vi import HOME_LINK_NAMES, VIETNAMESE_MARKS

__all__ = [
    "PageMeta",
    "find_language",
    "find_lead",
    "find_section",
    "find_tags",
    "find_title",
    "opening_block",
    "read_page_meta",
    "section_from_url",
]

VIETNAMESE_MARKS_RE = re.compile(f"[{VIETNAMESE_MARKS}]", re.IGNORECASE)
SECTION_SLUG_RE = re.compile(r"[a-z][a-z0-9-]{1,40}")
# Meta names of the published and modified dates, most trusted first.
PUBLISHED_KEYS = (
    "article:published_time", "datepublished", "pubdate", "publishdate", "og:published_time",
    "og:article:published_time", "article:published", "publish-date", "published_date",
    "dc.date.issued", "dcterms.created", "dc.date.created", "parsely-pub-date", "date",
)
MODIFIED_KEYS = (
    "article:modified_time", "datemodified", "og:updated_time", "lastmod", "og:article:modified_time",
    "dcterms.modified", "article:modified",
)
# Meta tags, and microdata dates outside them (<span itemprop="datePublished" content="…">).
HEAD_VALUES_XPATH = lxml.etree.XPath("//meta[@content] | //*[@itemprop][@content or @datetime][not(self::meta)]")
TIME_XPATH = lxml.etree.XPath("//time[@datetime]")
TITLE_SPLIT_RE = re.compile(r"\s+[|–—-]\s+")
TITLE_WORD_RE = re.compile(r"[^\W_]+")
# What glues a keyword or site suffix onto a headline without spaces around it.
SUFFIX_GLUE = frozenset(":-|–—")
# "THỜI SỰ > Cần Thơ", "Trang chủ » Kinh tế": a breadcrumb printed as a heading.
SECTION_HEADING_RE = re.compile(r"[>»›]|\s/\s")
# Classes of the blocks a headline never sits in.
SECTION_CLASS_RE = re.compile(r"breadcrumb|crumb|logo|menu|navbar|cate|section-title|box-title|sidebar", re.I)
# A site-name suffix of og:title: "Báo Hải Dương", "baohaiduong.vn", "Tin tức …".
SITE_SUFFIX_RE = re.compile(r"^(?:báo|tạp chí|đài|cổng|trang|tin tức)\b|\.(?:vn|com|net|org)\b|online$", re.I)
# A body paragraph at least this long follows the headline.
LONG_PARAGRAPH_CHARS = 150


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
    headline: str | None = None  # JSON-LD's, kept apart from og:title


def read_page_meta(tree: HtmlElement) -> PageMeta:
    """Meta tags and JSON-LD of the page."""
    metas: dict[str, list[str]] = {}
    for m in HEAD_VALUES_XPATH(tree):
        key = (m.get("property") or m.get("name") or m.get("itemprop") or "").strip().lower()
        if key:
            metas.setdefault(key, []).append(m.get("content") or m.get("datetime") or "")
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
        first(*PUBLISHED_KEYS))]
    modified: list[DateFound] = [DateFound(d, "json-ld") for d in iso_dates(ld.get("dateModified"))]
    modified += [DateFound(d, "meta") for d in iso_dates(
        first(*MODIFIED_KEYS))]
    for t in TIME_XPATH(tree)[:3]:
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
        headline=json_text(ld.get("headline")),
    )


def find_title(tree: HtmlElement, hints: ExtractionHints, meta: PageMeta, classes: ClassText) -> str | None:
    """Hint title; else the og:title / JSON-LD headline as a heading of the page agrees with it
    (a site-name suffix "… - Báo X" cut off); else the headline heading nearest the body (never a
    breadcrumb or section heading); else <title> without its site name."""
    hinted = select_text(tree, hints.title, classes)
    if hinted:
        return hinted
    headings = page_headings(tree)
    page_title = clean_inline(tree.findtext(".//title") or "")
    for claimed in (meta.title, meta.headline):
        agreed = agreed_title(claimed, headings)
        if agreed:
            return agreed
    for claimed in (meta.title, meta.headline, page_title):
        heading = heading_before_suffix(claimed, headings)
        if heading:
            return heading
    if meta.title or meta.headline:
        return strip_site_suffix(meta.title or meta.headline or "", meta.site_name)
    for heading in headings:
        if agreed_title(page_title, [heading]):
            return heading
    best = headline_heading(tree)
    if best:
        return best
    return TITLE_SPLIT_RE.split(page_title)[0] if page_title else None


def page_headings(tree: HtmlElement) -> list[str]:
    """The text of the page's h1 and h2 headings that are not breadcrumbs or section names."""
    texts = (clean_inline(h.text_content()) for h in tree.xpath("//h1 | //h2")[:24] if not is_section_heading(h))
    return [t for t in texts if t and not SECTION_HEADING_RE.search(t)]


def is_section_heading(heading: HtmlElement) -> bool:
    """A heading in a breadcrumb, nav or header block, or a logo (no headline lives there)."""
    if has_ancestor(heading, "nav", "aside", "footer", "li"):
        return True
    names = " ".join(f"{e.get('class', '')} {e.get('id', '')}" for e in (heading, *heading.iterancestors()))
    return bool(SECTION_CLASS_RE.search(names))


def title_variants(claimed: str) -> list[str]:
    """The claimed title and its leading parts before a " - " / " | " site-name suffix."""
    cuts = [m.start() for m in TITLE_SPLIT_RE.finditer(claimed)]
    return [claimed] + [claimed[:cut] for cut in reversed(cuts)]


def title_key(text: str) -> str:
    """A title folded for comparison: no case, marks or punctuation."""
    return " ".join(TITLE_WORD_RE.findall(fold(text)))


def agreed_title(claimed: str | None, headings: Sequence[str]) -> str | None:
    """The longest variant of ``claimed`` that a heading spells (as the page prints it, when the
    meta is in another case), None when no heading agrees."""
    if not claimed:
        return None
    keys = {title_key(h): h for h in headings}
    for variant in title_variants(claimed):
        heading = keys.get(title_key(variant))
        if heading is not None and title_key(variant):
            return variant if not variant.isupper() or heading.isupper() else heading
    return None


def heading_before_suffix(claimed: str | None, headings: Sequence[str]) -> str | None:
    """A heading of four words or more that the claimed title starts with, followed by a suffix
    glued on with ":" or "-" ("Headline-keyword slug", "Headline: Tin, Video clip, Hình ảnh")."""
    if not claimed:
        return None
    folded = fold(claimed)
    for heading in headings:
        key = fold(heading).strip()
        if len(heading.split()) >= 4 and folded.startswith(key) and folded[len(key):].lstrip()[:1] in SUFFIX_GLUE:
            return heading
    return None


def strip_site_suffix(claimed: str, site_name: str | None) -> str:
    """og:title without a trailing " - Báo X" / " | baox.vn" / " - <og:site_name>"."""
    cuts = list(TITLE_SPLIT_RE.finditer(claimed))
    if not cuts:
        return claimed
    tail = claimed[cuts[-1].end():]
    if (site_name and title_key(tail) == title_key(site_name)) or SITE_SUFFIX_RE.search(tail):
        return claimed[:cuts[-1].start()]
    return claimed


def headline_heading(tree: HtmlElement) -> str | None:
    """The headline when the page says nothing in its head: the last h1 or h2 (of four words or
    more, not a section heading) before the first long paragraph, else the longest h1."""
    nearest: str | None = None
    for element in tree.xpath("//h1 | //h2 | //p")[:200]:
        text = clean_inline(element.text_content()) or ""
        if element.tag == "p":
            if len(text) >= LONG_PARAGRAPH_CHARS and nearest:
                return nearest
            continue
        if len(text.split()) >= 4 and not is_section_heading(element) and not SECTION_HEADING_RE.search(text):
            nearest = text
    h1s = [clean_inline(h.text_content()) for h in tree.xpath("//h1")[:5] if not is_section_heading(h)]
    return max((h for h in h1s if h and not SECTION_HEADING_RE.search(h)), key=len, default=None)


# The blocks after a headline that can be its lead, and how much of the meta description must agree.
LEAD_AFTER_TITLE_XPATH = lxml.etree.XPath("following::*[self::h2 or self::h3 or self::p or self::div][position() <= 4]")
LEAD_AGREEMENT_CHARS = 40
# The blocks after a headline that can open its text (:func:`opening_block`), and the tags a block
# of text and line breaks never holds.
OPENING_XPATH = lxml.etree.XPath("following::*[self::p or self::div][position() <= 40]")
OPENING_BLOCK_TAGS = frozenset({"p", "div", "table", "ul", "ol", "li", "h1", "h2", "h3", "h4", "blockquote", "img",
                                "iframe", "figure"})


def find_lead(tree: HtmlElement, hints: ExtractionHints, classes: ClassText, title: str | None = None,
              description: str | None = None) -> str | None:
    """The visible sapo: the hint's element, else an element classed sapo/lead/summary, else the
    block just under the headline that repeats the page's meta description."""
    hinted = select_text(tree, hints.lead, classes)
    if hinted:
        return hinted
    classed = classed_lead(tree, classes)
    if classed and description and agrees_with(classed, description):
        return classed
    # A classed "lead" the description does not repeat may be a sidebar teaser's.
    return lead_under_title(tree, title, description) or classed


def classed_lead(tree: HtmlElement, classes: ClassText) -> str | None:
    """The first element classed sapo/lead/summary with a lead's length, outside lists and asides."""
    for element in find_classed(tree, LEAD, classes)[:4]:
        if has_ancestor(element, "li", "aside", "nav", "footer"):
            continue
        text = clean_inline(element.text_content())
        if text and 40 <= len(text) <= 800:
            return text
    return None


def agrees_with(text: str, description: str) -> bool:
    """True when a stretch from the middle of the meta description is in ``text`` (descriptions
    are cut short or carry a keyword prefix)."""
    folded = fold(description.rstrip(". …"))
    middle = folded[len(folded) // 3:len(folded) // 3 + LEAD_AGREEMENT_CHARS]
    return bool(middle) and middle in fold(text)


def lead_under_title(tree: HtmlElement, title: str | None, description: str | None) -> str | None:
    """The first sizeable block of the few after the headline heading that agrees with the meta
    description (:func:`agrees_with`), without a trailing ">> related story" link; Vietnamese
    pages only (elsewhere a standfirst is not the article's text)."""
    if not description or len(description) < 40 or not VIETNAMESE_MARKS_RE.search(description):
        return None  # the Vietnamese press counts its sapo as the article's first paragraph
    heading = title_heading(tree, title)
    if heading is None:
        return None
    for element in LEAD_AFTER_TITLE_XPATH(heading):
        text = (clean_inline(element.text_content()) or "").split(">>")[0].strip()
        if 40 <= len(text) <= 800 and agrees_with(text, description):
            return text
    return None


def opening_block(tree: HtmlElement, title: str | None, description: str | None) -> str | None:
    """The lead of a page that has no description of its own (none in the head, or one that only
    repeats the title): the first block under the headline that is text and line breaks only
    (no blocks inside it, not mostly links), its lines as printed ("- Amazon kiên nhẫn…" one bullet
    a line: old GenK). Vietnamese pages only; the caller keeps it only where the body opens with
    those very lines, so that it marks the sapo among them and adds nothing."""
    if description and fold(description) != fold(title or ""):
        return None
    heading = title_heading(tree, title)
    if heading is None or not VIETNAMESE_MARKS_RE.search(title or ""):
        return None
    for element in OPENING_XPATH(heading):
        if has_ancestor(element, "li", "aside", "a") or any(
                isinstance(c.tag, str) and c.tag in OPENING_BLOCK_TAGS for c in element.iterdescendants()):
            continue
        text = " ".join(element.text_content().split())
        linked = " ".join(" ".join(a.text_content().split()) for a in element.iter("a"))
        if len(text) < 40 or len(linked) > len(text) / 2:
            continue  # a date line, a byline, a related story's link
        lines = [normalise_text(line) for line in block_text(element).split("\n")]
        return "\n".join(line for line in lines if line) if len(text) <= 800 else None
    return None


def block_text(element: HtmlElement) -> str:
    """An element's text with its ``<br>`` as the only line breaks (the markup's own newlines are spaces)."""
    parts = [(element.text or "").replace("\n", " ")]
    for child in element:
        parts.append("\n" if child.tag == "br" else child.text_content().replace("\n", " "))
        parts.append((child.tail or "").replace("\n", " "))
    return "".join(parts)


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
