"""The pages' contents: the search page, the article page and error pages, as plain views.

Nothing here writes markup: each function returns a :class:`~pipeline.web.views.Page` of
strings, numbers and small dataclasses, and the Jinja2 templates (autoescaped) render it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from pipeline.archive.models import Article, Source
from pipeline.registry.provinces import province_at, province_now
from pipeline.search import SearchHit, SearchQuery, SearchResult
from pipeline.search.facets import FACET_NAMES
from pipeline.web.api import MAX_OFFSET, PAGE_SIZE, SORTS
from pipeline.web.i18n import LANGUAGES, translate
from pipeline.web.links import back_pairs, outside_link, params_to_pairs, url_with
from pipeline.web.paging import page_numbers
from pipeline.web.views import (
    ArticleView,
    CaptionView,
    CaptureLinks,
    CiteView,
    ErrorView,
    FacetItem,
    FacetView,
    Frame,
    HitView,
    LinkView,
    MetaRow,
    OptionView,
    Page,
    PageLink,
    PaginationView,
    ResultsView,
    SearchView,
    TimeView,
    Value,
    VersionsView,
)

__all__ = ["PageContext", "article_page", "error_page", "page_frame", "search_page", "versions_view"]

FACET_ORDER = FACET_NAMES
# Facets with many values (authors, tags...) show their most frequent ones only.
FACET_ITEMS = 15
# Filters a facet value sets: several values (ORed) or one.
_MULTI_FACETS = {"site": "sites", "province": "provinces", "province_now": "provinces_now"}
_SINGLE_FACETS = ("section", "author", "tag")


@dataclass(frozen=True, slots=True)
class PageContext:
    """What every page needs: the language, whether it was asked for, and the request's URL."""

    lang: str
    explicit_lang: bool
    path: str
    query: tuple[tuple[str, str], ...] = field(default=())

    def t(self, key: str, **values: object) -> str:
        return translate(self.lang, key, **values)

    def link(self, path: str, params: Sequence[tuple[str, str]] = ()) -> str:
        """An internal URL that keeps the chosen language."""
        extra = [("lang", self.lang)] if self.explicit_lang else []
        return url_with(path, [*params, *extra])


def _frame(ctx: PageContext, title: str) -> Frame:
    """The common frame: header with the language switch, footer, the interface's strings."""
    other = next(code for code in LANGUAGES if code != ctx.lang)
    params = [(k, v) for k, v in ctx.query if k != "lang"]
    return Frame(
        lang=ctx.lang, title=f"{title} · {ctx.t('app_name')}" if title else ctx.t("app_name"),
        home_url=ctx.link("/"), other_lang=other,
        other_lang_url=url_with(ctx.path, [*params, ("lang", other)]),
        t=LANGUAGES[ctx.lang],
    )


def time_view(ctx: PageContext, value: datetime | None) -> TimeView | None:
    """A moment in the reader's convention (day/month/year in Vietnamese), with its offset."""
    if value is None:
        return None
    shown = value.strftime("%d/%m/%Y %H:%M" if ctx.lang == "vi" else "%Y-%m-%d %H:%M")
    offset = value.strftime("%z")
    if offset:
        shown += f" ({offset[:3]}:{offset[3:]})"
    return TimeView(iso=value.isoformat(), shown=shown)


# -- the search page ---------------------------------------------------------------------------
def _options(ctx: PageContext, values: Sequence[tuple[str, str]],
             chosen: Sequence[str]) -> tuple[OptionView, ...]:
    """An "any" option, then one per (value, label), the chosen ones selected."""
    first = OptionView("", ctx.t("any"), not chosen)
    return (first, *(OptionView(value, label, value in chosen) for value, label in values))


