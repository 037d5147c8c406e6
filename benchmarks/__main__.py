"""``make bench`` / ``python -m benchmarks``: run the suite and rewrite ``benchmarks/RESULTS.md``.

    python -m benchmarks                 # the whole suite (≈ 10 min on 2 cores)
    python -m benchmarks --only crawl    # one group: fetch, extract, store, crawl, captures, search, export, workers
    python -m benchmarks --large         # search/export on 1,000,000 generated articles
    python -m benchmarks --no-write      # print, leave RESULTS.md alone
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .results import RESULTS_FILE, Report, Row, read_previous, render_table, rows_from_dicts

WORK = Path(__file__).resolve().parent / ".work"
GROUPS = ("fetch", "extract", "store", "crawl", "captures", "search", "export", "workers", "copy", "search-pg")


def ensure_site(articles: int) -> Path:
    """The generated site, rebuilt only when its size changed."""
    from .sitegen import write_site

    root = WORK / f"site-{articles}"
    marker = root / ".complete"
    if not marker.exists():
        print(f"generating a {articles}-article site in {root} …", flush=True)
        write_site(root / "site", articles)
        marker.touch()
    return root


def bench_fetch(report: Report, origin: str, registry: Path, runs: int) -> None:
    from .bench_crawl import run_crawl

    ms = [run_crawl(origin, registry, fetch_only=True) for _ in range(runs)]
    report.add(Row("crawl", "fetch only (Scrapy, no extraction)", "pages/s",
                   tuple(m.pages_per_second for m in ms)))
    report.add(Row("crawl", "fetch only CPU", "ms/page", tuple(m.cpu_ms_per_page for m in ms),
                   higher_is_better=False))


def bench_extract(report: Report, site_root: Path, runs: int) -> None:
    from pipeline.registry.load import load_registry

    from .bench_extract import aeb_cpu_ratio, extractors, load_pages, measure

    site = load_registry(site_root / "registry.toml").get("benchpaper")
    pages = load_pages(site_root / "site", "http://bench.baotinh.test", 150)
    fns = extractors(site)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            results[name].append(measure(fn, pages))
    traf_cpu = sorted(c for _, c in results["trafilatura"])[len(results["trafilatura"]) // 2]
    for name, vals in results.items():
        target = "≤ 1.3× trafilatura, < peers" if name == "baotinh" else ""
        report.add(Row("extract", f"{name} wall", "ms/page", tuple(w for w, _ in vals), target,
                       f"{len(pages)} pages of 60–120 KB", higher_is_better=False))
        report.add(Row("extract", f"{name} CPU", "ms/page", tuple(c for _, c in vals), target,
                       higher_is_better=False))
    bt = sorted(c for _, c in results["baotinh"])[len(results["baotinh"]) // 2]
    report.add(Row("extract", "baotinh / trafilatura CPU", "ratio", (bt / traf_cpu,), "≤ 1.3",
                   higher_is_better=False))
    aeb = aeb_cpu_ratio(runs)
    if aeb is None:
        report.notes.append("AEB pages absent (BAOTINH_AEB_DIR): the generic-path row not measured")
    else:
        report.add(Row("extract", "generic path (AEB pages) baotinh / trafilatura CPU", "ratio", aeb, "≤ 1.3",
                       "83 public pages, no site hints", higher_is_better=False))
    missing = {"news-please", "newspaper4k"} - set(fns)
    if missing:
        report.notes.append(f"not installed, not measured: {', '.join(sorted(missing))} "
                            "(pip install -e '.[bench]')")


def bench_store(report: Report, runs: int) -> None:
    from .bench_store import make_records, postgres_rate, sqlite_rate

    records = make_records(1000)
    report.add(Row("store", "upsert SQLite (batches of 50)", "rows/s",
                   tuple(sqlite_rate(records) for _ in range(runs))))
    pg_url = os.environ.get("BAOTINH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    first = postgres_rate(records, pg_url)
    if first is None:
        report.notes.append("PostgreSQL not reachable: store rows/s on PostgreSQL not measured")
        return
    rates = [first] + [postgres_rate(records, pg_url) or 0.0 for _ in range(runs - 1)]
    report.add(Row("store", "upsert PostgreSQL (batches of 50)", "rows/s", tuple(rates)))


def bench_crawl(report: Report, origin: str, registry: Path, runs: int, site_articles: int,
                extract_cpu_ms: float | None) -> None:
    from .bench_crawl import run_crawl

    ms = [run_crawl(origin, registry) for _ in range(runs)]
    report.add(Row("crawl", f"end to end, {site_articles} pages", "pages/s",
                   tuple(m.pages_per_second for m in ms),
                   "≥ 0.8 × 2 / CPU s per page", "spider's elapsed time"))
    report.add(Row("crawl", "end to end CPU (crawler + workers + writer)", "ms/page",
                   tuple(m.cpu_ms_per_page for m in ms), "≤ 1.5 × trafilatura CPU", higher_is_better=False))
    report.add(Row("crawl", "both-cores ratio: pages/s ÷ (2 / CPU s per page)", "ratio",
                   tuple(m.pages_per_second / (2000 / m.cpu_ms_per_page) for m in ms), "≥ 0.8"))
    report.add(Row("crawl", "peak RSS (crawler + workers + writer)", "MB", tuple(m.peak_rss_mb for m in ms),
                   "≤ 400", higher_is_better=False))
    report.add(Row("crawl", "stage: crawler process CPU (Scrapy, discovery, captures)", "ms/page",
                   tuple(m.cpu_crawler * 1000 / m.pages for m in ms), higher_is_better=False))
    report.add(Row("crawl", "stage: extraction CPU (workers: extract, fold, SimHash)", "ms/page",
                   tuple(m.extract_cpu_ms / m.pages for m in ms), higher_is_better=False))
    report.add(Row("crawl", "stage: archive writer CPU (writer process)", "ms/page",
                   tuple(m.store_cpu_ms / m.pages for m in ms), higher_is_better=False))
    report.add(Row("crawl", "stage: archive writes (writer process, wall)", "ms/page",
                   tuple(m.store_ms / m.pages for m in ms), higher_is_better=False))
    report.add(Row("crawl", "stage: children's other CPU (start-up, imports, IPC)", "ms/page",
                   tuple((m.cpu_workers * 1000 - m.extract_cpu_ms - m.store_cpu_ms) / m.pages for m in ms),
                   higher_is_better=False))
    if extract_cpu_ms:
        ratio = tuple(m.cpu_ms_per_page / extract_cpu_ms for m in ms)
        report.add(Row("crawl", "end-to-end CPU ÷ trafilatura-alone CPU", "ratio", ratio, "≤ 1.5",
                       higher_is_better=False))
    bench_crawl_pg(report, origin, registry, runs, site_articles, ms)
    small = run_crawl(origin, registry, max_pages=500)
    report.add(Row("crawl", "peak RSS, 500 pages (vs full site above)", "MB", (small.peak_rss_mb,),
                   "flat", "one run", higher_is_better=False))


def bench_crawl_pg(report: Report, origin: str, registry: Path, runs: int, site_articles: int,
                   sqlite_runs: list[Any]) -> None:
    """The same crawl into PostgreSQL (a new database each run), beside SQLite's."""
    from .bench_crawl import run_crawl
    from .bench_store import throwaway_postgres

    pg_url = os.environ.get("BAOTINH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ms = []
    for _ in range(runs):
        with throwaway_postgres(pg_url) as url:
            if url is None:
                report.notes.append("PostgreSQL not reachable: the crawl on PostgreSQL not measured")
                return
            ms.append(run_crawl(origin, registry, db_url=url))
    report.add(Row("crawl", f"end to end, {site_articles} pages, PostgreSQL", "pages/s",
                   tuple(m.pages_per_second for m in ms), "≥ 0.8 × SQLite", "spider's elapsed time"))
    report.add(Row("crawl", "PostgreSQL ÷ SQLite pages/s (runs paired)", "ratio",
                   tuple(p.pages_per_second / s.pages_per_second for p, s in zip(ms, sqlite_runs, strict=False)),
                   "≥ 0.8"))
    report.add(Row("crawl", "end to end CPU, PostgreSQL (crawler + workers + writer)", "ms/page",
                   tuple(m.cpu_ms_per_page for m in ms), higher_is_better=False))


def bench_module(report: Report, group: str, module: str, **kwargs: object) -> None:
    """Rows from another benchmark module's ``run()``, when it exists."""
    try:
        mod = importlib.import_module(f"benchmarks.{module}")
    except ModuleNotFoundError as exc:
        report.notes.append(f"{group}: {module} missing ({exc.name})")
        return
    run: Callable[..., list[dict[str, object]]] = mod.run
    for row in rows_from_dicts(group, run(**kwargs)):
        report.add(row)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", action="append", choices=GROUPS)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--site-articles", type=int, default=2000)
    p.add_argument("--large", action="store_true", help="1,000,000 articles for search and export")
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args(argv)
    groups = args.only or list(GROUPS)
    started = time.perf_counter()
    report = Report()
    previous = read_previous()
    site_root = ensure_site(args.site_articles)
    registry = site_root / "registry.toml"
    from .server import serve_static

    with serve_static(site_root / "site", WORK / "nginx") as served:
        report.info["fixture server"] = f"{served.kind} on 127.0.0.1 ({args.site_articles}-article generated site)"
        print(f"serving the bench site with {served.kind} at {served.base_url}", flush=True)
        traf_cpu: float | None = None
        if "extract" in groups:
            bench_extract(report, site_root, args.runs)
            traf = [r for r in report.rows if r.name == "trafilatura CPU"]
            traf_cpu = traf[0].median if traf else None
        if "fetch" in groups:
            bench_fetch(report, served.base_url, registry, args.runs)
        if "crawl" in groups:
            bench_crawl(report, served.base_url, registry, args.runs, args.site_articles, traf_cpu)
    if "store" in groups:
        bench_store(report, args.runs)
    if "captures" in groups:
        bench_module(report, "captures", "bench_captures")
    archive_rows = 1_000_000 if args.large else 200_000
    if "search" in groups:
        bench_module(report, "search", "bench_search", articles=archive_rows)
    if "export" in groups:
        bench_module(report, "export", "bench_export", articles=archive_rows)
    if "workers" in groups:
        bench_module(report, "workers", "bench_workers")
    if "copy" in groups:
        bench_module(report, "copy", "bench_copy")
    if "search-pg" in groups:
        bench_module(report, "search-pg", "bench_search_pg", articles=archive_rows)
    seconds = time.perf_counter() - started
    table = render_table(report.rows, previous, info=report.info, runs=args.runs, seconds=seconds,
                         notes=report.notes)
    print(table)
    if not args.no_write:
        RESULTS_FILE.write_text(table, encoding="utf-8")
        print(f"wrote {RESULTS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
