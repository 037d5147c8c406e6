"""``baotinh backfill`` end to end (issue 17, acceptance 2, 3, 4), offline: the demo paper as the web's
archives kept it under its legacy domain, served by the Wayback and Common Crawl fixtures
(tests/webarchives.py) on 127.0.0.1, backfilled by the CLI in a subprocess into real SQLite."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.demo import DemoSite, load_demo_articles, serve_site

from .conftest import ROOT, CliResult, run_cli
from .webarchives import LEGACY_HOST, CommonCrawlFixture, Served, Shot, WaybackFixture, make_legacy_warc

pytestmark = pytest.mark.slow

ARTICLES = load_demo_articles()
SMALL = 6  # articles of the politeness and resumption tests
CURRENT = "demo.baotinh.test"


def captured_at(index: int) -> datetime:
    """When the web archive captured article ``index``: the day after it was published."""
    return (ARTICLES[index].published.astimezone(UTC) + timedelta(days=1)).replace(microsecond=0)


@pytest.fixture(scope="module")
def legacy_warc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every demo article captured once under the legacy domain, plus a second identical capture of
    one (the index collapses it), the home page and a page that answered 404 (neither archived)."""
    shots = [Shot(a.path, captured_at(i)) for i, a in enumerate(ARTICLES)]
    shots += [Shot(ARTICLES[0].path, captured_at(0) + timedelta(days=30)),
              Shot("/", datetime(2024, 1, 1, tzinfo=UTC)),
              Shot("/xa-hoi/bai-da-go-999999.html", datetime(2024, 1, 2, tzinfo=UTC))]
    return make_legacy_warc(tmp_path_factory.mktemp("warc") / "legacy-2019.warc.gz", shots)


def invoke(*args: str, archive: Path) -> CliResult:
    """``baotinh --archive ARCHIVE ARGS`` in this process: the real CLI without a new interpreter
    (the resumption test runs it in a subprocess, as cron would)."""
    from click.testing import CliRunner

    from pipeline.cli.main import cli

    result = CliRunner(env={"BAOTINH_DB": None, "BAOTINH_ARCHIVE": None}).invoke(
        cli, ["--archive", str(archive), *args], prog_name="baotinh")
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += f"Traceback: {result.exception!r}\n"
    return CliResult(result.exit_code, result.stdout, stderr)


