"""Crawl workers on many machines (issue 15, acceptance 3): the queue, its leases, takeover.

Three ``baotinh worker`` processes, each with a folder of its own (as if on three machines),
share one PostgreSQL archive and one capture store, and crawl four fixture papers, each served
by its own loopback server with an access log. One worker is SIGKILLed half way through a site,
with its crawler child: the site is taken over once the (3 s) lease expires, and finished.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.archive import db
from pipeline.archive.models import (
    Article,
    ArticleVersion,
    Capture,
    CrawlJob,
    CrawlLease,
    CrawlRun,
    FrontierEntry,
    RunLock,
)
from pipeline.crawling import queue
from pipeline.crawling.protocol import CrawlRequest
from pipeline.demo.misbehaviour import Misbehaviour
from pipeline.demo.server import RunningServer, start_server
from pipeline.demo.site import DemoSite
from tests.conftest import ROOT, MigratedSqlite, ServedSite, run_cli

PAPERS = ("w1", "w2", "w3", "w4")
LEASE = 3.0
REGISTRY = """
[[sites]]
id = "{id}"
fixture = true
name = "Báo thử {id}"
province_before = "Hải Dương"
province_after = "Hải Phòng"
family = "slug-id-html"
domains = ["{id}.baotinh.test"]
scheme = "http"
start_urls = ["/", "/chinh-tri", "/kinh-te", "/xa-hoi", "/van-hoa"]
feeds = ["/rss/home.rss"]
"""


# -- the queue itself, on both backends (pure library, fast) -----------------------------------
def test_leases_expire_and_are_taken_over_once(engine: Engine) -> None:
    sessions = db.make_sessionmaker(engine)
    request = CrawlRequest(sites=("demo",), max_pages=5)
    with sessions.begin() as s:
        first = queue.enqueue(s, request)
        assert first is not None
        assert queue.enqueue(s, request) is None  # one open job per site: cron twice adds nothing
    with sessions.begin() as s:
        job = queue.take_job(s, "a:1", lease=timedelta(seconds=60))
    assert job is not None and job.request == request and job.taken_over is None
    with sessions.begin() as s:
        assert queue.take_job(s, "b:2", lease=timedelta(seconds=60)) is None  # leased, not expired
    later = job_time = _aware_now() + timedelta(seconds=61)
    with sessions.begin() as s:
        again = queue.take_job(s, "b:2", lease=timedelta(seconds=60), now=later)
    assert again is not None and again.taken_over == "a:1" and again.attempts == 2
    with sessions.begin() as s:  # the dead owner can neither renew nor finish it any more
        assert not queue.renew_lease(s, job, now=job_time)
        assert not queue.finish_job(s, job, exit_code=0, now=job_time)
        assert queue.finish_job(s, again, exit_code=0, now=job_time)
    with sessions() as s:
        leases = s.execute(select(CrawlLease.owner, CrawlLease.outcome).order_by(CrawlLease.id)).all()
        assert [tuple(r) for r in leases] == [("a:1", "expired"), ("b:2", "done")]
        assert s.scalar(select(CrawlJob.state)) == "done"
    with sessions.begin() as s:  # a finished site can be queued again
        assert queue.enqueue(s, request) is not None


def test_a_released_job_waits_its_turn(engine: Engine) -> None:
    sessions = db.make_sessionmaker(engine)
    with sessions.begin() as s:
        queue.enqueue_sites(s, CrawlRequest(sites=("demo", "demo2", "demo")))
        assert queue.queue_counts(s) == {"queued": 2}
        job = queue.take_job(s, "a:1")
        assert job is not None and job.site_id == "demo"
        assert queue.release_job(s, job, retry_in=timedelta(minutes=5))
        nxt = queue.take_job(s, "a:1")
        assert nxt is not None and nxt.site_id == "demo2"  # the released one is not due yet
        assert queue.take_job(s, "a:1") is None


def _aware_now() -> datetime:
    return datetime.now(UTC)


def test_crawl_enqueue_queues_instead_of_crawling(archive: Path) -> None:
    r = run_cli("crawl", "demo", "--enqueue", "--max-pages", "3", archive=archive)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "queued 1 job(s)"
    r = run_cli("queue", "--json", archive=archive)
    assert r.returncode == 0, r.stderr
    assert r.json() == {"counts": {"queued": 1}, "leased": []}
    assert not list((archive / "logs").glob("crawl-*.log")) if (archive / "logs").exists() else True


def test_a_stopped_worker_gives_its_site_back(demo_server: ServedSite, archive: Path,
                                              migrated_sqlite: MigratedSqlite) -> None:
    """SIGTERM mid-crawl: the crawl closes gracefully, the job is queued again, the worker exits 0."""
    url = migrated_sqlite(archive / "baotinh.sqlite")
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    try:
        with sessions.begin() as s:
            queue.enqueue(s, CrawlRequest(sites=("demo",), origin=demo_server.base_url, workers=0, delay=0.25))
        proc = _start_worker("m1", archive.parent / "machines", {"BAOTINH_DB": url})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with sessions() as s:  # the spider is open: its run exists
                if s.scalar(select(CrawlRun.id).where(CrawlRun.site_id == "demo")):
                    break
            time.sleep(0.1)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        with sessions() as s:
            job = s.scalars(select(CrawlJob)).one()
            assert (job.state, job.lease_owner, job.message) == ("queued", None, "the worker was stopped")
            assert s.scalars(select(CrawlLease.outcome)).all() == ["released"]
            assert s.scalar(select(RunLock.pid)) is None  # the crawl released its site lock
            assert s.scalar(select(CrawlRun.status)) == "interrupted"  # closed by the crawl itself
    finally:
        engine.dispose()


# -- captures every machine can read; the frontier streamed ------------------------------------
def test_index_rows_are_committed_with_each_capture_and_revisits_need_the_file(tmp_path: Path,
                                                                               engine: Engine) -> None:
    from pipeline.archive.captures import CaptureArchiver, Exchange, WarcInfo

    def exchange(body: bytes) -> Exchange:
        return Exchange(url="http://demo.baotinh.test/a.html", status=200, reason="OK",
                        response_headers=[("Content-Type", "text/html")], body=body,
                        request_headers=[("User-Agent", "t")], method="GET", protocol="HTTP/1.1",
                        date=_aware_now(), ip_address=None)

    sessions = db.make_sessionmaker(engine)
    body = b"<html><body>" + b"x" * 4000 + b"</body></html>"
    here = CaptureArchiver(tmp_path / "machine-a", sessions, info=WarcInfo(site="demo"))
    first = here.capture(exchange(body))
    with sessions() as s:  # committed at once: another machine's writer sees it now
        assert s.scalar(select(func.count()).select_from(Capture)) == 1
    elsewhere = CaptureArchiver(tmp_path / "machine-b", sessions, info=WarcInfo(site="demo"))
    second = elsewhere.capture(exchange(body))  # machine b cannot read machine a's file
    shared = CaptureArchiver(tmp_path / "machine-a", sessions, info=WarcInfo(site="demo"))
    third = shared.capture(exchange(body))  # the same store: a revisit of the first record
    for archiver in (here, elsewhere, shared):
        archiver.close()
    assert (first.rec_type, second.rec_type, third.rec_type) == ("response", "response", "revisit")
    assert third.refers_to == first.record_id


def test_the_frontier_is_streamed_in_due_order(engine: Engine) -> None:
    from pipeline.crawling import frontier

    sessions = db.make_sessionmaker(engine)
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    outcomes = [frontier.FetchOutcome(site_id="demo", url=f"http://x.test/a-{i}.html", discovered_via="sitemap",
                                      fetched_at=t0, status=200, outcome="robots" if i == 3 else "archived",
                                      published_at=t0 - timedelta(hours=i)) for i in range(7)]
    with sessions.begin() as s:
        frontier.mark_fetched(s, outcomes, run_id=None)
    now = t0 + timedelta(days=2)
    due = [st.url_key for st in frontier.iter_due(sessions, "demo", now=now, batch=2)]
    # due a day after publication, the oldest first; robots-blocked rows are not re-checked
    assert due == [f"/a-{i}.html" for i in (6, 5, 4, 2, 1, 0)]
    everything = list(frontier.iter_due(sessions, "demo", now=t0, refresh=True, batch=4))
    assert len(everything) == 6 and not list(frontier.iter_due(sessions, "demo", now=t0))
    small = frontier.FrontierLookup(sessions, "demo")  # 7 known URLs: read whole, misses need no query
    assert small._complete and small.get("/a-1.html") is not None and small.get("/nope.html") is None
    lookup = frontier.FrontierLookup(sessions, "demo", cache=2)  # a big site: looked up when asked
    assert not lookup._complete
    assert [lookup.get(k) is not None for k in ("/a-1.html", "/nope.html", "/a-2.html", "/a-1.html")] == \
        [True, False, True, True]
    assert len(lookup._cache) == 2
    lookup.prime(["/a-4.html", "/a-5.html", "/gone.html"])  # one query for a sitemap's batch
    assert lookup._cache == {"/a-5.html": lookup._cache["/a-5.html"], "/gone.html": None}


# -- acceptance 3: three workers, four papers, one killed mid-site ------------------------------
@pytest.fixture
def papers(tmp_path: Path) -> Iterator[dict[str, RunningServer]]:
    from pipeline.demo import site as demo_site

    articles = sorted((Path(demo_site.__file__).parent / "articles").glob("*.toml"))
    servers: dict[str, RunningServer] = {}
    try:
        for n, paper in enumerate(PAPERS):
            folder = tmp_path / "papers" / paper
            folder.mkdir(parents=True)
            chosen = articles[:10] if n == 0 else articles[n * 3 + 1:n * 3 + 8]
            for path in chosen:
                shutil.copy(path, folder / path.name)
            # the first paper is slow, so that its worker can be killed half way through it
            slow = Misbehaviour(delay=0.8) if n == 0 else None
            servers[paper] = start_server(DemoSite(folder), misbehaviour=slow)
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def _start_worker(name: str, home: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("BAOTINH_")}
    full.update(env, BAOTINH_ARCHIVE=str(home / name))
    (home / name).mkdir(parents=True)
    with (home / name / "worker.err").open("wb") as err:  # the child keeps its own handle
        return subprocess.Popen([sys.executable, "-m", "pipeline", "worker", "--lease", str(LEASE),
                                 "--poll", "0.2", "--until-idle", "--name", name], env=full, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=err)


def _kill_when_half_way(sessions: sessionmaker[Session], victim: str, deadline: float) -> tuple[int, set[str], float]:
    """SIGKILL the worker crawling ``victim`` and its crawler child once two of its pages are
    committed; returns the worker's pid, the committed URL keys and the monotonic kill time."""
    while time.monotonic() < deadline:
        with sessions() as s:
            done = set(s.scalars(select(FrontierEntry.url_key).where(
                FrontierEntry.site_id == victim, FrontierEntry.outcome == "archived")))
            owner = s.scalar(select(CrawlJob.lease_owner).where(CrawlJob.site_id == victim))
            child = s.scalar(select(RunLock.pid).where(RunLock.name == f"site:{victim}"))
        if len(done) >= 2 and owner and child:
            worker_pid = int(owner.split(":")[1])
            os.kill(worker_pid, signal.SIGKILL)
            os.killpg(child, signal.SIGKILL)  # the child leads its group: extraction, writer
            return worker_pid, done, time.monotonic()
        time.sleep(0.05)
    with sessions() as s:
        jobs = s.execute(select(CrawlJob.site_id, CrawlJob.state, CrawlJob.exit_code, CrawlJob.message)).all()
    raise AssertionError(f"{victim} never got half way: {jobs}")