def _hit(ctx: PageContext, hit: SearchHit, back: str) -> HitView:
    province = hit.province or ""
    if hit.province_now and hit.province_now != hit.province:
        province = ctx.t("province_then_now", then=hit.province or "?", now=hit.province_now)
    meta = [hit.site_name or hit.site or "", province, hit.author or ""]
    return HitView(
        href=ctx.link(f"/a/{hit.key}" if hit.key else f"/articles/{hit.id}", [("back", back)] if back else []),
        title=hit.title or ctx.t("untitled"), published=time_view(ctx, hit.published_at),
        meta=tuple(m for m in meta if m),
        snippet=tuple((text, bool(match)) for text, match in hit.snippet.segments),
    )


def _month_range(name: str, value: str) -> tuple[str, str]:
    """The first and last day of a year ("2019") or a month ("2019-08") facet value."""
    if name == "year":
        return f"{value}-01-01", f"{value}-12-31"
    year, month = (int(x) for x in value.split("-"))
    following = date(year + month // 12, month % 12 + 1, 1)
    return f"{value}-01", date.fromordinal(following.toordinal() - 1).isoformat()


def _facet_link(ctx: PageContext, params: SearchQuery, name: str, value: str) -> tuple[str, bool]:
    base = params_to_pairs(params)
    if name in ("year", "month"):
        first, last = _month_range(name, value)
        active = (params.date_from, params.date_to) == (date.fromisoformat(first), date.fromisoformat(last))
        pairs = [(k, v) for k, v in base if k not in ("from", "to")] + [("from", first), ("to", last)]
    elif name in _MULTI_FACETS:
        active = value in getattr(params, _MULTI_FACETS[name])
        pairs = [(k, v) for k, v in base if k != name] + [(name, value)]
    else:
        active = value == getattr(params, name, None)
        pairs = [(k, v) for k, v in base if k != name] + [(name, value)]
    return ctx.link("/", pairs), active


def _facets(ctx: PageContext, params: SearchQuery, facets: dict[str, list[tuple[str, int]]],
            site_names: dict[str, str]) -> tuple[FacetView, ...]:
    views: list[FacetView] = []
    for name in [*FACET_ORDER, *sorted(set(facets) - set(FACET_ORDER))]:
        counts = facets.get(name)
        if not counts:
            continue
        items: list[FacetItem] = []
        for value, count in counts if name in ("site", "province", "province_now", "year") else counts[:FACET_ITEMS]:
            href, active = _facet_link(ctx, params, name, str(value))
            label = site_names.get(str(value), str(value)) if name == "site" else str(value)
            items.append(FacetItem(href=href, label=label, count=count, active=active))
        heading = ctx.t(f"facet_{name}") if f"facet_{name}" in LANGUAGES[ctx.lang] else name
        views.append(FacetView(name=name, heading=heading, items=tuple(items)))
    return tuple(views)


def _pagination(ctx: PageContext, params: SearchQuery, total: int) -> PaginationView | None:
    """Numbered pages (``‹ 1 2 3 … 17 ›``), as far as the deepest page the API serves."""
    page = params.offset // PAGE_SIZE + 1
    pages = min(max(1, -(-total // PAGE_SIZE)), MAX_OFFSET // PAGE_SIZE + 1)
    if pages == 1:
        return None
    base = params_to_pairs(params)

    def href(n: int) -> str:
        return ctx.link("/", [*base, *([("page", str(n))] if n > 1 else [])])

    numbers = tuple(PageLink("…", None) if n is None else
                    PageLink(str(n), None if n == page else href(n), n == page, ctx.t("page_n", page=n))
                    for n in page_numbers(page, pages))
    return PaginationView(prev_href=href(page - 1) if page > 1 else None,
                          next_href=href(page + 1) if page < pages else None,
                          label=ctx.t("page_of", page=page, pages=pages), numbers=numbers)


def _data_links(ctx: PageContext, params: SearchQuery, result: SearchResult,
                export_max: int) -> dict[str, Any]:
    """The page as ``.json``/``.csv``; the whole result streamed as CSV/JSONL, capped."""
    page = params.offset // PAGE_SIZE + 1
    pairs = [*params_to_pairs(params), *([("page", str(page))] if page > 1 else [])]
    whole = params_to_pairs(params)
    capped = result.total > export_max or (result.total_is_estimate and result.total >= export_max)
    cap = f"{export_max:,}".replace(",", "." if ctx.lang == "vi" else ",")
    return {
        "data_links": (LinkView(url_with("/search.json", pairs), "JSON"),
                       LinkView(url_with("/search.csv", pairs), "CSV")),
        "download_links": (LinkView(url_with("/export.csv", whole), "CSV"),
                           LinkView(url_with("/export.jsonl", whole), "JSONL")),
        "download_note": ctx.t("download_capped", cap=cap) if capped or result.total_is_estimate else None,
    }


def _results(ctx: PageContext, params: SearchQuery, result: SearchResult,
             site_names: dict[str, str], export_max: int) -> ResultsView:
    total_key = "total_estimate" if result.total_is_estimate else "total"
    total = ctx.t(total_key, total=f"{result.total:,}".replace(",", "." if ctx.lang == "vi" else ","))
    page = params.offset // PAGE_SIZE + 1
    back = urlencode([*params_to_pairs(params), *([("page", str(page))] if page > 1 else [])])
    return ResultsView(
        total=total, start=params.offset + 1, hits=tuple(_hit(ctx, h, back) for h in result.hits),
        pagination=_pagination(ctx, params, result.total),
        facets=_facets(ctx, params, dict(result.facets), site_names),
        **_data_links(ctx, params, result, export_max),
        understood=result.understood(ctx.lang),
    )


def search_page(ctx: PageContext, params: SearchQuery, sources: Sequence[Source],
                result: SearchResult | None, error: str | None = None, *, export_max: int = 10_000) -> Page:
    """The search page: the form, then the results (or a hint, or the query's error)."""
    results = None
    if error is None and result is not None:
        results = _results(ctx, params, result, {s.id: s.name for s in sources}, export_max)
    provinces = sorted({p for s in sources for p in (s.province_before, s.province_after) if p})
    provinces_now = sorted({p for s in sources if (p := province_now(s.province_before, s.province_after))})
    view = SearchView(
        q=params.text, lang_input=ctx.lang if ctx.explicit_lang else None,
        filters_open=bool(params.sites or params.provinces or params.date_from or params.date_to
                          or params.author or params.section or params.exclude_duplicates
                          or params.provinces_now or params.tag),
        site_options=_options(ctx, [(s.id, s.name) for s in sources], params.sites),
        province_options=_options(ctx, [(name, name) for name in provinces], params.provinces),
        sort_options=tuple(OptionView(s, ctx.t(f"sort_{s}"), s == params.sort) for s in SORTS),
        date_from=params.date_from.isoformat() if params.date_from else "",
        date_to=params.date_to.isoformat() if params.date_to else "",
        author=params.author or "", section=params.section or "",
        no_duplicates=params.exclude_duplicates, error=error, results=results,
        province_now_options=_options(ctx, [(name, name) for name in provinces_now], params.provinces_now),
        tag=params.tag or "",
    )
    return Page("search.html", _frame(ctx, params.text or ctx.t("search_heading")), view)


# -- the article page --------------------------------------------------------------------------
def _metadata(ctx: PageContext, article: Article, source: Source | None) -> tuple[MetaRow, ...]:
    site = f"{source.name} ({article.site})" if source else article.site
    rows: list[tuple[str, Value | None]] = [("site", site)]
    if source and (source.province_before or source.province_after):
        before, after = source.province_before, source.province_after
        rows += [("province", province_at(article.published_at, article.first_seen_at, before, after)),
                 ("province_now", province_now(before, after))]
    rows += [("author", article.author), ("source_agency", article.source_agency),
             ("section", article.section), ("tags", ", ".join(article.tags or ())),
             ("published_at", time_view(ctx, article.published_at)),
             ("modified_at", time_view(ctx, article.modified_at))]
    sources_note = "; ".join(x for x in (
        article.date_source and ctx.t("date_from_words", source=date_source_words(ctx, article.date_source)),
        article.modified_source and ctx.t("modified_from_words",
                                          source=date_source_words(ctx, article.modified_source))) if x)
    rows += [("date_source", sources_note), ("fetched_at", time_view(ctx, article.fetched_at)),
             ("extractor_version", article.extractor_version), ("flags", ", ".join(article.flags or ())),
             ("language", article.language), ("word_count", str(article.word_count))]
    return tuple(MetaRow(ctx.t(key), value) for key, value in rows if value)


def date_source_words(ctx: PageContext, source: str) -> str:
    """Where a date was read, in words: "meta" → "the page metadata"; "meta+visible" → both.

    An unknown source name is shown as it is stored.
    """
    words = [ctx.t(f"date_src_{part}") if f"date_src_{part}" in LANGUAGES[ctx.lang] else part
             for part in source.split("+") if part]
    if len(words) == 2:
        return ctx.t("date_agree", first=words[0], second=words[1])
    return ", ".join(words) or source


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def body_without_lead(text: str, lead: str | None) -> list[str]:
    """The body's paragraphs, without a first paragraph that repeats the lead (shown once, above).

    >>> body_without_lead("Sapo.\nThân bài.", "Sapo.")
    ['Thân bài.']
    """
    paragraphs = split_paragraphs(text)
    if lead and paragraphs and _same_text(paragraphs[0], lead):
        return paragraphs[1:]
    return paragraphs


def split_paragraphs(text: str) -> list[str]:
    """The article's paragraphs: one a non-empty line."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _captions(ctx: PageContext, article: Article) -> tuple[CaptionView, ...]:
    items: list[CaptionView] = []
    seen: set[str] = set()
    for image in article.images or ():
        caption = image.get("caption")
        if caption:
            seen.add(caption)
        items.append(CaptionView(caption or None, outside_link(image.get("url"), ctx.t("image_link"))))
    items += [CaptionView(c, None) for c in article.captions or () if c not in seen]
    return tuple(items)


def _cell(ctx: PageContext, value: Any) -> Value:
    if isinstance(value, datetime):
        return time_view(ctx, value) or ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def versions_view(ctx: PageContext, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> VersionsView:
    """The versions table of an article (the page says so when the archive holds none for it)."""
    return VersionsView(columns=tuple(columns),
                        rows=tuple(tuple(_cell(ctx, v) for v in row) for row in rows))


def article_page(ctx: PageContext, article: Article, source: Source | None, *,
                 versions: VersionsView | None, capture_url: str | None, back: str | None = None,
                 cite: CiteView | None = None, capture: CaptureLinks | None = None) -> Page:
    """The article page: title, lead, metadata and provenance, text, captions, versions, links."""
    canonical: LinkView | None = None
    if article.canonical_url and article.canonical_url != article.url:
        canonical = outside_link(article.canonical_url, article.canonical_url)
    view = ArticleView(
        back_url=ctx.link("/", back_pairs(back)), title=article.title or ctx.t("untitled"),
        lead=article.description or None, metadata=_metadata(ctx, article, source),
        paragraphs=tuple(body_without_lead(article.text or "", article.description)),
        captions=_captions(ctx, article),
        versions=versions, original=outside_link(article.url, article.url), canonical=canonical,
        capture_url=capture_url, cite=cite, capture=capture,
        data_links=(LinkView(f"/articles/{article.id}.json", "JSON"), LinkView(f"/articles/{article.id}.csv", "CSV")),
    )
    return Page("article.html", _frame(ctx, article.title or ctx.t("untitled")), view)


def page_frame(ctx: PageContext, title: str) -> Frame:
    """The common frame of a page titled ``title`` (for pages built in other modules)."""
    return _frame(ctx, title)


def error_page(ctx: PageContext, heading_key: str, message: str) -> Page:
    """A page saying what went wrong, with a way back."""
    heading = ctx.t(heading_key)
    return Page("error.html", _frame(ctx, heading), ErrorView(heading=heading, message=message))
