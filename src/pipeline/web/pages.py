"""The HTML pages: the search page, the article page and error pages.

Every piece of archive content reaches the markup through :func:`render.escape` (directly or
via :func:`render.tag`); links to the outside are written only for http(s) URLs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from pipeline.archive.models import Article, Source
from pipeline.search import SearchHit, SearchQuery, SearchResult
from pipeline.web.api import PAGE_SIZE, SORTS
from pipeline.web.i18n import LANGUAGES, translate
from pipeline.web.render import Html, Templates, escape, join_html, tag, url_with

__all__ = ["PageContext", "render_article_page", "render_error_page", "render_search_page"]

FACET_ORDER = ("site", "province", "year")
_OUTSIDE_REL = "noopener noreferrer nofollow"


@dataclass(frozen=True, slots=True)
class PageContext:
    """What every page needs: the language, whether it was asked for, and the request's URL."""

    templates: Templates
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


def _other_lang(lang: str) -> str:
    return next(code for code in LANGUAGES if code != lang)


def render_page(ctx: PageContext, title: str, content: Html) -> Html:
    """The common frame: header with the language switch, main content, footer."""
    other = _other_lang(ctx.lang)
    params = [(k, v) for k, v in ctx.query if k != "lang"]
    return ctx.templates.render(
        "base", lang=ctx.lang, title=f"{title} · {ctx.t('app_name')}" if title else ctx.t("app_name"),
        skip_label=ctx.t("skip_to_content"), home_url=ctx.link("/"), app_name=ctx.t("app_name"),
        language_switch_label=ctx.t("language_switch_label"),
        other_lang_url=url_with(ctx.path, [*params, ("lang", other)]), other_lang=other,
        other_lang_name=ctx.t("switch_language"), content=content, footer=ctx.t("footer"),
    )


def format_datetime(ctx: PageContext, value: datetime | None) -> Html:
    """A ``<time>`` in the reader's convention (day/month/year in Vietnamese), with its offset."""
    if value is None:
        return Html("")
    shown = value.strftime("%d/%m/%Y %H:%M" if ctx.lang == "vi" else "%Y-%m-%d %H:%M")
    offset = value.strftime("%z")
    if offset:
        shown += f" ({offset[:3]}:{offset[3:]})"
    return tag("time", shown, datetime=value.isoformat())


def _option(value: str, label: str, selected: bool) -> Html:
    return tag("option", label, value=value, selected=selected)


def _site_options(ctx: PageContext, sources: Sequence[Source], chosen: Sequence[str]) -> Html:
    options = [_option("", ctx.t("any"), not chosen)]
    options += [_option(s.id, s.name, s.id in chosen) for s in sources]
    return join_html(options)


def _province_options(ctx: PageContext, sources: Sequence[Source], chosen: Sequence[str]) -> Html:
    names = sorted({p for s in sources for p in (s.province_before, s.province_after) if p})
    options = [_option("", ctx.t("any"), not chosen)]
    options += [_option(name, name, name in chosen) for name in names]
    return join_html(options)


def _sort_options(ctx: PageContext, chosen: str) -> Html:
    return join_html(_option(s, ctx.t(f"sort_{s}"), s == chosen) for s in SORTS)


def params_to_pairs(params: SearchQuery) -> list[tuple[str, str]]:
    """The query-string pairs that reproduce ``params`` on the search page (without the page)."""
    pairs = [("q", params.text)]
    pairs += [("site", s) for s in params.sites] + [("province", p) for p in params.provinces]
    pairs += [("from", params.date_from.isoformat() if params.date_from else ""),
              ("to", params.date_to.isoformat() if params.date_to else ""),
              ("author", params.author or ""), ("section", params.section or ""),
              ("sort", params.sort if params.sort != "relevance" else ""),
              ("no_duplicates", "1" if params.exclude_duplicates else "")]
    return [(k, v) for k, v in pairs if v]


def _snippet_html(hit: SearchHit) -> Html:
    return join_html(tag("mark", text) if match else escape(text) for text, match in hit.snippet.segments)


