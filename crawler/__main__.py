"""``python -m crawler``: run the news spider for one or more sites in this process.

This is what ``baotinh crawl`` starts in a subprocess (Twisted's reactor cannot restart inside
one process), with its request as JSON on stdin (``--request-json -``). The last line on stdout
is the JSON summary the library reads (see ``pipeline.crawling.protocol``); logs go to
``--log-file``. By hand, the flags build the same request:

    python -m crawler --site baohaiduong --max-pages 50
    python -m crawler --site demo --origin http://127.0.0.1:8123
    python -m crawler --url https://baomoi.example/ --since 2025-01-01
    python -m crawler --request-json request.json -s LOGSTATS_INTERVAL=0

Started by ``baotinh crawl``, it is given ``--parent-pid`` and stops itself when that process
is no longer its parent, even when the parent was SIGKILLed (see :func:`watch_parent`).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path

from scrapy.crawler import Crawler, CrawlerProcess

from crawler.launch import scrapy_settings, spider_arguments
from crawler.resources import CrawlResources
from crawler.spiders.news import NewsSpider, generic_site
from crawler.spiders.pages import PagesSpider
from crawler.stopping import StopSignals
from crawler.summary import process_usage, site_result
from pipeline.config import load_settings
from pipeline.crawling import locks
from pipeline.crawling.diskspace import DEFAULT_RESERVE_BYTES, DiskReserve
from pipeline.crawling.protocol import REQUEST_FLAG, CrawlRequest, CrawlSummary
from pipeline.crawling.status import crawl_exit_code
from pipeline.errors import BaotinhError, ExitCode, InputError

# The flags that make a request by hand; --request-json excludes them.
_REQUEST_FLAGS = ("site", "url", "origin", "max_pages", "since", "refresh", "workers", "backfill")
# Seconds between two looks at the parent, and the grace a crawl gets to close its run.
PARENT_POLL_SECONDS = 0.5
SHUTDOWN_GRACE_SECONDS = 5.0

log = logging.getLogger("crawler")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m crawler", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(REQUEST_FLAG, dest="request_json", metavar="FILE",
                   help="the whole crawl request as JSON, from FILE or - (stdin)")
    p.add_argument("--site", action="append", default=[], help="registry site id (repeatable)")
    p.add_argument("--url", action="append", default=[], help="a news site not in the registry")
    p.add_argument("--origin", help="serve the (single) registered site from this origin")
    p.add_argument("--max-pages", type=int, help="article pages per site at most")
    p.add_argument("--since", type=date.fromisoformat, help="skip items published before YYYY-MM-DD")
    p.add_argument("--refresh", action="store_true",
                   help="fetch known articles again even when not due (conditional GET)")
    p.add_argument("--workers", type=int, help="extraction processes (0: a thread)")
    p.add_argument("--backfill", action="store_true",
                   help="each paginated listing from where the last backfill run stopped")
    p.add_argument("--log-file", help="write Scrapy's log here instead of stderr")
    p.add_argument("--log-level", default="INFO")
    p.add_argument("--parent-pid", type=int, metavar="PID",
                   help="stop when this process is no longer the parent (baotinh crawl sets it)")
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override a Scrapy setting")
    return p


def request_from_args(args: argparse.Namespace) -> CrawlRequest:
    """The request given as JSON (``--request-json``), or made of the human flags."""
    if args.request_json is not None:
        given = [f for f in _REQUEST_FLAGS if getattr(args, f) not in (None, [], False)]
        if given:
            flags = ", ".join("--" + f.replace("_", "-") for f in given)
            raise InputError(f"{REQUEST_FLAG} excludes {flags}")
        try:
            text = sys.stdin.read() if args.request_json == "-" else Path(args.request_json).read_text("utf-8")
        except OSError as exc:
            raise InputError(f"cannot read the crawl request: {exc}") from None
        return CrawlRequest.from_json(text)
    return CrawlRequest(sites=tuple(args.site), urls=tuple(args.url), origin=args.origin,
                        max_pages=args.max_pages, since=args.since, workers=args.workers,
                        refresh=args.refresh, backfill=args.backfill)


def request_problem(request: CrawlRequest) -> str | None:
    """Why the child cannot run this request, or None."""
    if not request.sites and not request.urls and not request.pages:
        return "give --site ID or --url URL"
    if request.origin and len(request.sites) != 1:
        return "--origin works with exactly one --site"
    return None


def watch_parent(parent_pid: int, *, every: float = PARENT_POLL_SECONDS,
                 grace: float = SHUTDOWN_GRACE_SECONDS) -> threading.Thread:
    """Stop this process once ``parent_pid`` is no longer its parent, however the parent went.

    A thread polls ``os.getppid()`` rather than asking Linux for ``PR_SET_PDEATHSIG``: that
    signal fires when the parent *thread* that started us exits, not the process, it is Linux
    only, and it cannot escalate. The stop is SIGTERM to ourselves, which Scrapy takes as a
    graceful shutdown (the run is closed ``interrupted``, the last batch written); a second one
    after ``grace`` forces it, and after another ``grace`` the process exits whatever it is doing.
    """
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(every)
        log.warning("the process that started this crawl (pid %d) is gone; stopping", parent_pid)
        for _ in range(2):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(grace)
        os._exit(ExitCode.FAILED)

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread


def print_summary(summary: CrawlSummary) -> None:
    """The summary as the last stdout line; nobody may be reading any more (the parent died)."""
    try:
        print(summary.to_json(), flush=True)
    except BrokenPipeError:
        # no "Exception ignored" at exit either: stdout goes nowhere from now on
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def main(argv: list[str] | None = None) -> int:
    # before anything is held: a stop from now on closes the runs as interrupted (crawler.stopping)
    stop = StopSignals().install()
    args = build_parser().parse_args(argv)
    if args.parent_pid is not None:
        watch_parent(args.parent_pid)
    try:
        request = request_from_args(args)
    except BaotinhError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    problem = request_problem(request)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return ExitCode.USAGE
    held = ExitStack()
    try:
        # one run at a time per archive and per site; a dead holder's lock is taken over
        arguments = spider_arguments(request)
        site_ids = [a["site"] if "site" in a else generic_site(a["url"]).id for a in arguments]
        held.enter_context(locks.hold_crawl(load_settings(), site_ids))
    except BaotinhError as exc:
        print_summary(CrawlSummary(error=str(exc), exit_code=exc.exit_code))
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    resources = CrawlResources()
    settings = scrapy_settings(request, log_file=args.log_file, log_level=args.log_level, overrides=args.set)
    resources.attach(settings)
    reserve = settings.getint("BAOTINH_DISK_RESERVE", DEFAULT_RESERVE_BYTES)
    resources.hold_reserve(DiskReserve(load_settings().archive_dir / "locks", reserve))
    process = CrawlerProcess(settings)
    crawlers: list[Crawler] = []
    for spider_args in arguments:
        crawler = process.create_crawler(PagesSpider if "pages" in spider_args else NewsSpider)
        crawlers.append(crawler)
        resources.add_crawler(crawler)
        stop.watch(crawler)
        process.crawl(crawler, **spider_args)
    from twisted.internet import reactor  # the one the first crawler installed

    stop.attach(reactor)
    try:
        process.start(install_signal_handlers=False)  # ours stay (see crawler.stopping)
    finally:
        resources.close()
        held.close()
    sites = tuple(site_result(c) for c in crawlers)
    if resources.disk_full is not None:
        # the runs are closed (interrupted) with what they wrote; the crawl is an I/O failure
        error = f"the archive's disk is full ({resources.disk_full}); free some space and crawl again"
        print_summary(CrawlSummary(sites=sites, usage=process_usage(), error=error, exit_code=ExitCode.IO))
        return ExitCode.IO
    print_summary(CrawlSummary(sites=sites, usage=process_usage()))
    return crawl_exit_code(s.status for s in sites)


if __name__ == "__main__":
    sys.exit(main())