def rows(archive: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(archive / "baotinh.sqlite")
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("select * from articles order by canonical_url").fetchall()
    finally:
        conn.close()


def expected_dates() -> dict[str, str]:
    return {f"http://{CURRENT}{a.path}": captured_at(i).isoformat() for i, a in enumerate(ARTICLES)}


def as_utc(value: str) -> str:
    return datetime.fromisoformat(value).astimezone(UTC).isoformat()


@pytest.fixture
def wayback(legacy_warc: Path, tmp_path: Path) -> Iterator[Served]:
    served = WaybackFixture([legacy_warc], tmp_path / "wayback-access.jsonl").serve()
    yield served
    served.stop()


def backfill_args(served: Served, source: str, *extra: str) -> list[str]:
    if source == "wayback":
        urls = ["--cdx-url", served.base_url + "/cdx/search/cdx", "--replay-url", served.base_url + "/web"]
    else:
        urls = ["--cdx-url", served.base_url, "--replay-url", served.base_url]
    return ["backfill", "demo", "--source", source, *urls, *extra]


def test_wayback_backfill_of_the_legacy_domain(wayback: Served, archive: Path, demo_articles: Path) -> None:
    result = invoke(*backfill_args(wayback, "wayback", "--rate", "500", "--from", "2019", "--to", "2025-06"),
                    archive=archive)
    assert result.returncode == 0, result.stderr
    assert "demo: ok" in result.stdout and f"{len(ARTICLES)} new" in result.stdout
    archived = rows(archive)
    # every article, under its current domain, dated by its capture
    assert {r["canonical_url"]: as_utc(r["fetched_at"]) for r in archived} == expected_dates()
    assert all(r["site"] == "demo" and r["url"].startswith(f"http://{LEGACY_HOST}/") for r in archived)
    replays = [r["path"] for r in wayback.requests() if r["path"].startswith("/web/")]
    assert len(replays) == len(set(replays)) == len(ARTICLES)  # one fetch each, nothing else

    found = invoke("search", "kim thanh", "--json", archive=archive)
    assert found.returncode == 0 and "huyen-uy-kim-thanh" in found.stdout
    seed = next(r for r in archived if "huyen-uy-kim-thanh" in r["canonical_url"])
    shown = invoke("show", str(seed["id"]), archive=archive)
    assert shown.returncode == 0, shown.stderr
    assert f"{wayback.base_url}/web/{captured_at(31):%Y%m%d%H%M%S}id_/http://{LEGACY_HOST}/" in shown.stdout

    # A later live crawl under the current domain: versions of the same rows, not new rows.
    toml = next(demo_articles.glob("105123-*.toml"))
    toml.write_text(toml.read_text("utf-8").replace("Từ năm 2016 đến nay", "Từ năm 2015 đến nay"), "utf-8")
    with serve_site(DemoSite(demo_articles)) as live:
        crawl = run_cli("crawl", "demo", "--origin", live.base_url, "--delay", "0.01", "--workers", "0",
                        archive=archive)
    assert crawl.returncode == 0, crawl.stderr
    assert "0 new" in crawl.stdout
    after = rows(archive)
    assert len(after) == len(ARTICLES)
    conn = sqlite3.connect(archive / "baotinh.sqlite")
    try:
        versions = conn.execute("select version, valid_from, text from article_versions where article_id = ? "
                                "order by version", (seed["id"],)).fetchall()
        current = conn.execute("select version, fetched_at, text from articles where id = ?", (seed["id"],)).fetchone()
    finally:
        conn.close()
    assert current[0] == 2 and current[2].startswith("Từ năm 2015")
    assert [(v[0], as_utc(v[1]), v[2][:19]) for v in versions] == [(1, captured_at(31).isoformat(),
                                                                     "Từ năm 2016 đến nay")]
    assert as_utc(current[1]) > captured_at(31).isoformat()


def test_commoncrawl_backfill_from_warc_ranges(legacy_warc: Path, archive: Path, tmp_path: Path) -> None:
    served = CommonCrawlFixture([legacy_warc], tmp_path / "cc-access.jsonl", page_size=10).serve()
    try:
        result = invoke(*backfill_args(served, "commoncrawl", "--rate", "500"), archive=archive)
        requests = served.requests()
    finally:
        served.stop()
    assert result.returncode == 0, result.stderr
    assert f"{len(ARTICLES)} new" in result.stdout
    assert {r["canonical_url"]: as_utc(r["fetched_at"]) for r in rows(archive)} == expected_dates()
    ranges = [r for r in requests if r["path"] == "/legacy-2019.warc.gz"]
    assert len(ranges) == len(ARTICLES) and all(r["range"].startswith("bytes=") and r["status"] == 206
                                                  for r in ranges)
    seed = next(r for r in rows(archive) if "huyen-uy-kim-thanh" in r["canonical_url"])
    shown = invoke("show", seed["canonical_url"], archive=archive)
    assert f"{served.base_url}/legacy-2019.warc.gz#offset=" in shown.stdout, shown.stdout


@pytest.fixture(scope="module")
def small_warc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    shots = [Shot(a.path, captured_at(i)) for i, a in enumerate(ARTICLES[:SMALL])]
    return make_legacy_warc(tmp_path_factory.mktemp("small") / "small.warc.gz", shots)


def test_rate_held_and_retry_after_honoured(small_warc: Path, archive: Path, tmp_path: Path) -> None:
    served = WaybackFixture([small_warc], tmp_path / "access.jsonl", refuse_every=4, retry_after=1).serve()
    try:
        result = invoke(*backfill_args(served, "wayback", "--rate", "8"), archive=archive)
        log = served.requests()
    finally:
        served.stop()
    assert result.returncode == 0, result.stderr
    assert f"{SMALL} new" in result.stdout
    gaps = [b["t"] - a["t"] for a, b in zip(log, log[1:], strict=False)]
    assert min(gaps) >= 1 / 8 - 0.01, gaps  # the rate: 8 requests a second at most, every request
    refused = [i for i, r in enumerate(log) if r["status"] == 429]
    assert len(refused) == 2  # the 1st and the 5th replay
    for i in refused:  # the same capture asked again, not before Retry-After: 1 had passed
        assert log[i + 1]["path"] == log[i]["path"] and log[i + 1]["t"] - log[i]["t"] >= 1.0 - 0.01
    assert all(r["ua"].startswith("baotinh/") for r in log)


def test_killed_backfill_resumes_without_refetching(small_warc: Path, archive: Path, tmp_path: Path) -> None:
    served = WaybackFixture([small_warc], tmp_path / "access.jsonl").serve()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOTINH_")}
    env["BAOTINH_ARCHIVE"] = str(archive)
    try:
        proc = subprocess.Popen([sys.executable, "-m", "pipeline", *backfill_args(served, "wayback", "--rate", "6")],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if sum(1 for r in served.requests() if r["path"].startswith("/web/")) >= 3:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        first = served.requests()
        archived_first = {r["url"] for r in rows(archive)}
        assert 0 < len(archived_first) < SMALL
        resumed = invoke(*backfill_args(served, "wayback", "--rate", "500"), archive=archive)
        second = served.requests()[len(first):]
    finally:
        served.stop()
    assert resumed.returncode == 0, resumed.stderr
    assert len(rows(archive)) == SMALL
    # the listing was finished before the kill: not asked again; no archived capture fetched again
    assert not [r for r in second if r["path"].startswith("/cdx/")]
    again = {r["path"].split("id_/", 1)[1] for r in second if r["path"].startswith("/web/")}
    assert not again & archived_first
    fetched = [r["path"] for r in first + second if r["path"].startswith("/web/")]
    assert len(set(fetched)) == SMALL and len(fetched) <= SMALL + 1  # at most the one in flight at the kill
    conn = sqlite3.connect(archive / "baotinh.sqlite")
    try:
        statuses = [r[0] for r in conn.execute("select status from crawl_runs order by id")]
    finally:
        conn.close()
    assert statuses == ["interrupted", "ok"]


class _Missing(WaybackFixture):
    """A Wayback whose index lists a capture that its replay no longer has (404)."""

    def replay(self, rest: str) -> tuple[int, list[tuple[str, str]], bytes]:
        if rest.endswith(ARTICLES[1].path):
            return 404, [("Content-Type", "text/plain")], b"gone"
        return super().replay(rest)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_partial_and_failed_runs_keep_their_accounts(small_warc: Path, tmp_path: Path, backend: str,
                                                     request: pytest.FixtureRequest) -> None:
    from pipeline.archive import db
    from pipeline.backfill.politeness import PoliteClient, Politeness
    from pipeline.backfill.run import BackfillOptions
    from pipeline.backfill.sources import run_with_import
    from pipeline.backfill.wayback import WaybackSource
    from pipeline.config import Settings
    from pipeline.crawling.ledger import check_run_accounts, read_ledger, totals_by_metric
    from pipeline.registry.load import load_registry

    db_url = request.getfixturevalue("pg_migrated_url") if backend == "postgresql" else None
    settings = Settings(archive_dir=tmp_path / "archive", db_url=db_url)
    registry = load_registry()
    options = BackfillOptions(source="wayback")
    served = _Missing([small_warc], tmp_path / "access.jsonl", refuse_every=4, retry_after=30).serve()
    try:  # Retry-After: 30 is cut to 0.05 s, and counted
        client = PoliteClient(Politeness(rate=500, retries=1, retry_after_max=0.05))
        source = WaybackSource(client, cdx_url=served.base_url + "/cdx/search/cdx", replay_url=served.base_url + "/web")
        result = run_with_import(settings, ["demo"], options, registry=registry, source=source,
                                 source_url=served.base_url)
    finally:
        served.stop()
    (site,) = result.sites
    assert (site.status, result.exit_code, site.new, site.failed) == ("partial", 3, SMALL - 1, 1)
    assert site.failures == [(f"http://{LEGACY_HOST}{ARTICLES[1].path}", "http_404")]

    dead = WaybackSource(PoliteClient(Politeness(retries=0, timeout=2)), cdx_url="http://127.0.0.1:9/cdx",
                         replay_url="http://127.0.0.1:9/web")
    down = run_with_import(settings, ["demo"], options, registry=registry, source=dead, source_url="dead")
    assert (down.sites[0].status, down.exit_code) == ("failed", 1) and "127.0.0.1:9" in (down.sites[0].message or "")

    engine = db.make_engine(settings.database_url)
    try:
        with db.make_sessionmaker(engine)() as session:
            assert check_run_accounts(session, site.run_id) is None
            totals = totals_by_metric(read_ledger(session, site.run_id))
            assert totals["failed"] == {"http_404": 1} and totals["new"] == {"": SMALL - 1}
            assert totals["budget"] == {"retry_after_capped": 2}
    finally:
        engine.dispose()
