"""``baotinh search`` and ``baotinh show``: thin commands over :mod:`pipeline.search.engine`."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

import click

from pipeline.cli.options import filter_options
from pipeline.cli.session import archive_session
from pipeline.errors import InputError
from pipeline.registry.provinces import province_at, province_now
from pipeline.search import SORTS, SearchHit, SearchQuery, SearchResult, Snippet

EPILOG_SEARCH = """\b
Examples:
  baotinh search "kim thanh"
  baotinh search "dong nai OR binh duong"
  baotinh search '"nông thôn mới" -"Hà Nội"' --site baohaiduong --from 2024-01-01
  baotinh search 'vải thiều OR nhãn' --sort newest --json
  baotinh search "kim AND thanh"
"""


def format_snippet(snippet: Snippet, *, tty: bool) -> str:
    if tty:
        return "".join(click.style(s, bold=True) if m else s for s, m in snippet.segments)
    return snippet.as_text()


def format_hit(hit: SearchHit, *, tty: bool) -> str:
    day = hit.published_at.date().isoformat() if hit.published_at else "----------"
    title = (hit.title or "(no title)").replace("\n", " ")
    head = f"{hit.id:>8}  {day}  {hit.site or '-':<16} {title}"
    return head + "\n" + " " * 10 + format_snippet(hit.snippet, tty=tty).replace("\n", " ")


def total_text(result: SearchResult) -> str:
    return f"≥ {result.total}" if result.total_is_estimate else str(result.total)


def print_table(result: SearchResult) -> None:
    tty = sys.stdout.isatty()
    q = result.query
    shown = f"{q.offset + 1}–{q.offset + len(result.hits)}" if result.hits else "0"
    if result.parsed_query:
        click.echo(result.understood("en"))
    click.echo(f"{total_text(result)} articles; showing {shown}")
    for hit in result.hits:
        click.echo(format_hit(hit, tty=tty))
    for name, counts in result.facets.items():
        click.echo(f"{name}: " + ", ".join(f"{k} ({n})" for k, n in counts[:15]))


def print_json_lines(result: SearchResult) -> None:
    for hit in result.hits:
        click.echo(json.dumps(hit.as_dict(), ensure_ascii=False))
    summary: dict[str, Any] = {"total": result.total, "total_is_estimate": result.total_is_estimate,
                               "parsed_query": dict(result.parsed_query)}
    if result.query.facets:
        summary["facets"] = {k: [[key, n] for key, n in v] for k, v in result.facets.items()}
    click.echo(json.dumps(summary, ensure_ascii=False))


@click.command(epilog=EPILOG_SEARCH)
@click.argument("query")
@filter_options
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--facets", is_flag=True,
              help="Also count the hits by site, province (then, now), year, month, section, author, tag.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines: one hit a line, then the total.")
@click.pass_context
def search(ctx: click.Context, query: str, sites: tuple[str, ...], provinces: tuple[str, ...],
           provinces_now: tuple[str, ...], date_from: date | None, date_to: date | None,
           author: str | None, section: str | None, tag: str | None,
           language: str | None, no_duplicates: bool, sort: str, limit: int, offset: int,
           facets: bool, as_json: bool) -> None:
    """Search the archive; diacritics optional, typed ones rank exact matches first.

    Words typed side by side must all occur and rank first where they stand side by side
    ("dong nai": Đồng Nai); OR joins the groups written on each side, each a phrase; AND
    separates groups; NOT group and -word exclude; "quoted phrase"; prefix*. The query as
    understood is printed first.
    """
    from pipeline.search import search as run_search

    request = SearchQuery(text=query, sites=sites, provinces=provinces, date_from=date_from,
                          date_to=date_to, author=author, section=section, language=language,
                          exclude_duplicates=no_duplicates, sort=sort, limit=limit, offset=offset,
                          facets=facets, provinces_now=provinces_now, tag=tag)
    with archive_session(ctx, write=False, tune_reads=True) as session:
        result = run_search(session, request)
    if as_json:
        print_json_lines(result)
    else:
        print_table(result)


def article_dict(article: Any, run: Any, source: Any) -> dict[str, Any]:
    def iso(v: Any) -> Any:
        return v.isoformat() if v is not None else None

    return {
        "id": article.id, "key": getattr(article, "key", None), "site": article.site,
        "site_name": source.name if source else None,
        "province_before": source.province_before if source else None,
        "province_after": source.province_after if source else None,
        # Issue 16: the province at publication (before 1 July 2025 the old one) and today.
        "province": province_at(article.published_at, article.first_seen_at,
                                source.province_before, source.province_after) if source else None,
        "province_now": province_now(source.province_before, source.province_after) if source else None,
        "url": article.url, "canonical_url": article.canonical_url, "title": article.title,
        "description": article.description, "author": article.author, "section": article.section,
        "language": article.language, "published_at": iso(article.published_at),
        "modified_at": iso(article.modified_at), "fetched_at": iso(article.fetched_at),
        "first_seen_at": iso(article.first_seen_at), "last_seen_at": iso(article.last_seen_at),
        "crawl_run_id": article.crawl_run_id,
        "crawl_run_started_at": iso(run.started_at) if run else None,
        "extractor_version": article.extractor_version, "date_source": article.date_source,
        "modified_source": article.modified_source, "source_agency": article.source_agency,
        "flags": list(article.flags or ()), "tags": list(article.tags or ()),
        "word_count": article.word_count, "content_sha256": article.content_sha256,
        "text": article.text, "captions": list(article.captions or ()),
    }


def print_article(data: dict[str, Any]) -> None:
    click.echo(data["title"] or "(no title)")
    for key in ("id", "key", "site", "site_name", "province", "province_now", "published_at",
                "author", "section", "url", "canonical_url", "fetched_at", "crawl_run_id",
                "extractor_version", "date_source", "flags"):
        value = data[key]
        if value not in (None, [], ""):
            click.echo(f"  {key:<18} {', '.join(value) if isinstance(value, list) else value}")
    if data["description"]:
        click.echo("\n" + data["description"])
    click.echo("\n" + data["text"])
    for caption in data["captions"]:
        click.echo(f"\n[ảnh] {caption}")
    for line in data.get("imported_from") or ():
        click.echo(f"\n[imported from] {line}")


def _imported_from(session: Any, canonical_url: str) -> list[str]:
    """Where the article's imported captures came from: WARC files, mementos (issue 17)."""
    from pipeline.backfill.provenance import provenance_of

    return [p.describe() for p in provenance_of(session, canonical_url)]


