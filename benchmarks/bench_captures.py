"""What WARC captures cost: end-to-end crawls with and without them, side by side.

Crawls the generated bench site (60–120 KB pages, like real provincial papers) into a fresh
archive, alternating ``BAOTINH_CAPTURES=False`` and ``True`` so both see the same machine
state, and measures the capture writer alone (gzip + SHA-1 + SHA-256 of one page).
Target (issue 5): captures cost at most 25% of end-to-end throughput.

    python -m benchmarks.bench_captures              # 500 pages, 2 runs each
    python -m benchmarks.bench_captures --articles 2000 --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from .bench_crawl import CrawlMeasure, run_crawl

WORK = Path(__file__).resolve().parent / ".work"


def ensure_site(articles: int) -> Path:
    """The generated site (shared with the other crawl benchmarks), built once per size."""
    from .sitegen import write_site

    root = WORK / f"site-{articles}"
    marker = root / ".complete"
    if not marker.exists():
        write_site(root / "site", articles)
        marker.touch()
    return root


def measure_writer(pages: list[bytes]) -> float:
    """Milliseconds of writer-thread work per captured page (request + response records)."""
    from pipeline.archive.captures import Exchange, WarcFileWriter

    with tempfile.TemporaryDirectory(prefix="baotinh-bench-warc-") as tmp:
        writer = WarcFileWriter(Path(tmp))
        started = time.perf_counter()
        for n, body in enumerate(pages):
            writer.write_exchange(Exchange(
                url=f"http://bench.baotinh.test/p-{n}.html", body=body, date=datetime.now(UTC),
                request_headers=[("User-Agent", "baotinh-bench")],
                response_headers=[("Content-Type", "text/html; charset=utf-8")],
            ))
        seconds = time.perf_counter() - started
        writer.close()
    return seconds * 1000 / len(pages)


def sample_pages(site: Path, limit: int = 200) -> list[bytes]:
    files = sorted(p for p in site.rglob("*.html") if "chuyen-muc" not in p.parts)[:limit]
    return [p.read_bytes() for p in files]


def run(articles: int = 500, runs: int = 2) -> list[dict[str, object]]:
    """Rows for ``python -m benchmarks``: throughput with and without captures, and the cost."""
    from .server import serve_static

    root = ensure_site(articles)
    registry = root / "registry.toml"
    off: list[CrawlMeasure] = []
    on: list[CrawlMeasure] = []
    with serve_static(root / "site", WORK / "nginx-captures") as served:
        for _ in range(runs):
            off.append(run_crawl(served.base_url, registry, extra={"BAOTINH_CAPTURES": "False"}))
            on.append(run_crawl(served.base_url, registry, extra={"BAOTINH_CAPTURES": "True"}))
    pages = sample_pages(root / "site")
    writer_ms = [measure_writer(pages) for _ in range(runs)]
    costs = [1 - b.pages_per_second / a.pages_per_second for a, b in zip(off, on, strict=True) if a.pages_per_second]
    kb = statistics.mean(len(p) for p in pages) / 1024
    return [
        {"name": f"end to end without captures, {articles} pages", "unit": "pages/s",
         "values": [m.pages_per_second for m in off], "note": f"served by {served.kind}"},
        {"name": f"end to end with WARC captures, {articles} pages", "unit": "pages/s",
         "values": [m.pages_per_second for m in on]},
        {"name": "throughput cost of captures", "unit": "%", "values": [100 * c for c in costs],
         "target": "≤ 25", "higher_is_better": False},
        {"name": f"capture writer (gzip + SHA-1 + SHA-256, {kb:.0f} KB page)", "unit": "ms/page",
         "values": writer_ms, "note": "in the writer thread, off the reactor", "higher_is_better": False},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_captures", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    rows = run(args.articles, args.runs)
    width = max(len(str(r["name"])) for r in rows)
    for r in rows:
        values = r["values"]
        assert isinstance(values, list)
        shown = ", ".join(f"{v:.1f}" for v in values)
        print(f"{str(r['name']):<{width}}  {statistics.median(values):8.1f} {r['unit']:<8} [{shown}]"
              f"{'  target ' + str(r['target']) if r.get('target') else ''}")


if __name__ == "__main__":
    main()
