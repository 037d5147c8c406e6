"""``baotinh db copy`` SQLite → PostgreSQL: rows/s of the copy and of its verification (issue 15).

    python -m benchmarks.bench_copy --articles 20000

The source is a generated archive (``corpus_gen``: 150–600-word articles, kept in
``benchmarks/.work``); the destination a throwaway database on the test server.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from pipeline.archive.transfer import copy_archive

from .bench_search import print_row
from .bench_store import throwaway_postgres
from .corpus_gen import generate

WORK = Path(__file__).resolve().parent / ".work"
ADMIN_URL = os.environ.get("BAOTINH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def run(articles: int = 20_000) -> list[dict[str, Any]]:
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"copy_source_{articles}.sqlite"
    if not path.exists():
        generate(path, articles)
    with throwaway_postgres(ADMIN_URL, "baotinh_bench_copy") as url:
        if url is None:
            print("PostgreSQL not reachable: db copy not measured")
            return []
        t0 = time.perf_counter()
        report = copy_archive(f"sqlite:///{path}", url)
        total = time.perf_counter() - t0
    copy_s = sum(t.seconds for t in report.tables)
    rows: list[dict[str, Any]] = [
        {"name": "copy.rows", "value": report.copied, "unit": "rows", "target": None},
        {"name": "copy.sqlite_to_pg_rows_per_s", "value": round(report.copied / copy_s), "unit": "rows/s",
         "target": 3000},
        {"name": "copy.with_verification_rows_per_s", "value": round(report.copied / total), "unit": "rows/s",
         "target": None},
        {"name": "copy.verified_equal", "value": int(report.equal), "unit": "bool", "target": 1},
    ]
    for row in rows:
        print_row(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=20_000)
    run(parser.parse_args().articles)


if __name__ == "__main__":
    main()
