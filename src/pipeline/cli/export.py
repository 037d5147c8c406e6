"""``baotinh export`` and ``baotinh export verify``: thin commands over :mod:`pipeline.export.dataset`."""

from __future__ import annotations

import shlex
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import click

from pipeline.cli.options import BaotinhGroup, filter_options
from pipeline.cli.session import archive_session, settings_of
from pipeline.errors import ExitCode, InputError
from pipeline.export.formats import COMPRESSIONS, DEFAULT_FIELDS, FORMATS
from pipeline.export.orthography import AS_PUBLISHED, ORTHOGRAPHIES

EPILOG_EXPORT = """\b
Examples:
  baotinh export --format parquet --output exports/hd --site baohaiduong --shard-size 100000
  baotinh export --format jsonl --compress zst --output exports/2024 --from 2024-01-01 --to 2024-12-31
  baotinh export --format csv --bom --fields url,title,published_at,author --output exports/csv
  baotinh export --format warc --output exports/warc --query '"Kim Thành"'
  baotinh export --format parquet --output exports/new --since-export exports/hd
  baotinh export --format jsonl --orthography modern --output exports/nlp
  baotinh export verify exports/hd
"""


class Progress:
    """Rows, rate and ETA on one stderr line, redrawn at most twice a second."""

    def __init__(self) -> None:
        self._start = time.monotonic()
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last < 0.5 and done < total:
            return
        self._last = now
        elapsed = max(now - self._start, 1e-6)
        rate = done / elapsed
        eta = f"{(total - done) / rate:,.0f} s" if rate > 0 and total >= done else "?"
        share = f" ({100 * done / total:.0f}%)" if total else ""
        sys.stderr.write(f"\r{done:,}/{total:,} rows{share}  {rate:,.0f} rows/s  ETA {eta}   ")
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()


def parse_fields(value: str | None) -> tuple[str, ...] | None:
    """``a,b, c`` → ``("a", "b", "c")``; names are checked by the library."""
    if value is None:
        return None
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    if not names:
        raise InputError("--fields is empty; name at least one field, e.g. --fields url,title,text")
    return names


def default_output(exports_dir: Path, fmt: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return exports_dir / f"{fmt}-{stamp}"


@click.group(cls=BaotinhGroup, invoke_without_command=True, epilog=EPILOG_EXPORT)
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Output format.")
@click.option("--output", "-o", type=click.Path(path_type=Path), metavar="PATH",
              help="Export folder (default: ARCHIVE/exports/FORMAT-TIMESTAMP).")
@click.option("--query", "text", default="", metavar="QUERY",
              help="Search query, as in `baotinh search` (words, \"phrases\", OR, -word, prefix*).")
@filter_options
@click.option("--fields", "fields_text", metavar="a,b,c",
              help="Fields to export, in this order (default: the record's, then province, province_now).")
@click.option("--all-versions", is_flag=True, help="Add earlier versions of each article (column `version`).")
@click.option("--shard-size", type=click.IntRange(min=1), metavar="N", help="Rows per file (default: one file).")
@click.option("--compress", type=click.Choice(COMPRESSIONS), help="Compress JSONL/CSV files.")
@click.option("--bom", is_flag=True, help="CSV: start with a UTF-8 BOM (for Excel).")
@click.option("--orthography", type=click.Choice(ORTHOGRAPHIES), default=AS_PUBLISHED, show_default=True,
              help="Spelling of title, description, text, captions and author: as the papers "
                   "published it (\"Thanh Hoá\" and \"Thanh Hóa\"), or modern tone placement "
                   "(\"Thanh Hóa\"). Not for WARC.")
@click.option("--since-export", type=click.Path(exists=True, path_type=Path), metavar="PATH",
              help="Only articles new or changed since that export (its folder or manifest.json).")
@click.option("--overwrite", is_flag=True, help="Replace an export already in PATH.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary.")
@click.pass_context
def export(ctx: click.Context, fmt: str | None, output: Path | None, text: str, sites: tuple[str, ...],
           provinces: tuple[str, ...], provinces_now: tuple[str, ...], date_from: date | None,
           date_to: date | None, author: str | None, section: str | None, tag: str | None,
           language: str | None, no_duplicates: bool, fields_text: str | None,
           all_versions: bool, shard_size: int | None, compress: str | None, bom: bool,
           orthography: str, since_export: Path | None, overwrite: bool, quiet: bool) -> None:
    """Export articles as a dataset (JSONL, CSV, Parquet or WARC) with a manifest and datasheet."""
    if ctx.invoked_subcommand is not None:
        return
    if fmt is None:
        raise click.UsageError("--format is required (jsonl, csv, parquet or warc)")
    from pipeline.export.dataset import ExportOptions, check_options, export_articles
    from pipeline.search import SearchQuery

    settings = settings_of(ctx)
    query = SearchQuery(text=text, sites=sites, provinces=provinces, date_from=date_from, date_to=date_to,
                        author=author, section=section, language=language, exclude_duplicates=no_duplicates,
                        provinces_now=provinces_now, tag=tag)
    fields = parse_fields(fields_text)
    options = ExportOptions(
        format=fmt, output=output or default_output(settings.exports_dir, fmt), query=query,
        all_versions=all_versions, shard_size=shard_size, compress=compress, bom=bom,
        since_export=since_export, overwrite=overwrite, orthography=orthography,
        command=shlex.join(["baotinh", *sys.argv[1:]]), fields=fields or DEFAULT_FIELDS,
    )
    check_options(options)  # bad options are told before the archive is opened
    progress = Progress() if not quiet and sys.stderr.isatty() else None
    try:
        with archive_session(ctx, write=False) as session:
            result = export_articles(session, options, archive_dir=settings.capture_root, progress=progress)
    finally:
        if progress:
            progress.close()
    if not quiet:
        versions = f" + {result.versions} earlier versions" if result.versions else ""
        click.echo(f"exported {result.articles} articles{versions} to {result.folder} "
                   f"({len(result.files)} files, manifest.json)")


@export.command("verify", epilog="\b\nExample:\n  baotinh export verify exports/hd")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="Print nothing when the export is intact.")
@click.pass_context
def export_verify(ctx: click.Context, path: Path, quiet: bool) -> None:
    """Check an export against its manifest (sizes and SHA-256 of every file)."""
    from pipeline.export.manifest import verify_export

    report = verify_export(path)
    for problem in report.problems:
        click.echo(f"error: {problem}", err=True)
    if not report.ok:
        ctx.exit(ExitCode.FAILED)
    if not quiet:
        click.echo(f"ok: {report.checked} files match {report.folder / 'manifest.json'}")


COMMANDS = [export]