# Parameters of the search page a "back to results" link may carry.
_BACK_KEYS = frozenset({"q", "site", "province", "from", "to", "author", "section", "sort",
                        "no_duplicates", "page"})


def back_pairs(raw: str | None) -> list[tuple[str, str]]:
    """The search-page parameters carried in an article link's ``back`` (others dropped).

    Only a query string is read, so the link always leads to this site's search page.
    """
    return [(k, v) for k, v in parse_qsl(raw or "") if k in _BACK_KEYS][:40]


def _hit_html(ctx: PageContext, hit: SearchHit, back: str) -> Html:
    meta = [format_datetime(ctx, hit.published_at), escape(hit.site_name or hit.site or "")]
    if hit.province:
        meta.append(escape(hit.province))
    if hit.author:
        meta.append(escape(hit.author))
    href = ctx.link(f"/articles/{hit.id}", [("back", back)] if back else [])
    title = tag("h3", tag("a", hit.title or ctx.t("untitled"), href=href))
    meta_html = tag("p", join_html([m for m in meta if m], " · "), class_="meta")
    snippet = tag("p", _snippet_html(hit), class_="snippet") if hit.snippet.segments else Html("")
    return tag("li", join_html([title, meta_html, snippet]), class_="hit")


def _facet_link(ctx: PageContext, params: SearchQuery, name: str, value: str) -> tuple[str, bool]:
    base = [(k, v) for k, v in params_to_pairs(params)]
    if name == "year":
        first, last = f"{value}-01-01", f"{value}-12-31"
        active = (params.date_from, params.date_to) == (date.fromisoformat(first), date.fromisoformat(last))
        pairs = [(k, v) for k, v in base if k not in ("from", "to")] + [("from", first), ("to", last)]
    else:
        key = name
        active = value in (params.sites if name == "site" else params.provinces)
        pairs = [(k, v) for k, v in base if k != key] + [(key, value)]
    return ctx.link("/", pairs), active


def _facets_html(ctx: PageContext, params: SearchQuery, facets: dict[str, list[tuple[str, int]]],
                 site_names: dict[str, str]) -> Html:
    blocks: list[Html] = []
    for name in [*FACET_ORDER, *sorted(set(facets) - set(FACET_ORDER))]:
        counts = facets.get(name)
        if not counts:
            continue
        items = []
        for value, count in counts:
            href, active = _facet_link(ctx, params, name, str(value))
            label = site_names.get(str(value), str(value)) if name == "site" else str(value)
            link = tag("a", label, href=href, aria_current="true" if active else None)
            items.append(tag("li", join_html([link, " ", tag("span", f"({count})", class_="count")])))
        heading = ctx.t(f"facet_{name}") if f"facet_{name}" in LANGUAGES[ctx.lang] else name
        blocks.append(tag("section", join_html([tag("h3", heading), tag("ul", join_html(items))]),
                          class_="facet", id=f"facet-{name}"))
    return join_html(blocks)


