"""What the crawler child reports: a :class:`~pipeline.crawling.protocol.SiteResult` per crawler,
read from its Scrapy stats, and the process's resource usage."""

from __future__ import annotations

import resource

from scrapy.crawler import Crawler

from pipeline.crawling.protocol import CrawlUsage, SiteResult
from pipeline.crawling.status import RunStatus

__all__ = ["process_usage", "site_result"]

# How many failures (url, reason) a site result carries.
FAILURES_REPORTED = 5


def site_result(crawler: Crawler) -> SiteResult:
    """One crawler's run, from the stats its spider and pipelines kept."""
    stats = crawler.stats.get_stats() if crawler.stats else {}
    spider = crawler.spider
    failures = getattr(spider, "failures", [])[:FAILURES_REPORTED]
    tally = getattr(spider, "tally", None)
    return SiteResult(
        site=str(getattr(spider, "site_id", None)),
        run_id=stats.get("baotinh/run_id"),
        status=RunStatus(stats.get("baotinh/status", RunStatus.FAILED.value)),
        finish_reason=stats.get("finish_reason"),
        article_pages=int(stats.get("baotinh/article_pages", 0)),
        new=int(stats.get("baotinh/new", 0)),
        updated=int(stats.get("baotinh/updated", 0)),
        unchanged=int(stats.get("baotinh/unchanged", 0)),
        failed=int(stats.get("baotinh/failed", 0)) + int(stats.get("baotinh/extract_failed", 0)),
        skipped=tally.total("skipped") if tally is not None else 0,
        failures=tuple((str(url), str(reason)) for url, reason in failures),
        notes=tuple(str(n) for n in getattr(spider, "notes", ())),
        responses=int(stats.get("response_received_count", 0)),
        elapsed_seconds=stats.get("elapsed_time_seconds"),
        extract_cpu_ms=round(stats.get("baotinh/extract_cpu_us", 0) / 1000, 1),
        store_ms=round(stats.get("baotinh/store_us", 0) / 1000, 1),
        store_cpu_ms=round(stats.get("baotinh/store_cpu_us", 0) / 1000, 1),
    )


def peak_rss_mb(own: resource.struct_rusage) -> float:
    """This process's peak resident memory in MB since it became the crawler.

    Linux's ``ru_maxrss`` keeps the high-water mark of the address space this process had before
    ``exec``: started by vfork (as Python's subprocess does), that is its parent's, so a crawler
    started from a 450 MB process would report 450 MB. ``VmHWM`` counts only this program's own.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return round(own.ru_maxrss / 1024, 1)


def process_usage() -> CrawlUsage:
    """CPU and peak memory of this process and of its reaped children (workers, writer)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return CrawlUsage(
        cpu_crawler_seconds=round(own.ru_utime + own.ru_stime, 3),
        cpu_workers_seconds=round(children.ru_utime + children.ru_stime, 3),
        maxrss_crawler_mb=peak_rss_mb(own),
        maxrss_worker_mb=round(children.ru_maxrss / 1024, 1),
    )
