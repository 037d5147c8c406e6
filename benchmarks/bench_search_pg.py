"""Search latency on PostgreSQL at 1,000,000 generated articles (issue 15, acceptance 2).

    python -m benchmarks.bench_search_pg --articles 1000000     # builds once, then reuses
    python -m benchmarks.bench_search_pg --rebuild              # drop and build again

The archive is a database of its own on the server (``baotinh_bench_<N>``), kept between runs.
It is built with COPY: texts drawn from the same syllable frequencies as the SQLite benchmark
(``corpus_gen``), shorter (a lead and 80–250 words), folded and turned into their search vector
in Python as the store does. Then the same 15 queries as ``bench_search`` run 10 times in a row
each (run 1 and run 10 reported), plain and with facets.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, text

from pipeline.archive import db
from pipeline.archive.recent_index import RECENT_INDEX, maintain_recent_index
from pipeline.archive.search_index import folded_fields
from pipeline.archive.tsvector import tsvector_literal
from pipeline.search import SearchQuery, search

from .bench_search import QUERIES, percentile, print_row
from .corpus_gen import SITES, count_syllables, make_sentences

ADMIN_URL = os.environ.get("BAOTINH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
COLUMNS = ("id", "canonical_url", "url", "site", "title", "description", "author", "published_at", "section",
           "tags", "language", "text", "captions", "images", "word_count", "content_sha256", "flags",
           "first_seen_at", "last_seen_at", "version", "search_vector")
REPEATS = 10


def database_url(articles: int) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/baotinh_bench_{articles}"


def _count(url: str) -> int | None:
    """Articles in the bench database, None when it is absent or unfinished."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            done = conn.execute(text("SELECT to_regclass('bench_complete')")).scalar()
            return int(conn.execute(text("SELECT count(*) FROM articles")).scalar() or 0) if done else None
    except Exception:
        return None
    finally:
        engine.dispose()


def _rows(articles: int, seed: int = 7) -> Any:
    counts = count_syllables()
    vocab = [w for w, _ in counts.most_common(6000)]
    weights = [float(counts[w]) for w in vocab]
    rng = random.Random(seed)
    start = datetime(2011, 1, 1, tzinfo=UTC)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    minutes = 15 * 365 * 24 * 60 / articles  # fifteen years of papers
    for n in range(1, articles + 1):
        words = rng.randint(80, 250)
        body = make_sentences(rng, vocab, weights, words)
        title = make_sentences(rng, vocab, weights, rng.randint(8, 14)).rstrip(".")
        desc = make_sentences(rng, vocab, weights, rng.randint(20, 35))
        site = SITES[n % len(SITES)]
        url = f"https://{site}.vn/a-{n}.html"
        vector = tsvector_literal(folded_fields(title, desc, body, "Phóng viên"))
        yield (n, url, url, site, title, desc, "Phóng viên", start + timedelta(minutes=n * minutes), "Thời sự",
               "[]", "vi", body, "[]", "[]", words, "", "[]", now, now, 1, vector)


