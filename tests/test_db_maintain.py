"""PostgreSQL's recent search index kept up to date by the commands operators run (issue 15):
``baotinh db maintain`` for cron, and the crawl, a worker, ``db copy`` where their writes end."""

from __future__ import annotations

import socket
from pathlib import Path

from sqlalchemy import func, select, text

from pipeline.archive import db
from pipeline.archive.models import Article
from pipeline.archive.recent_index import LOCK_KEY, RecentIndex, Tier, newest_run, read_tiers
from pipeline.archive.upkeep import describe_recent_index, is_postgresql, left_for_later, upkeep_after_writes
from pipeline.crawling import queue
from pipeline.crawling.protocol import CrawlRequest
from tests.conftest import MigratedSqlite, PgCopy, ServedSite, run_cli
from tests.test_db_copy import fill_archive


def index_state(url: str) -> tuple[tuple[tuple[int, int | None], ...], int]:
    """The ranges of the unbroken run of valid tiers, newest first, and the highest article id."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            top = int(conn.scalar(select(func.coalesce(func.max(Article.id), 0))) or 0)
            return newest_run(read_tiers(conn)), top
    finally:
        engine.dispose()


def tiers_for(top: int, span: int) -> tuple[tuple[int, int | None], ...]:
    """The run of tiers of span ``span`` expected at ``top`` (four closed ones at most)."""
    first = top // span
    return ((first * span, None), *((k * span, (k + 1) * span) for k in range(first - 1, max(-1, first - 5), -1)))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- baotinh db maintain ----------------------------------------------------------------------
def test_db_maintain_reports_and_rebuilds_when_due_or_forced(pg_copy: PgCopy) -> None:
    url = pg_copy(fill_archive)
    run, top = index_state(url)
    assert run == ((0, None),) and top > 20  # built by the migration: one open tier over the (small) archive
    r = run_cli("db", "maintain", db=url)
    assert (r.returncode, r.stdout, r.stderr) == (0, f"recent search tiers: 1 over ids >= 0 of {top:,}, not due\n", "")
    # a span of 10: the open tier is closed, and the tiers below it built
    r = run_cli("db", "maintain", "--json", db=url, env={"BAOTINH_RECENT_SPAN": "10"})
    assert r.returncode == 0, r.stderr
    state = r.json()
    assert isinstance(state, dict)
    want = tiers_for(top, 10)
    assert (state["maintained"], state["rebuilt"], state["top"], state["span"], state["note"]) == \
        (True, True, top, 10, "")
    assert [tuple(t) for t in state["tiers"]] == list(want) and state["covered_from"] == want[-1][0]
    assert index_state(url) == (want, top)
    r = run_cli("db", "maintain", db=url, env={"BAOTINH_RECENT_SPAN": "10"})
    assert r.returncode == 0
    assert r.stdout == f"recent search tiers: {len(want)} over ids >= {want[-1][0]} of {top:,}, not due\n"
    # --force builds them now over the default span: one open tier again, the closed ones dropped
    r = run_cli("db", "maintain", "--force", db=url)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"recent search tiers: rebuilt, 1 over ids >= 0 of {top:,}, ")
    assert r.stdout.endswith(" s\n")
    assert index_state(url) == (((0, None),), top)


def test_tiers_off_drops_them_and_search_goes_on(pg_copy: PgCopy) -> None:
    """``BAOTINH_SEARCH_TIERS=off``: an archive that puts its writers first keeps no tiers; its
    searches read the archive's index alone and find the same articles."""
    url = pg_copy(fill_archive)
    before = run_cli("search", "--json", "Hải Dương", db=url)
    r = run_cli("db", "maintain", db=url, env={"BAOTINH_SEARCH_TIERS": "off"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("recent search tiers: dropped (BAOTINH_SEARCH_TIERS=off), ")
    assert index_state(url)[0] == ()
    after = run_cli("search", "--json", "Hải Dương", db=url)
    assert after.returncode == before.returncode == 0 and after.json() == before.json()
    r = run_cli("db", "maintain", db=url, env={"BAOTINH_SEARCH_TIERS": "maybe"})
    assert r.returncode == 78 and r.stderr == "error: BAOTINH_SEARCH_TIERS must be on or off, not 'maybe'\n"
    r = run_cli("db", "maintain", db=url)  # on again: the open tier comes back
    assert r.returncode == 0 and index_state(url)[0] == ((0, None),)


def test_db_maintain_leaves_a_build_under_way_elsewhere(pg_migrated_url: str) -> None:
    engine = db.make_engine(pg_migrated_url)
    try:
        with engine.connect() as other:
            other.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_KEY})
            r = run_cli("db", "maintain", "--force", db=pg_migrated_url)
            other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
    finally:
        engine.dispose()
    assert r.returncode == 0, r.stderr
    assert r.stdout == "recent search tiers: 1 over ids >= 0 of 0; another process is building it\n"


def test_db_maintain_on_sqlite_has_nothing_to_do(tmp_path: Path) -> None:
    r = run_cli("db", "maintain", archive=tmp_path / "archive")
    assert (r.returncode, r.stdout, r.stderr) == (0, "nothing to maintain on SQLite: FTS5 reads the newest "
                                                     "matches first\n", "")
    r = run_cli("db", "maintain", "--force", "--json", archive=tmp_path / "archive")
    assert r.returncode == 0 and r.json() == {"database": str(tmp_path / "archive" / "baotinh.sqlite"),
                                              "maintained": False,
                                              "message": "nothing to maintain on SQLite: FTS5 reads the newest "
                                                         "matches first"}
    assert not (tmp_path / "archive").exists()  # nothing opened, nothing created
    r = run_cli("db", "maintain", db="nonsense")
    assert (r.returncode, r.stderr) == (78, "error: not a SQLite or PostgreSQL database URL: 'nonsense'\n")


