"""The backfill's writes are run again when PostgreSQL aborts them as a deadlock victim, and a batch
run twice is counted once (issue 15 follow-up): a real deadlock between the backfill's import and
another session of the same archive, on real PostgreSQL, the web archive served on 127.0.0.1."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, func, select, text
from warcio.archiveiterator import ArchiveIterator

from pipeline.demo import load_demo_articles

from .webarchives import Shot, WaybackFixture, make_legacy_warc

ARTICLES = load_demo_articles()
# the demo's articles of one section: the import adds to the same ledger rows for each of them
XA_HOI = [i for i, a in enumerate(ARTICLES) if a.path.startswith("/xa-hoi/")][:4]


class _Gated(WaybackFixture):
    """A Wayback whose ``hold``-th replay waits for ``go``, once ``asked`` says it is there."""

    def __init__(self, warcs: Sequence[Path], access_log: Path, *, hold: int) -> None:
        super().__init__(warcs, access_log)
        self.hold = hold
        self.asked = threading.Event()
        self.go = threading.Event()
        self._count = 0

    def replay(self, rest: str) -> tuple[int, list[tuple[str, str]], bytes]:
        with self._lock:
            self._count += 1
            held = self._count == self.hold
        if held:
            self.asked.set()
            self.go.wait(timeout=60)
        return super().replay(rest)


def _blocked_by(conn: Connection, pid: int) -> bool:
    """Whether a session waits for a lock that the session ``pid`` holds."""
    conn.execute(text("SELECT pg_stat_clear_snapshot()"))  # else the first look's view, for the transaction
    return bool(conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE :me = ANY(pg_blocking_pids(pid))"),
                            {"me": pid}))


def _wait_until(predicate: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_deadlocked_backfill_batch_is_run_again_and_counted_once(
        pg_migrated_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The backfill imports 4 captures. Before the second one, another session locks the run's
    ledger rows; the import's transaction writes the article (holding a key-share lock on its run's
    row) and waits for those rows; the other session then asks for the run's row: a deadlock.
    PostgreSQL aborts the import's transaction (its deadlock_timeout, 1 s, is the shorter); it is
    run again once the other session has rolled back. Every count and row is then exactly one per
    capture."""
    from pipeline.archive import db
    from pipeline.archive.fixity import verify_archive
    from pipeline.archive.models import Article, Capture, CrawlRun, ImportProvenance
    from pipeline.backfill.politeness import PoliteClient, Politeness
    from pipeline.backfill.run import BackfillOptions, BackfillResult
    from pipeline.backfill.sources import run_with_import
    from pipeline.backfill.wayback import WaybackSource
    from pipeline.config import Settings
    from pipeline.crawling.ledger import check_run_accounts, read_ledger, totals_by_metric
    from pipeline.registry.load import load_registry

    assert len(XA_HOI) == 4
    shots = [Shot(ARTICLES[i].path, (ARTICLES[i].published.astimezone(UTC) + timedelta(days=1)).replace(
        microsecond=0)) for i in XA_HOI]
    warc = make_legacy_warc(tmp_path / "xa-hoi.warc.gz", shots)
    fixture = _Gated([warc], tmp_path / "access.jsonl", hold=2)
    served = fixture.serve()
    settings = Settings(archive_dir=tmp_path / "archive", db_url=pg_migrated_url)
    source = WaybackSource(PoliteClient(Politeness(rate=500)), cdx_url=served.base_url + "/cdx/search/cdx",
                           replay_url=served.base_url + "/web")
    done: list[BackfillResult | BaseException] = []

    def backfill() -> None:
        try:
            done.append(run_with_import(settings, ["demo"], BackfillOptions(source="wayback"),
                                        registry=load_registry(), source=source, source_url=served.base_url))
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            done.append(exc)

    caplog.set_level(logging.WARNING, logger="pipeline.archive.transactions")
    engine = db.make_engine(pg_migrated_url)
    thread = threading.Thread(target=backfill)
    try:
        thread.start()
        assert fixture.asked.wait(30), "the backfill never asked for its second capture"
        with engine.connect() as other:  # the first capture is committed; the second one waits
            tx = other.begin()
            other.execute(text("SET LOCAL deadlock_timeout = '60s'"))  # the import is the victim
            run_id = other.scalar(select(func.max(CrawlRun.id)))
            other.execute(text("SELECT id FROM crawl_ledger WHERE run_id = :r FOR UPDATE"), {"r": run_id})
            me = int(other.scalar(text("SELECT pg_backend_pid()")))
            fixture.go.set()
            _wait_until(lambda: _blocked_by(other, me))  # the import's transaction waits for the ledger rows
            # its new article refers to the run: this waits for the import, which waits for us
            other.execute(text("SELECT id FROM crawl_runs WHERE id = :r FOR UPDATE"), {"r": run_id})
            tx.rollback()
        thread.join(timeout=60)
    finally:
        fixture.go.set()
        thread.join(timeout=60)
        served.stop()
    assert len(done) == 1 and isinstance(done[0], BackfillResult), done
    retried = [r for r in caplog.records if "40P01" in r.getMessage()]
    assert len(retried) == 1  # one deadlock, one more attempt

    (site,) = done[0].sites
    assert (site.status, site.fetched, site.new, site.updated, site.unchanged, site.skipped, site.failed) == (
        "ok", 4, 4, 0, 0, 0, 0)
    with db.make_sessionmaker(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 4
        assert session.scalar(select(func.count(func.distinct(ImportProvenance.source_key)))) == 4
        assert session.scalar(select(func.count()).select_from(ImportProvenance)) == 4
        assert session.scalar(select(func.count()).select_from(Capture)) == 4
        run = session.get(CrawlRun, site.run_id)
        assert run is not None
        assert (run.status, run.pages_fetched, run.articles_new, run.errors) == ("ok", 4, 4, 0)
        assert check_run_accounts(session, run.id) is None
        totals = totals_by_metric(read_ledger(session, run.id))
        assert (totals["discovered"], totals["fetched"], totals["new"]) == ({"import": 4}, {"": 4}, {"": 4})
        report = verify_archive(session, settings.archive_dir)
        assert report.ok and report.records == 4, report
    engine.dispose()
    # the captures' copies were written once, before the transaction, whatever its attempts
    responses = 0
    for path in (settings.archive_dir / "captures").rglob("*.warc.gz"):
        with path.open("rb") as fh:
            responses += sum(1 for r in ArchiveIterator(fh) if r.rec_type == "response")
    assert responses == 4
