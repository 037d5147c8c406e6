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
    "CaptureLinks",
    "CapturedView",
    "CiteView",
    "ErrorView",
    "FacetItem",
    "FacetView",
    "Frame",
    "HitView",
    "LinkView",
    "MetaRow",
    "OptionView",
    "Page",
    "PageLink",
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
class PageLink:
    """One numbered page of the paging bar; ``href`` None for the current page or a gap ("…")."""

    label: str
    href: str | None
    current: bool = False
    title: str = ""


@dataclass(frozen=True, slots=True)
class PaginationView:
    """Previous/next links (``None`` when there is none) around the numbered pages."""

    prev_href: str | None
    next_href: str | None
    label: str
    numbers: tuple[PageLink, ...] = ()


@dataclass(frozen=True, slots=True)
class ResultsView:
    """The results block: total, hits (numbered from ``start``), pagination and facets."""

    total: str
    start: int
    hits: tuple[HitView, ...]
    pagination: PaginationView | None
    facets: tuple[FacetView, ...]
    # The same search as data (.json, .csv of the page) and the whole result streamed (CSV, JSONL).
    data_links: tuple[LinkView, ...] = ()
    download_links: tuple[LinkView, ...] = ()
    download_note: str | None = None
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
    province_now_options: tuple[OptionView, ...] = ()
    tag: str = ""


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
class CiteView:
    """The "Trích dẫn / Cite" block: the reference to copy and its downloads."""

    reference: str
    permalink: str
    csl_url: str
    bibtex_url: str


@dataclass(frozen=True, slots=True)
class CaptureLinks:
    """Links to the capture of the article's current version."""

    captured_url: str
    warc_url: str
    wayback_url: str
    taken: TimeView
    # Every capture of the article's URL: its Wayback-style permalink and when it was taken.
    history: tuple[tuple[str, TimeView], ...] = ()


@dataclass(frozen=True, slots=True)
class CapturedView:
    """The captured page in a sandboxed frame, under a banner saying when and from where."""

    banner: str
    frame_url: str
    original: LinkView
    article_url: str | None
    warc_url: str | None


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
    cite: CiteView | None = None
    capture: CaptureLinks | None = None
    data_links: tuple[LinkView, ...] = ()


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
    view: SearchView | ArticleView | ErrorView | CapturedView
