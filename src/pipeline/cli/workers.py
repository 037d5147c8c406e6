"""``baotinh worker`` and ``baotinh queue``: crawl workers on many machines, one queue.

``baotinh crawl --enqueue`` (or any crawl when ``BAOTINH_QUEUE=db``) puts one job per site in
the archive's queue; ``baotinh worker`` processes, on any machine that reaches the database,
take the jobs one site at a time under a lease. Registered by :mod:`pipeline.cli.main`.
"""

from __future__ import annotations

import json
from datetime import timedelta

import click

from pipeline.cli.session import archive_session, settings_of
from pipeline.config import Settings
from pipeline.crawling.protocol import CrawlRequest

__all__ = ["COMMANDS", "enqueue_request", "queue_configured", "queue_status", "worker"]


def queue_configured(settings: Settings) -> bool:
    """Whether crawls go through the queue by default (``BAOTINH_QUEUE=db``)."""
    return settings.extra.get("BAOTINH_QUEUE", "").lower() in ("db", "1", "yes", "on")


def enqueue_request(ctx: click.Context, request: CrawlRequest, *, quiet: bool) -> None:
    """Queue one job per site of ``request`` (``crawl --enqueue``); sites already queued or
    being crawled are left as they are."""
    from pipeline.crawling.queue import enqueue_sites
    from pipeline.errors import InputError

    if request.urls:
        raise InputError("--enqueue takes registry sites only (SITE_ID... or --all), not --url")
    with archive_session(ctx, write=True) as session:
        ids = enqueue_sites(session, request)
    if not quiet:
        skipped = len(set(request.sites)) - len(ids)
        click.echo(f"queued {len(ids)} job(s)" + (f"; {skipped} site(s) already queued or running" if skipped else ""))


@click.command(epilog="""\b
Examples:
  baotinh --db postgresql+psycopg://crawler@db.internal/baotinh worker
  baotinh worker --lease 120 --name node-2
  baotinh worker --until-idle             # crawl what is queued, then stop
""")
@click.option("--lease", type=click.FloatRange(min=1), default=60.0, show_default=True, metavar="SECONDS",
              help="Lease of a taken site; renewed every third of it while the crawl runs.")
@click.option("--poll", type=click.FloatRange(min=0.05), default=5.0, show_default=True, metavar="SECONDS",
              help="Seconds between two looks at an empty queue.")
@click.option("--until-idle", is_flag=True, help="Stop when no job is queued or leased instead of waiting.")
@click.option("--max-jobs", type=click.IntRange(min=1), help="Stop after this many jobs.")
@click.option("--name", "label", help="A label added to host:pid in the lease log.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing unless something went wrong.")
@click.pass_context
def worker(ctx: click.Context, lease: float, poll: float, until_idle: bool, max_jobs: int | None,
           label: str | None, quiet: bool) -> None:
    """Take crawl jobs (one site each) from the archive's queue and crawl them."""
    from pipeline.cli.main import _load_registry
    from pipeline.crawling.worker import WorkerOptions, run_worker

    settings = settings_of(ctx)
    registry = _load_registry(settings.registry_paths)
    options = WorkerOptions(lease=timedelta(seconds=lease), poll=poll, until_idle=until_idle,
                            max_jobs=max_jobs, label=label)
    say = None if quiet else (lambda line: click.echo(line, err=True))
    report = run_worker(settings, options, registry=registry, log=say,
                        warn=lambda line: click.echo(f"warning: {line}", err=True))
    for job in report.jobs:
        if job.outcome == "failed":
            click.echo(f"error: job {job.job_id}: {job.site_id}: the crawl failed (exit {job.exit_code})", err=True)
    ctx.exit(report.exit_code)


@click.command("queue", epilog="\b\nExamples:\n  baotinh queue\n  baotinh queue --json")
@click.option("--json", "as_json", is_flag=True, help="The counts as one JSON object.")
@click.pass_context
def queue_status(ctx: click.Context, as_json: bool) -> None:
    """Crawl jobs per state (queued, leased, done, failed) and the leases now held."""
    from sqlalchemy import select

    from pipeline.archive.models import CrawlJob
    from pipeline.crawling.queue import queue_counts

    with archive_session(ctx, write=False) as session:
        counts = queue_counts(session)
        leased = session.execute(select(CrawlJob.id, CrawlJob.site_id, CrawlJob.lease_owner,
                                        CrawlJob.lease_expires_at)
                                 .where(CrawlJob.state == "leased").order_by(CrawlJob.id)).all()
    if as_json:
        click.echo(json.dumps({"counts": counts, "leased": [
            {"job": j, "site": s, "owner": o, "expires": e.isoformat() if e else None} for j, s, o, e in leased]}))
        return
    click.echo(", ".join(f"{state}: {n}" for state, n in sorted(counts.items())) or "the queue is empty")
    for job_id, site_id, owner, expires in leased:
        click.echo(f"job {job_id}: {site_id}: leased by {owner} until {expires:%Y-%m-%d %H:%M:%S%z}")


COMMANDS = [worker, queue_status]
