"""``baotinh``: the command line, a thin layer over the library.

Each command parses its input, calls one library function and formats the result. Library
errors (:class:`~pipeline.errors.BaotinhError`) become one line on stderr and an exit code.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from pipeline import __version__
from pipeline.cli.options import BaotinhGroup, parse_date
from pipeline.cli.session import settings_of, upkeep_after_writes
from pipeline.config import load_settings
from pipeline.errors import ConfigError, ExitCode, InputError

if TYPE_CHECKING:
    from pipeline.registry.load import Registry

F = TypeVar("F", bound=Callable[..., Any])

EPILOG_ROOT = """\b
Examples:
  baotinh demo                         # crawl the bundled demo paper, offline
  baotinh crawl baohaiduong --max-pages 50
  baotinh extract page.html --url https://baohaiduong.vn/chinh-tri/x-105123.html
  baotinh stats
"""


@click.group(cls=BaotinhGroup, epilog=EPILOG_ROOT, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), envvar="BAOTINH_ARCHIVE",
              help="Archive folder (database, captures, exports, logs). [env BAOTINH_ARCHIVE; default ./archive]")
@click.option("--db", "db_url", envvar="BAOTINH_DB", metavar="URL",
              help="SQLAlchemy database URL, e.g. postgresql+psycopg://user@host/db. [env BAOTINH_DB; "
                   "default sqlite:///ARCHIVE/baotinh.sqlite]")
@click.version_option(__version__, prog_name="baotinh")
@click.pass_context
def cli(ctx: click.Context, archive: Path | None, db_url: str | None) -> None:
    """baotinh: the archive of Vietnam's provincial press.

    Crawl provincial papers, extract and normalise their articles, and keep them in a SQL
    archive that can be searched and exported.
    """
    ctx.obj = load_settings(archive=archive, db=db_url)


def _load_registry(paths: tuple[Path, ...]) -> Registry:
    """The registry with the user's extra files, or one ``error:`` line and exit 78 (EX_CONFIG).

    The loader reports the malformations it checks as :class:`ConfigError`; a file whose tables
    have the wrong shape altogether (``sites = 5``) can still trip it, and is a broken
    configuration too, never a traceback.
    """
    from pipeline.registry.load import load_registry

    try:
        return load_registry(*paths)
    except (TypeError, AttributeError, KeyError) as exc:
        where = ", ".join(str(p) for p in paths) or "the packaged registry"
        raise ConfigError(f"the registry ({where}) is malformed: {type(exc).__name__}: {exc}") from None


# -- demo ------------------------------------------------------------------------------------
@cli.command(epilog="\b\nExample:\n  baotinh demo\n  baotinh --archive /tmp/a demo --json")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--workers", type=int, default=None, help="Extraction processes (default: one per core but one).")
@click.pass_context
def demo(ctx: click.Context, as_json: bool, workers: int | None) -> None:
    """Serve the bundled demo paper on 127.0.0.1 and crawl it into the archive (offline)."""
    from pipeline.demo.run import run_demo

    summary = run_demo(settings_of(ctx), workers=workers)
    if as_json:
        click.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(summary.format())
    if summary.exit_code:
        ctx.exit(summary.exit_code)


# -- crawl -----------------------------------------------------------------------------------
@cli.command(epilog="""\b
Examples:
  baotinh crawl baohaiduong baohaiphong --max-pages 100
  baotinh crawl --all --since 2025-07-01
  baotinh crawl --url https://baothainguyen.vn/ --max-pages 20
  baotinh crawl demo --refresh --quiet          # from cron: silent unless something is wrong
  baotinh crawl --urls pages.txt                # exactly the pages listed (one URL a line, - for stdin)
