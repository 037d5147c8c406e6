"""Dataset export: rows/s and peak memory of ``baotinh export`` to Parquet and JSONL, against a
bare ``SELECT`` + write loop on the same data (issue 7, acceptance 2).

    python -m benchmarks.bench_export                  # 200,000 generated articles
    python -m benchmarks.bench_export --large          # 1,000,000
    python -m benchmarks --only export                 # as part of the suite

Each measurement runs in a fresh child process, which reports its own peak RSS
(``resource.getrusage``), so one measurement's memory never hides another's. The generated
archive is cached under ``benchmarks/.work`` and reused while its size is unchanged.

The archive is generated with Core ``executemany`` and without the search index trigger: the
export never reads the FTS table, and indexing a million texts would take most of the run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

WORK = Path(__file__).resolve().parent / ".work"
ROOT = Path(__file__).resolve().parent.parent
CHUNK = 5000
POOL = 2000  # distinct generated articles, reused with new URLs and dates
MEMORY_TARGET_MB = 300
RATE_TARGET = 0.5


def _article_rows(n: int) -> Iterator[list[dict[str, Any]]]:
    """``n`` realistic article rows in chunks (text from the benchmark site generator)."""
    from pipeline.text.normalise import count_words, sha256_text

    from .sitegen import generate_articles

    pool = []
    for a in generate_articles(POOL, seed=11):
        text = "\n".join((a.lead, *a.paragraphs))
        pool.append((a, text, count_words(text), sha256_text(text)))
    now = datetime(2026, 11, 1, tzinfo=UTC)
    chunk: list[dict[str, Any]] = []
    for i in range(n):
        a, text, words, digest = pool[i % POOL]
        url = f"http://demo.baotinh.test/{a.section}/{a.slug}-{1_000_000 + i}.html"
        published = a.published - timedelta(days=i // POOL)
        chunk.append({
            "canonical_url": url, "url": url, "site": "demo", "title": a.title, "description": a.lead,
            "author": a.byline, "published_at": published, "modified_at": None, "section": a.section,
            "tags": ["Hải Dương", a.section], "language": "vi", "text": text,
            "captions": ["Ảnh minh hoạ"] if i % 3 == 0 else [],
            "images": (
                [{"url": f"http://demo.baotinh.test/img/{i}.jpg", "caption": "Ảnh minh hoạ"}] if i % 3 == 0 else []
            ),
            "word_count": words, "content_sha256": digest, "fetched_at": now, "date_source": "dateline",
            "modified_source": None, "source_agency": None, "flags": [], "extractor_version": "bench",
            "first_seen_at": now, "last_seen_at": now, "version": 1,
        })
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def generate_archive(path: Path, n: int) -> str:
    """A SQLite archive of ``n`` generated articles at ``path``; returns its URL."""
    from sqlalchemy import insert, text

    from pipeline.archive import db, store
    from pipeline.archive.models import Article
    from pipeline.archive.sqlite import install_sqlite_functions
    from pipeline.registry.load import load_registry

    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    install_sqlite_functions(engine)
    db.upgrade(engine)
    with db.make_sessionmaker(engine).begin() as s:
        store.sync_source(s, load_registry().get("demo"))
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER IF EXISTS articles_fts_ai"))
        for rows in _article_rows(n):
            conn.execute(insert(Article), rows)
    engine.dispose()
    return url


def ensure_archive(n: int) -> str:
    """The cached generated archive of ``n`` articles."""
    folder = WORK / f"export-archive-{n}"
    marker = folder / ".complete"
    path = folder / "baotinh.sqlite"
    if not marker.exists():
        folder.mkdir(parents=True, exist_ok=True)
        for leftover in folder.glob("baotinh.sqlite*"):
            leftover.unlink()
        print(f"generating a {n:,}-article archive in {folder} …", file=sys.stderr, flush=True)
        generate_archive(path, n)
        marker.touch()
    return f"sqlite:///{path}"


# -- what the child processes run -------------------------------------------------------------
def child_export(db_url: str, fmt: str, out: Path) -> int:
    from pipeline.archive import db
    from pipeline.export.dataset import ExportOptions, export_articles

    engine = db.make_engine(db_url)
    with db.make_sessionmaker(engine)() as session:
        result = export_articles(session, ExportOptions(format=fmt, output=out, overwrite=True),
                                 archive_dir=out.parent)
    return result.rows


def child_bare(db_url: str, fmt: str, out: Path) -> int:
    """The floor: raw rows from sqlite3 written with no conversion at all."""
    import sqlite3

    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.record import RECORD_FIELDS

    out.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    cur = conn.execute(f"SELECT {', '.join(RECORD_FIELDS)} FROM articles ORDER BY id")
    rows = 0
    if fmt == "jsonl":
        with open(out / "bare.jsonl", "w", encoding="utf-8") as fh:
            while batch := cur.fetchmany(CHUNK):
                fh.write("\n".join(json.dumps(r, ensure_ascii=False) for r in batch) + "\n")
                rows += len(batch)
        return rows
    writer: Any = None
    pending: list[Any] = []
    while batch := cur.fetchmany(CHUNK):
        cols = list(zip(*batch, strict=True))
        rb = pa.RecordBatch.from_arrays([pa.array(c) for c in cols], names=list(RECORD_FIELDS))
        if writer is None:
            writer = pq.ParquetWriter(out / "bare.parquet", rb.schema, compression="zstd")
        pending.append(rb)
        rows += len(batch)
        if sum(b.num_rows for b in pending) >= 50_000:
            writer.write_table(pa.Table.from_batches(pending))
            pending = []
    if pending:
        writer.write_table(pa.Table.from_batches(pending))
    if writer is not None:
        writer.close()
    return rows


def peak_rss_kib() -> int:
    """This process's own peak RSS. ``ru_maxrss`` would not do: Linux carries it across fork and
    exec, so a child of a large benchmark runner reports the runner's peak; VmHWM belongs to the
    address space the child's exec created."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def measure(kind: str, db_url: str, fmt: str, out: Path) -> dict[str, float]:
    """Run one export in a child process: rows, seconds, peak RSS in MB."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_export", "--child", kind, "--db", db_url,
         "--format", fmt, "--out", str(out)],
        capture_output=True, text=True, env=env, cwd=ROOT, check=False,
    )
    if proc.returncode:
        raise RuntimeError(f"{kind} {fmt} failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run(articles: int = 200_000) -> list[dict[str, Any]]:
    """Export benchmark rows (name, value, unit, target) for ``python -m benchmarks``."""
    db_url = ensure_archive(articles)
    out_root = WORK / "export-out"
    rows: list[dict[str, Any]] = []
    for fmt in ("parquet", "jsonl"):
        ours = measure("export", db_url, fmt, out_root / f"{fmt}-export")
        bare = measure("bare", db_url, fmt, out_root / f"{fmt}-bare")
        ratio = ours["rows_per_s"] / bare["rows_per_s"]
        note = f"{articles:,} articles"
        rows += [
            {"name": f"export {fmt}", "value": ours["rows_per_s"], "unit": "rows/s", "note": note},
            {"name": f"export {fmt} peak RSS", "value": ours["peak_rss_mb"], "unit": "MB",
             "target": f"< {MEMORY_TARGET_MB}", "higher_is_better": False, "note": note},
            {"name": f"bare SELECT + write {fmt}", "value": bare["rows_per_s"], "unit": "rows/s", "note": note},
            {"name": f"bare SELECT + write {fmt} peak RSS", "value": bare["peak_rss_mb"], "unit": "MB",
             "higher_is_better": False, "note": note},
            {"name": f"export {fmt} / bare loop", "value": round(100 * ratio, 1), "unit": "%",
             "target": f">= {int(RATE_TARGET * 100)}", "note": note},
        ]
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_export", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--articles", type=int, default=200_000)
    p.add_argument("--large", action="store_true", help="1,000,000 articles")
    p.add_argument("--child", choices=("export", "bare"), help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    p.add_argument("--format", choices=("parquet", "jsonl"), help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        start = time.perf_counter()
        fn = child_export if args.child == "export" else child_bare
        n = fn(args.db, args.format, args.out)
        seconds = time.perf_counter() - start
        peak_kb = peak_rss_kib()
        print(json.dumps({"rows": n, "seconds": seconds, "rows_per_s": n / seconds,
                          "peak_rss_mb": peak_kb / 1024}))
        return 0
    n = 1_000_000 if args.large else args.articles
    for row in run(n):
        target = f"  (target {row['target']})" if row.get("target") else ""
        print(f"{row['name']:<40} {row['value']:>12,.1f} {row['unit']}{target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
