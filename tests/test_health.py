"""``baotinh health``: stale and failing sites, from archive state set up through the store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from pipeline.archive import db, store
from pipeline.crawling.health import check_health
from pipeline.record import ArticleRecord
from pipeline.registry.load import Site

from .conftest import MigratedSqlite, run_cli

NOW = datetime.now(UTC)


def _site(site_id: str) -> Site:
    return Site(id=site_id, name=site_id, domains=(f"{site_id}.test",), scheme="http",
                start_urls=(f"http://{site_id}.test/",))


def _record(site_id: str, n: int) -> ArticleRecord:
    url = f"http://{site_id}.test/xa-hoi/bai-{n}-{1000 + n}.html"
    return ArticleRecord(url=url, canonical_url=url, site=site_id, title=f"Bài {n}",
                         text="Nội dung bài báo.", word_count=4, content_sha256=f"{n:064d}")


def _crawl(sessions: sessionmaker[Session], site_id: str, *, at: datetime, new: int,
           status: str = "ok") -> None:
    """A finished run of ``site_id`` at ``at`` that archived ``new`` new articles."""
    with sessions.begin() as session:
        store.sync_source(session, _site(site_id), now=at)
        run_id = store.start_run(session, site_id, now=at)
        start = int(at.timestamp())
        counts = store.upsert_articles(session, [_record(site_id, start + i) for i in range(new)],
                                       run_id=run_id, now=at)
        store.finish_run(session, run_id, status=status, now=at + timedelta(minutes=5),
                         counts=store.RunCounts(articles_new=counts.new, pages_fetched=new),
                         message="cannot reach the site" if status == "failed" else None)


@pytest.fixture
def sessions(archive: Path, migrated_sqlite: MigratedSqlite) -> sessionmaker[Session]:
    engine = db.make_engine(migrated_sqlite(archive / "baotinh.sqlite"))
    return db.make_sessionmaker(engine)


def test_site_with_nothing_new_for_longer_than_the_window_is_stale(
        sessions: sessionmaker[Session], archive: Path) -> None:
    # "old" archived its last new article 10 days ago; its runs since then found nothing new.
    _crawl(sessions, "old", at=NOW - timedelta(days=10), new=3)
    _crawl(sessions, "old", at=NOW - timedelta(days=1), new=0)
    _crawl(sessions, "fresh", at=NOW - timedelta(hours=6), new=2)

    with sessions() as session:
        report = {h.site: h for h in check_health(session, stale_days=3, now=NOW)}
    assert report["old"].status == "stale" and "10 days" in report["old"].reason
    assert report["fresh"].status == "ok"

    result = run_cli("health", "--json", archive=archive)
    assert result.returncode == 1, result.stderr
    lines = {d["site"]: d for d in (json.loads(x) for x in result.stdout.splitlines())}
    assert lines["old"]["status"] == "stale" and lines["fresh"]["status"] == "ok"
    assert "old (stale)" in result.stderr and len(result.stderr.strip().splitlines()) == 1

    # A wider window makes it healthy: exit 0.
    wide = run_cli("health", "--stale-days", "30", archive=archive)
    assert wide.returncode == 0, wide.stdout + wide.stderr


def test_site_whose_last_run_failed_is_failing(sessions: sessionmaker[Session], archive: Path) -> None:
    _crawl(sessions, "down", at=NOW - timedelta(hours=12), new=4)
    _crawl(sessions, "down", at=NOW - timedelta(hours=1), new=0, status="failed")
    with sessions() as session:
        (h,) = check_health(session, stale_days=3, now=NOW)
    assert h.status == "failing" and "cannot reach the site" in h.reason
    result = run_cli("health", "--quiet", archive=archive)
    assert result.returncode == 1
    assert "down" in result.stdout and "failing" in result.stdout


def test_all_sites_healthy_exit_zero(sessions: sessionmaker[Session], archive: Path) -> None:
    _crawl(sessions, "fresh", at=NOW - timedelta(hours=2), new=1)
    result = run_cli("health", archive=archive)
    assert result.returncode == 0, result.stderr
    assert "fresh" in result.stdout and "ok" in result.stdout


def test_site_never_archiving_anything_is_empty_inside_and_after_the_window(
        sessions: sessionmaker[Session]) -> None:
    # Issue 14 (9): a crawled site with nothing archived is never "ok", however young.
    _crawl(sessions, "empty", at=NOW - timedelta(days=5), new=0)
    with sessions() as session:
        (h,) = check_health(session, stale_days=3, now=NOW)
        assert h.status == "empty" and "no article ever" in h.reason
        (young,) = check_health(session, stale_days=7, now=NOW)
        assert young.status == "empty" and not young.ok
