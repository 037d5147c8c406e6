"""Counts that add up (issue 14, item 9): every discovered URL ends in one ledger outcome, a
killed run is closed with what it wrote, a full disk ends the run with its real counts.

The crawls are real: the demo paper on 127.0.0.1 (ephemeral port), with misbehaviours of
:mod:`pipeline.demo.misbehaviour`, crawled by ``python -m crawler`` in a subprocess.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.demo import DemoSite, Misbehaviour, serve_site

from .test_hostile_scope import archived, crawl, demo_paths, ledger

pytestmark = pytest.mark.slow


def summary_of(stdout: str) -> dict[str, object]:
    """The child's summary of its one site."""
    site = json.loads(stdout.splitlines()[-1])["sites"][0]
    assert isinstance(site, dict)
    return site


def test_a_redirect_loop_is_a_failure_in_the_ledger(demo_articles: Path, archive: Path) -> None:
    paths = demo_paths(demo_articles)
    loop = ((paths[0], paths[0]),)
    with serve_site(DemoSite(demo_articles), misbehaviour=Misbehaviour(redirects=loop)) as paper:
        proc = crawl(archive, paper.base_url, "REDIRECT_MAX_TIMES=3")
    counts = ledger(archive)
    print(counts, proc.returncode, summary_of(proc.stdout))
    assert counts.get("failed/redirect_limit") == 1


def test_a_nul_byte_is_a_skip_named_in_the_ledger(demo_articles: Path, archive: Path) -> None:
    paths = demo_paths(demo_articles)
    with serve_site(DemoSite(demo_articles), misbehaviour=Misbehaviour(nul_byte=(paths[0],))) as paper:
        proc = crawl(archive, paper.base_url)
    counts = ledger(archive)
    print(counts, proc.returncode, summary_of(proc.stdout))
    assert counts.get("skipped/not_html") == 1
    site = summary_of(proc.stdout)
    assert (site["status"], site["failed"], proc.returncode) == ("ok", 0, 0)
    assert len(archived(archive)) == len(paths) - 1
