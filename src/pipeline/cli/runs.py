"""``baotinh runs`` and ``baotinh health``: what the crawls did, and whether each site is healthy.

Registered by :mod:`pipeline.cli.main` through ``COMMANDS``.
"""

from __future__ import annotations

import json

import click

from pipeline.cli.session import archive_session
from pipeline.errors import ExitCode, InputError

__all__ = ["COMMANDS", "health", "runs"]


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


@click.group(invoke_without_command=True, epilog="""\b
Examples:
  baotinh runs
  baotinh runs --site demo --limit 5 --json
  baotinh runs show 12
""")
@click.option("--site", "site_id", help="Only the runs of this site.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many runs.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one run a line.")
@click.pass_context
def runs(ctx: click.Context, site_id: str | None, limit: int, as_json: bool) -> None:
    """List recent crawl runs: id, site, start, duration, status, new/updated/failed."""
    if ctx.invoked_subcommand is not None:
        return
    from pipeline.cli.textfmt import format_table
    from pipeline.crawling.ledger import list_runs

    with archive_session(ctx, write=False) as session:
        rows = list_runs(session, site_id=site_id, limit=limit)
    if as_json:
        for r in rows:
            click.echo(json.dumps(r.as_dict(), ensure_ascii=False))
        return
    click.echo(format_table(
        ["id", "site", "started", "duration", "status", "new", "updated", "failed"],
        # a running run shows its time so far and the live counts of its ledger
        [[r.id, r.site_id, r.started_at.strftime("%Y-%m-%d %H:%M:%S"),
          _duration(r.duration_seconds) + (" so far" if r.running else ""),
          r.status, r.new, r.updated, r.failed] for r in rows],
    ))


@runs.command("show", epilog="\b\nExamples:\n  baotinh runs show 12\n  baotinh runs show 12 --json")
@click.argument("run_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="The run and its ledger as one JSON object.")
@click.pass_context
def runs_show(ctx: click.Context, run_id: int, as_json: bool) -> None:
    """The coverage ledger of one run: discovered by source, fetched, new, skipped by reason, failed."""
    from pipeline.cli.textfmt import format_table
    from pipeline.crawling.ledger import get_run, read_ledger, totals_by_metric

    with archive_session(ctx, write=False) as session:
        run = get_run(session, run_id)
        if run is None:
            raise InputError(f"no run {run_id}; `baotinh runs` lists the recent ones")
        rows = read_ledger(session, run_id)
    totals = totals_by_metric(rows)
    if as_json:
        click.echo(json.dumps({**run.as_dict(), "totals": totals, "ledger": [r.as_dict() for r in rows]},
                              ensure_ascii=False, indent=2))
        return
    click.echo(f"run {run.id}: {run.site_id}, {run.status}, started {run.started_at:%Y-%m-%d %H:%M:%S%z}, "
               f"{_duration(run.duration_seconds)}")
    if run.message:
        click.echo(f"message: {run.message}")
    click.echo("\ntotals:")
    for metric in ("discovered", "fetched", "new", "updated", "unchanged", "skipped", "failed"):
        reasons = totals.get(metric, {})
        detail = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items()) if k)
        click.echo(f"  {metric:<11} {sum(reasons.values()):>6}" + (f"  ({detail})" if detail else ""))
    click.echo("\nby section:")
    click.echo(format_table(["site", "section", "metric", "reason", "count"],
                            [[r.site_id, r.section or "-", r.metric, r.reason or "-", r.count] for r in rows]))


@click.command(epilog="""\b
Examples:
  baotinh health                    # exit 1 when a site is stale, failing or empty
  baotinh health --stale-days 7 --json
  */30 * * * *  baotinh health -q || notify-admin
""")
@click.option("--stale-days", type=click.IntRange(min=1), default=None,
              help="Days without a new article before a site is stale. [default 3]")
@click.option("--site", "site_ids", multiple=True, help="Only these sites (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one site a line.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the sites that are not ok.")
@click.pass_context
def health(ctx: click.Context, stale_days: int | None, site_ids: tuple[str, ...], as_json: bool,
           quiet: bool) -> None:
    """Report sites that are stale (no new article for N days), failing (last run failed), empty
    (crawled, nothing archived) or never crawled (named with --site, no run in this archive)."""
    from pipeline.cli.textfmt import format_table
    from pipeline.crawling.health import DEFAULT_STALE_DAYS, check_health

    days = stale_days or DEFAULT_STALE_DAYS
    with archive_session(ctx, write=False) as session:
        report = check_health(session, stale_days=days, site_ids=site_ids)
    shown = [h for h in report if not (quiet and h.ok)]
    if as_json:
        for h in shown:
            click.echo(json.dumps(h.as_dict(), ensure_ascii=False))
    elif shown:
        click.echo(format_table(
            ["site", "status", "last new article", "last run", "reason"],
            [[h.site, h.status, h.last_new_at.strftime("%Y-%m-%d %H:%M") if h.last_new_at else "-",
              f"{h.last_run_id} {h.last_run_status}" if h.last_run_id else "-", h.reason] for h in shown],
        ))
    bad = [h for h in report if not h.ok]
    if bad:
        click.echo(f"error: {len(bad)} of {len(report)} sites need attention: "
                   + ", ".join(f"{h.site} ({h.status})" for h in bad), err=True)
        ctx.exit(ExitCode.FAILED)


COMMANDS = [runs, health]
