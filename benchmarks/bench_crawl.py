"""Whole crawls of the generated site: fetch only, and end to end into a fresh archive.

Each crawl is ``python -m crawler`` in a child process, as ``baotinh crawl`` runs it. Peak RSS is
the largest sum over the crawler and its children (extraction workers, archive writer), sampled
every 100 ms; CPU comes from the crawler's own summary (its process and its reaped children).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.crawling.protocol import REQUEST_FLAG, CrawlRequest, CrawlSummary, CrawlUsage

# No politeness delay towards our own loopback server, no throttling; per-domain concurrency
# high enough to keep the reactor busy (the real-site defaults live in crawler/settings.py).
PER_DOMAIN_CONCURRENCY = 16
# Scrapy settings of the bench alone, given to the child as overrides: no periodic stats line.
BENCH_OVERRIDES = {"LOGSTATS_INTERVAL": "0"}


@dataclass(frozen=True, slots=True)
class CrawlMeasure:
    pages: int
    wall_seconds: float
    spider_seconds: float
    cpu_seconds: float
    cpu_crawler: float
    cpu_workers: float
    peak_rss_mb: float
    extract_cpu_ms: float
    store_ms: float
    store_cpu_ms: float
    summary: CrawlSummary

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.spider_seconds if self.spider_seconds else 0.0

    @property
    def cpu_ms_per_page(self) -> float:
        return self.cpu_seconds * 1000 / self.pages if self.pages else 0.0


def _tree_rss(pid: int) -> float:
    try:
        import psutil
    except ImportError:
        return 0.0
    try:
        proc = psutil.Process(pid)
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0.0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total / (1024 * 1024)


def run_crawl(origin: str, registry: Path, *, fetch_only: bool = False, max_pages: int | None = None,
              workers: int | None = None, extra: dict[str, str] | None = None,
              db_url: str | None = None) -> CrawlMeasure:
    """One crawl of the bench site into a new archive (its database at ``db_url`` when given)."""
    with tempfile.TemporaryDirectory(prefix="baotinh-bench-") as tmp:
        env = {**os.environ, "BAOTINH_ARCHIVE": tmp, "BAOTINH_REGISTRY": str(registry)}
        if db_url:
            env["BAOTINH_DB"] = db_url
        env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parent.parent / "src"),
                                             str(Path(__file__).resolve().parent.parent),
                                             env.get("PYTHONPATH", "")])
        request = CrawlRequest(sites=("benchpaper",), origin=origin, max_pages=max_pages or None,
                               workers=workers, local_server=True, autothrottle=False,
                               per_domain_concurrency=PER_DOMAIN_CONCURRENCY)
        cmd = [sys.executable, "-m", "crawler", REQUEST_FLAG, "-",
               "--log-file", str(Path(tmp) / "crawl.log"), "--log-level", "WARNING"]
        overrides = dict(BENCH_OVERRIDES, **(extra or {}))
        if fetch_only:
            overrides["ITEM_PIPELINES"] = "{}"
        for k, v in overrides.items():
            cmd += ["-s", f"{k}={v}"]
        peak = 0.0
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss(proc.pid))
                done.wait(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        out, _ = proc.communicate(request.to_json())
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        summary = CrawlSummary.from_json(out.strip().splitlines()[-1])
        site = summary.sites[0]
        usage = summary.usage or CrawlUsage()
        pages = site.responses if fetch_only else site.article_pages
        if fetch_only:
            pages = site.article_pages or site.responses
        cpu_c, cpu_w = usage.cpu_crawler_seconds, usage.cpu_workers_seconds
        return CrawlMeasure(
            pages=pages, wall_seconds=wall, spider_seconds=site.elapsed_seconds or wall,
            cpu_seconds=cpu_c + cpu_w, cpu_crawler=cpu_c, cpu_workers=cpu_w, peak_rss_mb=peak,
            extract_cpu_ms=site.extract_cpu_ms, store_ms=site.store_ms, store_cpu_ms=site.store_cpu_ms,
            summary=summary,
        )
