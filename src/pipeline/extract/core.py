"""Article extraction: one saved page in, one :class:`~pipeline.record.ArticleRecord` out.

The page is decoded once (:func:`pipeline.text.normalise.decode_html`), repaired (mojibake, NFC, tone
placement) and parsed into ONE lxml tree. The site's extraction hints (registry) are used where
they exist and hit; trafilatura extracts the body elsewhere or when a hint misses, with the same
boilerplate (captions, related lists, share bars, comments) pruned first. What trafilatura does
not know about Vietnamese provincial pages is done here: the visible date line with its time
and zone, the byline at the end of the body (author and "theo …" agency, removed from the
text), captions kept apart from the text, and the lead (sapo) as the description and the first
paragraph.

>>> html = ('<html lang="vi"><body><h1>Tiêu đề</h1><div class="detail-time">THỨ BA, 06/08/2019 '
...         '19:05:01</div><div class="detail-content"><p>' + 'Một câu rất dài của bài báo. ' * 12 +
...         '</p><p style="text-align:right"><strong>HV</strong></p></div></body></html>')
>>> r = extract_article(html, "https://baohaiduong.vn/a-12345.html")
>>> r.published_at.isoformat(), r.author, r.text.endswith("bài báo.")
('2019-08-06T19:05:01+07:00', 'HV', True)
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import trafilatura
from cssselect import GenericTranslator, SelectorError
from cssselect import parse as parse_css
from cssselect.parser import Class, CombinedSelector, Hash
from lxml.html import HtmlElement

from pipeline.text.dates import (
    VN_TZ,
    ParsedDate,
    check_plausible,
    parse_date_text,
    parse_iso_datetime,
)
from pipeline.errors import ExtractionError
from pipeline.text.charset import decode_html
from pipeline.text.normalise import (
    clean_inline,
    count_words,
    normalise_text,
    repair_mojibake,
    sha256_text,
)
from pipeline.text.urls import canonicalise_url
from pipeline.record import ArticleRecord, Image
from pipeline.registry.load import ExtractionHints, Site, host_of

__all__ = ["EXTRACTOR_VERSION", "extract_article", "parse_byline", "Byline"]

# Bump whenever the records this module produces change for the same page.
EXTRACTOR_VERSION = "1.0.0"

# ---- data: XPath and patterns (kept apart from the logic, as trafilatura does) ----

def any_class(words: Iterable[str]) -> str:
    """An XPath predicate: the element's class or id contains one of ``words``.

    Plain ``contains`` on the raw attributes: a ``translate()`` to lower case made these
    lookups the slowest part of extraction on 100 KB pages, and CMS class names are lower case
    (the few camel-case ones are listed as they are spelt).
    """
    return " or ".join(f"contains(@class, '{w}') or contains(@id, '{w}')" for w in words)


# Boilerplate inside or around article bodies on Vietnamese news CMSs.
BOILERPLATE_WORDS = (
    "related", "lien-quan", "lienquan", "xem-them", "xemthem", "social", "share", "comment",
    "binh-luan", "binhluan", "other-news", "othernews", "tin-khac", "breadcrumb", "tags",
    "tag-detail", "box-most", "banner", "quang-cao", "advert", "author-wrap", "sidebar",
)
BOILERPLATE_TAGS_XPATH = "//footer | //nav | //aside | //form"
BOILERPLATE_XPATH = (
    f"//*[self::div or self::ul or self::section or self::aside or self::nav or self::footer]"
    f"[{any_class(BOILERPLATE_WORDS)}] | {BOILERPLATE_TAGS_XPATH}"
)
CAPTION_WORDS = ("caption", "Caption", "chu-thich", "image-desc")
FIGCAPTION_XPATH = "//figcaption"
CAPTION_XPATH = (
    f"{FIGCAPTION_XPATH} | //*[self::p or self::td or self::div or self::span or self::em or self::table]"
    f"[{any_class(CAPTION_WORDS)}]"
)
FIGURE_XPATH = "//figure | //table[.//img]"
LEAD_WORDS = ("sapo", "lead", "summary", "chapeau", "description")
LEAD_XPATH = f"//*[self::div or self::h2 or self::p or self::h3][{any_class(LEAD_WORDS)}]"
DATE_WORDS = ("date", "time", "ngay", "publish", "posted", "meta")
DATE_XPATH = (
    f".//*[self::div or self::span or self::p or self::time or self::li or self::small]"
    f"[{any_class(DATE_WORDS)}]"
)
SECTION_WORDS = ("breadcrumb", "crumb")
SECTION_XPATH = f"//*[{any_class(SECTION_WORDS)}]//a"
TAG_WORDS = ("tags", "tag-detail", "keyword")
TAGS_XPATH = f"//*[{any_class(TAG_WORDS)}]//a"
BLOCK_TAGS = ("p", "h2", "h3", "h4", "h5", "li", "blockquote", "pre")

ARTICLE_TYPES = frozenset(
    {"newsarticle", "article", "blogposting", "reportagenews", "analysisnewsarticle",
     "opinionnewsarticle", "webpage", "liveblogposting"}
)

# Lines that are never article text when they stand alone at the edge of a body.
BOILERPLATE_LINE_RE = re.compile(
    r"^(?:xem thêm|tin liên quan|bài liên quan|tin cùng chuyên mục|chia sẻ|bình luận|"
    r"ý kiến bạn đọc|từ khóa|tags?)\b", re.IGNORECASE,
)
PHOTO_CREDIT_RE = re.compile(r"^\(?\s*(?:ảnh|ảnh minh họa|nguồn ảnh|đồ họa|video)\s*:\s*[^.]{1,60}\)?\.?$",
                             re.IGNORECASE)
TRAILING_CREDIT_RE = re.compile(r"\s*\(\s*(?:ảnh|nguồn)\s*:[^()]{1,60}\)\s*\.?$", re.IGNORECASE)

# Bylines: "Bài, ảnh: Minh Tuấn", "NGỌC ANH (theo TTXVN)", "Theo TTXVN", "HV".
ROLE_PREFIX_RE = re.compile(
    r"^(?:bài(?:\s*(?:,|và|\+|-)\s*ảnh)?|ảnh|tin(?:\s*(?:,|và)\s*ảnh)?|nhóm pv|nhóm phóng viên|"
    r"thực hiện|video|clip)\s*:\s*(?P<rest>.+)$", re.IGNORECASE,
)
AGENCY_SUFFIX_RE = re.compile(r"^(?P<name>.*?)\s*[\(\[]\s*(?:theo|nguồn)\s*:?\s*(?P<agency>[^()\[\]]+)[\)\]]$",
                              re.IGNORECASE)
AGENCY_ONLY_RE = re.compile(r"^[\(\[]?\s*(?:theo|nguồn)\s*:?\s*(?P<agency>[^()\[\]]+?)\s*[\)\]]?$", re.IGNORECASE)
# Shapes of a paper's own name, never an author: "Báo Hải Dương", "baohaiduong.vn", "Tòa soạn".
PAPER_NAME_RE = re.compile(
    r"^(?:báo|tạp chí|đài|cổng thông tin|trang thông tin|ban biên tập|tòa soạn|toà soạn|"
    r"admin|administrator|biên tập viên|quản trị)\b|\.(?:vn|com|net|org)\b|\bonline\b",
    re.IGNORECASE,
)
URL_STAMP_RE = re.compile(r"-(20\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\d{0,3}\.html?$")
URL_PATH_DATE_RE = re.compile(r"/(19\d{2}|20\d{2})/(\d{1,2})/(\d{1,2})/")
VIETNAMESE_MARKS_RE = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)
XML_DECLARATION_RE = re.compile(r"^\s*<\?xml[^>]*\?>")

# Body containers of the provincial CMS families and of the big national papers, tried when the
# site's own hint is absent or misses (before trafilatura): trafilatura reads the table layouts
# of the older CMSs (#dcontent) poorly. The registry's family hints take precedence.
GENERIC_BODY_CLASSES = (
    "detail-content", "b-maincontent", "content-detail", "article__body", "entry-content",
    "c-content", "singular-content", "e-magazine__body", "fck_detail", "article-content",
    "news-content",
)
GENERIC_BODY_IDS = ("dcontent", "newscontents")
GENERIC_BODY_XPATH = (
    "//*[self::div or self::article or self::section]["
    + " or ".join(f"@id='{i}'" for i in GENERIC_BODY_IDS) + " or "
    + " or ".join(f"contains(@class, '{c}')" for c in GENERIC_BODY_CLASSES) + "]"
)
BYLINE_WORDS = ("author", "tac-gia", "tacgia", "byline")
RIGHT_ALIGNED_XPATH = "//p[contains(translate(@style, 'RIGHT', 'right'), 'right') or @align='right']"
BYLINE_XPATH = f"//*[self::p or self::div or self::span][{any_class(BYLINE_WORDS)}] | {RIGHT_ALIGNED_XPATH}"

SHORT_TEXT_WORDS = 60
MIN_HINT_WORDS = 25
MAX_BYLINE_CHARS = 60


@dataclass(frozen=True, slots=True)
class ClassedXPath:
    """An XPath whose ``any_class(words)`` predicate can only hold on a page where some class or
    id value contains one of ``words``; ``otherwise`` is what the XPath selects on any other
    page (its branches without that predicate; "" for nothing).

    ``contains()`` tested on every element made these whole-page lookups the slowest part of
    extraction, while most pages hold none of the words: one read of all class and id values
    (:class:`ClassText`) tells, and the answer is the same.
    """

    xpath: str
    words: tuple[str, ...]
    otherwise: str = ""

    def scoped(self) -> ClassedXPath:
        """The same lookup below the context node (``//`` made ``.//``, as for a container)."""
        return ClassedXPath(relative_xpath(self.xpath), self.words, relative_xpath(self.otherwise))


def relative_xpath(xpath: str) -> str:
    """An absolute ``//…`` XPath (and each ``//`` in it) made relative to the context node."""
    return xpath.replace("//", ".//") if xpath.startswith("//") else xpath


BOILERPLATE = ClassedXPath(BOILERPLATE_XPATH, BOILERPLATE_WORDS, BOILERPLATE_TAGS_XPATH)
CAPTION = ClassedXPath(CAPTION_XPATH, CAPTION_WORDS, FIGCAPTION_XPATH)
LEAD = ClassedXPath(LEAD_XPATH, LEAD_WORDS)
DATE = ClassedXPath(DATE_XPATH, DATE_WORDS)
SECTION = ClassedXPath(SECTION_XPATH, SECTION_WORDS)
TAGS = ClassedXPath(TAGS_XPATH, TAG_WORDS)
# An @id equal to a name contains it, so the ids count as words too.
GENERIC_BODY = ClassedXPath(GENERIC_BODY_XPATH, GENERIC_BODY_IDS + GENERIC_BODY_CLASSES)
BYLINE = ClassedXPath(BYLINE_XPATH, BYLINE_WORDS, RIGHT_ALIGNED_XPATH)
# The two removals made inside a body container, before the hint's own.
CONTAINER_REMOVALS = (BOILERPLATE.scoped(), CAPTION.scoped())
JUNK_XPATH = "//script[not(@type='application/ld+json')] | //style | //noscript"
CLASS_ID_VALUES = lxml.etree.XPath(".//@class | .//@id", smart_strings=False)


@dataclass(frozen=True, slots=True)
class Byline:
    """An author line found at the end of a body: the author and the "theo …" agency."""

    author: str | None
    agency: str | None


@dataclass(frozen=True, slots=True)
class DateFound:
    """A candidate date with the source it came from."""

    parsed: ParsedDate
    source: str


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


@dataclass(frozen=True, slots=True)
class Body:
    """The body's paragraphs plus what was taken out of it."""

    lines: tuple[str, ...]
    captions: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    via_hint: bool = False
    mojibake: bool = False  # some raw line needed a mojibake repair


# ---- the public function ----


def extract_article(
    page: str | bytes,
    url: str,
    *,
    site: Site | None = None,
    fetched_at: datetime | None = None,
    http_charset: str | None = None,
    now: datetime | None = None,
) -> ArticleRecord:
    """Extract the article of one HTML page.

    ``site`` supplies extraction hints, the canonical host and the founding date; ``fetched_at``
    resolves relative dates ("5 phút trước"); ``now`` (default: ``fetched_at`` or the clock) is
    the reference for implausible future dates. Raises :class:`ExtractionError` for a page that
    is not HTML or has no article text.
    """
    tree = parse_tree(decode_page(page, http_charset), url)
    classes = ClassText(tree)
    flags: list[str] = []
    hints = site.hints if site is not None else ExtractionHints()
    reference = now or fetched_at or datetime.now(VN_TZ)

    meta = read_page_meta(tree)
    title = find_title(tree, hints, meta, classes)
    lead = find_lead(tree, hints, classes)
    visible = find_visible_dates(tree, hints, fetched_at, title, classes)
    section = find_section(tree, hints, classes) or meta.section or section_from_url(url)
    tags = find_tags(tree, hints, classes) or meta.tags
    if hints.byline:
        byline_hint = select_text(tree, hints.byline, classes)
    else:
        byline_hint = find_byline_element(tree, classes)

    body = extract_body(tree, url, hints, title, visible.lines, classes)
    lines = list(body.lines)
    lines = place_lead(lines, lead)
    lines, byline = take_byline(lines, lead)
    if byline is None and byline_hint:
        byline = parse_byline(byline_hint)
    text = "\n".join(lines)
    if body.mojibake or has_mojibake(tree):
        flags.append("mojibake_repaired")
    if not text.strip():
        raise ExtractionError(f"no article text found in {url}; is it an article page?")

    published, published_source = choose_date(
        list(meta.published) + list(visible.published) + url_dates(url), flags
    )
    modified, modified_source = choose_date(list(meta.modified) + list(visible.modified), [])
    if published is None and visible.modified:
        # Many CMSs print their only date as "Cập nhật lúc …": it is the publication time.
        published, published_source = choose_date(list(visible.modified), flags)
    founded = founded_date(site)
    published, published_source = vet_date(published, published_source, reference, founded, flags)
    modified, modified_source = vet_date(modified, modified_source, reference, founded, [])
    if published is None and "no_date" not in flags:
        flags.append("no_date")

    author = byline.author if byline else None
    if author is None and (byline is None or byline.agency is None):
        author = first_person_author(meta.authors, site, meta.site_name)
    words = count_words(text)
    if words < SHORT_TEXT_WORDS:
        flags.append("short_text")

    return ArticleRecord(
        url=url,
        canonical_url=canonical_for(url, site),
        site=site.id if site is not None else None,
        title=title,
        description=lead or meta.description,
        author=author,
        published_at=published,
        modified_at=modified,
        section=section,
        tags=tags,
        language=find_language(tree, meta, text),
        text=text,
        captions=body.captions,
        images=tuple(Image(url=site_asset_url(i.url, site), caption=i.caption) for i in body.images),
        word_count=words,
        content_sha256=sha256_text(text),
        fetched_at=fetched_at,
        date_source=published_source,
        modified_source=modified_source,
        source_agency=byline.agency if byline else None,
        flags=tuple(dict.fromkeys(flags)),
        extractor_version=EXTRACTOR_VERSION,
    )


# ---- decoding and parsing ----


def decode_page(page: str | bytes, http_charset: str | None) -> str:
    """The page as text (decoded once). Text repair happens on every string taken from the
    tree (``normalise_text`` / ``clean_inline``): repairing the whole 100 KB document, inline
    CSS and all, cost three times trafilatura's own run time."""
    if isinstance(page, bytes):
        check_bytes(page)
        text, _codec = decode_html(page, http_charset=http_charset)
    else:
        text = page
    check_markup(text)
    return text


def check_bytes(page: bytes) -> None:
    """Refuse empty and binary payloads before decoding them."""
    head = page[:2048]
    if not page.strip():
        raise ExtractionError("the page is empty; nothing to extract")
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractionError("the page is binary, not HTML; pass an HTML file")


def check_markup(text: str) -> None:
    """Refuse text that is not HTML (JSON, plain text)."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise ExtractionError("the page is empty; nothing to extract")
    if stripped[0] in "{[":
        raise ExtractionError("the page is JSON, not HTML; pass an HTML file")
    if not re.search(r"<(?:html|body|head|div|p|article|h1|!doctype)\b", stripped[:20000], re.IGNORECASE):
        raise ExtractionError("the page is not HTML (no HTML tags found); pass an HTML file")


def parse_tree(html: str, url: str) -> HtmlElement:
    """One lxml tree of the page (an XML declaration is dropped: lxml refuses it in str input)."""
    try:
        tree = lxml.html.document_fromstring(XML_DECLARATION_RE.sub("", html, count=1))
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"cannot parse {url} as HTML: {exc}") from None
    for junk in compiled_xpath(JUNK_XPATH)(tree):
        junk.drop_tree()
    return tree


# ---- selectors ----


@lru_cache(maxsize=512)
def compiled_xpath(xpath: str) -> lxml.etree.XPath:
    """An XPath compiled once (``element.xpath(text)`` compiles it on every call; the long
    class lookups cost as much to compile as to run on a body container)."""
    return lxml.etree.XPath(xpath)


class ClassText:
    """Every class and id value of an element and of its descendants, for :class:`ClassedXPath`.

    Valid for that element and anything below it as long as no class or id is added or changed
    (extraction only reads them, and removes elements).
    """

    __slots__ = ("text",)

    def __init__(self, element: HtmlElement) -> None:
        self.text: str = "\n".join(CLASS_ID_VALUES(element))

    def has_all(self, names: Iterable[str]) -> bool:
        return all(n in self.text for n in names)

    def xpath_for(self, lookup: ClassedXPath) -> str:
        """The XPath that selects what ``lookup`` selects here ("" for nothing).

        Exact: ``contains(@class, w)`` or ``contains(@id, w)`` holds only on an element whose
        value contains ``w``, and then ``self.text`` contains ``w`` too.
        """
        return lookup.xpath if any(w in self.text for w in lookup.words) else lookup.otherwise


def find_classed(element: HtmlElement, lookup: ClassedXPath, classes: ClassText) -> list[Any]:
    """What ``element.xpath(lookup.xpath)`` gives, for ``classes`` read from ``element`` or an
    ancestor of it."""
    xpath = classes.xpath_for(lookup)
    return list(compiled_xpath(xpath)(element)) if xpath else []


def has_ancestor(element: HtmlElement, *tags: str) -> bool:
    """True when an ancestor of ``element`` is one of ``tags``: ``ancestor::a | ancestor::b``
    without the cost of one XPath call per element (HTML trees have no namespaces)."""
    return next(element.iterancestors(*tags), None) is not None


@lru_cache(maxsize=512)
def css_xpath(selector: str) -> str | None:
    """The XPath of a CSS selector from the registry (cached: registries repeat selectors)."""
    try:
        return str(GenericTranslator().css_to_xpath(selector))
    except SelectorError:
        return None


@dataclass(frozen=True, slots=True)
class CssPart:
    """One selector of a CSS group: its XPath, and the class names and ids it needs to exist."""

    xpath: str
    names: tuple[str, ...]


@lru_cache(maxsize=512)
def css_parts(selector: str) -> tuple[CssPart, ...]:
    """The selectors of a valid group one by one: ``css_xpath`` joins the same XPaths with "|"."""
    translator = GenericTranslator()
    return tuple(
        CssPart(translator.selector_to_xpath(s, translate_pseudo_elements=True),
                required_names(s.parsed_tree))
        for s in parse_css(selector)
    )


def required_names(node: Any) -> tuple[str, ...]:
    """The class names (``.x``) and ids (``#x``) a parsed selector requires of the elements it
    matches or of their ancestors and siblings: none of them in a page's class and id values,
    and the selector matches nothing there. Only the parts every match goes through are read
    (each node's own ``selector``, both sides of a combinator), never a ``:not()`` argument."""
    if isinstance(node, CombinedSelector):
        return required_names(node.selector) + required_names(node.subselector)
    own: tuple[str, ...] = ()
    if isinstance(node, Class):
        own = (node.class_name,)
    elif isinstance(node, Hash):
        own = (node.id,)
    base = getattr(node, "selector", None)
    return own + (required_names(base) if base is not None else ())


def select_all(element: HtmlElement, selector: str | None, classes: ClassText) -> list[HtmlElement]:
    """Elements matching a CSS selector group, in document order; [] for a bad selector.

    ``classes`` (of ``element`` or an ancestor) drops the selectors whose class names or ids
    the page lacks: each is one more walk over the tree, and the union of the others is the
    same node-set.
    """
    if not selector or css_xpath(selector) is None:
        return []
    xpath = " | ".join(p.xpath for p in css_parts(selector) if classes.has_all(p.names))
    if not xpath:
        return []
    return [e for e in compiled_xpath(xpath)(element) if isinstance(e, HtmlElement)]


def select_text(tree: HtmlElement, selector: str | None, classes: ClassText) -> str | None:
    for element in select_all(tree, selector, classes):
        text = clean_inline(element.text_content())
        if text:
            return text
    return None


# ---- head metadata ----


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


def read_json_ld(tree: HtmlElement) -> dict[str, Any]:
    """The first article-like JSON-LD object of the page ({} when there is none)."""
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for node in walk_json_ld(data):
            kind = node.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(isinstance(k, str) and k.lower() in ARTICLE_TYPES for k in kinds) and (
                "datePublished" in node or "headline" in node
            ):
                return node
    return {}


def walk_json_ld(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from walk_json_ld(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from walk_json_ld(data["@graph"])


def json_text(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return clean_inline(value) if isinstance(value, str) else None


def json_names(value: Any) -> list[str]:
    """Author names of a JSON-LD ``author`` value (persons only: organisations are the paper)."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, dict) and item.get("@type") != "Organization":
            name = json_text(item.get("name"))
            if name:
                names.append(name)
        elif isinstance(item, str) and clean_inline(item):
            names.append(clean_inline(item) or "")
    return names


def iso_dates(value: Any) -> list[ParsedDate]:
    text = json_text(value) if not isinstance(value, str) else value.strip()
    if not text:
        return []
    parsed = parse_iso_datetime(text) or parse_date_text(text)
    return [parsed] if parsed is not None else []


# ---- title, lead, section, tags, language ----


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
    names = [n for n in names if n and n.lower() not in {"trang chủ", "home", "trang chu"}]
    return names[-1] if names else None


def section_from_url(url: str) -> str | None:
    """The first path segment of an article URL with a section path (``/kinh-te/slug-123.html``)."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    if len(parts) >= 2 and re.fullmatch(r"[a-z][a-z0-9-]{1,40}", parts[0]) and parts[0] not in {"bg", "channel"}:
        return parts[0]
    if len(parts) >= 3 and parts[0] == "bg":
        return parts[1]
    return None


def find_tags(tree: HtmlElement, hints: ExtractionHints, classes: ClassText) -> tuple[str, ...]:
    links = select_all(tree, hints.tags, classes) if hints.tags else []
    if not links:
        links = find_classed(tree, TAGS, classes)[:20]
    names = (clean_inline(a.text_content()) for a in links)
    return tuple(dict.fromkeys(n for n in names if n and len(n) <= 60))


def find_language(tree: HtmlElement, meta: PageMeta, text: str) -> str | None:
    lang = (tree.get("lang") or meta.language or "").strip().lower()
    if lang:
        return re.split(r"[-_]", lang)[0] or None
    return "vi" if VIETNAMESE_MARKS_RE.search(text[:2000]) else None


# ---- dates ----


@dataclass(frozen=True, slots=True)
class VisibleDates:
    published: tuple[DateFound, ...]
    modified: tuple[DateFound, ...]
    lines: tuple[str, ...] = ()  # the date lines as printed, kept out of the body


def find_visible_dates(
    tree: HtmlElement, hints: ExtractionHints, fetched_at: datetime | None, title: str | None,
    classes: ClassText,
) -> VisibleDates:
    """Dates printed on the page near the title (the hint's element first)."""
    elements = select_all(tree, hints.date, classes)[:3]
    if not elements:
        elements = date_candidates(tree, title, classes)
    published: list[DateFound] = []
    modified: list[DateFound] = []
    lines: list[str] = []
    for element in elements:
        text = element.text_content()
        if len(text) > 200:
            continue
        parsed = parse_date_text(text, now=fetched_at)
        if parsed is None:
            continue
        lines.append(normalise_text(text).replace("\n", " "))
        target = modified if parsed.kind == "modified" else published
        target.append(DateFound(parsed, "visible"))
        if published:
            break
    return VisibleDates(tuple(published), tuple(modified), tuple(lines))


def date_candidates(tree: HtmlElement, title: str | None, classes: ClassText) -> list[HtmlElement]:
    """Elements classed date/time in the article block around the h1, nearest scope first."""
    h1s = tree.xpath("//h1")[:4]
    # The title's h1 first: a logo in an h1 would make the whole page the scope.
    h1s.sort(key=lambda h: clean_inline(h.text_content()) != title)
    scopes: list[HtmlElement] = []
    for h1 in h1s[:2]:
        node = h1.getparent()
        for _ in range(3):
            if node is None:
                break
            scopes.append(node)
            node = node.getparent()
    for scope in scopes:
        found = [e for e in find_classed(scope, DATE, classes) if not has_ancestor(e, "li", "aside")]
        if found:
            return found[:4]
    return []


def url_dates(url: str) -> list[DateFound]:
    """A date in the URL: a ``-yyyymmddHHMMSS…`` stamp or a ``/yyyy/mm/dd/`` path."""
    m = URL_STAMP_RE.search(url)
    if m:
        parsed = parse_iso_datetime("{}-{}-{}T{}:{}:{}".format(*m.groups()))
        return [DateFound(parsed, "url")] if parsed else []
    m = URL_PATH_DATE_RE.search(url)
    if m:
        parsed = parse_iso_datetime(f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}")
        return [DateFound(parsed, "url")] if parsed else []
    return []


def choose_date(candidates: Sequence[DateFound], flags: list[str]) -> tuple[datetime | None, str | None]:
    """The first candidate in precedence order, except that a candidate with a time of day
    beats an earlier date-only one for the same day (a visible line beats a date-only meta)."""
    if not candidates:
        return None, None
    best = candidates[0]
    if not best.parsed.has_time:
        day = local_day(best.parsed.value)
        timed = next((c for c in candidates if c.parsed.has_time and local_day(c.parsed.value) == day), None)
        best = timed or best
    if best.parsed.relative:
        flags.append("relative_date")
    return best.parsed.value, best.source


def local_day(value: datetime) -> date:
    return (value.astimezone(VN_TZ) if value.tzinfo else value).date()


def founded_date(site: Site | None) -> date | None:
    if site is None or not site.founded:
        return None
    try:
        return date.fromisoformat(site.founded)
    except ValueError:
        return None


def vet_date(
    value: datetime | None, source: str | None, now: datetime, founded: date | None, flags: list[str]
) -> tuple[datetime | None, str | None]:
    """The date, or None with a flag when it is implausible (future, before the paper existed)."""
    if value is None:
        return None, None
    if value.tzinfo is None:
        value = value.replace(tzinfo=VN_TZ)
    flag = check_plausible(value, now=now, founded=founded)
    if flag:
        flags.append(flag)
        return None, None
    return value, source


# ---- body ----


def extract_body(
    tree: HtmlElement, url: str, hints: ExtractionHints, title: str | None, date_lines: Sequence[str],
    classes: ClassText,
) -> Body:
    """The body lines: from the hint's container when it hits, else from trafilatura."""
    captions, images = harvest_captions(tree, url, hints, classes)
    removals = [s for s in (*hints.remove, hints.caption) if s and css_xpath(s)]
    for containers in body_containers(tree, hints, classes):
        if not containers:
            continue
        container = containers[0]
        lines = container_lines(container, removals)
        if len(" ".join(lines).split()) >= MIN_HINT_WORDS:
            extra = container_images(container, url, images)
            return Body(tuple(clean_lines(lines, title, captions, date_lines)), captions, images + extra, True,
                        lines_had_mojibake(lines))
    prune = [BOILERPLATE_XPATH, CAPTION_XPATH, *(str(css_xpath(s)) for s in removals)]
    lines = trafilatura_lines(tree, url, prune)
    return Body(tuple(clean_lines(lines, title, captions, date_lines)), captions, images, False,
                lines_had_mojibake(lines))


def body_containers(
    tree: HtmlElement, hints: ExtractionHints, classes: ClassText
) -> Iterator[list[HtmlElement]]:
    """Candidate body containers: the hint's, then the generic ones (looked up only when the
    hint's are missing or too short)."""
    yield select_all(tree, hints.body, classes)
    yield find_classed(tree, GENERIC_BODY, classes)


def lines_had_mojibake(lines: Sequence[str]) -> bool:
    joined = "\n".join(lines)
    return repair_mojibake(joined) != joined


def has_mojibake(tree: HtmlElement) -> bool:
    """True when the page's title or h1 needed a mojibake repair (the body is checked apart)."""
    heads = [tree.findtext(".//title") or ""] + [h.text_content() for h in tree.xpath("//h1")[:3]]
    return lines_had_mojibake(heads)


def container_lines(container: HtmlElement, removals: Sequence[str]) -> list[str]:
    """Text blocks of a body container with boilerplate, captions and the elements matching the
    ``removals`` CSS selectors dropped."""
    scratch = copy.deepcopy(container)  # the tree stays whole for the other readers
    classes = ClassText(scratch)
    # Each lookup runs after the drops of the one before it (lazily), as a list of XPaths would.
    doomed = itertools.chain(
        (find_classed(scratch, lookup, classes) for lookup in CONTAINER_REMOVALS),
        (select_all(scratch, selector, classes) for selector in removals),
    )
    for group in doomed:
        for element in group:
            if element is not scratch and element.getparent() is not None:
                element.drop_tree()
    lines: list[str] = []
    for element in scratch.iter(*BLOCK_TAGS):
        if has_ancestor(element, *BLOCK_TAGS):
            continue
        lines.append(element.text_content())
    if not lines:
        lines = scratch.text_content().split("\n")
    return lines


def trafilatura_lines(tree: HtmlElement, url: str, remove_xpaths: Sequence[str]) -> list[str]:
    """Body lines from trafilatura, boilerplate and captions pruned beforehand."""
    document = trafilatura.bare_extraction(
        tree, url=url, with_metadata=False, include_comments=False, include_tables=True,
        include_images=False, prune_xpath=list(remove_xpaths),
    )
    text = getattr(document, "text", None) if document is not None else None
    return text.split("\n") if text else []


def clean_lines(
    lines: Iterable[str], title: str | None, captions: Sequence[str], date_lines: Sequence[str] = ()
) -> list[str]:
    """Normalised non-empty lines without title, date line, captions, credits and boilerplate."""
    caption_set = {c.casefold() for c in (*captions, *date_lines)}
    out: list[str] = []
    for raw in lines:
        line = normalise_text(raw).replace("\n", " ")
        if not line:
            continue
        folded = line.casefold()
        if title and folded == title.casefold():
            continue
        if folded in caption_set or PHOTO_CREDIT_RE.match(line):
            continue
        if len(line) < 40 and BOILERPLATE_LINE_RE.match(line):
            continue
        out.append(line)
    return out


def harvest_captions(
    tree: HtmlElement, url: str, hints: ExtractionHints, classes: ClassText
) -> tuple[tuple[str, ...], tuple[Image, ...]]:
    """Photo captions of the page (photo credits removed) with the URL of their image."""
    elements = select_all(tree, hints.caption, classes) if hints.caption else []
    if not elements:
        elements = [e for e in find_classed(tree, CAPTION, classes) if isinstance(e, HtmlElement)]
    captions: list[str] = []
    images: list[Image] = []
    seen: set[int] = set()
    for element in elements:
        if any(id(a) in seen for a in element.iterancestors()):
            continue
        seen.add(id(element))
        if has_ancestor(element, "aside", "nav", "footer", "li"):
            continue
        text = caption_text(element)
        if not text:
            continue
        captions.append(text)
        src = image_near(element)
        if src:
            images.append(Image(url=urljoin(url, src), caption=text))
    return tuple(dict.fromkeys(captions)), tuple(images)


def caption_text(element: HtmlElement) -> str | None:
    """A caption without its photo credit ("Ảnh: …" line or trailing "(Ảnh: …)")."""
    parts = [p.text_content() for p in element.iter("p")] or [element.text_content()]
    kept = [p for p in (normalise_text(x).replace("\n", " ") for x in parts) if p and not PHOTO_CREDIT_RE.match(p)]
    text = " ".join(kept)
    text = TRAILING_CREDIT_RE.sub("", text).strip()
    return text or None


def image_near(element: HtmlElement) -> str | None:
    """The image a caption belongs to: inside it, or inside its figure/table/parent block."""
    node: HtmlElement | None = element
    for _ in range(4):
        if node is None:
            break
        for img in node.iter("img"):
            src: str | None = img.get("data-original") or img.get("data-src") or img.get("src")
            return src
        node = node.getparent()
    return None


def container_images(container: HtmlElement, url: str, captioned: Sequence[Image]) -> tuple[Image, ...]:
    """Images of the body container that have no caption."""
    known = {i.url for i in captioned}
    out: list[Image] = []
    for img in container.iter("img"):
        src = img.get("data-original") or img.get("data-src") or img.get("src")
        if src and urljoin(url, src) not in known:
            known.add(urljoin(url, src))
            out.append(Image(url=urljoin(url, src)))
    return tuple(out)


# ---- lead and byline ----


def place_lead(lines: list[str], lead: str | None) -> list[str]:
    """The lead as the first line (moved there when the body already holds it)."""
    if not lead:
        return lines
    folded = lead.casefold()
    rest = [line for i, line in enumerate(lines) if not (i < 4 and line.casefold() == folded)]
    return [lead] + rest


def take_byline(lines: list[str], lead: str | None) -> tuple[list[str], Byline | None]:
    """Remove the byline lines at the end of the body and parse them."""
    author: str | None = None
    agency: str | None = None
    found = False
    while len(lines) > 1 and len(lines[-1]) <= MAX_BYLINE_CHARS:
        parsed = parse_byline(lines[-1])
        if parsed is None:
            break
        found = True
        lines = lines[:-1]
        agency = agency or parsed.agency
        if parsed.author and author is None:
            author = parsed.author
        if author is not None:
            # "Theo Thanh Xuân" / "VnEconomy": a source line just above the author line goes too.
            if len(lines) > 1 and len(lines[-1]) <= MAX_BYLINE_CHARS and AGENCY_ONLY_RE.match(lines[-1]) \
                    and lines[-1].lower().startswith(("theo ", "(theo", "nguồn")):
                lines = lines[:-1]
            break
    return lines, (Byline(author, agency) if found else None)


def parse_byline(line: str) -> Byline | None:
    """Parse an author line; None when the line is not one.

    >>> parse_byline("NGỌC ANH (theo TTXVN)")
    Byline(author='NGỌC ANH', agency='TTXVN')
    >>> parse_byline("Bài, ảnh: Minh Tuấn")
    Byline(author='Minh Tuấn', agency=None)
    >>> parse_byline("Theo TTXVN")
    Byline(author=None, agency='TTXVN')
    >>> parse_byline("Giá vé dao động từ 1,5 triệu đồng.") is None
    True
    """
    text = (clean_inline(line) or "").strip(" -–—")
    if not text or len(text) > MAX_BYLINE_CHARS:
        return None
    m = AGENCY_ONLY_RE.match(text)
    if m and text.lower().startswith(("theo", "nguồn", "(theo", "(nguồn")):
        agency = m.group("agency").strip()
        return Byline(None, agency) if looks_like_name(agency, allow_lower=True) else None
    agency = None
    m = AGENCY_SUFFIX_RE.match(text)
    if m:
        text, agency = m.group("name").strip(" -–—,"), m.group("agency").strip()
    m = ROLE_PREFIX_RE.match(text)
    if m:
        text = m.group("rest").strip()
    if not looks_like_name(text):
        return None
    return Byline(text, agency)


def looks_like_name(text: str, *, allow_lower: bool = False) -> bool:
    """One to six capitalised words, no digits, no sentence punctuation, not a paper's name."""
    if not text or PAPER_NAME_RE.search(text) and not allow_lower:
        return False
    if re.search(r"\d|[!?;:]|\.\s*$", text):
        return False
    names = re.split(r"\s*[-,–&]\s*|\s+và\s+", text)
    words = [w for n in names for w in n.split()]
    if not 1 <= len(words) <= 8:
        return False
    if allow_lower:
        return True
    return all(w[0].isupper() and not any(c.isdigit() for c in w) for w in words)


def find_byline_element(tree: HtmlElement, classes: ClassText) -> str | None:
    """The text of the last author-classed or right-aligned short element, when it parses as a
    byline (trafilatura drops such elements, so they are looked up in the tree)."""
    for element in reversed(find_classed(tree, BYLINE, classes)[-4:]):
        if has_ancestor(element, "li", "aside", "footer", "nav"):
            continue
        text = clean_inline(element.text_content())
        if text and len(text) <= MAX_BYLINE_CHARS and parse_byline(text) is not None:
            return text
    return None


def first_person_author(candidates: Sequence[str], site: Site | None, site_name: str | None) -> str | None:
    """The first author from metadata that is a person, never the paper itself."""
    paper_names = {n.casefold() for n in (site.name if site else None, site_name) if n}
    for name in candidates:
        if name.casefold() in paper_names or PAPER_NAME_RE.search(name):
            continue
        if looks_like_name(name):
            return name
    return None


def site_asset_url(url: str, site: Site | None) -> str:
    """An image URL on the site's own hosts (or a mirror of it) moved to its current domain.

    Without this, the same page crawled from a legacy domain or a local mirror would differ in
    its image URLs alone and count as a new version.
    """
    if site is None or not site.owns_host(host_of(url)):
        return url
    return canonical_for(url, site)


def canonical_for(url: str, site: Site | None) -> str:
    if site is None:
        return canonicalise_url(url)
    return canonicalise_url(url, primary_host=site.domain, alias_hosts=site.aliases, scheme=site.scheme)
