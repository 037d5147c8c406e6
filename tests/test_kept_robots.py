"""The last good robots.txt (issue 14, item 10): when robots.txt cannot be reached (here: 503) and
an earlier run of the site kept a good copy, at most BAOTINH_ROBOTS_KEPT_DAYS old, the crawl obeys
that copy and says so (ledger ``robots``/``stale_copy``, a ``robots_stale_copy:`` note in the
summary); without one, or with an older one, nothing is crawled (``failed``/``robots_unreachable``),
as RFC 9309 says.

Real crawls of the demo paper on 127.0.0.1 by ``python -m crawler``; each run is served by a new
server (a new port), as a mirror may be.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pipeline.archive import db
from pipeline.crawling.robots import last_good_robots
from pipeline.demo import DemoSite, Misbehaviour, serve_site
from pipeline.demo.articles import default_articles_dir, load_demo_articles

from .conftest import ROOT
from .test_hostile_scope import DEMO, archived, crawl_command, crawler_env, query

pytestmark = pytest.mark.slow


def _crawl(archive: Path, misbehaviour: Misbehaviour, *args: str) -> tuple[subprocess.CompletedProcess[str],
                                                                          list[str]]:
    """One crawl of the demo paper served with ``misbehaviour``; the paths the server was asked."""
    with serve_site(DemoSite(), misbehaviour=misbehaviour) as paper:
        command = [*crawl_command(archive, paper.base_url, "RETRY_TIMES=0"), *args]
        proc = subprocess.run(command, cwd=ROOT, env=crawler_env(archive), capture_output=True, text=True,
                              timeout=90, check=False)
        return proc, [r.path for r in paper.access_log.records()]


def _ledger(archive: Path, run_id: int) -> dict[str, int]:
    rows = query(archive, f"select metric || '/' || reason, sum(count) from crawl_ledger where run_id = {run_id} "
                          "group by metric, reason")
    return {str(k): int(str(n)) for k, n in rows}


def test_an_unreachable_robots_txt_is_replaced_by_the_last_good_copy(archive: Path) -> None:
    paths = sorted(a.path for a in load_demo_articles(default_articles_dir()))
    forbidden = paths[-1]
    # run 1: robots.txt answers, and forbids one article; the run stops after 3 articles
    first, _ = _crawl(archive, Misbehaviour(disallow=(forbidden,)), "--max-pages", "3")
    assert first.returncode == 0, first.stderr[-2000:]
    assert len(archived(archive)) == 3
    # run 2: robots.txt fails (503); the copy of run 1 is obeyed, the rest of the paper archived
    second, asked = _crawl(archive, Misbehaviour(robots_status=503))
    assert second.returncode == 0, second.stderr[-2000:]
    site = json.loads(second.stdout.splitlines()[-1])["sites"][0]
    assert site["status"] == "ok" and site["failed"] == 0
    assert len(site["notes"]) == 1 and site["notes"][0].startswith("robots_stale_copy: ")
    assert forbidden not in asked  # the kept rules hold, though the server gives none now
    assert archived(archive) == {DEMO + p for p in paths if p != forbidden}
    counts = _ledger(archive, 2)
    assert counts["robots/stale_copy"] == 1 and counts["skipped/robots"] == 1
    assert "failed/robots_unreachable" not in counts
    # older than allowed, a copy does not count: then RFC 9309's "disallow everything" holds, as
    # tests/test_hostile_scope.py::test_an_unreachable_robots_txt_is_said shows without a copy
    engine = db.make_engine(f"sqlite:///{archive / 'baotinh.sqlite'}")
    try:
        with db.make_sessionmaker(engine)() as session:
            kept = last_good_robots(session, archive, "demo")
            assert kept is not None and f"Disallow: {forbidden}" in kept.body.decode()
            assert last_good_robots(session, archive, "demo", max_days=0) is None
            assert last_good_robots(session, archive, "another-site") is None
    finally:
        engine.dispose()
