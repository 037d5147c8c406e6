"""The second real-page set (tests/golden/real): saved pages of ten outlets nobody on the project
wrote, with every field's gold written by reading them (tests/golden/REAL_SOURCES.md).

Scored like the golden set against floors that only rise (tests/golden/real/baseline.json); the
set itself must keep its pages, its outlets and gold for every field.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pipeline.extract.evaluate import EvalReport, below_floor, evaluate_golden, format_report, load_baseline

REAL = Path(__file__).parent / "golden" / "real"
BASELINE: dict[str, Any] = json.loads((REAL / "baseline.json").read_text(encoding="utf-8"))
LOCAL_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$")
GOLD_KEYS = {"url", "title", "published_at", "author", "source_agency", "description", "first_sentence",
             "last_sentence", "must_not_contain", "captions", "body", "paper"}


@pytest.fixture(scope="module")
def report() -> EvalReport:
    return evaluate_golden(REAL)


def expectations() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((REAL / "expected").glob("*.json"))}


def test_the_set_keeps_its_pages_outlets_and_gold() -> None:
    exp = expectations()
    assert {p.stem for p in (REAL / "pages").glob("*.html")} == set(exp)
    assert len(exp) >= BASELINE["real_set"]["min_pages"]
    assert len({e["paper"] for e in exp.values()}) >= BASELINE["real_set"]["min_papers"]
    for name, e in exp.items():
        assert set(e) >= GOLD_KEYS and e["real_page"] and e["metadata_gold"], name
        assert LOCAL_TIME_RE.match(e["published_at"]), name
        assert e["body"].startswith(e["first_sentence"]) and e["body"].endswith(e["last_sentence"]), name
        assert not any(s in e["body"] for s in e["must_not_contain"]), name
        assert not any(c in e["body"] for c in e["captions"]), name
        assert (REAL / "pages" / f"{name}.html").stat().st_size < 400_000, name


def test_no_figure_below_its_floor(report: EvalReport) -> None:
    failures = below_floor(report, load_baseline(REAL / "baseline.json"))
    assert not failures, "\n".join(failures) + "\n\n" + format_report(report)


def test_body_f1_not_below_trafilatura_alone(report: EvalReport) -> None:
    ours, theirs = report.body_mean("f1"), report.body_mean("f1", trafilatura_alone=True)
    assert ours is not None and theirs is not None and ours >= theirs
