"""``python -m crawler``: run the news spider for one or more sites in this process.

This is what ``baotinh crawl`` starts in a subprocess (Twisted's reactor cannot restart inside
one process), with its request as JSON on stdin (``--request-json -``). The last line on stdout
is the JSON summary the library reads (see ``pipeline.crawling.protocol``); logs go to
``--log-file``. By hand, the flags build the same request:

    python -m crawler --site baohaiduong --max-pages 50
    python -m crawler --site demo --origin http://127.0.0.1:8123
    python -m crawler --url https://baomoi.example/ --since 2025-01-01
    python -m crawler --request-json request.json -s LOGSTATS_INTERVAL=0
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from datetime import date
from pathlib import Path

from scrapy.crawler import Crawler, CrawlerProcess

from crawler.launch import scrapy_settings, spider_arguments
from crawler.resources import CrawlResources
from crawler.spiders.news import NewsSpider, generic_site
from crawler.summary import process_usage, site_result
from pipeline.config import load_settings
from pipeline.crawling import locks
from pipeline.crawling.protocol import REQUEST_FLAG, CrawlRequest, CrawlSummary
from pipeline.crawling.status import crawl_exit_code
from pipeline.errors import BaotinhError, ExitCode, InputError

# The flags that make a request by hand; --request-json excludes them.
_REQUEST_FLAGS = ("site", "url", "origin", "max_pages", "since", "refresh", "workers")


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
    p.add_argument("--log-file", help="write Scrapy's log here instead of stderr")
    p.add_argument("--log-level", default="INFO")
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
                        refresh=args.refresh)


def request_problem(request: CrawlRequest) -> str | None:
    """Why the child cannot run this request, or None."""
    if not request.sites and not request.urls:
        return "give --site ID or --url URL"
    if request.origin and len(request.sites) != 1:
        return "--origin works with exactly one --site"
    return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
        site_ids = [*request.sites, *(generic_site(u).id for u in request.urls)]
        held.enter_context(locks.hold_crawl(load_settings(), site_ids))
    except BaotinhError as exc:
        print(CrawlSummary(error=str(exc), exit_code=exc.exit_code).to_json(), flush=True)
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    resources = CrawlResources()
    settings = scrapy_settings(request, log_file=args.log_file, log_level=args.log_level, overrides=args.set)
    resources.attach(settings)
    process = CrawlerProcess(settings)
    crawlers: list[Crawler] = []
    for arguments in spider_arguments(request):
        crawler = process.create_crawler(NewsSpider)
        crawlers.append(crawler)
        process.crawl(crawler, **arguments)
    try:
        process.start()
    finally:
        resources.close()
        held.close()
    summary = CrawlSummary(sites=tuple(site_result(c) for c in crawlers), usage=process_usage())
    print(summary.to_json(), flush=True)
    return crawl_exit_code(s.status for s in summary.sites)


if __name__ == "__main__":
    sys.exit(main())
