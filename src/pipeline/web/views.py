"""What the templates are given: plain, typed values — never markup.

:mod:`pipeline.web.pages` builds these from the archive's rows; the Jinja2 templates under
``templates/`` turn them into HTML, escaping every string on the way out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "ArticleView",
    "CaptionView",
    "ErrorView",
    "FacetItem",
    "FacetView",
    "Frame",
    "HitView",
    "LinkView",
    "MetaRow",
    "OptionView",
    "Page",
    "PaginationView",
    "ResultsView",
    "SearchView",
    "TimeView",
    "Value",
    "VersionsView",
]


@dataclass(frozen=True, slots=True)
class TimeView:
    """A moment: its ISO 8601 form (the ``datetime`` attribute) and how the reader sees it."""

    iso: str
    shown: str


# A cell or a metadata value: plain text, or a moment shown as a <time>.
Value = str | TimeView


@dataclass(frozen=True, slots=True)
class LinkView:
    """A link to another site, or plain text when ``href`` is ``None`` (not an http(s) URL)."""

    href: str | None
    label: str


@dataclass(frozen=True, slots=True)
class OptionView:
    """One ``<option>`` of a ``<select>``."""

    value: str
    label: str
    selected: bool


@dataclass(frozen=True, slots=True)
class HitView:
    """One search hit: its link, its meta line and its snippet as (text, is_match) pieces."""

    href: str
    title: str
    published: TimeView | None
    meta: tuple[str, ...]
    snippet: tuple[tuple[str, bool], ...]


@dataclass(frozen=True, slots=True)
class FacetItem:
    """One value of a facet: a link to the narrowed search and its count."""

    href: str
    label: str
    count: int
    active: bool


@dataclass(frozen=True, slots=True)
class FacetView:
    """One facet (site, province, year, …) with its heading."""

    name: str
    heading: str
    items: tuple[FacetItem, ...]


@dataclass(frozen=True, slots=True)
class PaginationView:
    """Previous/next links (``None`` when there is none) around "page N of M"."""

    prev_href: str | None
    next_href: str | None
    label: str


@dataclass(frozen=True, slots=True)
class ResultsView:
    """The results block: total, hits (numbered from ``start``), pagination and facets."""

    total: str
    start: int
    hits: tuple[HitView, ...]
    pagination: PaginationView | None
    facets: tuple[FacetView, ...]
    # The query as understood, in the page's language ('Tìm: "đồng nai" HOẶC "bình dương"').
    understood: str = ""


@dataclass(frozen=True, slots=True)
class SearchView:
    """The search page: the form's values and options, then an error, a hint or results."""

    q: str
    lang_input: str | None
    filters_open: bool
    site_options: tuple[OptionView, ...]
    province_options: tuple[OptionView, ...]
    sort_options: tuple[OptionView, ...]
    date_from: str
    date_to: str
    author: str
    section: str
    no_duplicates: bool
    error: str | None
    results: ResultsView | None


@dataclass(frozen=True, slots=True)
class MetaRow:
    """One line of the article's metadata list."""

    label: str
    value: Value


@dataclass(frozen=True, slots=True)
class CaptionView:
    """An image caption and/or the link to the image (images themselves are never loaded)."""

    caption: str | None
    link: LinkView | None


@dataclass(frozen=True, slots=True)
class VersionsView:
    """The versions table of an article; no rows means the archive holds none for it."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]


@dataclass(frozen=True, slots=True)
class ArticleView:
    """The article page."""

    back_url: str
    title: str
    lead: str | None
    metadata: tuple[MetaRow, ...]
    paragraphs: tuple[str, ...]
    captions: tuple[CaptionView, ...]
    versions: VersionsView | None
    original: LinkView
    canonical: LinkView | None
    capture_url: str | None


@dataclass(frozen=True, slots=True)
class ErrorView:
    """An error page: what went wrong."""

    heading: str
    message: str


@dataclass(frozen=True, slots=True)
class Frame:
    """What the common frame shows: language, title, home link, language switch, strings."""

    lang: str
    title: str
    home_url: str
    other_lang: str
    other_lang_url: str
    t: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Page:
    """A page to render: its template, the frame and the page's own view."""

    template: str
    frame: Frame
    view: SearchView | ArticleView | ErrorView
