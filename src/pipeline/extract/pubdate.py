"""The article's published and modified dates, and where each came from.

Candidates come from the head (JSON-LD, meta, ``<time>``: :mod:`pipeline.extract.metadata`),
from the date line printed near the title, and from the URL; :func:`article_dates` picks one of
each in that precedence and vets it (not in the future, not before the paper existed). Parsing
the text itself is :mod:`pipeline.text.dates`.

>>> [(d.parsed.value.isoformat(), d.source) for d in url_dates("https://x.vn/2019/8/6/a.html")]
[('2019-08-06T00:00:00+07:00', 'url')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import unescape
from typing import Any

import lxml.etree
from lxml.html import HtmlElement

from pipeline.extract.byline import parse_byline, split_dated_byline
from pipeline.extract.jsonld import json_text
from pipeline.extract.markup import DATE
from pipeline.extract.selectors import ClassText, find_classed, has_ancestor, select_all
from pipeline.registry.load import ExtractionHints, Site
from pipeline.text.dates import VN_TZ, ParsedDate, check_plausible, parse_date_text, parse_iso_datetime
from pipeline.text.fold import fold
from pipeline.text.normalise import clean_inline, normalise_text

__all__ = [
    "ArticleDates",
    "DateFound",
    "VisibleDates",
    "article_dates",
    "choose_date",
    "find_visible_dates",
    "iso_dates",
    "url_dates",
    "with_byline_date",
    "with_scripted_date",
]

URL_STAMP_RE = re.compile(r"-(20\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\d{0,3}\.html?$")
URL_PATH_DATE_RE = re.compile(r"/(19\d{2}|20\d{2})/(\d{1,2})/(\d{1,2})/")
# The blocks that follow a headline, in document order; lines this long are body text.
NEIGHBOUR_XPATH = lxml.etree.XPath(
    "following::*[self::p or self::div or self::span or self::time or self::small or self::em]"
    "[position() <= 30]"
)
# The blocks just above a headline (a date line printed over the title, as old Dân trí did);
# returned in document order, the nearest last.
ABOVE_XPATH = lxml.etree.XPath(
    "preceding::*[self::p or self::div or self::span or self::time or self::small][position() <= 6]"
)
# The headings a headline can be (iOne set it in an h3 under the site's h1).
HEADING_XPATH = lxml.etree.XPath("//h1 | //h2 | //h3")
HEADING_LIMIT = 64
LONG_LINE_CHARS = 160
# An inline script writing the date line into an element whose id says date or time.
SCRIPTED_DATE_RE = re.compile(
    r"getElementById\(\s*[\"'][\w-]*(?:[Dd]ate|[Tt]ime)[\w-]*[\"']\s*\)\.inner(?:HTML|Text)\s*=\s*"
    r"[\"'](?P<line>[^\"'<>]{6,80})[\"']"
)
# Where a date read from the page's head comes from (these carry seconds a visible line lacks).
HEAD_SOURCES = frozenset({"json-ld", "meta", "time"})
NEIGHBOUR_LIMIT = 8
# A date line later than all of the head's dates by more than the slack (a head cut to the minute)
# and at most the window is the release of a story written before (:func:`released_later`).
RELEASE_SLACK = timedelta(minutes=1)
RELEASE_WINDOW = timedelta(days=2)
# Under a headline, a date line holds little besides its date ("Cập nhật:", "(GMT+7)").
MAX_DATE_LINE_REST = 30
# A byline under a headline names its role or source first.
CREDIT_LINE_RE = re.compile(r"^(?:\(?theo|nguồn|tin|bài|ảnh|thực hiện|nhóm)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DateFound:
    """A candidate date with the source it came from."""

    parsed: ParsedDate
    source: str


@dataclass(frozen=True, slots=True)
class VisibleDates:
    """The dates printed near the title."""

    published: tuple[DateFound, ...]
    modified: tuple[DateFound, ...]
    lines: tuple[str, ...] = ()  # the date lines as printed, kept out of the body
    byline: str | None = None  # the byline printed with the date ("Nguyên Minh - 07/03/2026 08:47")


@dataclass(frozen=True, slots=True)
class ArticleDates:
    """The chosen dates and their sources (None when there is none or it is implausible)."""

    published: datetime | None
    published_source: str | None
    modified: datetime | None
    modified_source: str | None


def article_dates(
    meta_published: Sequence[DateFound], meta_modified: Sequence[DateFound], visible: VisibleDates,
    url: str, site: Site | None, reference: datetime, flags: list[str],
) -> ArticleDates:
    """The published and modified dates: head first, then the visible line, then the URL (the
    visible line first when it is a release later than the head's dates: :func:`released_later`).

    Appends ``relative_date``, the plausibility flags and ``no_date`` to ``flags``.
    """
    ranked = [*meta_published, *visible.published]
    if released_later(meta_published, meta_modified, visible.published):
        ranked = [*visible.published, *meta_published]  # the head holds when it was written
    published, published_source = choose_date(ranked + url_dates(url), flags, meta_modified)
    modified, modified_source = choose_date(list(meta_modified) + list(visible.modified), [])
    if published is None and visible.modified:
        # Many CMSs print their only date as "Cập nhật lúc …": it is the publication time.
        published, published_source = choose_date(list(visible.modified), flags, meta_modified)
    founded = founded_date(site)
    published, published_source = vet_date(published, published_source, reference, founded, flags)
    modified, modified_source = vet_date(modified, modified_source, reference, founded, [])
    if published is None and "no_date" not in flags:
        flags.append("no_date")
    return ArticleDates(published, published_source, modified, modified_source)


def released_later(
    meta_published: Sequence[DateFound], meta_modified: Sequence[DateFound], visible: Sequence[DateFound]
) -> bool:
    """True when the date line printed under the headline is later than every date of the head,
    its last modification included (and by less than :data:`RELEASE_WINDOW`): the head then holds
    when the story was written and last edited, the page when it was released (a CMS that
    schedules its stories: 24h printed "Thứ Hai, 24/12/2012, 03:04 AM (GMT+7)" over a
    ``pubdate`` of 23/12 14:02 and a ``lastmod`` of 15:31). An update time printed on the page
    cannot be later than the head's own modification time, so a later line is the release."""
    if not meta_published or not meta_modified or not visible:
        return False
    shown = visible[0].parsed
    if not shown.has_time or shown.relative:
        return False
    head = [d.parsed for d in (*meta_published, *meta_modified)]
    if not all(p.has_time for p in head):
        return False
    latest = max(aware(p.value) for p in head)
    return RELEASE_SLACK < aware(shown.value) - latest <= RELEASE_WINDOW


def aware(value: datetime) -> datetime:
    """``value`` with Vietnam's zone when it has none."""
    return value if value.tzinfo else value.replace(tzinfo=VN_TZ)


def iso_dates(value: Any) -> list[ParsedDate]:
    """The date of a meta or JSON-LD value ([] when there is none)."""
    text = json_text(value) if not isinstance(value, str) else value.strip()
    if not text:
        return []
    parsed = parse_iso_datetime(text) or parse_date_text(text)
    return [parsed] if parsed is not None else []


def find_visible_dates(
    tree: HtmlElement, hints: ExtractionHints, fetched_at: datetime | None, title: str | None,
    classes: ClassText,
) -> VisibleDates:
    """Dates printed on the page near the title (the hint's element first, then date-classed
    elements around the h1, then the short lines just under the headline), with the byline
    printed beside them."""
    elements = select_all(tree, hints.date, classes)[:3]
    if not elements:
        elements = date_candidates(tree, title, classes)
    found = read_date_lines(elements, fetched_at)
    if hints.date or hints.byline:
        return found
    heading = title_heading(tree, title)
    near = title_neighbours(heading)
    if not found.published and not found.modified:
        found = read_date_lines(near, fetched_at, near_title=True)
        if found.published or found.modified or heading is None:
            return found
        above = read_date_lines(title_above(heading), fetched_at, near_title=True)
        return VisibleDates(above.published, above.modified, (*found.lines, *above.lines), found.byline)
    if found.byline is None:
        credit = next((line for line in map(normalise_line, near) if is_credit_line(line)), None)
        if credit:
            return VisibleDates(found.published, found.modified, (*found.lines, credit), credit)
    return found


def with_scripted_date(visible: VisibleDates, html: str, fetched_at: datetime | None) -> VisibleDates:
    """The visible dates, with the date line an inline script writes into a date element
    (``getElementById("pDateTime").innerHTML="Thứ năm, 20/12/2012, 16:10 GMT+7"``, old Ngôi Sao)
    when no date line was found in the markup."""
    if visible.published or visible.modified:
        return visible
    m = SCRIPTED_DATE_RE.search(html)
    parsed = parse_date_text(unescape(m.group("line")), now=fetched_at) if m else None
    if parsed is None:
        return visible
    return VisibleDates((DateFound(parsed, "visible"),), (), visible.lines, visible.byline)


def normalise_line(element: HtmlElement) -> str:
    """An element's text as one normalised line."""
    return normalise_text(element.text_content()).replace("\n", " ")


def with_byline_date(visible: VisibleDates, dated: ParsedDate | None) -> VisibleDates:
    """The visible dates, with the date printed in the byline at the end of the body when no
    date line was found near the title."""
    if dated is None or visible.published or visible.modified:
        return visible
    return VisibleDates((DateFound(dated, "visible"),), (), visible.lines, visible.byline)


def read_date_lines(
    elements: Sequence[HtmlElement], fetched_at: datetime | None, *, near_title: bool = False
) -> VisibleDates:
    """The dates of the first elements whose short text parses as a date line; under the
    headline (``near_title``) a byline line without a date ("Tin, ảnh: …") is taken too."""
    published: list[DateFound] = []
    modified: list[DateFound] = []
    lines: list[str] = []
    byline: str | None = None
    for element in elements:
        text = element.text_content()
        if len(text) > 200:
            continue
        line = normalise_text(text).replace("\n", " ")
        parsed = parse_date_text(text, now=fetched_at)
        if parsed is None:
            if near_title and byline is None and is_credit_line(line):
                byline = line
                lines.append(line)
            continue
        split = split_dated_byline(line)
        if near_title and split is None and len(line.replace(parsed.text, "")) > MAX_DATE_LINE_REST:
            continue  # a sentence that mentions a date, not a date line
        lines.append(line)
        byline = byline or (line if split is not None and split.author else None)
        target = modified if parsed.kind == "modified" else published
        target.append(DateFound(parsed, "visible"))
        if published:
            break
    return VisibleDates(tuple(published), tuple(modified), tuple(lines), byline)


def is_credit_line(line: str) -> bool:
    """A short line that is only a byline with its role or source ("Tin, ảnh: Minh Tuấn",
    "Theo TTXVN"), as printed under a headline."""
    if not line or len(line) > 60 or not CREDIT_LINE_RE.match(line):
        return False
    return parse_byline(line) is not None


def title_heading(tree: HtmlElement, title: str | None) -> HtmlElement | None:
    """The heading that prints the headline (None when no heading of the page's first ones does)."""
    if not title:
        return None
    key = fold(title)
    headings: list[HtmlElement] = HEADING_XPATH(tree)[:HEADING_LIMIT]
    return next((h for h in headings if fold(clean_inline(h.text_content()) or "") == key), None)


def title_above(heading: HtmlElement) -> list[HtmlElement]:
    """The short elements just above the headline heading, nearest first."""
    above: list[HtmlElement] = ABOVE_XPATH(heading)
    return [e for e in reversed(above) if len(e.text_content()) < LONG_LINE_CHARS
            and not has_ancestor(e, "li", "aside")]


def title_neighbours(heading: HtmlElement | None) -> list[HtmlElement]:
    """The short elements just under the headline heading, nearest first (the date line and
    byline of CMSs that class them with no known name)."""
    if heading is None:
        return []
    near: list[HtmlElement] = []
    for element in NEIGHBOUR_XPATH(heading):
        text = element.text_content()
        if len(text) >= LONG_LINE_CHARS and element.tag == "p":
            break  # the body has begun
        if len(text) < LONG_LINE_CHARS and not has_ancestor(element, "li", "aside"):
            near.append(element)
    return near[:NEIGHBOUR_LIMIT]


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


def choose_date(
    candidates: Sequence[DateFound], flags: list[str], more_heads: Sequence[DateFound] = ()
) -> tuple[datetime | None, str | None]:
    """The first candidate in precedence order, except that a candidate with a time of day
    beats an earlier date-only one for the same day (a visible line beats a date-only meta),
    and a visible line to the minute takes its seconds from a head value of the same minute
    (among the candidates and ``more_heads``, the head's other date)."""
    if not candidates:
        return None, None
    best = candidates[0]
    if not best.parsed.has_time:
        day = local_day(best.parsed.value)
        timed = next((c for c in candidates if c.parsed.has_time and local_day(c.parsed.value) == day), None)
        best = timed or best
    if best.parsed.relative:
        flags.append("relative_date")
    best = with_head_seconds(best, [*candidates, *more_heads])
    return best.parsed.value, best.source


def with_head_seconds(best: DateFound, candidates: Sequence[DateFound]) -> DateFound:
    """A date to the minute (a visible line "08:01") given the seconds of a head value for the
    same minute ("08:01:53"); the source then names both ("visible+json-ld")."""
    value = best.parsed.value
    if best.source in HEAD_SOURCES or not best.parsed.has_time or value.second or best.parsed.relative:
        return best
    for other in candidates:
        if other.source in HEAD_SOURCES and other.parsed.has_time and same_minute(other.parsed.value, value):
            return DateFound(other.parsed, f"{best.source}+{other.source}")
    return best


def same_minute(a: datetime, b: datetime) -> bool:
    """True when ``a`` and ``b`` fall in the same minute (naive values taken as local)."""
    a = a if a.tzinfo else a.replace(tzinfo=VN_TZ)
    b = b if b.tzinfo else b.replace(tzinfo=VN_TZ)
    return abs((a - b).total_seconds()) < 60 and a.astimezone(VN_TZ).minute == b.astimezone(VN_TZ).minute


def local_day(value: datetime) -> date:
    """The calendar day of ``value`` in Vietnam (a naive value is taken as local)."""
    return (value.astimezone(VN_TZ) if value.tzinfo else value).date()


def founded_date(site: Site | None) -> date | None:
    """The day the site's paper was founded, when the registry knows it."""
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