@click.command(epilog="\b\nExamples:\n  baotinh show 4yecpd55we3g\n  baotinh show 12\n"
                       "  baotinh show http://demo.baotinh.test/chinh-tri/"
                       "huyen-uy-kim-thanh-4-cong-viec-dot-pha-trong-thuc-hien-chi-thi-05-105123.html --json")
@click.argument("key", metavar="KEY|ID|URL")
@click.option("--json", "as_json", is_flag=True, help="Print the article as JSON.")
@click.pass_context
def show(ctx: click.Context, key: str, as_json: bool) -> None:
    """Print one article (by stable key, id or URL) with its metadata and provenance.

    The key (12 letters and digits, as in /a/<key> of `baotinh serve`) survives copying the
    archive to another database; the id belongs to this database only.
    """
    from pipeline.archive.models import CrawlRun, Source
    from pipeline.archive.store import get_article

    with archive_session(ctx, write=False, tune_reads=True) as session:
        article = get_article(session, key)
        if article is None:
            raise InputError(f"no article {key!r} in the archive; find one with: baotinh search WORDS")
        run = session.get(CrawlRun, article.crawl_run_id) if article.crawl_run_id else None
        source = session.get(Source, article.site) if article.site else None
        data = article_dict(article, run, source)
        data["imported_from"] = _imported_from(session, article.canonical_url)  # issue 17
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print_article(data)


COMMANDS = [search, show]