def build(articles: int) -> float:
    """Create (again) the bench database with ``articles`` articles; seconds taken."""
    t0 = time.perf_counter()
    url = database_url(articles)
    name = url.rsplit("/", 1)[1]
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = db.make_engine(url)
    db.upgrade(engine)
    stamp = datetime(2026, 11, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO sources(id, name, province_before, province_after, domain, created_at, "
                          "updated_at) VALUES (:id, :name, :pb, :pa, :domain, :t, :t)"),
                     [{"id": s, "name": f"Báo {s}", "pb": f"Tỉnh {i % 34}", "pa": f"Tỉnh {i % 20}",
                       "domain": f"{s}.vn", "t": stamp} for i, s in enumerate(SITES)])
        # Loading first and indexing after is several times faster than index upkeep per row.
        conn.execute(text("DROP INDEX IF EXISTS ix_articles_search_vector"))
        conn.execute(text(f"DROP INDEX IF EXISTS {RECENT_INDEX}"))
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        # Generated rows need no foreign-key checks nor the vector trigger (a superuser's shortcut).
        driver.execute("SET session_replication_role = replica")
        with driver.cursor() as cur, cur.copy(f"COPY articles ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for i, row in enumerate(_rows(articles)):
                copy.write_row(row)
                if i % 100_000 == 0:
                    print(f"  {i:,} rows, {time.perf_counter() - t0:.0f} s", flush=True)
        driver.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        conn.execute(text(f"SELECT setval('articles_id_seq', {articles})"))
        # The rare vector the Python side leaves to the server (see tsvector_literal).
        conn.execute(text("UPDATE articles SET search_vector = baotinh_folded_vector(baotinh_fold(title), "
                          "baotinh_fold(description), baotinh_fold(text), baotinh_fold(author)) "
                          "WHERE search_vector IS NULL"))
        conn.execute(text("CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE articles"))
    maintain_recent_index(engine, force=True)  # the newest articles' index, as the crawl keeps it
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_complete (built_at timestamptz)"))
    engine.dispose()
    return time.perf_counter() - t0


def time_repeated(session: Any, queries: tuple[SearchQuery, ...]) -> list[list[float]]:
    """For each query, the milliseconds of ``REPEATS`` runs in a row."""
    out = []
    for q in queries:
        runs = []
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            search(session, q)
            runs.append((time.perf_counter() - t0) * 1000)
        out.append(runs)
    return out


def run(articles: int = 1_000_000, rebuild: bool = False) -> list[dict[str, Any]]:
    """Build (or reuse) the PostgreSQL archive and measure; rows as ``bench_search.run``."""
    url = database_url(articles)
    build_s = 0.0
    if rebuild or _count(url) != articles:
        build_s = build(articles)
    engine = db.make_engine(url, read_only=True)
    with db.make_sessionmaker(engine)() as session:
        time_repeated(session, QUERIES[:3])  # warm the caches
        plain = time_repeated(session, QUERIES)
        facets = time_repeated(session, tuple(replace(q, facets=True) for q in QUERIES))
        size = int(session.scalar(text("SELECT pg_total_relation_size('articles')")) or 0)
    engine.dispose()
    flat = [t for runs in plain for t in runs]
    flat_facets = [t for runs in facets for t in runs]
    first = [runs[0] for runs in plain]
    last = [runs[-1] for runs in plain]
    rows: list[dict[str, Any]] = [
        {"name": "search_pg.articles", "value": articles, "unit": "articles", "target": None},
        {"name": "search_pg.build_seconds", "value": round(build_s, 1), "unit": "s", "target": None},
        {"name": "search_pg.median_ms", "value": round(statistics.median(flat), 1), "unit": "ms", "target": 30,
         "higher_is_better": False},
        {"name": "search_pg.p95_ms", "value": round(percentile(flat, 0.95), 1), "unit": "ms", "target": 150,
         "higher_is_better": False},
        {"name": "search_pg.max_ms", "value": round(max(flat), 1), "unit": "ms", "target": 1000,
         "higher_is_better": False},
        {"name": "search_pg.facets_p95_ms", "value": round(percentile(flat_facets, 0.95), 1), "unit": "ms",
         "target": 500, "higher_is_better": False},
        {"name": "search_pg.run1_median_ms", "value": round(statistics.median(first), 1), "unit": "ms",
         "target": None, "higher_is_better": False},
        {"name": "search_pg.run10_median_ms", "value": round(statistics.median(last), 1), "unit": "ms",
         "target": None, "higher_is_better": False},
        {"name": "search_pg.run10_over_run1_max",
         "value": round(max(b / a for a, b in zip(first, last, strict=True)), 2), "unit": "ratio",
         "target": None, "higher_is_better": False},
        {"name": "search_pg.table_mb", "value": round(size / 1e6, 1), "unit": "MB", "target": None},
        {"name": "search_pg.bytes_per_article", "value": size // articles, "unit": "B", "target": None},
    ]
    for q, runs in zip(QUERIES, plain, strict=True):
        print(f"  {q.text!r:<28} run 1 {runs[0]:7.1f} ms   run 10 {runs[-1]:7.1f} ms   "
              f"median {statistics.median(runs):7.1f}")
    for row in rows:
        print_row(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    if args.build_only:
        print(f"built in {build(args.articles):.0f} s")
        return
    run(args.articles, args.rebuild)


if __name__ == "__main__":
    main()