""")
@click.argument("site_ids", nargs=-1)
@click.option("--site", "site_options", multiple=True, metavar="ID",
              help="A registry site id, as search, export and health spell it (repeatable).")
@click.option("--all", "all_sites", is_flag=True,
              help="Crawl every paper of the registry (not fixtures such as the demo).")
@click.option("--url", "urls", multiple=True, metavar="URL", help="A news site not in the registry (repeatable).")
@click.option("--urls", "url_list", type=click.File("r", encoding="utf-8"), metavar="FILE",
              help="Fetch exactly the pages listed in FILE (one URL a line, # comments; - for stdin).")
@click.option("--max-pages", type=click.IntRange(min=1), help="Article pages per site at most.")
@click.option("--since", callback=parse_date, metavar="YYYY-MM-DD", help="Skip articles published before this day.")
@click.option("--origin", metavar="URL", help="Fetch the (single) site from this origin, e.g. a local mirror.")
@click.option("--workers", type=click.IntRange(min=0), help="Extraction processes (0: a thread).")
@click.option("--refresh", is_flag=True, help="Re-check known articles even when not due (conditional GET).")
@click.option("--delay", type=click.FloatRange(min=0.01), metavar="SECONDS",
              help="Least delay between two requests to one site (default 0.5; AutoThrottle may wait longer).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing unless something went wrong.")
@click.option("--verbose", "-v", is_flag=True, help="Show Scrapy's log on stderr.")
@click.option("--enqueue", is_flag=True,
              help="Queue one job per site for `baotinh worker` instead of crawling here "
                   "(the default when BAOTINH_QUEUE=db).")
@click.option("--backfill", is_flag=True,
              help="Walk each paginated listing on from where the last backfill run stopped, to its end.")
@click.pass_context
def crawl(ctx: click.Context, site_ids: tuple[str, ...], site_options: tuple[str, ...], all_sites: bool,
          urls: tuple[str, ...], url_list: TextIO | None,
          max_pages: int | None, since: date | None, origin: str | None, workers: int | None,
          refresh: bool, delay: float | None, quiet: bool, verbose: bool, enqueue: bool,
          backfill: bool = False) -> None:
    """Crawl registered sites (SITE_ID...), every site (--all) or any news site (--url)."""
    from pipeline.crawling.launch import run_crawl, validate_request
    from pipeline.crawling.protocol import CrawlRequest

    settings = settings_of(ctx)
    registry = _load_registry(settings.registry_paths)
    sites = tuple(s.id for s in registry.papers) if all_sites else site_ids + site_options
    if origin and len(sites) != 1:
        raise InputError("--origin needs exactly one SITE_ID")
    pages = _read_url_list(url_list) if url_list is not None else ()
    request = CrawlRequest(sites=sites, urls=urls, origin=origin, max_pages=max_pages,
                           since=since, workers=workers, verbose=verbose, refresh=refresh,
                           delay=delay, pages=pages, backfill=backfill)
    from pipeline.cli.workers import enqueue_request, queue_configured

    if enqueue or (queue_configured(settings) and not urls and not pages):
        validate_request(request, registry)
        enqueue_request(ctx, request, quiet=quiet)
        return
    # a refreshed status line on a terminal only: never in cron mail or a log file
    show = not quiet and not verbose and sys.stderr.isatty()
    result = run_crawl(settings, request, registry=registry, progress=_show_progress if show else None)
    if show:
        click.echo("\r\033[K", nl=False, err=True)
    if not quiet or result.exit_code:
        for s in result.sites:
            click.echo(f"{s.site}: {s.status}, {s.article_pages} article pages, {s.new} new, "
                       f"{s.updated} updated, {s.unchanged} unchanged, {s.skipped} skipped, {s.failed} failed "
                       f"(run {s.run_id})")
            for note in s.notes:
                click.echo(f"{s.site}: {note}")
    for line in result.error_lines():  # one per failing site: cron mail shows each
        click.echo(f"error: {line}", err=True)
    upkeep_after_writes(settings)  # the crawler child has ended: no transaction of ours is open
    ctx.exit(result.exit_code)


def _read_url_list(stream: TextIO) -> tuple[str, ...]:
    from pipeline.crawling.urllist import read_url_list

    name = getattr(stream, "name", "-")
    try:
        text = stream.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the URL list {name}: {exc}") from None
    return read_url_list(text, source="stdin" if name == "<stdin>" else str(name))


def _show_progress(line: str) -> None:
    width = shutil.get_terminal_size((100, 20)).columns - 1
    click.echo("\r\033[K" + line[:width], nl=False, err=True)


# -- extract ---------------------------------------------------------------------------------
@cli.command(epilog="""\b
Examples:
  baotinh extract saved.html --url https://baohaiduong.vn/chinh-tri/x-105123.html
  curl -s URL | baotinh extract - --url URL
