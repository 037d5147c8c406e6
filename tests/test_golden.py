"""The quality gate: the golden set scored against the floors pinned in tests/golden/baseline.json.

Fails when any figure falls below its floor, when a floor sits below issue 3's target, when the
extractor's body F1 falls below trafilatura alone on the same pages, or when the golden set
itself loses pages, families or hard cases.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from pipeline.cli.quality import default_golden
from pipeline.extract.evaluate import (
    EvalReport,
    below_floor,
    body_scores,
    evaluate_golden,
    format_report,
    load_baseline,
)

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


# ---- `baotinh eval` outside a checkout ----

# The CLI with no source checkout to fall back on, as when installed from a wheel.
WITHOUT_CHECKOUT = ("import pipeline.cli.quality as q; q.CHECKOUT = None; "
                    "from pipeline.cli.main import main; main()")


def run_eval(*args: str, cwd: Path, checkout: bool = True) -> subprocess.CompletedProcess[str]:
    """``baotinh eval`` in a subprocess started in ``cwd``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOTINH_")}
    command = ["-m", "pipeline"] if checkout else ["-c", WITHOUT_CHECKOUT]
    return subprocess.run([sys.executable, *command, "eval", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def small_golden_set(folder: Path, names: tuple[str, ...] = ("cp1258", "nfd")) -> Path:
    """A copy of a few golden pages (no baseline: no floors)."""
    for sub in ("pages", "expected"):
        (folder / sub).mkdir(parents=True)
    for path in sorted((GOLDEN / "expected").glob("*.json")):
        if json.loads(path.read_text(encoding="utf-8")).get("hard_case") in names:
            shutil.copy(path, folder / "expected" / path.name)
            shutil.copy(GOLDEN / "pages" / f"{path.stem}.html", folder / "pages" / f"{path.stem}.html")
    assert len(list((folder / "expected").glob("*.json"))) == len(names)
    return folder


def test_eval_outside_the_checkout_uses_the_checkouts_golden_set(tmp_path: Path) -> None:
    result = run_eval("--no-details", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "body f1 (4-gram)" in result.stdout and f"{len(expectations())} pages" in result.stdout


def test_eval_uses_the_golden_folder_given(tmp_path: Path) -> None:
    small = small_golden_set(tmp_path / "small")
    result = run_eval("--golden", str(small), "--no-details", cwd=tmp_path, checkout=False)
    assert result.returncode == 0, result.stderr
    assert "2 pages" in result.stdout


def test_eval_without_a_golden_set_says_to_pass_golden(tmp_path: Path) -> None:
    result = run_eval(cwd=tmp_path, checkout=False)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "--golden DIR" in lines[0], result.stderr


def test_eval_with_a_folder_that_is_no_golden_set(tmp_path: Path) -> None:
    result = run_eval("--golden", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no golden set at "), result.stderr


def test_default_golden_prefers_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here, checkout = tmp_path / "here", tmp_path / "checkout"
    small_golden_set(checkout / "tests" / "golden")
    here.mkdir()
    monkeypatch.chdir(here)
    assert default_golden(checkout) == checkout / "tests" / "golden"
    small_golden_set(here / "tests" / "golden")
    assert default_golden(checkout) == Path("tests") / "golden"
