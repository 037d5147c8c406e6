"""Search latency on a generated archive (issue 4, acceptance 4).

    python -m benchmarks.bench_search --articles 200000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from pipeline import db
from pipeline.search import SearchQuery, install_sqlite_functions, search

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


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def time_queries(session: Any, queries: tuple[SearchQuery, ...], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        for q in queries:
            t0 = time.perf_counter()
            search(session, q)
            times.append((time.perf_counter() - t0) * 1000)
    return times


def run(articles: int, path: Path | None = None) -> list[dict[str, Any]]:
    """Generate (or reuse) an archive of ``articles`` and measure; rows: name, value, unit, target."""
    folder = Path(tempfile.mkdtemp(prefix="bench_search_"))
    path = path or folder / f"bench_{articles}.sqlite"
    build_s = generate(path, articles) if not path.exists() else 0.0
    engine = db.make_engine(f"sqlite:///{path}")
    install_sqlite_functions(engine)
    rows: list[dict[str, Any]] = [{"name": "search.build_seconds", "value": round(build_s, 1), "unit": "s", "target": None}]
    with db.make_sessionmaker(engine)() as session:
        time_queries(session, QUERIES, 1)  # warm the page cache
        plain = time_queries(session, QUERIES, 3)
        with_facets = time_queries(session, tuple(SearchQuery(**{**_fields(q), "facets": True}) for q in QUERIES), 1)
        fts_bytes = session.scalar(text("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'articles_fts%'")) or 0
        total_bytes = session.scalar(text("SELECT sum(pgsize) FROM dbstat")) or 1
    rows += [
        {"name": "search.median_ms", "value": round(statistics.median(plain), 1), "unit": "ms", "target": 30},
        {"name": "search.p95_ms", "value": round(percentile(plain, 0.95), 1), "unit": "ms", "target": 150},
        {"name": "search.max_ms", "value": round(max(plain), 1), "unit": "ms", "target": 1000},
        {"name": "search.facets_p95_ms", "value": round(percentile(with_facets, 0.95), 1), "unit": "ms", "target": 500},
        {"name": "search.facets_max_ms", "value": round(max(with_facets), 1), "unit": "ms", "target": 1000},
        {"name": "search.db_mb", "value": round(total_bytes / 1e6, 1), "unit": "MB", "target": None},
        {"name": "search.index_share_of_base", "value": round(fts_bytes / max(1, total_bytes - fts_bytes), 3),
         "unit": "ratio", "target": 0.6},
    ]
    engine.dispose()
    return rows


def _fields(q: SearchQuery) -> dict[str, Any]:
    return {f: getattr(q, f) for f in SearchQuery.__dataclass_fields__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--db", type=Path, help="Reuse (or create) this SQLite file.")
    args = parser.parse_args()
    for row in run(args.articles, args.db):
        target = f"  (target {row['target']})" if row["target"] is not None else ""
        print(f"{row['name']:<32} {row['value']:>10} {row['unit']}{target}")


if __name__ == "__main__":
    main()
