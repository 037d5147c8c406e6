"""Archive writes: rows/s of ``store.upsert_articles`` in the crawler's batch size.

``make_records`` gives bare records (the store computes SimHashes and folds); ``make_items`` the
:class:`StoreItem` s a crawl hands the store, with the extraction worker's SimHash and fold.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.archive import db, store
from pipeline.record import ArticleRecord, StoreItem
from pipeline.registry.load import load_registry
from pipeline.text.fold import fold
from pipeline.text.normalise import count_words, sha256_text
from pipeline.text.simhash import simhash_text

from .sitegen import generate_articles

BATCH = 50  # the crawler's BAOTINH_STORE_BATCH


def make_records(n: int) -> list[ArticleRecord]:
    now = datetime.now(UTC)
    out = []
    for a in generate_articles(n, seed=7):
        text = "\n".join((a.lead,) + a.paragraphs)
        out.append(ArticleRecord(
            url=f"http://demo.baotinh.test{a.path}", canonical_url=f"http://demo.baotinh.test{a.path}",
            site="demo", title=a.title, description=a.lead, author=a.byline,
            published_at=a.published, section=a.section, tags=("Hải Dương",), language="vi",
            text=text, word_count=count_words(text), content_sha256=sha256_text(text),
            fetched_at=now - timedelta(seconds=1), extractor_version="bench",
        ))
    return out


def make_items(records: Sequence[ArticleRecord]) -> list[StoreItem]:
    """The items a crawl hands the store: each record with the worker's SimHash and text fold."""
    items = []
    for r in records:
        folded = fold(r.text)
        items.append(StoreItem(record=r, simhash=simhash_text(r.text, folded=folded), simhash_known=True,
                               folded_text=folded))
    return items


def measure_upserts(url: str, records: Sequence[ArticleRecord | StoreItem]) -> float:
    """Rows per second inserting ``records`` in batches, one transaction a batch."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    sessions = db.make_sessionmaker(engine)
    with sessions.begin() as s:
        store.sync_source(s, load_registry().get("demo"))
    start = time.perf_counter()
    for i in range(0, len(records), BATCH):
        with sessions.begin() as s:
            store.upsert_articles(s, records[i:i + BATCH])
    elapsed = time.perf_counter() - start
    engine.dispose()
    return len(records) / elapsed


def sqlite_rate(records: Sequence[ArticleRecord | StoreItem]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        return measure_upserts(f"sqlite:///{Path(tmp) / 'b.sqlite'}", records)


def postgres_rate(records: Sequence[ArticleRecord | StoreItem], admin_url: str) -> float | None:
    """Rows/s on a throwaway PostgreSQL database, or None when the server is absent."""
    with throwaway_postgres(admin_url) as url:
        return None if url is None else measure_upserts(url, records)


@contextmanager
def throwaway_postgres(admin_url: str, prefix: str = "baotinh_bench") -> Iterator[str | None]:
    """A new, empty database on the server of ``admin_url`` (dropped afterwards); None when absent.
    Every benchmark that needs one uses this."""
    from sqlalchemy import create_engine, text

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:
        admin.dispose()
        yield None
        return
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
