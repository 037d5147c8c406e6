"""Article extraction: one saved page in, one :class:`~pipeline.record.ArticleRecord` out.

The page is decoded once (:func:`pipeline.text.charset.decode_html`), repaired (mojibake, NFC, Đ;
the page's own tone placement kept) and parsed into ONE lxml tree. The site's extraction hints (registry) are used where
they exist and hit; trafilatura extracts the body elsewhere or when a hint misses, with the same
boilerplate (captions, related lists, share bars, comments) pruned first. What trafilatura does
not know about Vietnamese provincial pages is done here: the visible date line with its time
and zone, the byline at the end of the body (author and "theo …" agency, removed from the
text), captions kept apart from the text, and the lead (sapo) as the description and the first
paragraph.

Each concern has its module: :mod:`~pipeline.extract.page` (decoding, parsing),
:mod:`~pipeline.extract.metadata` (head, title, lead, section, tags, language),
:mod:`~pipeline.extract.pubdate` (dates), :mod:`~pipeline.extract.body` and
:mod:`~pipeline.extract.captions` (text, captions, images), :mod:`~pipeline.extract.byline`
(author, agency); this one puts the record together.

>>> html = ('<html lang="vi"><body><h1>Tiêu đề</h1><div class="detail-time">THỨ BA, 06/08/2019 '
...         '19:05:01</div><div class="detail-content"><p>' + 'Một câu rất dài của bài báo. ' * 12 +
...         '</p><p style="text-align:right"><strong>HV</strong></p></div></body></html>')
>>> r = extract_article(html, "https://baohaiduong.vn/a-12345.html")
>>> r.published_at.isoformat(), r.author, r.text.endswith("bài báo.")
('2019-08-06T19:05:01+07:00', 'HV', True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from lxml.html import HtmlElement

from pipeline.errors import BaotinhError, ExtractionError
from pipeline.extract.body import Body, extract_body, has_mojibake, place_lead
from pipeline.extract.byline import (
    Byline,
    article_agency,
    article_author,
    byline_hint,
    meta_source_byline,
    parse_byline,
    take_byline,
)
from pipeline.extract.metadata import (
    find_language,
    find_lead,
    find_section,
    find_tags,
    find_title,
    opening_block,
    read_page_meta,
    section_from_url,
)
from pipeline.extract.page import decode_page, parse_tree
from pipeline.extract.pubdate import article_dates, find_visible_dates, with_byline_date, with_scripted_date
from pipeline.extract.selectors import ClassText
from pipeline.extract.urls import canonical_for, site_asset_url
from pipeline.record import ArticleRecord, Image
from pipeline.registry.load import ExtractionHints, Site
from pipeline.text.dates import VN_TZ
from pipeline.text.normalise import count_words, sha256_text

__all__ = ["EXTRACTOR_VERSION", "ExtractorCrashed", "extract_article"]

# Bump whenever the records this module produces change for the same page.
# 1.1: the page's tone placement kept ("hoá" stays); generic headline, bylines, captions, seconds
# 1.2: old national-paper layouts (tests/golden/real): sapo under the headline, date lines above
#      it or script-written, "Theo Person/Outlet", the body cut where the article ends
EXTRACTOR_VERSION = "1.2.0"
# Fewer words than this and the record is flagged ``short_text``.
SHORT_TEXT_WORDS = 60


class ExtractorCrashed(ExtractionError):
    """An unexpected exception inside extraction (a bug, or a page built to break parsers).

    ``exception_type`` names the original exception (``RecursionError``); the crawl's ledger
    records it. Picklable with it, so that it may cross a process pool.
    """

    def __init__(self, message: str, exception_type: str = "") -> None:
        super().__init__(message)
        self.exception_type = exception_type

    @classmethod
    def wrapping(cls, url: str, exc: BaseException) -> ExtractorCrashed:
        """The error for ``exc``, raised while extracting ``url``, in one line."""
        kind = type(exc).__name__
        detail = (str(exc).strip().splitlines() or [""])[0][:200]
        return cls(f"extraction failed on {url}: {kind}" + (f": {detail}" if detail else ""), kind)

    def __reduce__(self) -> tuple[type[ExtractorCrashed], tuple[str, str]]:
        return type(self), (str(self), self.exception_type)


@dataclass(frozen=True, slots=True)
class ArticleText:
    """The body as extracted, its final text (lead first, byline out) and the byline."""

    body: Body
    text: str
    byline: Byline | None
    lead: str | None = None  # the lead placed first


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
    is not HTML or has no article text, and :class:`ExtractorCrashed` (an ``ExtractionError``
    naming the exception's type) for any other exception: nothing else ever escapes.
    """
    try:
        return _extract_article(page, url, site=site, fetched_at=fetched_at,
                                http_charset=http_charset, now=now)
    except BaotinhError:
        raise
    except Exception as exc:  # RecursionError, MemoryError, a bug: typed, never a traceback
        raise ExtractorCrashed.wrapping(url, exc) from exc


