"""The quality gate: the golden set scored against the floors pinned in tests/golden/baseline.json.

Fails when any figure falls below its floor, when a floor sits below issue 3's target, when the
extractor's body F1 falls below trafilatura alone on the same pages, or when the golden set
itself loses pages, families or hard cases.
"""

from __future__ import annotations

import json
import statistics
import time
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import trafilatura

from pipeline.extract.evaluate import EvalReport, below_floor, body_scores, evaluate_golden, format_report, load_baseline
from pipeline.extract.core import extract_article
from pipeline.registry.load import load_registry

GOLDEN = Path(__file__).parent / "golden"
BASELINE: dict[str, Any] = json.loads((GOLDEN / "baseline.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def report() -> EvalReport:
    return evaluate_golden(GOLDEN)


def expectations() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((GOLDEN / "expected").glob("*.json"))}


def test_every_page_has_an_expectation_and_back() -> None:
    pages = {p.stem for p in (GOLDEN / "pages").glob("*.html")}
    assert pages == set(expectations())


def test_golden_set_shape() -> None:
    shape = BASELINE["golden_set"]
    exp = expectations()
    assert len(exp) >= shape["min_pages"]
    assert sum(1 for e in exp.values() if e.get("real_page")) >= shape["min_real_pages"]
    provincial = {e["family"] for e in exp.values() if not e.get("real_page")}
    assert len(provincial) >= shape["min_provincial_families"], provincial
    assert set(shape["hard_cases"]) <= {e.get("hard_case") for e in exp.values()}
    for name, e in exp.items():
        assert {"url", "title", "first_sentence", "last_sentence", "must_not_contain", "body"} <= set(e), name
        assert e["body"].startswith(e["first_sentence"]) and e["body"].endswith(e["last_sentence"]), name
        assert not any(s in e["body"] for s in e["must_not_contain"]), name
        if e.get("real_page"):
            # Their dates and authors are not gold (see the realpages README): never scored.
            assert "published_at" not in e and "author" not in e, name


def test_hard_case_pages_are_what_they_claim() -> None:
    by_case = {e.get("hard_case"): name for name, e in expectations().items()}
    cp1258 = (GOLDEN / "pages" / f"{by_case['cp1258']}.html").read_bytes()
    assert b"charset=windows-1258" in cp1258
    with pytest.raises(UnicodeDecodeError):
        cp1258.decode("utf-8")
    nometa = (GOLDEN / "pages" / f"{by_case['cp1258-nometa']}.html").read_bytes()
    assert b"charset" not in nometa
    with pytest.raises(UnicodeDecodeError):
        nometa.decode("utf-8")
    nfd = (GOLDEN / "pages" / f"{by_case['nfd']}.html").read_text(encoding="utf-8")
    assert nfd == unicodedata.normalize("NFD", nfd)
    assert "fetched_at" in expectations()[by_case["relative"]]
    assert expectations()[by_case["no-date"]]["published_at"] is None


def test_baseline_floors_meet_the_issue_targets() -> None:
    floors = load_baseline(GOLDEN / "baseline.json")
    for name, target in BASELINE["targets"].items():
        assert floors[name] >= target, f"floor of {name} ({floors[name]}) is below the issue's target {target}"


def test_no_figure_below_its_floor(report: EvalReport) -> None:
    failures = below_floor(report, load_baseline(GOLDEN / "baseline.json"))
    assert not failures, "\n".join(failures) + "\n\n" + format_report(report)


def test_body_f1_not_below_trafilatura_alone(report: EvalReport) -> None:
    ours = report.body_mean("f1")
    theirs = report.body_mean("f1", trafilatura_alone=True)
    assert ours is not None and theirs is not None
    assert ours >= theirs


def test_no_extraction_errors(report: EvalReport) -> None:
    assert [p.name for p in report.pages if p.error] == []


def test_report_table_shows_both_columns(report: EvalReport) -> None:
    table = format_report(report, baseline=load_baseline(GOLDEN / "baseline.json"), details=False)
    assert "baotinh" in table and "trafilatura" in table
    assert "body f1 (4-gram)" in table and "median ms/page" in table


def test_body_scores() -> None:
    assert body_scores("a b c d e", "a b c d e").f1 == 1.0
    assert body_scores("", "a b c d e").f1 == 0.0
    half = body_scores("a b c d x y z w", "a b c d")
    assert half.recall == 1.0 and half.precision == pytest.approx(0.2)
