"""Crawl workers: pages/s with 1, 2 and 3 ``baotinh worker`` processes, and bytes per article.

Three generated papers (different seeds, so no payload is shared between them), each served by
its own static server, are queued as three jobs; N workers (own folders, one database, one
capture store) crawl them until the queue is empty. Pages/s is the article pages archived over
the wall time from the first worker's start to the last one's exit (start-up included: that is
what a deployment gets). Bytes per article: the database's growth (SQLite file after a
checkpoint, or ``pg_database_size``) and the capture store's, over the articles archived.

    python -m benchmarks.bench_workers --pages 150
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipeline.crawling.protocol import CrawlRequest

from .bench_crawl import PER_DOMAIN_CONCURRENCY
from .bench_store import throwaway_postgres

WORK = Path(__file__).resolve().parent / ".work"
ROOT = Path(__file__).resolve().parent.parent
PAPERS = 3
PG_ADMIN = os.environ.get("BAOTINH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def ensure_papers(articles: int) -> tuple[list[Path], Path]:
    """Three generated papers (site folders) and one registry naming them ``wbench1..3``."""
    from .sitegen import DOMAIN, REGISTRY, SITE_ID, write_site

    folders, entries = [], []
    for k in range(1, PAPERS + 1):
        root = WORK / f"workers-{articles}-{k}"
        if not (root / ".complete").exists():
            write_site(root / "site", articles, seed=2025 + k)
            (root / ".complete").touch()
        folders.append(root / "site")
        entries.append(REGISTRY.replace(f'"{SITE_ID}"', f'"wbench{k}"').replace(DOMAIN, f"wbench{k}.baotinh.test"))
    registry = WORK / f"workers-{articles}-registry.toml"
    registry.write_text("".join(entries), encoding="utf-8")
    return folders, registry


@dataclass(frozen=True, slots=True)
class WorkersMeasure:
    workers: int
    pages: int
    seconds: float
    db_bytes: int
    capture_bytes: int
    cpu_seconds: float  # the workers and everything they started (not the database server)

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


@contextmanager
def _database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'shared.sqlite'}"
        return
    with throwaway_postgres(PG_ADMIN) as url:
        if url is None:
            raise RuntimeError(f"PostgreSQL not reachable at {PG_ADMIN}")
        yield url


def _db_bytes(url: str) -> int:
    from sqlalchemy import text

    from pipeline.archive import db

    engine = db.make_engine(url)
    try:
        with engine.connect() as c:
            if engine.dialect.name == "sqlite":
                c.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
                return int(c.execute(text("PRAGMA page_count")).scalar_one()) * int(
                    c.execute(text("PRAGMA page_size")).scalar_one())
            return int(c.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    finally:
        engine.dispose()


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def measure(backend: str, workers: int, origins: list[str], registry: Path, pages: int) -> WorkersMeasure:
    """One run: three jobs, ``workers`` worker processes, a fresh archive on ``backend``."""
    from sqlalchemy import func, select

    from pipeline.archive import db
    from pipeline.archive.models import Article
    from pipeline.crawling import queue

    with tempfile.TemporaryDirectory(prefix="baotinh-workers-") as tmp, _database(backend, Path(tmp)) as url:
        engine = db.make_engine(url)
        db.upgrade(engine)
        empty = _db_bytes(url)
        sessions = db.make_sessionmaker(engine)
        with sessions.begin() as s:
            for k, origin in enumerate(origins, start=1):
                queue.enqueue(s, CrawlRequest(sites=(f"wbench{k}",), origin=origin, max_pages=pages,
                                              local_server=True, autothrottle=False,
                                              per_domain_concurrency=PER_DOMAIN_CONCURRENCY))
        env = {k: v for k, v in os.environ.items() if not k.startswith("BAOTINH_")}
        env.update(BAOTINH_DB=url, BAOTINH_REGISTRY=str(registry), BAOTINH_CAPTURE_STORE=str(Path(tmp) / "store"))
        start = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        procs = [subprocess.Popen([sys.executable, "-m", "pipeline", "worker", "--until-idle", "--poll", "0.2",
                                   "--quiet"], env={**env, "BAOTINH_ARCHIVE": str(Path(tmp) / f"m{n}")},
                                  cwd=ROOT, stdout=subprocess.DEVNULL)
                 for n in range(workers)]
        for p in procs:
            p.wait()
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        with sessions() as s:
            articles = int(s.scalar(select(func.count()).select_from(Article)) or 0)
        engine.dispose()
        grown = _db_bytes(url) - empty
        return WorkersMeasure(workers, articles, seconds, grown, _folder_bytes(Path(tmp) / "store"), cpu)


def _pg_reachable() -> bool:
    try:
        from sqlalchemy import create_engine, text

        admin = create_engine(PG_ADMIN)
        with admin.connect() as c:
            c.execute(text("select 1"))
        admin.dispose()
        return True
    except Exception:
        return False


def run(articles: int = 300, pages: int = 150, runs: int = 1,
        backends: tuple[str, ...] = ("sqlite", "postgresql")) -> list[dict[str, object]]:
    """Rows for ``python -m benchmarks``: pages/s per worker count and bytes per article."""
    from .server import serve_static

    folders, registry = ensure_papers(articles)
    rows: list[dict[str, object]] = []
    with ExitStack() as stack:
        served = [stack.enter_context(serve_static(f, WORK / f"nginx-workers-{k}")) for k, f in enumerate(folders)]
        origins = [s.base_url for s in served]
        for backend in backends:
            if backend == "postgresql" and not _pg_reachable():
                continue
            by_n = {n: [measure(backend, n, origins, registry, pages) for _ in range(runs)] for n in (1, 2, 3)}
            for n, ms in by_n.items():
                rows.append({"name": f"{n} worker(s), 3 papers × {pages} pages, {backend}", "unit": "pages/s",
                             "values": [m.pages_per_second for m in ms],
                             "note": f"served by {served[0].kind}; start-up included"})
            ms = [m for group in by_n.values() for m in group if m.pages]
            rows.append({"name": f"workers' CPU per page, {backend}", "unit": "ms/page",
                         "values": [m.cpu_seconds * 1000 / m.pages for m in ms], "higher_is_better": False,
                         "note": "crawler, extraction, writer, start-up; the database server's CPU aside"})
            rows.append({"name": f"database bytes per article, {backend}", "unit": "KB",
                         "values": [m.db_bytes / m.pages / 1024 for m in ms], "higher_is_better": False})
            rows.append({"name": f"capture bytes per article, {backend}", "unit": "KB",
                         "values": [m.capture_bytes / m.pages / 1024 for m in ms], "higher_is_better": False,
                         "note": "gzip WARC, request + response, feeds and listings included"})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_workers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=300, help="articles per generated paper")
    parser.add_argument("--pages", type=int, default=150, help="article pages per paper (max-pages)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--backend", action="append", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    backends = tuple(args.backend) if args.backend else ("sqlite", "postgresql")
    for row in run(args.articles, args.pages, args.runs, backends):
        values = ", ".join(f"{v:.2f}" for v in row["values"])  # type: ignore[attr-defined]
        print(f"{row['name']}: {values} {row['unit']}")


if __name__ == "__main__":
    main()
