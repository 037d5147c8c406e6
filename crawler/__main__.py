"""``python -m crawler``: run the news spider for one or more sites in this process.

This is what ``baotinh crawl`` starts in a subprocess (Twisted's reactor cannot restart inside
one process). The last line on stdout is a JSON summary the CLI reads; logs go to ``--log-file``.

    python -m crawler --site baohaiduong --max-pages 50
    python -m crawler --site demo --origin http://127.0.0.1:8123
    python -m crawler --url https://baomoi.example/ --since 2025-01-01
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from contextlib import ExitStack
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from crawler.spiders.news import NewsSpider, generic_site
from pipeline.crawling import locks
from pipeline.config import load_settings
from pipeline.errors import BaotinhError
from pipeline.errors import ExitCode


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m crawler", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--site", action="append", default=[], help="registry site id (repeatable)")
    p.add_argument("--url", action="append", default=[], help="a news site not in the registry")
    p.add_argument("--origin", help="serve the (single) registered site from this origin")
    p.add_argument("--max-pages", type=int, help="article pages per site at most")
    p.add_argument("--since", help="skip items published before YYYY-MM-DD")
    p.add_argument("--refresh", action="store_true",
                   help="fetch known articles again even when not due (conditional GET)")
    p.add_argument("--workers", type=int, help="extraction processes (0: a thread)")
    p.add_argument("--log-file", help="write Scrapy's log here instead of stderr")
    p.add_argument("--log-level", default="INFO")
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override a Scrapy setting")
    return p


def make_settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    if args.workers is not None:
        settings.set("BAOTINH_EXTRACT_WORKERS", args.workers, priority="cmdline")
    if args.log_file:
        settings.set("LOG_FILE", args.log_file, priority="cmdline")
        settings.set("LOG_FILE_APPEND", True, priority="cmdline")
    settings.set("LOG_LEVEL", args.log_level, priority="cmdline")
    for item in args.set:
        name, _, value = item.partition("=")
        settings.set(name, value, priority="cmdline")
    return settings


def summarise(crawler: Crawler) -> dict[str, Any]:
    stats = crawler.stats.get_stats() if crawler.stats else {}
    spider = crawler.spider
    return {
        "site": getattr(spider, "site_id", None),
        "run_id": stats.get("baotinh/run_id"),
        "status": stats.get("baotinh/status", "failed"),
        "finish_reason": stats.get("finish_reason"),
        "article_pages": stats.get("baotinh/article_pages", 0),
        "new": stats.get("baotinh/new", 0),
        "updated": stats.get("baotinh/updated", 0),
        "unchanged": stats.get("baotinh/unchanged", 0),
        "failed": stats.get("baotinh/failed", 0) + stats.get("baotinh/extract_failed", 0),
        "failures": [list(f) for f in getattr(spider, "failures", [])[:5]],
        "responses": stats.get("response_received_count", 0),
        "elapsed_seconds": stats.get("elapsed_time_seconds"),
        "extract_cpu_ms": round(stats.get("baotinh/extract_cpu_us", 0) / 1000, 1),
        "store_ms": round(stats.get("baotinh/store_us", 0) / 1000, 1),
        "store_cpu_ms": round(stats.get("baotinh/store_cpu_us", 0) / 1000, 1),
    }


def exit_code(summaries: list[dict[str, Any]]) -> int:
    statuses = {s["status"] for s in summaries}
    if not summaries or statuses <= {"failed"}:
        return ExitCode.FAILED
    if statuses != {"ok"}:
        return ExitCode.PARTIAL
    return ExitCode.OK


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.site and not args.url:
        print("error: give --site ID or --url URL", file=sys.stderr)
        return ExitCode.USAGE
    if args.origin and len(args.site) != 1:
        print("error: --origin works with exactly one --site", file=sys.stderr)
        return ExitCode.USAGE
    held = ExitStack()
    try:
        # one run at a time per archive and per site; a dead holder's lock is taken over
        site_ids = [*args.site, *(generic_site(u).id for u in args.url)]
        held.enter_context(locks.hold_crawl(load_settings(), site_ids))
    except BaotinhError as exc:
        print(json.dumps({"sites": [], "error": str(exc), "exit_code": exc.exit_code}), flush=True)
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    settings = make_settings(args)
    process = CrawlerProcess(settings)
    crawlers: list[Crawler] = []
    common = {"max_pages": args.max_pages, "since": args.since, "refresh": "1" if args.refresh else ""}
    for site in args.site:
        crawler = process.create_crawler(NewsSpider)
        crawlers.append(crawler)
        process.crawl(crawler, site=site, origin=args.origin, **common)
    for url in args.url:
        crawler = process.create_crawler(NewsSpider)
        crawlers.append(crawler)
        process.crawl(crawler, url=url, **common)
    try:
        process.start()
    finally:
        held.close()
    summaries = [summarise(c) for c in crawlers]
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    usage = {  # for the benchmarks' stage breakdown
        "cpu_crawler_seconds": round(own.ru_utime + own.ru_stime, 3),
        "cpu_workers_seconds": round(workers.ru_utime + workers.ru_stime, 3),
        "maxrss_crawler_mb": round(own.ru_maxrss / 1024, 1),
        "maxrss_worker_mb": round(workers.ru_maxrss / 1024, 1),
    }
    print(json.dumps({"sites": summaries, "usage": usage}, ensure_ascii=False), flush=True)
    return exit_code(summaries)


if __name__ == "__main__":
    sys.exit(main())
