"""Search latency on a generated archive (issue 4, acceptance 4).

    python -m benchmarks.bench_search --articles 200000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from pipeline.archive import db
from pipeline.archive.sqlite import install_sqlite_functions
from pipeline.search import SearchQuery, search

from .corpus_gen import SITES, generate

# The fixed mix of archivist queries: places, people, topics, with and without diacritics.
QUERIES = (
    SearchQuery(text="Hải Dương"), SearchQuery(text="hai duong"),
    SearchQuery(text="Kim Thành"), SearchQuery(text="kim thanh"),
    SearchQuery(text='"nông thôn mới"'), SearchQuery(text="nong thon moi"),
    SearchQuery(text="Nguyễn Văn"), SearchQuery(text="đại hội đảng bộ"),
    SearchQuery(text="giáo dục", sites=(SITES[3],)),
    SearchQuery(text="du lịch", date_from=date(2017, 1, 1), date_to=date(2017, 12, 31)),
    SearchQuery(text="vải thiều OR nhãn"), SearchQuery(text="bệnh viện -covid"),
    SearchQuery(text="tỉnh ủy", sort="newest"),
    SearchQuery(text="và của được"), SearchQuery(text="và"),
)
# Made only of the commonest syllables: the worst case for ranking (acceptance: under 1 s).
COMMON_QUERY = SearchQuery(text="và của được", facets=True)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def time_queries(session: Any, queries: tuple[SearchQuery, ...], rounds: int) -> list[float]:
    """Milliseconds of each ``search`` call, ``rounds`` passes over ``queries``."""
    times = []
    for _ in range(rounds):
        for q in queries:
            t0 = time.perf_counter()
            search(session, q)
            times.append((time.perf_counter() - t0) * 1000)
    return times


def measure_sizes(session: Any) -> tuple[int, int]:
    """(bytes of the FTS5 index, bytes of the whole database), from ``dbstat``."""
    fts_bytes = session.scalar(text("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'articles_fts%'")) or 0
    total_bytes = session.scalar(text("SELECT sum(pgsize) FROM dbstat")) or 1
    return int(fts_bytes), int(total_bytes)


def run(articles: int, path: Path | None = None, rounds: int = 3) -> list[dict[str, Any]]:
    """Generate (or reuse) an archive of ``articles`` and measure; rows: name, value, unit, target.

    Prints each figure as it is measured. Latencies are of ``search()`` as the CLI and the web
    UI call it: first page of 20 hits with snippets, total, and facets where said.
    """
    folder = Path(tempfile.mkdtemp(prefix="bench_search_"))
    path = path or folder / f"bench_{articles}.sqlite"
    build_s = generate(path, articles) if not path.exists() else 0.0
    engine = db.make_engine(f"sqlite:///{path}")
    install_sqlite_functions(engine, tune_reads=True)
    with db.make_sessionmaker(engine)() as session:
        count = int(session.scalar(text("SELECT count(*) FROM articles")) or 0)
        time_queries(session, QUERIES, 1)  # warm the page cache
        plain = time_queries(session, QUERIES, rounds)
        with_facets = time_queries(session, tuple(replace(q, facets=True) for q in QUERIES), rounds)
        common = time_queries(session, (COMMON_QUERY,), rounds)
        fts_bytes, total_bytes = measure_sizes(session)
    engine.dispose()
    rows: list[dict[str, Any]] = [
        {"name": "search.articles", "value": count, "unit": "articles", "target": None},
        {"name": "search.build_seconds", "value": round(build_s, 1), "unit": "s", "target": None},
        {"name": "search.median_ms", "value": round(statistics.median(plain), 1), "unit": "ms", "target": 30,
         "higher_is_better": False},
        {"name": "search.p95_ms", "value": round(percentile(plain, 0.95), 1), "unit": "ms", "target": 150,
         "higher_is_better": False},
        {"name": "search.max_ms", "value": round(max(plain), 1), "unit": "ms", "target": 1000,
         "higher_is_better": False},
        {"name": "search.facets_p95_ms", "value": round(percentile(with_facets, 0.95), 1), "unit": "ms", "target": 500,
         "higher_is_better": False},
        {"name": "search.facets_max_ms", "value": round(max(with_facets), 1), "unit": "ms", "target": 1000,
         "higher_is_better": False},
        {"name": "search.common_syllables_ms", "value": round(max(common), 1), "unit": "ms", "target": 1000,
         "higher_is_better": False},
        {"name": "search.db_mb", "value": round(total_bytes / 1e6, 1), "unit": "MB", "target": None},
        {"name": "search.index_share_of_base", "value": round(fts_bytes / max(1, total_bytes - fts_bytes), 3),
         "unit": "ratio", "target": 0.6},
    ]
    for row in rows:
        print_row(row)
    return rows


def print_row(row: dict[str, Any]) -> None:
    """One figure a line, with its target when it has one."""
    target = f"  (target {row['target']})" if row["target"] is not None else ""
    print(f"{row['name']:<32} {row['value']:>10} {row['unit']}{target}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--db", type=Path, help="Reuse (or create) this SQLite file.")
    parser.add_argument("--rounds", type=int, default=3, help="Passes over the query mix.")
    args = parser.parse_args()
    run(args.articles, args.db, args.rounds)


if __name__ == "__main__":
    main()