""")
@click.argument("path", type=click.Path(allow_dash=True, dir_okay=False, path_type=Path))
@click.option("--url", help="The page's URL (for the canonical URL and the site).")
@click.option("--site", "site_id", help="Registry site id (default: the site owning --url).")
@click.pass_context
def extract(ctx: click.Context, path: Path, url: str | None, site_id: str | None) -> None:
    """Print the JSON record of one saved page (no network, no database)."""
    from pipeline.extract import extract_article

    if str(path) == "-":
        body = sys.stdin.buffer.read()
    else:
        try:
            body = path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"no such file: {path}") from None
        except IsADirectoryError:
            raise InputError(f"{path} is a directory, not a saved page") from None
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}") from None
    registry = _load_registry(settings_of(ctx).registry_paths)
    site = registry.get(site_id) if site_id else (registry.for_url(url) if url else None)
    page_url = url or (site.origin + "/" if site else Path(str(path)).resolve().as_uri())
    record = extract_article(body, page_url, site=site)
    click.echo(json.dumps(record.as_dict(), ensure_ascii=False, indent=2))


# -- sites -----------------------------------------------------------------------------------
@cli.group(invoke_without_command=True, cls=BaotinhGroup,
           epilog="\b\nExamples:\n  baotinh sites\n  baotinh sites --json\n  baotinh sites check")
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one site a line.")
@click.option("--fixtures", is_flag=True, help="Also list the fixture sites (the demo paper).")
@click.pass_context
def sites(ctx: click.Context, as_json: bool, fixtures: bool) -> None:
    """List the papers of the registry with their province (before → after 2025) and family."""
    if ctx.invoked_subcommand is not None:
        return
    from pipeline.registry.check import format_sites_table, site_as_dict
    from pipeline.registry.load import Registry

    registry = _load_registry(settings_of(ctx).registry_paths)
    if not fixtures:
        registry = Registry(registry.papers, registry.families)
    if as_json:
        for s in registry:
            click.echo(json.dumps(site_as_dict(s), ensure_ascii=False))
    else:
        click.echo(format_sites_table(registry))


@sites.command("check", epilog="\b\nExample:\n  baotinh sites check")
@click.pass_context
def sites_check(ctx: click.Context) -> None:
    """Validate the registry: schema, unique ids and domains, patterns, selectors, provinces."""
    from pipeline.registry.check import check_registry

    registry = _load_registry(settings_of(ctx).registry_paths)
    problems = check_registry(registry)
    for p in problems:
        click.echo(f"{p.site_id or '-'}: {p.field}: {p.message}", err=True)
    if problems:
        click.echo(f"error: {len(problems)} problem(s) in the registry", err=True)
        ctx.exit(ExitCode.CONFIG)
    fixtures = len(registry) - len(registry.papers)
    click.echo(f"ok: {len(registry.papers)} papers and {fixtures} fixture(s), {len(registry.families)} families")


@sites.command("suggest", epilog="""\b
Examples:
  baotinh sites suggest https://baothainguyen.vn/ > thainguyen.toml
  BAOTINH_REGISTRY=thainguyen.toml baotinh sites check