def test_three_workers_four_papers_one_killed(papers: dict[str, RunningServer], pg_migrated_url: str,
                                              tmp_path: Path) -> None:
    registry = tmp_path / "registry.toml"
    registry.write_text("".join(REGISTRY.format(id=p) for p in PAPERS), encoding="utf-8")
    store = tmp_path / "store"
    env = {"BAOTINH_DB": pg_migrated_url, "BAOTINH_CAPTURE_STORE": str(store),
           "BAOTINH_REGISTRY": str(registry)}
    engine = db.make_engine(pg_migrated_url)
    sessions = db.make_sessionmaker(engine)
    with sessions.begin() as s:
        for paper, server in papers.items():
            queue.enqueue(s, CrawlRequest(sites=(paper,), origin=server.base_url, workers=0, local_server=True))
    homes = tmp_path / "machines"
    workers = {name: _start_worker(name, homes, env) for name in ("m1", "m2", "m3")}
    try:
        victim_pid, committed, killed_at = _kill_when_half_way(sessions, "w1", time.monotonic() + 90)
        for proc in workers.values():
            if proc.pid != victim_pid:
                proc.wait(timeout=90)
    finally:
        for proc in workers.values():
            if proc.poll() is None:
                proc.kill()
            proc.wait()
    survivors = [n for n, p in workers.items() if p.pid != victim_pid]
    errors = [(homes / n / "worker.err").read_text() for n in survivors]
    assert all(workers[n].returncode == 0 for n in survivors), errors
    try:
        _check_archive(sessions, papers, committed, killed_at)
        with sessions() as s:
            crawled_w1 = {o.rsplit(":", 1)[-1] for o in s.scalars(
                select(CrawlLease.owner).where(CrawlLease.site_id == "w1"))}
    finally:
        engine.dispose()
    # a machine that did not crawl w1 checks and exports it from the shared capture store
    other = next(n for n in survivors if n not in crawled_w1) if set(survivors) - crawled_w1 else None
    reader = homes / (other or "reader")
    r = run_cli("verify", archive=reader, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    out = tmp_path / "export"
    r = run_cli("export", "--format", "warc", "--site", "w1", "--output", str(out), archive=reader, env=env)
    assert r.returncode == 0, r.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    cdx = (out / "index.cdxj").read_text().splitlines()
    assert manifest["counts"]["captures"] == manifest["counts"]["articles"] == len(cdx) == 10, manifest["counts"]


def _check_archive(sessions: sessionmaker[Session], papers: dict[str, RunningServer],
                   committed: set[str], killed_at: float) -> None:
    with sessions() as s:
        # the papers share stories, stored by concurrent writers: each story has one original
        copies: dict[str | None, list[int | None]] = {}
        for sha, duplicate_of in s.execute(select(Article.content_sha256, Article.duplicate_of)):
            copies.setdefault(sha, []).append(duplicate_of)
        shared = [links for links in copies.values() if len(links) > 1]
        assert shared and all(links.count(None) == 1 for links in shared), shared
        for paper, server in papers.items():
            # robots.txt is read twice by every crawl (the robots middleware, the sitemap lookup)
            served = Counter(r.path for r in server.access_log if r.method == "GET" and r.path != "/robots.txt")
            pages = [p for p in served if p.endswith(".html")]
            n = s.scalar(select(func.count()).select_from(Article).where(Article.site == paper))
            assert n == len(pages) and n >= 7, (paper, n, pages)
            versions = s.scalar(select(func.count()).select_from(ArticleVersion).join(
                Article, Article.id == ArticleVersion.article_id).where(Article.site == paper))
            assert versions in (0, n), (paper, versions)  # archived once: no second version
            leases = s.execute(select(CrawlLease.owner, CrawlLease.taken_at, CrawlLease.ended_at,
                                      CrawlLease.outcome).where(CrawlLease.site_id == paper)
                               .order_by(CrawlLease.id)).all()
            for before, after in zip(leases, leases[1:], strict=False):  # never two at once
                assert before.ended_at is not None and before.ended_at <= after.taken_at
            if paper != "w1":
                assert max(served.values()) == 1, (paper, served.most_common(3))
                assert [r.outcome for r in leases] == ["done"]
                continue
            assert [r.outcome for r in leases] == ["expired", "done"] and leases[0].owner != leases[1].owner
            assert (leases[1].taken_at - leases[0].taken_at).total_seconds() >= LEASE
            # what the dead worker committed was not fetched again; nothing came in during the lease
            assert all(served[key] == 1 for key in committed), {k: served[k] for k in committed}
            late = [r.arrived - killed_at for r in server.access_log if r.arrived > killed_at]
            assert late and min(late) >= LEASE - 1.0, min(late)
