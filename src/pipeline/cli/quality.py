"""``baotinh eval``: extraction quality on the golden set (or on the public article-extraction
benchmark, ``--aeb DIR``), beside trafilatura alone."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.errors import ExitCode, InputError

# The golden set of a checkout, relative to its root.
GOLDEN_IN_CHECKOUT = Path("tests") / "golden"
# The source checkout this package runs from (an editable install); elsewhere it holds no golden set.
CHECKOUT: Path | None = Path(__file__).resolve().parents[3]


def is_golden_set(folder: Path) -> bool:
    """True when ``folder`` holds a golden set's expectations."""
    return (folder / "expected").is_dir()


def default_golden(checkout: Path | None) -> Path:
    """``tests/golden`` under the current directory, else under the checkout; an
    :class:`InputError` telling to pass ``--golden`` when neither holds a golden set."""
    candidates = [GOLDEN_IN_CHECKOUT] + ([checkout / GOLDEN_IN_CHECKOUT] if checkout is not None else [])
    for folder in candidates:
        if is_golden_set(folder):
            return folder
    raise InputError(f"no golden set in ./{GOLDEN_IN_CHECKOUT.as_posix()} and no checkout holding one; "
                     "pass --golden DIR (a folder with pages/, expected/ and baseline.json)")


@click.command("eval", epilog="\b\nExamples:\n  baotinh eval\n  baotinh eval --golden tests/golden --no-details\n"
                              "  baotinh eval --aeb ../shared/extract-bench/aeb-dev")
@click.option("--golden", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Golden set folder (pages/, expected/, baseline.json)  [default: tests/golden here or "
                   "in the checkout]")
@click.option("--aeb", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Score the generic path on an article-extraction-benchmark folder (html/<id>.html.gz, "
                   "ground-truth.json) instead of the golden set.")
@click.option("--details/--no-details", default=True, help="List the pages that miss a field.")
@click.option("--no-trafilatura", is_flag=True, help="Skip the trafilatura-alone comparison.")
def eval_command(golden: Path | None, aeb: Path | None, details: bool, no_trafilatura: bool) -> None:
    """Per-field accuracy and body precision/recall/F1 on the golden set and the sets inside it
    (tests/golden/real: real pages of ten papers); exit 1 below the floors."""
    if aeb is not None:
        eval_aeb(aeb, details, not no_trafilatura)
        return
    from pipeline.extract.evaluate import below_floor, evaluate_golden, format_report, load_baseline

    if golden is None:
        golden = default_golden(CHECKOUT)
    elif not is_golden_set(golden):
        raise InputError(f"no golden set at {golden} (expected {golden}/expected/*.json); use --golden")
    failures = []
    for folder in golden_sets(golden):
        report = evaluate_golden(folder, compare_trafilatura=not no_trafilatura)
        baseline_file = folder / "baseline.json"
        baseline = load_baseline(baseline_file) if baseline_file.exists() else None
        click.echo(f"== {folder}")
        click.echo(format_report(report, baseline=baseline, details=details))
        if baseline is not None:
            failures += [f"{folder.name}: {f}" for f in below_floor(report, baseline)]
    if failures:
        click.echo(f"error: below the floor: {', '.join(failures)}", err=True)
        raise SystemExit(ExitCode.FAILED)


def golden_sets(folder: Path) -> list[Path]:
    """``folder`` and the golden sets directly inside it (``tests/golden/real``: held-out real pages)."""
    return [folder] + sorted(sub for sub in folder.iterdir() if sub.is_dir() and is_golden_set(sub))


def eval_aeb(folder: Path, details: bool, compare_trafilatura: bool) -> None:
    """Print baotinh's (and trafilatura's) benchmark scores on ``folder``."""
    from pipeline.extract.aeb import evaluate_aeb, format_aeb_report

    click.echo(format_aeb_report(evaluate_aeb(folder, compare_trafilatura), details=details))


COMMANDS = [eval_command]
