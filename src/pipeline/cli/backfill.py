"""``baotinh backfill``: a paper's past from the Wayback Machine or Common Crawl.

Registered by :mod:`pipeline.cli.main` through ``COMMANDS``.
"""

from __future__ import annotations

import json
import shutil
import sys

import click

from pipeline.cli.session import settings_of, upkeep_after_writes
from pipeline.errors import ExitCode, InputError

__all__ = ["COMMANDS", "backfill"]


def _show(line: str) -> None:
    width = shutil.get_terminal_size((100, 20)).columns - 1
    click.echo("\r\033[K" + line[:width], nl=False, err=True)


@click.command(epilog="""\b
Examples:
  baotinh backfill baohaiduong --source wayback --from 2015 --to 2025-06
  baotinh backfill baohaiduong --source commoncrawl --collection CC-MAIN-2019-35
  baotinh backfill baonamdinh baohanam --source wayback --per year --quiet   # from cron
\b
The real endpoints are the defaults: https://web.archive.org/cdx/search/cdx with
https://web.archive.org/web/<ts>id_/<url>, and https://index.commoncrawl.org with
https://data.commoncrawl.org (HTTP ranges). An interrupted backfill resumes where it stopped.
""")
@click.argument("site_ids", nargs=-1, required=True)
@click.option("--source", type=click.Choice(["wayback", "commoncrawl"]), required=True,
              help="The archive to read.")
@click.option("--from", "start", metavar="YYYY[-MM[-DD]]", help="Captures from this date (UTC).")
@click.option("--to", "end", metavar="YYYY[-MM[-DD]]", help="Captures until this date, included (UTC).")
@click.option("--per", type=click.Choice(["all", "year", "month", "day"]), default="all", show_default=True,
              help="One capture per article URL and period (the earliest of the period).")
@click.option("--rate", type=click.FloatRange(min=0.001), default=1.0, show_default=True,
              envvar="BAOTINH_BACKFILL_RATE",
              help="Requests a second to the archive, at most. [env BAOTINH_BACKFILL_RATE]")
@click.option("--retry-after-max", type=click.FloatRange(min=0), default=300.0, show_default=True,
              envvar="BAOTINH_RETRY_AFTER_MAX", metavar="SECONDS",
              help="Longest Retry-After honoured; a longer one is cut to this. [env BAOTINH_RETRY_AFTER_MAX]")
@click.option("--cdx-url", metavar="URL", envvar="BAOTINH_CDX_URL",
              help="The index: Wayback CDX server, or Common Crawl index server. [env BAOTINH_CDX_URL]")
@click.option("--replay-url", metavar="URL", envvar="BAOTINH_REPLAY_URL",
              help="Wayback replay base (…/web), or Common Crawl data base. [env BAOTINH_REPLAY_URL]")
@click.option("--collection", "collections", multiple=True, metavar="ID",
              help="Common Crawl crawl to read, e.g. CC-MAIN-2019-35 (repeatable; default: those in the dates).")
@click.option("--max-captures", type=click.IntRange(min=1), help="Captures fetched per site at most.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing unless something went wrong.")
@click.pass_context
def backfill(ctx: click.Context, site_ids: tuple[str, ...], source: str, start: str | None, end: str | None,
             per: str, rate: float, retry_after_max: float, cdx_url: str | None, replay_url: str | None,
             collections: tuple[str, ...], max_captures: int | None, as_json: bool, quiet: bool) -> None:
    """Archive registered papers' (SITE_ID...) article pages from the Wayback Machine or Common Crawl.

    Every domain the paper ever had is asked for (its legacy domains too); one capture per
    article URL and period is fetched (status 200, identical copies once), politely, and archived
    with its capture date and the memento URL (or WARC file and offset) as provenance.
    """
    from pipeline.backfill.cdx import timestamp_bound
    from pipeline.backfill.politeness import Politeness
    from pipeline.backfill.run import BackfillOptions
    from pipeline.backfill.sources import make_source, run_with_import
    from pipeline.registry.load import load_registry

    for value, is_end in ((start, False), (end, True)):
        if value:
            timestamp_bound(value, end=is_end)  # a bad date: one error line, exit 2
    if collections and source != "commoncrawl":
        raise InputError("--collection is for --source commoncrawl")
    settings = settings_of(ctx)
    registry = load_registry(*settings.registry_paths)
    for site_id in site_ids:
        registry.get(site_id)  # an unknown id: exit 78 before anything starts
    politeness = Politeness(rate=rate, retry_after_max=retry_after_max, user_agent=settings.user_agent)
    archive, source_url = make_source(source, politeness, cdx_url=cdx_url, replay_url=replay_url,
                                      collections=collections)
    options = BackfillOptions(source=source, start=start, end=end, per=per, max_captures=max_captures)
    show = not quiet and not as_json and sys.stderr.isatty()
    try:
        result = run_with_import(settings, site_ids, options, registry=registry, source=archive,
                                 source_url=source_url, progress=_show if show else None)
    except KeyboardInterrupt:
        click.echo("error: interrupted; run the backfill again to resume where it stopped", err=True)
        ctx.exit(ExitCode.PARTIAL)
    if show:
        click.echo("\r\033[K", nl=False, err=True)
    if as_json:
        click.echo(json.dumps({"sites": [s.as_dict() for s in result.sites], "exit_code": result.exit_code},
                              ensure_ascii=False, indent=2))
    elif not quiet or result.exit_code:
        for s in result.sites:
            click.echo(s.line())
    for s in result.sites:
        if s.message:
            click.echo(f"error: {s.site}: {s.message}", err=True)
        for url, reason in s.failures[:3]:
            click.echo(f"error: {s.site}: {url}: {reason}", err=True)
    upkeep_after_writes(settings)
    ctx.exit(result.exit_code)


COMMANDS = [backfill]