def test_db_maintain_on_a_dead_server_is_the_usual_error(tmp_path: Path) -> None:
    r = run_cli("db", "maintain", db=f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/baotinh")
    assert r.returncode == 74 and r.stdout == ""
    assert r.stderr.startswith("error: cannot open the archive database postgresql+psycopg://")
    r = run_cli("db", "maintain", db="postgresql+psycopg://postgres@127.0.0.1/x", env={"BAOTINH_RECENT_SPAN": "0"})
    assert r.returncode == 78 and r.stderr == "error: BAOTINH_RECENT_SPAN must be a positive whole number, not '0'\n"


def test_the_line_of_each_outcome() -> None:
    line = describe_recent_index
    tiers = (Tier("ix_articles_search_recent", 1_000_000, None), Tier("ix_articles_search_ids_4", 800_000, 1_000_000))
    assert line(RecentIndex(tiers, 1_000_000, rebuilt=True, seconds=12.34)) == \
        "recent search tiers: rebuilt, 2 over ids >= 800000 of 1,000,000, 12.3 s"
    busy = RecentIndex(tiers, 5, rebuilt=False, note="another process is building it", busy=True)
    late = RecentIndex((), 5, rebuilt=False, note="not rebuilt, left for the next time: canceling statement "
                                                  "due to lock timeout")
    assert line(late) == ("recent search tiers: none valid; not rebuilt, left for the next time: canceling "
                          "statement due to lock timeout")
    assert [left_for_later(s) for s in (busy, late, RecentIndex(tiers, 5, rebuilt=False))] == [False, True, False]


# -- where writes end ------------------------------------------------------------------------
def test_upkeep_is_silent_on_sqlite_and_a_warning_on_a_dead_server(tmp_path: Path) -> None:
    sqlite = f"sqlite:///{tmp_path / 'a.sqlite'}"
    assert not is_postgresql(sqlite) and not is_postgresql("no url")
    assert upkeep_after_writes(sqlite) is None and not (tmp_path / "a.sqlite").exists()
    warning = upkeep_after_writes(f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/baotinh")
    assert warning is not None and warning.startswith("the recent search tiers were not maintained: ")
    assert "\n" not in warning


def test_db_copy_to_postgresql_leaves_a_recent_index_over_the_copied_ids(
        tmp_path: Path, migrated_sqlite: MigratedSqlite, pg_url: str, pg_copy: PgCopy) -> None:
    source = migrated_sqlite(tmp_path / "a" / "baotinh.sqlite", fill=fill_archive)
    r = run_cli("db", "copy", "--from", source, "--to", pg_url, "--quiet")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    run, top = index_state(pg_url)
    assert (run, top > 20) == (((0, None),), True)  # the default span: one open tier over every copied id
    target = pg_copy()
    r = run_cli("db", "copy", "--from", source, "--to", target, "--quiet", env={"BAOTINH_RECENT_SPAN": "5"})
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert index_state(target) == (tiers_for(top, 5), top)  # tiers of 5 ids over the newest of the copied


def test_a_failed_upkeep_is_one_warning_and_keeps_the_exit_code(
        tmp_path: Path, migrated_sqlite: MigratedSqlite, pg_migrated_url: str) -> None:
    source = migrated_sqlite(tmp_path / "a" / "baotinh.sqlite", fill=fill_archive)
    r = run_cli("db", "copy", "--from", source, "--to", pg_migrated_url, "--quiet",
                env={"BAOTINH_RECENT_SPAN": "many"})
    assert r.returncode == 0 and r.stdout.endswith("every table verified\n")
    assert r.stderr == "warning: BAOTINH_RECENT_SPAN must be a positive whole number, not 'many'\n"


def test_a_crawl_on_postgresql_moves_the_recent_index_silently(demo_server: ServedSite, tmp_path: Path,
                                                               pg_migrated_url: str) -> None:
    r = run_cli("crawl", "demo", "--origin", demo_server.base_url, "--delay", "0.01", "--workers", "0",
                "--max-pages", "12", "--quiet", archive=tmp_path / "archive", db=pg_migrated_url,
                env={"BAOTINH_RECENT_SPAN": "4"})
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")  # cron mail: nothing
    run, top = index_state(pg_migrated_url)
    assert top >= 8 and run == tiers_for(top, 4)  # due (the open tier passed 4 ids): closed, tiers below built


def test_a_worker_moves_the_recent_index_between_jobs(demo_server: ServedSite, tmp_path: Path,
                                                      pg_migrated_url: str) -> None:
    engine = db.make_engine(pg_migrated_url)
    try:
        with db.make_sessionmaker(engine).begin() as s:
            queue.enqueue(s, CrawlRequest(sites=("demo",), origin=demo_server.base_url, workers=0, delay=0.01,
                                          max_pages=10))
    finally:
        engine.dispose()
    r = run_cli("worker", "--until-idle", "--quiet", archive=tmp_path / "archive", db=pg_migrated_url,
                env={"BAOTINH_RECENT_SPAN": "3"})
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    run, top = index_state(pg_migrated_url)
    assert top >= 6 and run == tiers_for(top, 3)
