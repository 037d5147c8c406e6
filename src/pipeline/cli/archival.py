"""``baotinh history | reextract | verify | dedup``: the archival-fidelity commands (issue 5)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date

import click

from pipeline.cli.options import parse_date
from pipeline.cli.session import archive_session, settings_of
from pipeline.errors import ExitCode, InputError


@click.command(epilog="""\b
Examples:
  baotinh history https://baohaiduong.vn/chinh-tri/huyen-uy-kim-thanh-105123.html
  baotinh history 42 --json
""")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print the versions as JSON.")
@click.pass_context
def history(ctx: click.Context, key: str, as_json: bool) -> None:
    """Show every version of an article (URL or id) with a word diff of title and text."""
    from pipeline.archive import store, versions

    with archive_session(ctx, write=False) as session:
        article = store.get_article(session, key)
        if article is None:
            from pipeline.text.urls import canonicalise_url

            article = store.get_article(session, canonicalise_url(key))
        if article is None:
            raise InputError(f"no article {key!r} in the archive; give its URL or id")
        views = versions.list_versions(session, article)
        text = versions.history_json(article, views) if as_json else versions.format_history(article, views)
    click.echo(text)


@click.command(epilog="""\b
Examples:
  baotinh reextract                       # every record that has a capture
  baotinh reextract --site baohaiduong --since 2025-01-01
  baotinh reextract --outdated            # only records made by an older extractor
""")
@click.option("--site", "site_id", metavar="ID", help="Only this site's records.")
@click.option("--since", callback=parse_date, metavar="YYYY-MM-DD",
              help="Only articles published on or after this day.")
@click.option("--outdated", is_flag=True, help="Only records made by another extractor version or registry entry.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def reextract(ctx: click.Context, site_id: str | None, since: date | None, outdated: bool, as_json: bool) -> None:
    """Rebuild records from the stored WARC captures with the current extractor (no network)."""
    from pipeline.archive.reextract import ReextractOptions, reextract_archive
    from pipeline.registry.load import load_registry

    settings = settings_of(ctx)
    registry = load_registry(*settings.registry_paths)
    if site_id and registry.find(site_id) is None:
        raise InputError(f"unknown site id {site_id!r}; `baotinh sites` lists the known ones")
    options = ReextractOptions(site=site_id, since=since, outdated=outdated)
    with archive_session(ctx, write=True) as session:
        report = reextract_archive(session, settings.capture_root, registry, options)
    if as_json:
        click.echo(json.dumps(asdict(report), ensure_ascii=False))
    else:
        click.echo(f"{report.checked} records re-extracted with extractor {report.extractor_version}: "
                   f"{report.changed} changed (new versions), {report.unchanged} unchanged, {report.failed} failed")
        for article_id, reason in report.failures:
            click.echo(f"  article {article_id}: {reason}", err=True)
    if report.failed:
        ctx.exit(ExitCode.PARTIAL)


@click.command(epilog="""\b
Examples:
  baotinh verify
  baotinh verify --json
""")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def verify(ctx: click.Context, as_json: bool) -> None:
    """Check the database file, then re-read every WARC record the archive points to and check its digests.

    Exit code 1 when the database is damaged or a capture is missing or corrupted; the affected
    articles are named, and what can still be read is checked.
    """
    from pipeline.archive.fixity import verify_archive

    with archive_session(ctx, write=False, damaged_ok=True) as session:
        report = verify_archive(session, settings_of(ctx).capture_root)
    if as_json:
        click.echo(json.dumps({"records": report.records, "files": report.files, "database": list(report.database),
                               "problems": [{**asdict(p), "articles": [{"id": i, "url": u} for i, u in p.articles]}
                                            for p in report.problems]}, ensure_ascii=False))
    else:
        for line in report.database:
            click.echo(f"damaged: database: {line}", err=True)
        for p in report.problems:
            click.echo(f"{p.kind}: {p.warc} @ {p.offset} {p.record_id or ''}: {p.detail}", err=True)
            for article_id, url in p.articles:
                click.echo(f"  article {article_id}: {url}", err=True)
        click.echo(f"{report.records} records in {report.files} WARC files checked, "
                   f"{len(report.problems) + len(report.database)} problems")
    if not report.ok:
        ctx.exit(ExitCode.FAILED)


@click.command(epilog="""\b
Examples:
  baotinh dedup            # how many articles are copies of another
  baotinh dedup --rebuild  # recompute every SimHash and duplicate link
""")
@click.option("--rebuild", is_flag=True, help="Recompute near-duplicate links for the whole archive.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_context
def dedup(ctx: click.Context, rebuild: bool, as_json: bool) -> None:
    """Near-duplicate (syndicated) copies across papers, linked to the earliest copy."""
    from sqlalchemy import func, select

    from pipeline.archive import dedup as dd
    from pipeline.archive.models import Article

    with archive_session(ctx, write=rebuild) as session:
        if rebuild:
            stats = dd.rebuild_duplicates(session)
            result = asdict(stats)
        else:
            total = int(session.scalar(select(func.count()).select_from(Article)) or 0)
            unique = dd.count_non_duplicates(session)
            result = {"articles": total, "duplicates": total - unique, "unique": unique}
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(", ".join(f"{k}: {v}" for k, v in result.items()))


COMMANDS = [history, reextract, verify, dedup]