""")
@click.argument("url")
@click.option("--timeout", type=float, default=15.0, show_default=True, help="Seconds per request.")
@click.pass_context
def sites_suggest(ctx: click.Context, url: str, timeout: float) -> None:
    """Draft a registry entry for a paper the registry does not know (a few polite requests)."""
    from pipeline.discover.suggest import suggest_site

    suggestion = suggest_site(url, user_agent=settings_of(ctx).user_agent, timeout=timeout)
    click.echo(f"# drafted from {suggestion.base_url}: {len(suggestion.feeds)} feed(s), "
               f"{len(suggestion.sitemaps)} sitemap(s), {len(suggestion.article_urls)} article URLs, "
               f"{len(suggestion.listing_urls)} listing URLs seen")
    click.echo(suggestion.entry)


# -- stats -----------------------------------------------------------------------------------
@cli.command(epilog="\b\nExample:\n  baotinh stats\n  baotinh --db postgresql+psycopg://postgres@127.0.0.1/test stats")
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one site a line.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Articles per site, the period they cover, and each site's last crawl."""
    from pipeline.archive import store
    from pipeline.cli.session import archive_session
    from pipeline.cli.textfmt import format_table

    with archive_session(ctx, write=False) as session:
        rows = store.site_stats(session)
    if as_json:
        for r in rows:
            click.echo(json.dumps({
                "site": r.site, "name": r.name, "articles": r.articles,
                "first_published": r.first_published.isoformat() if r.first_published else None,
                "last_published": r.last_published.isoformat() if r.last_published else None,
                "last_run_at": r.last_run_at.isoformat() if r.last_run_at else None,
                "last_run_status": r.last_run_status,
            }, ensure_ascii=False))
        return
    click.echo(format_table(
        ["site", "name", "articles", "first published", "last published", "last crawl", "status"],
        [[r.site, r.name, r.articles, r.first_published, r.last_published, r.last_run_at, r.last_run_status]
         for r in rows],
    ))
    click.echo(f"\n{sum(r.articles for r in rows)} articles in {len(rows)} sites")


# -- db --------------------------------------------------------------------------------------
@cli.group(cls=BaotinhGroup)
def db() -> None:
    """Database maintenance."""


@db.command("upgrade", epilog="\b\nExample:\n  baotinh db upgrade\n"
                               "  baotinh --db postgresql+psycopg://postgres@127.0.0.1/test db upgrade")
@click.option("--revision", default="head", show_default=True, help="Target Alembic revision.")
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Create or migrate the archive's schema (Alembic)."""
    from pipeline.archive import db as dbmod

    url = settings_of(ctx).database_url
    engine = dbmod.make_engine(url)
    dbmod.upgrade(engine, revision)
    click.echo(f"schema at revision {dbmod.current_revision(engine)} "
               f"({engine.url.render_as_string(hide_password=True)})")


@db.command("copy", epilog="\b\nExample:\n  baotinh db copy --from sqlite:///archive/baotinh.sqlite "
                            "--to postgresql+psycopg://postgres@127.0.0.1/baotinh")
@click.option("--from", "source", required=True, help="Database URL of the archive to copy.")
@click.option("--to", "target", required=True, help="Database URL to copy into (created or migrated; "
              "a copy interrupted earlier continues).")
@click.option("--batch", type=click.IntRange(min=1), default=2000, show_default=True, help="Rows a transaction.")
@click.option("--quiet", is_flag=True, help="Only the per-table summary.")
@click.pass_context
def db_copy(ctx: click.Context, source: str, target: str, batch: int, quiet: bool) -> None:
    """Copy a whole archive to another database, streamed and resumable, then verify every table.

    Prints each table's rows and SHA-256 digest on both sides; exit 1 when they differ.
    """
    from pipeline.archive import db as dbmod
    from pipeline.archive.transfer import copy_archive

    shown = not quiet and sys.stderr.isatty()

    def progress(line: str) -> None:
        if shown:
            _show_progress(line)

    report = copy_archive(source, target, batch=batch, progress=progress)
    if shown:
        _show_progress("")
    upkeep_after_writes(settings_of(ctx), target)  # the copied ids decide the recent search tiers
    click.echo(f"{dbmod.shown_url(source)} → {dbmod.shown_url(target)}")
    for t in report.tables:
        rate = f"{t.copied / t.seconds:,.0f} rows/s" if t.copied and t.seconds > 0 else "-"
        state = "ok" if t.equal else f"DIFFERS (source {t.source_rows} rows {t.source_digest[:16]})"
        click.echo(f"  {t.table:<18} {t.target_rows:>9,} rows  copied {t.copied:>9,}  {rate:>14}  "
                   f"sha256 {t.target_digest[:16]}  {state}")
    if not report.equal:
        raise click.exceptions.Exit(1)
    click.echo(f"copied {report.copied:,} rows; every table verified")


