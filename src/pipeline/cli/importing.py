"""``baotinh import warc``: WARC files made by other tools into the archive.

Registered by :mod:`pipeline.cli.main` through ``COMMANDS``.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import click

from pipeline.cli.options import BaotinhGroup
from pipeline.cli.session import settings_of, upkeep_after_writes
from pipeline.errors import ExitCode

__all__ = ["COMMANDS", "import_group"]


@click.group("import", cls=BaotinhGroup)
def import_group() -> None:
    """Import what other tools captured (WARC files)."""


@import_group.command("warc", epilog="""\b
Examples:
  baotinh import warc crawl.warc.gz                 # a file made by wget --warc-file, Heritrix, Browsertrix
  baotinh import warc ~/warcs/ --site baohaiduong    # every *.warc, *.warc.gz, *.wacz of a folder
  baotinh import warc mirror.warc.gz --site demo --origin http://127.0.0.1:8000   # a local mirror's copy
""")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--site", "sites", multiple=True, metavar="ID",
              help="Only the articles of this registry site (repeatable; default: every registered site).")
@click.option("--origin", metavar="URL",
              help="The host the WARC was captured from is this (single) site's mirror, e.g. a local copy.")
@click.option("--note", metavar="TEXT", help="Provenance text stored with every imported record.")
@click.option("--workers", type=click.IntRange(min=0), default=0, show_default=True,
              help="Extraction processes (0: in this process; more pays on large files).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing unless something went wrong.")
@click.pass_context
def import_warc(ctx: click.Context, paths: tuple[Path, ...], sites: tuple[str, ...], origin: str | None,
                note: str | None, workers: int, as_json: bool, quiet: bool) -> None:
    """Import the article records of WARC, WARC.gz and WACZ files (FILE or DIR ...).

    Response records (HTTP 200, HTML) of registered sites' article URLs, legacy domains
    included, are extracted and archived with fetched_at = WARC-Date; their records are copied
    into the archive's captures, and where they came from (file, WARC-Record-ID, offset) is kept.
    Every other record is counted in the run's ledger (`baotinh runs show RUN`). Importing the
    same records again adds nothing.
    """
    from pipeline.backfill.ingest import import_files
    from pipeline.cli.main import _load_registry

    settings = settings_of(ctx)
    registry = _load_registry(settings.registry_paths)
    # a stop from cron or systemd (SIGTERM) closes the run as interrupted, as Ctrl-C does
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        result = import_files(settings, list(paths), registry=registry, sites=sites, origin=origin, note=note,
                              workers=workers,
                              args={"paths": [str(p) for p in paths], "sites": list(sites), "origin": origin})
    except KeyboardInterrupt:
        click.echo("error: import stopped: its run is closed as interrupted, what was written stays", err=True)
        ctx.exit(ExitCode.PARTIAL)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    elif not quiet or result.exit_code:
        click.echo(result.summary())
    for where, why in result.failures[:10]:
        click.echo(f"error: {where}: {why}", err=True)
    upkeep_after_writes(settings)
    ctx.exit(result.exit_code)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


COMMANDS = [import_group]
