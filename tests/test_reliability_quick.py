"""The reliability benchmark's harness, tested: two kill -9 / resume cycles of a crawl on SQLite."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from benchmarks.bench_reliability import render_report, run_backend


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_two_crawl_kills_on_sqlite_lose_nothing(tmp_path: Path) -> None:
    started = time.monotonic()
    outcome = run_backend("sqlite", cycles=2, deadline=started + 50, work=tmp_path, phases=("crawl",),
                          article_delay=0.1)
    crawl = outcome.tallies["crawl"]
    assert outcome.cycles == 2 and crawl.cycles == 2 and not outcome.capped
    assert outcome.baseline.snapshot.rows > 0  # the uninterrupted run archived the demo paper
    assert crawl.resumed_ok == 2, crawl.problems
    assert outcome.lost_nothing, crawl.problems
    report = render_report([outcome], seed=1, requested=2, notes=[])
    assert "| sqlite | crawl | 2 |" in report and "nothing lost" in report
    assert time.monotonic() - started < 60