@db.command("maintain", epilog="""\b
Examples:
  baotinh db maintain                  # from cron: rebuild what is due
  baotinh db maintain --force --json
""")
@click.option("--force", is_flag=True, help="Build the recent search tiers again now, due or not.")
@click.option("--json", "as_json", is_flag=True, help="What was found and done, as one JSON object.")
@click.pass_context
def db_maintain(ctx: click.Context, force: bool, as_json: bool) -> None:
    """Keep PostgreSQL's search indexes over the newest articles (tiers of 200,000 ids) up to date.

    Built concurrently (writers go on) once the newest tier has passed its span, or now with --force.
    Exit 0 when done, not due or being built by another process; 75 when the build waited too
    long for open transactions and was left for the next run; 74 when the database cannot be reached.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from pipeline.archive import db as dbmod
    from pipeline.archive.recent_index import SPAN, TIERS, maintain_recent_index, newest_run
    from pipeline.archive.upkeep import describe_recent_index, is_postgresql, left_for_later
    from pipeline.cli.session import open_engine
    from pipeline.errors import ArchiveError

    settings = settings_of(ctx)
    url = settings.database_url
    if not is_postgresql(url):
        if not url.startswith("sqlite:"):
            raise ConfigError(f"not a SQLite or PostgreSQL database URL: {url!r}")
        line = "nothing to maintain on SQLite: FTS5 reads the newest matches first"
        click.echo(json.dumps({"database": dbmod.shown_url(url), "maintained": False, "message": line})
                   if as_json else line)
        return
    span = settings.recent_span or SPAN
    engine = open_engine(url, write=False)  # a dead server or an old schema: one error line, 74
    try:
        state = maintain_recent_index(engine, span=span, force=force, tiers=TIERS if settings.search_tiers else None)
    except SQLAlchemyError as exc:
        raise ArchiveError(f"cannot maintain the archive database {dbmod.shown_url(url)}: "
                           f"{getattr(exc, 'orig', None) or exc}") from None
    finally:
        engine.dispose()
    assert state is not None  # PostgreSQL
    if as_json:
        click.echo(json.dumps({"database": dbmod.shown_url(url), "maintained": True, "span": span,
                               "tiers": [list(r) for r in newest_run(state.tiers)], "covered_from": state.covered_from,
                               "top": state.top, "rebuilt": state.rebuilt,
                               "seconds": round(state.seconds, 3), "note": state.note}))
    elif left_for_later(state):  # on stderr: cron sends stdout to /dev/null and mails this
        click.echo(f"warning: {describe_recent_index(state)}", err=True)
    else:
        click.echo(describe_recent_index(state))
    if left_for_later(state):
        ctx.exit(ExitCode.LOCKED)


# Commands of other concerns live in their own modules, each exposing ``COMMANDS``.
_COMMAND_MODULES = ("search", "web", "archival", "runs", "export", "quality", "importing", "backfill", "workers")


def _register_commands() -> None:
    import importlib

    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"{__package__}.{name}")
        for command in module.COMMANDS:
            cli.add_command(command)


_register_commands()


def main() -> None:
    """Console entry point."""
    cli(prog_name="baotinh")