def _extract_article(page: str | bytes, url: str, *, site: Site | None, fetched_at: datetime | None,
                     http_charset: str | None, now: datetime | None) -> ArticleRecord:
    """:func:`extract_article` without its exception wrapping."""
    html = decode_page(page, http_charset)
    tree = parse_tree(html, url)
    classes = ClassText(tree)
    flags: list[str] = []
    hints = site.hints if site is not None else ExtractionHints()
    reference = now or fetched_at or datetime.now(VN_TZ)

    meta = read_page_meta(tree)
    title = find_title(tree, hints, meta, classes)
    lead = find_lead(tree, hints, classes, title, meta.description)
    visible = with_scripted_date(find_visible_dates(tree, hints, fetched_at, title, classes), html, fetched_at)
    section = find_section(tree, hints, classes) or meta.section or section_from_url(url)
    tags = find_tags(tree, hints, classes) or meta.tags
    opening = None if lead else opening_block(tree, title, meta.description)
    article = article_text(tree, url, hints, title, lead, visible.lines, classes, opening)
    text, byline, lead = article.text, article.byline, lead or article.lead
    if byline is None and visible.byline:
        byline = parse_byline(visible.byline)
    if byline is None:
        byline = meta_source_byline(meta.authors)
    visible = with_byline_date(visible, byline.dated if byline else None)
    if article.body.mojibake or has_mojibake(tree):
        flags.append("mojibake_repaired")
    if not text.strip():
        raise ExtractionError(f"no article text found in {url}; is it an article page?")

    dates = article_dates(meta.published, meta.modified, visible, url, site, reference, flags)
    words = count_words(text)
    if words < SHORT_TEXT_WORDS:
        flags.append("short_text")

    return ArticleRecord(
        url=url,
        canonical_url=canonical_for(url, site),
        site=site.id if site is not None else None,
        title=title,
        description=lead or meta.description,
        author=article_author(byline, meta.authors, site, meta.site_name, url),
        published_at=dates.published,
        modified_at=dates.modified,
        section=section,
        tags=tags,
        language=find_language(tree, meta, text),
        text=text,
        captions=article.body.captions,
        images=tuple(Image(url=site_asset_url(i.url, site), caption=i.caption) for i in article.body.images),
        word_count=words,
        content_sha256=sha256_text(text),
        fetched_at=fetched_at,
        date_source=dates.published_source,
        modified_source=dates.modified_source,
        source_agency=article_agency(byline, meta.authors, site, meta.site_name, url),
        flags=tuple(dict.fromkeys(flags)),
        extractor_version=EXTRACTOR_VERSION,
    )


def article_text(
    tree: HtmlElement, url: str, hints: ExtractionHints, title: str | None, lead: str | None,
    date_lines: Sequence[str], classes: ClassText, opening: str | None = None,
) -> ArticleText:
    """The body with the lead placed first and the byline taken off its end (or, when the body
    has none, read from the page apart). A page without a lead of its own may have its
    ``opening`` block (:func:`~pipeline.extract.metadata.opening_block`) as the lead when the
    body opens with its lines."""
    hinted_byline = byline_hint(tree, hints, classes)
    body = extract_body(tree, url, hints, title, date_lines, classes)
    if lead is None and opening and opens_with(body.lines, opening):
        lead = opening
    lines = place_lead(list(body.lines), lead, title)
    lines, byline = take_byline(lines, lead)
    if byline is None and hinted_byline:
        byline = parse_byline(hinted_byline)
    return ArticleText(body, "\n".join(lines), byline, lead)


def opens_with(lines: Sequence[str], block: str) -> bool:
    """True when ``lines`` begin with the lines of ``block`` (case aside)."""
    wanted = block.casefold().split("\n")
    return [line.casefold() for line in lines[: len(wanted)]] == wanted
