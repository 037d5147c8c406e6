"""The reliability benchmark's harness, tested: one kill -9 / resume cycle of a crawl on SQLite
(the benchmark itself runs fifty per backend)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from benchmarks.bench_reliability import render_report, run_backend


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_a_crawl_kill_on_sqlite_loses_nothing(tmp_path: Path) -> None:
    started = time.monotonic()
    outcome = run_backend("sqlite", cycles=1, deadline=started + 50, work=tmp_path, phases=("crawl",),
                          article_delay=0.1)
    crawl = outcome.tallies["crawl"]
    assert outcome.cycles == 1 and crawl.cycles == 1 and not outcome.capped
    assert outcome.baseline.snapshot.rows > 0  # the uninterrupted run archived the demo paper
    assert crawl.resumed_ok == 1, crawl.problems
    assert outcome.lost_nothing, crawl.problems
    report = render_report([outcome], seed=1, requested=1, notes=[])
    assert "| sqlite | crawl | 1 |" in report and "nothing lost" in report
    assert time.monotonic() - started < 60
