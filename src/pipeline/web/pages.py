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
from pipeline.search import SearchHit, SearchQuery, SearchResult
from pipeline.web.api import PAGE_SIZE, SORTS
from pipeline.web.i18n import LANGUAGES, translate
from pipeline.web.links import back_pairs, outside_link, params_to_pairs, url_with
from pipeline.web.views import (
    ArticleView,
    CaptionView,
    ErrorView,
    FacetItem,
    FacetView,
    Frame,
    HitView,
    LinkView,
    MetaRow,
    OptionView,
    Page,
    PaginationView,
    ResultsView,
    SearchView,
    TimeView,
    Value,
    VersionsView,
)

__all__ = ["PageContext", "article_page", "error_page", "search_page", "versions_view"]

FACET_ORDER = ("site", "province", "year")


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
    meta = [hit.site_name or hit.site or "", hit.province or "", hit.author or ""]
    return HitView(
        href=ctx.link(f"/articles/{hit.id}", [("back", back)] if back else []),
        title=hit.title or ctx.t("untitled"), published=time_view(ctx, hit.published_at),
        meta=tuple(m for m in meta if m),
        snippet=tuple((text, bool(match)) for text, match in hit.snippet.segments),
    )


def _facet_link(ctx: PageContext, params: SearchQuery, name: str, value: str) -> tuple[str, bool]:
    base = params_to_pairs(params)
    if name == "year":
        first, last = f"{value}-01-01", f"{value}-12-31"
        active = (params.date_from, params.date_to) == (date.fromisoformat(first), date.fromisoformat(last))
        pairs = [(k, v) for k, v in base if k not in ("from", "to")] + [("from", first), ("to", last)]
    else:
        active = value in (params.sites if name == "site" else params.provinces)
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
        for value, count in counts:
            href, active = _facet_link(ctx, params, name, str(value))
            label = site_names.get(str(value), str(value)) if name == "site" else str(value)
            items.append(FacetItem(href=href, label=label, count=count, active=active))
        heading = ctx.t(f"facet_{name}") if f"facet_{name}" in LANGUAGES[ctx.lang] else name
        views.append(FacetView(name=name, heading=heading, items=tuple(items)))
    return tuple(views)


def _pagination(ctx: PageContext, params: SearchQuery, total: int) -> PaginationView | None:
    page = params.offset // PAGE_SIZE + 1
    pages = max(1, -(-total // PAGE_SIZE))
    if pages == 1:
        return None
    base = params_to_pairs(params)
    prev_href = ctx.link("/", [*base, ("page", str(page - 1))]) if page > 1 else None
    has_next = page < pages and params.offset + PAGE_SIZE < 10_000
    next_href = ctx.link("/", [*base, ("page", str(page + 1))]) if has_next else None
    return PaginationView(prev_href=prev_href, next_href=next_href,
                          label=ctx.t("page_of", page=page, pages=pages))


def _results(ctx: PageContext, params: SearchQuery, result: SearchResult,
             site_names: dict[str, str]) -> ResultsView:
    total_key = "total_estimate" if result.total_is_estimate else "total"
    total = ctx.t(total_key, total=f"{result.total:,}".replace(",", "." if ctx.lang == "vi" else ","))
    page = params.offset // PAGE_SIZE + 1
    back = urlencode([*params_to_pairs(params), *([("page", str(page))] if page > 1 else [])])
    return ResultsView(
        total=total, start=params.offset + 1, hits=tuple(_hit(ctx, h, back) for h in result.hits),
        pagination=_pagination(ctx, params, result.total),
        facets=_facets(ctx, params, dict(result.facets), site_names),
        understood=result.understood(ctx.lang),
    )


def search_page(ctx: PageContext, params: SearchQuery, sources: Sequence[Source],
                result: SearchResult | None, error: str | None = None) -> Page:
    """The search page: the form, then the results (or a hint, or the query's error)."""
    results = None
    if error is None and result is not None:
        results = _results(ctx, params, result, {s.id: s.name for s in sources})
    provinces = sorted({p for s in sources for p in (s.province_before, s.province_after) if p})
    view = SearchView(
        q=params.text, lang_input=ctx.lang if ctx.explicit_lang else None,
        filters_open=bool(params.sites or params.provinces or params.date_from or params.date_to
                          or params.author or params.section or params.exclude_duplicates),
        site_options=_options(ctx, [(s.id, s.name) for s in sources], params.sites),
        province_options=_options(ctx, [(name, name) for name in provinces], params.provinces),
        sort_options=tuple(OptionView(s, ctx.t(f"sort_{s}"), s == params.sort) for s in SORTS),
        date_from=params.date_from.isoformat() if params.date_from else "",
        date_to=params.date_to.isoformat() if params.date_to else "",
        author=params.author or "", section=params.section or "",
        no_duplicates=params.exclude_duplicates, error=error, results=results,
    )
    return Page("search.html", _frame(ctx, params.text or ctx.t("search_heading")), view)


# -- the article page --------------------------------------------------------------------------
def _metadata(ctx: PageContext, article: Article, source: Source | None) -> tuple[MetaRow, ...]:
    site = f"{source.name} ({article.site})" if source else article.site
    rows: list[tuple[str, Value | None]] = [("site", site)]
    if source and (source.province_before or source.province_after):
        before, after = source.province_before or "?", source.province_after or "?"
        rows.append(("province", before if before == after else f"{before} → {after}"))
    rows += [("author", article.author), ("source_agency", article.source_agency),
             ("section", article.section), ("tags", ", ".join(article.tags or ())),
             ("published_at", time_view(ctx, article.published_at)),
             ("modified_at", time_view(ctx, article.modified_at))]
    sources_note = ", ".join(x for x in (article.date_source, article.modified_source and
                                         f"{ctx.t('modified_at').lower()}: {article.modified_source}") if x)
    rows += [("date_source", sources_note), ("fetched_at", time_view(ctx, article.fetched_at)),
             ("extractor_version", article.extractor_version), ("flags", ", ".join(article.flags or ())),
             ("language", article.language), ("word_count", str(article.word_count))]
    return tuple(MetaRow(ctx.t(key), value) for key, value in rows if value)


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
                 versions: VersionsView | None, capture_url: str | None, back: str | None = None) -> Page:
    """The article page: title, lead, metadata and provenance, text, captions, versions, links."""
    canonical: LinkView | None = None
    if article.canonical_url and article.canonical_url != article.url:
        canonical = outside_link(article.canonical_url, article.canonical_url)
    view = ArticleView(
        back_url=ctx.link("/", back_pairs(back)), title=article.title or ctx.t("untitled"),
        lead=article.description or None, metadata=_metadata(ctx, article, source),
        paragraphs=tuple(split_paragraphs(article.text or "")), captions=_captions(ctx, article),
        versions=versions, original=outside_link(article.url, article.url), canonical=canonical,
        capture_url=capture_url,
    )
    return Page("article.html", _frame(ctx, article.title or ctx.t("untitled")), view)


def error_page(ctx: PageContext, heading_key: str, message: str) -> Page:
    """A page saying what went wrong, with a way back."""
    heading = ctx.t(heading_key)
    return Page("error.html", _frame(ctx, heading), ErrorView(heading=heading, message=message))