def _pagination_html(ctx: PageContext, params: SearchQuery, total: int) -> Html:
    page = params.offset // PAGE_SIZE + 1
    pages = max(1, -(-total // PAGE_SIZE))
    if pages == 1:
        return Html("")
    base = params_to_pairs(params)
    parts: list[Html] = []
    if page > 1:
        parts.append(tag("a", ctx.t("previous"), href=ctx.link("/", [*base, ("page", str(page - 1))]),
                         rel="prev", id="prev-page"))
    parts.append(tag("span", ctx.t("page_of", page=page, pages=pages), aria_current="page"))
    if page < pages and params.offset + PAGE_SIZE < 10_000:
        parts.append(tag("a", ctx.t("next"), href=ctx.link("/", [*base, ("page", str(page + 1))]),
                         rel="next", id="next-page"))
    return tag("nav", join_html(parts, " "), class_="pages", aria_label=ctx.t("pagination"))


def _results_html(ctx: PageContext, params: SearchQuery, result: SearchResult,
                  site_names: dict[str, str]) -> Html:
    total_key = "total_estimate" if result.total_is_estimate else "total"
    total = ctx.t(total_key, total=f"{result.total:,}".replace(",", "." if ctx.lang == "vi" else ","))
    page = params.offset // PAGE_SIZE + 1
    back = urlencode([*params_to_pairs(params), *([("page", str(page))] if page > 1 else [])])
    hits = (tag("ol", join_html(_hit_html(ctx, h, back) for h in result.hits), class_="hits", id="hits",
                start=str(params.offset + 1))
            if result.hits else tag("p", ctx.t("no_results"), class_="empty"))
    return ctx.templates.render(
        "results", results_label=ctx.t("results"), total=total, hits=hits,
        pagination=_pagination_html(ctx, params, result.total), facets_label=ctx.t("facets"),
        facets=_facets_html(ctx, params, dict(result.facets), site_names),
    )


def render_search_page(ctx: PageContext, params: SearchQuery, sources: Sequence[Source],
                       result: SearchResult | None, error: str | None = None) -> Html:
    """The search page: the form, then the results (or a hint, or the query's error)."""
    if error is not None:
        body = tag("p", error, class_="error", role="alert", id="query-error")
    elif result is None:
        body = tag("p", ctx.t("start_hint"), class_="hint")
    else:
        body = _results_html(ctx, params, result, {s.id: s.name for s in sources})
    filtered = bool(params.sites or params.provinces or params.date_from or params.date_to
                    or params.author or params.section or params.exclude_duplicates)
    content = ctx.templates.render(
        "search", heading=ctx.t("search_heading"),
        lang_input=Html(f'<input type="hidden" name="lang" value="{escape(ctx.lang)}">')
        if ctx.explicit_lang else Html(""),
        query_label=ctx.t("query_label"), q=params.text, query_placeholder=ctx.t("query_placeholder"),
        query_help=ctx.t("query_help"), search_button=ctx.t("search_button"),
        filters_open=Html(" open") if filtered else Html(""), filters_label=ctx.t("filters"),
        site_label=ctx.t("site_label"), site_options=_site_options(ctx, sources, params.sites),
        province_label=ctx.t("province_label"),
        province_options=_province_options(ctx, sources, params.provinces),
        date_from_label=ctx.t("date_from_label"), date_from=params.date_from or "",
        date_to_label=ctx.t("date_to_label"), date_to=params.date_to or "",
        author_label=ctx.t("author_label"), author=params.author or "",
        section_label=ctx.t("section_label"), section=params.section or "",
        sort_label=ctx.t("sort_label"), sort_options=_sort_options(ctx, params.sort),
        exclude_duplicates_label=ctx.t("exclude_duplicates_label"),
        no_duplicates_checked=Html(" checked") if params.exclude_duplicates else Html(""),
        body=body,
    )
    title = params.text or ctx.t("search_heading")
    return render_page(ctx, title, content)


def is_web_url(url: str | None) -> bool:
    """True for absolute http(s) URLs, the only ones the UI links to (never ``javascript:``)."""
    if not url:
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def outside_link(url: str | None, label: object) -> Html:
    """A link to another site without referrer or opener; plain text for any other scheme."""
    if url and is_web_url(url):
        return tag("a", label, href=url.strip(), rel=_OUTSIDE_REL)
    return escape(url or label)


def _meta_row(label: str, value: object) -> Html:
    return join_html([tag("dt", label), tag("dd", value)])


def _metadata_html(ctx: PageContext, article: Article, source: Source | None) -> Html:
    rows: list[tuple[str, object]] = []
    site = f"{source.name} ({article.site})" if source else article.site
    rows.append(("site", site))
    if source and (source.province_before or source.province_after):
        before, after = source.province_before or "?", source.province_after or "?"
        rows.append(("province", before if before == after else f"{before} → {after}"))
    rows += [("author", article.author), ("source_agency", article.source_agency),
             ("section", article.section), ("tags", ", ".join(article.tags or ()))]
    published = format_datetime(ctx, article.published_at)
    rows.append(("published_at", published))
    rows.append(("modified_at", format_datetime(ctx, article.modified_at)))
    sources_note = ", ".join(x for x in (article.date_source, article.modified_source and
                                         f"{ctx.t('modified_at').lower()}: {article.modified_source}") if x)
    rows += [("date_source", sources_note), ("fetched_at", format_datetime(ctx, article.fetched_at)),
             ("extractor_version", article.extractor_version), ("flags", ", ".join(article.flags or ())),
             ("language", article.language), ("word_count", str(article.word_count))]
    return join_html(_meta_row(ctx.t(key), value) for key, value in rows if value)


def split_paragraphs(text: str) -> list[str]:
    """The article's paragraphs: one a non-empty line."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _captions_html(ctx: PageContext, article: Article) -> Html:
    items: list[Html] = []
    seen: set[str] = set()
    for image in article.images or ():
        caption = image.get("caption")
        url = image.get("url")
        if caption:
            seen.add(caption)
        label = tag("span", caption, class_="caption") if caption else Html("")
        link = outside_link(url, ctx.t("image_link"))
        items.append(tag("li", join_html([label, " — " if caption else "", link])))
    items += [tag("li", tag("span", c, class_="caption")) for c in article.captions or () if c not in seen]
    if not items:
        return Html("")
    return tag("section", join_html([
        tag("h2", ctx.t("captions"), id="captions-heading"),
        tag("p", ctx.t("image_not_shown"), class_="help"),
        tag("ul", join_html(items), class_="captions", id="captions"),
    ]), aria_labelledby="captions-heading")


def _version_cell(ctx: PageContext, value: Any) -> Html:
    if isinstance(value, datetime):
        return format_datetime(ctx, value)
    if isinstance(value, (list, tuple)):
        return escape(", ".join(str(v) for v in value))
    return escape("" if value is None else value)


def render_versions(ctx: PageContext, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Html:
    """The versions table of an article (a note when the archive holds none for it)."""
    heading = tag("h2", ctx.t("versions"), id="versions-heading")
    if not rows:
        return tag("section", join_html([heading, tag("p", ctx.t("no_versions"))]),
                   aria_labelledby="versions-heading")
    head = tag("tr", join_html(tag("th", c, scope="col") for c in columns))
    body = join_html(tag("tr", join_html(tag("td", _version_cell(ctx, v)) for v in row)) for row in rows)
    table = tag("div", tag("table", join_html([tag("thead", head), tag("tbody", body)])), class_="scroll")
    return tag("section", join_html([heading, table]), aria_labelledby="versions-heading", id="versions")


def render_article_page(ctx: PageContext, article: Article, source: Source | None, *,
                        versions: Html, capture_url: str | None, back: str | None = None) -> Html:
    """The article page: title, lead, metadata and provenance, text, captions, versions, links."""
    paragraphs = split_paragraphs(article.text or "")
    text = (join_html(tag("p", p) for p in paragraphs) if paragraphs
            else tag("p", ctx.t("no_text"), class_="empty"))
    links = [tag("li", join_html([ctx.t("original_url"), ": ",
                                  outside_link(article.url, article.url)]), id="original-url")]
    if article.canonical_url and article.canonical_url != article.url:
        links.append(tag("li", join_html(["canonical: ", outside_link(article.canonical_url, article.canonical_url)])))
    if capture_url:
        links.append(tag("li", tag("a", ctx.t("raw_capture"), href=capture_url, id="capture-link")))
    content = ctx.templates.render(
        "article", back_url=ctx.link("/", back_pairs(back)), back_label=ctx.t("back_to_search"),
        title=article.title or ctx.t("untitled"),
        lead=tag("p", article.description, class_="lead", id="lead") if article.description else Html(""),
        metadata_label=ctx.t("metadata"), metadata=_metadata_html(ctx, article, source),
        text_label=ctx.t("text"), paragraphs=text, captions=_captions_html(ctx, article),
        versions=versions, links_label=ctx.t("links"), links=join_html(links),
    )
    return render_page(ctx, article.title or ctx.t("untitled"), content)


def render_error_page(ctx: PageContext, heading_key: str, message: str) -> Html:
    """A page saying what went wrong, with a way back."""
    content = ctx.templates.render("error", heading=ctx.t(heading_key), message=message,
                                   home_url=ctx.link("/"), back_label=ctx.t("back_to_search"))
    return render_page(ctx, ctx.t(heading_key), content)
